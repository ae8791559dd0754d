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
