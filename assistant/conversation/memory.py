"""Conversation memory on disk: the remembered turns survive a restart; "forget everything" clears them.

One small JSON file under the state folder (`conversation.json`), rewritten whole after every turn, atomically;
a file that cannot be read or understood is set aside, never lost (assistant.conversation.state_file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.brain.history import Turn
from assistant.conversation.state_file import StateFile, state_path
from assistant.text_norm import normalize

if TYPE_CHECKING:
    from assistant.config import Config

VERSION = 1
FILE_NAME = "conversation.json"


def memory_path(config: Config, env: Mapping[str, str]) -> Path:
    """The memory file: general.state_dir, else the default state folder (see assistant.paths)."""
    return state_path(config, env, FILE_NAME)


class MemoryFile:
    """The turns of the conversation, kept in one JSON file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self._file = StateFile(path, "conversation memory", VERSION)
        self.path = self._file.path

    def load(self) -> list[Turn]:
        """The remembered turns, oldest first; [] when there is no file or it is not usable (set aside)."""
        return self._file.load(_parse) or []

    def save(self, turns: Sequence[Turn]) -> None:
        """Replace the file with `turns` atomically (creating the folder). Raises OSError if it cannot write."""
        self._file.save({"turns": [{"user": t.user, "assistant": t.assistant} for t in turns]})

    def clear(self) -> None:
        """Forget the remembered turns: the file is deleted (files set aside earlier stay, for diagnosis)."""
        self._file.clear()


def _parse(data: dict[str, Any]) -> list[Turn]:
    """The turns of a decoded memory file (its version checked); ValueError says what is wrong with it."""
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
