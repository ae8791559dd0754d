"""Bounded queues between the pipeline's threads, and the pacer that lets the simulated room run in lockstep.

A queue that backs up drops its oldest message and counts it: a stage that falls behind loses old audio or
stale events, never blocks the stage before it (the audio thread least of all), and the count shows in the
log and the stats.

The pacer counts messages in flight (put but not yet handled). In lockstep mode (`assistant simulate --fast`)
the audio thread waits until nothing is in flight before it reads the next block from the room, so the room's
clock stands still while the stages compute: compute takes no room time, the run is as fast as the machine
and behaves the same on every run. In real time the pacer does nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Pacer:
    """Messages in flight across all queues; `wait_idle` blocks until there are none (lockstep only)."""

    def __init__(self, lockstep: bool) -> None:
        self.lockstep = lockstep
        self._pending = 0
        self._idle = threading.Condition()

    def added(self) -> None:
        if self.lockstep:
            with self._idle:
                self._pending += 1

    def handled(self) -> None:
        if self.lockstep:
            with self._idle:
                self._pending -= 1
                if self._pending <= 0:
                    self._pending = 0
                    self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True when nothing is in flight (at once in real time); False if still busy after `timeout`."""
        if not self.lockstep:
            return True
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)


class WorkQueue(Generic[T]):
    """A bounded FIFO for one consumer thread; full → the oldest message is dropped and counted.

    The consumer calls `handled()` after each message it got (the pacer's bookkeeping).
    """

    def __init__(self, name: str, capacity: int, pacer: Pacer) -> None:
        self.name = name
        self.capacity = capacity
        self.pacer = pacer
        self.dropped = 0
        self._items: deque[T] = deque()
        self._ready = threading.Condition()

    def put(self, item: T) -> None:
        with self._ready:
            if len(self._items) >= self.capacity:
                self._items.popleft()
                self.dropped += 1
                self.pacer.handled()  # the dropped message will never be handled
                if self.dropped == 1 or self.dropped % 100 == 0:
                    log.warning("queue %s is full: dropped its oldest message (%d so far)", self.name, self.dropped)
            self._items.append(item)
            self.pacer.added()
            self._ready.notify()

    def get(self, timeout: float) -> T | None:
        """The next message, or None after `timeout` seconds without one."""
        with self._ready:
            if not self._items and not self._ready.wait_for(lambda: bool(self._items), timeout):
                return None
            return self._items.popleft()

    def handled(self) -> None:
        self.pacer.handled()

    def clear(self) -> int:
        """Drop everything waiting (shutting down); returns how many."""
        with self._ready:
            count = len(self._items)
            self._items.clear()
        for _ in range(count):
            self.pacer.handled()
        return count

    def __len__(self) -> int:
        return len(self._items)
