"""Years and ages from now, from the clock: a language model does not know the year and subtracts badly."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.conversation.skills import SKILLS, Skills

NOW = datetime(2026, 11, 26, 15, 5)


def answer(text: str, now: datetime = NOW) -> str | None:
    reply = Skills(SKILLS, clock=lambda: now, follow_wall_clock=False).answer(text, 0)
    assert reply is None or reply.intent == "calendar"
    return None if reply is None else reply.text


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("how old am i if i was born in 1990", "You turn 36 this year: 35 until your birthday, 36 from it on."),
        ("How old am I if I was born on March 5th, 1990?", "You are 36."),
        ("how old would i be if i was born on december 25 1990", "You are 35."),  # the birthday is still to come
        ("how old is someone born in 1985", "Someone born in 1985 turns 41 this year: 40 until the birthday, 41 from "
                                            "it on."),
        ("how old is my mom if she was born in 1960", "Your mom turns 66 this year: 65 until the birthday, 66 from it "
                                                      "on."),
        ("how old is someone born on february 29 2000", "Someone born on February the 29th, 2000 is 26."),
        ("how old will i be in 2030 if i was born in 1990", "You will turn 40 in 2030."),
        ("how old is a child born in 2026", "Someone born in 2026 is under a year old."),
        ("how old is he if he was born in 2030", "2030 is still to come."),
        ("how old is someone born on december 1 2026", "December the 1st, 2026 is still to come."),
        ("how many years ago was 1969", "1969 was 57 years ago."),
        ("how long ago was 2025", "2025 was one year ago."),
        ("how many years until 2050", "2050 is 24 years away."),
        ("what year was it 20 years ago", "20 years ago it was 2006."),
        ("what year will it be in 10 years", "In 10 years it'll be 2036."),
        ("what year was it 0 years ago", "It's 2026 now."),
    ],
)
def test_years_and_ages_are_told_from_the_clock(text: str, said: str) -> None:
    assert answer(text) == said


def test_a_leap_day_birthday_is_kept_on_march_first_in_other_years() -> None:
    assert answer("how old is someone born on february 29 2000", datetime(2027, 2, 28, 12)) == (
        "Someone born on February the 29th, 2000 is 26.")
    assert answer("how old is someone born on february 29 2000", datetime(2027, 3, 1, 12)) == (
        "Someone born on February the 29th, 2000 is 27.")


@pytest.mark.parametrize("text", ["how old are you", "how old is the universe", "how old am i if i was born on "
                                  "february 30 1990", "how old is my mom"])
def test_other_age_questions_are_the_language_models(text: str) -> None:
    assert answer(text) is None
