"""An on-disk cache of trained results, so a CI run never trains the same thing twice.

The book build and ``nbmake`` both execute the notebooks. Training functions wrapped
with :func:`cached` store their result under a key made of the function's name, its
arguments, the source of the whole ``hw2`` package and the torch version: any change
to what determines a result gives a new key, so a stale result is never reused.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
import torch

__all__ = ["cache_dir", "cached", "package_fingerprint"]

F = TypeVar("F", bound=Callable[..., Any])


def cache_dir() -> Path:
    """Where results are kept: ``HW2_CACHE_DIR`` or the user's cache folder."""
    env = os.environ.get("HW2_CACHE_DIR")
    root = Path(env) if env else Path(platformdirs.user_cache_dir("hw2")) / "results"
    return root


@functools.lru_cache(maxsize=1)
def package_fingerprint() -> str:
    """sha256 of every ``.py`` file of the package, in a fixed order."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _key(name: str, arguments: dict[str, Any]) -> str:
    text = repr((name, sorted(arguments.items()), package_fingerprint(), torch.__version__))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cached(fn: F) -> F:
    """Cache ``fn``'s result on disk (``torch.save``), keyed as the module docstring says.

    Pass ``use_cache=False`` to force a fresh run. Arguments must have a stable ``repr``
    (ints, floats, strings, tuples, ``None``, paths).
    """
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, use_cache: bool = True, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if not use_cache:
            return fn(*bound.args, **bound.kwargs)
        name = f"{fn.__module__}.{fn.__qualname__}"
        path = cache_dir() / f"{name}-{_key(name, bound.arguments)}.pt"
        if path.exists():
            return torch.load(path, weights_only=False)
        result = fn(*bound.args, **bound.kwargs)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target, then rename: a killed run never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        try:
            torch.save(result, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return result

    return wrapper  # type: ignore[return-value]
