"""The Chinese (Lunar) New Year's day in a year: "when is Chinese New Year", "how many days until Lunar New Year".

It moves from January 21 to February 20, set by the sky, and is worked out here as the Chinese calendar itself is
(the rules of its reform of 1645, with days in China Standard Time, UTC+8, whatever the device's zone): a month
starts on the day of a new moon; month 11 is the month holding the December solstice's day; the New Year is the
second new moon after month 11 starts. Unless a month 11 and the next have 13 months between them, not 12 (a sui
of 13): then the first month of those with no principal solar term (zhongqi: the sun at a multiple of 30 degrees of
ecliptic longitude, on a day from the month's first to its last) is a leap month, and if that is the month after
month 11 or after month 12, the New Year is a new moon later. That is rare, next in 2033 (the "2033 problem":
New Year 2034 is on February 19, not January 20), and the reason for reckoning it rather than taking the second
new moon after the solstice.

The new moons are sky.phase_time's (a minute or two off), the sun's longitudes sky.sun_reaches's (about 15 minutes
off): a new moon or a solar term closer than that to midnight in China may fall on the wrong day. Published tables
reckon the years before 1929 by Beijing's local time (UTC+7:46), not China Standard Time: their New Year of 1916,
February 3, is a day before this one (the new moon came at five past midnight, UTC+8).
"""

from __future__ import annotations

import functools
import itertools
import math
from datetime import date, datetime, timedelta, timezone

from assistant.conversation.sky import phase_time, season_start, sun_reaches

_CHINA = timezone(timedelta(hours=8))  # China Standard Time: the calendar's days, not the device's
_LUNATION_0 = date(2000, 1, 6)  # about when phase_time's lunation 0 comes, for a first guess of a day's lunation
_SYNODIC_DAYS = 29.530588861
_WINTER_TERMS = (300, 330, 0)  # the zhongqi after the December solstice, by the months after month 11


@functools.cache  # (asked for ten years in a row, or by each question about the holiday)
def lunar_new_year(year: int) -> date:
    """The first day of the first month of the Chinese calendar in Gregorian `year`, as a day in China. ValueError
    for year 1 (its months count from the solstice of year 0, before the calendar's first day) and outside 1 to
    9999."""
    if not 2 <= year <= 9999:
        raise ValueError(f"the Chinese New Year of {year} is outside the calendar's years")
    solstice = season_start(year - 1, 270)
    month_11 = _lunation_on(_china_day(solstice))
    return _new_moon_day(month_11 + 2 + _leap_before_new_year(month_11, solstice))


def _leap_before_new_year(month_11: int, solstice: datetime) -> bool:
    """Whether a leap month comes between month 11 (starting at lunation `month_11`, `solstice` in it) and the New
    Year: one of the two months after it has no zhongqi, and the sui has 13 months (the first without is leap)."""
    term_days = [_china_day(sun_reaches(longitude, solstice)) for longitude in _WINTER_TERMS]
    starts = [_new_moon_day(month_11 + months) for months in (1, 2, 3)]
    termless = any(not any(start <= day < end for day in term_days) for start, end in itertools.pairwise(starts))
    return termless and _has_13_months(month_11, solstice.year + 1)


def _has_13_months(month_11: int, year: int) -> bool:
    """Whether the sui from month 11 starting at lunation `month_11` to the next, in `year`, has 13 months: the 13th
    new moon after comes on or before `year`'s December solstice's day."""
    try:
        thirteenth = _new_moon_day(month_11 + 13)
    except (ValueError, OverflowError):  # after the last day of year 9999: after its solstice too
        return False
    return thirteenth <= _china_day(season_start(year, 270))


def _lunation_on(day: date) -> int:
    """The lunation whose month holds `day`: the last new moon on or before it, in China."""
    # The first guess, the mean new moon after `day`, is within a day or two of the true one: the last true one on or
    # before `day` is the guess or one or two before it. (`day` before December 9999: the guess's in the calendar.)
    lunation = math.floor((day - _LUNATION_0).days / _SYNODIC_DAYS) + 1
    while _new_moon_day(lunation) > day:
        lunation -= 1
    return lunation


def _new_moon_day(lunation: int) -> date:
    """The day in China of the new moon of `lunation` (0: that of 2000-01-06)."""
    return _china_day(phase_time(lunation, 0))


def _china_day(moment: datetime) -> date:
    return moment.astimezone(_CHINA).date()
