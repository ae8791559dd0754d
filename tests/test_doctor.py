"""`assistant doctor`: each check on this machine for real, and on system files the test writes.

The model checks run on a models folder holding the real files from shared/models, verified against the
manifest's checksums. The audio checks open the devices through the real PortAudio path: on this machine
(no sound card) they fail with the fix, and through ALSA's file plugin (alsa_files.py) they pass and measure
the level of what the "microphone" file holds. Meminfo, CPU frequency, group and passwd files are written
per test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from alsa_files import alsa_env

from assistant.audio.devices import read_cards
from assistant.cli import main
from assistant.config import Config, load_config
from assistant.doctor import (
    BASE_RAM_MB,
    CheckResult,
    Identity,
    SystemFiles,
    can_print_unicode,
    check_audio_group,
    check_clock,
    check_governor,
    check_models,
    check_ram,
    check_service,
    format_result,
    model_ram_mb,
    run_checks,
    service_result,
)

# (manifest model, files taken from shared/models)
INSTALLED = {
    "silero-vad-v6": ["vad/silero_vad.onnx"],
    "oww-hey-jarvis": [f"wakeword/{n}.onnx" for n in ("melspectrogram", "embedding_model", "hey_jarvis_v0.1")],
    "stories260k": ["llm/stories260K.gguf"],
}


@pytest.fixture()
def models_dir(tmp_path: Path, shared_models: Path) -> Path:
    """A models folder with real, intact copies of the VAD, wake-word and tiny LLM models."""
    root = tmp_path / "models"
    for name, files in INSTALLED.items():
        (root / name).mkdir(parents=True)
        for rel in files:
            shutil.copyfile(shared_models / rel, root / name / Path(rel).name)
    return root


def _config_file(tmp_path: Path, models: Path, extra: str = "", *, llm: str = "stories260k") -> Path:
    path = tmp_path / "assistant.toml"
    path.write_text(f'[models]\ndir = "{models}"\nprofile = "pi4"\n[llm]\nmodel = "{llm}"\n{extra}')
    return path


def _config(tmp_path: Path, models: Path, extra: str = "", *, llm: str = "stories260k") -> Config:
    return load_config(_config_file(tmp_path, models, extra, llm=llm), {}).config


def _by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


def _machine_fails() -> bool:
    """Whether this machine's own checks fail whatever the test sets up (a CI user outside the audio group)."""
    service, _ = check_service(SystemFiles())
    return "fail" in (check_audio_group(Identity.current(), SystemFiles()).status, service.status)


# ----------------------------------------------------------------------------------------------- models


def test_installed_models_are_verified_against_the_manifest(tmp_path: Path, models_dir: Path, clean_env: Path) -> None:
    report = check_models(_config(tmp_path, models_dir), {})
    got = _by_name(report.results)
    assert got["model vad"].status == "pass" and "silero-vad-v6: 1 file(s) match" in got["model vad"].detail
    assert got["model wake"].status == "pass" and "oww-hey-jarvis: 3 file(s) match" in got["model wake"].detail
    assert got["model llm"].status == "pass" and got["model llm"].detail.startswith("llama (llm.model = stories260k")
    assert {s.entry.name for s in report.selected if s.entry} == {*INSTALLED, "sphinx-en-us"}


def test_a_corrupt_model_file_fails_with_the_pull_that_repairs_it(
    tmp_path: Path, models_dir: Path, clean_env: Path
) -> None:
    onnx = models_dir / "silero-vad-v6" / "silero_vad.onnx"
    data = bytearray(onnx.read_bytes())
    data[1000] ^= 0xFF  # same size: only the checksum can tell
    onnx.write_bytes(bytes(data))
    vad = _by_name(check_models(_config(tmp_path, models_dir), {}).results)["model vad"]
    assert vad.status == "fail" and "corrupt" in vad.detail and "sha256 mismatch" in vad.detail
    assert vad.fix == "assistant models pull silero-vad-v6"


def test_a_missing_model_fails_and_the_zero_download_fallbacks_warn(tmp_path: Path, clean_env: Path) -> None:
    got = _by_name(check_models(_config(tmp_path, tmp_path / "empty", llm=""), {}).results)  # every engine auto
    assert got["model vad"].status == "fail" and "assistant models pull silero-vad-v6" in got["model vad"].fix
    stt, tts, llm, wake = got["model stt"], got["model tts"], got["model llm"], got["model wake"]
    assert stt.status == "warn" and stt.detail.startswith("sphinx (auto: pocketsphinx")
    assert stt.fix == "for the pi4 default: assistant models pull whisper-tiny.en"
    assert tts.status == "warn" and tts.fix.endswith("assistant models pull piper-en-us-amy-low")
    assert llm.status == "warn" and llm.detail.startswith("none") and "qwen2.5-0.5b" in llm.fix
    assert wake.status == "warn" and "any speech starts a turn" in wake.detail
    assert got["model partials"].status == "pass"  # no streaming partials is a choice, not a fallback


def test_a_model_file_of_ones_own_is_used_unverified_and_counted_by_size(
    tmp_path: Path, models_dir: Path, shared_models: Path, clean_env: Path
) -> None:
    gguf = shared_models / "llm" / "stories260K.gguf"
    report = check_models(_config(tmp_path, models_dir, llm=str(gguf)), {})
    llm = _by_name(report.results)["model llm"]
    assert llm.status == "pass" and "is not a manifest model: not verified" in llm.detail
    assert [s.label for s in report.selected if s.role == "llm"] == ["stories260K.gguf"]
    assert model_ram_mb(report.selected)["stories260K.gguf"] == 2  # 1185376 bytes, rounded up


def test_an_engine_whose_package_is_missing_fails_with_the_install_command(
    tmp_path: Path, models_dir: Path, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vosk_folder = tmp_path / "my-vosk"
    vosk_folder.mkdir()
    monkeypatch.setitem(sys.modules, "vosk", None)  # the standard way to make a package absent
    config = _config(tmp_path, models_dir, f'[stt]\nengine = "vosk"\nvosk_model = "{vosk_folder}"\n')
    stt = _by_name(check_models(config, {}).results)["model stt"]
    assert stt.status == "fail" and "the Python package vosk is not installed" in stt.detail
    assert stt.fix == "pip install 'assistant[vosk]'"


# -------------------------------------------------------------------------------------------------- RAM


def _meminfo(tmp_path: Path, total_mb: int, available_mb: int) -> Path:
    path = tmp_path / "meminfo"
    path.write_text(
        f"MemTotal:       {total_mb * 1024} kB\nMemFree:        1000 kB\nMemAvailable:   {available_mb * 1024} kB\n"
    )
    return path


@pytest.mark.parametrize(
    ("total", "available", "status"),
    [(4000, 3000, "pass"), (4000, 500, "warn"), (800, 800, "warn"), (500, 500, "fail")],
)
def test_ram_is_compared_with_what_the_models_need(tmp_path: Path, total: int, available: int, status: str) -> None:
    need = {"qwen2.5-0.5b-instruct-q4_k_m": 650 - BASE_RAM_MB, "silero-vad-v6": 30}  # 680 MB with the process
    result = check_ram(need, _meminfo(tmp_path, total, available))
    assert result.status == status, result
    assert f"about {BASE_RAM_MB + 580} MB needed" in result.detail and f"{available} MB available" in result.detail
    assert bool(result.fix) == (status != "pass")


def test_ram_is_skipped_without_meminfo_and_read_for_real_here(tmp_path: Path) -> None:
    assert check_ram({}, tmp_path / "absent").status == "skip"
    real = check_ram({"x": 10}, Path("/proc/meminfo"))
    assert real.status == "pass" and "MB available of" in real.detail


# ------------------------------------------------------------------------------------------------ audio


def _doctor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a subprocess: PortAudio reads the ALSA configuration once, when it starts."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", "doctor", *args], env=env, capture_output=True, text=True, timeout=60
    )


def _checks(done: subprocess.CompletedProcess[str]) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in json.loads(done.stdout)["checks"]}


@pytest.mark.alsa
@pytest.mark.skipif(bool(read_cards()), reason="this machine has a sound card")
def test_without_a_sound_card_the_audio_checks_fail_with_the_fix(
    tmp_path: Path, models_dir: Path, clean_env: Path
) -> None:
    env = {**os.environ, "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"}
    env.pop("PULSE_SERVER", None)
    done = _doctor(env, "--config", str(_config_file(tmp_path, models_dir)), "--json")
    assert done.returncode == 1, done.stderr
    checks = _checks(done)
    for name, kind in (("microphone", "input"), ("speaker", "output")):
        assert checks[name]["status"] == "fail"
        assert checks[name]["detail"] == f"there is no default {kind} device: no {kind} device at all"
        assert checks[name]["fix"].startswith("No sound card found") and "arecord -l" in checks[name]["fix"]
    assert checks["microphone level"]["status"] == "skip"


def _file_card(tmp_path: Path, level: float) -> dict[str, str]:
    """ALSA's default device reads a 44.1 kHz stereo tone of `level` (0: digital silence) and writes a file."""
    t = np.arange(44100 * 2) / 44100
    tone = np.repeat((level * np.sin(2 * np.pi * 300 * t)).astype(np.int16)[:, None], 2, axis=1)
    np.concatenate([tone, np.zeros((44100 * 30, 2), np.int16)]).tofile(tmp_path / "in.raw")
    env = alsa_env(tmp_path, tmp_path / "in.raw", tmp_path / "out.raw")
    env["HOME"] = os.environ["HOME"]
    return env


@pytest.mark.alsa
def test_the_microphone_and_speaker_open_and_the_level_is_measured(
    tmp_path: Path, models_dir: Path, clean_env: Path
) -> None:
    done = _doctor(_file_card(tmp_path, 3000), "--config", str(_config_file(tmp_path, models_dir)), "--json")
    checks = _checks(done)
    assert checks["microphone"] == {
        "name": "microphone", "status": "pass", "detail": "[2] default at 44100 Hz, 2 channels", "fix": ""
    }
    assert checks["speaker"]["status"] == "pass" and "44100 Hz" in checks["speaker"]["detail"]
    level = checks["microphone level"]
    assert level["status"] == "pass" and level["detail"].startswith("-23.8 dBFS over 1.0 s")  # RMS of a 3000 sine
    assert done.returncode == int(_machine_fails()), done.stdout  # warnings (pocketsphinx, espeak-ng) do not fail
    assert (tmp_path / "out.raw").stat().st_size > 0  # the speaker stream really ran


@pytest.mark.alsa
def test_a_microphone_that_gives_only_silence_fails(tmp_path: Path, models_dir: Path, clean_env: Path) -> None:
    done = _doctor(_file_card(tmp_path, 0), "--config", str(_config_file(tmp_path, models_dir)))
    assert done.returncode == 1
    line = next(x for x in done.stdout.splitlines() if "microphone level" in x)
    assert line.startswith("✗ microphone level: only digital silence") and "— fix: unmute it" in line


# ----------------------------------------------------------------------------------------------- system


def _system(tmp_path: Path, group: str, passwd: str = "") -> SystemFiles:
    (tmp_path / "group").write_text(group)
    (tmp_path / "passwd").write_text(passwd or "root:x:0:0:root:/root:/bin/bash\nann:x:1000:1000::/home/ann:/bin/sh\n")
    return SystemFiles(group=tmp_path / "group", passwd=tmp_path / "passwd", systemd=tmp_path / "no-systemd")


def test_the_audio_group_decides_who_may_open_the_card(tmp_path: Path) -> None:
    files = _system(tmp_path, "root:x:0:\naudio:x:29:ann,assistant\nann:x:1000:\n")
    assert check_audio_group(Identity("ann", 1000, frozenset({1000, 29})), files).status == "pass"
    assert check_audio_group(Identity("root", 0), files).detail == "running as root: may open any device"
    late = check_audio_group(Identity("ann", 1000, frozenset({1000})), files)
    assert late.status == "warn" and "log out and in again" in late.fix
    outside = check_audio_group(Identity("bob", 1001, frozenset({1001})), files)
    assert outside.status == "fail" and outside.fix == "sudo usermod -aG audio bob, then log out and in again"


def test_the_service_user_must_be_in_the_audio_group_too(tmp_path: Path) -> None:
    passwd = "ann:x:1000:1000::/home/ann:/bin/sh\nassistant:x:998:998::/var/lib/assistant:/usr/sbin/nologin\n"
    files = _system(tmp_path, "audio:x:29:ann\n", passwd)
    result = check_audio_group(Identity("ann", 1000, frozenset({29})), files)
    assert result.status == "warn" and "the service user assistant is not" in result.detail
    assert result.fix == "sudo usermod -aG audio assistant"
    assert check_audio_group(Identity("ann", 1000), _system(tmp_path, "users:x:100:\n")).status == "skip"


def test_the_audio_group_check_on_this_machine() -> None:
    result = check_audio_group(Identity.current(), SystemFiles())
    if os.geteuid() == 0:
        assert result.status == "pass" and result.detail.startswith("running as root")
    else:
        assert result.status in ("pass", "warn", "fail") and "audio group" in result.detail


def _governors(tmp_path: Path, *names: str) -> Path:
    for index, name in enumerate(names):
        folder = tmp_path / "cpu" / f"cpu{index}" / "cpufreq"
        folder.mkdir(parents=True)
        (folder / "scaling_governor").write_text(name + "\n")
    (tmp_path / "cpu" / "cpuidle").mkdir(parents=True, exist_ok=True)  # not a CPU: ignored
    return tmp_path / "cpu"


def test_the_cpu_governor(tmp_path: Path) -> None:
    assert check_governor(_governors(tmp_path / "a", "performance", "schedutil")).status == "pass"
    slow = check_governor(_governors(tmp_path / "b", "ondemand", "ondemand", "performance"))
    assert slow.status == "warn" and slow.detail.startswith("ondemand on 2 CPUs, performance on 1 CPU")
    assert "cpufreq.default_governor=performance" in slow.fix and "scaling_governor" in slow.fix
    assert check_governor(tmp_path / "nothing").status == "skip"
    here = check_governor(Path("/sys/devices/system/cpu"))
    has_cpufreq = any(Path("/sys/devices/system/cpu").glob("cpu[0-9]*/cpufreq/scaling_governor"))
    assert (here.status != "skip") == has_cpufreq


@pytest.mark.parametrize(
    ("enabled", "active", "status", "fix"),
    [
        ("enabled", "active", "pass", ""),
        ("enabled", "activating", "pass", ""),
        ("disabled", "active", "warn", "sudo systemctl enable assistant"),
        ("enabled", "failed", "fail", "journalctl -u assistant -e shows why; then sudo systemctl restart assistant"),
        ("enabled", "inactive", "warn", "sudo systemctl start assistant; if it stops, journalctl -u assistant -e "
                                        "shows why"),
        ("disabled", "inactive", "warn", "sudo systemctl enable --now assistant"),
        ("masked", "inactive", "warn", "sudo systemctl unmask assistant"),
        ("not-found", "inactive", "skip", ""),
        ("", "inactive", "skip", ""),
    ],
)
def test_the_service_state_as_systemctl_reports_it(enabled: str, active: str, status: str, fix: str) -> None:
    result = service_result(enabled, active)
    assert (result.status, result.fix) == (status, fix)


def test_the_service_check_on_this_machine() -> None:
    result, running = check_service(SystemFiles())
    if not Path("/run/systemd/system").is_dir():
        assert result.status == "skip" and "systemd does not run this machine" in result.detail and not running
    else:
        assert result.name == "service" and result.status in ("pass", "warn", "fail", "skip")


def test_while_the_service_runs_the_sound_card_is_left_to_it(tmp_path: Path, models_dir: Path, clean_env: Path) -> None:
    if shutil.which("systemctl") is None:
        pytest.skip("no systemctl")
    (tmp_path / "systemd").mkdir()
    files = SystemFiles(meminfo=_meminfo(tmp_path, 4000, 3000), systemd=tmp_path / "systemd")
    answers = {"is-enabled": "disabled", "is-active": "active"}  # running, though not at boot
    results = _by_name(list(run_checks(
        str(_config_file(tmp_path, models_dir)), {}, files=files, systemctl=lambda args: answers[args[0]]
    )))
    assert results["service"].status == "warn"
    assert results["microphone"].status == "skip" and "sudo systemctl stop assistant" in results["microphone"].detail


@pytest.mark.parametrize(
    ("shown", "rtc", "status", "detail", "fix"),
    [
        ("Timezone=Europe/Berlin\nNTP=yes\nNTPSynchronized=yes", False, "pass",
         "time zone Europe/Berlin; synchronized by NTP", ""),
        ("Timezone=America/Chicago\nNTPSynchronized=no", True, "pass",
         "time zone America/Chicago; not synchronized by NTP, kept by a real-time clock (rtc0;", ""),
        ("Timezone=Europe/London\nNTPSynchronized=no", False, "warn",
         "time zone Europe/London; not synchronized by NTP and no real-time clock: after a boot the clock says the "
         "time the board was shut down at", "sudo timedatectl set-time"),
        ("Timezone=Etc/UTC\nNTPSynchronized=yes", False, "warn",
         "time zone Etc/UTC; the time is told in UTC", "sudo timedatectl set-timezone Area/City"),
        ("", False, "warn", "no time zone set; not synchronized", "sudo timedatectl set-time"),
    ],
)
def test_the_clock_and_time_zone_the_time_and_alarms_depend_on(
    tmp_path: Path, shown: str, rtc: bool, status: str, detail: str, fix: str
) -> None:
    if shutil.which("timedatectl") is None:
        pytest.skip("no timedatectl")
    (tmp_path / "systemd").mkdir()
    if rtc:
        (tmp_path / "rtc" / "rtc0").mkdir(parents=True)
    result = check_clock(SystemFiles(systemd=tmp_path / "systemd", rtc=tmp_path / "rtc"), lambda args: shown)
    assert (result.name, result.status) == ("clock", status)
    assert result.detail.startswith(detail) and fix in result.fix


def test_the_clock_check_on_this_machine() -> None:
    result = check_clock(SystemFiles())
    if not Path("/run/systemd/system").is_dir():
        assert result.status == "skip" and "systemd does not run this machine" in result.detail
    else:
        assert result.status in ("pass", "warn", "skip") and result.detail


# ---------------------------------------------------------------------------------------------- command


def test_a_malformed_config_fails_with_its_problems(
    tmp_path: Path, clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[vad]\nthreshold = 2.0\n[tts]\nengin = "piper"\n')
    assert main(["doctor", "--config", str(bad), "--no-audio"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("✗ config: 2 problems: ") and "vad.threshold: 2.0 is out of range" in lines[0]
    assert "did you mean 'tts.engine'?" in lines[0] and f"— fix: edit {bad}" in lines[0]
    assert "- models: the configuration is invalid (above)" in lines
    assert "1 failed" in lines[-1]


def test_json_report_and_exit_status(
    tmp_path: Path, models_dir: Path, clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(_config_file(tmp_path, models_dir))
    status = main(["doctor", "--config", config, "--no-audio", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"ok", "counts", "checks"}
    assert all(set(c) == {"name", "status", "detail", "fix"} for c in report["checks"])
    names = [c["name"] for c in report["checks"]]
    assert names[:2] == ["config", "model vad"] and names[-4:] == ["audio group", "CPU governor", "clock", "service"]
    assert "RAM" in names and "microphone level" in names
    assert sum(report["counts"].values()) == len(names)
    assert report["ok"] is (report["counts"]["fail"] == 0) and status == (0 if report["ok"] else 1)
    assert status == int(_machine_fails())  # intact models and no audio checks: nothing else fails


def test_ascii_output_when_the_terminal_cannot_show_the_marks(tmp_path: Path, clean_env: Path) -> None:
    assert can_print_unicode("utf-8") and not can_print_unicode("ascii") and not can_print_unicode("latin-1")
    failed = CheckResult("config", "fail", "bad", "edit it")
    assert format_result(failed, unicode=False) == "x config: bad -- fix: edit it"
    assert format_result(CheckResult("RAM", "pass", "fine")) == "✓ RAM: fine"
    bad = tmp_path / "bad.toml"
    bad.write_text("[vad\n")
    done = _doctor({**os.environ, "PYTHONIOENCODING": "ascii"}, "--config", str(bad), "--no-audio")
    assert done.returncode == 1 and done.stdout.startswith("x config: 1 problem: ")
    assert done.stdout.isascii()
