"""Which source determines a result: the ``hw2`` modules a page or a trainer runs.

An edit to a module must re-run exactly what runs that module, and nothing else. This
module reads import statements (it never imports anything) to find, for a page or a
module, every ``hw2`` module it imports directly or through other ``hw2`` modules, and
fingerprints their source. :mod:`hw2.cache` keys trained results on a trainer's
fingerprint; the book's Sphinx extension keys executed pages on theirs.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "PACKAGE_DIR", "dependencies", "fingerprint", "imported_modules", "module_path", "page_code",
]

PACKAGE_DIR = Path(__file__).parent
# Lines that IPython reads but Python does not (magics, shell escapes).
_MAGIC = re.compile(r"^[ \t]*[%!].*$", re.MULTILINE)
# MyST notebook code cells: ```{code-cell} ... ``` (options and all).
_CODE_CELL = re.compile(r"^(`{3,})\{code-cell\}[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def module_path(name: str) -> Path:
    """The source file of module ``name`` (``"echo"`` or ``"hw2.echo"``; ``"hw2"`` is
    the package's ``__init__``)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    short = name.removeprefix("hw2").removeprefix(".") or "__init__"
    path = PACKAGE_DIR / f"{short}.py"
    if "." in short or not path.is_file():
        raise ValueError(f"name must name a module of hw2, got {name!r}")
    return path


def _is_module(short: str) -> bool:
    return (PACKAGE_DIR / f"{short}.py").is_file()


def imported_modules(code: str) -> set[str]:
    """The ``hw2`` modules that Python ``code`` imports, as short names (``"echo"``).

    ``from hw2 import echo``, ``from hw2.echo import f`` and, inside the package,
    ``from .echo import f`` all import ``echo``. Importing ``hw2`` from outside runs
    the package's ``__init__``, which is then included. Magic lines (``%``, ``!``) are
    skipped.
    """
    if not isinstance(code, str):
        raise TypeError(f"code must be a str, got {type(code).__name__}")
    found: set[str] = set()
    for node in ast.walk(ast.parse(_MAGIC.sub("", code))):
        if isinstance(node, ast.Import):
            parts = [a.name.split(".") for a in node.names if a.name.split(".")[0] == "hw2"]
            named = [p[1] for p in parts if len(p) > 1]
        elif isinstance(node, ast.ImportFrom):
            path = (node.module or "").split(".") if node.module else []
            if node.level == 1:  # relative: a module of the package importing another
                parts, named = [], path[:1] or [a.name for a in node.names]
            elif node.level == 0 and path[:1] == ["hw2"]:
                parts, named = [path], path[1:2] or [a.name for a in node.names]
            else:
                continue
        else:
            continue
        if parts:
            found.add("__init__")
        found.update(n for n in named if _is_module(n))
    return found


def page_code(text: str, suffix: str) -> str:
    """The code of a page: its code cells, from ``.ipynb`` JSON or a MyST ``.md`` text."""
    if suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in cells if c["cell_type"] == "code"]
    elif suffix == ".md":
        sources = [m.group(2) for m in _CODE_CELL.finditer(text)]
    else:
        raise ValueError(f"suffix must be '.ipynb' or '.md', got {suffix!r}")
    # Cell options of a MyST code cell (":tags: ..." or a --- block) are not Python.
    sources = [_strip_options(s) for s in sources]
    return "\n".join(sources)


def _strip_options(cell: str) -> str:
    lines = cell.split("\n")
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1) if "---" in lines[1:] else 0
        lines = lines[end + 1:]
    while lines and lines[0].startswith(":"):
        lines = lines[1:]
    return "\n".join(lines)


def dependencies(modules: Iterable[str]) -> list[str]:
    """``modules`` and every ``hw2`` module they import, directly or not, sorted."""
    todo = [module_path(m).stem for m in modules]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        text = module_path(name).read_text(encoding="utf-8")
        todo.extend(imported_modules(text) - seen)
    return sorted(seen)


def fingerprint(modules: Iterable[str]) -> str:
    """sha256 of the source of ``modules`` and of every ``hw2`` module they import."""
    h = hashlib.sha256()
    for name in dependencies(modules):
        h.update(name.encode() + b"\0" + module_path(name).read_bytes() + b"\0")
    return h.hexdigest()
