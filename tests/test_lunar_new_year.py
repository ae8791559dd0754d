"""The Chinese New Year (assistant.conversation.lunar_new_year): worked out from the sky, against the published days,
the leap month of 2033 too, and asked about as a holiday; and the sun's solar terms (sky.sun_reaches) against their
published times."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from skill_answers import answer_at

from assistant.conversation.lunar_new_year import lunar_new_year
from assistant.conversation.skills import SKILLS, Skills
from assistant.conversation.sky import season_start, sun_reaches

# The Chinese New Year's days as published (Hong Kong Observatory), 2010 to 2035 but for 2031 and 2032.
PUBLISHED = ("2010-02-14 2011-02-03 2012-01-23 2013-02-10 2014-01-31 2015-02-19 2016-02-08 2017-01-28 2018-02-16 "
             "2019-02-05 2020-01-25 2021-02-12 2022-02-01 2023-01-22 2024-02-10 2025-01-29 2026-02-17 2027-02-06 "
             "2028-01-26 2029-02-13 2030-02-03 2033-01-31 2034-02-19 2035-02-08")


@pytest.mark.parametrize("published", PUBLISHED.split())
def test_the_new_year_is_the_published_day(published: str) -> None:
    day = date.fromisoformat(published)
    assert lunar_new_year(day.year) == day


def test_a_leap_month_before_the_new_year_puts_it_a_moon_later() -> None:
    # 2033's sui has 13 months and its first without a zhongqi is the one after month 11: not the second new moon
    # after the solstice (January 20) but the third.
    assert lunar_new_year(2034) == date(2034, 2, 19)


@pytest.fixture()
def far_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The device in Los Angeles, where 2024's New Year moon came on February 9 (in China on the 10th)."""
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_zone")
def test_the_days_are_china_s_whatever_the_device_s_zone() -> None:
    lunar_new_year.cache_clear()
    assert lunar_new_year(2024) == date(2024, 2, 10)


@pytest.mark.parametrize("year", [2, 3, 100, 1000, 1582, 4321, 7777, 9998, 9999])
def test_every_year_of_the_calendar_but_the_first_has_a_day_in_late_winter(year: int) -> None:
    day = lunar_new_year(year)
    assert date(year, 1, 15) <= day <= date(year, 2, 25)


@pytest.mark.parametrize("year", [1, 0, 10000])
def test_a_year_whose_months_start_before_the_calendar_or_after_it_is_a_value_error(year: int) -> None:
    with pytest.raises(ValueError):
        lunar_new_year(year)


@pytest.mark.parametrize(
    ("longitude", "published"),
    [(270, "2024-12-21 09:20"), (300, "2025-01-19 20:00"), (315, "2025-02-03 14:10"), (0, "2025-03-20 09:01")],
)
def test_the_sun_reaches_a_longitude_within_15_minutes_of_the_published_time(longitude: int, published: str) -> None:
    when = datetime.fromisoformat(published).replace(tzinfo=UTC)
    found = sun_reaches(longitude, datetime(2024, 12, 1, tzinfo=UTC))
    assert found.tzinfo == UTC
    assert abs(found - when) < timedelta(minutes=15), found


def test_the_sun_reaches_a_longitude_next_after_the_moment_given() -> None:
    solstice = season_start(2024, 270)
    assert abs(sun_reaches(270, solstice - timedelta(hours=1)) - solstice) < timedelta(seconds=1)
    assert sun_reaches(270, solstice + timedelta(hours=1)) > solstice + timedelta(days=365)


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("when is chinese new year", "Chinese New Year is in 72 days, on Saturday, February the 6th, 2027."),
        ("how many days until lunar new year", "Chinese New Year is in 72 days, on Saturday, February the 6th, 2027."),
        ("what day of the week is chinese new year 2034", "Chinese New Year is on a Sunday in 2034."),  # February 19
        ("what date was the spring festival 2024", "Chinese New Year was Saturday, February the 10th, 2024."),
    ],
)
def test_it_is_asked_about_like_any_holiday(text: str, reply: str) -> None:
    assert answer_at(text, datetime(2026, 11, 26, 15, 5), "calendar") == reply


def test_a_reminder_on_it_is_not_taken_for_new_years_day() -> None:
    skills = Skills(SKILLS, clock=lambda: datetime(2026, 11, 26, 15, 5), follow_wall_clock=False)
    skills.answer("remind me on chinese new year to call grandma", 0)
    assert [t.at for t in skills.timers] == [datetime(2027, 2, 6, 9, 0)]
