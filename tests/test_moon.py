"""The moon's phases: their times against the published ones, and the answers on a day, by the device's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.conversation.skills import SKILLS, Skills
from assistant.conversation.sky import phases_around

# The principal phases of 2024 in UTC as published (US Naval Observatory), to the minute.
PUBLISHED_2024 = {
    0: "01-11 11:57 02-09 22:59 03-10 09:00 04-08 18:21 05-08 03:22 06-06 12:38 07-05 22:57 08-04 11:13 09-03 01:55 "
       "10-02 18:49 11-01 12:47 12-01 06:21 12-30 22:27",
    1: "01-18 03:52 02-16 15:01 03-17 04:11 04-15 19:13 05-15 11:48 06-14 05:18 07-13 22:49 08-12 15:19 09-11 06:06 "
       "10-10 18:55 11-09 05:55 12-08 15:27",
    2: "01-25 17:54 02-24 12:30 03-25 07:00 04-23 23:49 05-23 13:53 06-22 01:08 07-21 10:17 08-19 18:26 09-18 02:34 "
       "10-17 11:26 11-15 21:28 12-15 09:02",
    3: "01-04 03:30 02-02 23:18 03-03 15:23 04-02 03:15 05-01 11:27 05-30 17:13 06-28 21:53 07-28 02:51 08-26 09:26 "
       "09-24 18:50 10-24 08:03 11-23 01:28 12-22 22:18",
}


def test_the_principal_phases_are_within_minutes_of_the_published_times() -> None:
    for phase, published in PUBLISHED_2024.items():
        words = published.split()
        for day, time in zip(words[::2], words[1::2], strict=True):
            when = datetime.strptime(f"2024-{day} {time}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            found = min((at for at, p in phases_around(when) if p == phase), key=lambda at: abs(at - when))
            assert abs((found - when).total_seconds()) < 3 * 60, (phase, when, found)


def answer(at: datetime, text: str) -> str | None:
    reply = Skills(SKILLS, clock=lambda: at, follow_wall_clock=False).answer(text, 0)
    assert reply is None or reply.intent == "moon"
    return None if reply is None else reply.text


FULL = datetime(2024, 3, 25, 12, tzinfo=UTC)  # the full moon was at 7 AM
WAXING = datetime(2024, 3, 20, 12, tzinfo=UTC)
CRESCENT = datetime(2024, 3, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "text", "said"),
    [
        (FULL, "what's the moon phase", "Today is the full moon, 100 percent lit."),
        (FULL, "is it a full moon tonight", "Yes, it's the full moon."),
        (FULL, "when is the next full moon", "The full moon is today."),
        (FULL, "how many days until the new moon", "The new moon is in 14 days, on Monday, April the 8th."),
        (WAXING, "what phase is the moon tonight", "It's a waxing gibbous moon, about 80 percent lit. The full moon "
                                                   "is on Monday."),
        (WAXING, "is there a full moon tonight", "No, it's a waxing gibbous moon; the full moon is on Monday."),
        (WAXING, "is the moon waxing or waning", "It's a waxing gibbous moon, about 80 percent lit. The full moon is "
                                                 "on Monday."),
        (WAXING, "when will the moon be full", "The next full moon is on Monday."),
        (WAXING, "is it a half moon", "No, it's a waxing gibbous moon; the last quarter moon is on Tuesday, April the "
                                      "2nd."),  # either quarter: the next
        (WAXING, "how many days until the last quarter", "The last quarter moon is in 13 days, on Tuesday, April the "
                                                         "2nd."),
        (CRESCENT, "hey jarvis what's the phase of the moon please",
         "It's a waxing crescent moon, about 15 percent lit. The full moon is on Monday, March the 25th."),
        (CRESCENT, "when is the next first quarter", "The first quarter moon is on Sunday."),
        (CRESCENT, "is it a crescent moon", "Yes, it's a waxing crescent moon."),
        (datetime(2024, 3, 10, 20, tzinfo=UTC), "what's the moon phase", "Today is the new moon."),
        (datetime(2024, 3, 26, 3, tzinfo=UTC), "what's the moon phase", "It's a waning gibbous moon, nearly full. The "
                                                                        "new moon is on Monday, April the 8th."),
    ],
)
def test_the_moon_is_told_by_the_day(at: datetime, text: str, said: str) -> None:
    assert answer(at, text) == said


def test_the_day_of_a_phase_is_the_devices() -> None:
    # The full moon of April 23rd, 2024 at 23:49 UTC was on the 24th in Tokyo, on the 23rd in New York.
    tokyo = datetime(2024, 4, 24, 12, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert answer(tokyo, "is it a full moon") == "Yes, it's the full moon."
    new_york = datetime(2024, 4, 24, 12, tzinfo=ZoneInfo("America/New_York"))
    assert answer(new_york, "is it a full moon") == (
        "No, it's a waning gibbous moon; the full moon is on Thursday, May the 23rd.")


@pytest.mark.parametrize("text", ["is it a crescent moon next week", "how is the moon formed", "what is a moon",
                                  "what is the moon"])
def test_other_moon_questions_are_the_language_models(text: str) -> None:
    assert answer(FULL, text) is None


def test_the_moon_is_the_date_skills() -> None:
    skill = Skills([s for s in SKILLS if s != "date"], clock=lambda: FULL, follow_wall_clock=False)
    assert skill.answer("what's the moon phase", 0) is None


def test_a_clock_at_the_calendars_ends_is_told_so() -> None:
    assert answer(datetime(1, 1, 3, 12), "what's the moon phase") == "That is further than my calendar goes."
    assert answer(datetime(9999, 12, 20, 12), "when is the next full moon") == "That is further than my calendar goes."
