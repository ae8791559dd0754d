"""The stopwatch (assistant.conversation.stopwatch), through the skills, on the sample clock."""

from __future__ import annotations

import pytest

from assistant.conversation.skills import SKILLS, Skills
from assistant.conversation.stopwatch import SAMPLE_RATE as S


def said(skill: Skills, text: str, at_s: float) -> str:
    reply = skill.answer(text, round(at_s * S))
    assert reply is not None and reply.intent.startswith("stopwatch_"), (text, reply)
    return reply.text


def test_a_stopwatch_counts_up_stops_goes_on_and_starts_over() -> None:
    skill = Skills(SKILLS, follow_wall_clock=False)
    assert said(skill, "how long has the stopwatch been running", 0) == (
        "You have no stopwatch running. Say: start a stopwatch.")
    assert said(skill, "Start a stopwatch.", 0) == "Okay, the stopwatch is running."
    assert said(skill, "start the stopwatch", 5) == "The stopwatch is already running, at five seconds."
    assert said(skill, "how long has the stopwatch been running", 65) == (
        "The stopwatch is at one minute and five seconds.")
    assert said(skill, "stop the stopwatch", 90) == "Stopped at one minute and thirty seconds."
    assert said(skill, "what's the stopwatch at", 200) == "The stopwatch stopped at one minute and thirty seconds."
    assert said(skill, "resume the stopwatch", 300) == "Okay, going on from one minute and thirty seconds."
    assert said(skill, "check the stopwatch", 310) == "The stopwatch is at one minute and forty seconds."  # no pause
    assert said(skill, "reset the stopwatch", 400) == "Okay, the stopwatch starts again from zero."
    assert said(skill, "check the stop watch", 1400) == "The stopwatch is at seventeen minutes."  # minutes, past ten
    assert said(skill, "cancel the stopwatch", 1410) == "Okay, I've cancelled the stopwatch, at seventeen minutes."
    assert said(skill, "check the stopwatch", 1420) == "You have no stopwatch running. Say: start a stopwatch."


def test_while_a_stopwatch_runs_how_long_has_it_been_reads_it() -> None:
    skill = Skills(SKILLS, follow_wall_clock=False)
    assert skill.answer("how long has it been", 0) is None  # no stopwatch: not about one
    said(skill, "start a stopwatch", 0)
    assert said(skill, "how long has it been", 42) == "The stopwatch is at forty-two seconds."
    assert said(skill, "how long so far", 62) == "The stopwatch is at one minute and two seconds."
    said(skill, "stop the stopwatch", 70)
    assert skill.answer("how long has it been", 80) is None  # stopped: "check the stopwatch" still reads it


def test_a_stopwatch_started_unheard_is_taken_back() -> None:
    skill = Skills(SKILLS, follow_wall_clock=False)
    reply = skill.answer("start a stopwatch", 0)
    assert reply is not None
    reply.take_back()
    assert said(skill, "check the stopwatch", 10) == "You have no stopwatch running. Say: start a stopwatch."


@pytest.mark.parametrize("text", ["what is a stopwatch", "tell me a story about a stopwatch", "stop", "stop it",
                                  "watch the stove"])
def test_what_is_not_a_stopwatch_request_is_left_to_others(text: str) -> None:
    reply = Skills(SKILLS, follow_wall_clock=False).answer(text, 0)
    assert reply is None or not reply.intent.startswith("stopwatch_")


def test_the_stopwatch_is_the_timers_skill() -> None:
    assert Skills([s for s in SKILLS if s != "timers"]).answer("start a stopwatch", 0) is None
