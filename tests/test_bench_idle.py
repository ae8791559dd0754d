"""`assistant bench idle`: the real pipeline listening for a wake word in the simulated room, and its figures."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from assistant.bench.idle import TARGET_CPU_PCT, Meter, Snapshot, report, thread_cpu
from assistant.cli import main
from assistant.errors import EXIT_CONFIG, EXIT_OK, EXIT_USAGE


def _config(tmp_path: Path, shared_models: Path, wake: str) -> Path:
    config = tmp_path / "assistant.toml"
    config.write_text(
        f"""
[general]
state_dir = "{tmp_path / 'state'}"
[models]
dir = "{tmp_path / 'models'}"
[vad]
model = "{shared_models / 'vad' / 'silero_vad.onnx'}"
{wake}
[stt]
engine = "sphinx"
partials = "none"
[tts]
engine = "espeak"
""",
        encoding="utf-8",
    )
    return config


@pytest.mark.slow
def test_the_pipeline_listening_for_the_wake_word_in_a_noisy_room(
    clean_env: Path, tmp_path: Path, shared_models: Path, shared_audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The config turns the wake word off: the bench listens for the config's word anyway, and says so.
    jarvis = shared_models / "wakeword" / "hey_jarvis_v0.1.onnx"
    config = _config(tmp_path, shared_models, f'[wake]\nengine = "none"\n[[wake.words]]\nmodel = "{jarvis}"')
    noise = shared_audio / "noise" / "speech_commands_bg" / "doing_the_dishes.wav"
    args = ["--config", str(config), "bench", "idle", "--seconds", "3", "--noise", str(noise), "--json"]
    assert main(args) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["wake"].startswith("hey_jarvis_v0.1: the config has none (wake.engine = none")
    assert "-48.5 dBFS" in report["noise"]
    # Real time: three windows of a second of room audio, each of them measured.
    assert report["audio_s"] == pytest.approx(3.0, abs=0.3)
    assert len(report["cpu_windows_pct"].split()) == 3
    # Nobody speaks: nothing but the always-on part ran.
    assert report["wake_detections"] == 0 and report["turns_opened"] == 0 and report["dropped_messages"] == 0
    assert 0 < report["cpu_pct"] < report["cpu_with_room_pct"]
    assert report["target_cpu_pct"] == TARGET_CPU_PCT
    assert report["target_met"] is (report["cpu_pct"] <= TARGET_CPU_PCT)
    rows = {row["part"]: row for row in report["rows"]}
    for part in ("Speex front-end: AEC + noise suppression", "Silero VAD (the listener's)", "openWakeWord, all of it"):
        assert 0 < rows[part]["rtf"] < 0.5, part  # each engine keeps up with real time, with room to spare
    check = rows["  of it: its VAD check (the listener's scores, read)"]["cpu_pct"]
    assert 0 < check < rows["Silero VAD (the listener's)"]["cpu_pct"] / 3  # read, not run again (vad_check: default)
    # ... and with no speech for the check, the wake word's front end and classifier waited all along.
    assert rows["  of it: melspectrogram + embedding"]["rtf"] == 0
    assert rows["  of it: classifier hey_jarvis_v0.1"]["rtf"] == 0
    wake = rows["openWakeWord, all of it"]["cpu_pct"]
    # Each engine runs in its thread: the thread took at least what its engines did.
    threads = {row["thread"]: row["cpu_pct"] for row in report["rows"] if row["part"].startswith("thread ")}
    assert threads["listener"] >= rows["Silero VAD (the listener's)"]["cpu_pct"] + wake
    assert threads["audio"] >= rows["Speex front-end: AEC + noise suppression"]["cpu_pct"]
    assert {"stt", "brain", "tts", "controller"} <= set(threads)


def test_a_wake_word_that_cannot_be_found_stops_the_bench_before_any_model_loads(
    clean_env: Path, tmp_path: Path, shared_models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, shared_models, '[wake]\nengine = "none"')
    missing = tmp_path / "hey_nobody.onnx"
    assert main(["--config", str(config), "bench", "idle", "--wake-model", str(missing)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"--wake-model {missing}" in err and "no such file" in err
    # Without --wake-model and with no word installed: the message says how to name one.
    assert main(["--config", str(config), "bench", "idle"]) == EXIT_CONFIG
    assert "--wake-model NAME|PATH" in capsys.readouterr().err


def test_the_measured_time_must_be_sensible(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", "idle", "--seconds", "0.1"])
    assert exited.value.code == EXIT_USAGE
    assert "between 1 and 3600 seconds" in capsys.readouterr().err


def _snapshot(wall: float, process: float, room: float, **threads: float) -> Snapshot:
    return Snapshot(wall, process, dict(threads), {"room": room, "vad": process / 4}, audio=wall)


def test_the_figure_is_the_median_window_without_the_room_s_own_work() -> None:
    snapshots = [
        _snapshot(0.0, 0.0, 0.0, audio=0.0, listener=0.0),
        _snapshot(1.0, 0.10, 0.02, audio=0.05, listener=0.05),  # 8% without the room's 2%
        _snapshot(2.0, 0.30, 0.04, audio=0.15, listener=0.15),  # 18%: something else ran
        _snapshot(3.0, 0.40, 0.06, audio=0.20, listener=0.20),  # 8%
    ]
    summary, rows = report(snapshots)
    assert summary["cpu_pct"] == pytest.approx(8.0)
    assert summary["cpu_windows_pct"] == "8.0 18.0 8.0"
    assert summary["cpu_with_room_pct"] == pytest.approx(10.0)
    assert summary["target_met"] is True
    by_part = {row["part"]: row for row in rows}
    assert by_part["Silero VAD (the listener's)"]["rtf"] == pytest.approx(0.1 / 3, abs=1e-4)
    assert by_part["thread audio, all of it"]["cpu_pct"] == pytest.approx(100 * 0.14 / 3, abs=0.01)  # less the room
    assert by_part["the simulated room's blocks (left out)"]["cpu_pct"] == pytest.approx(2.0)
    assert by_part["threads not started by Python (ONNX Runtime pools)"]["cpu_pct"] == pytest.approx(0.0)


class _Worker:
    def spin(self, seconds: float) -> None:
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)


def test_a_meter_counts_the_cpu_time_inside_the_method_not_the_waiting() -> None:
    worker = _Worker()
    spin, wait = Meter(worker, "spin"), Meter(worker, "wait")
    worker.spin(0.05)
    worker.wait(0.1)
    assert spin.calls == 1 and spin.seconds == pytest.approx(0.05, abs=0.01)
    assert wait.calls == 1 and wait.seconds < 0.01


def test_every_thread_s_cpu_clock_is_read_by_name() -> None:
    done = threading.Event()
    thread = threading.Thread(target=lambda: (_Worker().spin(0.05), done.wait()), name="spinner")
    thread.start()
    try:
        time.sleep(0.2)
        cpu = thread_cpu()
    finally:
        done.set()
        thread.join()
    assert cpu["spinner"] == pytest.approx(0.05, abs=0.02)
    assert "MainThread" in cpu
