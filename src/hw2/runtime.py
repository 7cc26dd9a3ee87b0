"""What every page and trainer shares at run time: seeding, threads, progress, timing."""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np
import torch
from tqdm import tqdm

__all__ = ["Timer", "progress", "seed_everything", "set_threads", "setup"]

T = TypeVar("T")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators with ``seed``.

    Every page calls this (through :func:`setup`) so that two builds glue the same numbers.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def set_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count and return it.

    ``None`` reads ``HW2_THREADS`` and falls back to 1. Small recurrent models run
    fastest on one thread; on a 2-core machine, two processes each using two threads
    ran a small LSTM about 9x slower than one thread, so oversubscription is avoided by
    default and convolutional training asks for more explicitly.
    """
    if threads is None:
        threads = int(os.environ.get("HW2_THREADS", "1"))
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise TypeError(f"threads must be an int, got {type(threads).__name__}")
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)
    return torch.get_num_threads()


def setup(seed: int = 0, threads: int | None = None) -> None:
    """Seed everything and set the thread count: the first code cell of every page."""
    seed_everything(seed)
    set_threads(threads)


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "",
             show: bool = True, every: float = 10.0) -> Iterator[T]:
    """A text tqdm bar on stdout. An executed page keeps every update as a line, so
    it updates at most every ``every`` seconds and stays narrower than the page."""
    return iter(tqdm(iterable, total=total, desc=desc, disable=not show, file=sys.stdout,
                     mininterval=every, maxinterval=every, ncols=72, ascii=True))


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``: wall time of the block."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
