"""Reading a reminder: "remind me to call my mom at 5 PM", "remind me in 20 minutes to check the oven", "remind me
every Monday at 7 PM to take out the trash", "remind me tomorrow at 9 to call the dentist", "remind me on December
5th to call grandma", "on the 5th" (this month's or the next), "in 3 days", "next Friday" (next week's), "next week"
(its Monday), "on Christmas Eve"; a day a week or more away is said back with its date. Again and again: "every
hour", "every 30 minutes", "every other day", "every 3 days", "every other Thursday", "every 2 weeks", "on the 1st of
every month", "on the last day of every month", "on the first Monday of every month", "every 3 months", "every year
on March 3rd", "every year on Thanksgiving" ("twice a day" is not kept).

A part of the day said instead of a clock time stands for one (assistant.conversation.phrases: morning 9 AM,
afternoon 2 PM, evening 6 PM, tonight and at night 8 PM), and a day said alone for its morning, as phone assistants
take them: "remind me tomorrow morning to call the bank" (9 AM tomorrow), "this evening", "tonight", "in the morning"
(the next 9 AM), "on Friday morning", "remind me tomorrow to buy milk" (9 AM tomorrow); the confirmation says the time
chosen, so the user can correct it. "Today" alone says no time: it asks when. Today's part of the day ("this
morning", "this afternoon", "this evening", "tonight") whose time has passed is not set in the past, nor moved to
tomorrow against the "this" said: the skills ask for the time instead, "At what time tonight?" while it lasts ("tonight"
at 9 PM, "this afternoon" at 3 PM), "This morning is over. When should I remind you ...?" after (timers). An alarm
still asks for a time ("wake me up tomorrow morning": "For what time?"): a wake-up time is the user's own.

What to remind of is the request's words without the time, the length and the days said, from "to", "about" or
"that" on, turned to the one reminded ("to call my mom" is said back as "to call your mom"; "that I need to take
my pills" as "to take your pills"). "Remind me tomorrow" asks what, and the next turn's answer completes the
request ("call mom at 5": 5 PM tomorrow). A place instead of a time ("when I get to the store") is left out of what,
and the skills say they cannot tell where the user is. The skills keep and ring reminders as they do alarms
(assistant.conversation.skills): "A reminder to call your mom."
"""

from __future__ import annotations

import calendar
import dataclasses
import re
from dataclasses import dataclass
from typing import NamedTuple

from assistant.conversation.holidays import nth_weekday
from assistant.conversation.phrases import (
    DAY_NAMES,
    ClockTime,
    parse_clock_time,
    parse_duration,
    parse_part_of_day,
    second_person,
    when_spans,
)
from assistant.conversation.spoken import WEEKDAYS, ordinal

_REMIND = re.compile(r"^(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant) )?(?:please )?"
                     r"(?:(?:can|could|will|would) you )?(?:please )?"
                     r"(?:set a reminder|remind me|(?:do not|dont) let me forget|remember(?= to ))(?: (?P<rest>.*))?$")
_LEAD = re.compile(r"^(?:for me )?(?:(?P<to>to|that i (?:need|have|must|should) to|that i should)|(?P<about>about|of)"
                   r"|(?P<that>that)) ")
_CLOSING = frozenset({"please", "and", "then", "again"})  # left off the end of what is said
# and off a part said just before when it is ("pay rent by Friday", "every hour starting at 9")
_BEFORE_WHEN = _CLOSING | {"at", "for", "by", "starting", "beginning", "from"}


# Again and again: "every hour", "every 30 minutes", "every 2 hours", "every half hour", "every other hour", "hourly".
_EVERY = re.compile(r"\b(?:every (?:(?P<count>\d+) (?P<unit>minutes?|mins?|hours?)|(?P<hour>hour)"
                    r"|(?P<half>half (?:an )?hour)|(?P<other>(?:other|second) hour))|(?P<hourly>hourly))\b")
# Every so many days or weeks, on the calendar: "every other day", "every 3 days", "every 2 weeks", "every other
# Thursday" (its day is read with the time), "fortnightly".
_EVERY_DAYS = re.compile(r"\b(?:every (?:(?:other|second) (?P<other>day|week|(?:" + "|".join(DAY_NAMES) + r")(?=s?\b))"
                         r"|(?P<count>\d+) (?P<unit>days|weeks)|fortnight)|fortnightly)\b")
# Every so many months or years, on a day of the month: "every month", "on the 1st of every month", "monthly",
# "every 3 months", "quarterly", "every year", "annually", "every 2 years".
_EVERY_MONTHS = re.compile(r"\b(?:(?:of )?(?:every|each) (?P<month>month)|(?P<monthly>monthly)"
                           r"|every (?:(?:other|second) (?P<other>month|year)|(?P<count>\d+) (?P<unit>months|years)"
                           r"|(?P<quarter>quarter))|(?P<quarterly>quarterly)|(?P<half>twice a year|semi ?annually)"
                           r"|(?:(?:of )?(?:every|each)|once a) (?P<year>year)|(?P<yearly>yearly|annually))\b")
# A day of the month said by its place: "on the last day of the month", "on the first Monday of every month", "every
# last Friday of the month" (text_norm writes "first" as "1st").
_MONTH_RULE = re.compile(r"\b(?:on |for )?(?P<every>(?:every|each) )?(?:the )?(?:(?P<last_day>last day)"
                         r"|(?P<nth>1st|2nd|3rd|4th|last) (?P<weekday>" + "|".join(DAY_NAMES) + r")) of "
                         r"(?:the |this |(?P<each>(?:every|each) (?:other |second |\d+ )?))?months?\b")
_NTH = {"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "last": -1}
_NTH_SAID = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


class MonthDay(NamedTuple):
    """A day of each month: the `day` (1 to 31, the month's last in a shorter one; -1: the last day), else the
    `week`th `weekday` (week 1 to 4, -1: the last; weekday 0 is Monday)."""

    day: int = 0
    week: int = 0
    weekday: int = 0

    def in_month(self, year: int, month: int) -> int:
        """Its day in `month` of `year`."""
        if self.week:
            return nth_weekday(year, month, self.weekday, self.week).day
        last = calendar.monthrange(year, month)[1]
        return last if self.day == -1 else min(self.day, last)

    def said(self) -> str:
        """"the 5th", "the last day", "the first Monday"."""
        if self.week:
            return f"the {_NTH_SAID[self.week]} {WEEKDAYS[self.weekday]}"
        return "the last day" if self.day == -1 else f"the {ordinal(self.day)}"


# A place instead of a time: "when I get to the store", "when I get home", "next time I'm at the bank". The device
# cannot tell where the user is: it says so and asks for a time.
_BY_PLACE = re.compile(r"\b(?:when|once|as soon as|whenever) (?:i|we) (?:get|arrive|come|go|reach|leave|pass|am|are)"
                       r"\b|\b(?:when|once|whenever) (?:im|we are|were) (?:at|in|near|home|back|out)\b"
                       r"|\bnext time (?:i|we) (?:go|am|are|get|pass)\b|\bnext time (?:im|were) (?:at|in|near)\b")
# Where the what starts after a place said first ("when I get home to call mom"; not the place's own "to the store").
_WHAT_AFTER_PLACE = re.compile(r" (?=(?:to|that|about) (?!the |a |an |my |our |your |work\b|school\b|church\b|bed\b"
                               r"|town\b|class\b|[a-z]+s (?:house|place)\b))")
_LEAD_BEFORE = re.compile(r"^(?:to|that|about) ")  # the what said before the place
# Repeats not kept: more than once in a day, a week or a month ("twice a day").
_UNKEPT_REPEAT = re.compile(r"\b(?:twice|(?:three|3|four|4) times) a (?:day|week|month)\b")


@dataclass(frozen=True)
class ReminderRequest:
    what: str  # "to call your mom", "about the meeting", "that the car is outside"; empty if none was said
    at: ClockTime | None  # a time of day said
    seconds: float | None  # a length said ("in 20 minutes")
    every_s: int = 0  # rings again this often ("every hour"); 0: once (or on the days said)
    every_days: int = 0  # rings again this many days on ("every other day": 2, "every other Thursday": 14)
    every_months: int = 0  # rings again this many months on, on the day of the month said (or today's): "every year" 12
    monthly_on: MonthDay | None = None  # a day of the month said by its place ("the last Friday of every month")
    unkept_repeat: bool = False  # asks for a repeat the skills cannot keep ("twice a day")
    by_place: bool = False  # said a place instead of a time ("when I get to the store"): left out of what
    for_calendar: bool = False  # asked to go on a calendar ("put lunch with Sam on my calendar"): there is none


def parse_reminder(normalized: str) -> ReminderRequest | None:
    """The reminder `normalized` asks for, else None (not a request to be reminded)."""
    asked = _REMIND.match(normalized)
    if asked is None:
        return None
    rest = asked["rest"] or ""
    if _UNKEPT_REPEAT.search(rest):
        return ReminderRequest("", None, None, unkept_repeat=True)
    every = _EVERY.search(rest)
    days = _EVERY_DAYS.search(rest)
    months = _EVERY_MONTHS.search(rest)
    month_rule = _MONTH_RULE.search(rest)
    duration = parse_duration(rest)
    every_s = _every_seconds(every) if every else 0
    if every and every["count"]:
        duration = None  # "every 30 minutes": how often, not when
    at = parse_clock_time(rest) or (None if duration or every else parse_part_of_day(rest))
    spans = list(when_spans(rest))
    if at is not None:
        spans.append(at.span)
    for repeat in (every, days, months, month_rule):
        if repeat is not None:
            spans.append(repeat.span())
    for start, end in duration.spans if duration else ():
        spans.append((start - 3 if rest[:start].endswith("in ") else start, end))
    place = _BY_PLACE.search(rest)
    if place is not None:  # to the time said next, or the what said after it, else to the end
        what_after = None if _LEAD_BEFORE.search(rest[:place.start()]) else _WHAT_AFTER_PLACE.search(rest, place.end())
        ends = [start for start, _ in spans if start > place.start()] + [len(rest)]
        spans.append((place.start(), min([*ends, what_after.start()] if what_after else ends)))
    said = _what_said(rest, _merged(spans))
    lead = _LEAD.match(said + " ")
    if lead is None and (said or not (at or duration or every or days or months or month_rule)) and rest:
        return None  # "remind me what I said": not a reminder
    task = said[lead.end():].strip() if lead else said
    kind = "about" if lead and lead["about"] else "that" if lead and lead["that"] else "to"
    what = f"{kind} {second_person(task)}" if task.strip() else ""
    every_months = _every_months(months) if months else 0
    monthly_on = None
    if month_rule is not None:
        monthly_on = (MonthDay(day=-1) if month_rule["last_day"] else
                     MonthDay(week=_NTH[month_rule["nth"]], weekday=DAY_NAMES.index(month_rule["weekday"])))
        if month_rule["every"] or month_rule["each"]:
            every_months = every_months or 1  # "every first Monday of the month"
    return ReminderRequest(what, at, duration.seconds if duration else None, every_s,
                           _every_days(days) if days else 0, every_months, monthly_on, by_place=place is not None)


# A calendar entry, which the device does not keep: a reminder is the nearest it has. "Put lunch with Sam on my
# calendar for tomorrow at noon", "add the dentist to my calendar on Friday at 3", "schedule a meeting tomorrow at 10".
_CALENDAR = re.compile(r"^(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant) )?(?:please )?(?:(?:can|could|will|"
                       r"would) you )?(?:please )?(?:(?:add|put|schedule|book|pencil in|write|make|create|set up)"
                       r" (?P<what>.+?) (?:to|on|in|into|onto) (?:my|the|our) (?:calendar|schedule|diary|agenda)\b"
                       r"(?P<rest>.*)|schedule (?P<what2>(?:a|an|the|my) .+))$")


def parse_calendar_entry(normalized: str) -> ReminderRequest | None:
    """The reminder nearest to the calendar entry `normalized` asks for, else None."""
    entry = _CALENDAR.match(normalized)
    if entry is None:
        return None
    asked = parse_reminder(f"remind me about {entry['what'] or entry['what2']}{entry['rest'] or ''}")
    return None if asked is None else dataclasses.replace(asked, for_calendar=True)


def asks_for_reminder(normalized: str) -> bool:
    """Whether `normalized` asks to be reminded (read by parse_reminder or not)."""
    return _REMIND.match(normalized) is not None


def _every_seconds(every: re.Match[str]) -> int:
    if every["count"]:
        return int(every["count"]) * (3600 if every["unit"].startswith("h") else 60)
    return 1800 if every["half"] else 7200 if every["other"] else 3600


def _every_days(days: re.Match[str]) -> int:
    if days["count"]:
        return int(days["count"]) * (7 if days["unit"] == "weeks" else 1)
    return 2 if days["other"] == "day" else 14  # "every other week", "every other Thursday", "fortnightly"


def _every_months(months: re.Match[str]) -> int:
    if months["count"]:
        return int(months["count"]) * (12 if months["unit"] == "years" else 1)
    if months["other"]:
        return 2 if months["other"] == "month" else 24
    if months["quarter"] or months["quarterly"]:
        return 3
    if months["half"]:
        return 6
    return 12 if months["year"] or months["yearly"] else 1


def parse_when(normalized: str) -> ClockTime | None:
    """The time of day said alone, as the answer to "When should I remind you ...?": "at 6", "6 pm", "tomorrow
    morning", "tonight"; None if the words say something else too ("what did I do this morning")."""
    at = parse_clock_time(normalized) or parse_clock_time("at " + normalized)
    if at is not None:
        return at
    alone = parse_reminder(f"remind me {normalized}")
    return alone.at if alone is not None and not alone.what else None


def _what_said(rest: str, when: list[tuple[int, int]]) -> str:
    """The words of `rest` outside the spans that say `when`, less a word left hanging just before one ("to call
    mom at" of "to call mom at around 5") and a closing "please"; a last "on" of the user's own stays ("that the
    oven is on")."""
    pieces, last = [], 0
    for start, end in [*when, (len(rest), len(rest))]:
        words = rest[last:start].split()
        hanging = _BEFORE_WHEN if start < len(rest) else _CLOSING
        while words and words[-1] in hanging:
            words.pop()
        pieces.extend(words)
        last = end
    return " ".join(pieces)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans as one ("every monday at 7" is found as days and as a time)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
