"""A lock-free single-producer / single-consumer ring buffer of numpy items, safe to use in an audio callback.

The storage is allocated once. Two counters only ever grow: `written` (advanced by the producer alone) and
`read` (advanced by the consumer alone); an item's slot is its counter modulo the capacity. Each side reads
the other's counter and writes only its own, and an int attribute is stored atomically in CPython, so no lock
is needed: the producer publishes data by advancing `written` *after* copying it, the consumer frees a slot
by advancing `read` *after* copying out of it.

An item is one sample frame (`shape=(channels,)`) for sample rings, or a whole record (a numpy structured
dtype) for rings of fixed-size chunks. Two styles of access:
- `write` / `read_into` copy as many items as fit and return the count (the caller counts shortfalls);
- `reserve` + `commit` (producer) and `peek` + `release` (consumer) give the slot index of one item, so a
  callback fills or empties a record in place without a temporary array.
"""

from __future__ import annotations

import numpy as np


class Ring:
    """A fixed-capacity SPSC queue of items of one shape and dtype (see the module docstring)."""

    def __init__(self, capacity: int, shape: tuple[int, ...] = (), dtype: np.dtype | type | str = np.int16):
        if capacity < 1:
            raise ValueError(f"ring capacity must be at least 1 item, got {capacity}")
        self.capacity = int(capacity)
        self.buffer = np.zeros((self.capacity, *shape), dtype=dtype)
        self.written = 0  # items ever written: producer-owned
        self.read = 0  # items ever read: consumer-owned

    # ------------------------------------------------------------------------------------------ either side

    def available(self) -> int:
        """Items written and not yet read."""
        return self.written - self.read

    def space(self) -> int:
        """Items that can be written without overwriting unread ones."""
        return self.capacity - (self.written - self.read)

    # ------------------------------------------------------------------------------------------- producer

    def write(self, items: np.ndarray) -> int:
        """Copy as many leading `items` as fit; return how many were written."""
        count = min(len(items), self.space())
        if count:
            self._copy_in(self.written % self.capacity, items[:count])
            self.written += count  # publish only after the data is in place
        return count

    def reserve(self) -> int | None:
        """The slot index of the next item to fill, or None when the ring is full. Publish it with `commit`."""
        return self.written % self.capacity if self.written - self.read < self.capacity else None

    def commit(self) -> None:
        self.written += 1

    # ------------------------------------------------------------------------------------------- consumer

    def read_into(self, out: np.ndarray) -> int:
        """Copy up to len(out) items into `out`; return how many were copied (the rest of `out` is untouched)."""
        count = min(len(out), self.written - self.read)
        if count:
            start = self.read % self.capacity
            first = min(count, self.capacity - start)
            out[:first] = self.buffer[start : start + first]
            if count > first:
                out[first:count] = self.buffer[: count - first]
            self.read += count  # free the slots only after copying out
        return count

    def peek(self) -> int | None:
        """The slot index of the next item to read, or None when empty. Free it with `release`."""
        return self.read % self.capacity if self.written > self.read else None

    def release(self) -> None:
        self.read += 1

    def skip(self, count: int) -> int:
        """Drop up to `count` unread items without copying them; return how many were dropped."""
        count = min(count, self.written - self.read)
        self.read += count
        return count

    def skip_to(self, position: int) -> int:
        """Drop every item written before counter value `position` (a flush marked by the producer)."""
        return self.skip(position - self.read) if position > self.read else 0

    # ---------------------------------------------------------------------------------------------- inner

    def _copy_in(self, start: int, items: np.ndarray) -> None:
        first = min(len(items), self.capacity - start)
        self.buffer[start : start + first] = items[:first]
        if len(items) > first:
            self.buffer[: len(items) - first] = items[first:]
