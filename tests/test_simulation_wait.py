"""Waiting for a simulation to finish must not compete with the pipeline it waits for."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from assistant.conversation.simulate import _wait


class _Controller:
    """Busy with a last reply until `until` (monotonic seconds)."""

    def __init__(self, until: float) -> None:
        self.until = until

    @property
    def idle(self) -> bool:
        return time.monotonic() >= self.until


def test_waiting_out_the_last_reply_leaves_the_cpu_to_the_pipeline() -> None:
    # The room has played its schedule (wait_done returns at once) while the assistant still answers: the
    # loop used to poll without a pause, holding the GIL, and a real-time room fell seconds behind.
    room: Any = SimpleNamespace(wait_done=lambda timeout: True)
    pipeline: Any = SimpleNamespace(running=True, controller=_Controller(time.monotonic() + 0.5))
    cpu = time.process_time()
    assert _wait(room, pipeline, limit=5.0)
    assert time.process_time() - cpu < 0.2  # a spinning loop burns ~0.5 s of CPU in 0.5 s
