"""English for code-built sentences: none, one and many."""

from __future__ import annotations

import pytest

from hw2 import words


def test_count():
    assert words.count(0, "update") == "no updates"
    assert words.count(1, "jump") == "one jump"
    assert words.count(3, "run") == "three runs"
    assert words.count(12, "step") == "12 steps"
    assert words.count(2, "batch", "batches") == "two batches"
    with pytest.raises(ValueError, match="n must"):
        words.count(-1, "run")
    with pytest.raises(ValueError, match="n must"):
        words.count(1.0, "run")


def test_series_and_epochs():
    assert words.series([]) == ""
    assert words.series([4]) == "4"
    assert words.series([4, 5]) == "4 and 5"
    assert words.series(["a", "b", "c"], "or") == "a, b or c"
    assert words.epochs([]) == "no epoch"
    assert words.epochs([7]) == "epoch 7"
    assert words.epochs([7, 9, 11]) == "epochs 7, 9 and 11"
