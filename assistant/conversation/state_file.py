"""Small state kept across restarts: one JSON file under the state folder, never half written, never lost.

The file is rewritten whole on every change: written to a temporary file in the same folder and moved over the
old one with `os.replace`, so a power cut leaves either the old or the new file, never half of one. A file
that cannot be read or understood (damaged, from a newer version, not ours) is set aside as
`<name>.corrupt-<timestamp>` with a warning in the log, and the assistant starts without it: it never crashes
on it, and never overwrites it. Used for the conversation memory and for the timers and alarms.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from assistant.paths import default_state_dir

if TYPE_CHECKING:
    from assistant.config import Config

log = logging.getLogger(__name__)

T = TypeVar("T")


def state_path(config: Config, env: Mapping[str, str], name: str) -> Path:
    """File `name` in general.state_dir, else in the default state folder (see assistant.paths)."""
    state = Path(config.general.state_dir).expanduser() if config.general.state_dir else default_state_dir(env)
    return state / name


class StateFile:
    """One JSON object `{"version": version, ...}` in `path`; `what` names it in the log ("conversation memory")."""

    def __init__(self, path: Path, what: str, version: int) -> None:
        self.path = Path(path)
        self.what = what
        self.version = version
        # Set when a bad file could not be set aside: saving would overwrite it, so nothing is saved.
        self._blocked = False

    def load(self, parse: Callable[[dict[str, Any]], T]) -> T | None:
        """`parse` of the file's object (its ValueError: not usable); None when there is no usable file."""
        try:
            raw = self.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # no file (or not even its folder): nothing to lose
            return None
        except OSError as exc:
            self._set_aside(f"cannot be read ({exc.strerror or exc})")
            return None
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or "version" not in data:
                raise ValueError("no version field")
            if data["version"] != self.version:
                raise ValueError(f"version {data['version']!r}, this assistant reads version {self.version}")
            return parse(data)
        except (UnicodeDecodeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
            self._set_aside(f"is not a {self.what} file ({exc})")
            return None

    def save(self, data: Mapping[str, Any]) -> None:
        """Replace the file with `data` (and the version) atomically, creating the folder. Raises OSError."""
        if self._blocked:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file readable by its owner only: what the user said is private.
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"version": self.version, **data}, out, ensure_ascii=False, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def clear(self) -> None:
        """Delete the file (files set aside earlier stay, for diagnosis)."""
        if self._blocked:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _set_aside(self, problem: str) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            counter = 1
            while target.exists():  # two in the same second: never replace an earlier one
                counter += 1
                target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
            os.rename(self.path, target)
        except OSError as exc:
            self._blocked = True
            log.warning(
                "%s %s %s, and it could not be set aside (%s): starting without it, and nothing is saved, so "
                "that the file is kept; move or delete it to have it saved again",
                self.what, self.path, problem, exc.strerror or exc,
            )
            return
        log.warning("%s %s %s: set aside as %s; starting without it", self.what, self.path, problem, target)
