"""hw2._validate: one argument check, errors that name the argument."""

from __future__ import annotations

import pytest

from hw2._validate import check_int


def test_check_int_returns_good_values():
    assert check_int("n", 3, low=1) == 3
    assert check_int("t", 0, 0, 5) == 0 and check_int("t", 5, 0, 5) == 5
    assert check_int("x", -7) == -7


@pytest.mark.parametrize("value", [1.0, "1", None, True, False])
def test_check_int_rejects_other_kinds(value):
    with pytest.raises(TypeError, match="^n must be an int"):
        check_int("n", value, low=0)


@pytest.mark.parametrize(
    "value, low, high, rule", [(0, 1, None, ">= 1"), (6, 0, 5, "in 0 ... 5"), (4, None, 3, "<= 3")]
)
def test_check_int_rejects_values_out_of_range(value, low, high, rule):
    with pytest.raises(ValueError, match=f"^n must be an int {rule}, got {value}$"):
        check_int("n", value, low, high)
