"""Board detection from device-tree and Jetson release files (written into tmp_path, as the kernel has them)."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from assistant.board import detect_profile

NO_JETSON = Path("/nonexistent/nv_tegra_release")


def _device_tree(tmp_path: Path, model: bytes) -> Path:
    path = tmp_path / "model"
    path.write_bytes(model)
    return path


@pytest.mark.parametrize(
    ("model", "profile"),
    [
        (b"Raspberry Pi 5 Model B Rev 1.0\0", "pi5"),
        (b"Raspberry Pi 500 Rev 1.0\0", "pi5"),
        (b"Raspberry Pi Compute Module 5 Rev 1.0\0", "pi5"),
        (b"Raspberry Pi 4 Model B Rev 1.5\0", "pi4"),
        (b"Raspberry Pi 400 Rev 1.0\0", "pi4"),
        (b"Raspberry Pi Compute Module 4 Rev 1.1\0", "pi4"),
        (b"NVIDIA Jetson Orin Nano Developer Kit\0", "jetson"),
        (b"Jetson AGX Orin\0", "jetson"),
    ],
)
def test_known_boards(tmp_path: Path, model: bytes, profile: str) -> None:
    found, reason = detect_profile(_device_tree(tmp_path, model), NO_JETSON)
    assert found == profile
    # The reason is the board's own name, without the device tree's trailing NUL.
    assert reason == model.rstrip(b"\0").decode()


def test_a_jetson_release_file_without_a_device_tree(tmp_path: Path) -> None:
    release = tmp_path / "nv_tegra_release"
    release.write_text("# R36 (release), REVISION: 3.0\n")
    assert detect_profile(tmp_path / "missing", release) == ("jetson", str(release))


@pytest.mark.parametrize("model", [b"Raspberry Pi 3 Model B Plus Rev 1.3\0", b"Radxa ROCK 5B\0", b"\xff\xfe\0"])
def test_other_boards_get_the_smallest_profile(tmp_path: Path, model: bytes) -> None:
    profile, reason = detect_profile(_device_tree(tmp_path, model), NO_JETSON)
    assert profile == "pi4"
    assert reason.endswith(": not a known board, using the smallest profile")
    assert "\0" not in reason


def test_no_device_tree_names_the_machine(tmp_path: Path) -> None:
    profile, reason = detect_profile(tmp_path / "missing", NO_JETSON)
    assert (profile, reason) == ("pi4", f"{platform.machine()}: not a known board, using the smallest profile")
    # A folder where the file should be (an unreadable node) is not an error either.
    assert detect_profile(tmp_path, NO_JETSON)[0] == "pi4"
