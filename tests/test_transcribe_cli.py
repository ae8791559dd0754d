"""`assistant transcribe FILE...`: text per file, JSON per file, any audio format, and failures that name the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from assistant.audio_files import read_audio, resample
from assistant.cli import main
from assistant.errors import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from assistant.testing import standins
from assistant.text_norm import normalize


@pytest.fixture()
def go_forward(shared_audio: Path) -> Path:
    return shared_audio / "commands" / "pocketsphinx" / "goforward.wav"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(["transcribe", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_one_file_prints_its_text(clean_env: Path, go_forward: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = _run(capsys, str(go_forward))
    assert (code, lines) == (EXIT_OK, ["go forward ten meters"])


def test_any_format_rate_and_channel_count(
    clean_env: Path, go_forward: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mono = read_audio(go_forward) / 32768.0
    stereo_44k = resample(mono, 16000, 44100)
    flac = tmp_path / "go forward.flac"
    soundfile.write(flac, np.column_stack([stereo_44k, stereo_44k]), 44100, subtype="PCM_24")
    ogg = tmp_path / "go_forward_22k.ogg"
    soundfile.write(ogg, resample(mono, 16000, 22050), 22050, format="OGG", subtype="VORBIS")
    code, lines, _ = _run(capsys, str(flac), str(ogg))
    assert code == EXIT_OK
    assert [line.split(": ", 1)[0] for line in lines] == [str(flac), str(ogg)]  # several files: FILE: text
    assert normalize(lines[0].split(": ", 1)[1]) == "go forward 10 meters"
    assert "forward" in lines[1]


def test_json_gives_text_language_words_and_timing(
    clean_env: Path, go_forward: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, _ = _run(capsys, "--json", str(go_forward))
    assert code == EXIT_OK
    (record,) = [json.loads(line) for line in lines]
    assert record["file"] == str(go_forward)
    assert record["text"] == "go forward ten meters"
    assert record["language"] == "en"
    assert [w["text"] for w in record["words"]] == ["go", "forward", "ten", "meters"]
    assert set(record["words"][0]) == {"text", "start_s", "end_s", "conf"}
    assert record["audio_s"] == pytest.approx(2.786, abs=0.001)
    assert 0 < record["compute_s"] < record["audio_s"]
    assert record["engine"] == "pocketsphinx (en-us)"


def test_a_file_that_cannot_be_read_is_named_and_the_others_still_transcribed(
    clean_env: Path, go_forward: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("this is not a recording")
    missing = tmp_path / "missing.wav"
    code, lines, err = _run(capsys, str(not_audio), str(go_forward), str(missing))
    assert code == EXIT_FAILURE
    assert lines == [f"{go_forward}: go forward ten meters"]
    assert f"{not_audio}: cannot read this audio file" in err
    assert f"{missing}: no such file or folder" in err


def test_a_folder_is_searched_for_audio_files(
    clean_env: Path, shared_audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shared_audio / "commands" / "pocketsphinx"
    code, lines, _ = _run(capsys, str(folder))
    assert code == EXIT_OK
    assert [line.split(": ")[0] for line in lines] == [str(p) for p in sorted(folder.glob("*.wav"))]


def test_the_whisper_engine_with_a_model_file(
    clean_env: Path, go_forward: Path, shared_models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pywhispercpp")
    model = standins.whisper_ggml("tiny.en", shared_models=shared_models)
    code, lines, _ = _run(capsys, "--json", "--engine", "whisper", "--model", str(model), str(go_forward))
    assert code == EXIT_OK
    record = json.loads(lines[0])
    assert record["engine"].startswith("whisper.cpp (ggml-tiny.en")
    assert record["language"] == "en"  # random weights: the words are garbage, the rest is real


def test_a_bad_model_is_a_configuration_error_before_any_file(
    clean_env: Path, go_forward: Path, shared_models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header_only = shared_models / "whisper" / "for-tests-ggml-tiny.en.bin"
    code, lines, err = _run(capsys, "--model", str(header_only), str(go_forward))
    assert (code, lines) == (EXIT_CONFIG, [])
    assert f"{header_only}: the file has a whisper.cpp header and vocabulary but no weights" in err


def test_a_language_the_engine_lacks_is_a_configuration_error(
    clean_env: Path, go_forward: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "--engine", "sphinx", "--language", "de", str(go_forward))
    assert code == EXIT_CONFIG
    assert 'stt.language = "de"' in err
