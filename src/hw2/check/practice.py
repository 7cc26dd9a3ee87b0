"""The workbook's checks of the practical parts (A, B, C): a trained CNN, echo models and
a pair of loss curves. :mod:`hw2.check` is the one place to call them from.

Each reads a model as it *runs*, not as it is defined: the CNN's parts are counted
from the layers its forward pass calls, its outputs are read the way students write
heads (two scores, one logit, one probability of "dog"), and the report says which
reading it used. A failure shows its pattern: non-finite outputs are counted, an echo
model's accuracy is given per delay or per position, with a typical failing string
and what its errors have in common.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from torch import nn

from ..echo import HOMEWORK, first_difference, homework_strings
from . import cnn
from .engine import Failure, Report, call, question

__all__ = ["cnn_model", "echo_model", "echo_variable_delay_model", "spike_free"]


def _instance(model: object, method: str, kind: str) -> None:
    """``TypeError`` unless ``model`` is an instance with ``method`` (its signature
    follows in brackets in the message): a class passed for a trained instance is the
    commonest slip."""
    if isinstance(model, type):
        raise TypeError(
            f"model must be a trained {kind} instance, got the class "
            f"{model.__name__} itself: pass the object you trained, "
            f"e.g. model = {model.__name__}(...); train it; then check(model)"
        )
    if not callable(getattr(model, method.split("(")[0], None)):
        raise TypeError(f"model must have a method {method}, got {type(model).__name__}")


def _unmet(problems: list[str], one: str, many: str) -> Failure | None:
    """One failure listing every problem: "2 requirements not met: ...", with ``one``
    and ``many`` the noun in the singular and the plural."""
    if not problems:
        return None
    noun = one if len(problems) == 1 else many
    return Failure(f"{len(problems)} {noun} not met: " + "; ".join(problems))


# --- A: the CNN ------------------------------------------------------------------------


@question("A")
def cnn_model(model: nn.Module, data_dir: str | None = None, size: int | None = None) -> Report:
    """A: the homework's requirements of the CNN (at least two convolutions, batch norm,
    a non-linearity, pooling, a residual connection, a fully connected layer), counted
    from what the forward pass *runs*, and at least 75% accuracy on the homework's 500
    validation images. ``size``: the input resolution (default: ``model.image_size``
    if the model has one, else the homework's 256).

    Outputs are read as students write heads: two or more scores per image (logits,
    probabilities or log-probabilities: the largest is the class, 0 = cat, 1 = dog);
    one output per image in [0, 1] is the probability of "dog" (dog above 0.5); any
    other single output is a logit (dog above 0). The report says which reading it
    used. Non-finite outputs fail the check, counted."""
    from ..catsdogs import HOMEWORK_VAL_ACC

    if isinstance(model, type) or not isinstance(model, nn.Module):
        what = f"the class {model.__name__}" if isinstance(model, type) else type(model).__name__
        raise TypeError(f"model must be a trained torch.nn.Module instance, got {what}")
    start = time.perf_counter()
    size = size or int(getattr(model, "image_size", 256))
    X, y = cnn.validation(data_dir, size)
    ran = cnn.run(model, X)
    parts = cnn.structure(model, ran.found)
    missing = [name for name, ok in parts.has.items() if not ok]
    verdict = cnn.accuracy(ran, y)
    if verdict.problem is not None:
        missing.append(verdict.problem)
    elif verdict.accuracy < HOMEWORK_VAL_ACC:
        missing.append(f"{HOMEWORK_VAL_ACC:.0%} validation accuracy (got {verdict.accuracy:.1%})")
    tried = (
        f"{len(parts.has)} structural requirements and {len(X)} validation "
        f"images at {size} px"
        + (f": accuracy {verdict.accuracy:.1%}" if verdict.accuracy is not None else "")
    )
    failure = _unmet(missing, "requirement", "requirements")
    notes = tuple(n for n in (parts.note, verdict.reading) if n)
    return Report(
        not missing, len(parts.has) + len(X), tried, time.perf_counter() - start, failure, notes
    )


# --- B: echo ---------------------------------------------------------------------------


@dataclass
class _Tally:
    """The homework's character-by-character comparison over many strings, kept per
    delay and per output position, with every wrong character."""

    right: Counter = field(default_factory=Counter)  # (delay, position) -> right
    total: Counter = field(default_factory=Counter)  # (delay, position) -> compared
    # each wrong character: (expected, received, the one before and after expected)
    wrong: list[tuple[str, str, str, str]] = field(default_factory=list)
    # each failing string: (errors, s, delay, result)
    failing: list[tuple[int, str, int, str]] = field(default_factory=list)

    def add(self, s: str, d: int, result: str) -> None:
        expected = s if d == 0 else s[:-d]
        got = result[d:] if d else result
        errors = 0
        for i, want in enumerate(expected):
            have = got[i] if i < len(got) else ""
            self.total[d, i + d] += 1
            if have == want:
                self.right[d, i + d] += 1
                continue
            errors += 1
            before = expected[i - 1] if i > 0 else " "
            after = expected[i + 1] if i + 1 < len(expected) else ""
            self.wrong.append((want, have, before, after))
        if errors:
            self.failing.append((errors, s, d, result))

    def accuracy(self) -> float:
        return sum(self.right.values()) / sum(self.total.values())

    def by(self, axis: int) -> dict[int, float]:
        """Accuracy per delay (``axis=0``) or per output position (``axis=1``)."""
        right, total = Counter(), Counter()
        for key, n in self.total.items():
            total[key[axis]] += n
            right[key[axis]] += self.right[key]
        return {k: right[k] / total[k] for k in sorted(total)}

    def typical(self) -> tuple[int, str, int, str]:
        """The failing string with the median number of errors, from the delay that
        holds most errors: what the model typically gets wrong, not a near miss."""
        per_delay = Counter()
        for errors, _, d, _ in self.failing:
            per_delay[d] += errors
        worst = per_delay.most_common(1)[0][0]
        group = sorted((f for f in self.failing if f[2] == worst), key=lambda f: f[0])
        return group[(len(group) - 1) // 2]

    def patterns(self) -> list[str]:
        """What the errors have in common, where at least half of them share it."""
        n, found = len(self.wrong), []
        if not n:
            return found
        letter, count = Counter(have for _, have, _, _ in self.wrong).most_common(1)[0]
        if count >= n / 2:
            name = (
                "the empty symbol (a space)"
                if letter == " "
                else "nothing (the output is too short)"
                if letter == ""
                else repr(letter)
            )
            found.append(f"{count} of the {n} wrong characters are {name}.")
        late = sum(have == before for _, have, before, _ in self.wrong)
        early = sum(have == after and have != "" for _, have, _, after in self.wrong)
        for shifted, how in [
            (late, "one step late (the delay is one too long)"),
            (early, "one step early (the delay is one too short)"),
        ]:
            if shifted >= n / 2:
                found.append(f"{shifted} of the {n} wrong characters repeat the input {how}.")
        errors_at = Counter()
        for key, total in self.total.items():
            errors_at[key[0]] += total - self.right[key]
        delay, most = errors_at.most_common(1)[0]
        if len(errors_at) > 1 and most >= n / 2:
            found.append(f"{most} of the {n} wrong characters are at delay {delay}.")
        return found


def _rates(acc: dict[int, float], name: str) -> str:
    low = min(acc, key=acc.get)
    body = ", ".join(f"{k}: {v:.3f}" for k, v in acc.items())
    lowest = f" (lowest at {name} {low})" if acc[low] < max(acc.values()) else ""
    return f"Accuracy per {name}: {body}{lowest}."


def _echo(
    model: object, strings: Iterator[tuple[str, int]], lengths: str, with_delay: bool
) -> Report:
    """The homework's echo check on ``strings`` (``(s, d)`` pairs): ``model.test_run(s)``
    (``(s, d)`` when ``with_delay``) must repeat ``s[:-d]`` from character ``d`` on;
    passes above 0.99. A failing report gives the accuracy per delay (or per output
    position for one delay), a typical failing string and the errors' pattern."""
    start = time.perf_counter()
    tally, runs = _Tally(), 0
    for runs, (s, d) in enumerate(strings, start=1):
        inputs = {"s": s, "delay": d} if with_delay else {"s": s}
        result, why = call(model.test_run, *inputs.values())
        if why is None and not isinstance(result, str):
            why = f"test_run returned {type(result).__name__}, not a str"
        if why is not None:
            return Report(False, runs, "", time.perf_counter() - start, Failure(why, inputs))
        tally.add(s, d, result)
    accuracy, bar = tally.accuracy(), HOMEWORK.accuracy
    passed = accuracy > bar
    tried = (
        f"the homework's check: strings of length {lengths}; accuracy "
        f"{accuracy:.4f} (needs > {bar:g})"
    )
    notes = [_rates(tally.by(0), "delay")] if with_delay else []
    if passed:
        return Report(True, runs, tried, time.perf_counter() - start, None, tuple(notes))
    if not with_delay:
        notes.append(_rates(tally.by(1), "position"))
    notes += tally.patterns()
    failure = _typical_failure(
        tally, f"accuracy {accuracy:.4f}, the homework needs more than {bar:g}", with_delay
    )
    return Report(False, runs, tried, time.perf_counter() - start, failure, tuple(notes))


def _typical_failure(tally: _Tally, why: str, with_delay: bool) -> Failure:
    """A failure showing the median failing string: what it should read, what the model
    gave, and the first character that differs."""
    errors, s, d, result = tally.typical()
    expected = s if d == 0 else s[:-d]
    return Failure(
        why,
        {"s": s, "delay": d} if with_delay else {"s": s},
        label=f"A typical failing string ({errors} wrong, the median of "
        f"the {len(tally.failing)} failing strings)",
        expected=" " * d + expected,
        received=result,
        where=f"character {first_difference(s, d, result)}",
    )


@question("B.3")
def echo_model(model: object) -> Report:
    """B.3: the homework's check of a trained delay-4 echo model (an instance with
    ``model.test_run(s)``): 500 random strings of length 15-25, accuracy above 0.99. A
    failure shows the accuracy per output position and a typical failing string."""
    _instance(model, "test_run(s)", "echo model")
    return _echo(model, homework_strings(500, 0, (15, 25), delay=4), "15-25", with_delay=False)


B5_DELAYS = 8  # the homework's max_delay: the check draws delays 0 ... 8


@question("B.5")
def echo_variable_delay_model(model: object) -> Report:
    """B.5: the homework's check of a trained variable-delay echo model (an instance
    with ``model.test_run(s, delay)`` and ``model.max_delay``): 500 strings of length
    20, each with a delay drawn from 0 ... 8, the homework's ``max_delay``. A model
    must handle at least those delays; one with a larger ``max_delay`` is still checked
    on 0 ... 8 only, as the homework's check does. The report gives the accuracy per
    delay."""
    _instance(model, "test_run(s, delay)", "variable-delay echo model")
    max_delay = getattr(model, "max_delay", None)
    if isinstance(max_delay, bool) or not isinstance(max_delay, int) or max_delay < B5_DELAYS:
        return Report(
            False,
            0,
            "",
            0.0,
            Failure(
                f"model.max_delay must be the homework's {B5_DELAYS} (or more), got {max_delay!r}"
            ),
        )
    return _echo(
        model, homework_strings(500, 0, (20, 20), max_delay=B5_DELAYS), "20", with_delay=True
    )


# --- C: loss curves --------------------------------------------------------------------

_RAW = (
    "Reads the raw per-epoch values the course plots and prints (each epoch's last "
    "batch loss, the epoch's test accuracy), epochs counted from 1 as the course "
    "prints them; a smoothed curve hides the spikes the rule is about."
)


def _curve(name: str, values: object) -> np.ndarray:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(
            f"{name} must be a sequence of per-epoch values, got {type(values).__name__}"
        )
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must hold numbers: {error}") from None
    if len(arr) < 2:
        raise ValueError(f"{name} needs at least two epochs, got {len(arr)}")
    return arr


def _given(train_loss: object, test_loss: object, test_acc: object) -> tuple:
    """``(train_loss, test_loss, test_acc)`` as given, or read from a history (an object
    with those attributes, or a mapping with those keys) passed alone."""
    if test_loss is None and test_acc is None:
        if isinstance(train_loss, dict):
            history = train_loss
            return history.get("train_loss"), history.get("test_loss"), history.get("test_acc")
        if hasattr(train_loss, "train_loss"):
            history = train_loss
            return tuple(getattr(history, k, None) for k in ("train_loss", "test_loss", "test_acc"))
    return train_loss, test_loss, test_acc


@question("C")
def spike_free(
    train_loss: Sequence[float],
    test_loss: Sequence[float] | None = None,
    test_acc: Sequence[float] | None = None,
) -> Report:
    """C: the chapter's rule for training without spikes (:func:`hw2.spikes.passes`):
    neither plotted loss rises more than ``hw2.spikes.BAR`` above its lowest earlier
    value, and the last epoch's test accuracy is at least ``hw2.spikes.FINAL_ACC``.

    ``train_loss`` and ``test_loss`` are the raw per-epoch values the course plots (the
    last batch's loss of each epoch, not smoothed), ``test_acc`` the test accuracy of
    each epoch (a fraction, or percent as the course prints it: any value above 1 is
    read as percent). A history with attributes or keys ``train_loss``, ``test_loss``
    and ``test_acc`` may be passed alone. Epochs are named from 1, as the course
    prints them."""
    from ..spikes import BAR, FINAL_ACC

    train_loss, test_loss, test_acc = _given(train_loss, test_loss, test_acc)
    start = time.perf_counter()
    curves = {
        "train_loss": _curve("train_loss", train_loss),
        "test_loss": _curve("test_loss", test_loss),
    }
    problems, notes = _rises(curves), [_RAW]
    if test_acc is None:
        problems.append(
            "the final test accuracy: none given (pass test_acc, the test accuracy of each epoch)"
        )
    else:
        problems += _final_accuracy(test_acc, len(curves["test_loss"]), notes)
    tried = (
        f"both loss curves over {len(curves['train_loss'])} epochs and the final test "
        f"accuracy; no rise above {BAR:g}, accuracy at least {FINAL_ACC:.1%}"
    )
    failure = _unmet(problems, "part of the rule", "parts of the rule")
    return Report(not problems, 3, tried, time.perf_counter() - start, failure, tuple(notes))


def _rises(curves: dict[str, np.ndarray]) -> list[str]:
    """Each loss curve that is not finite, or rises more than the rule allows."""
    from ..spikes import BAR, max_rise, max_rise_epoch

    problems = []
    for name, arr in curves.items():
        if not np.isfinite(arr).all():
            e = int(np.flatnonzero(~np.isfinite(arr))[0]) + 1
            problems.append(f"{name} is not finite at epoch {e}")
            continue
        rise = max_rise(arr)
        if rise > BAR:
            e = max_rise_epoch(arr)
            problems.append(
                f"{name} rises by {rise:.3g} at epoch {e + 1}, from "
                f"{arr[:e].min():.3g} to {arr[e]:.3g} (the rule allows {BAR:g})"
            )
    return problems


def _final_accuracy(test_acc: object, epochs: int, notes: list[str]) -> list[str]:
    """The rule's final accuracy, read as percent if any value is above 1 (the reading
    goes to ``notes``); ``[problem]`` if it is too low, else ``[]``."""
    from ..spikes import FINAL_ACC

    acc = _curve("test_acc", test_acc)
    if len(acc) != epochs:
        raise ValueError(
            f"test_acc has {len(acc)} values and test_loss {epochs}: give one per epoch each"
        )
    percent = bool((acc > 1).any())
    final = acc[-1] / 100 if percent else acc[-1]
    notes.append(f"Accuracies read as {'percent' if percent else 'fractions'}.")
    if final >= FINAL_ACC:
        return []
    return [f"final test accuracy {final:.1%} (the rule needs at least {FINAL_ACC:.1%})"]
