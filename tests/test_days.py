"""Days of the calendar answered from the clock (assistant.conversation.days), through the skills."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
from skill_answers import answer_at

from assistant.conversation import days
from assistant.conversation.days import read_day
from assistant.conversation.holidays import HOLIDAYS
from assistant.conversation.phrases import days_ahead
from assistant.conversation.skills import SKILLS, Skills

THANKSGIVING_2026 = datetime(2026, 11, 26, 9, 0)  # a Thursday


def said(text: str, now: datetime = THANKSGIVING_2026) -> str | None:
    return answer_at(text, now, "calendar")


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("How many days until Christmas?", "Christmas is in 29 days, on Friday, December the 25th."),
        ("hey jarvis how many sleeps till christmas please", "Christmas is in 29 days, on Friday, December the 25th."),
        ("When is Christmas Eve?", "Christmas Eve is in 28 days, on Thursday, December the 24th."),
        ("how many days until New Year's", "New Year's Day is in 36 days, on Friday, January the 1st, 2027."),
        ("when is thanksgiving", "Thanksgiving is today!"),  # the 4th Thursday of November
        ("when is easter", "Easter is in 122 days, on Sunday, March the 28th, 2027."),
        ("when is mother's day", "Mother's Day is in 164 days, on Sunday, May the 9th, 2027."),
        ("how long until valentine's day", "Valentine's Day is in 80 days, on Sunday, February the 14th, 2027."),
        ("how many days until friday", "Friday is tomorrow."),
        ("how many weeks until christmas", "Christmas is in 4 weeks and one day, on Friday, December the 25th."),
        ("when is labor day", "Labor Day is in 284 days, on Monday, September the 6th, 2027."),  # 1st Monday
        ("when is memorial day", "Memorial Day is in 186 days, on Monday, May the 31st, 2027."),  # the last
        ("when is Martin Luther King Jr. Day?", "Martin Luther King Jr. Day is in 53 days, on Monday, January the "
                                                "18th, 2027."),
        ("how many days until veterans day", "Veterans Day is in 350 days, on Thursday, November the 11th, 2027."),
        ("when is good friday", "Good Friday is in 120 days, on March the 26th, 2027."),
        ("is today a holiday", "Today is Thanksgiving."),
        ("how many weeks until the 10th of december", "December the 10th is in 2 weeks, on a Thursday."),
        ("how many weeks until saturday", "Saturday is in 2 days."),
        ("how many days until next tuesday", "Next Tuesday is in 5 days."),
        ("how many days until thursday", "Thursday is in 7 days, on December the 3rd."),  # not today's
        ("how many days until the fifth of december", "December the 5th is in 9 days, on a Saturday."),
        ("how many days until march 1st 2020", "March the 1st was 2461 days ago, on a Sunday."),
        ("What day of the week is March 5th, 2025?", "March the 5th was on a Wednesday in 2025."),
        ("what day is the 4th of July", "July the 4th is on a Sunday next year."),
        ("what day was july fourth seventeen seventy six", "July the 4th was on a Thursday in 1776."),
        ("what day does christmas fall on this year", "Christmas is on a Friday this year."),
        ("what day is christmas next year", "Christmas is on a Saturday next year."),
        ("what day will new year's eve be", "New Year's Eve is on a Thursday this year."),
        # yes or no
        ("is christmas on a weekend", "No, Christmas is on a Friday this year."),
        ("does thanksgiving fall on a thursday", "Yes, Thanksgiving is on a Thursday this year."),
        ("how many days between now and christmas", "Christmas is in 29 days, on Friday, December the 25th."),
        # "next Friday" is next week's (asked on a Thursday: a week from tomorrow); "this Friday" the coming one
        ("what is the date next friday", "Next Friday is December the 4th."),
        ("what is the date this friday", "Friday is tomorrow, November the 27th."),
        ("what is the date this thursday", "Thursday is today, November the 26th."),
        ("what is the date on christmas", "Christmas is Friday, December the 25th."),
        ("what's the date of thanksgiving", "Thanksgiving is today, Thursday, November the 26th."),
        ("what is the date for christmas", "Christmas is Friday, December the 25th."),
        ("how many days until friday next week", "Next Friday is in 8 days, on December the 4th."),
        ("what is the date next monday", "Next Monday is November the 30th."),
        ("what day is next thursday", "Next Thursday is December the 3rd."),
        ("what date is thanksgiving next year", "Thanksgiving is Thursday, November the 25th, 2027."),
        ("how many days since christmas", "Christmas was 336 days ago, on Thursday, December the 25th, 2025."),
        ("how long has it been since new year's day", "New Year's Day was 329 days ago, on Thursday, January the "
         "1st."),
        ("how long ago was halloween", "Halloween was 26 days ago, on Saturday, October the 31st."),
        ("how many days since friday", "Friday was 6 days ago, on November the 20th."),
        ("how long since thanksgiving", "Thanksgiving is today!"),
        ("what is the date in 3 weeks", "In 3 weeks it's Thursday, December the 17th, 2026."),
        ("what day will it be in 10 days", "In 10 days it's Sunday, December the 6th, 2026."),
        ("what was the date 100 days ago", "100 days ago it was Tuesday, August the 18th, 2026."),
        ("what is the date in 3 months", "In 3 months it's Friday, February the 26th, 2027."),
        ("what day was it 5 years ago", "5 years ago it was Friday, November the 26th, 2021."),
        ("what is the date in 99999 years", "That is further than my calendar goes."),
    ],
)
def test_days_are_counted_and_named_from_the_clock(text: str, reply: str) -> None:
    assert said(text) == reply


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("what day is the day after tomorrow", "The day after tomorrow is Saturday, November the 28th."),
        ("what's the day after tomorrow", "The day after tomorrow is Saturday, November the 28th."),
        ("what date is the day after tomorrow", "The day after tomorrow is Saturday, November the 28th."),
        ("what day was the day before yesterday", "The day before yesterday was Tuesday, November the 24th."),
        ("what was the date the day before yesterday", "The day before yesterday was Tuesday, November the 24th."),
        ("how many days until the day after tomorrow", "The day after tomorrow is in 2 days, on Saturday."),
        ("is the day after tomorrow on a weekend", "Yes, the day after tomorrow is Saturday, November the 28th."),
        ("what date is christmas 2020", "Christmas was Friday, December the 25th, 2020."),  # a day gone: "was"
    ],
)
def test_days_said_from_today_are_said_by_their_date(text: str, reply: str) -> None:
    assert said(text) == reply


def test_a_day_that_is_no_holiday_says_which_is_next() -> None:
    assert said("is today a holiday", datetime(2026, 12, 10, 9)) == (
        "Today is no holiday I know of. The next is Christmas Eve, in 14 days.")
    assert said("what holiday is today", datetime(2026, 12, 23, 9)) == (
        "Today is no holiday I know of. The next is Christmas Eve, tomorrow.")
    assert said("is today a holiday", datetime(2026, 1, 1, 9)) == "Today is New Year's Day."


@pytest.mark.parametrize(
    "text",
    ["when is my birthday", "how many days until the meeting", "what day is february 30th", "when is the game",
     "how many days until payday", "what day is it", "what is the date", "what day is tomorrow",
     "what is the day tomorrow", "what day is the day after tomorrow next year", "is it summer in australia",
     "what season is it in australia"],
)
def test_days_it_does_not_know_are_left_to_the_model_and_today_is_the_clocks(text: str) -> None:
    reply = Skills(SKILLS, clock=lambda: THANKSGIVING_2026).answer(text, 0)
    assert reply is None or reply.intent in ("day", "date", "tomorrow")


def test_a_day_past_this_year_is_next_years_and_a_leap_day_is_the_next_one() -> None:
    assert read_day("christmas", date(2026, 12, 26)) == ("Christmas", date(2027, 12, 25), False)
    assert read_day("christmas", date(2026, 12, 25)) == ("Christmas", date(2026, 12, 25), False)
    assert read_day("february 29th", date(2026, 11, 26)) == ("February the 29th", date(2028, 2, 29), False)
    assert read_day("february 29th 2027", date(2026, 11, 26)) is None
    assert read_day("easter 2024", date(2026, 1, 1)) == ("Easter", date(2024, 3, 31), True)


def test_a_month_on_from_the_31st_is_the_months_last_day() -> None:
    assert said("what is the date in 1 month", datetime(2026, 1, 31)) == (
        "In a month it's Saturday, February the 28th, 2026.")


def test_calendar_questions_are_the_date_skills() -> None:
    assert Skills([s for s in SKILLS if s != "date"], clock=lambda: THANKSGIVING_2026).answer(
        "how many days until christmas", 0) is None


@pytest.mark.parametrize("today", range(7))
def test_this_friday_is_the_coming_one_and_next_friday_is_next_weeks(today: int) -> None:
    for weekday in range(7):
        this, plain, following = (days_ahead(today, weekday, which) for which in ("this", "", "next"))
        assert (today + this) % 7 == (today + plain) % 7 == (today + following) % 7 == weekday
        assert 0 <= this <= 6 and 1 <= plain <= 7  # "this Friday" on a Friday is today, "Friday" a week on
        assert 7 <= today + following <= 13  # in the week after this one, Monday to Sunday


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("when does winter start", "Winter is in 25 days, on Monday, December the 21st."),
        ("when is the first day of spring", "Spring is in 114 days, on Saturday, March the 20th, 2027."),
        ("how many weeks until summer", "Summer is in 29 weeks and 4 days, on Monday, June the 21st, 2027."),
        ("when is the autumn equinox", "Fall is in 301 days, on Thursday, September the 23rd, 2027."),
    ],
)
def test_the_seasons_start_at_the_equinoxes_and_solstices(text: str, reply: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC0")  # the day the sky's moment falls on here: UTC's
    time.tzset()
    try:
        assert said(text) == reply
        assert answer_at(text, THANKSGIVING_2026, "calendar", location=(51.48, -0.01)) == reply  # Greenwich
    finally:
        monkeypatch.undo()
        time.tzset()


def test_south_of_the_equator_the_seasons_start_half_a_year_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    try:
        sydney = (-33.87, 151.21)
        assert answer_at("when does summer start", THANKSGIVING_2026, "calendar", location=sydney) == (
            "Summer is in 25 days, on Monday, December the 21st.")
        assert answer_at("when is the first day of spring", THANKSGIVING_2026, "calendar", location=sydney) == (
            "Spring is in 301 days, on Thursday, September the 23rd, 2027.")
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_day_past_the_calendars_ends_is_none_and_raises_nothing() -> None:
    assert said("what day will it be in 100000 days", datetime(9999, 12, 31)) == (
        "That is further than my calendar goes.")
    assert said("how many days until friday", datetime(9999, 12, 31)) is None
    assert said("how long since friday", datetime(1, 1, 1)) is None


@pytest.mark.parametrize(
    ("text", "now", "location", "reply"),
    [
        ("what season is it", THANKSGIVING_2026, (), "It's fall. Winter starts in 25 days, on Monday, December the "
                                                     "21st."),
        ("what season are we in", THANKSGIVING_2026, (), "It's fall. Winter starts in 25 days, on Monday, December "
                                                         "the 21st."),
        ("is it winter", THANKSGIVING_2026, (), "No, it's fall. Winter starts in 25 days, on Monday, December the "
                                                "21st."),
        ("is it autumn", THANKSGIVING_2026, (), "Yes, it's fall. Winter starts in 25 days, on Monday, December the "
                                                "21st."),
        ("is it winter yet", datetime(2026, 12, 20, 9), (), "No, it's fall. Winter starts tomorrow."),
        ("what season is it", datetime(2026, 12, 21, 9), (), "Winter starts today. Spring starts in 89 days, on "
                                                             "Saturday, March the 20th, 2027."),
        ("is it spring yet", THANKSGIVING_2026, (-33.87, 151.21), "Yes, it's spring. Summer starts in 25 days, on "
                                                                  "Monday, December the 21st."),  # Sydney
        ("what season is it", datetime(9999, 12, 30), (), "It's winter."),  # no spring after 9999
    ],
)
def test_the_season_now_is_the_one_begun_last_and_the_next_is_said(text: str, now: datetime,
                                                                   location: tuple[float, ...], reply: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    try:
        assert answer_at(text, now, "calendar", location=location) == reply
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("how many days between March 1 and April 15", "From March the 1st to April the 15th is 45 days."),
        ("how many days from march 1st to april 15th", "From March the 1st to April the 15th is 45 days."),
        ("how many weeks from easter to christmas", "From Easter to Christmas is 38 weeks and 6 days."),
        ("how many weeks between march 1 and march 3", "From March the 1st to March the 3rd is 2 days."),
        ("how many days are there between christmas eve and christmas", "From Christmas Eve to Christmas is one day."),
        ("how many days between monday and friday", "From Monday to Friday is 4 days."),
        ("how long is it from christmas to new year's", "From Christmas to New Year's Day is 7 days."),
        # a year said is kept; the other day is the next such after it, or the last before it
        ("how many days between march 1 2020 and april 15", "From March the 1st, 2020 to April the 15th is 45 days."),
        ("how many days between march 1 and april 15 2020", "From March the 1st to April the 15th, 2020 is 45 days."),
        # now and today are today, and a day before them the last such
        ("how many days between halloween and now", "From Halloween to today is 26 days."),
        ("how many days between thanksgiving and today", "Thanksgiving and today are the same day."),
        ("how many days between yesterday and the day after tomorrow", "From yesterday to the day after tomorrow is 3 "
                                                                        "days."),
        ("how many weeks between now and christmas", "Christmas is in 4 weeks and one day, on Friday, December the "
                                                     "25th."),
        ("how many days from today until March 1", "March the 1st is in 95 days, on a Monday."),
    ],
)
def test_the_days_between_two_days_are_counted(text: str, reply: str) -> None:
    assert said(text) == reply


@pytest.mark.parametrize(
    "text",
    ["how long is it from london to paris", "how many days between february 30th and march 1st",
     "how many days between the meeting and christmas", "how many days from christmas to the 10th of december 10000"],
)
def test_two_days_not_both_days_are_left_to_the_model(text: str) -> None:
    assert said(text) is None


@pytest.mark.parametrize(
    ("text", "now", "reply"),
    [
        ("when is the next holiday", datetime(2026, 12, 10, 9), "The next holiday is Christmas Eve, on Thursday, "
                                                                "December the 24th, in 14 days."),
        ("what's the next holiday", datetime(2026, 12, 23, 9), "The next holiday is Christmas Eve, tomorrow."),
        ("how many days until the next holiday", datetime(2026, 12, 27, 9), "The next holiday is New Year's Eve, "
                                                                            "on Thursday, December the 31st, in 4 "
                                                                            "days."),
        ("what holiday is next", datetime(2026, 12, 24, 9), "Today is Christmas Eve. The next holiday is "
                                                            "Christmas, tomorrow."),
        ("when is the next holiday", datetime(2022, 6, 10, 9), "The next holidays are Father's Day and Juneteenth, "
                                                               "on Sunday, June the 19th, in 9 days."),
        ("when is the next holiday", datetime(9999, 12, 31, 9), "Today is New Year's Eve. That is further than my "
                                                                "calendar goes."),
    ],
)
def test_the_next_holiday_is_the_first_after_today(text: str, now: datetime, reply: str) -> None:
    assert said(text, now) == reply


def test_a_holiday_with_no_day_in_a_year_is_none_that_year(monkeypatch: pytest.MonkeyPatch) -> None:
    def past_the_calendar(year: int) -> date:  # a rule counting from a day in the year after
        return date(year, 12, 20) + timedelta(days=10 if year < 9999 else 20)

    monkeypatch.setattr(days, "HOLIDAYS", (*HOLIDAYS, ("late day", "Late Day", past_the_calendar)))
    assert said("when is the next holiday", datetime(9999, 12, 27, 9)) == (
        "The next holiday is New Year's Eve, on Friday, December the 31st, in 4 days.")
    assert said("when is the next holiday", datetime(2026, 12, 27, 9)) == (
        "The next holiday is Late Day, on Wednesday, December the 30th, in 3 days.")
