"""`assistant bench vad` and `assistant bench wake` on a small subset of the shared recordings, as JSON."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.audio_files import read_audio
from assistant.bench.wake import background, binomial_upper, chunk_records, classify, poisson_upper, replay
from assistant.cli import main
from assistant.errors import EXIT_CONFIG, EXIT_FAILURE
from assistant.selection import WakeWordChoice
from assistant.speech.vad import SileroVad
from assistant.speech.wake import OpenWakeWord


@pytest.fixture(scope="module")
def vad(shared_models: Path) -> SileroVad:
    return SileroVad.load(shared_models / "vad" / "silero_vad.onnx")


def subset(folder: Path, files: list[Path]) -> Path:
    """A folder holding links to `files`: the benches search folders, so a subset is a folder."""
    folder.mkdir()
    for file in files:
        (folder / file.name).symlink_to(file)
    return folder


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_bench_vad_reports_onsets_false_starts_and_speed(
    clean_env: Path, shared_models: Path, shared_audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    speech = subset(clean_env / "speech", [
        shared_audio / "asr" / "en" / "ljspeech_LJ001-0002.wav",
        shared_audio / "asr" / "multi" / "uberi_french.aiff",  # 44.1 kHz AIFF: read through the resampler
    ])
    noise = subset(clean_env / "noise", [shared_audio / "noise" / "speechbrain_misc" / "noise2.wav"])
    report = run_json(capsys, [
        "bench", "vad", "--set", str(speech), "--noise", str(noise),
        "--model", str(shared_models / "vad" / "silero_vad.onnx"), "--json",
    ])
    assert report["benchmark"].startswith("bench vad")
    assert report["speech_clips"] == 2 and report["onsets_missed"] == 0
    assert report["false_starts"] == 0 and report["false_starts_per_min"] == 0
    assert report["meets_targets"] is True
    assert 0 < report["rtf"] < 1 and report["ms_per_window"] > 0
    assert [(r["kind"], r["file"]) for r in report["rows"]] == [
        ("speech", "ljspeech_LJ001-0002.wav"), ("speech", "uberi_french.aiff"), ("noise", "noise2.wav"),
    ]
    assert all(r["starts"] >= 1 and r["onset_s"] is not None for r in report["rows"][:2])


def test_bench_wake_reports_false_rejects_and_accepts_clean_and_in_noise(
    clean_env: Path, shared_models: Path, shared_audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wake = shared_audio / "wakeword"
    positives = subset(clean_env / "pos", [wake / "positive" / "picovoice_alexa" / f"{n}.flac" for n in (0, 2)])
    negatives = subset(clean_env / "neg", sorted((wake / "negative" / "speech_commands_digits").iterdir())[:3])
    noise = subset(clean_env / "noise", [shared_audio / "noise" / "speechbrain_misc" / "noise2.wav"])
    report = run_json(capsys, [
        "bench", "wake", "--model", str(shared_models / "wakeword" / "alexa_v0.1.onnx"),
        "--positives", str(positives), "--negatives", str(negatives), "--noise", str(noise), "--snr", "10",
        "--vad-model", str(shared_models / "vad" / "silero_vad.onnx"), "--sweep", "0.3,0.999",
        "--threshold", "0.5", "--patience", "1", "--json",
    ])
    assert report["word"] == "alexa" and report["phrase"] == "alexa"
    assert report["threshold"] == 0.5 and report["vad_check"] is True
    assert report["patience"] == 1 and report["vad_speech_s"] == 0.256  # the default: 8 VAD windows
    assert (report["positives"], report["negatives"], report["partials"]) == (2, 3, 0)
    assert report["fa_per_hour_step"] == pytest.approx(1 / report["negative_hours"], rel=0.1)
    assert [r["threshold"] for r in report["rows"]] == [0.3, 0.5, 0.999]  # the operating threshold joins the sweep
    operating = report["rows"][1]
    for condition in ("clean", "noise"):
        assert operating[f"{condition}_fr_pct"] == 0 and operating[f"{condition}_fa"] == 0
    assert operating["meets"] is True and report["meets_targets"] is True
    # All three pass with no error at all (the word scores 1.0): the best is the middle one.
    assert report["passing_thresholds"] == [0.3, 0.5, 0.999] and report["best_threshold"] == 0.5
    assert report["missed (clean)"] == "" and report["false accepts (noise 10 dB)"] == ""
    # Two positives and 0.003 h prove little: the bounds say so.
    assert report["fr_pct_upper95 (clean)"] == pytest.approx(77.6, abs=0.1)
    assert report["fa_per_hour_upper95 (clean)"] > 1000
    assert 0 < report["rtf"] < 1


def test_bench_wake_takes_its_clips_from_manifests(
    clean_env: Path, shared_models: Path, shared_audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wake = shared_audio / "wakeword"
    digit = wake / "negative" / "speech_commands_digits" / "two_fd9c7413_nohash_0.wav"
    files = {
        "a.flac": (wake / "positive" / "picovoice_alexa" / "2.flac", "positive:alexa"),
        "b.wav": (digit, "negative; said: two"),
        "c.wav": (digit, "the same recording under another name"),
        "d.flac": (wake / "positive" / "picovoice_alexa" / "3.flac", "alexa, what time is it"),
    }
    sets = clean_env / "sets" / "mine"
    sets.mkdir(parents=True)
    for name, (source, _) in files.items():
        (sets / name).symlink_to(source)
    (sets / "MANIFEST.tsv").write_text(
        "file\tlabel\n" + "".join(f"{name}\t{label}\n" for name, (_, label) in files.items())
    )
    report = run_json(capsys, [
        "bench", "wake", "--model", str(shared_models / "wakeword" / "alexa_v0.1.onnx"),
        "--sets", str(clean_env / "sets"), "--no-vad-check", "--sweep", "0.5", "--json",
    ])
    assert (report["positives"], report["negatives"], report["partials"]) == (1, 1, 1)
    assert report["duplicates_skipped"] == 1
    assert report["negative_hours"] == pytest.approx(1.0 / 3600, abs=1e-3)
    assert report["vad_check"] is False
    assert list(report["rows"][0]) == ["threshold", "clean_fr_pct", "clean_fa", "clean_fa_h", "meets"]
    assert report["partials woken (clean)"] == "1/1"  # "alexa, what time is it" names the word


def test_bench_wake_needs_labels_in_a_manifest(
    clean_env: Path, shared_models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (clean_env / "set").mkdir()
    (clean_env / "set" / "MANIFEST.tsv").write_text("file\tlang\na.wav\ten\n")
    code = main([
        "bench", "wake", "--model", str(shared_models / "wakeword" / "alexa_v0.1.onnx"), "--sets", str(clean_env),
    ])
    assert code == EXIT_FAILURE
    assert re.search(r"set/MANIFEST\.tsv: no 'label' column", capsys.readouterr().err)


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("positive:hey jarvis", "positive"),
        ("positive:Hey Jarvis (said slowly)", "positive"),
        ("positive:jarvis", "partial"),
        ("positive:hey jane", "negative"),
        ("negative; said: jarvis", "partial"),
        ("turn on the living room lamp", "negative"),
        ("", "negative"),
    ],
)
def test_manifest_labels_are_sorted_by_the_word(label: str, kind: str) -> None:
    assert classify(label, "hey jarvis") == kind


@pytest.mark.slow  # ~5 s: eight passes over 9 s of audio
def test_replayed_detections_are_the_detectors_own(shared_models: Path, shared_audio: Path, vad: SileroVad) -> None:
    wake = shared_audio / "wakeword" / "positive" / "picovoice_alexa"
    clips = [
        read_audio(wake / "0.flac"),  # the word, held for many chunks
        read_audio(wake / "4.flac"),  # a short peak (0.38, 0.38, 0.68): patience decides
        read_audio(shared_audio / "commands" / "speech_to_phrase" / "en" / "pause.wav"),  # a click: one VAD window
    ]
    audio = np.concatenate([background(clips[0], 16000), *clips, clips[0], background(clips[0], 16000)])
    classifier = shared_models / "wakeword" / "alexa_v0.1.onnx"

    def detector(threshold: float, patience: int, refractory_s: float, vad_speech_s: float) -> OpenWakeWord:
        return OpenWakeWord.load(
            [WakeWordChoice("alexa", classifier, threshold, patience)], refractory_s=refractory_s,
            vad=vad.fork(), vad_speech_s=vad_speech_s,
        )

    counts = []
    for vad_speech_s, settings in [
        (0.0, [(0.5, 1, 0.0), (0.35, 3, 0.16), (0.5, 2, 2.0)]),  # 0.16 s: exactly 2 chunks
        (0.25, [(0.5, 1, 0.16), (0.35, 3, 2.0), (0.9, 1, 0.0)]),
    ]:
        scores, speech = chunk_records(detector(0.0, 1, 0.0, vad_speech_s), audio)
        for threshold, patience, refractory_s in settings:
            real = detector(threshold, patience, refractory_s, vad_speech_s).feed(audio)
            replayed = replay(scores, speech, threshold, patience, round(refractory_s * 16000))
            assert replayed == len(real), (threshold, patience, refractory_s, vad_speech_s)
            counts.append(replayed)
    assert len(set(counts)) > 2  # the settings make a difference on this audio, or the test proves nothing


def test_replay_counts_runs_of_patience_and_waits_for_the_vad_check() -> None:
    scores = np.array([0, 0.6, 0.6, 0.2, 0.6, 0.6, 0.6, 0.6, 0, 0.6, 0.6, 0.6], np.float32)
    speech = np.array([1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1], bool)
    assert replay(scores, speech, 0.5, 1, 0) == 8  # every chunk at or above 0.5 but chunk 6 (no speech)
    assert replay(scores, speech, 0.5, 2, 0) == 4  # chunks 2, 5, 7, 10: a detection starts a new run
    assert replay(scores, speech, 0.5, 3, 0) == 2  # chunk 7 (the run reached 3 at 6, which fails the check), 11
    assert replay(scores, speech, 0.5, 5, 0) == 0  # no run of 5
    assert replay(scores, speech, 0.5, 2, 3 * 1280) == 3  # 2 (silences 3, 4), 7 (silences 8, 9), 11


def test_padding_is_the_clips_own_quietest_stretch() -> None:
    rng = np.random.default_rng(0)
    clip = np.concatenate([rng.normal(0, 3000, 8000), rng.normal(0, 30, 8000), rng.normal(0, 3000, 8000)])
    pad = background(clip.astype(np.int16), 16000)
    assert len(pad) == 16000 and 20 < np.std(pad) < 40  # the quiet middle, never digital silence
    assert not background(np.zeros(0, np.int16), 5).any()


def test_confidence_bounds() -> None:
    assert poisson_upper(0) == pytest.approx(-math.log(0.05), rel=1e-6)
    assert poisson_upper(1) == pytest.approx(4.744, abs=1e-3)
    assert binomial_upper(0, 28) == pytest.approx(1 - 0.05 ** (1 / 28), rel=1e-6)
    assert binomial_upper(3, 3) == 1.0


def test_bench_wake_explains_a_model_it_cannot_find(
    clean_env: Path, shared_audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clips = str(shared_audio / "wakeword" / "positive" / "openwakeword")
    code = main(["bench", "wake", "--model", str(clean_env / "nope.onnx"), "--positives", clips, "--negatives", clips])
    assert code == EXIT_CONFIG
    assert re.search(r"nope\.onnx.*no such file", capsys.readouterr().err)


def test_bench_vad_explains_an_empty_folder(
    clean_env: Path, shared_models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (clean_env / "empty").mkdir()
    code = main([
        "bench", "vad", "--set", str(clean_env / "empty"), "--noise", str(clean_env / "empty"),
        "--model", str(shared_models / "vad" / "silero_vad.onnx"),
    ])
    assert code == EXIT_FAILURE
    assert "no audio files found" in capsys.readouterr().err
