"""Facts of the calendar about now (assistant.conversation.calendar_facts), through the skills: a language model
guesses the year its training ended."""

from __future__ import annotations

from datetime import datetime

import pytest
from skill_answers import answer_at

from assistant.conversation.skills import SKILLS, Skills

THANKSGIVING = datetime(2026, 11, 26, 11, 6)  # a Thursday


def said(text: str, now: datetime = THANKSGIVING) -> str | None:
    return answer_at(text, now, "calendar")


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("What year is it?", "It's 2026."),
        ("what's the current year", "It's 2026."),
        ("Hey Jarvis, what month is it?", "It's November."),
        ("what month are we in", "It's November."),
        ("What was yesterday's date?", "Yesterday was Wednesday, November the 25th, 2026."),
        ("what day was it yesterday", "Yesterday was Wednesday, November the 25th, 2026."),
        ("Is it a leap year?", "No, 2026 is not a leap year. The next one is 2028."),
        ("is next year a leap year", "No, 2027 is not a leap year. The next one is 2028."),
        ("Is 2028 a leap year?", "Yes, 2028 is a leap year."),
        ("is 1900 a leap year", "No, 1900 is not a leap year."),  # a century, not a 400th year; and past
        ("is 2000 a leap year", "Yes, 2000 is a leap year."),
        ("when is the next leap year", "The next leap day is February the 29th, 2028."),
        ("what week is it", "It's week 48 of 2026."),
        ("what week number is it", "It's week 48 of 2026."),
        ("what day of the year is it", "Today is day 330 of 2026."),
        ("how many days are left in the year", "There are 35 days left in 2026 after today."),
        ("how many days in february", "February has 28 days in 2027; in a leap year it has 29."),
        ("how many days are there in february 2028", "February has 29 days in 2028."),
        ("how many days are in this month", "November has 30 days."),
        ("how many days does next month have", "December has 31 days."),
        ("how many days in april", "April has 30 days."),
        ("how many days are there in a year", "A year has 365 days, a leap year 366; 2026 has 365."),
        ("how many weeks in a year", "A year has 52 weeks and one day, a leap year 52 weeks and two days."),
        ("how many minutes in a year", "A year of 365 days has 525600 minutes, a leap year 527040."),
        ("how many hours are there in a year", "A year of 365 days has 8760 hours, a leap year 8784."),
        ("how many days are left in the month", "November ends in 4 days, on Monday, November the 30th."),
        ("what's the last day of the month", "November ends in 4 days, on Monday, November the 30th."),
        ("what day of the month is it", "It's the 26th."),
        ("is it friday", "No, today is Thursday."),
        ("is today thursday", "Yes, today is Thursday."),
        ("is tomorrow friday", "Yes, tomorrow is Friday."),
        ("how many days until the weekend", "The weekend starts in 2 days, on Saturday."),
        ("is it the weekend yet", "No, it's Thursday. The weekend starts in 2 days, on Saturday."),
    ],
)
def test_the_calendar_now_is_told_from_the_clock(text: str, reply: str) -> None:
    assert said(text) == reply


def test_the_edges_of_years_and_leap_days() -> None:
    assert said("what week is it", datetime(2027, 1, 1, 9)) == "It's week 53 of 2026."  # ISO: a Friday
    assert said("when is the next leap day", datetime(2028, 2, 10)) == "The next leap day is February the 29th, 2028."
    assert said("when is the next leap year", datetime(2028, 3, 1)) == "The next leap day is February the 29th, 2032."
    assert said("how many days left in the year", datetime(2026, 12, 31, 8)) == "Today is the last day of the year."
    assert said("how many days left in the year", datetime(2026, 12, 30, 8)) == (
        "There is one day left in 2026 after today.")
    assert said("what day of the year is it", datetime(2028, 12, 31)) == "Today is day 366 of 2028."
    assert said("how many days in february", datetime(2027, 11, 1)) == (
        "February has 29 days in 2028, a leap year; otherwise 28.")
    assert said("how many days in last month", datetime(2027, 1, 15)) == "December has 31 days."
    assert said("how many days are left in the month", datetime(2028, 2, 28)) == (
        "February ends tomorrow, on Tuesday, February the 29th.")
    assert said("when does the month end", datetime(2026, 12, 31)) == "Today is the last day of December."
    assert said("what day of the month is it", datetime(2026, 12, 22)) == "It's the 22nd."
    assert said("is tomorrow monday", datetime(2026, 11, 29)) == "Yes, tomorrow is Monday."  # Sunday to Monday
    assert said("is it the weekend", datetime(2026, 11, 29)) == "Yes, it's the weekend! Today is Sunday."
    assert said("how long until the weekend", datetime(2026, 11, 27)) == "The weekend starts tomorrow."


@pytest.mark.parametrize(
    "text",
    ["what year was the moon landing", "what year did the war end", "what month is best for skiing",
     "is it a leap year in the story", "what week is thanksgiving", "how many days in a leap decade",
     "what is a leap year", "tell me about last year", "is it friday the 13th", "is it the weekend of the fair",
     "is it monday in tokyo"],
)
def test_questions_about_other_years_and_months_are_the_models(text: str) -> None:
    assert said(text) is None


def test_the_calendar_facts_are_the_date_skills() -> None:
    skill = Skills([s for s in SKILLS if s != "date"], clock=lambda: THANKSGIVING, follow_wall_clock=False)
    assert skill.answer("what year is it", 0) is None
