"""A stopwatch: "start a stopwatch", "how long has the stopwatch been running", "stop the stopwatch", "resume the
stopwatch", "reset the stopwatch".

A timer counts down to a ring; a stopwatch counts up, for a run, a steep or a plank, and tells the time it has run
when asked or stopped. A language model can do neither. One stopwatch, on the microphone's sample clock (as timers
before they ring), not kept across a restart. Part of the timers skill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.conversation.phrases import ADDRESSING
from assistant.conversation.spoken import time_left

SAMPLE_RATE = 16000

_WATCH = r"(?:the |a |my )?stop ?watch"
_REQUESTS = (
    ("stopwatch_start", re.compile(rf"^{ADDRESSING}(?:start|begin|set|run) {_WATCH}(?: please| now)?$|^{_WATCH}$")),
    ("stopwatch_reset", re.compile(rf"^{ADDRESSING}(?:reset|restart|start over|clear) {_WATCH}(?: please)?$")),
    ("stopwatch_stop", re.compile(rf"^{ADDRESSING}(?:stop|pause|end|halt) {_WATCH}(?: please| now)?$")),
    ("stopwatch_resume", re.compile(rf"^{ADDRESSING}(?:resume|continue|unpause|restart counting on) {_WATCH}"
                                    r"(?: please)?$")),
    ("stopwatch_cancel", re.compile(rf"^{ADDRESSING}(?:cancel|delete|turn off|get rid of) {_WATCH}(?: please)?$")),
    ("stopwatch_read", re.compile(rf"^{ADDRESSING}(?:how long (?:has|is) {_WATCH} (?:been )?(?:running|going|on)"
                                  rf"|how much time (?:is )?on {_WATCH}|what is {_WATCH} at|check {_WATCH}"
                                  rf"|what does {_WATCH} say|(?:read|tell me) {_WATCH})(?: now)?$")),
)


@dataclass(frozen=True)
class StopwatchRequest:
    intent: str  # stopwatch_start, _stop, _resume, _reset, _cancel, _read


# While one runs, these are about it: "how long has it been", "how long so far".
_SO_FAR = re.compile(rf"^{ADDRESSING}(?:how long has it been(?: running| going)?|how long so far|how long now"
                     r"|how much time has (?:passed|gone by))(?: now| so far)?$")


def parse_stopwatch_request(normalized: str, running: bool = False) -> StopwatchRequest | None:
    """The stopwatch request `normalized` makes, else None; `running`: a stopwatch runs (asked "how long has it
    been", it is read)."""
    for intent, pattern in _REQUESTS:
        if pattern.match(normalized):
            return StopwatchRequest(intent)
    return StopwatchRequest("stopwatch_read") if running and _SO_FAR.match(normalized) else None


class Stopwatch:
    """One stopwatch on the sample clock. Owned by the controller's thread (through Skills)."""

    def __init__(self) -> None:
        self.started: int | None = None  # the sample it (last) started at, while running
        self.banked = 0  # samples run before the last pause

    def act(self, request: StopwatchRequest, now: int) -> tuple[str, str]:
        """Does what `request` asks at sample `now`: its reply (intent, text)."""
        intent = request.intent
        running = self.started is not None
        if intent == "stopwatch_start" and not (running or self.banked):
            self.started = now
            return intent, "Okay, the stopwatch is running."
        if intent == "stopwatch_reset":
            self.started, self.banked = now, 0
            return intent, "Okay, the stopwatch starts again from zero."
        if not (running or self.banked):
            return intent, "You have no stopwatch running. Say: start a stopwatch."
        said = time_left(self.elapsed(now) / SAMPLE_RATE)
        if intent == "stopwatch_start":
            return intent, f"The stopwatch is already {'running' if running else 'stopped'}, at {said}."
        if intent == "stopwatch_stop":
            if running:
                self.banked, self.started = self.elapsed(now), None
            return intent, f"Stopped at {said}."
        if intent == "stopwatch_resume":
            if not running:
                self.started = now
            return intent, f"Okay, going on from {said}."
        if intent == "stopwatch_cancel":
            self.started, self.banked = None, 0
            return intent, f"Okay, I've cancelled the stopwatch, at {said}."
        return intent, f"The stopwatch {'is at' if running else 'stopped at'} {said}."

    @property
    def running(self) -> bool:
        return self.started is not None

    def elapsed(self, now: int) -> int:
        """Samples run in all, pauses left out."""
        return self.banked + (now - self.started if self.started is not None else 0)

    def kept(self) -> tuple[int | None, int]:
        return self.started, self.banked

    def restore(self, kept: tuple[int | None, int]) -> None:
        self.started, self.banked = kept
