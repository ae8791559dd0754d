"""The time elsewhere (assistant.conversation.world_clock), through the skills, on the tz database's rules."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from skill_answers import answer_at

from assistant.conversation.skills import SKILLS, Skills


@pytest.fixture(autouse=True)
def here_is_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The device's own zone, fixed: its clock's naive times are UTC."""
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def said(text: str, now: datetime) -> str | None:
    return answer_at(text, now, "time_in")


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("What time is it in Tokyo?", "In Tokyo it's six o'clock PM."),
        ("what's the time in New York", "In New York it's four o'clock AM."),  # standard time in November
        ("time in india please", "In India it's two thirty PM."),  # half an hour off
        ("hey jarvis what time is it in kathmandu", "In Kathmandu it's two forty-five PM."),
        ("what time is it in the UK right now", "In the UK it's nine o'clock AM."),
        ("what time is it in L.A.", "In L.A. it's one o'clock AM."),
        ("what's the current time in sao paulo", "In Sao Paulo it's six o'clock AM."),
    ],
)
def test_the_time_elsewhere_is_told_from_the_clock_and_the_zone_rules(text: str, reply: str) -> None:
    assert said(text, datetime(2026, 11, 26, 9, 0)) == reply


def test_summer_time_and_another_day_are_said() -> None:
    assert said("what time is it in new york", datetime(2026, 7, 4, 12, 0)) == "In New York it's eight o'clock AM."
    assert said("what time is it in tokyo", datetime(2026, 11, 26, 20, 0)) == (
        "In Tokyo it's five o'clock AM on Friday.")


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("what time is it in the US", "The United States has several time zones: In New York it's four o'clock AM, "
                                      "in Chicago three o'clock AM, in Denver two o'clock AM, and in Los Angeles "
                                      "one o'clock AM."),
        ("what's the time in the U.S.A.", "The United States has several time zones: In New York it's four o'clock "
                                          "AM, in Chicago three o'clock AM, in Denver two o'clock AM, and in Los "
                                          "Angeles one o'clock AM."),
        ("What time is it in Australia?", "Australia has several time zones: In Sydney it's eight o'clock PM, in "
                                          "Adelaide seven thirty PM, in Brisbane seven o'clock PM, and in Perth five "
                                          "o'clock PM."),
    ],
)
def test_a_country_of_several_zones_is_told_the_time_in_its_main_cities(text: str, reply: str) -> None:
    assert said(text, datetime(2026, 11, 26, 9, 0)) == reply


def test_a_city_of_a_country_of_several_zones_is_said_only_where_its_time_differs() -> None:
    # In July Sydney keeps standard time, as Brisbane always does; Moscow to Vladivostok spans the date line's day.
    assert said("time in australia", datetime(2026, 7, 4, 12, 0)) == (
        "Australia has several time zones: In Sydney it's ten o'clock PM, in Adelaide nine thirty PM, and in Perth "
        "eight o'clock PM.")
    assert said("what time is it in russia", datetime(2026, 11, 26, 18, 0)) == (
        "Russia has several time zones: In Moscow it's nine o'clock PM, in Yekaterinburg eleven o'clock PM, in "
        "Novosibirsk one o'clock AM on Friday, and in Vladivostok four o'clock AM on Friday.")


@pytest.mark.parametrize("text", ["what time is it in Narnia", "what time is it in the movie",
                                  "what time is it in the united kingdom of narnia"])
def test_a_place_it_does_not_know_is_left_to_the_model(text: str) -> None:
    assert said(text, datetime(2026, 11, 26, 9, 0)) is None


def test_the_time_elsewhere_is_the_time_skills() -> None:
    skill = Skills([s for s in SKILLS if s != "time"], clock=lambda: datetime(2026, 11, 26, 9, 0))
    assert skill.answer("what time is it in tokyo", 0) is None


@pytest.mark.parametrize(
    ("text", "now", "reply"),
    [
        ("what's the time difference between here and tokyo", datetime(2026, 11, 26, 9), "Tokyo is nine hours ahead "
         "of here."),
        ("how many hours behind is new york", datetime(2026, 11, 26, 9), "New York is five hours behind here."),
        ("how many hours behind is new york", datetime(2026, 7, 4, 9), "New York is four hours behind here."),  # summer
        ("what is the time difference with india", datetime(2026, 11, 26, 9), "India is five and a half hours ahead "
         "of here."),
        ("what is the time difference with kathmandu", datetime(2026, 11, 26, 9), "Kathmandu is five hours and "
         "forty-five minutes ahead of here."),
        ("what's the time difference between new york and paris", datetime(2026, 11, 26, 9), "New York is six hours "
         "behind Paris."),
        ("how far ahead is london", datetime(2026, 11, 26, 9), "London has the same time as here."),
        ("is tokyo ahead or behind", datetime(2026, 11, 26, 9), "Tokyo is nine hours ahead of here."),
    ],
)
def test_how_far_ahead_or_behind_a_place_is_follows_the_zone_rules(text: str, now: datetime, reply: str) -> None:
    assert said(text, now) == reply


def test_a_time_difference_with_a_place_not_known_is_the_models() -> None:
    assert said("what's the time difference between here and narnia", datetime(2026, 11, 26, 9)) is None
    assert said("what's the time difference between tokyo and narnia", datetime(2026, 11, 26, 9)) is None


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("what's the date in tokyo", "In Tokyo it's Thursday, November the 26th."),
        ("what day is it in sydney", "In Sydney it's Thursday, November the 26th."),
        ("what time will it be in tokyo at 5 pm", "When it's five o'clock PM here, it's two o'clock AM on Friday in "
         "Tokyo."),
        ("when it's 9 am here what time is it in new york", "When it's nine o'clock AM here, it's four o'clock AM in "
         "New York."),
        ("what is 3 pm in london time", "When it's three o'clock PM here, it's three o'clock PM in London."),
    ],
)
def test_the_date_there_and_a_time_here_there(text: str, reply: str) -> None:
    assert said(text, datetime(2026, 11, 26, 9, 0)) == reply


def test_the_date_there_is_its_own_day() -> None:
    assert said("what's the date in tokyo", datetime(2026, 11, 26, 20, 0)) == (
        "In Tokyo it's Friday, November the 27th.")
    assert said("what's the date in narnia", datetime(2026, 11, 26, 20, 0)) is None


def test_the_time_in_two_places_at_once() -> None:
    assert said("what time is it in new york and london", datetime(2026, 11, 26, 9, 0)) == (
        "In New York it's four o'clock AM, and in London nine o'clock AM.")
    assert said("what time is it in tokyo and in paris", datetime(2026, 11, 26, 20, 0)) == (
        "In Tokyo it's five o'clock AM on Friday, and in Paris nine o'clock PM.")


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        # at 9 AM UTC: 6 PM in Tokyo, so its next 9 AM is tomorrow's, midnight here
        ("when is it 9 am in tokyo", "When it's nine o'clock AM in Tokyo, it's twelve o'clock AM here, tomorrow."),
        ("what time is it here when it's 7 pm in tokyo", "When it's seven o'clock PM in Tokyo, it's ten o'clock AM "
         "here, today."),
        ("what time is 3 pm New York time", "When it's three o'clock PM in New York, it's eight o'clock PM here, "
         "today."),
        ("what's 9 am tokyo time in new york", "When it's nine o'clock AM in Tokyo, it's seven o'clock PM in New "
         "York, today."),
        ("what is half past 2 pm india time", "When it's two thirty PM in India, it's nine o'clock AM here, "
         "tomorrow."),  # the time now there: the next one is tomorrow's
        ("when is it noon in sydney", "When it's twelve o'clock PM in Sydney, it's one o'clock AM here, tomorrow."),
    ],
)
def test_a_time_there_here_or_in_a_third_place(text: str, reply: str) -> None:
    assert said(text, datetime(2026, 11, 26, 9, 0)) == reply


@pytest.mark.parametrize(
    ("text", "now", "reply"),
    [
        ("what time zone is tokyo in", datetime(2026, 11, 26, 9), "Tokyo keeps JST, nine hours ahead of UTC. Tokyo is "
         "nine hours ahead of here."),
        ("what's the time zone in new york", datetime(2026, 7, 4, 9), "New York keeps EDT, four hours behind UTC. "
         "New York is four hours behind here."),  # summer time
        ("which time zone does india use", datetime(2026, 11, 26, 9), "India keeps IST, five and a half hours ahead "
         "of UTC. India is five and a half hours ahead of here."),
        ("what time zone is dubai in", datetime(2026, 11, 26, 9), "Dubai is four hours ahead of UTC. Dubai is four "
         "hours ahead of here."),  # the tz database writes "+04": not said
    ],
)
def test_a_places_time_zone_is_its_offset_now(text: str, now: datetime, reply: str) -> None:
    assert said(text, now) == reply


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("what time is it pacific time", "It's one o'clock AM Pacific time."),
        ("What time is it in Eastern time?", "It's four o'clock AM Eastern time."),
        ("what time is it PST", "It's one o'clock AM Pacific time."),  # the abbreviation in any season
        ("what's the time in central daylight time", "It's three o'clock AM Central time."),
        ("what is 5 pm pacific time", "When it's five o'clock PM Pacific time, it's one o'clock AM here, tomorrow."),
        ("what is 9 am eastern time in london", "When it's nine o'clock AM Eastern time, it's two o'clock PM in "
         "London, today."),
        ("what is 9 am tokyo time in pacific time", "When it's nine o'clock AM in Tokyo, it's four o'clock PM Pacific "
         "time, today."),
        ("what time will it be in mountain time at 5 pm", "When it's five o'clock PM here, it's ten o'clock AM "
         "Mountain time."),
        ("what's the time difference with central time", "Central time is six hours behind here."),
    ],
)
def test_north_americas_zones_by_name(text: str, reply: str) -> None:
    """Said as people say them, and said back as a zone, not a place ("in Pacific time")."""
    assert said(text, datetime(2026, 11, 26, 9, 0)) == reply


@pytest.mark.parametrize(
    "text", ["when is it 9 in tokyo", "what time is 3 pm narnia time", "what time zone is narnia in",
             "what time is it in the pacific", "what time is it lunch time",
             "what is the best time in tokyo"],
)
def test_a_time_there_without_am_or_pm_or_a_place_not_known_is_the_models(text: str) -> None:
    assert said(text, datetime(2026, 11, 26, 9, 0)) is None


def test_at_the_very_end_of_the_calendar_the_day_there_is_not_made_up() -> None:
    last = datetime(9999, 12, 31, 23, 0)  # Tokyo is in the year 10000
    for text in ("what time is it in tokyo", "what time zone is tokyo in", "when is it 9 am in tokyo"):
        assert said(text, last) == "That is further than my calendar goes.", text
