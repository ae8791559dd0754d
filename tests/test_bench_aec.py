"""`assistant bench aec`: one JSON object with ERLE, near-end fidelity and speed, from a set or from files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from assistant.audio_files import resample, to_int16
from assistant.cli import main

SET = ("echo", "aec_challenge_via_mediastreamer2")


@pytest.fixture()
def aec_dir(shared_audio: Path, clean_env: Path) -> Path:
    return shared_audio.joinpath(*SET)


def bench(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["bench", "aec", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_set_of_triplets_gives_one_json_object_with_every_figure(
    aec_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = bench(capsys, "--set", str(aec_dir), "--settle-s", "5")
    assert result["benchmark"].startswith("bench aec")
    assert result["recordings"] == 2 and result["playback_delay_ms"] == "auto"
    assert {row["name"] for row in result["rows"]} == {"simple_talk", "double_talk"}
    for row in result["rows"]:
        assert row["erle_db"] >= 22, row  # measured 27.8 and 29.7 dB
        assert row["erle_all_db"] < row["erle_db"]  # the first seconds, while converging, count there
        assert row["near_corr"] > 0.95 and row["near_snr_out_db"] > 10, row
        assert row["delay_ms"] == pytest.approx(29, abs=1) and row["compensated_ms"] == 0
        assert 0 < row["cpu_pct"] < 100 and 0 < row["rtf"] < 1
    double = next(r for r in result["rows"] if r["name"] == "double_talk")
    assert double["near_snr_out_db"] > double["near_snr_in_db"] + 10  # the echo over the talker is gone
    assert result["meets_target"] is (result["erle_db_min"] >= result["target_erle_db"])


def test_far_mic_and_near_files_at_another_rate_with_a_fixed_delay(
    aec_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 48 kHz files are converted to 16 kHz on reading; mic = echo + near end, mixed here.
    files = {}
    for part in ("farend", "echo", "nearend"):
        samples, rate = soundfile.read(aec_dir / f"{part}_double_talk.wav", dtype="float64")
        files[part] = resample(samples, rate, 48000)
    mic = files["echo"] + files["nearend"]
    for name, samples in (("far", files["farend"]), ("mic", mic), ("near", files["nearend"])):
        soundfile.write(tmp_path / f"{name}.wav", to_int16(samples), 48000)
    result = bench(
        capsys, "--far", str(tmp_path / "far.wav"), "--mic", str(tmp_path / "mic.wav"),
        "--near", str(tmp_path / "near.wav"), "--delay-ms", "0", "--settle-s", "5",
    )
    (row,) = result["rows"]
    assert row["name"] == "mic" and row["delay_ms"] == 0 and result["playback_delay_ms"] == 0
    assert row["erle_db"] >= 20 and row["near_corr"] > 0.95, row


def test_without_the_near_end_only_echo_figures(aec_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    far, mic = aec_dir / "farend_simple_talk.wav", aec_dir / "echo_simple_talk.wav"
    (row,) = bench(capsys, "--far", str(far), "--mic", str(mic))["rows"]
    assert row["near_snr_out_db"] is None and row["near_corr"] is None
    assert row["erle_db"] >= 20, row


def test_the_table_names_the_figures(aec_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    far, mic = aec_dir / "farend_simple_talk.wav", aec_dir / "echo_simple_talk.wav"
    assert main(["bench", "aec", "--far", str(far), "--mic", str(mic), "--delay-ms", "0"]) == 0
    out = capsys.readouterr().out
    assert "erle_db" in out and "cpu_pct" in out and "target_erle_db" in out


def test_bad_inputs_get_a_clear_error(tmp_path: Path, clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "aec", "--set", str(tmp_path)]) != 0
    assert "farend_NAME" in capsys.readouterr().err
    soundfile.write(tmp_path / "farend_x.wav", np.zeros(1600, np.int16), 16000)
    assert main(["bench", "aec", "--set", str(tmp_path)]) != 0
    assert "echo_x.wav and nearend_x.wav" in capsys.readouterr().err
    assert main(["bench", "aec", "--far", str(tmp_path / "farend_x.wav")]) != 0
    assert "--mic" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bench", "aec", "--delay-ms", "soon"])


def test_a_far_end_that_never_plays_gives_no_erle_rather_than_a_number(
    tmp_path: Path, clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    noise = (np.random.default_rng(1).standard_normal(3 * 16000) * 300).astype(np.int16)
    soundfile.write(tmp_path / "far.wav", np.zeros_like(noise), 16000)
    soundfile.write(tmp_path / "mic.wav", noise, 16000)
    result = bench(capsys, "--far", str(tmp_path / "far.wav"), "--mic", str(tmp_path / "mic.wav"), "--settle-s", "0")
    assert result["rows"][0]["erle_db"] is None and result["rows"][0]["far_only_s"] == 0
    assert result["erle_db_min"] is None and result["meets_target"] is False
