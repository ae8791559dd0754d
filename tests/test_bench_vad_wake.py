"""`assistant bench vad` and `assistant bench wake` on a small subset of the shared recordings, as JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import main
from assistant.errors import EXIT_CONFIG, EXIT_FAILURE


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
        "--vad-model", str(shared_models / "vad" / "silero_vad.onnx"), "--json",
    ])
    assert report["word"] == "alexa" and report["threshold"] == 0.5 and report["vad_check"] is True
    assert report["positives"] == 2
    clean, noisy = report["rows"]
    assert (clean["condition"], noisy["condition"]) == ("clean", "noise 10 dB")
    for row in (clean, noisy):
        assert row["detected"] == 2 and row["false_reject_pct"] == 0
        assert row["false_accepts"] == 0 and row["fa_per_hour"] == 0
        assert 0 < row["negative_h"] < 0.01 and 0 < row["rtf"] < 1


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
