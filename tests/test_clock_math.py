"""Sums with the time of day (assistant.conversation.clock_math), through the skills: a language model does not
know the time, so it cannot add to it."""

from __future__ import annotations

from datetime import datetime

import pytest
from skill_answers import answer_at

from assistant.conversation import clock_math
from assistant.conversation.skills import SKILLS, Skills
from assistant.text_norm import normalize

MORNING = datetime(2026, 11, 26, 11, 6)  # a Thursday


def said(text: str, now: datetime = MORNING) -> str | None:
    return answer_at(text, now, "time_sum")


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("What time will it be in three hours?", "In three hours it'll be two oh six PM."),
        ("what time is it in 20 minutes", "In twenty minutes it'll be eleven twenty-six AM."),
        ("what time will it be 45 minutes from now", "In forty-five minutes it'll be eleven fifty-one AM."),
        ("what time will it be in an hour and a half", "In one hour and thirty minutes it'll be twelve thirty-six PM."),
        ("what time will it be in 20 hours", "In twenty hours it'll be seven oh six AM tomorrow."),
        ("what time was it 2 hours ago", "Two hours ago it was nine oh six AM."),
        ("what time was it 12 hours ago", "Twelve hours ago it was eleven oh six PM yesterday."),
        ("How long until 5 PM?", "Five o'clock PM is in five hours and fifty-four minutes."),
        ("how long until 5:30", "Five thirty PM is in six hours and twenty-four minutes."),  # the next 5:30
        ("how many hours until midnight", "Midnight is in twelve hours and fifty-four minutes."),
        ("how long until tomorrow", "Midnight is in twelve hours and fifty-four minutes."),  # the day's end
        ("how many hours are left in the day", "Midnight is in twelve hours and fifty-four minutes."),
        ("how much time is left in the day", "Midnight is in twelve hours and fifty-four minutes."),  # not a timer's
        ("how many minutes until noon", "Noon is in fifty-four minutes."),
        ("how much time do I have until half past 11", "Eleven thirty AM is in twenty-four minutes."),
        ("how long until 9 am", "Nine o'clock AM tomorrow is in twenty-one hours and fifty-four minutes."),
    ],
)
def test_the_time_from_now_and_until_a_time_are_counted_from_the_clock(text: str, reply: str) -> None:
    assert said(text) == reply


@pytest.mark.parametrize(
    "text",
    ["what time is it in tokyo", "what will it be in 3 hours", "how long until my alarm", "how long until christmas",
     "how long is a marathon", "what time will the game be on", "what time will it be in 4000 hours",
     "how long until the pizza arrives", "what time was it when we met", "how long until tomorrow night",
     "how many hours left in the game"],
)
def test_other_questions_are_not_sums_with_the_time(text: str) -> None:
    assert clock_math.request(normalize(text)) is None  # (the first three are other skills')


def test_sums_with_the_time_are_the_time_skills() -> None:
    skill = Skills([s for s in SKILLS if s != "time"], clock=lambda: MORNING, follow_wall_clock=False)
    assert skill.answer("what time will it be in 3 hours", 0) is None
