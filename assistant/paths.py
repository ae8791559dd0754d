"""Where the assistant keeps its files: config, models, state, and the files shipped with the package.

The service (systemd with `StateDirectory=assistant`) uses /var/lib/assistant; a user running the CLI without
an installed service uses the XDG folders under their home. Environment variables always win, so tests and
offline installs can point anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SYSTEM_CONFIG = Path("/etc/assistant/assistant.toml")
SYSTEM_STATE_DIR = Path("/var/lib/assistant")
PACKAGE_DIR = Path(__file__).resolve().parent


def user_config(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "assistant" / "assistant.toml"


def _user_data_home(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local" / "share")
    return Path(base) / "assistant"


def default_models_dir(env: Mapping[str, str]) -> tuple[Path, str]:
    """The models folder when the config does not name one, and why it was chosen."""
    if env.get("STATE_DIRECTORY"):
        # systemd may list several directories separated by ':'; ours is the first.
        return Path(env["STATE_DIRECTORY"].split(":")[0]) / "models", "the service's StateDirectory"
    system = SYSTEM_STATE_DIR / "models"
    if system.is_dir():
        return system, f"{system} exists (installed by scripts/install.sh)"
    return _user_data_home(env) / "models", "the user's data folder"


def default_state_dir(env: Mapping[str, str]) -> Path:
    """Where conversation memory and other small state files live."""
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    if SYSTEM_STATE_DIR.is_dir() and os.access(SYSTEM_STATE_DIR, os.W_OK):
        return SYSTEM_STATE_DIR
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local" / "state")
    return Path(base) / "assistant"


def packaged_file(name: str) -> Path:
    """A data file shipped with the package (manifest, example config).

    A wheel carries them under assistant/data/; a source checkout (editable install, tests) keeps the
    manifest in the repository's models/ folder, which the wheel build copies from.
    """
    inside = PACKAGE_DIR / "data" / name
    if inside.exists():
        return inside
    in_checkout = PACKAGE_DIR.parent / "models" / name
    if in_checkout.exists():
        return in_checkout
    return inside
