"""Years and ages from now: "how old am I if I was born in 1990", "how old is someone born on March 5th, 1990", "how
old will I be in 2030 if I was born in 1990", "how many years ago was 1969", "how many years until 2050", "what year
was it 20 years ago", "what year will it be in 10 years".

A language model does not know the year (it guesses the one its training ended) and subtracts badly, so these are
answered from the clock. A birth year alone gives two ages, before and after the birthday; a whole date gives one.
Read on normalized text (text_norm: numbers as digits, "fifth" as "5th").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime

from assistant.conversation.phrases import BEYOND_CALENDAR, asked_question
from assistant.conversation.spoken import spoken_month_day

_MONTH = "|".join(m.lower() for m in calendar.month_name[1:])
# A birth date: "1990", "march 5th 1990", "march 5 1990", "the 5th of march 1990".
_BORN = (rf"(?:(?P<month>{_MONTH}) (?P<day>\d{{1,2}})(?:st|nd|rd|th)? |(?:the )?(?P<day2>\d{{1,2}})(?:st|nd|rd|th)? "
         rf"of (?P<month2>{_MONTH}) )?(?P<year>\d{{4}})")
_WHO = r"(?P<who>i|someone|somebody|a person|a kid|a child|my [a-z]+|he|she|they)"
_IF_BORN = r"(?:if (?:i|you|he|she|they|someone|somebody) (?:was|were|am|is|are) |(?:who (?:was|is) )?)born (?:in|on) "
_QUESTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("age", re.compile(rf"how old (?:am (?P<who_i>i)|is {_WHO}|would {_WHO.replace('<who', '<who2')} be)"
                       rf"(?: now| today| this year)? {_IF_BORN}{_BORN}")),
    ("age_in", re.compile(rf"how old (?:will|would) {_WHO} be in (?P<then>\d{{4}}) {_IF_BORN}{_BORN}")),
    ("ago", re.compile(r"how (?:many years|long) ago (?:was|is) (?P<year>\d{4})|how (?:many years|long) has it been "
                       r"since (?P<year2>\d{4})")),
    ("until", re.compile(r"how (?:many years|long) (?:is it )?(?:until|till|to|before) (?P<year>\d{4})")),
    ("shift", re.compile(r"what year (?:was it|was) (?P<back>\d+) years? ago|what year (?:will it be|is it going to be|"
                         r"will be) in (?P<on>\d+) years?(?: from now)?")),
)


def request(normalized: str) -> Callable[[datetime], str] | None:
    """The answer, at a moment, to a question about years or an age in `normalized`, else None."""
    found = asked_question(normalized, _QUESTIONS)
    if found is None:
        return None
    kind, match = found
    groups = {name: value for name, value in match.groupdict().items() if value is not None}
    if kind in ("age", "age_in"):
        born = _born(groups)
        if born is None:
            return None
        who = groups.get("who_i") or groups.get("who") or groups["who2"]
        then = int(groups["then"]) if kind == "age_in" else None
        return lambda now: _age(born, now.date(), who, then)
    if kind == "shift":
        years = -int(groups["back"]) if "back" in groups else int(groups["on"])
        return lambda now: _shifted(now.year, years)
    year = int(groups.get("year") or groups["year2"])
    return lambda now: _years_to(year, now.year)


def _born(groups: dict[str, str]) -> tuple[int, int, int] | None:
    """The birth date said (year, month, day; month and day 0 for a year alone), or None for one that is no date."""
    year = int(groups["year"])
    month_name, day = groups.get("month") or groups.get("month2"), groups.get("day") or groups.get("day2")
    if not 1 <= year <= 9999:
        return None
    if month_name is None or day is None:
        return year, 0, 0
    month = list(calendar.month_name).index(month_name.title())
    try:
        date(year, month, int(day))
    except ValueError:
        return None  # "February 30th": not a date
    return year, month, int(day)


def _age(born: tuple[int, int, int], today: date, who: str, then: int | None) -> str:
    """How old `who` is ("i", "someone", "my mom") born on `born`, or turns in the year `then`."""
    year, month, day = born
    you = who == "i"
    when = f"{spoken_month_day(month, day)}, {year}" if month else str(year)
    subject = _subject(who, f"{'on' if month else 'in'} {when}")
    be = "are" if you or who == "they" else "is"
    if then is not None:  # "how old will I be in 2030": the age turned that year
        turns = then - year
        return f"{subject} will turn {turns} in {then}." if turns > 0 else f"{year} is not before {then}."
    if (year, month or 1, day or 1) > (today.year, today.month, today.day):
        return f"{when} is still to come."
    if not month:
        turns = today.year - year
        if turns == 0:
            return f"{subject} {be} under a year old."
        birthday = "your birthday" if you else "the birthday"
        verb = "turn" if be == "are" else "turns"
        return f"{subject} {verb} {turns} this year: {turns - 1} until {birthday}, {turns} from it on."
    before_birthday = (today.month, today.day) < (month, day)
    if month == 2 and day == 29 and not calendar.isleap(today.year):
        before_birthday = (today.month, today.day) < (3, 1)  # a leap day's birthday is kept on March 1st
    age = today.year - year - before_birthday
    return f"{subject} {be} under a year old." if age == 0 else f"{subject} {be} {age}."


def _subject(who: str, born: str) -> str:
    """Who is asked about, as said back: "You", "Your mom", "She", "Someone born in 1990"."""
    if who == "i":
        return "You"
    if who.startswith("my "):
        return f"Your {who.removeprefix('my ')}"
    if who in ("he", "she", "they"):
        return who.capitalize()
    return f"Someone born {born}"


def _years_to(year: int, now_year: int) -> str:
    if year == now_year:
        return f"It's {year} now."
    years = abs(year - now_year)
    length = "one year" if years == 1 else f"{years} years"
    return f"{year} was {length} ago." if year < now_year else f"{year} is {length} away."


def _shifted(now_year: int, years: int) -> str:
    year = now_year + years
    if years == 0:
        return f"It's {year} now."
    if not 1 <= year <= 9999:
        return BEYOND_CALENDAR
    length = "one year" if abs(years) == 1 else f"{abs(years)} years"
    return f"{length.capitalize()} ago it was {year}." if years < 0 else f"In {length} it'll be {year}."
