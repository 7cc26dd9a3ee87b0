"""Practical part B's evaluation: the homework's check of a trained echo model (B.3,
B.5) and the bars it is held to, the homework's and the book's own.

The check runs a model's ``test_run`` on random strings and compares ``s[:-d]`` with
``result[d:]`` character by character (the whole strings for ``d = 0``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from ._validate import check_int
from .echo_data import LETTERS

__all__ = [
    "AIM_FIXED",
    "AIM_VARIABLE",
    "HOMEWORK",
    "Aim",
    "FixedEcho",
    "VariableEcho",
    "accuracy_per_delay",
    "aim_table",
    "aims",
    "echo_hits",
    "first_difference",
    "homework_accuracy",
    "homework_strings",
    "meets",
    "variable_delay_accuracy",
]


class FixedEcho(Protocol):
    """What the B.3 check needs of a model: the homework's ``test_run(s)``."""

    def test_run(self, s: str) -> str: ...


class VariableEcho(Protocol):
    """What the B.5 check needs: ``test_run(s, delay)`` for delays ``0 ... max_delay``."""

    max_delay: int

    def test_run(self, s: str, delay: int) -> str: ...


def homework_strings(
    n: int = 500,
    seed: int = 0,
    lengths: tuple[int, int] = (15, 25),
    delay: int = 4,
    max_delay: int | None = None,
) -> Iterator[tuple[str, int]]:
    """The strings and delays of the homework's checks, ``(s, d)`` ``n`` times: random
    strings of a length drawn from ``lengths`` (inclusive; one number when both ends
    agree), each with ``delay``, or with a delay drawn from ``0 ... max_delay`` after it."""
    rng = random.Random(seed)
    for _ in range(n):
        length = lengths[0] if lengths[0] == lengths[1] else rng.randint(*lengths)
        s = "".join(rng.choice(LETTERS) for _ in range(length))
        yield s, delay if max_delay is None else rng.randint(0, max_delay)


def echo_hits(s: str, d: int, result: str) -> tuple[int, int]:
    """The homework's comparison: characters of ``s[:-d]`` that ``result[d:]`` repeats
    (the whole strings for ``d = 0``), and how many there are to repeat."""
    expected, got = (s, result) if d == 0 else (s[:-d], result[d:])
    return sum(a == b for a, b in zip(expected, got)), len(expected)


def first_difference(s: str, d: int, result: str) -> int | None:
    """Where ``result`` first fails the homework's comparison (:func:`echo_hits`): the
    index in ``result`` of the first character that does not repeat ``s`` (a missing
    one counts), or ``None`` when every one does."""
    expected, got = (s, result) if d == 0 else (s[:-d], result[d:])
    return next((i + d for i, a in enumerate(expected) if i >= len(got) or got[i] != a), None)


def homework_accuracy(model: FixedEcho, delay: int = 4, n: int = 500, seed: int = 0) -> float:
    """Part B.3, the homework's check: ``n`` random strings of length 15-25; compare
    ``s[:-delay]`` with ``result[delay:]`` character by character; return the accuracy
    (a fraction)."""
    check_int("n", n, low=1)
    counts = [
        echo_hits(s, d, model.test_run(s)) for s, d in homework_strings(n, seed, (15, 25), delay)
    ]
    return sum(h for h, _ in counts) / sum(t for _, t in counts)


def _hits_by_delay(
    model: VariableEcho, n: int, seq_length: int, seed: int
) -> dict[int, tuple[int, int]]:
    """Part B.5's comparison summed per delay: ``{d: (hits, characters)}``."""
    check_int("n", n, low=1)
    check_int("seq_length", seq_length, low=model.max_delay + 1)
    counts = {d: (0, 0) for d in range(model.max_delay + 1)}
    lengths = (seq_length, seq_length)
    for s, d in homework_strings(n, seed, lengths, max_delay=model.max_delay):
        hits, total = echo_hits(s, d, model.test_run(s, d))
        counts[d] = (counts[d][0] + hits, counts[d][1] + total)
    return counts


def variable_delay_accuracy(
    model: VariableEcho, n: int = 500, seq_length: int = 20, seed: int = 0
) -> float:
    """Part B.5, the homework's check: ``n`` strings of length ``seq_length``, each with
    a random delay in ``0 ... model.max_delay``; compare ``s[:-d]`` with ``result[d:]``
    (whole strings for ``d = 0``); return the accuracy over all characters (a fraction)."""
    counts = _hits_by_delay(model, n, seq_length, seed).values()
    return sum(h for h, _ in counts) / sum(t for _, t in counts)


def accuracy_per_delay(
    model: VariableEcho, n: int = 500, seq_length: int = 20, seed: int = 0
) -> dict[int, float]:
    """The strings of :func:`variable_delay_accuracy` (the same ones, for the same
    arguments), scored per delay: ``{d: accuracy}`` for each delay drawn."""
    counts = _hits_by_delay(model, n, seq_length, seed)
    return {d: h / t for d, (h, t) in counts.items() if t}


@dataclass(frozen=True)
class Aim:
    """A bar for a trained echo model."""

    accuracy: float  # on the homework's check, a fraction
    seconds: float  # of training, at most
    worst_delay: float = 0.0  # the variable model: accuracy at every delay, at least


HOMEWORK = Aim(accuracy=0.99, seconds=600.0)  # the homework's (10 minutes on a GPU)
# The book's own, on a 2-core CPU: whether a build meets them depends on the machine.
AIM_FIXED = Aim(accuracy=0.999, seconds=20.0)
AIM_VARIABLE = Aim(accuracy=0.999, seconds=60.0, worst_delay=0.99)


def aims() -> dict[str, float]:
    """The homework's bar and the book's aims, as numbers by glue name: accuracies in
    percent, training times in seconds (the homework's in minutes)."""
    return dict(
        homework_acc=100 * HOMEWORK.accuracy,
        homework_minutes=HOMEWORK.seconds / 60,
        aim_acc=100 * AIM_FIXED.accuracy,
        aim_fixed_s=AIM_FIXED.seconds,
        aim_var_s=AIM_VARIABLE.seconds,
        aim_worst=100 * AIM_VARIABLE.worst_delay,
    )


def meets(aim: Aim, accuracy: float, seconds: float, worst_delay: float = 1.0) -> bool:
    """Whether a model that scored ``accuracy`` on the check (``worst_delay`` at its
    worst delay, fractions) after ``seconds`` of training meets ``aim``."""
    if not isinstance(aim, Aim):
        raise TypeError(f"aim must be an echo.Aim, got {type(aim).__name__}")
    return bool(
        accuracy >= aim.accuracy and seconds <= aim.seconds and worst_delay >= aim.worst_delay
    )


def aim_table(aim: Aim, accuracy: float, seconds: float, worst_delay: float | None = None) -> str:
    """A Markdown table: ``aim`` against what a model scored (fractions) and how long it
    trained, a row each, with the worst delay's row when ``worst_delay`` is given, and
    whether the model met the aim."""
    rows = [
        ("check accuracy", f"at least {100 * aim.accuracy:g}%", f"{100 * accuracy:.2f}%"),
        ("training time", f"at most {aim.seconds:g} s", f"{seconds:.1f} s"),
    ]
    if worst_delay is not None:
        bar = f"at least {100 * aim.worst_delay:g}%"
        rows.append(("accuracy at the worst delay", bar, f"{100 * worst_delay:.2f}%"))
    met = meets(aim, accuracy, seconds, 1.0 if worst_delay is None else worst_delay)
    rows.append(("aim met", "", "yes" if met else "no"))
    head = ["| | the book's aim | this build |", "|:---|---:|---:|"]
    return "\n".join([*head, *(f"| {a} | {b} | {c} |" for a, b, c in rows)])
