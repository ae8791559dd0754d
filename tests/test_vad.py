"""Silero VAD on real recordings, and the segmenter's start/end decisions."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.audio_files import read_audio
from assistant.errors import ModelError
from assistant.speech.vad import (
    WINDOW,
    SileroModel,
    SileroVad,
    SpeechDetector,
    SpeechEnd,
    SpeechSegmenter,
    SpeechStart,
    VoiceActivity,
    window_probabilities,
)

RATE = 16000


@pytest.fixture(scope="module")
def model(shared_models: Path) -> SileroModel:
    return SileroModel(shared_models / "vad" / "silero_vad.onnx")


@pytest.fixture(scope="module")
def speech(shared_audio: Path) -> np.ndarray:
    return read_audio(shared_audio / "asr" / "en" / "ljspeech_LJ001-0002.wav")  # 1.9 s, talking throughout


@pytest.fixture(scope="module")
def noise(shared_audio: Path) -> np.ndarray:
    return read_audio(shared_audio / "noise" / "speech_commands_bg" / "running_tap.wav")[: 10 * RATE]


def test_speech_scores_high_and_noise_and_silence_low(
    model: SileroModel, speech: np.ndarray, noise: np.ndarray
) -> None:
    vad = SileroVad(model)
    assert np.mean(window_probabilities(vad, speech) >= 0.5) > 0.8
    vad.reset()
    assert window_probabilities(vad, noise).max() < 0.5
    vad.reset()
    assert window_probabilities(vad, np.zeros(3 * RATE, np.int16)).max() < 0.1


class Recording:
    """A VoiceActivity that records what the real one answered, to compare two ways of feeding it."""

    def __init__(self, inner: VoiceActivity) -> None:
        self.inner = inner
        self.sample_rate, self.window = inner.sample_rate, inner.window
        self.seen: list[float] = []

    def probability(self, window: np.ndarray) -> float:
        self.seen.append(self.inner.probability(window))
        return self.seen[-1]

    def reset(self) -> None:
        self.inner.reset()


def test_streaming_odd_sized_frames_equals_one_shot(model: SileroModel, speech: np.ndarray) -> None:
    audio = np.concatenate([np.zeros(RATE, np.int16), speech, np.zeros(RATE, np.int16)])
    one_shot = window_probabilities(SileroVad(model), audio)
    segmenter = SpeechSegmenter(min_speech_ms=100, hangover_ms=300)
    expected = [e for p in one_shot for e in segmenter.push(p)]

    recording = Recording(SileroVad(model))
    detector = SpeechDetector(recording, SpeechSegmenter(min_speech_ms=100, hangover_ms=300))
    events, position, sizes = [], 0, [1, 511, 513, 160, 1000, 7, 4096]
    for i in range(len(audio)):
        size = sizes[i % len(sizes)]
        events += detector.feed(audio[position : position + size])
        position += size
        if position >= len(audio):
            break
    np.testing.assert_allclose(recording.seen, one_shot, rtol=1e-5, atol=1e-6)
    assert events == expected
    assert [type(e) for e in events] == [SpeechStart, SpeechEnd]


def test_the_recurrent_state_and_context_are_carried(model: SileroModel, speech: np.ndarray) -> None:
    """The same window scores differently after speech than after a reset: the state is not dropped."""
    vad = SileroVad(model)
    window = speech[RATE : RATE + WINDOW]
    fresh = vad.probability(window)
    window_probabilities(vad, speech[:RATE])
    assert abs(vad.probability(window) - fresh) > 1e-3
    vad.reset()
    assert vad.probability(window) == pytest.approx(fresh, abs=1e-6)


def test_after_a_second_of_silence_the_stream_starts_afresh(model: SileroModel, speech: np.ndarray) -> None:
    """Silero's state drifts over long streams: a second of near-certain silence resets it, unless the
    listener forbids it (while the assistant speaks, a fresh state hears the residual echo too readily)."""
    speech = speech[: len(speech) // WINDOW * WINDOW]  # windows line up in every stream below
    quiet = np.zeros(48 * WINDOW, np.int16)  # 1.5 s
    stream = np.concatenate([speech, quiet, speech])
    windows = len(speech) // WINDOW
    after = window_probabilities(SileroVad(model), stream)[-windows:]
    held = SileroVad(model)
    held.reset_when_quiet = False
    carried = window_probabilities(held, stream)[-windows:]

    def fresh_after(silent_windows: int) -> np.ndarray:
        samples = np.concatenate([np.zeros(silent_windows * WINDOW, np.int16), speech])
        return window_probabilities(SileroVad(model), samples)[-windows:]

    # Reset somewhere in the silence: the second speech scores as after that many silent windows from fresh.
    resets = [n for n in range(1, len(quiet) // WINDOW + 1) if np.allclose(after, fresh_after(n), atol=1e-5)]
    assert resets, "the state was carried through the silence"
    assert np.abs(carried - after).max() > 1e-3


def test_a_fork_shares_the_model_but_not_the_state(model: SileroModel, speech: np.ndarray) -> None:
    vad = SileroVad(model)
    window_probabilities(vad, speech)
    fork = vad.fork()
    assert fork.model is vad.model
    np.testing.assert_allclose(window_probabilities(fork, speech), window_probabilities(SileroVad(model), speech))


def test_a_reader_gets_the_sources_probabilities_without_running_the_model(
    model: SileroModel, speech: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wake word's VAD check reads the listener's stream: Silero runs once per window."""
    audio = np.concatenate([np.zeros(RATE, np.int16), speech, np.zeros(RATE, np.int16)])  # identical windows too
    listener = SileroVad(model)
    check = listener.reader()
    runs = 0
    run = model.run

    def counted(*args: object) -> object:
        nonlocal runs
        runs += 1
        return run(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(model, "run", counted)
    windows = [audio[i : i + WINDOW] for i in range(0, len(audio) - WINDOW + 1, WINDOW)]
    heard, read = [], []
    for start in range(0, len(windows), 3):  # the reader asks after the source scored a few (a wake-word chunk)
        heard += [listener.probability(w) for w in windows[start : start + 3]]
        read += [check.probability(w) for w in windows[start : start + 3]]
    assert read == heard and runs == len(windows)
    check.reset()  # (the wake word's reset) reads on from the source's present place
    probability = listener.probability(windows[40])
    assert check.probability(windows[40]) == probability and runs == len(windows) + 1


def test_a_reader_ahead_of_its_source_scores_with_a_stream_of_its_own(model: SileroModel, speech: np.ndarray) -> None:
    reader = SileroVad(model).reader()
    np.testing.assert_allclose(window_probabilities(reader, speech), window_probabilities(SileroVad(model), speech))

def test_real_speech_between_silences_gives_one_turn_with_pre_roll(model: SileroModel, speech: np.ndarray) -> None:
    audio = np.concatenate([np.zeros(2 * RATE, np.int16), speech, np.zeros(2 * RATE, np.int16)])
    detector = SpeechDetector(SileroVad(model), SpeechSegmenter(min_speech_ms=250, hangover_ms=500, pre_roll_ms=300))
    events = detector.feed(audio) + detector.finish()
    assert [type(e) for e in events] == [SpeechStart, SpeechEnd]
    start, end = events
    speech_end = 2 * RATE + len(speech)
    assert 2 * RATE - WINDOW <= start.sample <= 2 * RATE + 0.2 * RATE
    assert start.audio_from == start.sample - 0.3 * RATE
    assert start.decided_at - start.sample >= 0.25 * RATE
    assert speech_end - 0.3 * RATE <= end.sample <= speech_end + 0.2 * RATE
    assert end.decided_at - end.sample == pytest.approx(0.5 * RATE, abs=WINDOW)


def test_noise_gives_no_turn(model: SileroModel, noise: np.ndarray) -> None:
    detector = SpeechDetector(SileroVad(model), SpeechSegmenter())
    assert detector.feed(noise) + detector.finish() == []


# ---------------------------------------------------------------------------------- synthetic probabilities


def push_all(segmenter: SpeechSegmenter, probabilities: list[float], **kwargs: float) -> list:
    return [event for p in probabilities for event in segmenter.push(p, **kwargs)]


def test_speech_shorter_than_min_speech_starts_nothing() -> None:
    segmenter = SpeechSegmenter(min_speech_ms=250)
    assert push_all(segmenter, [0.0] * 5 + [0.9] * 7 + [0.0] * 20) == []  # 224 ms: a cough


def test_speech_starts_once_min_speech_is_reached_with_pre_roll() -> None:
    segmenter = SpeechSegmenter(min_speech_ms=250, pre_roll_ms=300)
    events = push_all(segmenter, [0.0] * 20 + [0.9] * 8)
    assert events == [SpeechStart(sample=20 * WINDOW, audio_from=20 * WINDOW - 4800, decided_at=28 * WINDOW)]


def test_pre_roll_does_not_reach_before_the_stream() -> None:
    events = push_all(SpeechSegmenter(min_speech_ms=0, pre_roll_ms=300), [0.9])
    assert events == [SpeechStart(sample=0, audio_from=0, decided_at=WINDOW)]


def test_a_dip_to_silence_before_min_speech_drops_the_candidate() -> None:
    segmenter = SpeechSegmenter(min_speech_ms=250)
    assert push_all(segmenter, [0.9] * 6 + [0.1] + [0.9] * 6) == []
    # A dip that stays above the lower hysteresis level (threshold - 0.15) keeps it.
    assert push_all(SpeechSegmenter(min_speech_ms=250), [0.9] * 6 + [0.4] + [0.9] * 2)[0].sample == 0


def test_speech_ends_after_the_hangover_of_silence() -> None:
    segmenter = SpeechSegmenter(min_speech_ms=0, hangover_ms=700)
    speech = push_all(segmenter, [0.9] * 30)
    gap = push_all(segmenter, [0.1] * 10 + [0.9])  # 320 ms of silence, then speech again: still one turn
    tail = push_all(segmenter, [0.1] * 40)
    assert [type(e) for e in speech] == [SpeechStart] and gap == []
    # 22 windows (704 ms) of silence are the first to reach the 700 ms hangover.
    assert tail == [SpeechEnd(sample=41 * WINDOW, decided_at=(41 + 22) * WINDOW)]
    assert not segmenter.speaking


def test_the_hangover_can_be_changed_per_call() -> None:
    """Turn-taking shortens the hangover when the transcript looks complete."""
    default = SpeechSegmenter(min_speech_ms=0, hangover_ms=1200)
    short = SpeechSegmenter(min_speech_ms=0, hangover_ms=1200)
    for segmenter in (default, short):
        push_all(segmenter, [0.9] * 10)
    long_end = push_all(default, [0.1] * 60)
    short_end = push_all(short, [0.1] * 60, hangover_ms=350)
    assert long_end[0].sample == short_end[0].sample == 10 * WINDOW
    assert short_end[0].decided_at - short_end[0].sample == 11 * WINDOW  # 352 ms: the first window >= 350 ms
    assert long_end[0].decided_at - long_end[0].sample == 38 * WINDOW  # 1216 ms


def test_dropped_speech_ends_without_an_event_and_what_follows_starts_anew() -> None:
    """After a wake word the command is speech of its own: its start, not the wake word's, opens the turn."""
    segmenter = SpeechSegmenter(min_speech_ms=250, pre_roll_ms=0)
    assert [type(e) for e in push_all(segmenter, [0.9] * 20)] == [SpeechStart]  # the wake word
    segmenter.drop_speech()
    assert not segmenter.speaking and segmenter.silence_from is None
    assert push_all(segmenter, [0.1] * 5) == []  # no end event for the dropped speech
    events = push_all(segmenter, [0.9] * 8)  # the command
    assert events == [SpeechStart(sample=25 * WINDOW, audio_from=25 * WINDOW, decided_at=33 * WINDOW)]
    # In one breath: the voice going on after the drop is a new start once it lasts min_speech.
    segmenter.drop_speech()
    assert push_all(segmenter, [0.9] * 8) == [SpeechStart(sample=33 * WINDOW, audio_from=33 * WINDOW,
                                                          decided_at=41 * WINDOW)]

def test_finish_closes_open_speech() -> None:
    segmenter = SpeechSegmenter(min_speech_ms=0)
    push_all(segmenter, [0.9] * 5 + [0.1] * 3)
    assert segmenter.finish() == [SpeechEnd(sample=5 * WINDOW, decided_at=8 * WINDOW)]
    assert segmenter.finish() == []


def test_frames_must_be_int16(model: SileroModel) -> None:
    detector = SpeechDetector(SileroVad(model), SpeechSegmenter())
    with pytest.raises(ValueError, match="int16"):
        detector.feed(np.zeros(512, np.float32))


# ---------------------------------------------------------------------------------------- bad model files


def test_bad_model_files_give_a_model_error_naming_the_file(tmp_path: Path, shared_models: Path) -> None:
    real = shared_models / "vad" / "silero_vad.onnx"
    with pytest.raises(ModelError, match=r"missing\.onnx: Silero VAD model .* not found"):
        SileroModel(tmp_path / "missing.onnx")
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(ModelError, match=r"empty\.onnx: .* is empty"):
        SileroModel(tmp_path / "empty.onnx")
    (tmp_path / "cut.onnx").write_bytes(real.read_bytes()[: real.stat().st_size // 2])
    with pytest.raises(ModelError, match=r"cut\.onnx: ONNX Runtime cannot load this Silero VAD model"):
        SileroModel(tmp_path / "cut.onnx")
    wrong = shutil.copy(shared_models / "wakeword" / "melspectrogram.onnx", tmp_path / "vad.onnx")
    with pytest.raises(ModelError, match=r"vad\.onnx: wrong model: the Silero VAD .* needs inputs input\[\?,\?\]"):
        SileroModel(wrong)
    with pytest.raises(ModelError, match="must be a file"):
        SileroModel(tmp_path)
