"""How the assistant says numbers, times of day, dates, lengths of time and lists: in words, so that every voice
reads them the same way, whatever its text front-end does with digits and colons."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(n: int) -> str:
    """0..99 in words (a voice reads them the same way whatever its text front-end does with digits); other
    numbers in digits."""
    if not 0 <= n < 100:
        return str(n)
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def spoken_number(value: float, significant: int, min_decimals: int = 0) -> tuple[str, bool]:
    """`value` as a voice reads a result ("345", "33.33", "minus 4", "1.268 times 10 to the power of 30"), rounded
    to `significant` figures but never within its whole part nor to fewer than `min_decimals` places, and whether
    that is its exact value. Digits: every voice here reads them (espeak-ng's front-end, which Piper's phonemizer
    is, says "1234567" in words)."""
    sign = "minus " if value < 0 else ""
    size = abs(value)
    if size >= 1e15:
        exponent = math.floor(math.log10(size))
        mantissa, _ = spoken_number(size / 10**exponent, significant)
        return f"{sign}{mantissa} times 10 to the power of {exponent}", False
    if size >= 1:
        decimals = significant - len(str(int(size)))
    else:
        decimals = significant - 1 - math.floor(math.log10(size)) if size else 0
    text = f"{size:.{min(max(decimals, min_decimals), 9)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    exact = math.isclose(float(text), size, rel_tol=1e-9, abs_tol=1e-12)
    return ("" if text == "0" else sign) + text, exact


def spoken_time(moment: datetime) -> str:
    """The time as a voice says it: "three oh five PM", "twelve o'clock AM"."""
    hour = moment.hour % 12 or 12
    minute = moment.minute
    minutes = "o'clock" if minute == 0 else f"oh {_ONES[minute]}" if minute < 10 else number_words(minute)
    return f"{_ONES[hour]} {minutes} {'AM' if moment.hour < 12 else 'PM'}"


# English names whatever the process locale (strftime's %A and %B would follow it).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def ordinal(number: int) -> str:
    """"1st", "22nd", "13th" (text-to-speech reads them as first, twenty-second, thirteenth)."""
    suffix = "th" if 11 <= number % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def spoken_date(moment: datetime) -> str:
    """The date as a voice says it: "Tuesday, March the 5th, 2024"."""
    return f"{WEEKDAYS[moment.weekday()]}, {spoken_month_day(moment.month, moment.day)}, {moment.year}"


def spoken_month_day(month: int, day: int) -> str:
    """A day of the year as a voice says it: "March the 5th"."""
    return f"{MONTHS[month - 1]} the {ordinal(day)}"


_UNITS = (("hour", 3600), ("minute", 60), ("second", 1))


def _parts(seconds: float) -> list[tuple[int, str]]:
    left = round(seconds)
    parts = []
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append((count, unit))
    return parts


def spoken_duration(seconds: float) -> str:
    """A length as said: "one hour, five minutes and ten seconds", "thirty seconds"."""
    said = [f"{number_words(n)} {unit}{'s' if n != 1 else ''}" for n, unit in _parts(seconds)]
    return spoken_list(said or ["zero seconds"])


def duration_name(seconds: float) -> str:
    """A timer named by its length, as in "your five minute timer", "your one hour thirty minute timer"."""
    return " ".join(f"{number_words(n)} {unit}" for n, unit in _parts(seconds))


def time_left(seconds: float) -> str:
    """What is left, as precisely as a person would say it: seconds under ten minutes, minutes above."""
    if seconds >= 600:
        seconds = 60 * round(seconds / 60)
    return spoken_duration(max(seconds, 1))


def spoken_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]



def spoken_day(at: datetime, moment: datetime) -> str:
    """The day of `at` seen from `moment`: "today", "tomorrow", "on Friday" within the week, "on Friday, December
    the 4th" further on (a week away, "Friday" alone would be heard as the coming one), with the year if not
    this one."""
    days = (at.date() - moment.date()).days
    if days < 7:
        return "today" if days == 0 else "tomorrow" if days == 1 else f"on {WEEKDAYS[at.weekday()]}"
    said = spoken_date(at)
    return "on " + (said.removesuffix(f", {at.year}") if at.year == moment.year else said)


def spoken_every(seconds: int) -> str:
    """How often something comes again: "every hour", "every thirty minutes", "every two hours"."""
    return "every hour" if seconds == 3600 else f"every {spoken_duration(seconds)}"


def spoken_weekdays(days: Sequence[int]) -> str:
    """When a weekly alarm rings: "every day", "every weekday", "on weekends", "every Monday and Thursday"."""
    named = {(0, 1, 2, 3, 4, 5, 6): "every day", (0, 1, 2, 3, 4): "every weekday", (5, 6): "on weekends"}
    return named.get(tuple(sorted(days))) or "every " + spoken_list([WEEKDAYS[d] for d in sorted(days)])


def indefinite_article(number: str) -> str:
    """"a" or "an" before a number written in digits, as it is read: "an 8", "an 18 percent", "an 11000", "a 1800"
    (one thousand eight hundred); before a word, by its first letter: "an egg timer", "a to-do list"."""
    digits = number[:len(number) - len(number.lstrip("0123456789"))]
    if not digits:
        return "an" if number[:1] in ("a", "e", "i", "o", "u") else "a"
    eleven_or_eighteen = len(digits) % 3 == 2 and digits[:2] in ("11", "18")  # 11, 18000, 11000000
    return "an" if digits.startswith("8") or eleven_or_eighteen else "a"


def spoken_money(cents: int, unit: tuple[str, str], hundredth: tuple[str, str]) -> str:
    """An amount of money as people say it, from its count of hundredths: "12 dollars", "9 dollars and 38 cents",
    "50 cents", "1 pound and 1 penny"; `unit` and `hundredth` are the names for one and for many."""
    whole, part = divmod(cents, 100)
    said = [f"{count} {names[count != 1]}" for count, names in ((whole, unit), (part, hundredth)) if count]
    return " and ".join(said) or f"0 {unit[1]}"
