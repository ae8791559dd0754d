"""Conversation memory on disk: the remembered turns survive a restart; "forget everything" clears them.

One small JSON file under the state folder (`conversation.json`), rewritten whole after every turn: written
to a temporary file in the same folder and moved over the old one with `os.replace`, so a power cut leaves
either the old or the new file, never half of one. A file that cannot be read or understood (damaged, from a
newer version, not ours) is set aside as `<name>.corrupt-<timestamp>` with a warning in the log, and the
assistant starts with an empty memory: it never crashes on it, and never overwrites it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.brain.history import Turn
from assistant.paths import default_state_dir
from assistant.text_norm import normalize

if TYPE_CHECKING:
    from assistant.config import Config

log = logging.getLogger(__name__)

VERSION = 1
FILE_NAME = "conversation.json"


def memory_path(config: Config, env: Mapping[str, str]) -> Path:
    """The memory file: general.state_dir, else the default state folder (see assistant.paths)."""
    state = Path(config.general.state_dir).expanduser() if config.general.state_dir else default_state_dir(env)
    return state / FILE_NAME


class MemoryFile:
    """The turns of the conversation, kept in one JSON file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # Set when a bad file could not be set aside: saving would overwrite it, so nothing is saved.
        self._blocked = False

    def load(self) -> list[Turn]:
        """The remembered turns, oldest first; [] when there is no file or it is not usable (set aside)."""
        try:
            raw = self.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # no file (or not even its folder): nothing to lose
            return []
        except OSError as exc:
            self._set_aside(f"cannot be read ({exc.strerror or exc})")
            return []
        try:
            return _parse(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
            self._set_aside(f"is not a conversation memory file ({exc})")
            return []

    def save(self, turns: Sequence[Turn]) -> None:
        """Replace the file with `turns` atomically (creating the folder). Raises OSError if it cannot write."""
        if self._blocked:
            return
        data = {"version": VERSION, "turns": [{"user": t.user, "assistant": t.assistant} for t in turns]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file readable by its owner only: the conversation is private.
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def clear(self) -> None:
        """Forget the remembered turns: the file is deleted (files set aside earlier stay, for diagnosis)."""
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
                "conversation memory %s %s, and it could not be set aside (%s): starting with an empty memory "
                "that is not saved, so that the file is kept; move or delete it to have memory again",
                self.path, problem, exc.strerror or exc,
            )
            return
        log.warning(
            "conversation memory %s %s: set aside as %s; starting with an empty memory", self.path, problem, target
        )


def _parse(data: Any) -> list[Turn]:
    """The turns of a decoded memory file; ValueError says what is wrong with it."""
    if not isinstance(data, dict) or "version" not in data:
        raise ValueError("no version field")
    if data["version"] != VERSION:
        raise ValueError(f"version {data['version']!r}, this assistant reads version {VERSION}")
    turns = data.get("turns")
    if not isinstance(turns, list):
        raise ValueError("no list of turns")
    out = []
    for index, turn in enumerate(turns):
        if not (isinstance(turn, dict) and isinstance(turn.get("user"), str)
                and isinstance(turn.get("assistant"), str)):
            raise ValueError(f"turn {index} is not a user and an assistant text")
        out.append(Turn(turn["user"], turn["assistant"]))
    return out


# ------------------------------------------------------------------------------------------ forget requests

# Normalized text (assistant.text_norm): lower case, no punctuation, "don't" -> "do not", "let's" -> "let us".
_FORGET = re.compile(
    r"\b(?:"
    r"forget (?:about )?(?:everything|all (?:of )?(?:it|that|this)|all"
    r"|what (?:i|we) (?:just )?(?:said|told you|asked|talked about|discussed)"
    r"|(?:our|the|this) (?:whole |entire )?(?:conversation|chat|history))"
    r"|(?:clear|erase|wipe|delete|reset) (?:your|the|our) (?:memory|history|conversation|chat)"
    r"|start (?:over|again|afresh|fresh)"
    r"|(?:start )?a (?:new|fresh) conversation"
    r")\b"
)
# Before the request: a negation or a question about forgetting is not a request ("don't forget everything",
# "did you forget everything", "why did you start over").
_NOT_A_REQUEST = frozenset({"not", "never", "no", "did", "why", "how", "when", "what", "if", "whether", "have", "has",
                            "had"})
# After the request only politeness may follow: "forget all the timers" and "start over the song" are other things.
_AFTER = frozenset({"please", "now", "right", "thanks", "thank", "you", "for", "me", "okay", "then", "again"})
_MAX_BEFORE = 6  # "hey jarvis could you please just forget everything"


def is_forget_request(text: str) -> bool:
    """Whether the user asks to forget the conversation ("forget everything", "clear your memory", "start over")."""
    normalized = normalize(text)
    match = _FORGET.search(normalized)
    if match is None:
        return False
    before = normalized[: match.start()].split()
    after = normalized[match.end():].split()
    return len(before) <= _MAX_BEFORE and not _NOT_A_REQUEST & set(before) and set(after) <= _AFTER
