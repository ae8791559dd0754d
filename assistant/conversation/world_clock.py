"""The time elsewhere: "what time is it in Tokyo", "what's the time in New York", "time in India".

A language model cannot know the time anywhere; the device knows it here and the time zone rules of the world
(the tz database: Debian's tzdata, or the tzdata package), summer time included. Places are the tz database's
cities ("Tokyo", "New York", "Sao Paulo") and a short list of countries, states and big cities it names by
another ("Japan", "California", "San Francisco"). A country with several zones ("Australia", "the US") is left
to the language model, as is any place not known here.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable
from datetime import datetime

from assistant.conversation.spoken import WEEKDAYS, spoken_time

# Places the tz database does not name, by zone ("" for a country of several zones: not answered).
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
    "": ("russia", "australia", "canada", "usa", "the us", "america", "the united states"),
}
_TITLE_EXCEPTIONS = {"uk": "the UK", "the uk": "the UK", "uae": "the UAE", "nyc": "New York City", "la": "L.A.",
                     "l a": "L.A.",
                     "washington dc": "Washington, D.C."}


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
    return places


_QUESTION = re.compile(r"^(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant) )?(?:please )?"
                       r"(?:(?:can|could) you )?(?:tell me )?(?:do you know )?"
                       r"(?:what time is it(?: right)?(?: now)?|what is the (?:current |local )?time(?: now)?"
                       r"|the time|time|what time)"
                       r" (?:in|at|over in) (?P<place>.+?)(?: (?:right )?now)?(?: please)?$")


def request(normalized: str) -> Callable[[datetime], str] | None:
    """The answer, at a local moment, to a question about the time in a place in `normalized`, else None."""
    match = _QUESTION.match(normalized)
    if match is None:
        return None
    place = match["place"].removeprefix("the ") if match["place"] not in places() else match["place"]
    key = places().get(match["place"]) or places().get(place)
    if not key:
        return None
    try:
        zone = zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None  # a tz database without it
    name = _TITLE_EXCEPTIONS.get(match["place"]) or match["place"].title()
    return lambda now: _answer(name, zone, now)


def _answer(name: str, zone: zoneinfo.ZoneInfo, now: datetime) -> str:
    here = now.astimezone()  # a naive moment is the system's local time
    there = here.astimezone(zone)
    day = "" if there.date() == here.date() else f" on {WEEKDAYS[there.weekday()]}"
    return f"In {name} it's {spoken_time(there)}{day}."
