"""The Jewish holidays by the Hebrew calendar (assistant.conversation.hebrew_calendar): published dates, every year
the calendar holds, and the questions and reminders that name them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from skill_answers import answer_at

from assistant.conversation.hebrew_calendar import HEBREW_HOLIDAYS, hanukkah, passover, rosh_hashanah
from assistant.conversation.skills import SKILLS, Skills

THANKSGIVING_2026 = datetime(2026, 11, 26, 15, 5)
BY_NAME = {name: day_in for _, name, day_in in HEBREW_HOLIDAYS}


@pytest.mark.parametrize(
    ("name", "year", "first_day"),
    [
        # first full days as published (each begins at sundown the evening before)
        ("Rosh Hashanah", 2021, date(2021, 9, 7)), ("Rosh Hashanah", 2022, date(2022, 9, 26)),
        ("Rosh Hashanah", 2023, date(2023, 9, 16)), ("Rosh Hashanah", 2024, date(2024, 10, 3)),
        ("Rosh Hashanah", 2025, date(2025, 9, 23)), ("Rosh Hashanah", 2026, date(2026, 9, 12)),
        ("Yom Kippur", 2024, date(2024, 10, 12)), ("Sukkot", 2024, date(2024, 10, 17)),
        ("Hanukkah", 2022, date(2022, 12, 19)), ("Hanukkah", 2023, date(2023, 12, 8)),
        ("Hanukkah", 2024, date(2024, 12, 26)), ("Hanukkah", 2025, date(2025, 12, 15)),
        ("Hanukkah", 2026, date(2026, 12, 5)),
        ("Passover", 2023, date(2023, 4, 6)), ("Passover", 2024, date(2024, 4, 23)),
        ("Passover", 2025, date(2025, 4, 13)), ("Passover", 2026, date(2026, 4, 2)),
        ("Purim", 2024, date(2024, 3, 24)),  # a leap year: in Adar II
        ("Purim", 2025, date(2025, 3, 14)), ("Shavuot", 2024, date(2024, 6, 12)),
    ],
)
def test_the_holidays_fall_on_their_published_days(name: str, year: int, first_day: date) -> None:
    assert BY_NAME[name](year) == first_day


def test_every_year_of_the_calendar_keeps_the_hebrew_calendars_rules() -> None:
    for year in range(1, 10000):
        new_year, spring = rosh_hashanah(year), passover(year)
        assert new_year.weekday() in (0, 1, 3, 5), year  # never on Sunday, Wednesday or Friday
        assert spring.weekday() in (1, 3, 5, 6), year  # never on Monday, Wednesday or Friday
        if year < 9999:
            # a year is 353 to 355 days long, or 383 to 385 with its thirteenth month
            assert (rosh_hashanah(year + 1) - new_year).days in (353, 354, 355, 383, 384, 385), year
            # Tishrei, Heshvan (29 or 30 days) and 24 days of Kislev
            assert (hanukkah(year) - new_year).days in (83, 84), year
        if 1900 <= year <= 2100:  # (the Hebrew year is a little longer: far off, the holidays drift)
            assert date(year, 9, 5) <= new_year <= date(year, 10, 5), year
            assert date(year, 11, 27) <= hanukkah(year) <= date(year, 12, 27), year
            assert date(year, 3, 26) <= spring <= date(year, 4, 25), year
    with pytest.raises(ValueError):  # the Hanukkah of 9999's winter is in January 10000
        hanukkah(9999)


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("when is hanukkah", "Hanukkah is in 9 days, on Saturday, December the 5th."),
        ("how many days until chanukah", "Hanukkah is in 9 days, on Saturday, December the 5th."),
        ("when is passover", "Passover is in 147 days, on Thursday, April the 22nd, 2027."),
        ("when is the jewish new year", "Rosh Hashanah is in 310 days, on Saturday, October the 2nd, 2027."),
        ("what day of the week is yom kippur next year", "Yom Kippur is on a Monday next year."),
        ("how long ago was yom kippur", "Yom Kippur was 66 days ago, on Monday, September the 21st."),
    ],
)
def test_they_are_asked_about_like_any_holiday(text: str, reply: str) -> None:
    assert answer_at(text, THANKSGIVING_2026, "calendar") == reply


def test_a_reminder_on_one_rings_on_its_day() -> None:
    skills = Skills(SKILLS, clock=lambda: THANKSGIVING_2026, follow_wall_clock=False)
    reply = skills.answer("remind me on hanukkah to buy candles", 0)
    assert reply is not None and reply.text == (
        "Okay, I'll remind you to buy candles at nine o'clock AM on Saturday, December the 5th.")
    (reminder,) = skills.timers
    assert reminder.at == datetime(2026, 12, 5, 9, 0)
    assert THANKSGIVING_2026 + timedelta(days=9) > reminder.at
