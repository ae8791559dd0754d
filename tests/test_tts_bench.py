"""`assistant bench tts` times the voice and the Piper stand-in, and prints figures scripts can read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import EXIT_OK


def test_json_figures_for_espeak_and_the_piper_standin(
    clean_env: Path, shared_models: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("onnx", reason="the onnx package (test extra) builds the stand-in voice")
    monkeypatch.setenv("ASSISTANT_SHARED_MODELS", str(shared_models))
    monkeypatch.setenv("ASSISTANT_STANDIN_CACHE", str(clean_env / "standins"))
    assert main(["bench", "tts", "--engine", "espeak", "--runs", "1", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["benchmark"] == "text-to-speech"
    assert report["runs"] == 1
    rows = {(row["voice"], row["text"]): row for row in report["rows"]}
    assert set(rows) == {(v, t) for v in ("configured", "standin") for t in ("short", "long")}
    assert rows["configured", "short"]["engine"].startswith("espeak-ng")
    assert rows["standin", "short"]["engine"].startswith("piper")
    for row in rows.values():
        assert 0 < row["first_audio_ms"] <= 1000 * row["synth_s"] + 1e-6
        assert row["rtf"] == pytest.approx(row["synth_s"] / row["audio_s"])
    assert rows["configured", "long"]["audio_s"] > 2 * rows["configured", "short"]["audio_s"]


def test_table_without_the_standin(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "tts", "--engine", "espeak", "--runs", "1", "--no-standin"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("text-to-speech\n")
    assert "first_audio_ms" in out and "skipped (--no-standin)" in out


def test_runs_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "tts", "--runs", "0"])
    assert "must be at least 1" in capsys.readouterr().err
