"""English for sentences that code builds: counts, lists and epochs that read right for
none, one and many (every page whose prose is chosen by code)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["count", "epochs", "series"]

_NUMBERS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten"]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "jump") == "one jump"``, ``count(12, "run") == "12 runs"``,
    ``count(0, "update") == "no updates"``: small numbers in words."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    word = noun if n == 1 else (plural or f"{noun}s")
    return f"{_NUMBERS[n] if n < len(_NUMBERS) else n} {word}"


def series(items: Iterable[object], conjunction: str = "and") -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"`` (``""`` for no items)."""
    parts = [str(item) for item in items]
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def epochs(values: Iterable[int]) -> str:
    """``"no epoch"``, ``"epoch 5"``, ``"epochs 5, 7 and 9"``."""
    values = list(values)
    if not values:
        return "no epoch"
    return f"epoch{'s' if len(values) > 1 else ''} {series(values)}"
