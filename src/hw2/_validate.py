"""Argument checks shared by every module, so that each function shows its formula.

Bad input to a public function raises ``TypeError`` (wrong kind) or ``ValueError``
(right kind, wrong value), and the message names the argument.
"""

from __future__ import annotations

__all__ = ["check_int"]


def check_int(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """``value`` if it is an int (a bool is not) in ``low ... high`` (either bound may be
    ``None``); otherwise ``TypeError`` or ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if (low is not None and value < low) or (high is not None and value > high):
        rule = (
            f"in {low} ... {high}"
            if low is not None and high is not None
            else f">= {low}"
            if low is not None
            else f"<= {high}"
        )
        raise ValueError(f"{name} must be an int {rule}, got {value}")
    return value
