"""The holidays the calendar knows, by fixed date or rule: Christmas, New Year's Day, Thanksgiving, Easter, Mother's
Day, the US federal holidays, the Jewish holidays by the Hebrew calendar (hebrew_calendar) and the Chinese New Year
(lunar_new_year). Read by the calendar
questions (days) and by reminders and alarms set for one ("remind me on Christmas Eve to wrap the presents":
phrases).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from assistant.conversation.hebrew_calendar import HEBREW_HOLIDAYS
from assistant.conversation.lunar_new_year import lunar_new_year


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1-based; -1: the last) `weekday` of a month: Thanksgiving is the 4th Thursday of November."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


# (pattern on normalized text, name as said, the day in a year)
HOLIDAYS: tuple[tuple[str, str, Callable[[int], date]], ...] = (
    (r"christmas eve", "Christmas Eve", lambda y: date(y, 12, 24)),
    (r"christmas(?: day)?|xmas", "Christmas", lambda y: date(y, 12, 25)),
    (r"boxing day", "Boxing Day", lambda y: date(y, 12, 26)),
    (r"new years? (?:is )?eve", "New Year's Eve", lambda y: date(y, 12, 31)),
    (r"new years?(?: is)?(?: day)?", "New Year's Day", lambda y: date(y, 1, 1)),
    (r"valentines?(?: is)? day|valentines", "Valentine's Day", lambda y: date(y, 2, 14)),
    (r"(?:st|saint) patricks?(?: is)? day", "Saint Patrick's Day", lambda y: date(y, 3, 17)),
    (r"halloween", "Halloween", lambda y: date(y, 10, 31)),
    (r"independence day", "Independence Day", lambda y: date(y, 7, 4)),
    (r"thanksgiving(?: day)?", "Thanksgiving", lambda y: nth_weekday(y, 11, 3, 4)),
    (r"easter(?: sunday)?", "Easter", _easter),
    (r"mothers?(?: is)? day", "Mother's Day", lambda y: nth_weekday(y, 5, 6, 2)),
    (r"fathers?(?: is)? day", "Father's Day", lambda y: nth_weekday(y, 6, 6, 3)),
    (r"good friday", "Good Friday", lambda y: _easter(y) - timedelta(days=2)),
    # the US federal holidays besides
    (r"(?:martin luther king|mlk)(?: jr| junior)?(?: is)? day|martin luther king", "Martin Luther King Jr. Day",
     lambda y: nth_weekday(y, 1, 0, 3)),
    (r"presidents?(?: is)? day|washington is birthday", "Presidents' Day", lambda y: nth_weekday(y, 2, 0, 3)),
    (r"memorial day", "Memorial Day", lambda y: nth_weekday(y, 5, 0, -1)),
    (r"juneteenth", "Juneteenth", lambda y: date(y, 6, 19)),
    (r"labou?r day", "Labor Day", lambda y: nth_weekday(y, 9, 0, 1)),
    (r"columbus day|indigenous peoples?(?: is)? day", "Columbus Day", lambda y: nth_weekday(y, 10, 0, 2)),
    (r"veterans?(?: is)? day", "Veterans Day", lambda y: date(y, 11, 11)),
    *HEBREW_HOLIDAYS,
    (r"(?:chinese|lunar) new years?(?: is)?(?: day)?|(?:the )?spring festival", "Chinese New Year", lunar_new_year),
)


# Every holiday's pattern in one alternation, each in a group of its own (h0, h1, ...), for a pattern naming one.
HOLIDAY_ALTERNATION = "|".join(f"(?P<h{i}>{pattern})" for i, (pattern, _, _) in enumerate(HOLIDAYS))


def holiday_of(match: re.Match[str]) -> str:
    """The name, as said back, of the holiday a pattern with HOLIDAY_ALTERNATION in it found."""
    return next(HOLIDAYS[int(group[1:])][1] for group, value in match.groupdict().items()
                if value and re.fullmatch(r"h\d+", group))


def next_dates(name: str, today: date, count: int = 2) -> list[date]:
    """The holiday named `name`'s next `count` days from `today` on (today's too)."""
    make = next(make for _, said, make in HOLIDAYS if said == name)
    found: list[date] = []
    for year in range(today.year, min(today.year + count + 1, 9999) + 1):
        try:
            day = make(year)
        except ValueError:  # beyond the calendar's ends (Hanukkah of 9999 is in January 10000)
            continue
        if day >= today:
            found.append(day)
        if len(found) == count:
            break
    return found
