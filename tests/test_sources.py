"""hw2.sources and the book's extension: an edit re-runs exactly what runs the edited module."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from hw2 import cache, catsdogs, echo, loss_curves, sources

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import hw2_sphinx  # noqa: E402

PAGES = sorted(p for p in (ROOT / "book").iterdir() if p.suffix in (".md", ".ipynb"))
TRAINERS = {
    "catsdogs.load_tensors": catsdogs.load_tensors,
    "catsdogs.train": catsdogs.train,
    "echo.train_echo": echo.train_echo,
    "echo.train_variable_delay": echo.train_variable_delay,
    "loss_curves.train": loss_curves.train,
}


def test_imported_modules_reads_every_import_form():
    code = """
%matplotlib inline
import numpy as np
import hw2
from hw2 import echo, plotting as p
from hw2.conv import conv_output_shape
import hw2.diagrams as d
from hw2x import nothing
"""
    assert sources.imported_modules(code) == {"__init__", "echo", "plotting", "conv",
                                              "diagrams"}
    inside = "from . import plotting\nfrom .cache import cached\nfrom .runtime import Timer\n"
    assert sources.imported_modules(inside) == {"plotting", "cache", "runtime"}
    assert sources.imported_modules("import numpy") == set()


def test_page_code_skips_prose_and_cell_options():
    text = """# Title

Prose that says from hw2 import nothing.

```{code-cell} ipython3
:tags: [hide-input]
from hw2 import conv
```

```{code-cell} ipython3
---
tags: [remove-cell]
---
from hw2.echo import train_echo
```
"""
    assert sources.imported_modules(sources.page_code(text, ".md")) == {"__init__", "conv",
                                                                         "echo"}
    with pytest.raises(ValueError, match="suffix"):
        sources.page_code(text, ".rst")


def test_dependencies_follow_imports_inside_the_package():
    assert sources.dependencies(["echo"]) == ["cache", "checks", "echo", "runtime", "sources"]
    assert sources.dependencies(["hw2.diagrams"]) == ["diagrams", "plotting"]
    assert sources.dependencies(["hw2.words"]) == ["words"]
    with pytest.raises(ValueError, match="name"):
        sources.module_path("nonexistent")
    with pytest.raises(TypeError, match="name"):
        sources.module_path(3)


def _snapshot():
    pages = {p.name: hw2_sphinx.stamp_page(p.read_text(encoding="utf-8"), p.suffix)[0]
             for p in PAGES}
    keys = {name: cache.source_fingerprint(fn) for name, fn in TRAINERS.items()}
    return pages, keys


def _changed(before, after):
    return {k for k in before if before[k] != after[k]}


def _pages_importing(module):
    return {p.name for p in PAGES
            if module in sources.dependencies(
                sources.imported_modules(sources.page_code(p.read_text(), p.suffix)) or [])}


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    copy = tmp_path / "hw2"
    shutil.copytree(sources.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sources, "PACKAGE_DIR", copy)
    return copy


def test_a_comment_in_diagrams_reruns_only_the_diagram_pages(package_copy):
    pages, keys = _snapshot()
    with open(package_copy / "diagrams.py", "a") as f:
        f.write("\n# a comment\n")
    pages2, keys2 = _snapshot()
    assert _changed(pages, pages2) == _pages_importing("diagrams")
    assert _changed(pages, pages2) == {"gated_rnn.md", "attention_rnn.md"}
    assert _changed(keys, keys2) == set()  # nothing retrains


def test_a_change_in_echo_retrains_only_echo(package_copy):
    pages, keys = _snapshot()
    path = package_copy / "echo.py"
    path.write_text(path.read_text().replace("def train_echo(", "def train_echo(  ", 1))
    pages2, keys2 = _snapshot()
    assert _changed(keys, keys2) == {"echo.train_echo", "echo.train_variable_delay"}
    assert _changed(pages, pages2) == {"echo.ipynb"}


def test_a_change_in_a_shared_module_reaches_every_user(package_copy):
    pages, keys = _snapshot()
    with open(package_copy / "runtime.py", "a") as f:
        f.write("\n# a comment\n")
    pages2, keys2 = _snapshot()
    assert _changed(keys, keys2) == set(TRAINERS)
    assert _changed(pages, pages2) == _pages_importing("runtime")
    assert "references.md" not in _changed(pages, pages2)  # runs no hw2


def test_stamp_lands_in_the_first_code_cell_only():
    text = (ROOT / "book" / "intro.md").read_text()
    stamped, files = hw2_sphinx.stamp_page(text, ".md")
    assert stamped.count(hw2_sphinx.STAMP) == 1
    assert {f.name for f in files} == {"__init__.py", "checks.py", "glue.py", "runtime.py"}
    assert len(stamped.splitlines()) == len(text.splitlines()) + 1  # one option line
    fingerprint = sources.fingerprint(["hw2", "glue", "runtime"])
    assert f":{hw2_sphinx.STAMP}: {fingerprint} torch==" in stamped
    plain = "# no code\n"
    assert hw2_sphinx.stamp_page(plain, ".md") == (plain, [])
