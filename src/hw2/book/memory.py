"""Memory tuning for the CNN's training loop: glibc's malloc told to keep freed memory.

Book machinery, not homework: it changes how fast a training step runs on Linux, never
what it computes (``benchmarks/catsdogs.py --plain-malloc`` measures it).
"""

from __future__ import annotations

import ctypes
import platform
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["kept_memory"]

# glibc's malloc parameters (mallopt(3)): what kept_memory sets, and what it puts back.
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
KEPT = {
    M_MMAP_THRESHOLD: 256 << 20,  # blocks under 256 MiB come from the heap ...
    M_TRIM_THRESHOLD: 1 << 30,  # ... which keeps up to 1 GiB free at its top
    M_TOP_PAD: 256 << 20,
}  # and grows 256 MiB beyond each request
GLIBC_DEFAULTS = {
    M_MMAP_THRESHOLD: 128 << 10,
    M_TRIM_THRESHOLD: 128 << 10,
    M_TOP_PAD: 128 << 10,
}  # as mallopt(3) documents them
_kept_depth = 0  # kept_memory blocks open: the outermost one puts the defaults back


def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (Linux, not musl), else ``None``."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


@contextmanager
def kept_memory() -> Iterator[bool]:
    """``with kept_memory(): ...``: freed memory stays in the process for the block.

    A training step allocates and frees feature maps of megabytes. glibc's malloc maps
    blocks above its threshold (at most 32 MiB) afresh and unmaps them when freed, and
    trims its heap's free top back to the system; each step then pays page faults and
    zeroing to get the same memory back (``benchmarks/catsdogs.py --plain-malloc``
    measures what that costs the CNN). Inside the block, blocks under 256 MiB come from
    the heap, which keeps up to 1 GiB free: the process holds its peak memory until the
    block ends. When the outermost block ends, glibc's documented defaults are set again
    (its threshold then stays fixed) and the free memory is returned. Yields whether the
    setting took effect: ``False`` off glibc (macOS, musl, Windows), where nothing
    changes.
    """
    global _kept_depth
    libc = _glibc()
    if libc is None:
        yield False
        return
    took = all([libc.mallopt(param, value) == 1 for param, value in KEPT.items()])
    _kept_depth += 1
    try:
        yield took
    finally:
        _kept_depth -= 1
        if _kept_depth == 0:
            for param, value in GLIBC_DEFAULTS.items():
                libc.mallopt(param, value)
            libc.malloc_trim(0)
