"""Sums with the time of day: "what time will it be in 3 hours", "what time was it 45 minutes ago", "how long until
5 PM", "how many minutes until midnight" (or "until tomorrow", "how many hours are left in the day").

A language model does not know the time, so it cannot add to it; these are answered from the clock. A length is
read as timers read it ("an hour and a half"); a time of day as alarms read one ("5 pm", "half past 6", "noon"),
the next such time from now when no AM or PM is said. Read on normalized text (text_norm: "5:30" is "530",
"three" is "3").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from assistant.conversation.phrases import parse_clock_time, parse_duration, question_of
from assistant.conversation.spoken import spoken_day, spoken_duration, spoken_time

MAX_HOURS = 24 * 7  # "in 3 hours" is about the clock; "in 400 hours" is a date question, left to the calendar

_FROM_NOW = re.compile(r"^what (?:time (?:will it be|would it be|is it going to be|is it)|will the time be)"
                       r"(?: in| in another)? (?P<length>.+?)(?: from now)?$")
_AGO = re.compile(r"^what time (?:was it|was it exactly|was it then) (?P<length>.+?) ago$")
_UNTIL = re.compile(r"^(?:how long|how much (?:more )?time|how many (?:hours|minutes)(?: more)?)"
                    r" (?:is it |do i have |is there |are there |are left |left |have i got )?"
                    r"(?:until|till|til|before|to) (?P<time>.+?)(?: today| tonight)?$"
                    r"|^how (?:many (?:hours|minutes)|much time) (?:is |are )?(?:there )?(?P<left>left) (?:in|of)"
                    r" (?:the day|today)$")
# The day's end said as a day: "how long until tomorrow", "until the end of the day": midnight.
_DAY_END = frozenset({"tomorrow", "the end of the day", "the end of today", "the end of the day today"})


def request(normalized: str) -> Callable[[datetime], str] | None:
    """The answer, at a moment, to a sum with the time of day in `normalized`, else None."""
    asked = question_of(normalized)
    for pattern, back in ((_FROM_NOW, False), (_AGO, True)):
        match = pattern.match(asked)
        seconds = _length(match["length"]) if match else None
        if seconds is not None:
            return lambda now, seconds=seconds, back=back: _shifted(seconds, back, now)
    match = _UNTIL.match(asked)
    if match is not None:
        said = "at midnight" if match["left"] or match["time"] in _DAY_END else f"at {match['time']}"
        at = parse_clock_time(said)
        if at is not None and at.span == (0, len(said)):
            return lambda now: _until(at.next_after(now), now)
    return None


def _length(said: str) -> float | None:
    """The seconds of `said` if it is nothing but a length ("3 hours", "an hour and a half"), else None."""
    duration = parse_duration(said)
    if duration is None or duration.spans[0][0] != 0 or duration.spans[-1][1] != len(said):
        return None
    return duration.seconds if 0 < duration.seconds <= MAX_HOURS * 3600 else None


def _shifted(seconds: float, back: bool, now: datetime) -> str:
    """"In three hours it'll be two oh six PM.", "... on Friday", "Forty-five minutes ago it was ..."."""
    then = now + timedelta(seconds=-seconds if back else seconds)
    length = spoken_duration(seconds)
    day = spoken_day(then, now) if not back else "yesterday" if then.date() < now.date() else "today"
    day = "" if day == "today" else f" {day}"
    if back:
        return f"{length[0].upper()}{length[1:]} ago it was {spoken_time(then)}{day}."
    return f"In {length} it'll be {spoken_time(then)}{day}."


def _until(then: datetime, now: datetime) -> str:
    """"Five o'clock PM is in five hours and fifty-four minutes.", "Midnight is in ..." (to the minute)."""
    seconds = 60 * round((then - now).total_seconds() / 60)
    day = spoken_day(then, now)
    named = {(0, 0): "midnight", (12, 0): "noon"}.get((then.hour, then.minute))
    when = named or spoken_time(then) + ("" if day == "today" else f" {day}")
    if seconds <= 0:
        return f"It's {when} now."
    return f"{when[0].upper()}{when[1:]} is in {spoken_duration(seconds)}."
