"""The temporal-order task (Hochreiter & Schmidhuber 1997, experiment 6a), used by
theory 1.3 and practical part C.

A sequence starts with ``B`` and ends with ``E``; every other position holds a random
distractor ``a``-``d``, except two positions ``t1 < t2`` that hold ``X`` or ``Y``. The
class is the order of those two relevant symbols: ``XX -> Q``, ``XY -> R``,
``YX -> S``, ``YY -> U``. Symbols are one-hot encoded in the order ``X Y a b c d B E``.
Batches are pre-padded with zero vectors to the level's longest sequence, so the last
step is always ``E``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["CLASSES", "LEVELS", "SYMBOLS", "Level", "TemporalOrder", "decode", "encode",
           "label_of", "make_generators"]

SYMBOLS = "XYabcdBE"
CLASSES = "QRSU"
_PAIRS = {"XX": "Q", "XY": "R", "YX": "S", "YY": "U"}


@dataclass(frozen=True)
class Level:
    """Ranges as ``(low, high)`` with ``high`` exclusive: sequence length, t1, t2."""

    length: tuple[int, int]
    t1: tuple[int, int]
    t2: tuple[int, int]

    @property
    def max_length(self) -> int:
        return self.length[1] - 1


LEVELS = {
    "EASY": Level((7, 9), (1, 3), (4, 6)),
    "NORMAL": Level((30, 41), (2, 6), (20, 28)),
    "MODERATE": Level((60, 81), (10, 21), (45, 55)),
    "HARD": Level((100, 111), (10, 21), (50, 61)),
    "NIGHTMARE": Level((300, 501), (10, 81), (250, 291)),
}


def encode(sequences: list[str], length: int | None = None) -> torch.Tensor:
    """One-hot encode strings over ``X Y a b c d B E``, pre-padded with zero vectors to
    ``length`` (default: the longest): ``(batch, length, 8)`` float."""
    longest = max((len(s) for s in sequences), default=0)
    length = longest if length is None else length
    if length < longest:
        raise ValueError(f"length {length} is shorter than the longest sequence ({longest})")
    out = torch.zeros(len(sequences), length, len(SYMBOLS))
    for b, s in enumerate(sequences):
        bad = set(s) - set(SYMBOLS)
        if bad:
            raise ValueError(f"sequences may only use {SYMBOLS!r}; found {sorted(bad)}")
        idx = torch.tensor([SYMBOLS.index(c) for c in s], dtype=torch.long)
        out[b, length - len(s) + torch.arange(len(s)), idx] = 1.0
    return out


def decode(x: torch.Tensor) -> list[str]:
    """Inverse of :func:`encode`: drop the padding (all-zero rows) and map back."""
    if x.dim() != 3 or x.shape[-1] != len(SYMBOLS):
        raise ValueError(
            f"x must have shape (batch, length, {len(SYMBOLS)}), got {tuple(x.shape)}")
    present = x.sum(-1) > 0
    idx = x.argmax(-1)
    return ["".join(SYMBOLS[i] for i, keep in zip(row.tolist(), mask.tolist()) if keep)
            for row, mask in zip(idx, present)]


class TemporalOrder:
    """Batches of ``(x, y)``: one-hot sequences ``(batch, max_length, 8)`` and class
    indices ``(batch,)``, drawn from ``rng``. Iterating gives one epoch:
    ``1000 // batch_size`` freshly generated batches."""

    def __init__(self, difficulty: str = "MODERATE", batch_size: int = 32,
                 rng: np.random.RandomState | None = None, seed: int = 8382):
        if difficulty not in LEVELS:
            raise ValueError(f"difficulty must be one of {sorted(LEVELS)}, got {difficulty!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not (
                1 <= batch_size <= 1000):
            raise ValueError(f"batch_size must be an int in 1 ... 1000, got {batch_size!r}")
        self.level = LEVELS[difficulty]
        self.batch_size = batch_size
        self.rng = rng if rng is not None else np.random.RandomState(seed)

    def __len__(self) -> int:
        return 1000 // self.batch_size

    def sample(self) -> tuple[str, int]:
        """One sequence as a string, and its class index."""
        level, rng = self.level, self.rng
        length = rng.randint(*level.length)
        t1, t2 = rng.randint(*level.t1), rng.randint(*level.t2)
        label = rng.randint(len(CLASSES))
        pair = list(_PAIRS)[label]
        chars = ["B", *rng.choice(list("abcd"), size=length - 2), "E"]
        chars[t1], chars[t2] = pair[0], pair[1]
        return "".join(chars), int(label)

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        samples = [self.sample() for _ in range(self.batch_size)]
        x = encode([s for s, _ in samples], self.level.max_length)
        return x, torch.tensor([y for _, y in samples])

    def __iter__(self):
        for _ in range(len(self)):
            yield self.batch()


def make_generators(difficulty: str = "MODERATE", batch_size: int = 32,
                    seed: int = 8382) -> tuple[TemporalOrder, TemporalOrder]:
    """Train and test generators, as the course makes them: both created after seeding
    one NumPy generator with ``seed``, so together they draw one reproducible stream."""
    rng = np.random.RandomState(seed)
    return (TemporalOrder(difficulty, batch_size, rng),
            TemporalOrder(difficulty, batch_size, rng))


def label_of(sequence: str) -> int:
    """The class index of a sequence, from the order of its X/Y symbols."""
    relevant = "".join(c for c in sequence if c in "XY")
    if len(relevant) != 2:
        raise ValueError(f"a sequence holds exactly two of X/Y; got {relevant!r}")
    return CLASSES.index(_PAIRS[relevant])
