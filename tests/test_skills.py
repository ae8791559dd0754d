"""What the device answers itself: the time, the date and timers (assistant.conversation.skills), and how the
controller answers them and rings a timer that ran out.

User turns are the transcripts of the shared recordings where they exist ("set a timer for 5 minutes",
"cancel all timers", "pause timer"); timers run on a sample clock, as the controller's.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.audio.io import SAMPLE_RATE
from assistant.audio.room import RoomSetup, SimulatedRoom
from assistant.config import Config, ConversationConfig, GeneralConfig, load_config
from assistant.conversation.controller import RING_GAP_S, Controller
from assistant.conversation.messages import Clock, Duck, Heard, Prompt, Queued, Say, Spoken, TurnEnded, TurnStarted
from assistant.conversation.phrases import parse_clock_time, parse_days, parse_duration
from assistant.conversation.skills import SKILLS, Skills, describe, skills_file
from assistant.conversation.spoken import number_words as spoken_words
from assistant.conversation.spoken import spoken_duration
from assistant.conversation.state_file import StateFile
from assistant.conversation.timers import MAX_TIMERS, SNOOZE_S
from assistant.conversation.trace import Trace
from assistant.conversation.turns import ListenState, Turns
from assistant.conversation.workers import Speaker
from assistant.errors import ConfigurationError
from assistant.speech.stt import Transcript
from assistant.text_norm import normalize

TUESDAY = datetime(2024, 3, 5, 15, 5)
S = SAMPLE_RATE


def skills(at: datetime = TUESDAY, enabled: tuple[str, ...] = SKILLS) -> Skills:
    return Skills(enabled, clock=lambda: at)


def said(skill: Skills, text: str, now: int = 0) -> str | None:
    reply = skill.answer(text, now)
    return None if reply is None else reply.text


@pytest.fixture(scope="module")
def commands(shared_audio: Path) -> list[str]:
    """The English spoken commands of the shared recordings (their transcripts)."""
    with (shared_audio / "commands" / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [r["label"] for r in rows if r["lang"] == "en" and not r["label"].startswith("<")]


# ------------------------------------------------------------------------------------------ the clock


def test_the_recorded_questions_about_time_and_date_are_answered(commands: list[str]) -> None:
    skill = skills()
    assert "what time is it" in commands and "what's the date" in commands
    assert skill.answer("what time is it", 0) is not None
    assert said(skill, "what time is it") == "It's three oh five PM."
    assert said(skill, "what's the date") == "Today is Tuesday, March the 5th, 2024."
    assert said(skill, "What day is it today?") == "Today is Tuesday."
    assert said(skill, "Hey Jarvis, do you know what time it is?") == "It's three oh five PM."
    assert said(skill, "Time, please.") == said(skill, "the time") == "It's three oh five PM."
    assert said(skill, "time") is None  # one word alone: more often a recognizer's guess than a request
    assert [skill.answer(t, 0).intent for t in ("what time is it", "what's the date", "what day is it")] == [  # type: ignore[union-attr]
        "time", "date", "day"]


@pytest.mark.parametrize("text", ["what day is tomorrow", "what's tomorrow's date", "what's the date tomorrow"])
def test_tomorrow_is_known_too(text: str) -> None:
    assert said(skills(datetime(2024, 2, 28, 23, 30)), text) == "Tomorrow is Thursday, February the 29th, 2024."


@pytest.mark.parametrize(
    ("at", "text"),
    [
        (datetime(2024, 1, 1, 0, 0), "It's twelve o'clock AM."),
        (datetime(2024, 1, 1, 9, 30), "It's nine thirty AM."),
        (datetime(2024, 1, 1, 12, 45), "It's twelve forty-five PM."),
        (datetime(2024, 1, 1, 23, 59), "It's eleven fifty-nine PM."),
    ],
)
def test_times_are_spoken_in_words(at: datetime, text: str) -> None:
    assert said(skills(at), "What's the time?") == text


@pytest.mark.parametrize(
    ("day", "ordinal"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"), (21, "21st"),
     (22, "22nd"), (23, "23rd"), (31, "31st")],
)
def test_dates_have_ordinals(day: int, ordinal: str) -> None:
    assert f"the {ordinal}, " in (said(skills(datetime(2024, 1, day, 10)), "what is the date") or "")


def test_the_other_recorded_commands_and_talk_about_timers_are_left_to_the_language_model(
    commands: list[str],
) -> None:
    skill = skills()
    ours = {"what time is it", "what's the date", "set a timer for 5 minutes", "set a timer for 3 hours and 10 minutes",
            "cancel all timers", "cancel timer", "pause timer", "add apples to my Shopping List",
            # what the device cannot do, said plainly (limits)
            "what's the weather like in New York", "turn off lights in the Office", "turn on Standing Light",
            "lock the Front Door", "activate Mood Lighting", "set Bed Light brightness to 50 percent", "skip on TV",
            "what is the Outdoor Humidity", "turn on the living room lamp"}
    assert ours <= set(commands)
    for text in [c for c in commands if c not in ours] + [
        "what time is it in Narnia", "tell me a story about a timer", "don't set a timer for ten minutes",
        "why do timers tick", "five minutes", "the second timer", "how long is a marathon",
    ]:
        assert not skill.recognizes(text), text
        assert skill.answer(text, 0) is None, text
    assert not skill.timers


def test_no_sentence_of_the_recorded_speech_sets_off_a_skill(shared_audio: Path) -> None:
    """People's sentences (read books, dictation, several languages) are the language model's, every one."""
    with (shared_audio / "asr" / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        sentences = [r["label"] for r in csv.DictReader(handle, delimiter="\t") if not r["label"].startswith("<")]
    assert len(sentences) >= 50
    assert [t for t in sentences if skills().recognizes(t)] == []


_WORDS = ("set a an the timer timers alarm for at to 5 0 99 1205 2500 7 30 am pm minutes hours seconds half quarter "
          "past cancel stop pause resume snooze volume louder quieter up down turn it what is how much time left "
          "wake me tomorrow noon and percent max repeat say that again no 1.5 off all my pasta called plus minus "
          "times divided by over squared square root of power + - / ^ √ ² cups ounces in degrees celsius "
          "fahrenheit convert many more add extend every weekday weekends friday daily christmas until days when "
          "march 29th february of next year easter day week flip coin roll dice die sided spell pick number "
          "between remind reminder reminders call about that i need to list shopping apples , from on year month "
          "leap yesterday ago long midnight will be another morning evening tonight this mac cheese the")


@given(st.lists(st.sampled_from(_WORDS.split()), min_size=1, max_size=10).map(" ".join) | st.text(max_size=40))
def test_any_words_are_answered_or_left_alone_and_never_break_it(text: str) -> None:
    skill = skills()
    recognized = skill.recognizes(text)
    reply = skill.answer(text, 10 * S)
    assert recognized == (reply is not None)
    assert reply is None or (reply.text and reply.text == reply.text.strip())
    skill.due(10**12)


def test_only_the_configured_skills_answer() -> None:
    timers_only = skills(enabled=("timers",))
    assert timers_only.answer("what time is it", 0) is None
    assert said(timers_only, "set a timer for 5 minutes") == "Okay, five minutes, starting now."
    none = skills(enabled=())
    assert none.answer("what time is it", 0) is None and none.answer("set a timer for 5 minutes", 0) is None
    assert describe(()) == ""
    assert describe(SKILLS) == (
        "tell you the time and the date, set timers, alarms, reminders and the volume, speak slower or faster, "
        "keep lists, remember things for you, do sums, convert units, roll dice and spell words")
    with pytest.raises(ValueError, match=r"unknown skills.*weather"):
        Skills(["time", "weather"])


def test_a_skill_missing_from_the_known_ones_is_a_config_error_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "assistant.toml"
    path.write_text('[conversation]\nskills = ["time", "weather"]\n')
    with pytest.raises(ConfigurationError) as error:
        load_config(path, {})
    assert "conversation.skills[1]" in str(error.value) and "weather" in str(error.value)
    path.write_text("[conversation]\nskills = []\ntimer_ring_s = 30\n")
    loaded = load_config(path, {}).config.conversation
    assert loaded.skills == [] and loaded.timer_ring_s == 30
    # Every skill the device has can be configured, and is on by default.
    assert tuple(ConversationConfig().skills) == SKILLS
    path.write_text(f"[conversation]\nskills = {list(SKILLS)!r}\n".replace("'", '"'))
    assert tuple(load_config(path, {}).config.conversation.skills) == SKILLS


# ---------------------------------------------------------------------------------------------- timers


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("set a timer for five minutes", 300), ("set a timer for 3 hours and 10 minutes", 11400),
        ("a ten-minute timer", 600), ("timer for an hour and a half", 5400), ("half an hour", 1800),
        ("a minute and a half", 90), ("two and a half minutes", 150), ("one minute thirty seconds", 90),
        ("twenty secs", 20), ("a quarter of an hour", 900), ("1.5 hours", 5400), ("set timer 5 min", 300),
        ("set a timer for ten minutes, no, five minutes", 300), ("ten minutes, I mean fifteen minutes", 900),
        ("an hour, actually an hour and a half", 5400),
    ],
)
def test_durations_are_read_as_people_say_them(text: str, seconds: float) -> None:
    duration = parse_duration(normalize(text))
    assert duration is not None and duration.seconds == seconds


def test_a_recorded_timer_request_starts_a_timer_that_is_due_on_the_sample_clock(commands: list[str]) -> None:
    skill = skills()
    assert "set a timer for 5 minutes" in commands
    reply = skill.answer("set a timer for 5 minutes", 10 * S)
    assert reply is not None and reply.intent == "timer_set" and reply.text == "Okay, five minutes, starting now."
    (timer,) = skill.timers
    assert timer.name == "five minute" and timer.due == 310 * S
    assert skill.due(310 * S - 1) == [] and skill.due(310 * S) == [timer] and skill.timers == []
    assert said(skill, "set a timer for 3 hours and 10 minutes") == "Okay, three hours and ten minutes, starting now."


@pytest.mark.parametrize(
    "text",
    ["set a pasta timer for 8 minutes", "set a timer for 8 minutes for the pasta", "set a timer for the pasta for 8 "
     "minutes", "set a timer called pasta for 8 minutes", "hey jarvis set a pasta timer for eight minutes please"],
)
def test_a_timer_is_named_as_people_name_it(text: str) -> None:
    skill = skills()
    assert said(skill, text) == "Okay, pasta timer for eight minutes, starting now."
    assert said(skill, "how long is left on the timer for the pasta") == "Your pasta timer has eight minutes left."


def test_a_timer_for_a_bare_number_is_minutes_as_on_a_kitchen_dial() -> None:
    skill = skills()
    assert said(skill, "set a timer for 10") == "Okay, ten minutes, starting now."
    assert said(skill, "timer for five please") == "Okay, five minutes, starting now."
    assert said(skill, "set a pasta timer for 8") == "Okay, pasta timer for eight minutes, starting now."
    assert said(skill, "set a timer for 500") == "For how long?"  # past three hours: not a dial's minutes


@pytest.mark.parametrize(
    ("text", "reply", "lengths"),
    [
        ("set a timer for 10 minutes and another for 5 minutes",
         "Okay, two timers, one for ten minutes and one for five minutes, starting now.", [300, 600]),
        ("set two timers, one for five minutes and one for ten minutes",
         "Okay, two timers, one for five minutes and one for ten minutes, starting now.", [300, 600]),
        ("set a timer for 3 minutes, another for 5 minutes and another for 8 minutes",
         "Okay, three timers, one for three minutes, one for five minutes and one for eight minutes, starting now.",
         [180, 300, 480]),
        ("set a pasta timer for 10 minutes and a rice timer for 15 minutes",
         "Okay, a pasta timer for ten minutes and a rice timer for fifteen minutes, starting now.", [600, 900]),
        ("set a timer for 10 minutes and an egg timer for 8 minutes",
         "Okay, a timer for ten minutes and an egg timer for eight minutes, starting now.", [480, 600]),
        # a length again in a unit no smaller than the last is another timer; one length goes down its units
        ("set a timer for 10 minutes and 5 minutes",
         "Okay, two timers, one for ten minutes and one for five minutes, starting now.", [300, 600]),
        ("set timers for 5 minutes and for 1 hour",
         "Okay, two timers, one for five minutes and one for one hour, starting now.", [300, 3600]),
        ("set a timer for 2 minutes and 30 seconds", "Okay, two minutes and thirty seconds, starting now.", [150]),
        ("set a timer for 1 hour and 30 minutes and another for 5 minutes",
         "Okay, two timers, one for one hour and thirty minutes and one for five minutes, starting now.", [300, 5400]),
        ("set a timer for one hour and one minute", "Okay, one hour and one minute, starting now.", [3660]),
        ("set a timer for an hour and a half", "Okay, one hour and thirty minutes, starting now.", [5400]),
    ],
)
def test_several_timers_asked_at_once_are_each_set(text: str, reply: str, lengths: list[int]) -> None:
    # Was one timer of the lengths added up: "ten minutes and another for five" rang once, at fifteen.
    skill = skills()
    assert said(skill, text) == reply
    assert [t.seconds for t in skill.timers] == lengths


def test_what_is_left_is_said_as_a_person_would() -> None:
    skill = skills()
    skill.answer("set a pasta timer for eight minutes", 0)
    assert said(skill, "how much time is left", 70 * S) == "Your pasta timer has six minutes and fifty seconds left."
    skill.answer("set a timer for an hour", 0)
    assert said(skill, "what timers do I have", 90 * S) == (
        "Your pasta timer has six minutes and thirty seconds left and your one hour timer has fifty-eight minutes "
        "left.")
    assert said(skill, "how long is left on the pasta timer", 90 * S) == (
        "Your pasta timer has six minutes and thirty seconds left.")
    # a timer named by its length is asked about, not set again
    assert said(skill, "how much time is left on the 1 hour timer", 90 * S) == (
        "Your one hour timer has fifty-eight minutes left.")
    assert [t.seconds for t in skill.timers] == [480, 3600]
    assert said(skills(), "how much time is left") == "You have no timers running."
    skill.answer("set a timer for 3 minutes for the eggs", 90 * S)
    assert said(skill, "how long is left on the egg timer", 90 * S) == "Your eggs timer has three minutes left."
    assert said(skill, "cancel the egg timer", 90 * S) == "Okay, I've cancelled your eggs timer."
    assert spoken_duration(3725) == "one hour, two minutes and five seconds"
    assert spoken_duration(150 * 3600) == "150 hours"  # beyond the words it knows: digits, never a crash


def test_set_a_timer_asks_how_long_and_takes_the_answer_from_the_next_turn_only() -> None:
    skill = skills()
    reply = skill.answer("set a timer", 0)
    assert reply is not None and (reply.intent, reply.text) == ("timer_ask", "For how long?")
    assert skill.recognizes("ten minutes")
    assert said(skill, "ten minutes please", 5 * S) == "Okay, ten minutes, starting now."
    assert skill.timers[0].due == 605 * S
    skill.answer("set a tea timer", 0)
    assert said(skill, "tell me a joke") is None  # something else: the question is over
    assert not skill.recognizes("ten minutes") and said(skill, "ten minutes") is None
    assert len(skill.timers) == 1


def test_timers_are_cancelled_by_name_by_length_or_all_and_an_unclear_request_asks_which(commands: list[str]) -> None:
    assert {"cancel timer", "cancel all timers"} <= set(commands)
    skill = skills()
    skill.answer("set a pasta timer for 8 minutes", 0)
    skill.answer("set a timer for 5 minutes", 0)
    skill.answer("set a timer for 3 hours and 10 minutes", 0)
    assert said(skill, "cancel timer") == (
        "You have three timers: five minute, pasta and three hour ten minute. Say which one to cancel, or cancel all "
        "timers.")
    assert said(skill, "cancel the pasta timer") == "Okay, I've cancelled your pasta timer."
    assert said(skill, "turn the five minute timer off") == "Okay, I've cancelled your five minute timer."
    assert said(skill, "cancel the eggs timer") == "You have no such timer. Your timers are three hour ten minute."
    skill.answer("set a timer for 1 minute", 0)
    assert said(skill, "cancel all timers") == "Okay, I've cancelled your two timers."
    assert skill.timers == [] and said(skill, "cancel timer") == "You have no timers running."


def test_a_paused_timer_does_not_run_out_and_resumes_with_what_it_had_left(commands: list[str]) -> None:
    assert "pause timer" in commands
    skill = skills()
    skill.answer("set a timer for 2 minutes", 0)
    assert said(skill, "pause timer", 30 * S) == "Okay, your two minute timer is paused."
    assert skill.due(10_000 * S) == []
    assert said(skill, "how much time is left", 500 * S) == "Your two minute timer is paused with one minute and " \
        "thirty seconds left."
    assert said(skill, "pause timer", 500 * S) == "You have no timers running."
    assert said(skill, "resume the timer", 1000 * S) == "Okay, your two minute timer is running again."
    assert skill.due(1090 * S - 1) == [] and len(skill.due(1090 * S)) == 1


def test_stop_the_timer_just_after_one_rang_is_about_that_one() -> None:
    skill = skills()
    skill.answer("set a timer for 1 minute", 0)
    skill.answer("set a pasta timer for 8 minutes", 0)
    assert [t.name for t in skill.due(60 * S)] == ["one minute"]
    assert said(skill, "stop the timer", 65 * S) == "Okay."
    assert [t.name for t in skill.timers] == ["pasta"]  # the other timer runs on
    assert said(skill, "stop the timer", 70 * S) == "Okay, I've cancelled your pasta timer."


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("add 5 minutes to the timer", "twelve minutes"), ("add two minutes to the pasta timer", "nine minutes"),
        ("give it 2 more minutes", "nine minutes"), ("extend the timer by 3 minutes", "ten minutes"),
        ("5 more minutes please", "twelve minutes"), ("add a minute to my timer", "eight minutes"),
        ("put another 30 seconds on the timer", "seven minutes and thirty seconds"),
    ],
)
def test_more_time_goes_on_the_running_timer_not_a_new_one(text: str, left: str) -> None:
    skill = skills()
    skill.answer("set a pasta timer for 8 minutes", 0)
    reply = skill.answer(text, 60 * S)
    assert reply is not None
    assert (reply.intent, reply.text) == ("timer_more", f"Okay, your pasta timer has {left} left.")
    assert [t.name for t in skill.timers] == ["pasta"]


def test_more_time_asks_which_timer_goes_on_a_paused_one_and_brings_back_one_that_just_rang() -> None:
    skill = skills()
    assert skill.answer("5 more minutes", 0) is None  # no timer: not about one
    assert said(skill, "set a timer for 5 more minutes") == "Okay, five minutes, starting now."
    skill.answer("set an egg timer for 3 minutes", 0)
    assert said(skill, "add 1 minute to the timer") == (
        "You have two timers: egg and five minute. Say which one to add time to, or add time to all timers.")
    assert said(skill, "add 1 minute to all timers") == "Okay, one minute more on your two timers."
    skill.answer("pause the egg timer", 60 * S)
    assert said(skill, "add 1 minute to the egg timer", 90 * S) == "Okay, your egg timer has four minutes left."
    assert said(skill, "add 24 hours to the egg timer", 90 * S) == "I can set timers up to twenty-four hours."
    rung = skills()
    rung.answer("set a tea timer for 3 minutes", 0)
    assert [t.name for t in rung.due(180 * S)] == ["tea"]
    assert said(rung, "5 more minutes", 185 * S) == "Okay, your tea timer is back on for five minutes."
    assert [(t.name, t.due) for t in rung.timers] == [("tea", (185 + 300) * S)]


def test_timers_have_bounds() -> None:
    skill = skills()
    assert said(skill, "set a timer for 25 hours") == "I can set timers from one second up to twenty-four hours."
    for _ in range(MAX_TIMERS):
        skill.answer("set a timer for 1 minute", 0)
    assert said(skill, "set a timer for 1 minute") == "You already have twenty timers. Cancel one first."
    assert len(skill.timers) == MAX_TIMERS


# ---------------------------------------------------------------------------------------------- alarms


@pytest.mark.parametrize(
    ("text", "reply", "due"),
    [
        ("wake me up at seven am", "Okay, alarm for seven o'clock AM tomorrow.", datetime(2024, 3, 6, 7, 0)),
        ("set an alarm for 7", "Okay, alarm for seven o'clock PM today.", datetime(2024, 3, 5, 19, 0)),
        ("set an alarm for 6:30 a.m.", "Okay, alarm for six thirty AM tomorrow.", datetime(2024, 3, 6, 6, 30)),
        ("set an alarm for half past six in the morning", "Okay, alarm for six thirty AM tomorrow.",
         datetime(2024, 3, 6, 6, 30)),
        ("set an alarm for quarter to eight tomorrow morning", "Okay, alarm for seven forty-five AM tomorrow.",
         datetime(2024, 3, 6, 7, 45)),
        ("set an alarm for tomorrow at 3", "Okay, alarm for three o'clock AM tomorrow.", datetime(2024, 3, 6, 3, 0)),
        ("alarm at seven fifteen pm", "Okay, alarm for seven fifteen PM today.", datetime(2024, 3, 5, 19, 15)),
        ("set an alarm for noon", "Okay, alarm for twelve o'clock PM tomorrow.", datetime(2024, 3, 6, 12, 0)),
        ("set an alarm for six oh five", "Okay, alarm for six oh five PM today.", datetime(2024, 3, 5, 18, 5)),
        # "wake me up" without AM or PM is the morning's
        ("wake me at six oh five", "Okay, alarm for six oh five AM tomorrow.", datetime(2024, 3, 6, 6, 5)),
        ("set an alarm for 7 am on friday", "Okay, alarm for seven o'clock AM on Friday.", datetime(2024, 3, 8, 7)),
        ("set an alarm for next friday at 7 am", "Okay, alarm for seven o'clock AM on Friday, March the 15th.",
         datetime(2024, 3, 15, 7)),  # next week's Friday, said with its date
        ("set an alarm for next monday at 6 am", "Okay, alarm for six o'clock AM on Monday.", datetime(2024, 3, 11, 6)),
        ("alarm at 9 every night", "Okay, alarm for nine o'clock PM every day.", datetime(2024, 3, 5, 21, 0)),
        ("wake me up at 7 every weekday", "Okay, alarm for seven o'clock AM every weekday.",
         datetime(2024, 3, 6, 7, 0)),
        ("set an alarm for 8 on weekends", "Okay, alarm for eight o'clock AM on weekends.", datetime(2024, 3, 9, 8)),
        ("set an alarm for 6:30 am on mondays and thursdays", "Okay, alarm for six thirty AM every Monday and "
         "Thursday.", datetime(2024, 3, 7, 6, 30)),
        ("set an alarm for 7 every tuesday", "Okay, alarm for seven o'clock AM every Tuesday.",
         datetime(2024, 3, 12, 7, 0)),  # a weekly alarm wakes: the morning's, as "wake me up at 7"
        ("set an alarm for 7 every tuesday evening", "Okay, alarm for seven o'clock PM every Tuesday.",
         datetime(2024, 3, 5, 19, 0)),
    ],
)
def test_an_alarm_rings_at_the_next_such_time_of_day(text: str, reply: str, due: datetime) -> None:
    skill = skills()  # Tuesday 3:05 PM
    assert said(skill, text, 10 * S) == reply
    (alarm,) = skill.timers
    assert alarm.kind == "alarm" and alarm.at == due
    assert alarm.due == 10 * S + round((due - TUESDAY).total_seconds()) * S


@pytest.mark.parametrize(
    ("text", "days", "weekly"),
    [
        ("every day", {0, 1, 2, 3, 4, 5, 6}, True), ("daily", {0, 1, 2, 3, 4, 5, 6}, True),
        ("every morning", {0, 1, 2, 3, 4, 5, 6}, True), ("on weekdays", {0, 1, 2, 3, 4}, True),
        ("every work day", {0, 1, 2, 3, 4}, True), ("monday to friday", {0, 1, 2, 3, 4}, True),
        ("on weekends", {5, 6}, True), ("every weekend", {5, 6}, True), ("on saturdays", {5}, True),
        ("every monday and thursday", {0, 3}, True), ("on monday and wednesday", {0, 2}, True),
        ("on friday", {4}, False), ("tomorrow", set(), False), ("", set(), False),
    ],
)
def test_the_days_of_an_alarm_are_read_as_people_say_them(text: str, days: set[int], weekly: bool) -> None:
    assert parse_days(normalize(f"set an alarm for 7 {text}")) == (frozenset(days), weekly)


class _Days:
    """A wall clock that goes on with the sample clock, as a device's does: at `rate` seconds per second of samples
    (a sound card's error), `offset_s` ahead (set by NTP)."""

    def __init__(self, start: datetime) -> None:
        self.start, self.now = start, 0
        self.rate, self.offset_s = 1.0, 0.0

    def __call__(self) -> datetime:  # local time, summer time included
        return datetime.fromtimestamp(self.start.timestamp() + self.offset_s + self.now / S * self.rate)

    def until_rung(self, skill: Skills) -> list[datetime]:
        """Go on to the next alarm and ring it: the wall-clock times it was set for."""
        self.now = min(t.due for t in skill.timers)
        return [t.at for t in skill.due(self.now) if t.at]


def test_a_weekly_alarm_rings_on_its_days_at_the_time_on_the_wall_and_again_after_it_is_turned_off() -> None:
    clock = _Days(TUESDAY)
    skill = Skills(SKILLS, clock=clock)
    skill.answer("wake me up at 7 every weekday", 0)
    rung = [clock.until_rung(skill)[0] for _ in range(6)]
    assert rung == [datetime(2024, 3, d, 7, 0) for d in (6, 7, 8, 11, 12, 13)]  # not on the weekend
    assert said(skill, "turn off the alarm", clock.now + 5 * S) == "Okay."  # this morning's: the next one stays
    (alarm,) = skill.timers
    assert alarm.at == datetime(2024, 3, 14, 7, 0) and alarm.weekdays == (0, 1, 2, 3, 4)
    assert said(skill, "when is my alarm", clock.now + 6 * S) == (
        "You have an alarm for seven o'clock AM every weekday, in twenty-four hours.")
    assert said(skill, "wake me up at 7 on weekdays") == (
        "You already have an alarm for seven o'clock AM every weekday.")


def _ring_time(skill: Skills, clock: _Days, step_s: float = 1.0) -> datetime:
    """The wall-clock time at which the next alarm rings, `due` asked every `step_s` of samples."""
    while not skill.due(clock.now):
        clock.now += round(step_s * S)
    return clock()


def test_an_alarm_rings_when_the_wall_clock_says_whatever_the_sound_card_clock_says() -> None:
    clock = _Days(TUESDAY)
    clock.rate = 1 - 0.001  # the sound card's clock 0.1 % fast: 57 s early over 16 hours if alarms followed it
    skill = Skills(SKILLS, clock=clock)
    skill.answer("wake me up at 7 am", 0)
    assert abs((_ring_time(skill, clock) - datetime(2024, 3, 6, 7, 0)).total_seconds()) <= 1.0
    unfollowed = Skills(SKILLS, clock=_Days(TUESDAY), follow_wall_clock=False)  # a room in lockstep
    unfollowed.answer("wake me up at 7 am", 0)
    assert unfollowed.timers[0].due == round((datetime(2024, 3, 6, 7, 0) - TUESDAY).total_seconds()) * S


def test_alarms_follow_the_wall_clock_when_it_is_set_after_a_boot_without_a_real_time_clock(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "skills.json"
    before = _kept(path, datetime(2024, 3, 5, 22, 0))  # set at night, then the power went
    for request in ("wake me up at 7 am", "set an alarm for 5 am", "wake me up at 6 every day"):
        before.answer(request, 0)
    clock = _Days(datetime(2024, 3, 5, 22, 1))  # boots at 6:55 with the time it was shut down at, to the minute
    after = Skills(SKILLS, clock=clock, store=StateFile(path, "timers, alarms and volume", 1))
    assert len(after.timers) == 3
    clock.now, clock.offset_s = 60 * S, (datetime(2024, 3, 6, 6, 55) - datetime(2024, 3, 5, 22, 2)).total_seconds()
    with caplog.at_level(logging.WARNING):
        assert after.due(clock.now) == []  # NTP has set the clock: 7 AM is 5 minutes away, 5 AM long past
    assert "the wall clock moved" in caplog.text and "five o'clock AM alarm: its time passed 115 minutes" in caplog.text
    assert [(t.at, t.weekdays) for t in after.timers] == [(datetime(2024, 3, 6, 7, 0), ()),
                                                          (datetime(2024, 3, 7, 6, 0), tuple(range(7)))]
    assert after.timers[0].due == clock.now + 5 * 60 * S  # not 9 hours on from the boot
    assert _ring_time(after, clock) == datetime(2024, 3, 6, 7, 0)
    assert [t.at for t in _kept(path, clock()).timers] == [datetime(2024, 3, 7, 6, 0)]


def test_a_weekly_alarm_snoozed_rings_again_once_and_keeps_its_days() -> None:
    clock = _Days(TUESDAY)
    skill = Skills(SKILLS, clock=clock)
    skill.answer("set an alarm for 7 am every day", 0)
    clock.until_rung(skill)
    assert said(skill, "snooze", clock.now) == "Okay, snoozing for nine minutes."
    snoozed, weekly = skill.timers
    assert (snoozed.weekdays, snoozed.due) == ((), clock.now + SNOOZE_S * S)
    assert (weekly.weekdays, weekly.at) == ((0, 1, 2, 3, 4, 5, 6), datetime(2024, 3, 7, 7, 0))
    assert clock.until_rung(skill) == [datetime(2024, 3, 6, 7, 9)]  # the snoozed one, then gone
    assert [t.weekdays for t in skill.timers] == [(0, 1, 2, 3, 4, 5, 6)]


def test_a_weekly_alarm_is_cancelled_by_its_days_or_time() -> None:
    skill = skills()
    skill.answer("wake me up at 7 every weekday", 0)
    skill.answer("wake me up at 9 on weekends", 0)
    skill.answer("set an alarm for 7 am tomorrow", 0)
    assert said(skill, "cancel my weekend alarm") == "Okay, I've cancelled your nine o'clock AM alarm."
    assert said(skill, "cancel the 7 am alarm") == (
        "You have two alarms: seven o'clock AM and seven o'clock AM. Say which one to cancel, or cancel all alarms.")
    assert said(skill, "delete the weekday alarm") == "Okay, I've cancelled your seven o'clock AM alarm."
    assert [(t.at, t.weekdays) for t in skill.timers] == [(datetime(2024, 3, 6, 7, 0), ())]


def test_an_alarm_across_the_change_to_summer_time_rings_at_the_time_on_the_wall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # New York's rule, as POSIX writes it (no time zone files needed): clocks went forward on 10 March 2024.
    monkeypatch.setenv("TZ", "EST5EDT,M3.2.0,M11.1.0")
    time.tzset()
    try:
        skill = skills(datetime(2024, 3, 9, 22, 0))
        assert said(skill, "wake me up at 7 am") == "Okay, alarm for seven o'clock AM tomorrow."
        assert skill.timers[0].due == 8 * 3600 * S  # nine hours on the clock face, eight in fact
        clock = _Days(datetime(2024, 3, 8, 22, 0))  # a Friday night
        weekly = Skills(SKILLS, clock=clock)
        weekly.answer("wake me up at 7 every day", 0)
        rung = [(clock.until_rung(weekly), clock.now) for _ in range(3)]
        assert [at for (at,), _ in rung] == [datetime(2024, 3, d, 7, 0) for d in (9, 10, 11)]
        assert [now / S / 3600 for _, now in rung] == [9, 9 + 23, 9 + 23 + 24]  # Sunday's day is 23 hours
    finally:
        monkeypatch.undo()
        time.tzset()


def test_an_alarm_is_moved_to_a_new_time_on_its_own_day_and_half_of_the_day() -> None:
    skill = skills()
    assert said(skill, "change my alarm to 8") == "You have no alarms set."
    skill.answer("set an alarm for 7 am tomorrow", 0)
    assert said(skill, "change my alarm to 8") == (
        "Okay, I've moved your seven o'clock AM alarm to eight o'clock AM tomorrow.")
    (alarm,) = skill.timers
    assert (alarm.at, alarm.due) == (datetime(2024, 3, 6, 8), round((datetime(2024, 3, 6, 8) - TUESDAY)
                                                                     .total_seconds()) * S)
    skill.answer("set an alarm for 9 pm", 0)
    assert said(skill, "change my alarm to 10") == (
        "You have two alarms: nine o'clock PM and eight o'clock AM. Say which one to change.")
    assert said(skill, "move my 9 pm alarm to 10") == (
        "Okay, I've moved your nine o'clock PM alarm to ten o'clock PM today.")
    assert said(skill, "change the alarm for 8 to 6 45") == (
        "Okay, I've moved your eight o'clock AM alarm to six forty-five AM tomorrow.")
    assert said(skill, "push my 10 pm alarm back to 11 am") == (  # past on its own day: the next 11 AM
        "Okay, I've moved your ten o'clock PM alarm to eleven o'clock AM tomorrow.")
    assert said(skill, "change my 11 am alarm to 6 45 am") == "You already have an alarm for six forty-five AM."
    skill.answer("wake me up at 6 every weekday", 0)
    assert said(skill, "change my weekday alarm to 6 30") == (
        "Okay, I've moved your six o'clock AM alarm to six thirty AM every weekday.")
    assert said(skill, "move my 5 am alarm to 6") == (
        "You have no such alarm. Your alarms are for six thirty AM, six forty-five AM and eleven o'clock AM.")
    assert not skill.recognizes("change the alarm sound to birds")


def test_alarms_are_listed_and_cancelled_apart_from_timers() -> None:
    skill = skills()
    skill.answer("set an alarm for 6:30 am", 0)
    skill.answer("set an alarm for 6:30 pm", 0)
    skill.answer("set a timer for 5 minutes", 0)
    assert said(skill, "how long until my alarm") == (  # the soonest, in how long
        "You have alarms for six thirty PM today and six thirty AM tomorrow, the first in three hours and "
        "twenty-five minutes.")
    assert said(skill, "cancel the 6 30 alarm") == (
        "You have two alarms: six thirty PM and six thirty AM. Say which one to cancel, or cancel all alarms.")
    assert said(skill, "cancel the 6 30 am alarm") == "Okay, I've cancelled your six thirty AM alarm."
    assert said(skill, "cancel all timers") == "Okay, I've cancelled your five minute timer."
    assert said(skill, "what alarms do I have") == (
        "You have an alarm for six thirty PM today, in three hours and twenty-five minutes.")
    assert said(skill, "turn off all alarms") == "Okay, I've cancelled your six thirty PM alarm."
    assert skill.timers == [] and said(skill, "cancel the alarm") == "You have no alarms set."
    assert said(skill, "set an alarm") == "For what time?"
    # an alarm by a length is at the time it comes, listed with the alarms ("when is my alarm" found none when it was
    # a timer)
    assert said(skill, "wake me up in twenty minutes") == (
        "Okay, alarm for three twenty-five PM today, in twenty minutes.")
    assert said(skill, "when is my alarm") == "You have an alarm for three twenty-five PM today, in twenty minutes."
    # a length after "for" is no time of day ("for 20 minutes" was an alarm for 8 PM)
    assert said(skill, "set an alarm for 30 minutes") == (
        "Okay, alarm for three thirty-five PM today, in thirty minutes.")
    assert said(skill, "set an alarm for 2 hours from now") == (
        "Okay, alarm for five oh five PM today, in two hours.")
    assert said(skill, "wake me up in 25 hours") == (
        "I can set an alarm up to twenty-four hours from now, or for a time of day.")
    assert [t.kind for t in skill.timers] == ["alarm", "alarm", "alarm"]
    assert parse_clock_time(normalize("remind me for 2 and a half hours")) is None
    assert parse_clock_time(normalize("set an alarm for 25")) is None
    assert not skill.recognizes("what is an alarm")


def test_an_alarm_asked_for_without_a_time_takes_it_from_the_next_turn_only() -> None:
    skill = skills()  # Tuesday 3:05 PM
    assert said(skill, "wake me up") == "For what time?"
    assert said(skill, "7") == "Okay, alarm for seven o'clock AM tomorrow."  # "wake me up": the morning's
    assert said(skill, "set an alarm") == "For what time?"
    assert said(skill, "at 6 every weekday") == "Okay, alarm for six o'clock PM every weekday."
    reply = skill.answer("set an alarm", 0)
    assert reply is not None and reply.intent == "alarm_ask"
    assert skill.answer("tell me a joke", 0) is None
    assert skill.answer("7 am", 0) is None  # that question was for one turn
    assert len(skill.timers) == 2


@pytest.mark.parametrize(
    ("asked", "reply"),
    [
        ("set an alarm for tomorrow morning", "Okay, alarm for seven o'clock AM tomorrow."),  # was 7 PM today
        ("set an alarm for friday", "Okay, alarm for seven o'clock AM on Friday."),  # Friday's first 7
        ("set an alarm for tonight", "Okay, alarm for seven o'clock PM today."),
        ("wake me up tomorrow", "Okay, alarm for seven o'clock AM tomorrow."),
    ],
)
def test_the_time_asked_for_is_on_the_day_the_alarm_was_asked_for(asked: str, reply: str) -> None:
    skill = skills()  # Tuesday 3:05 PM
    assert said(skill, asked) == "For what time?"
    assert said(skill, "7") == reply


def test_remind_me_again_just_after_a_reminder_rang_is_a_snooze() -> None:
    skill = skills()
    skill.answer("remind me in 1 second to check the oven", 0)
    assert [t.name for t in skill.due(2 * S)] == ["to check the oven"]
    assert said(skill, "remind me again in 10 minutes", 3 * S) == "Okay, I'll remind you again in ten minutes."
    (again,) = skill.timers
    assert (again.kind, again.name, again.due) == ("reminder", "to check the oven", (3 + 600) * S)
    assert skill.answer("remind me later", 4 * S) is None  # nothing rang since: not a snooze


def test_an_alarm_that_rang_can_be_snoozed_or_stopped() -> None:
    clock = _Days(TUESDAY)
    skill = Skills(SKILLS, clock=clock)
    assert said(skill, "snooze") == "There's nothing to snooze."
    skill.answer("wake me up at 3:06 pm", 0)  # a minute from now
    clock.now = 60 * S
    (alarm,) = skill.due(clock.now)
    assert skill.done_sentence([alarm]) == "It's three oh six PM: your alarm."
    clock.now = 62 * S
    assert said(skill, "snooze", clock.now) == "Okay, snoozing for nine minutes."
    (snoozed,) = skill.timers
    assert (snoozed.kind, snoozed.due, snoozed.name) == ("alarm", (62 + SNOOZE_S) * S, "three fifteen PM")
    clock.now = (62 + SNOOZE_S) * S
    assert skill.due(clock.now) == [snoozed]
    assert skill.done_sentence([snoozed]) == "It's three fifteen PM: your alarm."
    assert said(skill, "turn off the alarm", (63 + SNOOZE_S) * S) == "Okay."
    assert said(skill, "snooze for 5 minutes", (64 + SNOOZE_S) * S) == "There's nothing to snooze."


# ------------------------------------------------------------------------------------------- reminders


@pytest.mark.parametrize(
    ("text", "reply", "at"),
    [
        ("remind me to call my mom at 5 pm", "Okay, I'll remind you to call your mom at five o'clock PM today.",
         datetime(2024, 3, 5, 17, 0)),
        ("remind me in 20 minutes to check the oven", "Okay, I'll remind you to check the oven in twenty minutes.",
         datetime(2024, 3, 5, 15, 25)),
        ("remind me to put the chicken in the oven in 10 minutes",
         "Okay, I'll remind you to put the chicken in the oven in ten minutes.", datetime(2024, 3, 5, 15, 15)),
        ("hey jarvis remind me about the meeting tomorrow at 9 am",
         "Okay, I'll remind you about the meeting at nine o'clock AM tomorrow.", datetime(2024, 3, 6, 9, 0)),
        ("remind me at 8 tonight that I need to take my pills",
         "Okay, I'll remind you to take your pills at eight o'clock PM today.", datetime(2024, 3, 5, 20, 0)),
        ("remind me that the car is in the garage at 6", "Okay, I'll remind you that the car is in the garage at six "
         "o'clock PM today.", datetime(2024, 3, 5, 18, 0)),
        ("set a reminder to stretch every day at 10 am", "Okay, I'll remind you to stretch at ten o'clock AM every "
         "day.", datetime(2024, 3, 6, 10, 0)),
    ],
)
def test_a_reminder_is_set_for_its_time_and_said_back_to_the_one_reminded(text: str, reply: str, at: datetime) -> None:
    skill = skills()  # Tuesday 3:05 PM
    assert said(skill, text, 10 * S) == reply
    (reminder,) = skill.timers
    assert (reminder.kind, reminder.at) == ("reminder", at)
    assert reminder.due == 10 * S + round((at - TUESDAY).total_seconds()) * S


def test_a_reminder_rings_with_what_it_is_about_and_a_weekly_one_again_next_week() -> None:
    clock = _Days(TUESDAY)
    skill = Skills(SKILLS, clock=clock)
    skill.answer("remind me to call my mom at 3:06 pm", 0)
    skill.answer("remind me every tuesday at 3:07 pm to take out the trash", 0)
    clock.now = 60 * S
    (first,) = skill.due(clock.now)
    assert skill.done_sentence([first]) == "A reminder to call your mom."
    assert clock.until_rung(skill) == [datetime(2024, 3, 5, 15, 7)]
    (weekly,) = skill.timers
    assert (weekly.name, weekly.at) == ("to take out the trash", datetime(2024, 3, 12, 15, 7))


def test_a_reminder_without_a_time_asks_when_and_takes_the_next_turn_only() -> None:
    skill = skills()
    assert said(skill, "remind me to water the plants") == "When should I remind you to water the plants?"
    assert said(skill, "at 6") == "Okay, I'll remind you to water the plants at six o'clock PM today."
    assert said(skill, "remind me to feed the cat") == "When should I remind you to feed the cat?"
    assert skill.answer("tell me a joke", 0) is None
    assert skill.answer("in ten minutes", 0) is None  # that question was for one turn
    assert said(skill, "remind me") == (
        "What should I remind you of? Say, for example: remind me to call mom at five PM.")
    assert [t.name for t in skill.timers] == ["to water the plants"]


def test_reminders_are_listed_and_cancelled_by_what_they_are_about() -> None:
    skill = skills()
    assert said(skill, "what are my reminders") == "You have no reminders."
    skill.answer("remind me to call my mom at 5 pm", 0)
    skill.answer("remind me about the meeting tomorrow at 9 am", 0)
    skill.answer("set an alarm for 7 am", 0)  # not a reminder
    assert said(skill, "do I have any reminders") == (
        "You have reminders to call your mom at five o'clock PM today and about the meeting at nine o'clock AM "
        "tomorrow.")
    assert said(skill, "cancel my reminder") == (
        "You have two reminders: to call your mom and about the meeting. Say which one to cancel, or cancel all "
        "reminders.")
    assert said(skill, "cancel the reminder to call mom") == "Okay, I've cancelled the reminder to call your mom."
    assert said(skill, "delete the reminder about the dentist") == (
        "You have no such reminder. Your reminders are about the meeting.")
    assert said(skill, "cancel all reminders") == "Okay, I've cancelled the reminder about the meeting."
    assert [t.kind for t in skill.timers] == ["alarm"]


@pytest.mark.parametrize(
    "text", ["remind me what I said", "remind me how to make pancakes", "what is a reminder",
             "reminders are useful", "what do you think about reminders", "why are reminders useful"],
)
def test_what_is_not_a_reminder_is_left_to_the_model(text: str) -> None:
    assert skills().answer(text, 0) is None


def test_reminders_are_kept_across_a_restart_and_can_be_left_to_the_model(tmp_path: Path) -> None:
    path = tmp_path / "skills.json"
    _kept(path, TUESDAY).answer("remind me to call my mom at 5 pm", 0)
    (kept,) = _kept(path, TUESDAY).timers
    assert (kept.kind, kept.name, kept.at) == ("reminder", "to call your mom", datetime(2024, 3, 5, 17, 0))
    assert Skills([s for s in SKILLS if s != "reminders"]).answer("remind me to call my mom at 5 pm", 0) is None


# ---------------------------------------------------------------------------------------------- volume


@pytest.mark.parametrize(
    ("text", "volume"),
    [
        ("louder", 6), ("turn it up a bit", 6), ("turn up the volume please", 6), ("speak up", 6),
        ("could you be a little louder", 6), ("quieter", 4), ("turn it down", 4), ("you're way too loud", 4),
        ("volume down", 4), ("set the volume to seven", 7), ("volume 3", 3), ("volume 80 percent", 8),
        ("max volume", 10), ("volume to 0", 1),
        # steps said, as far as they go; all the way; half
        ("volume down 3", 2), ("lower the volume by 2", 3), ("turn it up by 2 notches", 7), ("louder 20", 10),
        ("turn the volume all the way up", 10), ("turn it all the way down", 1), ("half volume", 5),
    ],
)
def test_the_volume_goes_up_down_or_to_a_level(text: str, volume: int) -> None:
    skill = skills()
    skill.volume = 5
    reply = skill.answer(text, 0)
    assert reply is not None and reply.text == f"Okay, volume {spoken_words(volume)}."
    assert skill.volume == volume and skill.volume_db == (volume - 10) * 3


def test_the_volume_has_ends_and_other_things_turned_up_are_not_it() -> None:
    skill = skills()
    assert (skill.volume, skill.volume_db) == (10, 0.0)
    assert said(skill, "louder") == "That's as loud as I go."
    assert said(skill, "what's the volume") == "The volume is ten."
    assert said(skill, "what's my volume") == "The volume is ten."
    assert said(skill, "volume 50") == "Say a volume from one to ten." and skill.volume == 10
    skill.answer("volume 1", 0)
    assert said(skill, "quieter") == "That's as quiet as I go." and skill.volume_db == -27.0
    assert said(skill, "volume down 3") == "That's as quiet as I go." and skill.volume == 1
    for text in ("turn up the heat", "turn the lights down", "turn down the music", "the tv is too loud",
                 "louder than a bomb", "what is the volume of a sphere", "set the volume to 5 on the tv"):
        reply = skill.answer(text, 0)  # not the volume (the lights and the music: not this device's, said plainly)
        assert reply is None or reply.intent == "limits", text


# ---------------------------------------------------------------------------------------- across restarts


def _kept(path: Path, at: datetime, now: int = 0) -> Skills:
    """Skills keeping their timers in `path`, started at `at` (a restart)."""
    return Skills(SKILLS, clock=lambda: at, store=StateFile(path, "timers, alarms and volume", 1), now=now)


def test_timers_and_alarms_come_back_after_a_restart_on_the_wall_clock(tmp_path: Path) -> None:
    path = tmp_path / "state" / "skills.json"
    before = _kept(path, TUESDAY)
    before.answer("set a pasta timer for 8 minutes", 10 * S)
    before.answer("set a timer for 2 minutes", 10 * S)
    before.answer("pause the 2 minute timer", 40 * S)  # 90 s left
    before.answer("wake me up at 7 am", 10 * S)
    after = _kept(path, datetime(2024, 3, 5, 15, 7), now=100)  # two minutes later, the sample clock anew
    pasta, paused, alarm = sorted(after.timers, key=lambda t: ["pasta", "two minute", "seven o'clock AM"].index(t.name))
    assert (pasta.name, pasta.due) == ("pasta", 100 + (8 * 60 - 120) * S)
    assert (paused.name, paused.paused_left, paused.due) == ("two minute", 90 * S, 100)
    assert (alarm.kind, alarm.at) == ("alarm", datetime(2024, 3, 6, 7, 0))
    assert alarm.due == 100 + round(((datetime(2024, 3, 6, 7) - TUESDAY).total_seconds() - 120) * S)
    assert said(after, "resume the timer", 100) == "Okay, your two minute timer is running again."
    assert after.volume == 10
    after.answer("volume 4", 100)
    assert _kept(path, TUESDAY).volume == 4
    assert said(after, "cancel all timers", 100) == "Okay, I've cancelled your two timers."
    assert [t.name for t in _kept(path, TUESDAY).timers] == ["seven o'clock AM"]
    after.clock = lambda: datetime(2024, 3, 6, 7, 0)  # the wall clock, which alarms follow, at seven
    after.due(alarm.due)
    assert _kept(path, TUESDAY).timers == []  # rung: not kept


def test_one_that_ran_out_while_the_assistant_was_down_rings_at_once_if_recent_else_is_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "skills.json"
    before = _kept(path, TUESDAY)
    before.answer("set a tea timer for 3 minutes", 0)
    before.answer("set an alarm for 3:06 pm", 0)  # a minute from now
    with caplog.at_level(logging.WARNING):
        after = _kept(path, datetime(2024, 3, 5, 15, 10), now=50)  # the tea is 2 minutes late, the alarm 4
    assert sorted((t.called, t.due) for t in after.timers) == [("tea timer", 50), ("three oh six PM alarm", 50)]
    assert len(after.due(50)) == 2 and "dropped" not in caplog.text
    later = _kept(path, TUESDAY)
    later.answer("set an alarm for 3:06 pm", 0)
    with caplog.at_level(logging.WARNING):
        assert _kept(path, datetime(2024, 3, 5, 16, 0)).timers == []
    assert "three oh six PM alarm ran out 54 minutes ago while the assistant was not running: dropped" in caplog.text


def test_a_weekly_alarm_is_kept_and_one_missed_while_the_assistant_was_down_is_set_for_its_next_day(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "skills.json"
    _kept(path, TUESDAY).answer("wake me up at 7 every weekday", 0)
    (alarm,) = _kept(path, TUESDAY).timers
    assert (alarm.at, alarm.weekdays) == (datetime(2024, 3, 6, 7, 0), (0, 1, 2, 3, 4))
    with caplog.at_level(logging.WARNING):
        (alarm,) = _kept(path, datetime(2024, 3, 6, 9, 0), now=50).timers  # down from Tuesday to Wednesday 9 AM
    assert alarm.at == datetime(2024, 3, 7, 7, 0) and alarm.due == 50 + 22 * 3600 * S
    assert "missed while the assistant was not running: set for its next day" in caplog.text


def test_timers_or_alarms_kept_from_before_are_dropped_when_their_skill_is_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "skills.json"
    before = _kept(path, TUESDAY)
    before.answer("set a pasta timer for 8 minutes", 0)
    before.answer("wake me up at 7 am", 0)
    store = StateFile(path, "timers, alarms and volume", 1)
    with caplog.at_level(logging.WARNING):
        after = Skills([s for s in SKILLS if s != "timers"], clock=lambda: TUESDAY, store=store)
    assert [t.kind for t in after.timers] == ["alarm"]
    assert "pasta timer kept from before is dropped: conversation.skills leaves timers out" in caplog.text


def test_a_skills_file_from_before_weekly_alarms_is_read(tmp_path: Path) -> None:
    path = tmp_path / "skills.json"
    alarm = {"name": "seven o'clock AM", "seconds": 0, "kind": "alarm", "at": "2024-03-06T07:00:00",
             "due_at": datetime(2024, 3, 6, 7, 0).timestamp(), "paused_left_s": None}  # no "weekdays"
    path.write_text(json.dumps({"version": 1, "volume": 7, "timers": [alarm]}))
    skill = _kept(path, TUESDAY)
    assert [(t.at, t.weekdays) for t in skill.timers] == [(datetime(2024, 3, 6, 7, 0), ())] and skill.volume == 7


def test_a_damaged_skills_file_is_set_aside_and_one_that_cannot_be_written_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "skills.json"
    path.write_text('{"version": 1, "volume": 5, "timers": [{"name": "pasta"}]}')
    with caplog.at_level(logging.WARNING):
        skill = _kept(path, TUESDAY)
    assert skill.timers == [] and "timer 0 is not a timer" in caplog.text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("skills.json.corrupt-")]
    (tmp_path / "a-file").write_text("")
    blocked = _kept(tmp_path / "a-file" / "skills.json", TUESDAY)  # its folder is a file
    with caplog.at_level(logging.WARNING):
        assert said(blocked, "set a timer for 1 minute") == "Okay, one minute, starting now."
    assert "could not keep the timers" in caplog.text and len(blocked.timers) == 1


def test_the_pipeline_keeps_timers_in_the_state_folder_when_memory_is_on(tmp_path: Path) -> None:
    config = Config(general=GeneralConfig(state_dir=str(tmp_path)))
    assert skills_file(config, {}).path == tmp_path / "skills.json"


# ---------------------------------------------------------------------------------------- the controller


class _Rig:
    """A controller whose speaker is a simulated room, read block by block as the audio thread would."""

    def __init__(self, **conversation: Any) -> None:
        self.room = SimulatedRoom([], RoomSetup(), realtime=False)
        self.room.start()
        self.turns = Turns()
        self.sent: list[Any] = []
        config = Config(conversation=ConversationConfig(**conversation))
        self.controller = Controller(
            config, self.room, Speaker(self.room, self.turns, max_ahead_s=None), turns=self.turns,
            state=ListenState(), trace=Trace(self.room.playback_position), to_brain=self.sent.append,
            to_tts=self.sent.append, wake_required=False, trace_audible=True,
            skills=Skills(SKILLS, clock=lambda: TUESDAY, follow_wall_clock=False),  # as in a room in lockstep
        )

    def run(self, seconds: float) -> None:
        """The room's clock goes on; the controller gets a Clock every block."""
        for _ in range(round(seconds * 100)):
            self.room.read(0.1)
            self.controller.handle(Clock(self.room.clock))

    def user_says(self, text: str) -> int:
        turn = self.turns.open()
        now = self.room.clock
        self.controller.handle(TurnStarted(turn, now, now, False))
        self.controller.handle(TurnEnded(turn, now + 10, now + 5, "silence", 350))
        self.controller.handle(Heard(turn, Transcript(text, "en", (), 1.0, 0.1, "test"), 0.01))
        return turn

    def speak(self) -> list[Say]:
        """Text-to-speech: every Say sent so far is played (a second of tone per sentence)."""
        says = [m for m in self.sent if isinstance(m, Say)]
        self.sent[:] = [m for m in self.sent if not isinstance(m, Say)]
        for say in says:
            placed = self.controller.speaker.speak(say, say.text, np.full(S, 0.1, np.float32), S, True)
            if isinstance(placed, Queued):
                self.controller.handle(placed)
            self.controller.handle(Spoken(say.turn, say.index, reply=say.reply))
        return says

    def events(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.controller.trace.events if e["event"] == name]


def test_the_controller_answers_a_timer_request_itself_and_the_brain_only_remembers_it() -> None:
    rig = _Rig()
    turn = rig.user_says("set a timer for 5 minutes")
    assert not [m for m in rig.sent if isinstance(m, Prompt)]
    (say,) = rig.speak()
    assert (say.turn, say.text) == (turn, "Okay, five minutes, starting now.")
    assert [e["intent"] for e in rig.events("skill")] == ["timer_set"]
    rig.run(1.5)
    assert rig.controller.idle
    assert [(m.user, m.heard) for m in rig.sent] == [("set a timer for 5 minutes", "Okay, five minutes, starting now.")]


def test_speak_slower_is_said_slower_and_so_is_everything_after_it_the_models_replies_too() -> None:
    rig = _Rig()
    rig.user_says("what time is it")
    (before,) = rig.speak()
    rig.run(1.5)
    rig.user_says("you're talking too fast")
    (answer,) = rig.speak()
    assert (answer.text, answer.speed) == ("Okay, I'll speak more slowly.", pytest.approx(1 / 1.12))
    assert before.speed == 1.0
    rig.run(1.5)
    rig.user_says("tell me a story")
    (prompt,) = [m for m in rig.sent if isinstance(m, Prompt)]
    assert prompt.speed == answer.speed  # the brain's worker gives it to each sentence (test_speed)


@pytest.mark.parametrize(
    ("text", "intent", "reply"),
    [
        ("What's 15 x 23?", "math", "15 times 23 is 345."),
        ("two point five plus three point five", "math", "2.5 plus 3.5 is 6."),
        ("what is one inch in centimeters", "units", "1 inch is 2.54 centimeters."),
    ],
)
def test_the_controller_works_out_a_sum_or_a_conversion_itself_in_one_sentence(
    text: str, intent: str, reply: str
) -> None:
    rig = _Rig()
    turn = rig.user_says(text)
    assert not [m for m in rig.sent if isinstance(m, Prompt)]
    (say,) = rig.speak()  # a decimal point does not end a sentence
    assert (say.turn, say.text) == (turn, reply)
    assert [e["intent"] for e in rig.events("skill")] == [intent]
    rig.run(1.5)
    assert [(m.user, m.heard) for m in rig.sent] == [(text, reply)]


def test_the_volume_set_by_voice_is_what_the_speaker_plays_at_ducks_included() -> None:
    rig = _Rig()
    rig.user_says("set the volume to 6")
    gain = rig.room._gain  # type: ignore[attr-defined]  # what the room's speaker plays at
    assert gain == pytest.approx(10 ** (-12 / 20))  # already for the answer itself
    rig.speak()
    rig.controller.handle(Duck(True, rig.room.clock))
    assert rig.room._gain == pytest.approx(gain * rig.controller.duck_gain)  # type: ignore[attr-defined]
    rig.controller.handle(Duck(False, rig.room.clock))
    rig.run(1.5)
    assert rig.room._gain == pytest.approx(gain)  # type: ignore[attr-defined]
    kept = Skills(SKILLS)
    kept.volume = 3
    restarted = SimulatedRoom([], RoomSetup(), realtime=False)
    Controller(Config(), restarted, Speaker(restarted, Turns(), max_ahead_s=None), turns=Turns(), state=ListenState(),
               trace=Trace(restarted.playback_position), to_brain=print, to_tts=print, wake_required=False,
               trace_audible=True, skills=kept)
    assert restarted._gain == pytest.approx(10 ** (-21 / 20))  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["say that again", "what did you say?", "Could you repeat that, please?", "Pardon?",
                                  "I didn't catch that."])
def test_say_that_again_says_the_last_reply_whole(text: str) -> None:
    rig = _Rig()
    assert said(rig.controller.skills, text) == "I haven't said anything yet."
    rig.user_says("what time is it")
    (answer,) = rig.speak()
    rig.run(1.5)
    rig.user_says(text)
    assert [s.text for s in rig.speak()] == [answer.text]
    assert rig.controller.skills.answer("repeat after me the cat sat on the mat", 0) is None


def test_a_request_the_user_went_on_from_before_hearing_the_answer_is_taken_back() -> None:
    rig = _Rig()
    rig.user_says("set a timer for ten minutes")
    assert [t.name for t in rig.controller.skills.timers] == ["ten minute"]
    going_on = rig.turns.open()  # the user goes on before "Okay, ten minutes" is audible
    rig.controller.handle(TurnStarted(going_on, rig.room.clock, rig.room.clock, False))
    assert rig.controller.skills.timers == []
    rig.controller.handle(TurnEnded(going_on, rig.room.clock, rig.room.clock, "silence", 350))
    rig.controller.handle(Heard(going_on, Transcript("for the pasta", "en", (), 1.0, 0.1, "test"), 0.01))
    assert [t.called for t in rig.controller.skills.timers] == ["pasta timer"]  # one timer, named
    assert [s.text for s in rig.speak()][-1] == "Okay, pasta timer for ten minutes, starting now."


def test_a_word_left_hanging_at_the_end_of_the_final_transcript_is_dropped() -> None:
    # pocketsphinx hears the demo's "What time is it?" as "what time is it the" (the turn waited for more; none came)
    rig = _Rig()
    rig.user_says("what time is it the")
    assert [s.text for s in rig.speak()] == ["It's three oh five PM."]
    assert [e["text"] for e in rig.events("transcript")] == ["what time is it the"]  # the trace keeps it as heard
    rig.run(1.5)
    turn = rig.turns.open()  # a reply started early on the pause is kept, not taken back for the "the"
    rig.controller.handle(TurnStarted(turn, rig.room.clock, rig.room.clock, False))
    # the early transcript is the final one when the user does not go on: both have the "the"
    rig.controller.handle(Heard(turn, Transcript("tell me a joke the", "en", (), 1.0, 0.1, "test"), 0.01, early=True))
    rig.controller.handle(TurnEnded(turn, rig.room.clock, rig.room.clock, "silence", 350))
    rig.controller.handle(Heard(turn, Transcript("tell me a joke the", "en", (), 1.0, 0.1, "test"), 0.01))
    assert [e["outcome"] for e in rig.events("speculation")] == ["kept"]
    assert [m.text for m in rig.sent if isinstance(m, Prompt)] == ["tell me a joke"]
    rig.run(1.5)
    turn = rig.turns.open()  # a request the skills answer is not started early for its "the"
    rig.controller.handle(TurnStarted(turn, rig.room.clock, rig.room.clock, False))
    rig.controller.handle(Heard(turn, Transcript("what time is it the", "en", (), 1.0, 0.1, "test"), 0.01, early=True))
    assert [e["text"] for e in rig.events("speculate")] == ["tell me a joke"]


def test_a_skill_request_is_not_started_early_while_the_user_pauses() -> None:
    rig = _Rig()
    turn = rig.turns.open()
    rig.controller.handle(TurnStarted(turn, 0, 0, False))
    rig.controller.handle(Heard(turn, Transcript("what time is it", "en", (), 1.0, 0.1, "test"), 0.01, early=True))
    assert not rig.sent and not rig.events("speculate")
    rig.controller.handle(Heard(turn, Transcript("tell me a joke", "en", (), 1.0, 0.1, "test"), 0.01, early=True))
    assert [m.text for m in rig.sent if isinstance(m, Prompt)] == ["tell me a joke"]


def test_a_timer_that_runs_out_rings_until_the_user_speaks() -> None:
    rig = _Rig()
    rig.user_says("set a pasta timer for 2 seconds")
    rig.speak()
    rig.run(1.0)  # the confirmation plays (a second), the timer runs
    assert not rig.events("timer")
    rig.run(1.2)
    (done,) = rig.events("timer")
    assert done["action"] == "done" and done["name"] == "pasta"
    ring = rig.controller.current
    assert ring is not None and ring.kind == "timer" and ring.phase == "speaking"  # the chime is queued
    assert [s.text for s in rig.speak()] == ["Your pasta timer is done."]
    rig.run(2.0 + RING_GAP_S + 0.2)  # chime, sentence, the gap: it rings again
    assert rig.controller.current is not ring and rig.controller.current.kind == "timer"  # type: ignore[union-attr]
    assert [s.text for s in rig.speak()] == ["Your pasta timer is done."]
    rig.run(0.5)
    rig.user_says("okay thanks")  # over the ring: it stops, for good
    assert [e["why"] for e in rig.events("timer") if e["action"] == "stopped"] == ["the user spoke"]
    rig.speak()
    rig.run(10.0)
    assert len([e for e in rig.events("reply_sentence") if e.get("kind") == "timer"]) == 2


def test_a_ring_is_heard_however_low_the_volume_was_turned() -> None:
    rig = _Rig()
    rig.user_says("set the volume to 2")
    rig.speak()
    rig.run(1.5)  # heard: it stays
    rig.user_says("set a timer for 3 seconds")
    rig.speak()
    quiet = 10 ** (-24 / 20)
    assert rig.room._gain == pytest.approx(quiet)  # type: ignore[attr-defined]
    rig.run(3.2)
    assert rig.controller.current is not None and rig.controller.current.kind == "timer"
    assert rig.room._gain == pytest.approx(10 ** (-12 / 20))  # type: ignore[attr-defined]  # volume 6 at least
    rig.speak()
    rig.user_says("okay")  # over the ring: it stops, and the volume is the user's again
    assert rig.room._gain == pytest.approx(quiet)  # type: ignore[attr-defined]
    loud = _Rig()
    loud.user_says("set a timer for 1 second")
    loud.speak()
    loud.run(1.2)
    assert loud.room._gain == pytest.approx(1.0)  # type: ignore[attr-defined]  # louder than the floor: as set


def test_a_reminder_rings_out_loud_with_what_it_is_about() -> None:
    rig = _Rig()
    rig.user_says("remind me in 2 seconds to check the oven")
    assert [s.text for s in rig.speak()] == ["Okay, I'll remind you to check the oven in two seconds."]
    rig.run(2.2)
    (done,) = rig.events("timer")
    assert (done["action"], done["name"]) == ("done", "to check the oven")
    assert [s.text for s in rig.speak()] == ["A reminder to check the oven."]


def test_a_timer_nobody_answers_stops_ringing_after_timer_ring_s_and_one_never_rings_over_the_user() -> None:
    rig = _Rig(timer_ring_s=10.0)
    rig.user_says("set a timer for 1 second")
    rig.speak()
    # The user is speaking when it runs out: the ring waits for the conversation to pause.
    talking = rig.turns.open()
    rig.controller.handle(TurnStarted(talking, rig.room.clock, rig.room.clock, False))
    rig.run(3.0)
    assert [e["action"] for e in rig.events("timer")] == ["done"]
    assert rig.controller.current is not None and rig.controller.current.kind == "user"
    rig.controller.handle(TurnEnded(talking, rig.room.clock, rig.room.clock, "silence", 350))
    rig.controller.handle(Heard(talking, Transcript("", "en", (), 1.0, 0.1, "test"), 0.01))  # noise: dropped
    rings = 0
    for _ in range(30):
        rig.run(0.5)
        rings += len(rig.speak())
    assert 2 <= rings <= 3  # 10 s of rings of 1.8 s each, 3 s apart
    assert [e["why"] for e in rig.events("timer") if e["action"] == "stopped"] == ["nobody answered"]


def test_the_answer_to_say_which_one_completes_the_request_for_one_turn() -> None:
    skill = skills()
    skill.answer("set a pasta timer for 10 minutes", 0)
    skill.answer("set a rice timer for 15 minutes", 0)
    skill.answer("set a timer for 5 minutes", 0)
    assert said(skill, "cancel the timer") == (
        "You have three timers: five minute, pasta and rice. Say which one to cancel, or cancel all timers.")
    assert said(skill, "the pasta one") == "Okay, I've cancelled your pasta timer."
    assert said(skill, "pause the timer").startswith("You have two timers")
    assert said(skill, "the 5 minute one") == "Okay, your five minute timer is paused."
    assert said(skill, "add 2 minutes to the timer").startswith("You have two timers")
    assert said(skill, "rice") == "Okay, your rice timer has seventeen minutes left."
    assert said(skill, "cancel the timer").startswith("You have two timers")
    assert said(skill, "both") == "Okay, I've cancelled your two timers."
    skill.answer("set an alarm for 7 am", 0)
    skill.answer("set an alarm for 8 am", 0)
    assert said(skill, "change my alarm to 9").startswith("You have two alarms")
    assert said(skill, "the 8 am one") == "Okay, I've moved your eight o'clock AM alarm to nine o'clock AM tomorrow."
    assert said(skill, "cancel my alarm").startswith("You have two alarms")
    assert said(skill, "never mind") is None  # no answer: nothing cancelled
    assert said(skill, "the 7 am one") is None  # the question was for one turn
    assert [t.name for t in skill.timers] == ["seven o'clock AM", "nine o'clock AM"]
    skill.answer("remind me to call mom at 5 pm", 0)
    skill.answer("remind me to call dad at 6 pm", 0)
    assert said(skill, "cancel my reminder").startswith("You have two reminders")
    assert said(skill, "the one about dad") == "Okay, I've cancelled the reminder to call dad."


def test_cancel_that_just_after_an_answer_takes_back_what_it_did() -> None:
    skill = skills()
    skill.answer("set a timer for 5 minutes", 0)
    assert said(skill, "cancel that") == "Okay, I've cancelled that timer."
    assert skill.timers == []
    skill.answer("add milk and eggs to my shopping list", 0)
    assert said(skill, "no, undo that") == "Okay, I've taken that off the list."
    assert skill.lists.lists == {}
    skill.answer("remind me to call mom at 5", 0)
    assert said(skill, "that's wrong") == "Okay, I've cancelled that reminder."
    skill.answer("turn it down", 0)
    assert said(skill, "oops, undo that") == "Okay, the volume is back to ten."
    skill.answer("remember that I parked on level 3", 0)
    assert said(skill, "scratch that") == "Okay, I've forgotten that."
    assert skill.answer("where did I park", 0) is None
    assert skill.answer("cancel that", 0) is None  # nothing was just done: the model's (it may be about its words)


def test_cancel_that_only_right_after_and_not_over_what_changed_since() -> None:
    skill = skills()
    skill.answer("set a timer for 5 minutes", 0)
    skill.answer("what time is it", 0)
    assert skill.answer("cancel that", 0) is None  # a turn between: "that" is no longer the timer
    skill.answer("set a timer for 1 second", 0)
    assert skill.due(5 * S)  # it rang meanwhile: "cancel that" is of the ringing, which the user's voice stopped
    assert said(skill, "cancel that", 5 * S) == "Okay."
    assert [t.called for t in skill.timers] == ["five minute timer"]
    skill.answer("add milk to my list", 5 * S)
    skill.lists.lists["shopping"].append("eggs")  # changed since by other means
    assert said(skill, "undo that", 5 * S) == "I can't take that back now: something changed since."
    again = skills()
    again.answer("set a timer for 5 minutes", 0)
    again.answer("cancel the timer", 0)
    assert again.answer("cancel it", 0) is None  # said again, not an undo of the cancel
    again.answer("set a timer for 5 minutes", 0)
    again.answer("cancel the timer", 0)
    assert said(again, "undo that") == "Okay, it's back."
    assert [t.called for t in again.timers] == ["five minute timer"]
