"""openWakeWord's ONNX chain on real recordings: detections, several words, refractory period, patience, VAD check."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.audio_files import find_audio_files, read_audio
from assistant.bench.wake import background
from assistant.config import Config, WakeConfig
from assistant.errors import ModelError
from assistant.selection import WakeChoice, WakeWordChoice
from assistant.speech.vad import SileroVad
from assistant.speech.wake import (
    CHUNK,
    WARMUP_SAMPLES,
    OpenWakeWord,
    WakeClassifier,
    WakeDetection,
    WakeFeatures,
    word_name,
)

RATE = 16000
WORDS = ("alexa", "hey_jarvis", "hey_mycroft")


@pytest.fixture(scope="module")
def wake_dir(shared_models: Path) -> Path:
    return shared_models / "wakeword"


@pytest.fixture(scope="module")
def features(wake_dir: Path) -> WakeFeatures:
    return WakeFeatures(wake_dir / "melspectrogram.onnx", wake_dir / "embedding_model.onnx")


@pytest.fixture(scope="module")
def classifiers(wake_dir: Path) -> dict[str, WakeClassifier]:
    return {word: WakeClassifier(wake_dir / f"{word}_v0.1.onnx") for word in WORDS}


@pytest.fixture(scope="module")
def vad(shared_models: Path) -> SileroVad:
    return SileroVad.load(shared_models / "vad" / "silero_vad.onnx")


@pytest.fixture(scope="module")
def wake_audio(shared_audio: Path) -> Path:
    return shared_audio / "wakeword"


def padded(clip: np.ndarray, seconds: float = 1.0) -> np.ndarray:
    silence = np.zeros(round(seconds * RATE), np.int16)
    return np.concatenate([silence, clip, silence])


def test_word_names_come_from_the_classifier_files() -> None:
    assert word_name(Path("/m/hey_jarvis_v0.1.onnx")) == "hey_jarvis"
    assert word_name(Path("alexa.onnx")) == "alexa"
    assert word_name(Path("x/timer_v12.onnx")) == "timer"


def test_each_word_is_detected_in_its_own_real_clips_only(
    features: WakeFeatures, classifiers: dict[str, WakeClassifier], wake_audio: Path
) -> None:
    detector = OpenWakeWord(features, list(classifiers.values()))
    alexa_clips = find_audio_files([wake_audio / "positive" / "picovoice_alexa"])[:6]
    mycroft_clip = wake_audio / "positive" / "openwakeword" / "hey_mycroft_test.wav"
    for clip, word in [*((c, "alexa") for c in alexa_clips), (mycroft_clip, "hey_mycroft")]:
        detector.reset()
        detections = detector.feed(padded(read_audio(clip)))
        assert [d.word for d in detections] == [word], clip.name
        assert detections[0].score >= 0.5


def test_negative_clips_wake_nothing(
    features: WakeFeatures, classifiers: dict[str, WakeClassifier], wake_audio: Path
) -> None:
    detector = OpenWakeWord(features, list(classifiers.values()))
    negatives = find_audio_files([wake_audio / "negative"])[::3]  # 16 clips: words, digits, confusable phrases
    assert len(negatives) >= 15
    for clip in negatives:
        detector.reset()
        assert detector.feed(padded(read_audio(clip))) == [], clip.name


def test_several_words_in_one_stream_are_reported_in_order_at_their_positions(
    features: WakeFeatures, classifiers: dict[str, WakeClassifier], wake_audio: Path
) -> None:
    alexa = read_audio(wake_audio / "positive" / "picovoice_alexa" / "0.flac")
    mycroft = read_audio(wake_audio / "positive" / "openwakeword" / "hey_mycroft_test.wav")
    gap = np.zeros(2 * RATE, np.int16)
    stream = np.concatenate([gap, alexa, gap, mycroft, gap])
    detector = OpenWakeWord(features, list(classifiers.values()))
    detections = detector.feed(stream)
    assert [d.word for d in detections] == ["alexa", "hey_mycroft"]
    alexa_end = len(gap) + len(alexa)
    mycroft_start, mycroft_end = alexa_end + len(gap), alexa_end + len(gap) + len(mycroft)
    assert len(gap) < detections[0].sample <= alexa_end + RATE
    assert mycroft_start < detections[1].sample <= mycroft_end + RATE
    assert all(d.sample % CHUNK == 0 for d in detections)


def test_odd_sized_frames_give_the_same_detections_as_one_call(
    features: WakeFeatures, classifiers: dict[str, WakeClassifier], wake_audio: Path
) -> None:
    audio = padded(read_audio(wake_audio / "positive" / "picovoice_alexa" / "10.flac"))
    detector = OpenWakeWord(features, [classifiers["alexa"]])
    whole = detector.feed(audio)
    detector.reset()
    streamed: list[WakeDetection] = []
    for start in range(0, len(audio), 999):
        streamed += detector.feed(audio[start : start + 999])
    assert len(whole) == 1
    assert streamed == whole


def test_the_refractory_period_suppresses_repeats(
    features: WakeFeatures, classifiers: dict[str, WakeClassifier], wake_audio: Path
) -> None:
    clip = read_audio(wake_audio / "positive" / "picovoice_alexa" / "2.flac")  # 2.4 s
    twice = padded(np.concatenate([clip, clip]))
    every_chunk = OpenWakeWord(features, [classifiers["alexa"]], refractory_s=0.0).feed(twice)
    once_per_word = OpenWakeWord(features, [classifiers["alexa"]], refractory_s=1.5).feed(twice)
    once = OpenWakeWord(features, [classifiers["alexa"]], refractory_s=10.0).feed(twice)
    assert len(every_chunk) > 4  # the score stays above the threshold for several chunks
    assert len(once_per_word) == 2
    assert once == once_per_word[:1] == every_chunk[:1]
    assert once_per_word[1].sample - once_per_word[0].sample >= 1.5 * RATE


def test_scores_of_the_first_second_are_ignored(
    features: WakeFeatures, classifiers: dict[str, WakeClassifier], wake_audio: Path
) -> None:
    """Right after start the classifier sees the primed buffers, not audio: nothing may be detected there."""
    clip = read_audio(wake_audio / "positive" / "picovoice_alexa" / "0.flac")
    detector = OpenWakeWord(features, [classifiers["alexa"]])
    warmup_chunks = WARMUP_SAMPLES // CHUNK
    for start in range(0, warmup_chunks * CHUNK, CHUNK):
        assert detector.feed(clip[start : start + CHUNK]) == []
        assert detector.last_scores["alexa"] == 0.0
    detector.feed(clip[warmup_chunks * CHUNK : (warmup_chunks + 1) * CHUNK])
    assert detector.last_scores["alexa"] > 0.0  # scored from here on


def test_the_vad_check_keeps_noise_alone_from_waking_it(
    features: WakeFeatures, classifiers: dict[str, WakeClassifier], vad: SileroVad, shared_audio: Path,
    wake_audio: Path,
) -> None:
    # Pink noise scores up to ~0.1 for alexa: with a threshold of 0.05 it wakes the detector without speech.
    noise = read_audio(shared_audio / "noise" / "speech_commands_bg" / "pink_noise.wav")[: 20 * RATE]
    eager = WakeClassifier(classifiers["alexa"].path, threshold=0.05)
    assert OpenWakeWord(features, [eager]).feed(noise), "the noise no longer triggers: pick another input"
    checked = OpenWakeWord(features, [eager], vad=vad)
    assert checked.feed(noise) == []
    # ... while the real word, which is speech, still gets through the check.
    checked.reset()
    clip = read_audio(wake_audio / "positive" / "picovoice_alexa" / "0.flac")
    assert [d.word for d in checked.feed(padded(clip))] == ["alexa"]


def test_patience_and_the_speech_check_stop_a_click_but_not_the_word(
    features: WakeFeatures, wake_dir: Path, vad: SileroVad, shared_audio: Path, wake_audio: Path
) -> None:
    """A click then "pause" scores 0.79, 0.86, 0.53 for alexa, with one VAD window near 0.5; a short "alexa"
    scores 0.38, 0.38, 0.68 over half a second of speech. The defaults tell them apart."""
    click = read_audio(shared_audio / "commands" / "speech_to_phrase" / "en" / "pause.wav")
    word = read_audio(wake_audio / "positive" / "picovoice_alexa" / "4.flac")

    def detections(audio: np.ndarray, threshold: float, patience: int, vad_speech_s: float | None) -> int:
        """`vad_speech_s` None: no VAD check. The check's VAD threshold is 0.4, so that the click's one
        window (0.48) counts as speech: what is tested is the amount of speech."""
        alexa = WakeClassifier(wake_dir / "alexa_v0.1.onnx", threshold=threshold, patience=patience)
        check = vad.fork() if vad_speech_s is not None else None
        detector = OpenWakeWord(features, [alexa], vad=check, vad_threshold=0.4, vad_speech_s=vad_speech_s or 0.0)
        pad = background(audio, RATE)  # the clip's own background, as bench wake pads it
        return len(detector.feed(np.concatenate([pad, audio, pad])))

    assert detections(click, 0.5, 1, None) == 1  # the old rule: a false accept
    assert detections(click, 0.5, 1, 0.0) == 1  # one window of speech passes the old check...
    assert detections(click, 0.5, 1, 0.25) == 0  # ... but is too little speech
    assert detections(click, 0.35, 3, None) == 1
    assert detections(click, 0.35, 4, None) == 0  # too short a peak
    assert detections(word, 0.35, 3, 0.25) == 1  # the defaults keep the short word...
    assert detections(word, 0.5, 2, 0.25) == 0  # ... which a higher threshold with patience would lose
    with pytest.raises(ValueError, match="patience must be at least 1"):
        WakeClassifier(wake_dir / "alexa_v0.1.onnx", patience=0)


def test_built_from_the_config_choice(wake_dir: Path, vad: SileroVad) -> None:
    choice = WakeChoice(
        "openwakeword", (WakeWordChoice("jarvis", wake_dir / "hey_jarvis_v0.1.onnx", 0.6, 2),), "test"
    )
    config = Config(wake=WakeConfig(refractory_s=3.0, vad_check=True, vad_speech_s=0.1))
    detector = OpenWakeWord.from_config(choice, config, vad.fork())
    assert [(c.name, c.threshold, c.patience) for c in detector.classifiers] == [("jarvis", 0.6, 2)]
    assert detector.refractory == 3 * RATE and detector.vad is not None
    assert detector.speech_windows == 4  # 0.1 s: 3.1 windows of 512 samples, rounded up
    with pytest.raises(ValueError, match="vad_check"):
        OpenWakeWord.from_config(choice, config)


# ---------------------------------------------------------------------------------------- bad model files


def test_bad_classifier_files_give_a_model_error_naming_the_file(
    tmp_path: Path, wake_dir: Path, shared_models: Path
) -> None:
    real = wake_dir / "alexa_v0.1.onnx"
    with pytest.raises(ModelError, match=r"gone_v0\.1\.onnx: openWakeWord classifier .* not found"):
        WakeClassifier(tmp_path / "gone_v0.1.onnx")
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(ModelError, match=r"empty\.onnx: .* is empty"):
        WakeClassifier(tmp_path / "empty.onnx")
    (tmp_path / "cut.onnx").write_bytes(real.read_bytes()[:200_000])
    with pytest.raises(ModelError, match=r"cut\.onnx: ONNX Runtime cannot load this openWakeWord classifier"):
        WakeClassifier(tmp_path / "cut.onnx")
    for wrong in (shared_models / "vad" / "silero_vad.onnx", wake_dir / "embedding_model.onnx"):
        with pytest.raises(ModelError, match=r"wrong model: the openWakeWord classifier .*\(any name\)\[1,\?,96\]"):
            WakeClassifier(wrong)


def test_a_classifier_without_its_front_end_beside_it_is_a_model_error(tmp_path: Path, wake_dir: Path) -> None:
    lone = shutil.copy(wake_dir / "alexa_v0.1.onnx", tmp_path / "alexa_v0.1.onnx")
    with pytest.raises(ModelError, match=r"melspectrogram\.onnx: openWakeWord melspectrogram model not found"):
        OpenWakeWord.load([WakeWordChoice("alexa", lone, 0.5)])
    # Front-end files swapped: each is checked against what its place in the chain needs.
    shutil.copy(wake_dir / "embedding_model.onnx", tmp_path / "melspectrogram.onnx")
    shutil.copy(wake_dir / "melspectrogram.onnx", tmp_path / "embedding_model.onnx")
    with pytest.raises(ModelError, match=r"melspectrogram\.onnx: wrong model: the openWakeWord melspectrogram"):
        OpenWakeWord.load([WakeWordChoice("alexa", lone, 0.5)])


def test_a_front_end_that_waits_for_speech_scores_and_detects_as_one_that_takes_every_chunk(
    features: WakeFeatures, wake_dir: Path, vad: SileroVad, shared_audio: Path, wake_audio: Path
) -> None:
    """While the VAD check cannot pass, the front end waits (the idle CPU): over silence and noise longer than
    the chunks it keeps (the noise right before a word, so that features left from before it would differ),
    other speech, a click and the words, with patience and a refractory period, it detects the same words at
    the same chunks, and scores every chunk the check passed on the same."""
    words = [WakeClassifier(wake_dir / "alexa_v0.1.onnx", threshold=0.35, patience=3),
             WakeClassifier(wake_dir / "hey_mycroft_v0.1.onnx", threshold=0.5, patience=2)]

    def silence(seconds: float) -> np.ndarray:
        return np.zeros(round(seconds * RATE), np.int16)

    tap = read_audio(shared_audio / "noise" / "speech_commands_bg" / "running_tap.wav")[: 3 * RATE].astype(float)
    noise = np.round(tap * 1000.0 / np.sqrt(np.mean(tap**2))).astype(np.int16)  # -30 dBFS: not speech to Silero
    other = read_audio(find_audio_files([wake_audio / "negative" / "precise_notwakeword_en"])[0])
    stream = np.concatenate([
        silence(2.5), read_audio(wake_audio / "positive" / "picovoice_alexa" / "0.flac"), silence(0.3), other,
        silence(4.0), noise, read_audio(wake_audio / "positive" / "openwakeword" / "hey_mycroft_test.wav"),
        silence(0.5), read_audio(wake_audio / "positive" / "picovoice_alexa" / "2.flac"),
        read_audio(shared_audio / "commands" / "speech_to_phrase" / "en" / "pause.wav"), silence(1.0),
    ])

    def run(waits: bool) -> tuple[list[WakeDetection], list[dict[str, float] | None]]:
        """The detections, and each chunk's scores where its VAD check passed (None elsewhere)."""
        detector = OpenWakeWord(features, words, refractory_s=1.0, vad=vad.fork(), vad_speech_s=0.25)
        detector.front_end_waits = waits
        detections: list[WakeDetection] = []
        scores: list[dict[str, float] | None] = []
        for start in range(0, len(stream) - CHUNK + 1, CHUNK):
            detections += detector.feed(stream[start : start + CHUNK])
            scores.append(dict(detector.last_scores) if detector.speech_heard() else None)
        return detections, scores

    every_chunk, every_score = run(False)
    waiting, waiting_score = run(True)
    assert {d.word for d in every_chunk} == {"alexa", "hey_mycroft"}
    assert waiting == every_chunk
    assert sum(s is None for s in every_score) > len(every_score) / 2  # the front end waited most of the time
    for index, (eager, lazy) in enumerate(zip(every_score, waiting_score, strict=True)):
        assert (lazy is None) == (eager is None)
        if eager is not None and lazy is not None:
            assert lazy == pytest.approx(eager, abs=1e-6), f"chunk {index}"
