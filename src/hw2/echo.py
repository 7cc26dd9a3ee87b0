"""Practical part B: echo a character sequence with a GRU, at a fixed or a variable delay.

Alphabet: index 0 is the empty symbol (shown as a space), 1-26 are ``a``-``z``. The
target is the input delayed by ``d`` steps, with the empty symbol for the first ``d``.

The variable-delay model (the book's design) has one output head per delay, and the
delay picks the head: the GRU only has to keep its last ``max_delay + 1`` characters,
and training scores every head on every sequence. The alternative the chapter
measured and set aside appends the delay, one-hot, to every input step
(``encoding="input"``).

Both trainers follow the book's contract: ``train_*(recipe, ..., seed, device, show)``
returns ``(model, history)``, the model on the CPU, with per-step ``train_loss`` and
``train_acc`` (fractions), ``train_seconds`` (the steps) and ``wall_seconds`` (the call).
Batches are drawn on the CPU from the seed, so a seed gives the same data on any device.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import IterableDataset

from ._validate import check_int
from .book.cache import cached
from .runtime import Timer, pick_device, progress

__all__ = [
    "AIM",
    "FIXED",
    "HOMEWORK",
    "Aim",
    "N_SYMBOLS",
    "VARIABLE",
    "EchoDataset",
    "GRUMemory",
    "Recipe",
    "VariableDelayEchoDataset",
    "VariableDelayGRUMemory",
    "aim_table",
    "aims",
    "decode",
    "echo_batch",
    "echo_hits",
    "first_difference",
    "encode",
    "homework_strings",
    "meets",
    "test_model",
    "test_variable_delay_model",
    "train_echo",
    "train_variable_delay",
]

N_SYMBOLS = 27  # the empty symbol and a-z
LETTERS = string.ascii_lowercase


def encode(s: str) -> torch.Tensor:
    """Indices of a lowercase string: ``a`` -> 1 ... ``z`` -> 26.

    Only ``a``-``z`` are accepted: anything else (uppercase, digits, spaces) raises
    ``ValueError`` naming the first offending character, rather than being silently mapped.
    """
    if not isinstance(s, str):
        raise TypeError(f"s must be a str, got {type(s).__name__}")
    bad = next((c for c in s if c not in LETTERS), None)
    if bad is not None:
        raise ValueError(f"s may only contain lowercase letters a-z; found {bad!r}")
    return torch.tensor([ord(c) - ord("a") + 1 for c in s], dtype=torch.long)


def decode(indices: torch.Tensor) -> str:
    """Inverse of :func:`encode`, with 0 (the empty symbol) shown as a space."""
    return "".join(" " if i == 0 else LETTERS[i - 1] for i in indices.tolist())


def _delayed(x: torch.Tensor, delays: torch.Tensor) -> torch.Tensor:
    """Targets: row b of ``x`` shifted right by ``delays[b]``, empty symbols in front."""
    length = x.shape[1]
    t = torch.arange(length, device=x.device)
    source = t[None, :] - delays[:, None]
    y = torch.gather(x, 1, source.clamp(min=0))
    return torch.where(source >= 0, y, torch.zeros_like(y))


def echo_batch(batch_size: int, seq_length: int, delay: int | None = None,
               max_delay: int | None = None, generator: torch.Generator | None = None
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A batch ``(x, delays, y)`` of index tensors: ``x`` random letters, ``y`` delayed.

    Give ``delay`` for a fixed delay, or ``max_delay`` to draw each row's delay uniformly
    from ``0 ... max_delay``.
    """
    if (delay is None) == (max_delay is None):
        raise ValueError("give exactly one of delay and max_delay")
    for name, value in [("batch_size", batch_size), ("seq_length", seq_length)]:
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    limit = delay if delay is not None else max_delay
    if not isinstance(limit, int) or limit < 0:
        raise ValueError(f"delays must be non-negative ints, got {limit!r}")
    x = torch.randint(1, N_SYMBOLS, (batch_size, seq_length), generator=generator)
    if delay is not None:
        delays = torch.full((batch_size,), delay, dtype=torch.long)
    else:
        delays = torch.randint(0, max_delay + 1, (batch_size,), generator=generator)
    return x, delays, _delayed(x, delays)


class _EchoStream(IterableDataset):
    """What both echo datasets share: ``size`` samples per iteration, drawn on the fly
    from a generator seeded once, so each new iteration continues the same stream."""

    def __init__(self, seq_length: int, size: int, seed: int):
        self.seq_length = check_int("seq_length", seq_length, low=1)
        self.size = check_int("size", size, low=1)
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.size


def _check_delay(name: str, value: int) -> int:
    return check_int(name, value, low=0)


class EchoDataset(_EchoStream):
    """Part B.1: ``size`` pairs (one-hot input ``(L, 27)``, target indices ``(L,)``)."""

    def __init__(self, delay: int = 4, seq_length: int = 15, size: int = 1000, seed: int = 0):
        super().__init__(seq_length, size, seed)
        self.delay = _check_delay("delay", delay)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        x, _, y = echo_batch(self.size, self.seq_length, delay=self.delay,
                             generator=self.generator)
        yield from zip(F.one_hot(x, N_SYMBOLS).float(), y)


class VariableDelayEchoDataset(_EchoStream):
    """Part B.4: ``size`` triples (one-hot input ``(L, 27)``, delay, target ``(L,)``)."""

    def __init__(self, max_delay: int = 8, seq_length: int = 20, size: int = 1000,
                 seed: int = 0):
        super().__init__(seq_length, size, seed)
        self.max_delay = _check_delay("max_delay", max_delay)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, int, torch.Tensor]]:
        x, d, y = echo_batch(self.size, self.seq_length, max_delay=self.max_delay,
                             generator=self.generator)
        yield from zip(F.one_hot(x, N_SYMBOLS).float(), d.tolist(), y)


class GRUMemory(nn.Module):
    """Part B.2: a GRU and a linear decoder from its state to 27 logits per step."""

    def __init__(self, hidden_size: int = 128):
        super().__init__()
        self.gru = nn.GRU(N_SYMBOLS, hidden_size, batch_first=True)
        self.decoder = nn.Linear(hidden_size, N_SYMBOLS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: one-hot ``(batch, length, 27)``; returns logits of the same shape."""
        if x.dim() != 3 or x.shape[-1] != N_SYMBOLS:
            raise ValueError(
                f"x must have shape (batch, length, {N_SYMBOLS}), got {tuple(x.shape)}")
        states, _ = self.gru(x)
        return self.decoder(states)

    def scored(self, x: torch.Tensor, delays: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A training batch scored: logits and targets for letters ``x`` ``(batch,
        length)`` echoed at ``delays`` ``(batch,)``."""
        return self(F.one_hot(x, N_SYMBOLS).float()), _delayed(x, delays)

    def test_run(self, s: str) -> str:
        """Echo ``s`` (lowercase letters) and decode the argmax: same length as ``s``."""
        return _run_string(self, s)


class VariableDelayGRUMemory(nn.Module):
    """Part B.4: a GRU and a decoder for variable delays ``0 ... max_delay``.

    ``encoding`` says how the delay reaches the model:

    - ``"heads"`` (the book's choice): the decoder has one 27-way head per delay and the
      delay selects the head. The GRU only has to keep its last ``max_delay + 1``
      characters; training scores every head on every sequence, since the targets for
      all delays follow from the input.
    - ``"input"``: the delay is one-hot encoded and appended to every input step, and a
      single head decodes; the GRU must learn to route by delay.
    """

    def __init__(self, hidden_size: int = 128, max_delay: int = 8, encoding: str = "heads"):
        super().__init__()
        _check_delay("max_delay", max_delay)
        if encoding not in ("heads", "input"):
            raise ValueError(f"encoding must be 'heads' or 'input', got {encoding!r}")
        self.max_delay, self.encoding = max_delay, encoding
        extra = max_delay + 1 if encoding == "input" else 0
        heads = max_delay + 1 if encoding == "heads" else 1
        self.gru = nn.GRU(N_SYMBOLS + extra, hidden_size, batch_first=True)
        self.decoder = nn.Linear(hidden_size, heads * N_SYMBOLS)

    def _check(self, x: torch.Tensor, delays: torch.Tensor | None) -> torch.Tensor | None:
        if x.dim() != 3 or x.shape[-1] != N_SYMBOLS:
            raise ValueError(
                f"x must have shape (batch, length, {N_SYMBOLS}), got {tuple(x.shape)}")
        if delays is None:
            return None
        delays = torch.as_tensor(delays, dtype=torch.long)
        if delays.shape != (x.shape[0],):
            raise ValueError(f"delays must have shape ({x.shape[0]},), got {tuple(delays.shape)}")
        if delays.min() < 0 or delays.max() > self.max_delay:
            raise ValueError(f"delays must lie in 0 ... {self.max_delay}")
        return delays

    def all_heads(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for every delay at once, ``(batch, length, max_delay + 1, 27)``
        (``encoding="heads"`` only): what training scores."""
        if self.encoding != "heads":
            raise ValueError("all_heads needs encoding='heads'")
        self._check(x, None)
        states, _ = self.gru(x)
        return self.decoder(states).unflatten(-1, (self.max_delay + 1, N_SYMBOLS))

    def forward(self, x: torch.Tensor, delays: torch.Tensor) -> torch.Tensor:
        """``x``: one-hot ``(batch, length, 27)``; ``delays``: ``(batch,)`` ints in
        ``0 ... max_delay``. Returns logits ``(batch, length, 27)``."""
        delays = self._check(x, delays)
        if self.encoding == "heads":
            logits = self.all_heads(x)
            index = delays[:, None, None, None].expand(-1, x.shape[1], 1, N_SYMBOLS)
            return logits.gather(2, index)[:, :, 0]
        code = F.one_hot(delays, self.max_delay + 1).float()
        code = code[:, None, :].expand(-1, x.shape[1], -1)
        states, _ = self.gru(torch.cat([x, code], dim=-1))
        return self.decoder(states)

    @property
    def draw(self) -> dict:
        """How its training batches are drawn (:func:`echo_batch`'s delay arguments):
        with one head per delay, letters only (every head is scored on every sequence);
        otherwise a delay per sequence."""
        return {"delay": 0} if self.encoding == "heads" else {"max_delay": self.max_delay}

    def scored(self, x: torch.Tensor, delays: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A training batch scored: logits and targets for letters ``x`` ``(batch,
        length)`` at ``delays``; with heads, every head on every sequence (its targets
        follow from ``x``), ``(batch, length, max_delay + 1)`` targets."""
        if self.encoding == "heads":
            y = torch.stack([_delayed(x, torch.full_like(x[:, 0], k))
                             for k in range(self.max_delay + 1)], 2)
            return self.all_heads(F.one_hot(x, N_SYMBOLS).float()), y
        return self(F.one_hot(x, N_SYMBOLS).float(), delays), _delayed(x, delays)

    def test_run(self, s: str, delay: int) -> str:
        """Echo ``s`` at ``delay`` (``0 ... max_delay``) and decode: same length as ``s``."""
        check_int("delay", delay, 0, self.max_delay)
        return _run_string(self, s, torch.tensor([delay]))


@torch.no_grad()
def _run_string(model: nn.Module, s: str, *delay: torch.Tensor) -> str:
    """Both models' ``test_run``: ``model`` on the one-hot ``s`` (and the ``delay``, if
    it takes one) in evaluation mode, its argmax decoded."""
    x = F.one_hot(encode(s), N_SYMBOLS).float()[None]
    was_training = model.training
    model.eval()
    logits = model(x, *delay)
    model.train(was_training)
    return decode(logits[0].argmax(-1))


def _random_string(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(length))


def homework_strings(n: int = 500, seed: int = 0, lengths: tuple[int, int] = (15, 25),
                     delay: int = 4, max_delay: int | None = None) -> Iterator[tuple[str, int]]:
    """The strings and delays of the homework's checks, ``(s, d)`` ``n`` times: random
    strings of a length drawn from ``lengths`` (inclusive; one number when both ends
    agree), each with ``delay``, or with a delay drawn from ``0 ... max_delay`` after it."""
    rng = random.Random(seed)
    for _ in range(n):
        length = lengths[0] if lengths[0] == lengths[1] else rng.randint(*lengths)
        s = _random_string(rng, length)
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


def test_model(model: GRUMemory, delay: int = 4, n: int = 500, seed: int = 0) -> float:
    """Part B.3, the homework's check: ``n`` random strings of length 15-25; compare
    ``s[:-delay]`` with ``result[delay:]`` character by character; return the accuracy."""
    counts = [echo_hits(s, d, model.test_run(s))
              for s, d in homework_strings(n, seed, (15, 25), delay)]
    return sum(h for h, _ in counts) / sum(t for _, t in counts)


def test_variable_delay_model(model: VariableDelayGRUMemory, n: int = 500, seq_length: int = 20,
                              seed: int = 0, per_delay: bool = False
                              ) -> float | tuple[float, dict[int, float]]:
    """Part B.5, the homework's check: ``n`` strings of length 20, each with a random
    delay in ``0 ... max_delay``; compare ``s[:-d]`` with ``result[d:]`` (whole strings
    for ``d = 0``). With ``per_delay=True`` also return the accuracy for each delay."""
    by_delay: dict[int, list[int]] = {d: [0, 0] for d in range(model.max_delay + 1)}
    for s, d in homework_strings(n, seed, (seq_length, seq_length),
                                 max_delay=model.max_delay):
        hits, total = echo_hits(s, d, model.test_run(s, d))
        by_delay[d][0] += hits
        by_delay[d][1] += total
    accuracy = sum(c for c, _ in by_delay.values()) / sum(t for _, t in by_delay.values())
    if not per_delay:
        return accuracy
    return accuracy, {d: c / t for d, (c, t) in by_delay.items() if t}


@dataclass(frozen=True)
class Recipe:
    """How an echo model is trained (parts B.3 and B.5): Adam with a one-cycle schedule
    on ``steps`` fresh batches of ``batch_size`` strings of ``seq_length`` characters."""

    hidden_size: int = 128
    steps: int = 800
    batch_size: int = 64
    seq_length: int = 20
    lr: float = 1e-2


# The book's recipes, chosen with benchmarks/echo.py.
FIXED = Recipe()
VARIABLE = Recipe(hidden_size=192, steps=2000, lr=7e-3)


@dataclass(frozen=True)
class Aim:
    """A bar for a trained echo model."""

    accuracy: float  # on the homework's check, a fraction
    seconds: float  # of training, at most
    worst_delay: float = 0.0  # the variable model: accuracy at every delay, at least


HOMEWORK = Aim(accuracy=0.99, seconds=600.0)  # the homework's (10 minutes on a GPU)
AIM = {  # the book's own, on a 2-core CPU: whether a build meets them depends on it
    "fixed": Aim(accuracy=0.999, seconds=20.0),
    "variable": Aim(accuracy=0.999, seconds=60.0, worst_delay=0.99),
}


def aims() -> dict[str, float]:
    """The homework's bar and the book's aims, as numbers by glue name: accuracies in
    percent, training times in seconds (the homework's in minutes)."""
    fixed, variable = AIM["fixed"], AIM["variable"]
    return dict(homework_acc=100 * HOMEWORK.accuracy, homework_minutes=HOMEWORK.seconds / 60,
                aim_acc=100 * fixed.accuracy, aim_fixed_s=fixed.seconds,
                aim_var_s=variable.seconds, aim_worst=100 * variable.worst_delay)


def meets(aim: Aim, accuracy: float, seconds: float, worst_delay: float = 1.0) -> bool:
    """Whether a model that scored ``accuracy`` on the check (``worst_delay`` at its
    worst delay, fractions) after ``seconds`` of training meets ``aim``."""
    if not isinstance(aim, Aim):
        raise TypeError(f"aim must be an echo.Aim, got {type(aim).__name__}")
    return bool(accuracy >= aim.accuracy and seconds <= aim.seconds
                and worst_delay >= aim.worst_delay)


def aim_table(aim: Aim, accuracy: float, seconds: float,
              worst_delay: float | None = None) -> str:
    """A Markdown table: ``aim`` against what a model scored (fractions) and how long it
    trained, a row each, with the worst delay's row when ``worst_delay`` is given, and
    whether the model met the aim."""
    rows = [("check accuracy", f"at least {100 * aim.accuracy:g}%", f"{100 * accuracy:.2f}%"),
            ("training time", f"at most {aim.seconds:g} s", f"{seconds:.1f} s")]
    if worst_delay is not None:
        rows.append(("accuracy at the worst delay", f"at least {100 * aim.worst_delay:g}%",
                     f"{100 * worst_delay:.2f}%"))
    met = meets(aim, accuracy, seconds, 1.0 if worst_delay is None else worst_delay)
    rows.append(("aim met", "", "yes" if met else "no"))
    return "\n".join(["| | the book's aim | this build |", "|:---|---:|---:|",
                      *(f"| {a} | {b} | {c} |" for a, b, c in rows)])


def _train(model: GRUMemory | VariableDelayGRUMemory, recipe: Recipe, draw: dict, seed: int,
           device: torch.device, show: bool | None) -> dict:
    """One loop for both models: Adam with a one-cycle schedule on fresh batches drawn
    by ``echo_batch(..., **draw)``, each scored by the model (``model.scored``)."""
    r = recipe
    model.to(device)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=r.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=r.lr,
                                                   total_steps=r.steps, pct_start=0.2)
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": []}
    model.train()
    with Timer() as timer:
        for _ in progress(range(r.steps), desc="training", show=show):
            x, delays, _ = echo_batch(r.batch_size, r.seq_length, generator=generator, **draw)
            logits, y = model.scored(x.to(device), delays.to(device))
            loss = F.cross_entropy(logits.reshape(-1, N_SYMBOLS), y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            history["train_loss"].append(loss.item())
            history["train_acc"].append((logits.argmax(-1) == y).float().mean().item())
    model.eval().cpu()
    history["train_seconds"] = timer.seconds
    return history


def _check_recipe(recipe: Recipe) -> None:
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be an echo.Recipe, got {type(recipe).__name__}")


@cached(keys={"device": pick_device})
def train_echo(recipe: Recipe = FIXED, delay: int = 4, seed: int = 0,
               device: str | torch.device | None = None,
               show: bool | None = None) -> tuple[GRUMemory, dict]:
    """Part B.3: train a :class:`GRUMemory` to echo at ``delay``; returns
    ``(model, history)`` as the module docstring says."""
    start = time.perf_counter()
    _check_recipe(recipe)
    torch.manual_seed(seed)
    model = GRUMemory(recipe.hidden_size)
    history = _train(model, recipe, {"delay": delay}, seed, pick_device(device), show)
    history["wall_seconds"] = time.perf_counter() - start
    return model, history


@cached(keys={"device": pick_device})
def train_variable_delay(recipe: Recipe = VARIABLE, max_delay: int = 8,
                         encoding: str = "heads", seed: int = 0,
                         device: str | torch.device | None = None,
                         show: bool | None = None) -> tuple[VariableDelayGRUMemory, dict]:
    """Part B.5: train a :class:`VariableDelayGRUMemory` for delays ``0 ... max_delay``;
    returns ``(model, history)`` as the module docstring says."""
    start = time.perf_counter()
    _check_recipe(recipe)
    torch.manual_seed(seed)
    model = VariableDelayGRUMemory(recipe.hidden_size, max_delay, encoding=encoding)
    history = _train(model, recipe, model.draw, seed, pick_device(device), show)
    history["wall_seconds"] = time.perf_counter() - start
    return model, history
