"""The SPSC ring: order, wrap-around, full and empty, in-place records, flushes, and two real threads."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.audio.ring import Ring


def test_items_come_out_in_order_across_the_wrap_around() -> None:
    ring = Ring(5, (2,), np.int16)
    out = np.zeros((3, 2), np.int16)
    sent = np.arange(20, dtype=np.int16).reshape(10, 2)
    assert ring.write(sent[:3]) == 3
    assert ring.read_into(out) == 3
    assert (out == sent[:3]).all()
    assert ring.write(sent[3:7]) == 4  # slots 3, 4, 0, 1: wraps
    got = np.zeros((4, 2), np.int16)
    assert ring.read_into(got) == 4
    assert (got == sent[3:7]).all()
    assert (ring.written, ring.read) == (7, 7)


def test_a_full_ring_takes_what_fits_and_an_empty_one_gives_nothing() -> None:
    ring = Ring(4)
    assert ring.write(np.arange(6, dtype=np.int16)) == 4  # the caller counts the 2 it could not write
    assert ring.space() == 0
    assert ring.write(np.ones(1, np.int16)) == 0
    out = np.full(6, -1, np.int16)
    assert ring.read_into(out) == 4
    assert list(out) == [0, 1, 2, 3, -1, -1]  # the rest of `out` is left alone
    assert ring.read_into(out) == 0


def test_records_are_filled_and_emptied_in_place() -> None:
    record = np.dtype([("index", np.int64), ("mic", np.int16, (4, 2))])
    ring = Ring(2, (), record)
    for index in range(2):
        slot = ring.reserve()
        assert slot is not None
        ring.buffer["index"][slot] = index
        ring.buffer["mic"][slot] = index + 1
        ring.commit()
    assert ring.reserve() is None  # full
    slot = ring.peek()
    assert slot is not None and ring.buffer["index"][slot] == 0 and (ring.buffer["mic"][slot] == 1).all()
    ring.release()
    assert ring.reserve() is not None
    assert ring.peek() is not None and ring.buffer["index"][ring.peek()] == 1


def test_a_flush_marked_by_the_producer_drops_only_what_was_written_before_it() -> None:
    ring = Ring(100)
    ring.write(np.arange(30, dtype=np.int16))
    marker = ring.written
    ring.write(np.arange(100, 105, dtype=np.int16))
    assert ring.skip_to(marker) == 30
    out = np.zeros(10, np.int16)
    assert ring.read_into(out) == 5 and list(out[:5]) == [100, 101, 102, 103, 104]
    assert ring.skip_to(marker) == 0  # an old marker drops nothing more


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        Ring(0)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 17), st.lists(st.tuples(st.booleans(), st.integers(0, 40)), max_size=60))
def test_any_sequence_of_writes_and_reads_behaves_like_a_bounded_queue(capacity: int, ops: list) -> None:
    ring = Ring(capacity, (), np.int64)
    model: deque[int] = deque()
    counter = 0
    for is_write, size in ops:
        if is_write:
            items = np.arange(counter, counter + size, dtype=np.int64)
            written = ring.write(items)
            assert written == min(size, capacity - len(model))
            model.extend(items[:written].tolist())
            counter += size
        else:
            out = np.zeros(size, np.int64)
            count = ring.read_into(out)
            assert out[:count].tolist() == [model.popleft() for _ in range(count)]
        assert ring.available() == len(model)


def test_two_threads_lose_and_duplicate_nothing() -> None:
    """A producer and a consumer at full speed on a small ring: every value arrives once, in order."""
    total, ring = 200_000, Ring(257, (), np.int64)
    received = np.zeros(total, np.int64)

    def produce() -> None:
        rng = np.random.default_rng(1)
        sent = 0
        while sent < total:
            size = int(rng.integers(1, 64))
            written = ring.write(np.arange(sent, min(sent + size, total), dtype=np.int64))
            sent += written
            if not written:
                time.sleep(0)  # let the consumer have the GIL

    producer = threading.Thread(target=produce)
    producer.start()
    rng = np.random.default_rng(2)
    got = 0
    while got < total:
        count = ring.read_into(received[got : got + int(rng.integers(1, 64))])
        got += count
        if not count:
            time.sleep(0)
    producer.join()
    assert (received == np.arange(total)).all()
