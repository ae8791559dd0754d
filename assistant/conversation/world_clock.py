"""The time elsewhere: "what time is it in Tokyo", "what's the time in New York", "time in India", "what's the date
in Tokyo"; a time here there: "what time will it be in Tokyo at 5 PM"; a time there here, or in a third place: "when
is it 9 AM in Tokyo", "what time is 3 PM New York time", "what is 3 PM New York time in London"; how far ahead or
behind a place is: "what's the time difference with Tokyo", "how many hours ahead is London", "the time difference
between New York and Paris"; and a place's time zone: "what time zone is Tokyo in".

A language model cannot know the time anywhere; the device knows it here and the time zone rules of the world
(the tz database: Debian's tzdata, or the tzdata package), summer time included. Places are the tz database's
cities ("Tokyo", "New York", "Sao Paulo") and a short list of countries, states and big cities it names by
another ("Japan", "California", "San Francisco"), and North America's zones by name ("Pacific time", "5 PM
Eastern", "PST"). A country with several zones ("Australia", "the US") is answered with the time in its main
cities. A place not known here is left to the language model.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta

from assistant.conversation.phrases import ClockTime, parse_clock_time, within_calendar
from assistant.conversation.spoken import WEEKDAYS, number_words, spoken_date, spoken_duration, spoken_time

# Places the tz database does not name, by zone.
_OTHER_NAMES = {
    "Asia/Tokyo": ("japan",),
    "Asia/Shanghai": ("china", "beijing"),
    "Asia/Kolkata": ("india", "delhi", "new delhi", "mumbai", "bombay", "bangalore", "bengaluru", "chennai"),
    "Asia/Seoul": ("korea", "south korea"),
    "Asia/Ho_Chi_Minh": ("vietnam",),
    "Asia/Bangkok": ("thailand",),
    "Asia/Manila": ("philippines",),
    "Asia/Karachi": ("pakistan",),
    "Asia/Jerusalem": ("israel", "tel aviv"),
    "Asia/Dubai": ("uae", "abu dhabi"),
    "Asia/Riyadh": ("saudi arabia",),
    "Asia/Taipei": ("taiwan",),
    "Asia/Jakarta": ("indonesia",),
    "Asia/Makassar": ("bali",),
    "Asia/Kuala_Lumpur": ("malaysia",),
    "Asia/Kathmandu": ("nepal",),
    "Asia/Dhaka": ("bangladesh",),
    "Asia/Tehran": ("iran",),
    "Asia/Baghdad": ("iraq",),
    "Europe/Istanbul": ("turkey", "ankara"),
    "Europe/London": ("england", "britain", "uk", "the uk", "scotland", "wales", "edinburgh", "manchester"),
    "Europe/Dublin": ("ireland",),
    "Europe/Paris": ("france",),
    "Europe/Berlin": ("germany", "munich", "frankfurt", "hamburg"),
    "Europe/Rome": ("italy", "milan"),
    "Europe/Madrid": ("spain", "barcelona"),
    "Europe/Lisbon": ("portugal",),
    "Europe/Amsterdam": ("netherlands", "holland"),
    "Europe/Brussels": ("belgium",),
    "Europe/Zurich": ("switzerland", "geneva"),
    "Europe/Vienna": ("austria",),
    "Europe/Warsaw": ("poland",),
    "Europe/Stockholm": ("sweden",),
    "Europe/Oslo": ("norway",),
    "Europe/Copenhagen": ("denmark",),
    "Europe/Helsinki": ("finland",),
    "Europe/Athens": ("greece",),
    "Europe/Kyiv": ("ukraine", "kiev"),
    "Africa/Cairo": ("egypt",),
    "Africa/Lagos": ("nigeria",),
    "Africa/Nairobi": ("kenya",),
    "Africa/Johannesburg": ("south africa", "cape town"),
    "America/Argentina/Buenos_Aires": ("argentina",),
    "America/Lima": ("peru",),
    "America/Bogota": ("colombia",),
    "America/Santiago": ("chile",),
    "America/Sao_Paulo": ("brazil", "rio", "rio de janeiro"),
    "America/Mexico_City": ("mexico",),
    "America/Los_Angeles": ("california", "san francisco", "seattle", "la", "l a", "las vegas", "san diego",
                            "portland"),
    "America/New_York": ("washington", "washington dc", "boston", "miami", "atlanta", "philadelphia", "florida",
                         "nyc", "new york city"),
    "America/Chicago": ("texas", "dallas", "houston", "austin"),
    "America/Denver": ("colorado",),
    "America/Phoenix": ("arizona",),
    "America/Anchorage": ("alaska",),
    "America/Toronto": ("montreal", "ottawa", "quebec"),
    "Pacific/Honolulu": ("hawaii",),
    "Pacific/Auckland": ("new zealand", "wellington"),
    "Atlantic/Reykjavik": ("iceland",),
    "Europe/Moscow": ("moscow",),
}
# Countries of several zones: a city of each main one, the biggest first, each time said once.
_SEVERAL = {
    "united states": (("New York", "America/New_York"), ("Chicago", "America/Chicago"),
                      ("Denver", "America/Denver"), ("Los Angeles", "America/Los_Angeles")),
    "canada": (("Halifax", "America/Halifax"), ("Toronto", "America/Toronto"), ("Winnipeg", "America/Winnipeg"),
               ("Edmonton", "America/Edmonton"), ("Vancouver", "America/Vancouver")),
    # (Brisbane keeps Sydney's time in winter, when it is not said; in summer it is half an hour behind Adelaide.)
    "australia": (("Sydney", "Australia/Sydney"), ("Adelaide", "Australia/Adelaide"),
                  ("Brisbane", "Australia/Brisbane"), ("Perth", "Australia/Perth")),
    "russia": (("Moscow", "Europe/Moscow"), ("Yekaterinburg", "Asia/Yekaterinburg"),
               ("Novosibirsk", "Asia/Novosibirsk"), ("Vladivostok", "Asia/Vladivostok")),
}
_SEVERAL_NAMES = {name: "united states" for name in ("usa", "us", "u s", "u s a", "america", "united states of america",
                                                      "states")}
_TITLE_EXCEPTIONS = {"united states": "the United States", "uk": "the UK", "the uk": "the UK", "uae": "the UAE",
                     "nyc": "New York City", "la": "L.A.", "l a": "L.A.", "washington dc": "Washington, D.C."}
# North America's zones by name, as people say them ("Pacific time", "5 PM Eastern", "PST"), said back as
# "Pacific time". ("Eastern" alone in a question about the time: the zone, not a place.)
_ZONE_NAMES = {"pacific": "America/Los_Angeles", "mountain": "America/Denver", "central": "America/Chicago",
               "eastern": "America/New_York", "atlantic": "America/Halifax"}


def _zones_said() -> dict[str, tuple[str, str]]:
    """A zone's name as heard ("pacific daylight time", "p s t") -> (as said back, tz database key)."""
    return {
        name: (f"{word.title()} time", key)
        for word, key in _ZONE_NAMES.items()
        for name in (word, f"{word} time", f"{word} standard time", f"{word} daylight time",
                     f"{word[0]}st", f"{word[0]}dt", f"{word[0]} s t", f"{word[0]} d t")
    }


_ZONES_SAID = _zones_said()


@functools.cache
def places() -> dict[str, str]:
    """Place name (normalized) -> tz database key: its cities, then the other names. Read once (40 ms here, the
    tz database's 600 files), as the skills start rather than on the first question."""
    places: dict[str, str] = {}
    for key in sorted(zoneinfo.available_timezones()):
        area, _, city = key.rpartition("/")
        if area and area.split("/")[0] in ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia",
                                           "Europe", "Indian", "Pacific"):
            places.setdefault(city.replace("_", " ").lower(), key)
    places.update({name: zone for zone, names in _OTHER_NAMES.items() for name in names})
    places.update({name: zone for name, (_, zone) in _ZONES_SAID.items()})
    return places


_QUESTION = re.compile(r"^(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant) )?(?:please )?"
                       r"(?:(?:can|could) you )?(?:tell me )?(?:do you know )?"
                       r"(?:what time is it(?: right)?(?: now)?|what is the (?:current |local )?time(?: now)?"
                       r"|the time|time|what time)"
                       r" (?:(?:in|at|over in) (?P<place>.+?)"
                       r"|(?P<zone>\w+(?: standard| daylight)? time|[a-z] ?[sd] ?t))"
                       r"(?: (?:right )?now)?(?: please)?$")


# "what's the date in Tokyo", "what day is it in Sydney"
_DATE_THERE = re.compile(r"^(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant) )?(?:please )?(?:tell me )?"
                         r"(?:what is the date|what date is it|what is the day|what day is it|what is today)"
                         r" (?:in|over in) (?P<place>.+?)(?: (?:right )?now)?(?: please)?$")
# "what time will it be in Tokyo at 5 PM", "when it's 5 PM here what time is it in Tokyo"
_CONVERT = re.compile(r"^(?:what time (?:will it be|is it|is that) in (?P<place>.+?) (?:at|when it is) (?P<time>.+?)"
                      r"(?: here)?|(?:when it is|if it is) (?P<time2>.+?) here what time (?:will it be|is it) in"
                      r" (?P<place2>.+?)|what is (?P<time3>.+?) (?:here )?in (?P<place3>.+?) time)$")
# "when is it 9 am in Tokyo", "what time is it here when it is 9 am in Tokyo", "what time is 3 pm New York time",
# "what is 3 pm New York time in London": the next such time there, here (or in the other place)
_FROM_THERE = re.compile(r"^(?:when is it|what time is it here when it is|what time will it be here when it is"
                         r"|when it is) (?P<time>.+?) in (?P<place>.+?)(?: what time is it here)?$"
                         r"|^(?:what time is|what is) (?P<both>.+?) time(?: here| for me| in (?P<other>.+?))?"
                         r"(?: time)?$")
# "what time zone is Tokyo in", "what is the time zone in Tokyo", "what time zone does Denver use"
_ZONE_OF = re.compile(r"^(?:what|which) time ?zone (?:is (?P<place>.+?) in|does (?P<place2>.+?) (?:use|have|keep)"
                      r"|is (?:it )?in (?P<place3>.+?))$|^what is the time ?zone (?:in|of|for) (?P<place4>.+?)$")
_HERE = r"(?:here|me|us|home)"
_DIFFERENCE = re.compile(
    r"^(?:what is |whats )?the time difference (?:between (?:here and |us and )?(?P<place>.+?)(?: and (?P<other>.+?))?"
    rf"|(?:with|to|from) (?P<place2>.+?))(?: and {_HERE})?$"
    rf"|^how (?:many hours|far) (?P<ahead>ahead|behind) (?:of {_HERE} )?is (?P<place3>.+?)(?: from {_HERE})?$"
    r"|^is (?P<place4>.+?) ahead (?:of us |of me )?or behind(?: us| me)?$")


def request(normalized: str) -> Callable[[datetime], str] | None:
    """The answer, at a local moment, to a question about the time in a place in `normalized`, else None."""
    answer = _request(normalized)
    return None if answer is None else within_calendar(answer)  # (the day there may be off the calendar's ends)


def _request(normalized: str) -> Callable[[datetime], str] | None:
    difference = _DIFFERENCE.match(normalized)
    if difference is not None:
        return _difference_request(difference)
    converted = _CONVERT.match(normalized)
    answer = _convert_request(converted) if converted is not None else None
    if answer is not None:
        return answer
    from_there = _FROM_THERE.match(normalized)
    answer = _from_there_request(from_there) if from_there is not None else None  # ("what is the time in Tokyo")
    if answer is not None:
        return answer
    zone_asked = _ZONE_OF.match(normalized)
    if zone_asked is not None:
        return _zone_request(next(p for p in zone_asked.group("place", "place2", "place3", "place4") if p))
    on_date = _DATE_THERE.match(normalized)
    if on_date is not None:
        return _date_request(on_date["place"])
    match = _QUESTION.match(normalized)
    if match is None:
        return None
    if match["zone"]:  # "what time is it Pacific time", "what time is it PST"
        return _time_in(_zoned(match["zone"]))
    both = re.fullmatch(r"(?P<first>.+?) and (?:in )?(?P<second>.+)", match["place"])
    if both is not None and match["place"] not in places():  # "in New York and London"
        first, second = _zoned(both["first"]), _zoned(both["second"])
        if first is not None and second is not None:
            return lambda now: (f"In {first[0]} it's {_time_there(first[1], now)}, and in {second[0]} "
                                f"{_time_there(second[1], now)}.")
    place = match["place"].removeprefix("the ") if match["place"] not in places() else match["place"]
    several = _SEVERAL.get(_SEVERAL_NAMES.get(place, place))
    if several is not None:
        cities = [(city, zone) for city, key in several if (zone := _zone(key)) is not None]
        return (lambda now: _answer_several(_SEVERAL_NAMES.get(place, place), cities, now)) if cities else None
    return _time_in(_zoned(match["place"]))


def _time_in(found: tuple[str, zoneinfo.ZoneInfo] | None) -> Callable[[datetime], str] | None:
    """"In Tokyo it's ...", "It's ... Pacific time." for a place as _zoned gives it."""
    if found is None:
        return None
    name, zone = found
    if name.endswith(" time"):
        return lambda now: f"It's {_time_there(zone, now)} {name}."
    return lambda now: f"In {name} it's {_time_there(zone, now)}."


def _zoned(said: str) -> tuple[str, zoneinfo.ZoneInfo] | None:
    """The place `said` names, as said back, and its zone (one zone only), else None."""
    found = zone_of(said)
    zone = _zone(found[1]) if found else None
    return None if found is None or zone is None else (found[0], zone)


def _date_request(said: str) -> Callable[[datetime], str] | None:
    """"In Tokyo it's Friday, November the 27th." (the year left out)."""
    found = _zoned(said)
    if found is None:
        return None
    name, zone = found
    return lambda now: f"In {name} it's {spoken_date(now.astimezone().astimezone(zone)).rsplit(', ', 1)[0]}."


def _convert_request(match: re.Match[str]) -> Callable[[datetime], str] | None:
    """"When it's five o'clock PM here, it's two o'clock AM on Friday in Tokyo." (today's such time here)."""
    found = _zoned(next(p for p in match.group("place", "place2", "place3") if p))
    said = "at " + next(t for t in match.group("time", "time2", "time3") if t)
    at = parse_clock_time(said)
    if found is None or at is None or said[at.span[1]:].endswith(" time"):  # ("what is 9 am Tokyo time in ...")
        return None
    name, zone = found

    def answer(now: datetime) -> str:
        here = now.replace(hour=at.hours[0], minute=at.minute, second=0, microsecond=0).astimezone()
        there = here.astimezone(zone)
        day = "" if there.date() == here.date() else f" on {WEEKDAYS[there.weekday()]}"
        return f"When it's {spoken_time(here)} here, it's {spoken_time(there)}{day} {_in(name)}."

    return answer


def _from_there_request(match: re.Match[str]) -> Callable[[datetime], str] | None:
    """"When it's nine o'clock AM in Tokyo, it's seven o'clock PM here, today." (the next such time there), or in
    the other place named."""
    found, at = _time_and_place(match)
    other = _zoned(match["other"]) if match["other"] else None
    if found is None or at is None or (match["other"] and other is None) or (len(at.hours) != 1 and not (
            at.meridiem is None and at.hour == 12)):
        return None  # ("9 in Tokyo": morning or evening? the model may ask)
    name, zone = found
    hour = at.hours[0] if len(at.hours) == 1 else 12  # noon

    def answer(now: datetime) -> str:
        here_now = now.astimezone()
        there_now = here_now.astimezone(zone)
        there = there_now.replace(hour=hour, minute=at.minute, second=0, microsecond=0)
        if there <= there_now:
            there = (there_now + timedelta(days=1)).replace(hour=hour, minute=at.minute, second=0, microsecond=0)
        where, target_zone = ("here", None) if other is None else (_in(other[0]), other[1])
        then = there.astimezone(target_zone)  # (None: this device's zone)
        days = (then.date() - here_now.astimezone(target_zone).date()).days
        day = "today" if days == 0 else "tomorrow" if days == 1 else f"on {WEEKDAYS[then.weekday()]}"
        return f"When it's {spoken_time(there)} {_in(name)}, it's {spoken_time(then)} {where}, {day}."

    return answer


def _time_and_place(match: re.Match[str]) -> tuple[tuple[str, zoneinfo.ZoneInfo] | None, ClockTime | None]:
    """The place (as _zoned) and the time of day a _FROM_THERE question names; "3 pm new york" is read at each word
    until a time and a place are found."""
    if match["place"]:
        return _zoned(match["place"]), parse_clock_time("at " + match["time"])
    words = match["both"].split()
    for i in range(1, len(words)):
        place, at = _zoned(" ".join(words[i:])), parse_clock_time("at " + " ".join(words[:i]))
        if place is not None and at is not None:
            return place, at
    return None, None


def _zone_request(said: str) -> Callable[[datetime], str] | None:
    """"Tokyo keeps JST, nine hours ahead of UTC. Tokyo is nine hours ahead of here." (its offsets now)."""
    found = _zoned(said)
    if found is None:
        return None
    name, zone = found

    def answer(now: datetime) -> str:
        there = now.astimezone().astimezone(zone)
        offset = round((there.utcoffset() or timedelta()).total_seconds() / 60)
        abbreviation = there.tzname() or ""
        named = f"keeps {abbreviation}, " if abbreviation[:1].isalpha() else "is "  # (not "+04")
        utc = "the same as UTC" if offset == 0 else f"{_hours(offset)} {'ahead of' if offset > 0 else 'behind'} UTC"
        return f"{name} {named}{utc}. {_difference(name, zone, 'here', None, now)}"

    return answer


def _difference_request(match: re.Match[str]) -> Callable[[datetime], str] | None:
    """"Tokyo is 14 hours ahead of here.", or of the other place named ("between Tokyo and London")."""
    place = _zoned(next(p for p in match.group("place", "place2", "place3", "place4") if p))
    other = _zoned(match["other"]) if match["other"] else None
    if place is None or (match["other"] and other is None):
        return None
    return lambda now: _difference(*place, *(other or ("here", None)), now)


def _difference(name: str, zone: zoneinfo.ZoneInfo, base: str, base_zone: zoneinfo.ZoneInfo | None,
                now: datetime) -> str:
    """How far `zone`'s clocks are ahead of or behind `base_zone`'s (here, None) at `now`, summer time included."""
    here = now.astimezone()
    there, from_ = here.astimezone(zone), here.astimezone(base_zone) if base_zone else here
    minutes = round(((there.utcoffset() or timedelta()) - (from_.utcoffset() or timedelta())).total_seconds() / 60)
    base_said = "here" if base_zone is None else base
    if minutes == 0:
        return f"{name} has the same time as {base_said}."
    side = "ahead of" if minutes > 0 else "behind"
    return f"{name} is {_hours(minutes)} {side} {base_said}."


def _hours(minutes: int) -> str:
    """A difference of clocks as said: "nine hours", "five and a half hours", "five hours and forty-five minutes"."""
    hours, rest = divmod(abs(minutes), 60)
    return f"{number_words(hours)} and a half hours" if rest == 30 and hours else spoken_duration(abs(minutes) * 60)


def zone_of(said: str) -> tuple[str, str] | None:
    """The place `said` names ("tokyo", "the uk") as said back ("Tokyo", "the UK") and its tz database key, if it has
    one zone; else None."""
    key = places().get(said) or (places().get(said[4:]) if said.startswith("the ") and said[4:] not in _ZONES_SAID
                                 else None)  # ("the pacific": an ocean)
    if key is None:
        return None
    said_back = _ZONES_SAID[said][0] if said in _ZONES_SAID else _TITLE_EXCEPTIONS.get(said) or said.title()
    return said_back, key


def _in(name: str) -> str:
    """"in Tokyo", but "Pacific time" (a zone's name says where already)."""
    return name if name.endswith(" time") else f"in {name}"


def _zone(key: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None  # a tz database without it


def _time_there(zone: zoneinfo.ZoneInfo, now: datetime) -> str:
    here = now.astimezone()  # a naive moment is the system's local time
    there = here.astimezone(zone)
    day = "" if there.date() == here.date() else f" on {WEEKDAYS[there.weekday()]}"
    return f"{spoken_time(there)}{day}"


def _answer_several(country: str, cities: list[tuple[str, zoneinfo.ZoneInfo]], now: datetime) -> str:
    """"In New York it's ..., in Chicago ..., and in Los Angeles ...", a city only where the time differs."""
    said: list[str] = []
    times: set[str] = set()
    for city, zone in cities:
        there = _time_there(zone, now)
        if there not in times:  # (Brisbane is Sydney's time in winter)
            times.add(there)
            said.append(f"in {city} it's {there}" if not said else f"in {city} {there}")
    name = _TITLE_EXCEPTIONS.get(country) or country.title()
    if len(said) == 1:
        return f"In {name} it's {times.pop()}."
    listed = ", ".join(said[:-1]) + f", and {said[-1]}"
    return f"{name[0].upper()}{name[1:]} has several time zones: {listed[0].upper()}{listed[1:]}."
