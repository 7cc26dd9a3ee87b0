"""Small training-loop pieces shared by the chapters: progress bars and timing."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

__all__ = ["Timer", "progress"]

T = TypeVar("T")


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
