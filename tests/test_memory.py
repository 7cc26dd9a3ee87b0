"""hw2.book.memory: glibc keeps freed memory inside the block, and gets it back after."""

import ctypes

import pytest
import torch

from hw2.book import memory
from hw2.book.memory import kept_memory


class MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (glibc 2.33+): what the heap holds, in bytes."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def mallinfo2():
    """glibc's ``mallinfo2``, or ``None`` where there is none."""
    libc = memory._glibc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = MallInfo2
    return libc.mallinfo2


@pytest.mark.skipif(mallinfo2() is None, reason="glibc 2.33+ only")
def test_kept_memory_keeps_a_freed_block_and_returns_it_after():
    free = lambda: mallinfo2()().fordblks  # noqa: E731 - the heap's free bytes
    block = 64 << 20  # above glibc's largest dynamic mmap threshold (32 MiB)
    before = free()
    torch.empty(block, dtype=torch.uint8)  # by default mapped, and unmapped when freed
    assert free() - before < block
    with kept_memory() as took:
        assert took
        torch.empty(block, dtype=torch.uint8)
        assert free() - before >= block  # kept for the next step
    assert free() - before < block  # returned when the block ends
    with kept_memory(), kept_memory():
        pass  # an inner block leaves the setting to the outer one
    with kept_memory():
        with kept_memory():
            pass
        torch.empty(block, dtype=torch.uint8)
        assert free() - before >= block


def test_kept_memory_changes_nothing_off_glibc(monkeypatch):
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    with kept_memory() as took:
        assert took is False
