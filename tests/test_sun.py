"""Sunrise and sunset (assistant.conversation.sun), through the skills: for the configured place, or the time zone's
city; checked against published times (Royal Observatory Greenwich, to the minute or two)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from skill_answers import answer_at

from assistant.config import ConfigError, load_config
from assistant.conversation.sky import season_start
from assistant.conversation.sun import Place, sun_times

GREENWICH = [51.48, -0.01]


@pytest.fixture()
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Sets the device's time zone (TZ) for a test."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


def said(text: str, now: datetime, location: list[float] | None = None) -> str | None:
    return answer_at(text, now, "sun", location or [])


@pytest.mark.parametrize(
    ("day", "sunrise", "sunset"),
    [(date(2026, 6, 21), "04:43", "21:21"), (date(2026, 12, 21), "08:04", "15:53"),
     (date(2026, 3, 20), "06:04", "18:12")],
)
def test_the_times_are_those_published_within_two_minutes(zone: object, day: date, sunrise: str,
                                                          sunset: str) -> None:
    zone("Europe/London")  # type: ignore[operator]
    rise, set_, _ = sun_times(day, Place(*GREENWICH))
    for worked_out, published in ((rise, sunrise), (set_, sunset)):
        assert worked_out is not None
        hours, minutes = map(int, published.split(":"))
        local = worked_out.astimezone()
        assert abs((local.hour * 60 + local.minute + local.second / 60) - (hours * 60 + minutes)) <= 2, local


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("When is sunset?", "The sun sets at three fifty-three PM today."),
        ("what time is sunrise tomorrow", "The sun rises at eight oh four AM tomorrow."),
        ("when does the sun rise", "The sun rose at eight oh three AM today."),
        ("how long until sunset", "The sun sets in four hours and fifty-three minutes, at three fifty-three PM."),
        ("what time does it get dark", "The sun sets at three fifty-three PM today."),
        ("what's the sunset time", "The sun sets at three fifty-three PM today."),
        ("how many hours of daylight are there today", "Today has seven hours and fifty minutes of daylight."),
    ],
)
def test_the_suns_times_are_told_for_the_configured_place(zone: object, text: str, reply: str) -> None:
    zone("Europe/London")  # type: ignore[operator]
    assert said(text, datetime(2026, 12, 21, 11, 0), GREENWICH) == reply


def test_without_a_place_the_time_zones_city_is_named_and_without_either_the_setting_is(zone: object) -> None:
    zone("America/New_York")  # type: ignore[operator]
    assert said("when is sunset", datetime(2026, 11, 26, 11, 6)) == (
        "In New York, the sun sets at four thirty-one PM today.")
    zone("UTC0")  # type: ignore[operator]
    assert said("when is sunset", datetime(2026, 11, 26, 11, 6)) == (
        "I don't know where I am: set general.location to the latitude and longitude here, for example [51.48, "
        "-0.01].")


def test_the_sun_elsewhere_is_told_by_that_place_s_clock(zone: object) -> None:
    zone("America/New_York")  # type: ignore[operator]
    thanksgiving = datetime(2026, 11, 26, 11, 6)  # 1:06 AM on Friday in Tokyo
    assert said("when is sunset in Tokyo", thanksgiving) == "In Tokyo, the sun sets at four twenty-nine PM today."
    assert said("what time is sunrise in London tomorrow", thanksgiving) == (
        "In London, the sun rises at seven thirty-eight AM tomorrow.")
    assert said("how many hours of daylight in reykjavik", thanksgiving) == (  # a zone zone1970.tab folds away
        "Today has five hours and twenty-seven minutes of daylight in Reykjavik.")
    for place in ["narnia", "australia"]:  # unknown, or several zones: the model's
        assert said(f"when is sunset in {place}", thanksgiving) is None


def test_a_polar_night_and_a_midnight_sun_are_said(zone: object) -> None:
    zone("Europe/Oslo")  # type: ignore[operator]
    tromso = [69.65, 18.96]
    assert said("when is sunrise", datetime(2026, 12, 21, 12), tromso) == (
        "The sun won't rise today: it stays down all day.")
    assert said("how many hours of daylight today", datetime(2026, 6, 21, 12), tromso) == (
        "The sun stays up all day today.")


@pytest.mark.parametrize("text", ["tell me a story about the sunset", "why is the sunset red", "what is a sunrise",
                                  "when does the sun die", "how far is the sun"])
def test_talk_about_the_sun_is_the_models(text: str) -> None:
    assert said(text, datetime(2026, 12, 21, 11), GREENWICH) is None


@pytest.mark.parametrize("value", ["[51.48]", "[91.0, 0.0]", "[51.48, -190.0]", "[1.0, 2.0, 3.0]"])
def test_a_location_not_on_the_earth_is_a_config_error_naming_the_setting(tmp_path: Path, value: str) -> None:
    path = tmp_path / "assistant.toml"
    path.write_text(f"[general]\nlocation = {value}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path, {})
    assert "general.location" in str(raised.value) and "e.g. [51.48, -0.01]" in str(raised.value)
    path.write_text("[general]\nlocation = [51.48, -0.01]\n")
    assert load_config(path, {}).config.general.location == GREENWICH


@pytest.mark.parametrize(
    ("year", "longitude", "published"),
    [  # the equinoxes and solstices as published (UTC)
        (2024, 0, datetime(2024, 3, 20, 3, 6)), (2024, 90, datetime(2024, 6, 20, 20, 51)),
        (2024, 180, datetime(2024, 9, 22, 12, 44)), (2024, 270, datetime(2024, 12, 21, 9, 20)),
        (2025, 0, datetime(2025, 3, 20, 9, 1)), (2025, 270, datetime(2025, 12, 21, 15, 3)),
        (2026, 90, datetime(2026, 6, 21, 8, 24)), (2026, 180, datetime(2026, 9, 23, 0, 5)),
    ],
)
def test_the_seasons_start_within_a_quarter_of_an_hour_of_the_published_times(
        year: int, longitude: int, published: datetime) -> None:
    found = season_start(year, longitude)
    assert abs(found - published.replace(tzinfo=UTC)) < timedelta(minutes=15)
