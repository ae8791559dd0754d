"""Reading a reminder: "remind me to call my mom at 5 PM", "remind me in 20 minutes to check the oven", "remind me
every Monday at 7 PM to take out the trash", "remind me tomorrow at 9 to call the dentist", "remind me on December
5th to call grandma", "on the 5th" (this month's or the next), "in 3 days", "next Friday" (next week's), "next week"
(its Monday), "on Christmas Eve"; a day a week or more away is said back with its date. Again and again: "every
hour", "every 30 minutes", "on the 1st of every month" ("every other day" and "every year" are not kept).

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
request ("call mom at 5": 5 PM tomorrow). The skills keep and ring reminders as they do alarms
(assistant.conversation.skills): "A reminder to call your mom."
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.conversation.phrases import (
    ClockTime,
    parse_clock_time,
    parse_duration,
    parse_part_of_day,
    second_person,
    when_spans,
)

_REMIND = re.compile(r"^(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant) )?(?:please )?"
                     r"(?:(?:can|could|will|would) you )?(?:please )?"
                     r"(?:set a reminder|remind me|(?:do not|dont) let me forget|remember(?= to ))(?: (?P<rest>.*))?$")
_LEAD = re.compile(r"^(?:for me )?(?:(?P<to>to|that i (?:need|have|must|should) to|that i should)|(?P<about>about|of)"
                   r"|(?P<that>that)) ")
_CLOSING = frozenset({"please", "and", "then", "again"})  # left off the end of what is said
# and off a part said just before when it is ("pay rent by Friday", "every hour starting at 9")
_BEFORE_WHEN = _CLOSING | {"at", "for", "by", "starting", "beginning", "from"}


# Again and again: "every hour", "every 30 minutes", "every 2 hours", "every half hour", "hourly".
_EVERY = re.compile(r"\b(?:every (?:(?P<count>\d+) (?P<unit>minutes?|mins?|hours?)|(?P<hour>hour)"
                    r"|(?P<half>half (?:an )?hour))|(?P<hourly>hourly))\b")
# Once a month: "every month", "on the 1st of every month", "monthly".
_MONTHLY = re.compile(r"\b(?:(?:of )?(?:every|each) month|monthly)\b")
# Repeats not kept (a day, days of the week, a day of the month, or minutes and hours are): "every other day".
_UNKEPT_REPEAT = re.compile(r"\b(?:every (?:other |second |\d+ )(?:months?|years?)|every (?:years?|fortnight)"
                            r"|every other (?:day|week)|every \d+ (?:days|weeks)|yearly|annually)\b")


@dataclass(frozen=True)
class ReminderRequest:
    what: str  # "to call your mom", "about the meeting", "that the car is outside"; empty if none was said
    at: ClockTime | None  # a time of day said
    seconds: float | None  # a length said ("in 20 minutes")
    every_s: int = 0  # rings again this often ("every hour"); 0: once (or on the days said)
    monthly: bool = False  # rings again each month, on the day of the month said (or today's)
    unkept_repeat: bool = False  # asks for a repeat the skills cannot keep ("every other day")


def parse_reminder(normalized: str) -> ReminderRequest | None:
    """The reminder `normalized` asks for, else None (not a request to be reminded)."""
    asked = _REMIND.match(normalized)
    if asked is None:
        return None
    rest = asked["rest"] or ""
    if _UNKEPT_REPEAT.search(rest):
        return ReminderRequest("", None, None, unkept_repeat=True)
    every = _EVERY.search(rest)
    monthly = _MONTHLY.search(rest)
    duration = parse_duration(rest)
    every_s = _every_seconds(every) if every else 0
    if every and every["count"]:
        duration = None  # "every 30 minutes": how often, not when
    at = parse_clock_time(rest) or (None if duration or every else parse_part_of_day(rest))
    spans = list(when_spans(rest))
    if at is not None:
        spans.append(at.span)
    for repeat in (every, monthly):
        if repeat is not None:
            spans.append(repeat.span())
    for start, end in duration.spans if duration else ():
        spans.append((start - 3 if rest[:start].endswith("in ") else start, end))
    said = _what_said(rest, _merged(spans))
    lead = _LEAD.match(said + " ")
    if lead is None and (said or not (at or duration)) and rest:
        return None  # "remind me what I said": not a reminder
    task = said[lead.end():].strip() if lead else said
    kind = "about" if lead and lead["about"] else "that" if lead and lead["that"] else "to"
    what = f"{kind} {second_person(task)}" if task.strip() else ""
    return ReminderRequest(what, at, duration.seconds if duration else None, every_s, monthly is not None)


def _every_seconds(every: re.Match[str]) -> int:
    if every["count"]:
        return int(every["count"]) * (3600 if every["unit"].startswith("h") else 60)
    return 1800 if every["half"] else 3600


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
