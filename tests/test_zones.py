"""The device's own time zone, from the system's zone and the tz database's rules ($TZ set per test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from assistant.conversation import zones
from assistant.conversation.skills import SKILLS, Skills


def answer(zone: str, at: datetime, text: str, monkeypatch: pytest.MonkeyPatch) -> str | None:
    monkeypatch.setenv("TZ", zone)
    here = at.replace(tzinfo=ZoneInfo(zone)) if zone != "UTC" else at.replace(tzinfo=ZoneInfo("UTC"))
    reply = Skills(SKILLS, clock=lambda: here, follow_wall_clock=False).answer(text, 0)
    assert reply is None or reply.intent == "time_zone"
    return None if reply is None else reply.text


NOVEMBER = datetime(2026, 11, 26, 15, 5)
JULY = datetime(2026, 7, 1, 12, 0)


@pytest.mark.parametrize(
    ("zone", "at", "text", "said"),
    [
        ("Europe/London", NOVEMBER, "what time zone am I in",
         "The clock here keeps London time: GMT, the same as UTC."),
        ("America/New_York", NOVEMBER, "what's my time zone",
         "The clock here keeps New York time: EST, UTC minus five hours."),
        ("Asia/Kolkata", NOVEMBER, "what time zone is this",
         "The clock here keeps Kolkata time: IST, UTC plus five hours and thirty minutes."),
        ("UTC", NOVEMBER, "what time zone am I in",
         "The clock here keeps UTC."),
        ("Europe/London", NOVEMBER, "is it daylight saving time",
         "No, London is on standard time, GMT. Daylight saving time starts on Sunday, March the 28th, 2027."),
        ("Europe/London", JULY, "are we on summer time",
         "Yes, London is on daylight saving time, BST, until Sunday, October the 25th."),
        ("Asia/Kolkata", NOVEMBER, "is it daylight saving time",
         "No: Kolkata has no daylight saving time."),
        ("Europe/London", NOVEMBER, "when do the clocks change",
         "The clocks go forward one hour on Sunday, March the 28th, 2027: at one o'clock AM it becomes two "
         "o'clock AM."),
        ("Europe/London", NOVEMBER, "when do the clocks go back",
         "The clocks go back one hour on Sunday, October the 31st, 2027: at two o'clock AM it becomes one "
         "o'clock AM."),
        ("America/New_York", JULY, "when does daylight saving time end",
         "The clocks go back one hour on Sunday, November the 1st: at two o'clock AM it becomes one o'clock "
         "AM."),
        ("Europe/London", NOVEMBER, "when does daylight saving time end",
         "London is on standard time now; daylight saving time starts on Sunday, March the 28th, 2027."),
        ("Australia/Sydney", NOVEMBER, "when do the clocks change",
         "The clocks go back one hour on Sunday, April the 4th, 2027: at three o'clock AM it becomes two "
         "o'clock AM."),
        ("UTC", NOVEMBER, "when do the clocks change",
         "The clocks don't change here: the clock keeps UTC."),
        ("America/New_York", NOVEMBER, "what time is it in UTC",
         "It's eight oh five PM UTC."),
    ],
)
def test_the_devices_time_zone_is_told_by_its_rules(zone: str, at: datetime, text: str, said: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert answer(zone, at, text, monkeypatch) == said


@pytest.mark.parametrize("text", ["what is a time zone", "why do we have daylight saving time",
                                  "how many time zones are there"])
def test_talk_about_time_zones_is_the_language_models(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert answer("Europe/London", NOVEMBER, text, monkeypatch) is None


def test_a_zone_without_a_name_is_said_so_unless_it_is_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zones, "local_zone_key", lambda: None)  # an /etc/localtime copied, not linked
    summer = zones.request("is it daylight saving time")
    assert summer is not None
    assert summer(datetime(2026, 11, 26, 15, tzinfo=timezone(timedelta(hours=1)))) == (
        "I can't tell: the system's time zone has no name I can read. Assistant doctor says how to set it.")
    assert summer(datetime(2026, 11, 26, 15, tzinfo=UTC)) == (
        "No: the clock here keeps UTC, which has no daylight saving time.")
