"""FreshEars on real recordings and the real Silero model: noise that a stream primed by speech takes for speech
is not speech to a stream started afresh at it, and a voice is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.audio_files import read_audio
from assistant.bench.bargein import noise_onset
from assistant.conversation.fresh_ears import FreshEars
from assistant.speech.vad import SileroVad, window_probabilities

WINDOW = 512
THRESHOLD = 0.5
PASSED = 1.0  # the double-talk gate's verdict: not our echo
MIN_BARGE_IN_WINDOWS = 7  # conversation.min_barge_in_ms (200) in 32 ms windows


@pytest.fixture(scope="module")
def vad(shared_models: Path) -> SileroVad:
    return SileroVad.load(shared_models / "vad" / "silero_vad.onnx")


@pytest.fixture(scope="module")
def voice(shared_audio: Path) -> np.ndarray:
    return read_audio(shared_audio / "asr" / "en" / "cmu_arctic_aew_a0001.wav")


def up_to_its_last_word(voice: np.ndarray) -> np.ndarray:
    """The voice without its trailing silence: as a reply talking on until a noise starts."""
    return voice[: np.flatnonzero(np.abs(voice.astype(np.int32)) > 1000)[-1] + 1]


def windows(samples: np.ndarray) -> list[np.ndarray]:
    return [samples[i : i + WINDOW] for i in range(0, len(samples) - WINDOW + 1, WINDOW)]


def listen(ears: FreshEars, samples: np.ndarray, gated_p: float = PASSED) -> int | None:
    """The window at which `ears` first heard speech in `samples`, all taken as one sound (None: never)."""
    first = None
    for index, window in enumerate(windows(samples)):
        ears.push(window, gated_p, THRESHOLD, sound=True)
        if ears.heard and first is None:
            first = index
    return first


@pytest.mark.parametrize("source", ["running_tap", "doing_the_dishes"])
def test_noise_right_after_speech_is_speech_to_a_primed_stream_and_not_to_fresh_ears(
    source: str, vad: SileroVad, voice: np.ndarray, shared_audio: Path, tmp_path: Path
) -> None:
    noise = read_audio(noise_onset(shared_audio / "noise" / "speech_commands_bg" / f"{source}.wav", 2.0,
                                   tmp_path / "noise.wav"))
    talking = up_to_its_last_word(voice)
    primed = vad.fork()
    primed.reset_when_quiet = False
    scores = window_probabilities(primed, np.concatenate([talking, noise]))[len(talking) // WINDOW + 1 :]
    # What made noise interrupt replies: long enough over the threshold to pass for an interruption.
    assert np.sum(scores >= THRESHOLD) >= MIN_BARGE_IN_WINDOWS - 2
    assert listen(FreshEars(vad.fork()), noise) is None


def test_fresh_ears_hear_a_voice_within_its_first_syllable(vad: SileroVad, voice: np.ndarray) -> None:
    onset = int(np.argmax(np.abs(voice.astype(np.int32)) > 1000)) // WINDOW * WINDOW
    heard_at = listen(FreshEars(vad.fork()), voice[onset:])
    assert heard_at is not None and heard_at <= MIN_BARGE_IN_WINDOWS


def test_a_window_the_gate_took_for_our_echo_is_never_heard(vad: SileroVad, voice: np.ndarray) -> None:
    assert listen(FreshEars(vad.fork()), voice, gated_p=0.0) is None


def test_each_sound_starts_afresh(vad: SileroVad, voice: np.ndarray, shared_audio: Path, tmp_path: Path) -> None:
    ears = FreshEars(vad.fork())
    talking = up_to_its_last_word(voice)
    assert listen(ears, talking) is not None
    ears.push(talking[-WINDOW:], PASSED, THRESHOLD, sound=False)  # the sound is over
    assert not ears.heard
    tap = read_audio(noise_onset(shared_audio / "noise" / "speech_commands_bg" / "running_tap.wav", 2.0,
                                 tmp_path / "tap.wav"))
    assert listen(ears, tap) is None  # not primed by the voice before it
