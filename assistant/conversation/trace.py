"""The trace: what happened in each turn and when, on the audio clock, as JSON lines.

`{"t": seconds, "turn": n, "event": name, ...}` per line. `t` is a position on the 16 kHz audio clock
(the room's clock in a simulation, the sound card's in `assistant run`) in seconds, so a trace from a device
reads the same as one from the simulated room, and the latency benchmark measures both alike. Events are
written as they happen, so a trace survives a crash, and kept in memory for a simulation's summary (`keep`);
a live run, which lasts weeks, keeps none.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from assistant.audio.io import SAMPLE_RATE


class Trace:
    """Thread-safe recorder of trace events; `clock()` gives the current audio-clock sample."""

    def __init__(self, clock: Callable[[], int], path: Path | None = None, *, keep: bool = True) -> None:
        self._clock = clock
        self._keep = keep
        self._lock = threading.Lock()
        self.events: list[dict[str, Any]] = []
        self._file: IO[str] | None = path.open("w", encoding="utf-8") if path is not None else None

    def emit(self, event: str, turn: int | None, *, sample: int | None = None, **fields: Any) -> dict[str, Any]:
        """Record `event` of `turn` at `sample` (default: now on the audio clock)."""
        position = self._clock() if sample is None else sample
        record = {"t": round(position / SAMPLE_RATE, 4), "turn": turn, "event": event, **fields}
        with self._lock:
            if self._keep:
                self.events.append(record)
            if self._file is not None:
                self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
                self._file.flush()
        return record

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
