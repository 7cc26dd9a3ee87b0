"""The package's layout: each module readable in one sitting, the homework at hw2's top
level and the book's machinery in hw2.book, pages stored as text, test modules that
stand alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "hw2"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 400  # a module
MAX_FUNCTION = 40  # a function or method, from its def line to its last, docstring included
MACHINERY = ("cache", "sources", "exec_report", "glue", "words", "memory", "phone")


def _name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def long_functions(source: str, limit: int = MAX_FUNCTION) -> list[tuple[str, int]]:
    """Every function or method of ``source`` longer than ``limit`` lines."""
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > limit
    ]


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_each_module_reads_in_one_sitting(path):
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_LINES
    assert long_functions(source) == []


def test_the_measure_can_fail():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION))
    assert long_functions(f"def f():\n{body}\n") == [("f", MAX_FUNCTION + 1)]
    assert long_functions("def g():\n    return 1\n") == []


def test_machinery_is_in_hw2_book_not_at_the_top_level():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert not top & set(MACHINERY)
    assert {p.stem for p in (PACKAGE / "book").glob("*.py")} >= {
        "cache",
        "sources",
        "exec_report",
        "glue",
        "memory",
        "phone",
    }
    assert not {"checks", "workbook"} & top  # one name per idea: hw2.check, hw2._validate


def test_pages_are_text():
    assert sorted(p.name for p in (ROOT / "book").glob("*.ipynb")) == []


def test_no_test_module_imports_another():
    tests = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    for path in (ROOT / "tests").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not {n.split(".")[0] for n in names} & tests, path.name
