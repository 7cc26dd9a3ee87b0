"""What every page and trainer shares at run time: seeding, threads, device, progress,
timing.

One rule for devices: trainers take ``device=None``, which is :func:`pick_device`'s
choice: ``HW2_DEVICE`` if set (the book build sets ``cpu``, so the book's numbers are
the CPU's), else CUDA when available, else the CPU. Trainers return their models on the
CPU, so that what they return works anywhere.

One rule for progress bars: trainers take ``show=None``, which shows a bar in a
terminal or a notebook and none in the built book (the build sets ``HW2_PROGRESS=0``,
so executed pages keep no progress lines); ``show=True``/``False`` decide explicitly.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import torch
from tqdm import tqdm

from .checks import check_int

__all__ = ["Timer", "pick_device", "progress", "seed_everything", "set_threads", "setup",
           "shows_progress", "using_threads"]

T = TypeVar("T")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators with ``seed``.

    Every page calls this (through :func:`setup`) so that two builds glue the same numbers.
    """
    check_int("seed", seed, low=0)
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
    check_int("threads", threads, low=1)
    torch.set_num_threads(threads)
    return torch.get_num_threads()


def setup(seed: int = 0, threads: int | None = None) -> None:
    """Seed everything and set the thread count: the first code cell of every page."""
    seed_everything(seed)
    set_threads(threads)


@contextmanager
def using_threads(threads: int) -> Iterator[int]:
    """``with using_threads(2): ...``: torch's thread count for the block, restored after."""
    before = torch.get_num_threads()
    try:
        yield set_threads(threads)
    finally:
        torch.set_num_threads(before)


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The device a trainer runs on, as the module docstring's rule says."""
    if device is None:
        device = os.environ.get("HW2_DEVICE") or ("cuda" if torch.cuda.is_available()
                                                  else "cpu")
    if not isinstance(device, str | torch.device):
        raise TypeError(f"device must be a str, a torch.device or None, got "
                        f"{type(device).__name__}")
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"device: {err}") from None


def shows_progress(show: bool | None) -> bool:
    """Whether a bar is shown: ``show``, or for ``None`` the rule in the module docstring."""
    return os.environ.get("HW2_PROGRESS", "1") != "0" if show is None else bool(show)


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "",
             show: bool | None = None, every: float = 10.0) -> Iterator[T]:
    """A text tqdm bar on stdout, shown as the module docstring's rule says. It updates
    at most every ``every`` seconds and stays narrower than the page."""
    return iter(tqdm(iterable, total=total, desc=desc, disable=not shows_progress(show),
                     file=sys.stdout,
                     mininterval=every, maxinterval=every, ncols=72, ascii=True))


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``: wall time of the block."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
