"""How fast the assistant speaks: "speak slower", "talk faster", "normal speed" (assistant.conversation.speed), kept
by the skills, and carried with every sentence to the real voice (espeak-ng) through the brain's and the voice's
workers."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from assistant.audio.room import RoomSetup, SimulatedRoom
from assistant.config import Config
from assistant.conversation.brain import RuleBrain
from assistant.conversation.messages import Prompt, Queued, Say
from assistant.conversation.queues import Pacer, WorkQueue
from assistant.conversation.skills import SKILLS, Skills
from assistant.conversation.speed import MAX_STEP, MIN_STEP, SpeedRequest, parse_speed_request, speed_factor
from assistant.conversation.state_file import StateFile
from assistant.conversation.trace import Trace
from assistant.conversation.turns import Turns
from assistant.conversation.workers import BrainWorker, Speaker, TtsWorker
from assistant.service import Heartbeats
from assistant.speech.espeak_tts import EspeakSynthesizer
from assistant.speech.tts import PacedSynthesizer
from assistant.text_norm import normalize

TUESDAY = datetime(2024, 3, 5, 15, 5)


def said(skills: Skills, text: str) -> str | None:
    reply = skills.answer(text, 0)
    return None if reply is None else reply.text


@pytest.mark.parametrize(
    ("text", "intent", "steps"),
    [
        ("Speak slower, please.", "speed_down", -1),
        ("Could you talk a little more slowly?", "speed_down", -1),
        ("You're talking too fast!", "speed_down", -1),
        ("You speak too quickly.", "speed_down", -1),
        ("Don't talk so fast.", "speed_down", -1),
        ("Slow down.", "speed_down", -1),
        ("Slower.", "speed_down", -1),
        ("Hey Jarvis, speak much slower.", "speed_down", -2),
        ("Way too fast.", "speed_down", -2),
        ("Talk faster.", "speed_up", 1),
        ("Can you speak a bit quicker?", "speed_up", 1),
        ("Speed up.", "speed_up", 1),
        ("You're talking too slowly.", "speed_up", 1),
        ("Read a lot faster", "speed_up", 2),
        ("Say that again, slower.", "speed_again_down", -1),
        ("Can you repeat that a bit more slowly please?", "speed_again_down", -1),
        ("Repeat faster.", "speed_again_up", 1),
        ("Normal speed.", "speed_normal", 0),
        ("Speak at your normal speed.", "speed_normal", 0),
        ("Go back to your usual pace.", "speed_normal", 0),
        ("Talk normally.", "speed_normal", 0),
        ("Reset your speaking speed.", "speed_normal", 0),
        ("How fast are you talking?", "speed_ask", 0),
        ("What's your speaking rate?", "speed_ask", 0),
    ],
)
def test_asking_for_another_speed(text: str, intent: str, steps: int) -> None:
    assert parse_speed_request(normalize(text)) == SpeedRequest(intent, steps)


@pytest.mark.parametrize(
    "text",
    ["slow down the music", "speed up the timer", "the car is going too fast", "is it going too fast",
     "I run slower than you", "what's the speed of light", "speak", "how fast can a cheetah run", "so fast",
     "what's the normal speed of a car", "turn it slower", "what's the pace", "what is the rate"],
)
def test_other_things_slower_or_faster_are_not_the_voice(text: str) -> None:
    assert parse_speed_request(normalize(text)) is None


def test_the_speed_goes_down_and_up_in_steps_to_its_ends_and_back_to_normal() -> None:
    skills = Skills(SKILLS, clock=lambda: TUESDAY)
    assert skills.speaking_speed == 1.0 and said(skills, "how fast are you talking") == (
        "I'm speaking at my normal speed.")
    assert said(skills, "speak slower") == "Okay, I'll speak more slowly."
    assert skills.speaking_speed == pytest.approx(1 / 1.12)
    assert said(skills, "what's your speaking speed") == "I'm speaking one step slower than my normal speed."
    assert said(skills, "much slower") == "Okay, I'll speak more slowly."
    assert skills.speed_step == MIN_STEP and said(skills, "slower") == "That's as slowly as I speak."
    assert said(skills, "how fast are you talking") == (
        "I'm speaking as slowly as I can, three steps slower than my normal speed.")
    assert 0.7 < speed_factor(MIN_STEP) < 0.72 and 1.39 < speed_factor(MAX_STEP) < 1.41
    assert said(skills, "normal speed") == "Okay, back to my normal speed." and skills.speaking_speed == 1.0
    assert said(skills, "normal speed") == "I'm already speaking at my normal speed."
    for _ in range(4):
        said(skills, "talk faster")
    assert skills.speed_step == MAX_STEP and said(skills, "faster") == "That's as fast as I speak."
    assert said(skills, "speed") is None  # not a request


def test_say_that_again_more_slowly_says_the_last_reply_slower() -> None:
    skills = Skills(SKILLS, clock=lambda: TUESDAY)
    assert said(skills, "say that again more slowly") == "Okay, I'll speak more slowly."  # nothing said yet
    skills.last_reply = "It's three oh five PM."
    reply = skills.answer("can you repeat that a bit slower", 0)
    assert reply is not None and (reply.intent, reply.text) == ("speed_again_down", "It's three oh five PM.")
    assert skills.speed_step == -2
    assert said(skills, "say it again faster") == "It's three oh five PM." and skills.speed_step == -1


def test_cancel_that_takes_the_speed_back_and_a_reply_not_heard_leaves_it() -> None:
    skills = Skills(SKILLS, clock=lambda: TUESDAY)
    said(skills, "speak slower")
    assert said(skills, "cancel that") == "Okay, I'll speak as fast as I did before." and skills.speed_step == 0
    reply = skills.answer("talk faster", 0)
    assert reply is not None and skills.speed_step == 1
    reply.take_back()  # the user went on speaking before hearing it
    assert skills.speed_step == 0


def test_only_the_speed_skill_changes_the_speed() -> None:
    skills = Skills([s for s in SKILLS if s != "speed"], clock=lambda: TUESDAY)
    assert skills.answer("speak slower", 0) is None and skills.speaking_speed == 1.0


def _kept(path: Path) -> Skills:
    return Skills(SKILLS, clock=lambda: TUESDAY, store=StateFile(path, "timers, alarms and volume", 1))


def test_the_speed_is_kept_across_a_restart_and_older_files_read_as_normal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "skills.json"
    said(_kept(path), "speak much slower")
    assert json.loads(path.read_text())["speed"] == -2 and _kept(path).speed_step == -2
    path.write_text(json.dumps({"version": 1, "volume": 7, "timers": []}))  # written before the speed skill
    older = _kept(path)
    assert (older.speed_step, older.volume) == (0, 7)
    path.write_text(json.dumps({"version": 1, "volume": 7, "timers": [], "speed": 9}))
    with caplog.at_level(logging.WARNING):
        damaged = _kept(path)
    assert damaged.speed_step == 0 and "speed 9 is not -3 to 3" in caplog.text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("skills.json.corrupt-")]


# --------------------------------------------------------------------- the workers, with the real voice


def _workers(sent: list[Any]) -> tuple[BrainWorker, TtsWorker, Turns, SimulatedRoom]:
    room = SimulatedRoom([], RoomSetup(), realtime=False)
    turns = Turns()
    common: dict[str, Any] = {"heartbeats": Heartbeats(), "to_controller": sent.append, "stop": threading.Event()}
    trace = Trace(room.playback_position)
    voice = PacedSynthesizer(EspeakSynthesizer(), 100)
    tts = TtsWorker(WorkQueue("tts", 8, Pacer(lockstep=False)), lambda: voice, speaker=Speaker(room, turns,
                    max_ahead_s=None), turns=turns, trace=trace, **common)
    brain = BrainWorker(WorkQueue("brain", 8, Pacer(lockstep=False)), lambda: RuleBrain(Config(), None), turns=turns,
                        trace=trace, to_tts=sent.append, **common)
    return brain, tts, turns, room


def test_the_speed_goes_with_the_prompt_to_each_sentence_and_the_voice_speaks_at_it() -> None:
    sent: list[Any] = []
    brain, tts, turns, _ = _workers(sent)
    lengths = []
    for speed in (1.0, speed_factor(MIN_STEP), speed_factor(MAX_STEP)):
        turn = turns.open()
        brain.handle(Prompt(turn, "what can you do", speed=speed))  # the same reply each time
        says = [m for m in sent if isinstance(m, Say)]
        assert says and all(s.speed == speed for s in says)
        sent.clear()
        for say in says:
            tts.handle(say)
        queued = [m for m in sent if isinstance(m, Queued)]
        lengths.append(sum(q.end - q.start for q in queued))
        # (each sentence goes in half-second pieces: the later ones are its continuation, counted once as heard)
        assert [q.continued for q in queued] == [i > 0 and q.index == queued[i - 1].index for i, q in enumerate(queued)]
        sent.clear()
    normal, slowest, fastest = lengths
    assert slowest > 1.2 * normal and fastest < 0.85 * normal
