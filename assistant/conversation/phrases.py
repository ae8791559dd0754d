"""Reading a request's words: a phrase said (nearly) alone, a length of time, a time of day (or a part of the day
said for one: "tomorrow morning" is 9 AM tomorrow).

Everything works on `assistant.text_norm.normalize`d text (lower case, "five" is "5", "what's" is "what is",
"6:30" is "630"), in English.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from assistant.conversation.holidays import HOLIDAY_ALTERNATION, holiday_of, next_dates

# ---------------------------------------------------------------------------------------- phrase intents

# (intent, pattern on normalized text, answer at a moment)
PhraseIntent = tuple[str, re.Pattern[str], Callable[[datetime], str]]


def phrase_intents(*intents: tuple[str, str, Callable[[datetime], str]]) -> tuple[PhraseIntent, ...]:
    return tuple((name, re.compile(rf"\b(?:{pattern})\b"), answer) for name, pattern, answer in intents)


DEFINITION = re.compile(r"^(?:what|which) (?:is|are) an? ")  # "what is an alarm": a question for the model
# Words that make it talk about something rather than a request (the language model answers).
CHATTER = frozenset({"not", "story", "about", "joke", "poem", "why", "explain", "work", "works", "mean", "means",
                     "song", "if", "never", "think"})
_MAX_BEFORE = 6  # "hey jarvis do you happen to know what time it is"
# Words that may follow a phrase: "thanks a lot", "what time is it now please", "hello Jarvis" (the names of
# the shipped wake words). Anything else makes it another question ("what time is it in Narnia").
_AFTER = frozenset({"please", "now", "right", "today", "again", "then", "so", "very", "much", "a", "lot", "there",
                    "to", "you", "for", "me", "everyone", "exactly", "currently", "doing",
                    "assistant", "computer", "jarvis", "alexa", "mycroft"})


def plain_words(text: str) -> str:
    """`text` lower-cased, with its words and commas only: for what is kept as said (a list's items, a note),
    which normalizing would change ("five" to "5")."""
    said = " ".join(re.sub(r"[^\w\s,'-]|_", " ", text.lower().replace("\u2019", "'")).split())
    return re.sub(r"\s+,", ",", said).rstrip(",")


_PERSONS = {"my": "your", "me": "you", "i": "you", "mine": "yours", "myself": "yourself", "our": "your",
            "we": "you", "us": "you", "ours": "yours", "i'm": "you're", "i've": "you've", "i'll": "you'll",
            "i'd": "you'd"}


def second_person(said: str) -> str:
    """What the user said of themselves, said back to them: "I parked on level 3" is "you parked on level 3"."""
    said = re.sub(r"\bi am\b", "you are", said)
    said = re.sub(r"\bi was\b", "you were", said)
    return " ".join(_PERSONS.get(word, word) for word in said.split())


_HANGING = re.compile(r"\s+(?:the|a|an|and)[\s.,?!]*$", re.IGNORECASE)


def without_hanging_word(transcript: str) -> str:
    """A final transcript without a word left hanging at its end: pocketsphinx hears "What time is it?" as "what
    time is it the". The turn already waited for more after such a word (endpoint) and none came, so it was the
    recognizer's guess at a breath or the room's echo."""
    return _HANGING.sub("", transcript)


# Said before a request: "hey jarvis", "please", "can you" ("hey jarvis, can you add apples to my list").
ADDRESSING = r"(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant),? )?(?:please )?(?:(?:can|could|will) you )?"
_ASKING_BEFORE = re.compile(r"^(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant) )?(?:please )?"
                            r"(?:(?:can|could) you )?(?:tell me )?(?:do you know )?")
_ASKING_AFTER = re.compile(r"(?: (?:please|again|jarvis|alexa|mycroft|computer|assistant))+$")


def question_of(normalized: str) -> str:
    """`normalized` without the asking around its question: "hey jarvis can you tell me what year it is please"
    is "what year it is"."""
    return _ASKING_AFTER.sub("", _ASKING_BEFORE.sub("", normalized))


def asked_question(normalized: str, questions: Sequence[tuple[str, re.Pattern[str]]]
                   ) -> tuple[str, re.Match[str]] | None:
    """The first of `questions` (what is asked, its pattern) whose pattern is the whole of `normalized`'s question
    (question_of), with its match; else None."""
    asked = question_of(normalized)
    return next(((kind, match) for kind, pattern in questions if (match := pattern.fullmatch(asked))), None)


BEYOND_CALENDAR = "That is further than my calendar goes."


def within_calendar(answer: Callable[[datetime], str]) -> Callable[[datetime], str]:
    """`answer`, or BEYOND_CALENDAR where working it out leaves the years 1 to 9999 (a clock set near their ends: the
    day in another zone, the moon's next phase)."""
    def told(now: datetime) -> str:
        try:
            return answer(now)
        except (ValueError, OverflowError):
            return BEYOND_CALENDAR
    return told


def match_phrase(normalized: str, intents: Sequence[PhraseIntent]) -> tuple[str, Callable[[datetime], str]] | None:
    """The first intent whose phrase `normalized` (text_norm) says with at most a few words before it and only
    _AFTER after."""
    for name, pattern, answer in intents:
        match = pattern.search(normalized)
        if match is None:
            continue
        before, after = normalized[: match.start()].split(), normalized[match.end():].split()
        if len(before) <= _MAX_BEFORE and set(after) <= _AFTER:
            return name, answer
    return None


# ------------------------------------------------------------------------------------------ durations

_AMOUNT = r"(?P<amount>\d+(?:\.\d+)?|an?|half an?|half a|a quarter of an?|quarter of an?)"
_UNIT = r"(?P<unit>hours?|hrs?|minutes?|mins?|seconds?|secs?)"
_DURATION_PART = re.compile(rf"\b{_AMOUNT}(?P<half> and a half)? (?:more )?{_UNIT}\b(?P<half_after> and a half)?")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True)
class Duration:
    seconds: float
    spans: tuple[tuple[int, int], ...]  # where in the normalized text it was said
    units: tuple[int, ...] = ()  # the seconds in each part's unit, as said: (3600, 60) for "1 hour and 30 minutes"


# Said between two lengths, these take the first back: "ten minutes, no, five minutes", "... I mean fifteen".
_CORRECTIONS = frozenset({"no", "actually", "sorry", "rather", "mean", "make", "instead", "wait"})


def parse_duration(normalized: str) -> Duration | None:
    """The length said in `normalized` ("5 minutes", "an hour and a half", "1 hour and 30 minutes"; "10 minutes no
    5 minutes": 5 minutes)."""
    seconds = 0.0
    spans: list[tuple[int, int]] = []
    units: list[int] = []
    for match in _DURATION_PART.finditer(normalized):
        if spans and _CORRECTIONS & set(normalized[spans[-1][1]:match.start()].split()):
            seconds = 0.0  # a correction: the length said after it is the one meant (its spans stay: not a name)
        amount = match["amount"]
        count = (0.5 if amount.startswith("half") else 0.25 if "quarter" in amount
                 else 1.0 if amount in ("a", "an") else float(amount))
        if match["half"] or match["half_after"]:
            count += 0.5
        unit = _UNIT_SECONDS[match["unit"][0]]
        seconds += count * unit
        spans.append(match.span())
        units.append(unit)
    return Duration(seconds, tuple(spans), tuple(units)) if spans else None


def same_name(said: str, kept: str) -> bool:
    """Whether `said` names `kept` word for word, one or many alike: "egg" is the "eggs" timer, "tomato" the
    "tomatoes" on the list."""
    def same(a: str, b: str) -> bool:
        short, long = sorted((a, b), key=len)
        return long in (short, short + "s", short + "es")

    said_words, kept_words = said.split(), kept.split()
    return len(said_words) == len(kept_words) and all(map(same, said_words, kept_words))


def words_outside(normalized: str, spans: Sequence[tuple[int, int]]) -> list[str]:
    """The words of `normalized` outside `spans`."""
    kept, last = [], 0
    for start, end in spans:
        kept.append(normalized[last:start])
        last = end
    kept.append(normalized[last:])
    return " ".join(kept).split()


# ------------------------------------------------------------------------------------------ times of day

_MERIDIEM = {"am": "am", "a m": "am", "in the morning": "am", "morning": "am", "pm": "pm", "p m": "pm",
             "in the afternoon": "pm", "in the evening": "pm", "evening": "pm", "at night": "pm", "tonight": "pm"}
_TIME_OF_DAY = (
    r"(?:(?P<noon>noon|midday|midnight)|(?P<part>half|quarter) past (?P<past>\d{1,2})|quarter to (?P<to>\d{1,2})"
    r"|(?P<hhmm>\d{3,4})|(?P<h>\d{1,2})(?: (?:oh )?(?P<m>\d{1,2}))?(?: oclock)?)"
    r"(?: tomorrow)?(?: (?P<meridiem>" + "|".join(sorted(_MERIDIEM, key=len, reverse=True)) + r"))?"
)
# "at 7 am", "for tomorrow at 630"; or just before "alarm": "cancel the 6 30 alarm". Not a length: "for 2 hours".
_LENGTH_AFTER = (r"(?! (?:and a half |more )?"
                 r"(?:hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?)\b)")
_CLOCK_TIMES = (re.compile(rf"\b(?:at|for) (?:tomorrow (?:at )?)?{_TIME_OF_DAY}\b{_LENGTH_AFTER}"),
                re.compile(rf"\b{_TIME_OF_DAY} alarm\b"))


# The time a part of the day said instead of a clock time stands for ("remind me tomorrow morning"), as phone
# assistants take them; whoever sets something for it says the time back, so the user can correct it.
MORNING_HOUR = 9  # also a day said alone: "remind me tomorrow" is at 9 AM tomorrow
AFTERNOON_HOUR = 14
EVENING_HOUR = 18
NIGHT_HOUR = 20  # "tonight", "at night"
_PART_HOURS = {"morning": MORNING_HOUR, "afternoon": AFTERNOON_HOUR, "evening": EVENING_HOUR, "night": NIGHT_HOUR}
_PART_ENDS = {"morning": 12, "afternoon": EVENING_HOUR, "evening": 24, "night": 24}  # the hour each is over


@dataclass(frozen=True)
class PartOfDay:
    """A part of the day said instead of a clock time: "this evening", "tonight" (`today`: today's, even once its
    time has passed), "in the morning", "tomorrow night" (the next one, as the days said make it)."""

    name: str  # "morning", "afternoon", "evening", "night"
    today: bool

    @property
    def hour(self) -> int:
        return _PART_HOURS[self.name]

    @property
    def said(self) -> str:
        """Today's, as said: "this morning", "tonight"."""
        return "tonight" if self.name == "night" else f"this {self.name}"

    def passed(self, moment: datetime) -> bool:
        """Whether today's, asked for, is past its time at `moment` ("this morning" at 3 PM, "tonight" at 9 PM)."""
        return self.today and moment.hour >= self.hour

    def over(self, moment: datetime) -> bool:
        """Whether it is over at `moment` ("this morning" at 3 PM; "this afternoon" at 3 PM is not)."""
        return moment.hour >= _PART_ENDS[self.name]


@dataclass(frozen=True)
class ClockTime:
    """A time of day as said: `hour` 0-23, or 1-12 with `meridiem` None when the user did not say which; on which
    days of the week (0 is Monday; empty: the next such time, whatever the day), every week if `weekly`."""

    hour: int
    minute: int
    meridiem: str | None  # "am", "pm", None
    tomorrow: bool = False
    weekdays: frozenset[int] = frozenset()
    weekly: bool = False  # "every weekday", "on Mondays": rings again each week
    next_week: bool = False  # "next Friday", "on Friday next week": the day of next week, not the coming one
    on_date: DateSaid | None = None  # "on December 5th", "on the 5th", "on Christmas Eve"
    days_later: int = 0  # "in 3 days", "in a week", "the day after tomorrow"
    span: tuple[int, int] = field(default=(0, 0), compare=False)  # where the time was said ("at 7 pm")
    part: PartOfDay | None = None  # the part of the day said for it ("this evening"), if one was

    @property
    def hours(self) -> tuple[int, ...]:
        """The hours of the day (0-23) it may be: one when AM or PM is said or the hour tells (0, 13-23), else the
        morning's first and the afternoon's."""
        if self.meridiem is not None:
            return (self.hour % 12 + (12 if self.meridiem == "pm" else 0),)
        if 1 <= self.hour <= 12:
            return (self.hour % 12, self.hour % 12 + 12)
        return (self.hour,)

    def next_after(self, moment: datetime) -> datetime:
        """The first such time after `moment` (tomorrow's, or on the days said, when said so): "at 7" at 3 PM is 7
        PM, "at 7 on Monday" is next Monday's (or today's, on a Monday before 7)."""
        hours = self.hours
        today = moment.replace(second=0, microsecond=0)
        if self.days_later:
            days: Iterable[int] = (self.days_later,)
        elif self.on_date is not None:  # its next two: today's may be past the time
            days = [(day - moment.date()).days for day in self.on_date.dates_from(moment.date())]
        elif self.next_week:  # "next Friday": next week's, Monday to Sunday
            days = range(7 - moment.weekday(), 14 - moment.weekday())
        else:
            days = (1,) if self.tomorrow else range(8) if self.weekdays else (0, 1)
        return min(c for c in ((today + timedelta(days=d)).replace(hour=h, minute=self.minute)
                               for d in days for h in hours)
                   if c > moment and (not self.weekdays or self.on_date or c.weekday() in self.weekdays))

    def matches(self, at: datetime) -> bool:
        hour_ok = at.hour == self.hour if self.meridiem is None and self.hour > 12 else at.hour % 12 == self.hour % 12
        meridiem_ok = self.meridiem is None or (at.hour >= 12) == (self.meridiem == "pm")
        return hour_ok and meridiem_ok and at.minute == self.minute


DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EVERY_DAY = re.compile(r"\b(?:(?:every|each) (?:single )?(?:day|morning|night|evening)|daily|everyday)\b")
_WORKDAYS = re.compile(r"\b(?:week ?days?|work ?days?|working days|monday (?:to|through|thru) friday)\b")
_WEEKENDS = re.compile(r"\b(?:(?:every|each) )?week ?ends?\b")
# One weekend, not every one: its Saturday (or its Sunday, once Saturday's time has passed).
_ONE_WEEKEND = re.compile(r"\b(?:this|(?P<next>next)|the coming|on the|at the|over the|for the) weekend\b")
_DAY = re.compile(r"\b(?P<every>(?:every|each) )?(?P<which>next |this (?:coming )?|(?:the )?coming )?"
                  r"(?P<day>" + "|".join(DAY_NAMES) + r")(?P<plural>s)?(?P<week> next week)?\b")


MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december")
_MONTH = "|".join(MONTH_NAMES)
# "on December 5th", "for the 5th of December", "December the 5th", "on the 5th" (this month's or the next);
# a month's name without "on", "for" or an ordinal is not taken for one ("march 5 miles").
# "remind me December 24 at 6 PM" (first, or right after "me"), "on Monday the 7th" (the date wins over the day's
# name).
_ON_DATE = re.compile(
    rf"\b(?:(?:(?:on|for) |^|(?<=\bme ))(?:the )?(?:(?P<month>{_MONTH}) (?:the )?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? (?P<month2>{_MONTH}))"
    rf"|(?P<month3>{_MONTH}) (?:the )?(?P<day3>\d{{1,2}})(?:st|nd|rd|th)|(?:the )?(?P<day4>\d{{1,2}})(?:st|nd|rd|th)"
    rf"(?: of)? (?P<month4>{_MONTH})|(?:on|for) the (?P<day5>\d{{1,2}})(?:st|nd|rd|th)"
    rf"|(?:{'|'.join(DAY_NAMES)}) the (?P<day6>\d{{1,2}})(?:st|nd|rd|th))\b")
_DAYS_LATER = re.compile(r"\b(?:in (?P<count>\d+|a|an) (?P<unit>days?|weeks?)(?: from (?:now|today))?"
                         r"|(?P<count2>\d+|a|an) (?P<unit2>days?|weeks?) from (?:now|today)"
                         r"|(?:on )?(?P<after>the day after tomorrow))\b")
_NEXT_WEEK = re.compile(r"\bnext week\b")  # alone: its Monday ("friday next week" is _DAY's)


# "on Christmas Eve", "a reminder for Thanksgiving"; not "to buy a gift for Christmas" (what it is for)
_ON_HOLIDAY = re.compile(rf"\b(?:on|^for|(?<=reminder )for|(?<=alarm )for) (?:the )?(?:{HOLIDAY_ALTERNATION})\b")


@dataclass(frozen=True)
class DateSaid:
    """A day said for something to happen on: a date (`month` 0 for a day of the month alone: "on the 5th") or a
    holiday ("on Christmas Eve", "on Thanksgiving")."""

    month: int = 0
    day: int = 0
    holiday: str = ""  # its name as said back; then month and day are not used

    def dates_from(self, today: date) -> list[date]:
        """Its next two days from `today` on (today's too); none if there is no such day ("February 30th")."""
        if self.holiday:
            return next_dates(self.holiday, today)
        return _dates_from(today, self.month, self.day)


def _date_said(normalized: str) -> DateSaid | None:
    """The date said for something to happen on, or the holiday."""
    holiday = _ON_HOLIDAY.search(normalized)
    if holiday is not None:
        return DateSaid(holiday=holiday_of(holiday))
    match = _ON_DATE.search(normalized)
    if match is None:
        return None
    month = next((m for m in match.group("month", "month2", "month3", "month4") if m), None)
    day = int(next(d for d in match.group("day", "day2", "day3", "day4", "day5", "day6") if d))
    number = MONTH_NAMES.index(month) + 1 if month else 0
    try:
        date(2000, number or 1, day)  # (a leap year: February 29th is a day)
    except ValueError:
        return None
    return DateSaid(number, day)


def _days_later(normalized: str) -> int:
    """The days on said: "in 3 days" is 3, "in a week" 7, "the day after tomorrow" 2; 0: none said."""
    match = _DAYS_LATER.search(normalized)
    if match is None:
        return 0
    if match["after"]:
        return 2
    count, unit = match["count"] or match["count2"], match["unit"] or match["unit2"]
    days = (1 if count in ("a", "an") else int(count)) * (7 if unit.startswith("week") else 1)
    return min(days, 3660)  # ten years, as far as anyone plans a reminder


def _dates_from(today: date, month: int, day: int) -> list[date]:
    """The next two dates from `today` on (today's too) that are the `day` of `month` (of any month, 0); none if
    no such day exists ("February 30th")."""
    found: list[date] = []
    months = range(today.year * 12 + today.month - 1, (today.year + 9) * 12)  # a leap day's is up to 8 years on
    for count in months:
        year, index = divmod(count, 12)
        if month and index + 1 != month:
            continue
        with contextlib.suppress(ValueError):  # "the 31st" of a month of 30 days
            candidate = date(year, index + 1, day)
            if candidate >= today:
                found.append(candidate)
        if len(found) == 2:
            break
    return found


def days_ahead(today: int, weekday: int, which: str = "") -> int:
    """Days from `today` to the day of the week said (0 is Monday): "this Friday" is the coming one, today's on a
    Friday; "Friday" the coming one after today; "next Friday" next week's, Monday to Sunday (said on a Thursday,
    a week from tomorrow; on a Saturday, "next Monday" is the day after tomorrow). `which`: "this", "next" or ""."""
    if which == "next":
        return 7 - today + weekday
    ahead = (weekday - today) % 7
    return ahead if which == "this" else ahead or 7


def parse_days(normalized: str) -> tuple[frozenset[int], bool]:
    """The days of the week said (0 is Monday) and whether every week: "every day", "on weekdays", "every
    weekend", "on Mondays and Thursdays", "every Friday" (weekly); "on Friday" (once). None said: (empty, False)."""
    if _EVERY_DAY.search(normalized):
        return frozenset(range(7)), True
    if _WORKDAYS.search(normalized):
        return frozenset(range(5)), True
    if _ONE_WEEKEND.search(normalized):
        return frozenset({5, 6}), False  # once: its first day still to come (Sunday's, said on a Saturday night)
    if _WEEKENDS.search(normalized):
        return frozenset({5, 6}), True
    named = list(_DAY.finditer(normalized))
    days = frozenset(DAY_NAMES.index(m["day"]) for m in named)
    return days, len(days) > 1 or any(m["every"] or m["plural"] for m in named)


_WHEN = re.compile(r"\b(?:tomorrow|today)\b")
# "this evening", "tonight", "tomorrow morning", "in the afternoon", "at night", "on Friday morning", "every night";
# only before what may follow a time, so "the morning meeting" or "at the evening class" is not one.
_PART_OF_DAY = re.compile(
    r"\b(?:later )?(?P<tonight>tonight)\b"
    r"|\b(?:(?:later )?(?P<this>this)|tomorrow|(?:in|during) the|at|every|each"
    r"|(?:" + "|".join(DAY_NAMES) + r"|weekday|weekend)s?) (?P<part>morning|afternoon|evening|night)s?"
    r"(?=$| (?:to|that|about|of|at|on|for|and|please|i|every|each)\b)")


def when_spans(normalized: str) -> list[tuple[int, int]]:
    """Where `normalized` says when, besides a time of day or a length: "tomorrow", "tonight", "this evening",
    "every weekday", "on Mondays", "on Friday", "for tomorrow morning" (with the "on" or "for")."""
    spans = []
    for pattern in (_EVERY_DAY, _WORKDAYS, _ONE_WEEKEND, _WEEKENDS, _DAY, _WHEN, _PART_OF_DAY, _ON_DATE, _ON_HOLIDAY,
                    _DAYS_LATER, _NEXT_WEEK):
        for match in pattern.finditer(normalized):
            start, end = match.span()
            before = re.search(r"\b(?:on|for) $", normalized[:start])
            spans.append((before.start() if before else start, end))
    return sorted(spans)


def parse_clock_time(normalized: str) -> ClockTime | None:
    """The time of day said after "at" or "for" ("at 7 am", "for 630", "at half past 6", "for noon"), or before
    "alarm" ("the 7 am alarm"), with the days said ("tomorrow", "on Friday", "every weekday") and where the time
    was said (`span`: what is left may be about something else, as a reminder's what)."""
    match = _CLOCK_TIMES[0].search(normalized) or _CLOCK_TIMES[1].search(normalized)
    if match is None:
        return None
    words = set(normalized.split())
    meridiem = _MERIDIEM.get(match["meridiem"] or "") or (  # "at 7 every morning"
        "am" if "morning" in words else "pm" if words & {"afternoon", "evening", "night", "tonight"} else None)
    if match["noon"]:
        hour, minute, meridiem = 12, 0, "am" if match["noon"] == "midnight" else "pm"
    elif match["past"] or match["to"]:
        hour = int(match["past"] or match["to"])
        hour, minute = (hour, 30 if match["part"] == "half" else 15) if match["past"] else (hour - 1 or 12, 45)
    elif match["hhmm"]:
        hour, minute = divmod(int(match["hhmm"]), 100)
    else:
        hour, minute = int(match["h"]), int(match["m"] or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59) or (meridiem is not None and not 1 <= hour <= 12):
        return None
    return ClockTime(hour, minute, meridiem, *_days_said(normalized), span=match.span())


class DaysSaid(NamedTuple):
    """The days said for a time: ClockTime's fields of the same names."""

    tomorrow: bool
    weekdays: frozenset[int]
    weekly: bool
    next_week: bool
    on_date: DateSaid | None
    days_later: int

    @property
    def any(self) -> bool:
        return bool(self.tomorrow or self.weekdays or self.on_date or self.days_later)


def _days_said(normalized: str) -> DaysSaid:
    """The days said: a date or days on ("on December 5th", "in 3 days") before days of the week, and those before
    "tomorrow" ("tomorrow" alone is the day after tomorrow's too); "next week" alone is its Monday."""
    on_date, days_later = _date_said(normalized), _days_later(normalized)
    weekdays, weekly = parse_days(normalized)
    next_week = not weekly and (any(m["which"] == "next " or m["week"] for m in _DAY.finditer(normalized))
                                or bool((weekend := _ONE_WEEKEND.search(normalized)) and weekend["next"]))
    if not weekdays and _NEXT_WEEK.search(normalized):
        weekdays, next_week = frozenset({0}), True
    if on_date or days_later:
        weekdays, weekly, next_week = frozenset(), False, False
    tomorrow = "tomorrow" in normalized.split() and not (weekdays or on_date or days_later)
    return DaysSaid(tomorrow, weekdays, weekly, next_week, on_date, days_later)


def parse_part_of_day(normalized: str) -> ClockTime | None:
    """The time a part of the day said without a clock time stands for ("tomorrow morning": 9 AM tomorrow; "this
    evening", "tonight", "in the afternoon", "on Friday night", "every morning"), or a day said alone (its morning:
    "tomorrow", "on Friday", "every Monday"); None when neither is said ("today" alone says no time)."""
    match = _PART_OF_DAY.search(normalized)
    days = _days_said(normalized)
    if match is None and not days.any:
        return None
    part = None
    if match is not None:
        part = PartOfDay("night" if match["tonight"] else match["part"], bool(match["this"] or match["tonight"]))
    hour = part.hour if part else MORNING_HOUR
    return ClockTime(hour % 12 or 12, 0, "pm" if hour >= 12 else "am", *days,
                     span=match.span() if match else (0, 0), part=part)
