"""hw2.glue: myst-nb's glue in the book, harmless without it."""

from __future__ import annotations

import sys

import pytest

from hw2 import glue as glue_module
from hw2.glue import GLUED, glue, glue_all


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
