"""hw2.book.sources and the book's extension: an edit re-runs exactly what it can change."""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from hw2 import catsdogs, echo, loss_curves
from hw2.book import cache, sources

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
    assert sources.imported_modules(code) == {"__init__", "echo", "plotting", "conv", "diagrams"}
    inside = "from . import plotting\nfrom .book.cache import cached\nfrom .runtime import Timer\n"
    assert sources.imported_modules(inside, package=[]) == {
        "plotting",
        "book",
        "book.cache",
        "runtime",
    }
    assert sources.imported_modules(inside) == set()  # outside the package: not hw2's
    # In a subpackage, "." is that subpackage and ".." is hw2.
    nested = "from . import engine\nfrom ..echo import HOMEWORK\nfrom .. import conv\n"
    assert sources.imported_modules(nested, package=["check"]) == {
        "check",
        "check.engine",
        "echo",
        "conv",
    }
    assert sources.imported_modules("from hw2.check import cnn") == {
        "__init__",
        "check",
        "check.cnn",
    }
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
    assert sources.imported_modules(sources.page_code(text, ".md")) == {"__init__", "conv", "echo"}
    with pytest.raises(ValueError, match="suffix"):
        sources.page_code(text, ".rst")


def test_dependencies_follow_imports_inside_the_package():
    assert sources.dependencies(["echo"]) == [
        "_validate",
        "book",
        "book.cache",
        "book.sources",
        "echo",
        "echo_data",
        "echo_eval",
        "echo_models",
        "echo_train",
        "runtime",
    ]
    assert sources.dependencies(["hw2.diagrams"]) == ["book", "book.phone", "diagrams", "plotting"]
    assert sources.dependencies(["hw2._validate"]) == ["_validate"]
    assert sources.dependencies(["hw2.book.glue"]) == ["book.glue"]
    with pytest.raises(ValueError, match="name"):
        sources.module_path("nonexistent")
    with pytest.raises(TypeError, match="name"):
        sources.module_path(3)


def _snapshot():
    pages = {
        p.name: hw2_sphinx.stamp_page(p.read_text(encoding="utf-8"), p.suffix)[0] for p in PAGES
    }
    keys = {name: cache.source_fingerprint(fn) for name, fn in TRAINERS.items()}
    return pages, keys


def _changed(before, after):
    return {k for k in before if before[k] != after[k]}


def _pages_importing(module):
    return {
        p.name
        for p in PAGES
        if module
        in sources.dependencies(
            sources.imported_modules(sources.page_code(p.read_text(), p.suffix)) or []
        )
    }


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


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_a_docstring_or_comment_in_catsdogs_retrains_nothing(package_copy):
    """(a) of the edit-cost rule: the CNN page runs again, the CNN is not retrained."""
    pages, keys = _snapshot()
    _edit(package_copy / "catsdogs.py", '"""Step 4, first piece', '"""Step 4, the first piece')
    _edit(package_copy / "catsdogs.py", "def _train(", "# a comment\ndef _train(")
    pages2, keys2 = _snapshot()
    assert _changed(keys, keys2) == set()
    # The pages that run catsdogs.py run again (hw2.check reads its validation images).
    assert _changed(pages, pages2) == _pages_importing("catsdogs")
    assert "catsdogs.md" in _changed(pages, pages2) and "intro.md" not in _changed(pages, pages2)


def test_code_the_trainer_never_reaches_retrains_nothing(package_copy):
    _, keys = _snapshot()
    _edit(
        package_copy / "catsdogs_model.py",
        "if not images:\n        return []",
        "if not images:\n        return list()",
    )  # predict: code, but not training's
    _edit(package_copy / "spikes.py", "def max_rise(", "def max_rise(  ")
    _edit(
        package_copy / "spikes.py",
        "return float(np.max(_rises(losses)))",
        "return float(_rises(losses).max())",
    )  # a metric
    _edit(
        package_copy / "loss_curves.py", "return gen.batch()", "return tuple(gen.batch())"
    )  # next_test_batch: beside the trainer
    assert ("catsdogs_model", "predict") not in sources.reachable("catsdogs", "train")
    assert _changed(keys, _snapshot()[1]) == set()


def test_a_change_in_echo_retrains_only_echo(package_copy):
    pages, keys = _snapshot()
    _edit(package_copy / "echo_train.py", "def _train(", "def _train_steps(")
    _edit(package_copy / "echo_train.py", "_train(", "_train_steps(")
    pages2, keys2 = _snapshot()
    assert _changed(keys, keys2) == {"echo.train_echo", "echo.train_variable_delay"}
    assert _changed(pages, pages2) == _pages_importing("echo_train")  # echo, hw2.check's users
    assert "echo.md" in _changed(pages, pages2) and "intro.md" not in _changed(pages, pages2)


def test_a_change_in_the_echo_check_retrains_nothing(package_copy):
    _, keys = _snapshot()
    _edit(
        package_copy / "echo_eval.py",
        "return sum(h for h, _ in counts)",
        "return sum(hits for hits, _ in counts)",
    )
    assert _changed(keys, _snapshot()[1]) == set()


def test_a_change_to_the_fix_retrains_only_the_runs_that_use_it(package_copy):
    """(b): the fix's configuration is an argument of the runs that use it, and no part
    of the trainer's code, so editing it changes exactly those runs' keys."""
    lc, R = loss_curves, loss_curves.Recipe
    runs = (
        [dict(recipe=r) for r in (lc.SECTION8, R(clip=1.0), R(lr=3e-4), lc.FIX)]
        + [dict(recipe=lc.FIX, data_seed=seed) for seed in (11, 12)]
        + [dict(recipe=lc.SECTION8, arithmetic="aten-default")]
    )
    before = [lc.train.key(**run) for run in runs]
    _, keys = _snapshot()
    _edit(package_copy / "loss_curves.py", "FIX = Recipe(lr=1.5e-3", "FIX = Recipe(lr=1.6e-3")
    assert _changed(keys, _snapshot()[1]) == set()  # the trainer's code is the same
    new_fix = replace(lc.FIX, lr=1.6e-3)  # what lc.FIX is after the edit
    after = [
        lc.train.key(**{**run, "recipe": new_fix if run["recipe"] is lc.FIX else run["recipe"]})
        for run in runs
    ]
    retrained = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert retrained == [i for i, run in enumerate(runs) if run["recipe"] is lc.FIX]


def test_a_change_in_a_shared_function_reaches_every_user(package_copy):
    pages, keys = _snapshot()
    with open(package_copy / "runtime.py", "a") as f:
        f.write("\n# a comment\n")
    pages2, keys2 = _snapshot()
    assert _changed(keys, keys2) == set()  # a comment retrains nothing ...
    assert _changed(pages, pages2) == _pages_importing("runtime")  # ... pages run again
    assert "references.md" not in _changed(pages, pages2)  # runs no hw2
    _edit(package_copy / "runtime.py", "def pick_device(", "def pick_device(  ")
    assert _changed(keys, _snapshot()[1]) == set()  # layout only
    text = (package_copy / "runtime.py").read_text()
    start = text.index("def pick_device(")
    body = text.index("\n", text.index('"""', text.index('"""', start) + 3)) + 1
    (package_copy / "runtime.py").write_text(
        text[:body] + "    assert True\n" + text[body:]
    )  # code every trainer runs
    assert _changed(keys, _snapshot()[1]) == set(TRAINERS) - {"catsdogs.load_tensors"}


def test_reachable_follows_names_not_local_variables(package_copy):
    (package_copy / "toy.py").write_text(
        "def train():\n    pass\n\n\ndef split():\n    train = 1\n    return train\n"
    )
    assert ("toy", "train") not in sources.reachable("toy", "split")  # a local `train`
    found = sources.reachable("catsdogs", "load_tensors")  # imported from catsdogs_data
    assert ("catsdogs_data", "load_tensors") in found
    assert ("catsdogs_data", "folder_datasets") in found and ("download", "identity") in found
    assert not any(module in sources.NOT_FOLLOWED for module, _ in found)
    train = sources.reachable("loss_curves", "train")
    assert ("loss_curves", "FIX") not in train and ("loss_curves", "plot_curves") not in train
    assert ("temporal_order", "make_generators") in train and ("runtime", "progress") in train


def test_stamp_lands_in_the_first_code_cell_only():
    text = (ROOT / "book" / "intro.md").read_text()
    stamped, files = hw2_sphinx.stamp_page(text, ".md")
    assert stamped.count(hw2_sphinx.STAMP) == 1
    assert {str(f.relative_to(sources.PACKAGE_DIR)) for f in files} == {
        "__init__.py",
        "_validate.py",
        "book/__init__.py",
        "book/glue.py",
        "runtime.py",
    }
    assert len(stamped.splitlines()) == len(text.splitlines()) + 1  # one option line
    fingerprint = sources.fingerprint(["hw2", "book", "book.glue", "runtime"])
    assert f":{hw2_sphinx.STAMP}: {fingerprint} torch==" in stamped
    plain = "# no code\n"
    assert hw2_sphinx.stamp_page(plain, ".md") == (plain, [])
