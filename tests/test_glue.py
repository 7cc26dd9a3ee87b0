"""hw2.book.glue: myst-nb's glue in the book, harmless without it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from hw2.book import glue as glue_module
from hw2.book.glue import GLUED, glue, glue_all


def test_glue_without_myst_nb_keeps_the_value(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb now fails
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    glue("answer", 42, display=False)
    assert GLUED["answer"] == 42 and shown == []
    glue("shown", 1.5)
    assert shown == [1.5]


def test_glue_uses_myst_nb_when_present(monkeypatch):
    calls = []

    class FakeMystNb:
        @staticmethod
        def glue(name, value, display=True):
            calls.append((name, value, display))

    monkeypatch.setitem(sys.modules, "myst_nb", FakeMystNb)
    glue("x", 3, display=False)
    assert calls == [("x", 3, False)] and glue_module.GLUED["x"] == 3


def test_glue_names_must_be_strings():
    with pytest.raises(TypeError, match="name"):
        glue(3, 3)


def test_glue_all_glues_each_value_unseen(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    glue_all({"a": 1, "b": "two"})
    assert (GLUED["a"], GLUED["b"], shown) == (1, "two", [])
    with pytest.raises(TypeError, match="values"):
        glue_all([("a", 1)])


# --- the built book: glued values are numbers, never words -----------------------------

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "jupyter_execute" / "book"
# Words that carry grammar: a glued value holding one is part of a sentence built in code.
GRAMMAR = {
    "a",
    "above",
    "an",
    "and",
    "are",
    "below",
    "but",
    "did",
    "do",
    "does",
    "fail",
    "fails",
    "is",
    "it",
    "its",
    "lower",
    "met",
    "no",
    "none",
    "not",
    "or",
    "pass",
    "passes",
    "rather",
    "still",
    "than",
    "that",
    "the",
    "this",
    "was",
    "were",
    "which",
    "within",
}


def _glued_text() -> list[tuple[str, str, str]]:
    """(page, name, text) of every glued value the build shows as plain text (figures
    and tables have a richer form and are left out)."""
    if not EXECUTED.is_dir():
        pytest.fail("no built book: run `bash scripts/build_book.sh` before the tests")
    found = []
    for path in sorted(EXECUTED.glob("*.glue.json")):
        for name, value in json.loads(path.read_text()).items():
            data = value.get("data", {}) if isinstance(value, dict) else {}
            if set(data) - {"text/plain"}:
                continue  # a figure or a table
            text = data.get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            found.append((path.name.split(".")[0], name, text.strip("'\"")))
    return found


@pytest.mark.html
def test_no_glued_value_is_a_sentence_or_a_grammar_word():
    """Glue carries numbers and quantities; words are written in the page by hand."""
    number_list = re.compile(r"[-\d.,%\s]+(\sand\s[-\d.]+%?)?")  # "31, 48 and 53"
    words = [
        (page, name, text)
        for page, name, text in _glued_text()
        if not number_list.fullmatch(text)
        and (
            GRAMMAR & set(re.findall(r"[a-z]+", text.lower()))
            or len(re.findall(r"[A-Za-z]{2,}", text)) > 4
        )
    ]
    assert not words, "glued words: " + "; ".join(f"{p}:{n}={t[:50]!r}" for p, n, t in words)
