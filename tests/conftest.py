"""Shared fixtures: where the real models and recordings are, and the test markers.

`.ci/run` (through scripts/test.sh) points ASSISTANT_SHARED_MODELS and ASSISTANT_SHARED_AUDIO at ../shared;
a developer's checkout finds ../shared beside the repository. A test that needs them and cannot find them is
skipped with the reason; CI sets ASSISTANT_REQUIRE_SHARED=1 so that a missing folder fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared(env_name: str, sub: str) -> Path | None:
    configured = os.environ.get(env_name)
    candidate = Path(configured) if configured else REPO.parent / "shared" / sub
    return candidate if candidate.is_dir() else None


def _require(env_name: str, sub: str) -> Path:
    found = _shared(env_name, sub)
    if found is None:
        reason = f"shared {sub} not found: set {env_name} to the shared/{sub} folder"
        if os.environ.get("ASSISTANT_REQUIRE_SHARED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """The folder of real model files (shared/models, see its MODELS.md)."""
    return _require("ASSISTANT_SHARED_MODELS", "models")


@pytest.fixture(scope="session")
def shared_audio() -> Path:
    """The folder of real recordings (shared/audio, a MANIFEST.tsv per set)."""
    return _require("ASSISTANT_SHARED_AUDIO", "audio")


@pytest.fixture(scope="session")
def shared_scenarios() -> Path:
    """Example scenarios for the simulated room."""
    return _require("ASSISTANT_SHARED_SCENARIOS", "scenarios")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture()
def test_set_config(tmp_path: Path, shared_models: Path) -> Callable[..., Path]:
    """Writes tmp_path/assistant.toml for the test model set (Silero from shared, no wake word, pocketsphinx,
    stories260K at temperature 0, espeak-ng; state and models under tmp_path); keyword arguments are tables
    whose settings override or add to it, e.g. `test_set_config(llm={"max_tokens": 120})`."""

    def write(**overrides: dict[str, object]) -> Path:
        tables: dict[str, dict[str, object]] = {
            "general": {"state_dir": tmp_path / "state"},
            "models": {"dir": tmp_path / "models"},
            "vad": {"model": shared_models / "vad" / "silero_vad.onnx"},
            "wake": {"engine": "none"},
            "stt": {"engine": "sphinx"},
            "llm": {"model": shared_models / "llm" / "stories260K.gguf", "temperature": 0.0},
            "tts": {"engine": "espeak"},
        }
        for table, settings in overrides.items():
            tables.setdefault(table, {}).update(settings)
        lines = [
            line
            for table, settings in tables.items()
            for line in (f"[{table}]", *(f"{key} = {_toml_value(value)}" for key, value in settings.items()))
        ]
        path = tmp_path / "assistant.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture()
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No assistant settings from the developer's environment or home leak into a test."""
    for name in list(os.environ):
        if name.startswith("ASSISTANT_") and not name.startswith("ASSISTANT_SHARED") and name not in (
            "ASSISTANT_REQUIRE_SHARED",
            "ASSISTANT_STANDIN_CACHE",
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    return tmp_path


@pytest.fixture(autouse=True)
def restore_root_logging() -> object:
    """CLI tests run main(), which points the root logger at the sys.stderr of that moment (pytest's capture,
    closed after the test); later tests' log lines would then hit a closed file."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
