"""An on-disk cache of trained results, so a CI run never trains the same thing twice.

The book build and the Colab notebooks (scripts/nbmake.sh) both execute the pages.
Training functions wrapped with :func:`cached` store their result under a key made of
the function's name, its arguments, the torch version and the code the function can
reach (:func:`hw2.book.sources.code_fingerprint`): its definition and every ``hw2``
definition it names, followed name by name, without comments or docstrings. Any change
to what determines a result gives a new key, so a stale result is never reused; a
comment, a docstring, a figure or a metric changes no key and retrains nothing.
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

from . import sources

__all__ = ["cache_dir", "cached", "source_fingerprint"]

F = TypeVar("F", bound=Callable[..., Any])
# Arguments that change how a run is shown, never what it computes: not in the key.
PRESENTATION = ("show",)


def cache_dir() -> Path:
    """Where results are kept: ``HW2_CACHE_DIR`` or the user's cache folder."""
    env = os.environ.get("HW2_CACHE_DIR")
    root = Path(env) if env else Path(platformdirs.user_cache_dir("hw2")) / "results"
    return root


def source_fingerprint(fn: Callable[..., Any]) -> str:
    """The source that determines ``fn``'s results: for a function of ``hw2``, the code
    it can reach (:func:`hw2.book.sources.code_fingerprint`: no comments, docstrings, or
    functions it never calls); elsewhere, its file."""
    module = fn.__module__
    if module.startswith("hw2."):
        return sources.code_fingerprint(module, fn.__name__)
    path = inspect.getsourcefile(fn)
    return hashlib.sha256(Path(path).read_bytes() if path else b"").hexdigest()


def _key(name: str, arguments: dict[str, Any], source: str) -> str:
    text = repr((name, sorted(arguments.items()), source, torch.__version__))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _call_key(
    fn: Callable[..., Any], keys: dict[str, Callable[[Any], Any]], bound: inspect.BoundArguments
) -> str:
    """The key of one call of ``fn``: its name, its arguments (those in ``keys`` by what
    identifies them, those in :data:`PRESENTATION` left out), the code it can reach and
    torch's version."""
    arguments = {
        k: keys[k](v) if k in keys else v
        for k, v in bound.arguments.items()
        if k not in PRESENTATION
    }
    return _key(_name(fn), arguments, source_fingerprint(fn))


def _save(result: Any, path: Path) -> None:
    """``torch.save`` beside ``path``, then rename: a killed run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(result, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def cached(fn: F | None = None, *, keys: dict[str, Callable[[Any], Any]] | None = None) -> Any:
    """Cache ``fn``'s result on disk (``torch.save``), keyed as the module docstring says.

    Pass ``use_cache=False`` to force a fresh run. Arguments must have a stable ``repr``
    (ints, floats, strings, tuples, ``None``, paths, dataclasses); those in
    :data:`PRESENTATION` (``show``) are left out of the key. ``keys`` maps an argument
    to what identifies it: ``@cached(keys={"data_dir": download.identity})`` keys a
    folder on what it holds, not where it sits; ``{"device": pick_device}`` keys
    ``None`` on the device it means. ``fn.key(*args, **kwargs)`` is a call's key.
    """
    if fn is None:
        return functools.partial(cached, keys=keys)
    keys = keys or {}
    signature = inspect.signature(fn)

    def bind(*args: Any, **kwargs: Any) -> inspect.BoundArguments:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound

    @functools.wraps(fn)
    def wrapper(*args: Any, use_cache: bool = True, **kwargs: Any) -> Any:
        bound = bind(*args, **kwargs)
        if not use_cache:
            return fn(*bound.args, **bound.kwargs)
        path = cache_dir() / f"{_name(fn)}-{_call_key(fn, keys, bound)}.pt"
        if path.exists():
            return torch.load(path, weights_only=False)
        result = fn(*bound.args, **bound.kwargs)
        _save(result, path)
        return result

    wrapper.key = lambda *args, **kwargs: _call_key(fn, keys, bind(*args, **kwargs))  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
