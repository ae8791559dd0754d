"""Sunrise and sunset: "when is sunset", "what time does the sun rise tomorrow", "how long until sunset", "how many
hours of daylight are there today"; elsewhere, "when is sunset in Tokyo" (its city, by its clock).

A language model knows neither the date nor where the device is. The sun's times are worked out here for the
device's place (`general.location`, latitude and longitude) or, without one, for the main city of the system's time
zone, named in the answer (its times may be some minutes off where the device is). The sun's position is
sky.sun_position's (the times within a minute); "rises" and "sets" are for its
upper edge, with the air's bending of light (90.833 degrees from overhead).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from assistant.conversation import world_clock
from assistant.conversation.phrases import question_of
from assistant.conversation.sky import sun_position
from assistant.conversation.spoken import spoken_duration, spoken_time

_ZENITH = math.radians(90.833)


@dataclass(frozen=True)
class Place:
    latitude: float  # degrees north
    longitude: float  # degrees east
    name: str = ""  # said in the answer when the place is the time zone's city, not the device's own
    zone: zoneinfo.ZoneInfo | None = None  # whose clock its times are told by (None: the system's)


def place_of(location: list[float]) -> Place | None:
    """The device's place: `general.location` ([latitude, longitude]) when set, else the time zone's main city as
    the tz database gives it (zone.tab); None when neither is known (a zone such as UTC)."""
    if len(location) == 2:
        return Place(location[0], location[1])
    key = local_zone_key()
    return None if key is None else _zone_city(key)


def aware(moment: datetime) -> datetime:
    """`moment` with its time zone: the system's for a time without one (the device's days)."""
    return moment if moment.tzinfo is not None else moment.astimezone()


def local_zone_key() -> str | None:
    """The system's time zone, as a tz database key ("Europe/London"): $TZ, else /etc/localtime's link."""
    named = os.environ.get("TZ", "").lstrip(":")
    if "/" in named and not named.startswith("/"):
        return named
    try:
        target = Path("/etc/localtime").resolve()
    except OSError:
        return None
    parts = target.parts
    return "/".join(parts[parts.index("zoneinfo") + 1:]) if "zoneinfo" in parts else None


@functools.cache  # (a file of some 400 lines: read once per zone asked about)
def _zone_city(key: str) -> Place | None:
    """The coordinates of the city a tz database zone is named after, from its zone.tab (every zone of every
    country, "Atlantic/Reykjavik" too, which zone1970.tab folds into another)."""
    for folder in [*zoneinfo.TZPATH, _tzdata_folder()]:
        table = Path(folder) / "zone.tab" if folder else None
        if table is None or not table.is_file():
            continue
        for line in table.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if len(fields) >= 3 and fields[2] == key:
                latitude, longitude = _iso6709(fields[1])
                return Place(latitude, longitude, key.rpartition("/")[2].replace("_", " "))
        return None
    return None


def _tzdata_folder() -> str:
    try:
        import tzdata
    except ImportError:
        return ""
    return str(Path(tzdata.__file__).parent / "zoneinfo")


def _iso6709(text: str) -> tuple[float, float]:
    """"+404251-0740023" (degrees, minutes and maybe seconds, each signed) as decimal degrees."""
    match = re.fullmatch(r"([+-])(\d{2})(\d{2})(\d{2})?([+-])(\d{3})(\d{2})(\d{2})?", text)
    if match is None:
        raise ValueError(f"not an ISO 6709 position: {text!r}")
    sign_a, deg_a, min_a, sec_a, sign_o, deg_o, min_o, sec_o = match.groups()

    def degrees(sign: str, deg: str, minutes: str, seconds: str | None) -> float:
        value = int(deg) + int(minutes) / 60 + int(seconds or 0) / 3600
        return -value if sign == "-" else value

    return degrees(sign_a, deg_a, min_a, sec_a), degrees(sign_o, deg_o, min_o, sec_o)


def sun_times(day: date, place: Place) -> tuple[datetime | None, datetime | None, str]:
    """Sunrise and sunset on `day` at `place` (aware, UTC), or None for each with the sun up ("up") or down
    ("down") all day."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    noon = midnight + timedelta(minutes=720 - 4 * place.longitude)  # the solar noon, near enough to start from
    lat = math.radians(place.latitude)
    events: list[datetime] = []
    for side in (-1, 1):  # sunrise, sunset: each worked out at its own time (the sun moves 0.4 degrees a day)
        at = noon + timedelta(hours=6 * side)
        for _ in range(2):
            declination, eqtime = sun_position(at)
            cos_hour_angle = (math.cos(_ZENITH) - math.sin(lat) * math.sin(declination)) / (
                math.cos(lat) * math.cos(declination))
            if not -1 <= cos_hour_angle <= 1:
                return None, None, "up" if cos_hour_angle < -1 else "down"
            hour_angle = math.degrees(math.acos(cos_hour_angle))
            at = midnight + timedelta(minutes=720 - 4 * (place.longitude - side * hour_angle) - eqtime)
        events.append(at)
    return events[0], events[1], ""


_EVENT = r"(?P<event>sunrise|sunset|sun rise|sun set|dawn|dusk|the sun (?:rise|set|come up|go down)s?)"
_DAY = r"(?: in (?P<place>[a-z ]+?))?(?: (?P<day>today|tomorrow|tonight|this morning|this evening))?"  # "in Tokyo"
_QUESTIONS = (  # (what is asked, its pattern): one name per group, so one pattern per form
    ("when", re.compile(rf"^(?:when|what time) (?:is|will be|does|will|was|did|is the) {_EVENT}{_DAY}")),
    ("when", re.compile(rf"^(?:what is the |whats the )?{_EVENT} time{_DAY}")),
    ("when", re.compile(rf"^what time (?:does|will) the sun (?P<event>rise|set|come up|go down){_DAY}")),
    ("when", re.compile(rf"^(?:when|what time) (?:does|will) it get (?P<event>dark|light){_DAY}")),
    ("until", re.compile(rf"^how (?:long|much time|many (?:hours|minutes)) (?:is it |is there |is left )?"
                         rf"(?:until|till|before|to) {_EVENT}")),
    ("length", re.compile(r"^how (?:many hours|much|long) (?:of )?(?:daylight|sunlight|day light)(?: is there| are "
                          rf"there| do we have| will there be| is it)?{_DAY}")),
    ("length", re.compile(rf"^how long is the day{_DAY}")),
)
_RISE = {"sunrise", "sun rise", "dawn", "rise", "come up", "light"}


def request(normalized: str, where: Place | None) -> Callable[[datetime], str] | None:
    """The answer, at a moment, to a question about the sun's times in `normalized`, else None."""
    asked = question_of(normalized)
    for kind, pattern in _QUESTIONS:
        match = pattern.fullmatch(asked)
        if match is None:
            continue
        groups = match.groupdict()
        if groups.get("place"):
            where = _elsewhere(groups["place"])
            if where is None:
                return None  # a place not known here, or of several zones: the language model's
        elif where is None:
            return lambda now: ("I don't know where I am: set general.location to the latitude and longitude here, "
                                "for example [51.48, -0.01].")
        rise = any(word in (groups.get("event") or "") for word in _RISE)
        tomorrow = groups.get("day") == "tomorrow"
        if kind == "length":
            return lambda now: _daylight(where, now, tomorrow)
        return lambda now: _when(where, now, rise, tomorrow, until=kind == "until")
    return None


def _elsewhere(said: str) -> Place | None:
    """The city of a place asked about ("in Tokyo"), its times told by its clock."""
    found = world_clock.zone_of(said)
    city = _zone_city(found[1]) if found else None
    if found is None or city is None:
        return None
    return dataclasses.replace(city, name=found[0], zone=zoneinfo.ZoneInfo(found[1]))


def _when(where: Place, now: datetime, rise: bool, tomorrow: bool, until: bool) -> str:
    here = now.astimezone(where.zone)
    day = here.date() + timedelta(days=tomorrow)
    rise_at, set_at, all_day = sun_times(day, where)
    event = rise_at if rise else set_at
    verb = "rise" if rise else "set"
    at = f"In {where.name}, the" if where.name else "The"
    when = "tomorrow" if tomorrow else "today"
    if event is None:
        return f"{at} sun won't {verb} {when}: it stays {all_day} all day."
    local = (event + timedelta(seconds=30)).astimezone(here.tzinfo).replace(second=0, microsecond=0)  # nearest
    if until:
        left = (local - here).total_seconds()
        if left <= 0:  # already: the next day's
            return _when(where, now, rise, True, until=False)
        return f"{at} sun {verb}s in {spoken_duration(60 * round(left / 60))}, at {spoken_time(local)}."
    if not tomorrow and local < here:
        return f"{at} sun {'rose' if rise else 'set'} at {spoken_time(local)} {when}."
    return f"{at} sun {verb}s at {spoken_time(local)} {when}."


def _daylight(where: Place, now: datetime, tomorrow: bool) -> str:
    day = now.astimezone(where.zone).date() + timedelta(days=tomorrow)
    rise_at, set_at, all_day = sun_times(day, where)
    when = "tomorrow" if tomorrow else "today"
    at = f" in {where.name}" if where.name else ""
    if rise_at is None or set_at is None:
        return f"The sun stays {all_day} all day{at} {when}."
    length = 60 * round((set_at - rise_at).total_seconds() / 60)
    return f"{when.capitalize()} has {spoken_duration(length)} of daylight{at}."
