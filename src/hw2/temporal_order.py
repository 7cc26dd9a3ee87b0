"""The temporal-order task (Hochreiter & Schmidhuber 1997, experiment 6a), used by
theory 1.3 and practical part C: which order do the two relevant symbols come in?

A sequence starts with ``B`` and ends with ``E``; every other position holds a random
distractor ``a``-``d``, except two positions ``t1 < t2`` that hold ``X`` or ``Y``. The
class is the order of those two relevant symbols: ``XX -> Q``, ``XY -> R``,
``YX -> S``, ``YY -> U``. Symbols are one-hot encoded in the order ``X Y a b c d B E``.

The random stream is the course's, draw for draw (its generator seeds NumPy's global
RNG; a ``RandomState`` with the same seed makes the same draws). Per sequence: the
length, ``t1`` and ``t2``; then ``length`` distractors; then the class. ``B`` and ``E``
overwrite the first and last distractor and the relevant pair overwrites ``t1`` and
``t2``. Batches are pre-padded with zero vectors to the level's *exclusive* upper length
bound (81 for MODERATE), so every sequence ends at the last step, with ``E``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ._validate import check_int

__all__ = [
    "CLASSES",
    "LEVELS",
    "SYMBOLS",
    "Level",
    "TemporalOrder",
    "decode",
    "encode",
    "label_of",
    "make_generators",
]

SYMBOLS = "XYabcdBE"
CLASSES = "QRSU"
PAIRS = ("XX", "XY", "YX", "YY")  # the relevant pair of each class, in CLASSES order
_DISTRACTORS = np.array([SYMBOLS.index(c) for c in "abcd"])
_B, _E = SYMBOLS.index("B"), SYMBOLS.index("E")


@dataclass(frozen=True)
class Level:
    """Ranges as ``(low, high)`` with ``high`` exclusive: sequence length, t1, t2."""

    length: tuple[int, int]
    t1: tuple[int, int]
    t2: tuple[int, int]

    @property
    def padded_length(self) -> int:
        """Every batch's length: the exclusive upper bound of the length range."""
        return self.length[1]


LEVELS = {
    "EASY": Level((7, 9), (1, 3), (4, 6)),
    "NORMAL": Level((30, 41), (2, 6), (20, 28)),
    "MODERATE": Level((60, 81), (10, 21), (45, 55)),
    "HARD": Level((100, 111), (10, 21), (50, 61)),
    "NIGHTMARE": Level((300, 501), (10, 81), (250, 291)),
}


def _one_hot(rows: list[np.ndarray], length: int) -> torch.Tensor:
    """Symbol-index rows, pre-padded to ``length``: ``(batch, length, 8)`` float."""
    idx = np.full((len(rows), length), -1)
    for b, row in enumerate(rows):
        idx[b, length - len(row) :] = row
    eye = np.vstack([np.zeros(len(SYMBOLS)), np.eye(len(SYMBOLS))]).astype(np.float32)
    return torch.from_numpy(eye[idx + 1])


def encode(sequences: list[str], length: int | None = None) -> torch.Tensor:
    """One-hot encode strings over ``X Y a b c d B E``, pre-padded with zero vectors to
    ``length`` (default: the longest): ``(batch, length, 8)`` float."""
    longest = max((len(s) for s in sequences), default=0)
    length = longest if length is None else length
    if length < longest:
        raise ValueError(f"length {length} is shorter than the longest sequence ({longest})")
    for s in sequences:
        bad = set(s) - set(SYMBOLS)
        if bad:
            raise ValueError(f"sequences may only use {SYMBOLS!r}; found {sorted(bad)}")
    return _one_hot([np.array([SYMBOLS.index(c) for c in s], dtype=int) for s in sequences], length)


def decode(x: torch.Tensor) -> list[str]:
    """Inverse of :func:`encode`: drop the padding (all-zero rows) and map back."""
    if x.dim() != 3 or x.shape[-1] != len(SYMBOLS):
        raise ValueError(f"x must have shape (batch, length, {len(SYMBOLS)}), got {tuple(x.shape)}")
    present = x.sum(-1) > 0
    idx = x.argmax(-1)
    return [
        "".join(SYMBOLS[i] for i, keep in zip(row.tolist(), mask.tolist()) if keep)
        for row, mask in zip(idx, present)
    ]


class TemporalOrder:
    """Batches of ``(x, y)``: one-hot sequences ``(batch, padded_length, 8)`` and class
    indices ``(batch,)``, drawn from ``rng``. Iterating gives one epoch:
    ``1000 // batch_size`` freshly generated batches."""

    def __init__(
        self,
        difficulty: str = "MODERATE",
        batch_size: int = 32,
        rng: np.random.RandomState | None = None,
        seed: int = 8382,
    ):
        if difficulty not in LEVELS:
            raise ValueError(f"difficulty must be one of {sorted(LEVELS)}, got {difficulty!r}")
        check_int("batch_size", batch_size, 1, 1000)
        self.difficulty = difficulty
        self.level = LEVELS[difficulty]
        self.batch_size = batch_size
        self.rng = rng if rng is not None else np.random.RandomState(seed)

    def __len__(self) -> int:
        return 1000 // self.batch_size

    def _draw(self) -> tuple[np.ndarray, int]:
        """One sequence as symbol indices, and its class, in the course's draw order."""
        level, rng = self.level, self.rng
        length = rng.randint(*level.length)
        t1, t2 = rng.randint(*level.t1), rng.randint(*level.t2)
        row = _DISTRACTORS[rng.randint(len(_DISTRACTORS), size=length)]
        label = int(rng.randint(len(CLASSES)))
        row[0], row[-1] = _B, _E
        row[t1], row[t2] = (SYMBOLS.index(c) for c in PAIRS[label])
        return row, label

    def sample(self) -> tuple[str, int]:
        """One sequence as a string, and its class index."""
        row, label = self._draw()
        return "".join(SYMBOLS[i] for i in row), label

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        draws = [self._draw() for _ in range(self.batch_size)]
        x = _one_hot([row for row, _ in draws], self.level.padded_length)
        return x, torch.tensor([label for _, label in draws])

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for _ in range(len(self)):
            yield self.batch()


def make_generators(
    difficulty: str = "MODERATE", batch_size: int = 32, seed: int = 8382
) -> tuple[TemporalOrder, TemporalOrder]:
    """Train and test generators, as the course's section 8 makes them: creating each
    seeds NumPy's global RNG with ``seed``, so after both exist the two draw, in turn,
    from one stream that starts at ``seed``. Here they share one ``RandomState``."""
    rng = np.random.RandomState(seed)
    return (TemporalOrder(difficulty, batch_size, rng), TemporalOrder(difficulty, batch_size, rng))


def label_of(sequence: str) -> int:
    """The class index of a sequence, from the order of its X/Y symbols."""
    relevant = "".join(c for c in sequence if c in "XY")
    if len(relevant) != 2:
        raise ValueError(f"a sequence holds exactly two of X/Y; got {relevant!r}")
    return PAIRS.index(relevant)
