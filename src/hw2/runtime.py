"""What every page and trainer shares at run time: seeding, threads, device, progress,
timing.

One rule for devices: trainers take ``device=None``, which is :func:`pick_device`'s
choice: ``HW2_DEVICE`` if set (the book build sets ``cpu``, so the book's numbers are
the CPU's), else CUDA when available, else the CPU. Trainers return their models on the
CPU, so that what they return works anywhere.

One rule for progress bars: trainers take ``show=None``, which shows a bar in a
terminal or a notebook and none in the built book (the build sets ``HW2_PROGRESS=0``,
so executed pages keep no progress lines); ``show=True``/``False`` decide explicitly.
Wherever a bar is hidden, ``HW2_PROGRESS_LOG`` (a file) still receives one line per
update, so the build's terminal, which follows that file, shows how far a long training
has come (k of n, elapsed, expected remaining).
"""

from __future__ import annotations

import math
import os
import platform
import random
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from tqdm import tqdm

from ._validate import check_int

__all__ = [
    "Timer",
    "matmul_peak",
    "native_bf16",
    "pick_device",
    "progress",
    "seed_everything",
    "set_threads",
    "setup",
    "shows_progress",
    "using_threads",
]

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
        device = os.environ.get("HW2_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, str | torch.device):
        raise TypeError(
            f"device must be a str, a torch.device or None, got {type(device).__name__}"
        )
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"device: {err}") from None


def native_bf16() -> bool:
    """Whether this CPU computes in bf16 natively (x86: AVX-512 BF16 or AMX; Arm: the BF16
    extension), where bf16 autocast pays; elsewhere bf16 is emulated, slower than fp32."""
    if platform.machine().lower() in {"aarch64", "arm64"}:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def matmul_peak(
    dtype: torch.dtype = torch.float32,
    n: int = 2048,
    repeats: int = 10,
    device: str | torch.device = "cpu",
) -> float:
    """The matmul peak in FLOP/s for ``dtype`` on ``device`` (on the CPU, on torch's
    current threads): the fastest of ``repeats`` ``n x n`` products (``2 n^3`` FLOPs
    each), after two warm-up products. What a training throughput is divided by to give
    a utilisation."""
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {type(dtype).__name__}")
    check_int("n", n, low=1)
    check_int("repeats", repeats, low=1)
    device = pick_device(device)
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=generator).to(device, dtype)
    b = torch.randn(n, n, generator=generator).to(device, dtype)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(2):
        a @ b
    best = math.inf
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        a @ b
        sync()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def shows_progress(show: bool | None) -> bool:
    """Whether a bar is shown: ``show``, or for ``None`` the rule in the module docstring."""
    return os.environ.get("HW2_PROGRESS", "1") != "0" if show is None else bool(show)


def progress(
    iterable: Iterable[T],
    total: int | None = None,
    desc: str = "",
    show: bool | None = None,
    every: float = 10.0,
) -> Iterator[T]:
    """A text tqdm bar on stdout, shown as the module docstring's rule says. It updates
    at most every ``every`` seconds and stays narrower than the page. A hidden bar
    writes its updates to ``HW2_PROGRESS_LOG`` when that is set."""
    if shows_progress(show) or not os.environ.get("HW2_PROGRESS_LOG"):
        return iter(
            tqdm(
                iterable,
                total=total,
                desc=desc,
                disable=not shows_progress(show),
                file=sys.stdout,
                mininterval=every,
                maxinterval=every,
                ncols=72,
                ascii=True,
            )
        )
    return _logged(iterable, total, desc, every, Path(os.environ["HW2_PROGRESS_LOG"]))


def _logged(
    iterable: Iterable[T], total: int | None, desc: str, every: float, log: Path
) -> Iterator[T]:
    """``iterable``, appending a line to ``log`` at the start, every ``every`` seconds
    and at the end: ``desc: k/n [elapsed<remaining, rate]``."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    start = last = time.perf_counter()

    def write(done: int) -> None:
        line = tqdm.format_meter(
            done, total, time.perf_counter() - start, ncols=72, prefix=desc, ascii=True
        )
        with open(log, "a") as f:
            f.write(line + "\n")

    write(0)
    done = 0
    for done, item in enumerate(iterable, start=1):
        yield item
        if time.perf_counter() - last >= every:
            last = time.perf_counter()
            write(done)
    write(done)


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``: wall time of the block."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
