"""Which board this is, to pick the manifest's model profile (pi4, pi5, jetson)."""

from __future__ import annotations

import platform
from pathlib import Path

DEVICE_TREE_MODEL = Path("/proc/device-tree/model")
JETSON_RELEASE = Path("/etc/nv_tegra_release")


def detect_profile(
    device_tree_model: Path = DEVICE_TREE_MODEL, jetson_release: Path = JETSON_RELEASE
) -> tuple[str, str]:
    """The profile for this machine and how it was recognised.

    Anything that is not a recognised board (a laptop, a CI runner, another arm64 box) gets the smallest
    profile, pi4: its models run everywhere.
    """
    try:
        model = device_tree_model.read_bytes().rstrip(b"\0").decode(errors="replace")
    except OSError:
        model = ""
    if "Raspberry Pi 5" in model or "Raspberry Pi Compute Module 5" in model:
        return "pi5", model
    if "Raspberry Pi 4" in model or "Raspberry Pi Compute Module 4" in model:
        return "pi4", model
    if jetson_release.exists() or "jetson" in model.lower() or "nvidia" in model.lower():
        return "jetson", model or str(jetson_release)
    return "pi4", f"{model or platform.machine()}: not a known board, using the smallest profile"
