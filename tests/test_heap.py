"""Giving the heap's free pages back between turns (assistant.heap), on this process's real C library."""

from __future__ import annotations

import ctypes
import platform

import pytest

from assistant.heap import HeapTrimmer


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_pages_freed_between_chunks_still_in_use_go_back_to_the_system() -> None:
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    heap = HeapTrimmer()
    assert heap.available
    # 50 MB in small chunks, then all freed but every 32nd: the free memory lies between chunks in use, where
    # free() cannot give it back (a turn's allocations around the few that outlive it)
    blocks = [libc.malloc(1000) for _ in range(50_000)]
    for block in blocks:
        ctypes.memset(block, 1, 1000)
    kept = blocks[::32]
    for index, block in enumerate(blocks):
        if index % 32:
            libc.free(block)
    held = _rss_mb()
    took = heap.trim()
    assert held - _rss_mb() > 25  # of the 48 MB freed
    assert (heap.count, heap.seconds) == (1, took) and took > 0
    for block in kept:
        libc.free(block)


def test_without_malloc_trim_nothing_is_done() -> None:
    heap = HeapTrimmer()
    heap._trim = None  # a C library without it (musl)
    assert not heap.available
    assert heap.trim() == 0.0 and heap.count == 0
