"""The device's own time zone: "what time zone am I in", "is it daylight saving time", "when do the clocks change",
"when does daylight saving time end", "what time is it in UTC".

A language model knows neither where the device is nor the date, and the rules of summer time differ by country and
year. These are answered from the system's time zone (the tz database's rules, as the clock itself follows them):
its key from $TZ or /etc/localtime (`sun.local_zone_key`), else the offset the system gives.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo

from assistant.conversation.phrases import asked_question
from assistant.conversation.spoken import spoken_day, spoken_duration, spoken_time
from assistant.conversation.sun import aware, local_zone_key

_SUMMER = r"(?:daylight sav(?:ing|ings)(?: time)?|summer time|dst)"
_QUESTIONS = (
    ("zone", re.compile(r"what (?:time ?zone|timezone) (?:am i in|are we in|is (?:this|it|here|set)|do you use"
                        r"|is your clock(?: in| set to)?)|what is (?:my|the|your|our) (?:time ?zone|timezone)"
                        r"(?: here)?")),
    ("summer", re.compile(rf"(?:is it|are we (?:in|on)|is this|do we have) {_SUMMER}(?: now| here| yet)?")),
    ("change", re.compile(rf"when (?:do|will) the clocks (?:change|go (?P<way>forward|back|backward|ahead)"
                          rf"|(?P<way2>spring forward|fall back))(?: next| this year)?"
                          rf"|when (?:does|is|will) {_SUMMER} (?P<edge>start|begin|end|over)"
                          rf"|when (?:does|is) the (?:next )?time change|when do we (?:change|set) the clocks"
                          rf"|when is the (?:next )?(?:clock|time) change")),
    ("utc", re.compile(r"what time is it in (?:utc|gmt|zulu|coordinated universal time|greenwich mean time)"
                       r"|what is the time in (?:utc|gmt|zulu)|what is (?:the )?(?:utc|gmt) time")),
)
_SCAN = timedelta(days=1)
_SCAN_DAYS = 400  # a year and some: every zone that changes does so within one


def request(normalized: str) -> Callable[[datetime], str] | None:
    """The answer, at a moment (local), to a question about the device's time zone in `normalized`, else None."""
    found = asked_question(normalized, _QUESTIONS)
    if found is None:
        return None
    kind, match = found
    if kind == "utc":
        return lambda now: f"It's {spoken_time(aware(now).astimezone(UTC))} UTC."
    if kind == "zone":
        return lambda now: _zone_answer(aware(now), _local_zone())
    if kind == "summer":
        return lambda now: _summer_answer(aware(now), _local_zone())
    edge = match["edge"] or ""
    said_way = match["way"] or match["way2"] or ""
    way = "back" if said_way.startswith(("back", "fall")) else "forward" if said_way else ""
    return lambda now: _change_answer(aware(now), _local_zone(), edge, way)


def _local_zone() -> tuple[str, tzinfo | None]:
    """The system's zone: its place as said ("London"; "" for UTC or unknown) and its rules (None: unknown)."""
    key = local_zone_key()
    try:
        zone = zoneinfo.ZoneInfo(key) if key else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None or key in ("UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Zulu"):
        return "", zone
    return key.rsplit("/", 1)[-1].replace("_", " "), zone


def _offset_said(offset: timedelta) -> str:
    """"the same as UTC", "UTC plus one hour", "UTC minus five hours", "UTC plus five hours and thirty minutes"."""
    if not offset:
        return "the same as UTC"
    sign = "plus" if offset > timedelta() else "minus"
    return f"UTC {sign} {spoken_duration(abs(offset.total_seconds()))}"


def _zone_answer(now: datetime, local: tuple[str, tzinfo | None]) -> str:
    place, zone = local
    here = now.astimezone(zone) if zone is not None else now
    offset = here.utcoffset() or timedelta()
    if not place:
        return "The clock here keeps UTC." if not offset else f"The clock here keeps {_offset_said(offset)}."
    return f"The clock here keeps {place} time: {here.tzname()}, {_offset_said(offset)}."


def _next_change(now: datetime, zone: tzinfo) -> datetime | None:
    """The first moment after `now` at which `zone`'s offset changes (to the minute), else None within a year."""
    offset = now.astimezone(zone).utcoffset()
    before = now.astimezone(UTC)
    for _ in range(min(_SCAN_DAYS, (datetime.max.replace(tzinfo=UTC) - before).days - 2)):  # (to the year 9999)
        after = before + _SCAN
        if after.astimezone(zone).utcoffset() != offset:
            while after - before > timedelta(minutes=1):  # the change lies between: halve the gap
                middle = before + (after - before) / 2
                before, after = (middle, after) if middle.astimezone(zone).utcoffset() == offset else (before, middle)
            return after.replace(second=0, microsecond=0)
        before = after
    return None


def _shift(change: datetime, zone: tzinfo) -> timedelta:
    """How far the clocks move at `change`."""
    after, before = change.astimezone(zone).utcoffset(), (change - timedelta(minutes=1)).astimezone(zone).utcoffset()
    return (after or timedelta()) - (before or timedelta())


def _unnamed(now: datetime) -> str | None:
    """What to say when the system's zone has no name to read its rules by (an /etc/localtime copied, not linked),
    unless the clock keeps UTC; else None."""
    if now.utcoffset():
        return "I can't tell: the system's time zone has no name I can read. Assistant doctor says how to set it."
    return None


def _summer_answer(now: datetime, local: tuple[str, tzinfo | None]) -> str:
    place, zone = local
    if zone is None or not place:
        return _unnamed(now) or "No: the clock here keeps UTC, which has no daylight saving time."
    here = now.astimezone(zone)
    change = _next_change(now, zone)
    on = bool(here.dst())
    if change is None:
        return f"No: {place} has no daylight saving time." if not on else f"Yes, {place} keeps {here.tzname()}."
    day = spoken_day(change.astimezone(zone), here)
    if on:
        return f"Yes, {place} is on daylight saving time, {here.tzname()}, until {day.removeprefix('on ')}."
    return f"No, {place} is on standard time, {here.tzname()}. Daylight saving time starts {day}."


def _change_answer(now: datetime, local: tuple[str, tzinfo | None], edge: str, way: str) -> str:
    """When the clocks next change (the next time they go `way`, "forward" or "back", when asked so); asked when
    daylight saving time starts (`edge`) while it is on, or ends while it is off, that first."""
    place, zone = local
    change = _next_change(now, zone) if zone is not None and place else None
    if change is None or zone is None:
        return (f"The clocks don't change in {place}: it has no daylight saving time." if place
                else _unnamed(now) or "The clocks don't change here: the clock keeps UTC.")
    new = change.astimezone(zone)
    on = bool(now.astimezone(zone).dst())
    if on and edge in ("start", "begin"):
        return f"{place} is on daylight saving time now, until {spoken_day(new, now).removeprefix('on ')}."
    if not on and edge in ("end", "over"):
        return f"{place} is on standard time now; daylight saving time starts {spoken_day(new, now)}."
    shift = _shift(change, zone)
    if way and (way == "forward") != (shift > timedelta()):  # "when do the clocks go back" in spring: the one after
        change = _next_change(change, zone) or change
        new, shift = change.astimezone(zone), _shift(change, zone)
    old = (change - timedelta(minutes=1)).astimezone(zone)
    direction = "forward" if shift > timedelta() else "back"
    from_time = spoken_time(old + timedelta(minutes=1))  # the wall clock's time as it changes, on the old offset
    return (f"The clocks go {direction} {spoken_duration(abs(shift.total_seconds()))} {spoken_day(new, now)}: at "
            f"{from_time} it becomes {spoken_time(new)}.")
