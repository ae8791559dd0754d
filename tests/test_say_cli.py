"""`assistant say` writes what it says to a WAV file, or explains how to when there is no speaker."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile

from assistant.cli import main
from assistant.errors import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from assistant.testing import standins


def _read(path: Path) -> tuple[np.ndarray, int]:
    info = soundfile.info(path)
    assert (info.format, info.subtype, info.channels) == ("WAV", "PCM_16", 1)
    return soundfile.read(path, dtype="int16")


def test_espeak_to_a_wav_file(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = clean_env / "hello.wav"
    assert main(["say", "Hello there. How are you today?", "--engine", "espeak", "--out", str(out)]) == EXIT_OK
    pcm, rate = _read(out)
    assert rate == 22050
    assert 1.0 < len(pcm) / rate < 5.0
    assert f"{out}: " in capsys.readouterr().out


def test_piper_voice_to_a_wav_file(clean_env: Path, shared_models: Path) -> None:
    pytest.importorskip("onnx", reason="the onnx package (test extra) builds the stand-in voice")
    voice = standins.piper_voice(cache_dir=clean_env / "standins", shared_models=shared_models)
    out = clean_env / "piper.wav"
    assert main(["say", "Turn on the lights.", "--voice", str(voice), "--out", str(out)]) == EXIT_OK
    pcm, rate = _read(out)
    assert rate == 16000 and len(pcm) > 4000


def test_text_from_standard_input(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Read from the pipe.\n"))
    out = clean_env / "stdin.wav"
    assert main(["say", "-", "--engine", "espeak", "--out", str(out)]) == EXIT_OK
    assert len(_read(out)[0]) > 22050 // 2


def test_engine_chosen_from_the_config_when_not_given(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No Piper voice is installed in an empty models folder, so the selection falls back to espeak-ng.
    monkeypatch.setenv("ASSISTANT_MODELS_DIR", str(clean_env / "models"))
    out = clean_env / "auto.wav"
    assert main(["say", "Hello.", "--out", str(out)]) == EXIT_OK
    assert _read(out)[1] == 22050


def test_unwritable_output_is_a_clear_error(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = clean_env / "no-such-folder" / "x.wav"
    assert main(["say", "Hello.", "--engine", "espeak", "--out", str(out)]) == EXIT_FAILURE
    assert f"cannot write {out}" in capsys.readouterr().err


def test_piper_voice_with_espeak_engine_is_refused(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["say", "Hi.", "--engine", "espeak", "--voice", "v.onnx"]) == EXIT_CONFIG
    assert "tts.espeak_voice" in capsys.readouterr().err


def test_without_a_sound_card_it_suggests_a_file(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sounddevice = pytest.importorskip("sounddevice")
    try:
        sounddevice.query_devices(kind="output")
        pytest.skip("this machine has a sound output; the test would play aloud")
    except (sounddevice.PortAudioError, ValueError):
        pass
    assert main(["say", "Hello.", "--engine", "espeak"]) == EXIT_FAILURE
    assert "--out FILE.wav" in capsys.readouterr().err
