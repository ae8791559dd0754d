"""Conversation memory on disk: kept across restarts, written atomically, a bad file set aside and never lost."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from assistant.brain.history import Turn
from assistant.config import Config, GeneralConfig
from assistant.conversation.memory import MemoryFile, is_forget_request, memory_path

TURNS = [Turn("What's the date?", "Today is Tuesday."), Turn("and the time", ""), Turn("Ünïcödé ☃", "Okay.")]


def test_a_missing_file_is_an_empty_memory_and_turns_survive_a_new_instance(tmp_path: Path) -> None:
    path = tmp_path / "state" / "deeper" / "conversation.json"
    assert MemoryFile(path).load() == []
    MemoryFile(path).save(TURNS)  # creates the folders
    assert MemoryFile(path).load() == TURNS
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["turns"][0] == {"user": "What's the date?", "assistant": "Today is Tuesday."}
    assert path.stat().st_mode & 0o077 == 0  # private: only the owner may read the conversation
    assert sorted(p.name for p in path.parent.iterdir()) == ["conversation.json"]  # no temporary file left


def test_save_replaces_the_whole_file_and_clear_deletes_it(tmp_path: Path) -> None:
    memory = MemoryFile(tmp_path / "conversation.json")
    memory.save(TURNS)
    memory.save(TURNS[:1])
    assert memory.load() == TURNS[:1]
    memory.clear()
    assert not memory.path.exists() and memory.load() == []
    memory.clear()  # nothing to clear is fine


def test_a_failed_save_leaves_the_previous_file_and_no_temporary_file(tmp_path: Path) -> None:
    memory = MemoryFile(tmp_path / "conversation.json")
    memory.save(TURNS)
    before = memory.path.read_bytes()
    broken = [TURNS[0], Turn(object(), "x")]  # type: ignore[arg-type]  # json.dump fails mid-file
    with pytest.raises(TypeError):
        memory.save(broken)
    assert memory.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conversation.json"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{\"version\": 1, \"turns\": [{\"user\": \"cut in the mid", "is not a conversation memory file"),
        (b"\xff\xfe\x00garbage", "is not a conversation memory file"),
        (b"[1, 2, 3]", "no version field"),
        (b'{"version": 2, "turns": []}', "version 2, this assistant reads version 1"),
        (b'{"version": 1, "turns": [{"user": "hi"}]}', "turn 0 is not a user and an assistant text"),
        (b'{"version": 1}', "no list of turns"),
    ],
)
def test_a_bad_file_is_set_aside_with_a_warning_and_never_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, problem: str
) -> None:
    path = tmp_path / "conversation.json"
    path.write_bytes(content)
    memory = MemoryFile(path)
    with caplog.at_level(logging.WARNING):
        assert memory.load() == []
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("conversation.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content
    assert not path.exists()
    assert str(path) in caplog.text and problem in caplog.text and f"set aside as {aside[0]}" in caplog.text
    memory.save(TURNS)  # memory works again, beside the file set aside
    assert memory.load() == TURNS and aside[0].read_bytes() == content


def test_two_bad_files_in_the_same_second_are_both_kept(tmp_path: Path) -> None:
    path = tmp_path / "conversation.json"
    for content in (b"first", b"second"):
        path.write_bytes(content)
        assert MemoryFile(path).load() == []
    kept = sorted(p.read_bytes() for p in tmp_path.iterdir())
    assert kept == [b"first", b"second"]


def test_an_unreadable_path_is_set_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "conversation.json"
    path.mkdir()  # a folder where the file should be: reading it fails with an OSError
    (path / "inside").write_text("keep me")
    with caplog.at_level(logging.WARNING):
        assert MemoryFile(path).load() == []
    assert "cannot be read" in caplog.text
    aside = next(p for p in tmp_path.iterdir() if p.name.startswith("conversation.json.corrupt-"))
    assert (aside / "inside").read_text() == "keep me"


def test_a_bad_file_that_cannot_be_set_aside_is_not_overwritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A name so long that the set-aside name exceeds the file system's 255 bytes: the rename fails (as root too).
    path = tmp_path / ("c" * 240 + ".json")
    path.write_bytes(b"not json")
    memory = MemoryFile(path)
    with caplog.at_level(logging.WARNING):
        assert memory.load() == []
    memory.save(TURNS)
    memory.clear()
    assert path.read_bytes() == b"not json"
    assert "could not be set aside" in caplog.text and "move or delete it" in caplog.text


def test_the_memory_path_is_the_configured_state_folder_else_the_default(tmp_path: Path) -> None:
    config = Config(general=GeneralConfig(state_dir=str(tmp_path / "mine")))
    assert memory_path(config, {}) == tmp_path / "mine" / "conversation.json"
    assert memory_path(Config(), {"STATE_DIRECTORY": str(tmp_path / "svc")}) == tmp_path / "svc" / "conversation.json"
    env = {"HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "xdg")}
    if not (Path("/var/lib/assistant").is_dir() and os.access("/var/lib/assistant", os.W_OK)):
        assert memory_path(Config(), env) == tmp_path / "xdg" / "assistant" / "conversation.json"


@pytest.mark.parametrize(
    "text",
    [
        "forget everything", "Forget everything.", "Please forget everything!", "forget what I said",
        "forget what I just told you", "clear your memory", "forget our conversation", "start over",
        "Let's start over.", "can we start over please", "hey jarvis, could you forget everything now",
        "erase your memory", "wipe the history", "forget all of that", "let's start a new conversation",
        "forget about everything", "reset the conversation",
    ],
)
def test_forget_requests(text: str) -> None:
    assert is_forget_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "don't forget everything", "Do not forget what I said.", "never forget our conversation",
        "did you forget everything?", "why did you start over", "forget it", "forget all the timers",
        "the song will start over tomorrow at nine", "I always forget my keys", "what time is it", "",
        "remember everything", "forget",
    ],
)
def test_not_forget_requests(text: str) -> None:
    assert not is_forget_request(text)
