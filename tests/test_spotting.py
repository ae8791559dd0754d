"""Stop phrases: found in transcripts (the phrase alone, or with words that do not change what it asks), and
checked by the recognizer's worker on the sounds that ducked a reply."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from assistant.audio_files import read_audio
from assistant.config import ConversationConfig
from assistant.conversation.messages import Heard, StopCheck, StopHeard, TurnAudio, TurnClosed
from assistant.conversation.queues import Pacer, WorkQueue
from assistant.conversation.turns import Partial
from assistant.conversation.workers import SttWorker
from assistant.service import Heartbeats
from assistant.speech.sphinx import SphinxRecognizer
from assistant.speech.spotting import match_stop_phrase

PHRASES = ConversationConfig().stop_phrases


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Stop.", "stop"),
        ("okay, stop it please", "stop"),
        ("Um, wait!", "wait"),
        ("That's enough.", "that's enough"),
        ("Never mind.", "never mind"),
        ("hold on", "hold on"),
        ("Hey, be quiet now.", "be quiet"),
        ("Mute.", "mute"),
        ("hush", "hush"),
    ],
)
def test_a_stop_phrase_is_found_alone_or_with_harmless_words(text: str, phrase: str) -> None:
    assert match_stop_phrase(text, PHRASES) == phrase


@pytest.mark.parametrize(
    "text",
    ["", "Cancel the timer.", "stop the music", "wait for me at the door", "what time is it", "enough is enough",
     "stop the stopwatch", "silence of the lambs"],
)
def test_a_command_that_merely_contains_a_stop_word_is_not_one(text: str) -> None:
    assert match_stop_phrase(text, PHRASES) is None


def test_no_phrases_match_nothing() -> None:
    assert match_stop_phrase("stop", []) is None


# ------------------------------------------------------------------ the recognizer's worker, with pocketsphinx


def _stt_worker(phrases: list[str], answers: list[object]) -> SttWorker:
    recognizer = SphinxRecognizer(live=True)  # as in the pipeline
    return SttWorker(
        WorkQueue("stt", 8, Pacer(lockstep=False)), lambda: recognizer, heartbeats=Heartbeats(),
        to_controller=answers.append, stop=threading.Event(), partial=Partial(), stop_phrases=phrases,
    )


def test_the_recognizer_answers_whether_a_short_sound_was_a_stop_phrase(shared_audio: Path) -> None:
    # pocketsphinx's language model hears the one-word commands of shared/audio as other words ("pause":
    # "wallace"), so a phrase it does recognize word for word stands in for one here.
    spoken = read_audio(shared_audio / "commands" / "pocketsphinx" / "goforward.wav")
    answers: list[object] = []
    worker = _stt_worker(["stop", "go forward ten meters"], answers)
    worker.handle(StopCheck(3, spoken, 16000))
    worker.handle(StopCheck(3, read_audio(shared_audio / "asr" / "en" / "cmu_arctic_aew_a0001.wav"), 32000))
    assert answers == [StopHeard(3, "go forward ten meters", 16000), StopHeard(3, None, 32000)]


def test_a_sound_during_a_users_turn_is_not_checked(shared_audio: Path) -> None:
    """The recognizer is inside the turn's utterance: checking would cut it short (and the turn has the sound)."""
    spoken = read_audio(shared_audio / "commands" / "pocketsphinx" / "goforward.wav")
    answers: list[object] = []
    worker = _stt_worker(["go forward ten meters"], answers)
    worker.handle(TurnAudio(4, spoken[:16000], first=True))
    worker.handle(StopCheck(3, spoken, 16000))
    worker.handle(TurnAudio(4, spoken[16000:], first=False))
    worker.handle(TurnClosed(4))
    assert answers[0] == StopHeard(3, None, 16000)
    assert isinstance(answers[1], Heard) and answers[1].transcript.text == "go forward ten meters"
