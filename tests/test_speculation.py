"""Speculative replies: the reply starts while the user pauses and is heard only once the turn is over.

The parts (reply attempts in Turns, the speaker's hold) on their own, then the whole assistant in the
simulated room with real engines: a finished question is answered by the early reply; a user who pauses
mid-sentence and goes on gets the early reply taken back, unheard, and one answer to the whole sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.audio.room import SimulatedRoom, speech_bounds
from assistant.audio_files import read_audio
from assistant.config import Config, load_config
from assistant.conversation.messages import Say
from assistant.conversation.scenario import Scenario
from assistant.conversation.simulate import run_scenario
from assistant.conversation.turns import Turns
from assistant.conversation.workers import Speaker
from assistant.speech.vad import SileroVad

RATE = 16000


def test_a_retracted_reply_is_cancelled_and_its_turn_stays_live() -> None:
    turns = Turns()
    turn = turns.open()
    first = turns.cancelled(turn, 0)
    assert turns.retract(turn) == 1
    assert first.is_set()  # the brain working on attempt 0 stops
    assert turns.is_live(turn) and turns.is_live(turn, 1) and not turns.is_live(turn, 0)
    assert not turns.cancelled(turn, 1).is_set()
    assert turns.cancelled(turn, 0).is_set()  # a late Prompt of the old attempt is not answered
    turns.end(turn)
    assert turns.cancelled(turn, 1).is_set() and not turns.is_live(turn, 1)
    assert turns.retract(turn) == 2 and turns.cancelled(turn, 2).is_set()  # an ended turn stays ended


def _room_speaker() -> tuple[Speaker, Turns]:
    room = SimulatedRoom([], duration=5.0)
    room.start()
    turns = Turns()
    return Speaker(room, turns, max_ahead_s=None), turns


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)


def test_held_speech_waits_unplayed_until_released_then_plays_in_order() -> None:
    speaker, turns = _room_speaker()
    turn = turns.open()
    speaker.hold(turn, 0)
    say = Say(turn, 0, "one two", 0)
    assert speaker.speak(say, "one two", _tone(0.3), RATE, True) == "held"
    assert speaker.speak(Say(turn, 1, "three", 0), "three", _tone(0.2), RATE, False) == "held"
    assert speaker.queued_until == 0  # nothing went to the speaker
    released = speaker.release(turn, 0)
    assert [(q.index, q.text) for q in released] == [(0, "one two"), (1, "three")]
    assert released[0].start == 0 and released[0].end == released[1].start
    assert released[1].end - released[1].start == round(0.2 * RATE)
    # From now on the reply goes straight to the speaker.
    queued = speaker.speak(Say(turn, 2, "four", 0), "four", _tone(0.1), RATE, False)
    assert queued != "held" and queued is not None and queued.start == released[1].end


def test_discarded_or_retracted_speech_is_never_played() -> None:
    speaker, turns = _room_speaker()
    turn = turns.open()
    speaker.hold(turn, 0)
    assert speaker.speak(Say(turn, 0, "early", 0), "early", _tone(0.3), RATE, True) == "held"
    speaker.discard()
    reply = turns.retract(turn)
    assert speaker.release(turn, 0) == []
    assert speaker.speak(Say(turn, 1, "late", 0), "late", _tone(0.3), RATE, False) is None  # old attempt
    assert speaker.queued_until == 0
    queued = speaker.speak(Say(turn, 0, "answer", reply), "answer", _tone(0.3), RATE, True)
    assert queued is not None and queued != "held" and queued.reply == reply


# ------------------------------------------------------------------------------------ in the room


@pytest.fixture()
def config(tmp_path: Path, shared_models: Path, clean_env: Path) -> Config:
    path = tmp_path / "assistant.toml"
    path.write_text(
        f'[models]\ndir = "{tmp_path / "models"}"\n'
        f'[general]\nstate_dir = "{tmp_path / "state"}"\n'
        f'[vad]\nmodel = "{shared_models / "vad" / "silero_vad.onnx"}"\nhangover_ms = 900\n'
        '[wake]\nengine = "none"\n'
        '[stt]\nengine = "sphinx"\n'
        f'[llm]\nmodel = "{shared_models / "llm" / "stories260K.gguf"}"\nmax_tokens = 30\ntemperature = 0.0\n'
        '[tts]\nengine = "espeak"\n'
        # Every pause under 0.9 s is a pause, whatever the words: the test decides where the user goes on.
        "[conversation]\nspeculate_ms = 150\nhangover_complete_ms = 900\nhangover_incomplete_ms = 900\n"
    )
    return load_config(path, {}).config


def _events(events: list[dict[str, Any]], name: str, turn: int | None = None) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == name and (turn is None or e["turn"] == turn)]


def _scenario(tmp_path: Path, body: str) -> Scenario:
    path = tmp_path / "scenario.toml"
    path.write_text(body)
    return Scenario.load(path)


@pytest.mark.e2e
def test_a_finished_question_is_answered_by_the_reply_started_in_the_pause(
    config: Config, shared_audio: Path, tmp_path: Path
) -> None:
    scenario = _scenario(tmp_path, f"""
wake = false
[[utterance]]
audio = "{shared_audio}/commands/speech_to_phrase/en/what_time_is_it.wav"
at = 0.5
""")
    result = run_scenario(scenario, config, realtime=False)
    kept = _events(result.events, "speculation")
    assert [e["outcome"] for e in kept] == ["kept"], result.events
    turn = kept[0]["turn"]
    turn_end = _events(result.events, "turn_end", turn)[0]["t"]
    # The reply was being written and spoken while the listener still waited out the hangover ...
    assert _events(result.events, "llm_first_token", turn)[0]["t"] < turn_end
    assert _events(result.events, "tts_first_audio", turn)[0]["t"] < turn_end
    # ... and the room heard it only after the turn was over.
    assert _events(result.events, "audible_start", turn)[0]["t"] >= turn_end - 0.01
    assert result.turns[0].reply


@pytest.mark.e2e
def test_a_user_who_pauses_and_goes_on_never_hears_the_early_reply(
    config: Config, shared_audio: Path, shared_models: Path, tmp_path: Path
) -> None:
    first = shared_audio / "commands/speech_to_phrase/en/set_a_timer_for_5_minutes.wav"
    second = shared_audio / "commands/speech_to_phrase/en/what_time_is_it.wav"
    vad = SileroVad.load(shared_models / "vad" / "silero_vad.onnx")  # as the room finds speech
    (_, first_end), (second_start, _) = (speech_bounds(read_audio(p), vad) for p in (first, second))  # type: ignore[misc]
    # The user stops for 0.6 s between the two: longer than speculate_ms, shorter than the 0.9 s hangover.
    at = 0.5 + (first_end - second_start) / RATE + 0.6
    scenario = _scenario(tmp_path, f"""
wake = false
[[utterance]]
audio = "{first}"
at = 0.5
[[utterance]]
audio = "{second}"
at = {at:.3f}
""")
    result = run_scenario(scenario, config, realtime=False)
    events = result.events
    retracted = [e for e in _events(events, "speculation") if e["outcome"] == "retracted"]
    assert retracted and retracted[0]["reason"] == "the user went on", events
    turn = retracted[0]["turn"]
    assert len(_events(events, "turn_end")) == 1  # one turn: the pause did not end it
    assert _events(events, "transcript", turn)[0]["audio_s"] > at - 0.5  # the whole of both parts
    second_end = max(e["t"] for e in _events(events, "user_speech_end"))
    audible = _events(events, "audible_start")
    assert audible and min(e["t"] for e in audible) > second_end  # nothing was heard in the pause
    assert not _events(events, "barge_in")
