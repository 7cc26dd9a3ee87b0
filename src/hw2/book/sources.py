"""Which source determines a result: the ``hw2`` code a page or a trainer runs.

An edit must re-run exactly what it can change, and nothing else. This module reads
source (it never imports anything). For a page: every ``hw2`` module it imports,
directly or through other ``hw2`` modules, fingerprinted whole (:func:`fingerprint`;
the book's Sphinx extension keys executed pages on it). For a trainer: the code it can
reach (:func:`code_fingerprint`), its own definition and every top-level definition of
``hw2`` it names, in its module or another, followed name by name, compared as syntax
trees without docstrings: a comment, a docstring, or a figure or metric the trainer
never calls changes nothing (:mod:`hw2.book.cache` keys trained results on it).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "PACKAGE_DIR",
    "code_fingerprint",
    "dependencies",
    "fingerprint",
    "imported_modules",
    "module_path",
    "page_code",
    "reachable",
]
# Modules that store or locate results, never compute them: not followed.
NOT_FOLLOWED = ("book.cache", "book.sources")

PACKAGE_DIR = Path(__file__).parent.parent  # hw2's folder
# Lines that IPython reads but Python does not (magics, shell escapes).
_MAGIC = re.compile(r"^[ \t]*[%!].*$", re.MULTILINE)
# MyST notebook code cells: ```{code-cell} ... ``` (options and all).
_CODE_CELL = re.compile(r"^(`{3,})\{code-cell\}[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def _file(short: str) -> Path | None:
    """The file of module ``short`` (dotted, relative to ``hw2``; ``"__init__"`` is the
    package's own), or None if ``hw2`` has no such module."""
    if short == "__init__":
        return PACKAGE_DIR / "__init__.py"
    if not short or not all(part.isidentifier() for part in short.split(".")):
        return None
    base = PACKAGE_DIR.joinpath(*short.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def module_path(name: str) -> Path:
    """The source file of module ``name`` (``"echo"``, ``"hw2.echo"``, ``"book.cache"``;
    ``"hw2"`` is the package's ``__init__``, ``"check"`` the subpackage's)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    path = _file(_short(name))
    if path is None:
        raise ValueError(f"name must name a module of hw2, got {name!r}")
    return path


def _short(name: str) -> str:
    """``name`` relative to ``hw2``: ``"hw2.book.cache"`` -> ``"book.cache"``."""
    if name == "hw2":
        return "__init__"
    return name.removeprefix("hw2.") if name.startswith("hw2.") else name


def _is_module(short: str) -> bool:
    return _file(short) is not None


def _package_of(short: str) -> list[str]:
    """The package that module ``short`` sits in, as parts relative to ``hw2``."""
    path = module_path(short)
    parts = list(path.relative_to(PACKAGE_DIR).with_suffix("").parts)
    return parts[:-1] if parts[-1] != "__init__" or len(parts) > 1 else []


def _runs(node: ast.Import | ast.ImportFrom, package: list[str] | None) -> set[str]:
    """The ``hw2`` modules one import statement runs. ``package`` is the importing
    module's package (None outside ``hw2``)."""
    if isinstance(node, ast.Import):
        runs: set[str] = set()
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] == "hw2":
                runs.add("__init__")
                runs.update(".".join(parts[1:i]) for i in range(2, len(parts) + 1))
        return runs
    base = _from_base(node, package)
    if base is None:
        return set()
    runs = {"__init__"} if node.level == 0 else set()
    prefixes = [".".join(base[:i]) for i in range(1, len(base) + 1)]
    names = [".".join([*base, alias.name]) for alias in node.names]
    return runs | {short for short in prefixes + names if _is_module(short)}


def _from_base(node: ast.ImportFrom, package: list[str] | None) -> list[str] | None:
    """The ``hw2`` module a ``from ... import`` reads from, as parts relative to
    ``hw2`` (``[]`` for ``hw2`` itself), or None if it is not one of ``hw2``'s."""
    if node.level == 0:
        parts = (node.module or "").split(".")
        return parts[1:] if parts[0] == "hw2" else None
    if package is None or node.level - 1 > len(package):
        return None
    return package[: len(package) - (node.level - 1)] + (
        node.module.split(".") if node.module else []
    )


def imported_modules(code: str, package: list[str] | None = None) -> set[str]:
    """The ``hw2`` modules that Python ``code`` runs by importing, as names relative to
    ``hw2`` (``"echo"``, ``"book.glue"``; ``"__init__"`` for the package itself).

    ``from hw2 import echo``, ``from hw2.echo import f`` and, inside the package,
    ``from .echo import f`` all import ``echo``; importing ``hw2.book.glue`` also runs
    ``hw2`` and ``hw2.book``. ``package`` is the importing module's package (parts
    relative to ``hw2``; None for code outside it, whose relative imports are ignored).
    Magic lines (``%``, ``!``) are skipped.
    """
    if not isinstance(code, str):
        raise TypeError(f"code must be a str, got {type(code).__name__}")
    found: set[str] = set()
    for node in ast.walk(ast.parse(_MAGIC.sub("", code))):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(_runs(node, package))
    return found


def page_code(text: str, suffix: str) -> str:
    """The code of a page: its code cells, from ``.ipynb`` JSON or a MyST ``.md`` text."""
    if suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        sources = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells
            if c["cell_type"] == "code"
        ]
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
        lines = lines[end + 1 :]
    while lines and lines[0].startswith(":"):
        lines = lines[1:]
    return "\n".join(lines)


def dependencies(modules: Iterable[str]) -> list[str]:
    """``modules`` and every ``hw2`` module they import, directly or not, sorted."""
    todo = [_short(m) for m in modules]
    for name in todo:
        module_path(name)  # an unknown name is an error
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        text = module_path(name).read_text(encoding="utf-8")
        todo.extend(imported_modules(text, _package_of(name)) - seen)
    return sorted(seen)


def fingerprint(modules: Iterable[str]) -> str:
    """sha256 of the source of ``modules`` and of every ``hw2`` module they import."""
    h = hashlib.sha256()
    for name in dependencies(modules):
        h.update(name.encode() + b"\0" + module_path(name).read_bytes() + b"\0")
    return h.hexdigest()


def _without_docstrings(node: ast.AST) -> ast.AST:
    """A copy of ``node`` with the docstring of every function and class inside removed."""
    node = copy.deepcopy(node)
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if (
            isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            inner.body = body[1:] or [ast.Pass()]
    return node


def _module_names(
    name: str,
) -> tuple[dict[str, ast.AST], dict[str, tuple[str, str]], dict[str, str]]:
    """A module's top-level definitions (functions, classes, assigned names), the names
    it imports from other ``hw2`` modules (name -> (module, name)), and the ``hw2``
    modules it imports under a name (alias -> module)."""
    tree = ast.parse(module_path(name).read_text(encoding="utf-8"))
    defs: dict[str, ast.AST] = {}
    imported: dict[str, tuple[str, str]] = {}
    modules: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        defs[leaf.id] = node
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, _package_of(name))
            for alias in node.names if base is not None else ():
                local = alias.asname or alias.name
                if _is_module(".".join([*base, alias.name])):  # from . import echo
                    modules[local] = ".".join([*base, alias.name])
                elif base and _is_module(".".join(base)):  # from .echo import train
                    imported[local] = (".".join(base), alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "hw2" and len(parts) > 1 and alias.asname:
                    modules[alias.asname] = ".".join(parts[1:])
    return defs, imported, modules


def _locals(node: ast.AST) -> set[str]:
    """The names a function binds itself (arguments, assignments, loop and ``with``
    targets): a local ``train = ...`` is not the module's ``train``."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return set()
    names = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    names |= {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    declared = {
        n for g in ast.walk(node) if isinstance(g, (ast.Global, ast.Nonlocal)) for n in g.names
    }
    return names - declared


def reachable(module: str, name: str) -> dict[tuple[str, str], str]:
    """The top-level definitions of ``hw2`` that ``module.name`` can reach, each as the
    dump of its syntax tree without docstrings: ``{(module, name): dump}``. Names are
    followed through the module's own definitions, names imported from other ``hw2``
    modules and attributes of imported ``hw2`` modules (``runtime.progress``); the
    modules in :data:`NOT_FOLLOWED` are not."""
    module = _short(module)
    module_path(module)  # an unknown name is an error
    tables: dict[str, tuple] = {}
    found: dict[tuple[str, str], str] = {}
    todo = [(module, name)]
    while todo:
        mod, key = todo.pop()
        if (mod, key) in found or mod in NOT_FOLLOWED:
            continue
        if mod not in tables:
            tables[mod] = _module_names(mod)
        defs, imported, modules = tables[mod]
        if key not in defs:
            if key in imported:
                todo.append(imported[key])
            continue
        node = defs[key]
        found[(mod, key)] = ast.dump(_without_docstrings(node))
        local = _locals(node)
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and inner.id not in local:
                if inner.id in defs or inner.id in imported:
                    todo.append((mod, inner.id))
            elif (
                isinstance(inner, ast.Attribute)
                and isinstance(inner.value, ast.Name)
                and inner.value.id in modules
            ):
                todo.append((modules[inner.value.id], inner.attr))
    return found


_FINGERPRINTS: dict[tuple, str] = {}  # one per process, while the package's files stay


def code_fingerprint(module: str, name: str) -> str:
    """sha256 of what ``module.name`` can run (:func:`reachable`); parsed again only
    when a file of the package changed (its size or modification time)."""
    files = tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(PACKAGE_DIR.rglob("*.py"))
    )
    memo = (module, name, str(PACKAGE_DIR), files)
    if memo not in _FINGERPRINTS:
        h = hashlib.sha256()
        for (mod, key), dump in sorted(reachable(module, name).items()):
            h.update(f"{mod}.{key}\0{dump}\0".encode())
        _FINGERPRINTS[memo] = h.hexdigest()
    return _FINGERPRINTS[memo]
