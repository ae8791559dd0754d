"""The Hebrew calendar's holidays on the Gregorian calendar: Rosh Hashanah, Yom Kippur, Sukkot, Hanukkah, Purim,
Passover and Shavuot, for any year (holidays reads them).

Their Gregorian dates move by up to a month from year to year, and a language model guesses them ("Hanukkah is in
mid-December"). The Hebrew calendar is arithmetic, not observed: a year starts from the molad (the mean new moon) of
Tishrei, counted in parts (1080 to the hour) from the epoch, put off a day or two by the four postponements (the
dehiyyot) that keep Rosh Hashanah off Sunday, Wednesday and Friday and a year's length to one of six. From Rosh
Hashanah the rest follow: the months from Nisan to Elul always have the same lengths, and Heshvan and Kislev take
the year's own (after Reingold and Dershowitz, Calendrical Calculations). A holiday is given as its first full day;
it begins at sundown the evening before.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

_PARTS_PER_HOUR = 1080
_EPOCH_ORDINAL = -1373428  # date.toordinal() of the day before the Hebrew calendar's day 1 (7 October 3761 BCE)
_AM_OFFSET = 3761  # a Gregorian year's autumn starts Hebrew year (Anno Mundi) year + 3761


def _is_leap(year: int) -> bool:
    """Seven years in 19 have a thirteenth month (Adar I)."""
    return (7 * year + 1) % 19 < 7


def _elapsed_days(year: int) -> int:
    """Days from the epoch to Rosh Hashanah of Hebrew `year`: the molad of Tishrei and the postponements."""
    months = 235 * ((year - 1) // 19) + 12 * ((year - 1) % 19) + (7 * ((year - 1) % 19) + 1) // 19
    parts_elapsed = 204 + 793 * (months % _PARTS_PER_HOUR)
    hours = 5 + 12 * months + 793 * (months // _PARTS_PER_HOUR) + parts_elapsed // _PARTS_PER_HOUR
    day = 1 + 29 * months + hours // 24
    parts = _PARTS_PER_HOUR * (hours % 24) + parts_elapsed % _PARTS_PER_HOUR
    # A molad at noon or later, or one that would make the year too long or the year before too short, moves on a
    # day; then a Sunday, Wednesday or Friday (day % 7 of 0, 3, 5) moves on one more.
    if (parts >= 19440 or (day % 7 == 2 and parts >= 9924 and not _is_leap(year))
            or (day % 7 == 1 and parts >= 16789 and _is_leap(year - 1))):
        day += 1
    return day + 1 if day % 7 in (0, 3, 5) else day


@functools.cache
def rosh_hashanah_of(hebrew_year: int) -> date:
    """The first day of Hebrew year `hebrew_year` (1 Tishrei)."""
    return date.fromordinal(_EPOCH_ORDINAL + _elapsed_days(hebrew_year))


def rosh_hashanah(year: int) -> date:
    """Rosh Hashanah (1 Tishrei) in the autumn of Gregorian `year`."""
    return rosh_hashanah_of(year + _AM_OFFSET)


def hanukkah(year: int) -> date:
    """The first day of Hanukkah (25 Kislev) in the winter that starts in Gregorian `year`: Tishrei has 30 days,
    Heshvan 29 or 30 (30 in a year of 355 or 385 days). (The Hebrew year is a little longer than the Gregorian: by
    the year 8000 this day is in January.) ValueError: after the last day of 9999."""
    hebrew_year = year + _AM_OFFSET
    length = _elapsed_days(hebrew_year + 1) - _elapsed_days(hebrew_year)
    heshvan = 30 if length % 10 == 5 else 29
    ordinal = _EPOCH_ORDINAL + _elapsed_days(hebrew_year) + 30 + heshvan + 24
    return date.fromordinal(ordinal)  # (ValueError past date.max)


def passover(year: int) -> date:
    """The first day of Passover (15 Nisan) in the spring of Gregorian `year`: 163 days before the next Rosh
    Hashanah, whatever the year (Nisan 30 days, Iyar 29, Sivan 30, Tammuz 29, Av 30, Elul 29)."""
    return rosh_hashanah(year) - timedelta(days=163)


# (pattern on normalized text, name as said, the day in a Gregorian year): read with the other holidays
HEBREW_HOLIDAYS = (
    (r"rosh hashanah?|rosh hashana|rosh ha shanah?|(?:the )?jewish new year", "Rosh Hashanah", rosh_hashanah),
    (r"yom kippur", "Yom Kippur", lambda y: rosh_hashanah(y) + timedelta(days=9)),
    (r"sukkot|sukkoth|succot|sukkos", "Sukkot", lambda y: rosh_hashanah(y) + timedelta(days=14)),
    (r"hanukkah|chanukah|hanukah|chanukkah|hannukah|hanuka|chanuka", "Hanukkah", hanukkah),
    (r"purim", "Purim", lambda y: passover(y) - timedelta(days=30)),  # 14 Adar (Adar II in a leap year)
    (r"passover|pesach", "Passover", passover),
    (r"shavuot|shavuos", "Shavuot", lambda y: passover(y) + timedelta(days=50)),  # 6 Sivan
)
