"""Practical part B's task: the alphabet, strings as indices, and batches of echoes.

Alphabet: index 0 is the empty symbol (shown as a space), 1-26 are ``a``-``z``. The
target is the input delayed by ``d`` steps, with the empty symbol for the first ``d``.
Batches are drawn on the CPU from a generator, so a seed gives the same data on any
device; the datasets are the homework's B.1 and B.4 as ``IterableDataset``\\ s.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch.nn import functional as F
from torch.utils.data import IterableDataset

from ._validate import check_int

__all__ = [
    "LETTERS",
    "N_SYMBOLS",
    "Draw",
    "EchoDataset",
    "VariableDelayEchoDataset",
    "decode",
    "delayed",
    "echo_batch",
    "encode",
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


def delayed(x: torch.Tensor, delays: torch.Tensor) -> torch.Tensor:
    """Targets: row b of ``x`` ``(batch, length)`` shifted right by ``delays[b]``, empty
    symbols in front."""
    length = x.shape[1]
    t = torch.arange(length, device=x.device)
    source = t[None, :] - delays[:, None]
    y = torch.gather(x, 1, source.clamp(min=0))
    return torch.where(source >= 0, y, torch.zeros_like(y))


def echo_batch(
    batch_size: int,
    seq_length: int,
    delay: int | None = None,
    max_delay: int | None = None,
    generator: torch.Generator | None = None,
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
    return x, delays, delayed(x, delays)


@dataclass(frozen=True)
class Draw:
    """How a model's training batches are drawn: :func:`echo_batch`'s delay arguments,
    exactly one of them given."""

    delay: int | None = None  # every sequence at this delay (steps)
    max_delay: int | None = None  # or each at a delay drawn uniformly from 0 ... max_delay

    def batch(
        self, batch_size: int, seq_length: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """:func:`echo_batch` drawn this way."""
        return echo_batch(batch_size, seq_length, self.delay, self.max_delay, generator)


class _EchoStream(IterableDataset):
    """What both echo datasets share: ``size`` samples per iteration, drawn on the fly
    from a generator seeded once, so each new iteration continues the same stream."""

    def __init__(self, seq_length: int, size: int, seed: int):
        self.seq_length = check_int("seq_length", seq_length, low=1)
        self.size = check_int("size", size, low=1)
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.size


class EchoDataset(_EchoStream):
    """Part B.1: ``size`` pairs (one-hot input ``(L, 27)``, target indices ``(L,)``)."""

    def __init__(self, delay: int = 4, seq_length: int = 15, size: int = 1000, seed: int = 0):
        super().__init__(seq_length, size, seed)
        self.delay = check_int("delay", delay, low=0)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        x, _, y = echo_batch(self.size, self.seq_length, delay=self.delay, generator=self.generator)
        yield from zip(F.one_hot(x, N_SYMBOLS).float(), y)


class VariableDelayEchoDataset(_EchoStream):
    """Part B.4: ``size`` triples (one-hot input ``(L, 27)``, delay, target ``(L,)``)."""

    def __init__(self, max_delay: int = 8, seq_length: int = 20, size: int = 1000, seed: int = 0):
        super().__init__(seq_length, size, seed)
        self.max_delay = check_int("max_delay", max_delay, low=0)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, int, torch.Tensor]]:
        x, d, y = echo_batch(
            self.size, self.seq_length, max_delay=self.max_delay, generator=self.generator
        )
        yield from zip(F.one_hot(x, N_SYMBOLS).float(), d.tolist(), y)
