"""The machinery behind :mod:`hw2.check`: try a student's answer on many cases, shrink a
failure to the smallest case that still fails, and say so in a :class:`Report`.

A check never raises because an answer is wrong or crashes: everything a student's code
does (an exception, a NaN, a wrong shape, a call slower than :data:`CALL_LIMIT`) ends
in a failing report. Cases come from hypothesis, derandomized (the same cases on every
run), and its shrinking gives the smallest failing case found; a whole check stops after
:data:`TIME_LIMIT` seconds.
"""

from __future__ import annotations

import ast
import functools
import inspect
import signal
import textwrap
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import strategies as st

__all__ = [
    "CALL_LIMIT",
    "TIME_LIMIT",
    "Failure",
    "Report",
    "call",
    "compare",
    "question",
    "search",
    "show",
]

TIME_LIMIT = 4.0  # seconds a whole check may spend trying cases
CALL_LIMIT = 1.0  # seconds one call of the student's function may take
MIN_CASES = 20  # a check that runs out of time passes only after this many cases


@dataclass
class Failure:
    """The smallest failing case found: its inputs, what was expected and received
    (as text), where they first differ, and why the case fails."""

    why: str
    inputs: dict[str, object] = field(default_factory=dict)
    expected: str = ""
    received: str = ""
    where: str = ""
    label: str = "Smallest failing case found"


@dataclass
class Report:
    """What a check found. ``bool(report)`` is whether the answer passed. It shows as
    Markdown in a notebook and as text in a terminal (``print(report)``)."""

    passed: bool
    cases: int  # how many cases the answer was run on
    tried: str  # over what: shapes, value ranges, special values
    seconds: float
    failure: Failure | None = None
    notes: tuple[str, ...] = ()  # choices the check makes (a reading, a convention)
    question: str = ""  # the homework's number, e.g. "1.1(c)(ii)": set by @question

    def __bool__(self) -> bool:
        return self.passed

    def _head(self) -> str:
        cases = f"{self.cases} case{'s' if self.cases != 1 else ''}"
        if self.passed:
            return f"PASSED {self.question}: {cases} in {self.seconds:.1f} s, {self.tried}."
        return f"FAILED {self.question}: {self.failure.why}"

    def _blocks(self) -> list[tuple[str, str]]:
        """(label, code) pairs: the failing case's inputs, expected, received."""
        f = self.failure
        if f is None:
            return []
        blocks = []
        if f.inputs:
            runs = f"{self.cases} case{'s' if self.cases != 1 else ''} run"
            blocks.append(
                (f"{f.label} ({runs}):", "\n".join(_assign(k, v) for k, v in f.inputs.items()))
            )
        blocks += [
            (label, text)
            for label, text in [("Expected:", f.expected), ("Received:", f.received)]
            if text
        ]
        return blocks

    def _tail(self) -> str:
        return (
            f"First difference: {self.failure.where}."
            if self.failure and self.failure.where
            else ""
        )

    def __str__(self) -> str:
        lines = [self._head(), *self.notes]
        for label, text in self._blocks():
            lines += [label, "    " + text.replace("\n", "\n    ")]
        return "\n".join(line for line in [*lines, self._tail()] if line)

    def _repr_markdown_(self) -> str:
        mark = "✓" if self.passed else "✗"
        verdict, rest = self._head().split(": ", 1)
        parts = [f"**{mark} {verdict}:** {rest}", *self.notes]
        parts += [f"{label}\n```\n{text}\n```" for label, text in self._blocks()]
        return "\n\n".join(p for p in [*parts, self._tail()] if p)


def _assign(name: str, value: object) -> str:
    """``name = value``, continuation lines aligned under the value."""
    return f"{name} = " + show(value).replace("\n", "\n" + " " * (len(name) + 3))


def _is_blank(fn: object) -> bool:
    """Whether ``fn`` is a function whose body is only ``...`` (and a docstring)."""
    if not inspect.isfunction(fn) or fn.__name__ == "<lambda>":
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = tree.body[0].body if tree.body and hasattr(tree.body[0], "body") else [None]
    return all(
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and (node.value.value is ... or isinstance(node.value.value, str))
        for node in body
    )


def question(number: str) -> Callable[[Callable[..., Report]], Callable[..., Report]]:
    """Mark a check as the check of question ``number``, which its reports carry. An
    answer still ``...``, or a function whose body is only ``...`` (the workbook's
    blanks), gives a failing report that says so, not an error."""

    def mark(check: Callable[..., Report]) -> Callable[..., Report]:
        @functools.wraps(check)
        def checked(answer: object, *args: object, **kwargs: object) -> Report:
            if answer is ... or _is_blank(answer):
                report = Report(
                    False,
                    0,
                    "",
                    0.0,
                    Failure("no answer yet: replace the ... with your answer and run the check"),
                )
            else:
                report = check(answer, *args, **kwargs)
            return replace(report, question=number)

        return checked

    return mark


def show(value: object, digits: int = 4) -> str:
    """A value as a student would type it: tensors and arrays with ``digits`` digits."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and np.isfinite(value).all() and (value == value.round()).all():
            value = value.astype(np.int64)  # whole numbers read as such: [1 3 3]
        return np.array2string(
            value, precision=digits, suppress_small=True, max_line_width=88, separator=", "
        )  # pastes as a list
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, (torch.Tensor, np.ndarray)) for v in value)
    ):
        return "[" + ",\n ".join(show(v, digits) for v in value) + "]"
    return repr(value)


class _OutOfTime(BaseException):
    """Raised inside a slow call; a BaseException, so hypothesis does not shrink it."""


class _Wrong(Exception):
    """A case failed (hypothesis shrinks it)."""


def _last_line(error: BaseException) -> str:
    return traceback.format_exception_only(type(error), error)[-1].strip()


def call(fn: Callable, *args: object, limit: float = CALL_LIMIT) -> tuple[object, str | None]:
    """``fn(*args)`` as ``(result, None)``, or ``(None, why)`` when it raises or takes more
    than ``limit`` seconds (interrupted where the platform allows)."""
    timer = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    armed = [timer]  # the alarm interrupts only while the student's call may still run

    def alarm(*_: object) -> None:
        if armed[0]:
            raise _OutOfTime

    if timer:
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        try:
            result = fn(*args)
        finally:  # disarmed before anything else runs: a late alarm lands in this try
            if timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
            armed[0] = False
    except _OutOfTime:
        return None, f"one call took more than {limit:g} s and was stopped"
    except Exception as error:  # the student's code: any error is a finding
        return None, f"your function raised {_last_line(error)}"
    finally:
        if timer:
            signal.signal(signal.SIGALRM, previous)
    if time.perf_counter() - start > limit:
        return None, f"one call took {time.perf_counter() - start:.1f} s (limit {limit:g} s)"
    return result, None


def _as_tensor(value: object) -> torch.Tensor | None:
    """A tensor, a NumPy array or nested lists of numbers as a float64 tensor."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().to(torch.float64)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return torch.from_numpy(array)


def _why_wrong(got: torch.Tensor) -> str:
    if bool(got.isnan().any()):
        return "your answer contains NaN"
    if bool(got.isinf().any()):
        return "your answer contains an infinite value"
    return "wrong value"


def _value_failure(want: torch.Tensor, got: torch.Tensor, rtol: float) -> Failure | None:
    """``None`` if ``got`` equals ``want`` (same shape) within ``rtol``, relative to the
    largest expected entry; else the first entry that differs."""
    scale = float(want.abs().max()) if want.numel() else 0.0
    bad = ~torch.isclose(got, want, rtol=rtol, atol=rtol * max(scale, 1e-3))
    if not bool(bad.any()):
        return None
    where = tuple(int(i) for i in bad.nonzero()[0])
    return Failure(
        _why_wrong(got),
        expected=show(want),
        received=show(got),
        where=f"at index {list(where)} (0-based), expected "
        f"{want[where].item():.6g}, got {got[where].item():.6g}",
    )


def compare(
    expected: torch.Tensor, received: object, rtol: float = 1e-4, squeeze: bool = True
) -> Failure | None:
    """``None`` if ``received`` equals ``expected`` within ``rtol`` (relative to the
    largest expected entry), else a :class:`Failure` saying how it differs. With
    ``squeeze``, size-1 axes may be left out or added."""
    if received is None:
        return Failure("your function returned None: is it filled in, and does it return?")
    got = _as_tensor(received)
    if got is None:
        return Failure(f"your function returned {type(received).__name__}, not an array of numbers")
    want = expected.detach().to(torch.float64)
    if got.shape != want.shape:
        if squeeze and got.squeeze().shape == want.squeeze().shape:
            got = got.reshape(want.shape)
        else:
            extra = " (size-1 axes may be left out)" if squeeze else ""
            return Failure(
                f"wrong shape: expected {tuple(want.shape)}{extra}, got {tuple(got.shape)}",
                expected=f"shape {tuple(want.shape)}",
                received=f"shape {tuple(got.shape)}",
            )
    return _value_failure(want, got, rtol)


def _hypothesis_test(
    cases: st.SearchStrategy,
    body: Callable[[object], None],
    special: Sequence[object],
    max_examples: int,
) -> Callable[[], None]:
    """``body`` as a hypothesis test: the ``special`` cases first, then ``max_examples``
    drawn from ``cases`` (the same ones on every run), a failure shrunk."""
    test = given(cases)(body)
    for case in reversed(special):
        test = example(case)(test)
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
    )(test)


def _run(test: Callable[[], None], failures: list[Failure]) -> bool:
    """Run a hypothesis test; returns whether it ran out of time. A verdict of
    hypothesis's own (a flaky answer, ...) becomes a failure if there is none yet."""
    try:
        test()
    except _Wrong:
        pass
    except _OutOfTime:
        return True
    except Exception as error:
        if not failures:
            failures.append(Failure(f"the check could not finish: {_last_line(error)}"))
    return False


def search(
    tried: str,
    cases: st.SearchStrategy,
    trial: Callable[[object], Failure | None],
    max_examples: int = 150,
    special: Sequence[object] = (),
    notes: Sequence[str] = (),
) -> Report:
    """Run ``trial`` on ``special`` cases and on ``max_examples`` cases drawn from
    ``cases``; a trial returns ``None`` (right) or a :class:`Failure` (its inputs filled
    in). The first failure is shrunk; the report gives the smallest one found."""
    start = time.perf_counter()
    count = 0
    failures: list[Failure] = []

    def body(case: object) -> None:
        nonlocal count
        if time.perf_counter() - start > TIME_LIMIT:
            raise _OutOfTime
        count += 1
        failure = trial(case)
        if failure is not None:
            failures.append(failure)
            raise _Wrong

    out_of_time = _run(_hypothesis_test(cases, body, special, max_examples), failures)
    seconds, notes = time.perf_counter() - start, tuple(notes)
    if failures:
        if out_of_time:
            notes += (f"(Shrinking stopped at the {TIME_LIMIT:g} s limit.)",)
        return Report(False, count, tried, seconds, failures[-1], notes)
    if out_of_time and count < MIN_CASES:
        why = f"too slow: {count} cases in {TIME_LIMIT:g} s; a check needs at least {MIN_CASES}"
        return Report(False, count, tried, seconds, Failure(why), notes)
    return Report(True, count, tried, seconds, None, notes)
