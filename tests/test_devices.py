"""Finding devices by the names makers use, saying why one is missing or busy, and `assistant devices`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from alsa_files import alsa_env

from assistant.audio.devices import (
    AudioDeviceError,
    Card,
    DeviceInfo,
    card_holder,
    diagnose,
    find_device,
    read_cards,
)

DEVICES = [
    DeviceInfo(0, "bcm2835 Headphones: - (hw:0,0)", "ALSA", 0, 8, 44100.0),
    DeviceInfo(1, "seeed-2mic-voicecard: bcm2835-i2s-wm8960-hifi wm8960-hifi-0 (hw:1,0)", "ALSA", 2, 2, 48000.0),
    DeviceInfo(2, "USB PnP Sound Device: Audio (hw:2,0)", "ALSA", 1, 0, 44100.0),
    DeviceInfo(3, "sysdefault", "ALSA", 128, 128, 48000.0),
    DeviceInfo(4, "default", "ALSA", 128, 128, 48000.0, default_input=True, default_output=True),
]
CARDS = [Card(0, "Headphones", "bcm2835_headpho", "bcm2835 Headphones"),
         Card(1, "seeed2micvoicec", "seeed-2mic-voic", "seeed-2mic-voicecard"),
         Card(2, "Device", "USB-Audio", "USB PnP Sound Device")]


@pytest.mark.parametrize(
    ("spec", "kind", "index"),
    [
        ("", "input", 4),
        ("2", "input", 2),
        ("default", "output", 4),
        ("hw:1,0", "input", 1),
        ("hw:0", "output", 0),
        ("plughw:CARD=seeed2micvoicec,DEV=0", "input", 1),
        ("hw:CARD=Device", "input", 2),
        ("USB", "input", 2),
        ("headphones", "output", 0),
    ],
)
def test_a_device_is_found_by_the_names_makers_use(spec: str, kind: str, index: int) -> None:
    assert find_device(spec, kind, DEVICES, cards=CARDS).index == index  # type: ignore[arg-type]


def test_a_device_without_channels_of_that_kind_is_not_chosen() -> None:
    with pytest.raises(AudioDeviceError, match=r'audio.output_device = "USB": no output device matches'):
        find_device("USB", "output", DEVICES, cards=CARDS)
    with pytest.raises(AudioDeviceError, match="card 0 device 0 has no input"):
        find_device("hw:0,0", "input", DEVICES, cards=CARDS)


def test_a_missing_device_lists_the_ones_there_are() -> None:
    with pytest.raises(AudioDeviceError) as error:
        find_device("respeaker", "input", DEVICES, cards=CARDS)
    message = str(error.value)
    assert 'audio.input_device = "respeaker"' in message and "[2] USB PnP Sound Device" in message
    assert "assistant devices" in message
    with pytest.raises(AudioDeviceError, match=r"no sound card with the id respeaker.*seeed2micvoicec \(card 1\)"):
        find_device("plughw:CARD=respeaker", "input", DEVICES, cards=CARDS)


def test_an_ambiguous_name_takes_the_first_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert find_device("default", "input", DEVICES, cards=CARDS).index == 4  # exact name wins
        assert find_device("hw:", "input", DEVICES, cards=CARDS).index == 1
    assert "matches 2 devices" in caplog.text


def _fake_proc(root: Path, cards: str = "", holder: tuple[int, str] | None = None) -> Path:
    asound = root / "proc" / "asound"
    asound.mkdir(parents=True)
    (asound / "cards").write_text(cards)
    if holder:
        pid, name = holder
        status = asound / "card1" / "pcm0c" / "sub0"
        status.mkdir(parents=True)
        (status / "status").write_text(f"state: RUNNING\nowner_pid   : {pid}\ntrigger_time: 1.0\n")
        (root / "proc" / str(pid)).mkdir()
        (root / "proc" / str(pid) / "comm").write_text(f"{name}\n")
    return asound


CARDS_TEXT = (
    " 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n"
    "                      bcm2835 Headphones\n"
    " 1 [seeed2micvoicec]: seeed-2mic-voic - seeed-2mic-voicecard\n"
    "                      seeed-2mic-voicecard\n"
)


def test_no_card_at_all_is_said_plainly(tmp_path: Path) -> None:
    message = diagnose(proc=_fake_proc(tmp_path), dev=tmp_path / "dev-snd")
    assert "No sound card found" in message and "arecord -l" in message


def test_a_card_held_by_a_sound_server_names_the_process_and_the_way_out(tmp_path: Path) -> None:
    proc = _fake_proc(tmp_path, CARDS_TEXT, holder=(812, "pulseaudio"))
    assert card_holder(1, 0, proc=proc) == "pulseaudio (pid 812)"
    message = diagnose(DEVICES[1], proc=proc, dev=tmp_path / "dev-snd")
    assert "in use by pulseaudio (pid 812)" in message and '"default"' in message and "systemctl" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root may open any device node")
def test_a_user_outside_the_audio_group_is_told_how_to_join(tmp_path: Path) -> None:
    dev = tmp_path / "dev-snd"
    dev.mkdir()
    node = dev / "pcmC0D0c"
    node.write_text("")
    node.chmod(0)
    message = diagnose(proc=_fake_proc(tmp_path, CARDS_TEXT), dev=dev)
    assert "may not open the sound devices" in message and "audio" in message


# --------------------------------------------------------------------------------------------- the command


def _assistant(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**env, "HOME": env.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture()
def file_card(tmp_path: Path, clean_env: Path) -> dict[str, str]:
    """ALSA's default device reading 3 s of a tone and writing to a file (see alsa_files.py)."""
    t = np.arange(16000 * 3) / 44100
    tone = np.repeat((3000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)[:, None], 2, axis=1)
    np.concatenate([tone, np.zeros((44100 * 30, 2), np.int16)]).tofile(tmp_path / "in.raw")
    return alsa_env(tmp_path, tmp_path / "in.raw", tmp_path / "out.raw")


@pytest.mark.alsa
def test_devices_lists_what_portaudio_sees_and_marks_the_defaults(file_card: dict[str, str]) -> None:
    done = _assistant(file_card, "devices")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.split()[:2] == ["2", "default"] and line.rstrip().endswith("in, out") for line in lines)
    assert 'audio.input_device = ""  ->  [2] default' in done.stdout
    listing = json.loads(_assistant(file_card, "devices", "--json").stdout)
    assert [d["name"] for d in listing["devices"]] == ["fileout", "filein", "default"]
    assert listing["chosen"]["input"] == "[2] default"


@pytest.mark.alsa
@pytest.mark.parametrize("backend", ["sounddevice", "pyaudio"])
def test_devices_test_plays_a_tone_and_shows_the_level(file_card: dict[str, str], tmp_path: Path, backend: str) -> None:
    done = _assistant(file_card, "devices", "--test", "--seconds", "1", "--backend", backend)
    assert done.returncode == 0, done.stderr
    assert "mic " in done.stdout and "dBFS" in done.stdout and "blocks" in done.stdout
    played = np.fromfile(tmp_path / "out.raw", np.int16)
    assert np.abs(played).max() > 0.2 * 32768  # the -12 dBFS tone reached the speaker


@pytest.mark.alsa
@pytest.mark.skipif(bool(read_cards()), reason="this machine has a sound card")
def test_devices_without_any_device_says_why(clean_env: Path) -> None:
    env = {**os.environ, "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"}  # libasound aborts without it
    env.pop("PULSE_SERVER", None)
    done = _assistant(env, "devices")
    assert done.returncode == 1
    assert "sees no sound device" in done.stdout
    failed = _assistant(env, "devices", "--test")
    assert failed.returncode == 1 and "no input device at all" in failed.stderr and "Traceback" not in failed.stderr


@pytest.mark.alsa
def test_a_named_device_that_is_not_there_is_a_clear_error(file_card: dict[str, str]) -> None:
    done = _assistant(file_card, "devices", "--test", "--input", "USB")
    assert done.returncode == 1
    assert 'audio.input_device = "USB": no input device matches' in done.stderr and "[2] default" in done.stderr
