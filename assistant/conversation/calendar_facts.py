"""Facts of the calendar about now: "what year is it", "what month is it", "what was yesterday's date", "is it a
leap year", "what week is it", "what day of the year is it", "how many days are left in the year", "how many days
are in February", "how many days are left in the month", "what day of the month is it", "is it Friday", "how many
days until the weekend".

A language model does not know when it is (it guesses the year its training ended), so these are answered from
the clock. Weeks are ISO weeks (Monday first; week 1 holds the year's first Thursday), as calendars number them.
Read on normalized text (text_norm: "yesterday's" is "yesterday is", "what's" is "what is").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from assistant.conversation.phrases import BEYOND_CALENDAR, DAY_NAMES, question_of
from assistant.conversation.spoken import WEEKDAYS, ordinal, spoken_date

_MONTHS = tuple(calendar.month_name)[1:]
_MONTH = "|".join(m.lower() for m in _MONTHS)
_NOW = r"(?: is it| are we in| is this)?(?: right)?(?: now)?"
_FACTS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], datetime], str]], ...] = (
    (re.compile(rf"^(?:what|which) year{_NOW}|^what is the (?:current )?year(?: now)?"),
     lambda m, now: f"It's {now.year}."),
    (re.compile(rf"^(?:what|which) month{_NOW}|^what is the (?:current )?month(?: now)?"),
     lambda m, now: f"It's {_MONTHS[now.month - 1]}."),
    (re.compile(r"^what (?:day|date) was (?:it )?yesterday|^what was (?:the date |the day )?yesterday(?: is date)?"
                r"|^what is yesterday is date|^what was yesterday is date"),
     lambda m, now: f"Yesterday was {spoken_date(now - timedelta(days=1))}."),
    (re.compile(r"^is (?:it|this|this year|(?P<next>next year)|(?P<year>\d{4})) a leap year"),
     lambda m, now: _leap(int(m["year"]) if m["year"] else now.year + bool(m["next"]), now)),
    (re.compile(r"^when is the next leap year|^what is the next leap year|^when is the next leap day"),
     lambda m, now: f"The next leap day is February the 29th, {_next_leap(now)}."),
    (re.compile(rf"^(?:what|which) week(?: number)?(?: of the year)?{_NOW}|^what is the (?:current )?week number"),
     lambda m, now: "It's week {1} of {0}.".format(*now.isocalendar())),
    (re.compile(r"^what (?:day|day number) of the year is (?:it|today)|^what day of the year(?: is it)?"
                r"|^how many days (?:have passed|have gone by|are gone) (?:this|in the|in this) year"),
     lambda m, now: f"Today is day {now.timetuple().tm_yday} of {now.year}."),
    (re.compile(r"^how many (?:more )?days (?:are )?(?:there )?(?:left|remaining) (?:in|of|until the end of) "
                r"(?:the|this) year|^how many days until the end of the year"),
     lambda m, now: _left_in_year(now)),
    (re.compile(r"^how many (?:more )?days (?:are )?(?:there )?(?:left|remaining) (?:in|of) (?:the|this) month"
                r"|^how many days (?:until|till|to|before) the end of (?:the|this) month"
                r"|^(?:when|what day) does (?:the|this) month end|^when is the end of (?:the|this) month"
                r"|^what is the last day of (?:the|this) month"),
     lambda m, now: _left_in_month(now)),
    (re.compile(r"^what (?:day of the month|is the day of the month|number day)(?: is it| is today)?(?: today)?"),
     lambda m, now: f"It's the {ordinal(now.day)}."),
    (re.compile(rf"^is (?P<when>it|today|tomorrow)(?: a)? (?P<day>{'|'.join(DAY_NAMES)})(?: today)?"),
     lambda m, now: _is_it(m, now)),
    (re.compile(r"^(?:how many (?:more )?days|how long) (?:is it )?(?:until|till|til|before|to) the weekend"
                r"|^when (?:is|does) the weekend(?: start| begin)?|^(?P<yes_no>is it) (?:the )?weekend(?: yet)?"),
     lambda m, now: _weekend(now, bool(m["yes_no"]))),
    (re.compile(r"^how many days (?:are )?(?:there )?in a year|^how many days does a year have"),
     lambda m, now: f"A year has 365 days, a leap year 366; {now.year} has {365 + calendar.isleap(now.year)}."),
    (re.compile(r"^how many (?P<unit>hours|minutes|seconds) (?:are )?(?:there )?in a year"
                r"|^how many (?P<unit2>hours|minutes|seconds) does a year have"),
     lambda m, now: _in_a_year(m["unit"] or m["unit2"])),
    (re.compile(r"^how many weeks (?:are )?(?:there )?in a year|^how many weeks does a year have"),
     lambda m, now: "A year has 52 weeks and one day, a leap year 52 weeks and two days."),
    (re.compile(rf"^how many days (?:are )?(?:there )?(?:in|does) (?:(?P<month>{_MONTH})|(?P<which>this|next|last)"
                rf" month)(?: have| has)?(?: (?:in )?(?P<year>\d{{4}}))?(?: this year| next year)?"),
     lambda m, now: _days_in(m, now)),
)


def request(normalized: str) -> Callable[[datetime], str] | None:
    """The answer, at a moment, to a question in `normalized` about the calendar now, else None."""
    asked = question_of(normalized)
    for pattern, answer in _FACTS:
        match = pattern.fullmatch(asked)
        if match is not None:
            return lambda now, match=match, answer=answer: answer(match, now)
    return None


def _leap(year: int, now: datetime) -> str:
    if calendar.isleap(year):
        return f"Yes, {year} is a leap year."
    after = _next_leap(datetime(year, 12, 31)) if year >= now.year else None
    return f"No, {year} is not a leap year." + (f" The next one is {after}." if after else "")


def _next_leap(now: datetime) -> int:
    """The year of the next February 29th from `now` (this year's, if it is still to come)."""
    year = now.year if calendar.isleap(now.year) and now < datetime(now.year, 3, 1) else now.year + 1
    while not calendar.isleap(year):
        year += 1
    return year


def _left_in_year(now: datetime) -> str:
    left = (datetime(now.year, 12, 31).date() - now.date()).days
    if left == 0:
        return "Today is the last day of the year."
    return f"There {'is one day' if left == 1 else f'are {left} days'} left in {now.year} after today."


def _in_a_year(unit: str) -> str:
    """"A year of 365 days has 525600 minutes, a leap year 527040."."""
    size = {"hours": 3600, "minutes": 60, "seconds": 1}[unit]
    return f"A year of 365 days has {365 * 86400 // size} {unit}, a leap year {366 * 86400 // size}."


def _left_in_month(now: datetime) -> str:
    """"November ends in 4 days, on Monday, November the 30th." (its last day, asked any way)."""
    last = now.replace(day=calendar.monthrange(now.year, now.month)[1])
    left = (last.date() - now.date()).days
    when = spoken_date(last).removesuffix(f", {now.year}")
    if left == 0:
        return f"Today is the last day of {_MONTHS[now.month - 1]}."
    return f"{_MONTHS[now.month - 1]} ends {'tomorrow' if left == 1 else f'in {left} days'}, on {when}."


def _is_it(match: re.Match[str], now: datetime) -> str:
    """"Yes, today is Thursday.", "No, tomorrow is Friday."."""
    tomorrow = match["when"] == "tomorrow"
    day = WEEKDAYS[(now.weekday() + tomorrow) % 7]
    yes = day.lower() == match["day"]
    return f"{'Yes' if yes else 'No'}, {'tomorrow' if tomorrow else 'today'} is {day}."


def _weekend(now: datetime, yes_no: bool) -> str:
    """"The weekend starts in 2 days, on Saturday." (Saturday and Sunday; "It's the weekend!" on them); asked "is
    it the weekend", "No, ..." before it."""
    if now.weekday() >= 5:
        return f"{'Yes, it' if yes_no else 'It'}'s the weekend! Today is {WEEKDAYS[now.weekday()]}."
    days = 5 - now.weekday()
    starts = "The weekend starts tomorrow." if days == 1 else f"The weekend starts in {days} days, on Saturday."
    return f"No, it's {WEEKDAYS[now.weekday()]}. {starts}" if yes_no else starts


def _days_in(match: re.Match[str], now: datetime) -> str:
    """"November has 30 days."; February by its year: the next one when none is said."""
    if match["which"]:
        months = now.year * 12 + now.month - 1 + {"this": 0, "next": 1, "last": -1}[match["which"]]
        year, month = divmod(months, 12)
        month += 1
    else:
        month = _MONTHS.index(match["month"].title()) + 1
        year = int(match["year"]) if match["year"] else now.year + (month < now.month)
        if not 1 <= year <= 9999:
            return BEYOND_CALENDAR
    days = calendar.monthrange(year, month)[1]
    if month == 2 and not match["year"]:
        return f"February has {days} days in {year}; in a leap year it has 29." if days == 28 else (
            f"February has 29 days in {year}, a leap year; otherwise 28.")
    return f"{_MONTHS[month - 1]} has {days} days" + (f" in {year}." if month == 2 else ".")
