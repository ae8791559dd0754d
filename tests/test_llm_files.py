"""A model file llama.cpp cannot use is a ModelError that names the file and the fix, never a crash."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from assistant.brain.llm import LlamaChat
from assistant.config import LlmConfig
from assistant.errors import ModelError

pytest.importorskip("llama_cpp")

CONFIG = LlmConfig(n_ctx=256, max_tokens=16)


@pytest.fixture(scope="module")
def stories_bytes(shared_models: Path) -> bytes:
    return (shared_models / "llm" / "stories260K.gguf").read_bytes()


def _refused(path: Path, match: str) -> str:
    with pytest.raises(ModelError, match=match) as caught:
        LlamaChat(path, CONFIG)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_a_missing_file(tmp_path: Path) -> None:
    message = _refused(tmp_path / "nowhere.gguf", "not found")
    assert "--model" in message and "[llm] model" in message


def test_a_folder(tmp_path: Path) -> None:
    _refused(tmp_path, "not a file")


def test_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"ggjt" + bytes(2000))  # an old GGML file
    assert "convert" in _refused(path, "not a GGUF file")


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    _refused(path, "not a GGUF file")


def test_an_unknown_gguf_version(tmp_path: Path, stories_bytes: bytes) -> None:
    path = tmp_path / "future.gguf"
    path.write_bytes(stories_bytes[:4] + struct.pack("<I", 99) + stories_bytes[8:])
    _refused(path, "version 99")


@pytest.mark.parametrize("keep", [10, 24, 1000, 0.5, -1], ids=["in-header", "header-only", "in-metadata",
                                                                "half", "last-byte-missing"])
def test_a_truncated_file(tmp_path: Path, stories_bytes: bytes, keep: float) -> None:
    cut = int(len(stories_bytes) * keep) if isinstance(keep, float) else keep % len(stories_bytes)
    path = tmp_path / "truncated.gguf"
    path.write_bytes(stories_bytes[:cut])
    message = _refused(path, "truncated|damaged|could not load")
    assert "download it again" in message


def test_garbage_after_a_valid_header(tmp_path: Path, stories_bytes: bytes) -> None:
    path = tmp_path / "garbage.gguf"
    path.write_bytes(stories_bytes[:24] + bytes(range(256)) * 2000)
    _refused(path, "could not load")
