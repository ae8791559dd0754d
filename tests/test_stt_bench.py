"""`assistant bench stt --set DIR`: WER against a set's MANIFEST.tsv, real-time factor, per-file rows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import EXIT_FAILURE, EXIT_OK

HEADER = "file\tduration_s\tsample_rate\tchannels\tformat\tlabel\tlang\n"


@pytest.fixture()
def recording_set(tmp_path: Path, shared_audio: Path) -> Path:
    """Two English commands with transcripts, one file without (a description in <>), one German file."""
    source = shared_audio / "commands"
    for name in ("pocketsphinx/goforward.wav", "pocketsphinx/cards_001.wav", "speech_to_phrase/en/oov_2.wav"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / name, tmp_path / name)
    shutil.copy(shared_audio / "asr" / "multi" / "leopard_test_de.wav", tmp_path / "de.wav")
    (tmp_path / "MANIFEST.tsv").write_text(
        HEADER
        + "pocketsphinx/goforward.wav\t2.786\t16000\t1\tWAV\tgo forward ten meters\ten\n"
        + "pocketsphinx/cards_001.wav\t1.095\t16000\t1\tWAV\tten of clubs\ten\n"
        + "speech_to_phrase/en/oov_2.wav\t10.6\t16000\t1\tWAV\t<out-of-vocabulary: expect empty/no intent>\ten\n"
        + "de.wav\t5.256\t16000\t1\tWAV\tDer hinter diesem Portal liegenden Raum\tde\n"
    )
    return tmp_path


def _bench(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(["bench", "stt", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.startswith("{") else {"text": out}), err


def test_scores_the_files_with_a_transcript_in_the_language(
    clean_env: Path, recording_set: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _ = _bench(capsys, "--set", str(recording_set), "--no-standin", "--json")
    assert code == EXIT_OK
    assert report["benchmark"] == "speech-to-text"
    assert (report["files"], report["skipped"], report["reference_words"]) == (2, 2, 7)
    assert report["wer"] == 0.0  # pocketsphinx gets both of these right
    assert report["engine"] == "pocketsphinx (en-us)"
    assert report["audio_s"] == pytest.approx(2.786 + 1.095, abs=0.01)
    assert 0 < report["rtf"] == pytest.approx(report["compute_s"] / report["audio_s"])
    assert [row["file"] for row in report["rows"]] == ["pocketsphinx/goforward.wav", "pocketsphinx/cards_001.wav"]
    assert set(report["rows"][0]) == {"file", "audio_s", "rtf", "wer", "errors", "words", "text"}
    assert report["standin"] == "skipped"


def test_live_mode_and_limit(clean_env: Path, recording_set: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = _bench(capsys, "--set", str(recording_set), "--live", "--limit", "1", "--no-standin", "--json")
    assert code == EXIT_OK
    assert (report["files"], report["mode"]) == (1, "live, 20 ms blocks")
    assert report["rows"][0]["text"].startswith("go forward ten")  # live, the first utterance ends "ten years"


def test_the_table_shows_a_row_per_file(
    clean_env: Path, recording_set: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _ = _bench(capsys, "--set", str(recording_set), "--no-standin")
    assert code == EXIT_OK
    table = report["text"]
    assert table.startswith("speech-to-text\nfile")
    assert "pocketsphinx/goforward.wav" in table and "go forward ten meters" in table
    assert "wer" in table and "rtf" in table


def test_a_set_without_files_in_the_language_says_so(
    clean_env: Path, recording_set: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _bench(capsys, "--set", str(recording_set), "--lang", "fr", "--no-standin")
    assert code == EXIT_FAILURE
    assert "no file with a transcript in language 'fr' (--lang)" in err


def test_a_folder_without_a_manifest_says_what_a_set_is(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _bench(capsys, "--set", str(tmp_path), "--no-standin")
    assert code == EXIT_FAILURE
    assert f"{tmp_path}: no MANIFEST.tsv here" in err


@pytest.mark.slow
def test_the_whisper_tiny_en_standin_is_timed_alongside(
    clean_env: Path, recording_set: Path, shared_models: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("pywhispercpp")
    monkeypatch.setenv("ASSISTANT_SHARED_MODELS", str(shared_models))
    code, report, _ = _bench(capsys, "--set", str(recording_set), "--json")
    assert code == EXIT_OK
    assert report["standin"].startswith("whisper.cpp (ggml-tiny.en-standin")
    assert "2 files" in report["standin"]
    assert report["standin_rtf"] > 0 and report["standin_s_per_utterance"] > 0
