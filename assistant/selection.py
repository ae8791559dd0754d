"""Engine selection: which engine and which model each role uses, and why.

`auto` (the default for every role) picks the best engine whose model is installed: whisper over Vosk over
pocketsphinx for final transcripts, Piper over espeak-ng for speech, openWakeWord when a wake-word model is
present. A model setting may name a manifest model or a path. An engine chosen explicitly whose model is missing
is an error; under `auto`, a missing model only moves the choice down to the next engine. The reasons are logged
at start.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from assistant.board import detect_profile
from assistant.config import Config, WakeWordConfig
from assistant.errors import ModelError
from assistant.models import Manifest, ModelStore, load_manifest, manifest_path
from assistant.paths import default_models_dir

# File endings that mark a model setting as a path rather than a manifest name.
_PATH_SUFFIXES = (".onnx", ".gguf", ".bin", ".json", ".zip")


@dataclass(frozen=True)
class Choice:
    role: str  # vad, wake, stt, partials, llm, tts
    engine: str  # silero, openwakeword, whisper, vosk, sphinx, llama, piper, espeak, none
    model: Path | None  # the file or folder the engine loads; None when it needs none
    reason: str


@dataclass(frozen=True)
class WakeWordChoice:
    name: str
    classifier: Path  # melspectrogram.onnx and embedding_model.onnx lie beside it
    threshold: float
    patience: int = WakeWordConfig().patience  # consecutive 80 ms chunks at or above the threshold


@dataclass(frozen=True)
class WakeChoice:
    engine: str  # openwakeword or none
    words: tuple[WakeWordChoice, ...]
    reason: str


@dataclass(frozen=True)
class Catalog:
    """The manifest, the models folder and the board profile: what `auto` chooses from."""

    manifest: Manifest
    store: ModelStore
    profile: str
    profile_reason: str

    @classmethod
    def from_config(cls, config: Config, env: Mapping[str, str] | None = None) -> Catalog:
        env = os.environ if env is None else env
        manifest = load_manifest(manifest_path(config.models.manifest))
        root = Path(config.models.dir).expanduser() if config.models.dir else default_models_dir(env)[0]
        if config.models.profile == "auto":
            profile, why = detect_profile()
        else:
            profile, why = config.models.profile, "set in models.profile"
        return cls(manifest, ModelStore(root, manifest), profile, why)

    def resolve(self, ref: str, role: str, setting: str) -> tuple[Path | None, str]:
        """The path for a model setting (a name, a path, or empty: the default) and why; None: absent."""
        if ref and (os.sep in ref or ref.startswith(("~", ".")) or ref.endswith(_PATH_SUFFIXES)):
            path = Path(ref).expanduser()
            if not path.exists():
                raise ModelError(f'{setting} = "{ref}": no such file or folder; fix the path or pull a model')
            return path, f"{setting} = {path}"
        if ref:
            model = self.manifest.get(ref, setting)
            if model.role != role:
                raise ModelError(
                    f'{setting} = "{ref}" is a {model.role} model, not {role}; '
                    f"`assistant models list --role {role}` shows the ones that fit"
                )
            if self.store.is_installed(model):
                return model.main_path(self.store.root), f"{setting} = {ref}, installed"
            return None, f"{ref} is not installed (assistant models pull {ref})"
        default = self.manifest.default(role, self.profile)
        if default and self.store.is_installed(default):
            return default.main_path(self.store.root), f"{default.name}, the {self.profile} default"
        for model in self.manifest.by_role(role):
            if not model.bundled and self.store.is_installed(model):
                return model.main_path(self.store.root), f"{model.name}, installed"
        missing = f" (assistant models pull {default.name})" if default else ""
        return None, f"no {role} model installed{missing}"


def _has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def choose(role: str, config: Config, catalog: Catalog | None = None) -> Choice:
    """The engine and model for one role ("vad", "stt", "partials", "llm", "tts")."""
    catalog = catalog or Catalog.from_config(config)
    if role == "vad":
        path, why = catalog.resolve(config.vad.model, "vad", "vad.model")
        if path is None:
            raise ModelError(f"Silero VAD is needed and {why}")
        return Choice("vad", "silero", path, why)
    if role == "stt":
        return _choose_stt(config, catalog)
    if role == "partials":
        return _choose_partials(config, catalog)
    if role == "llm":
        return _choose_llm(config, catalog)
    if role == "tts":
        return _choose_tts(config, catalog)
    raise ValueError(f"unknown role {role!r}")


def _explicit(engine: str, setting: str, path: Path | None, why: str, role: str) -> Choice:
    """`setting` is the one that chose the engine (stt.engine, stt.partials, tts.engine)."""
    if path is None:
        raise ModelError(f'{setting} = "{engine}" but {why}')
    return Choice(role, engine, path, why)


def _choose_stt(config: Config, catalog: Catalog) -> Choice:
    stt = config.stt
    sphinx = Path(stt.sphinx_model).expanduser() if stt.sphinx_model else None
    if stt.engine == "sphinx":
        return Choice("stt", "sphinx", sphinx, "stt.engine = sphinx")
    whisper = catalog.resolve(stt.whisper_model, "stt-whisper", "stt.whisper_model")
    if stt.engine == "whisper":
        return _explicit("whisper", "stt.engine", *whisper, "stt")
    vosk = catalog.resolve(stt.vosk_model, "stt-vosk", "stt.vosk_model")
    if stt.engine == "vosk":
        return _explicit("vosk", "stt.engine", *vosk, "stt")
    passed = []
    for engine, (path, why), module in (("whisper", whisper, "pywhispercpp"), ("vosk", vosk, "vosk")):
        if path is not None and _has_module(module):
            return Choice("stt", engine, path, f"auto: {why}" + (f"; {'; '.join(passed)}" if passed else ""))
        passed.append(f"{engine}: {why}" if path is None else f"{engine}: Python package {module} missing")
    return Choice(
        "stt", "sphinx", sphinx, "auto: pocketsphinx (ships its English model); " + "; ".join(passed)
    )


def _choose_partials(config: Config, catalog: Catalog) -> Choice:
    if config.stt.partials == "none":
        return Choice("partials", "none", None, "stt.partials = none")
    path, why = catalog.resolve(config.stt.vosk_model, "stt-vosk", "stt.vosk_model")
    if config.stt.partials == "vosk":
        return _explicit("vosk", "stt.partials", path, why, "partials")
    if path is not None and _has_module("vosk"):
        return Choice("partials", "vosk", path, f"auto: {why}")
    return Choice(
        "partials", "none", None, f"auto: no streaming partials ({why if path is None else 'vosk missing'})"
    )


def _choose_llm(config: Config, catalog: Catalog) -> Choice:
    path, why = catalog.resolve(config.llm.model, "llm", "llm.model")
    if path is None:
        if config.llm.engine == "llama":
            raise ModelError(f'llm.engine = "llama" but {why}')
        return Choice("llm", "none", None, f"auto: {why}")
    # An explicit llama goes ahead without the package: the engine's import_optional then says what to install.
    if config.llm.engine != "llama" and not _has_module("llama_cpp"):
        return Choice(
            "llm", "none", None, "auto: llama-cpp-python is not installed (pip install 'assistant[llm]')"
        )
    return Choice("llm", "llama", path, why)


def _choose_tts(config: Config, catalog: Catalog) -> Choice:
    tts = config.tts
    if tts.engine == "espeak":
        return Choice("tts", "espeak", None, "tts.engine = espeak")
    path, why = catalog.resolve(tts.voice, "tts-piper", "tts.voice")
    if tts.engine == "piper":
        return _explicit("piper", "tts.engine", path, why, "tts")
    if path is not None and _has_module("piper"):
        return Choice("tts", "piper", path, f"auto: {why}")
    reason = why if path is None else "piper-tts is not installed (pip install 'assistant[piper]')"
    return Choice("tts", "espeak", None, f"auto: espeak-ng ({reason})")


def choose_wake(config: Config, catalog: Catalog | None = None) -> WakeChoice:
    """The wake words to listen for, or none (any speech starts a turn)."""
    if config.wake.engine == "none":
        return WakeChoice("none", (), "wake.engine = none: any speech starts a turn")
    catalog = catalog or Catalog.from_config(config)
    words, missing = [], []
    for index, word in enumerate(config.wake.words):
        path, why = catalog.resolve(word.model, "wake", f"wake.words[{index}].model")
        if path is None:
            missing.append(why)
        else:
            # A manifest name names the word; a path or the profile default (empty) go by the file.
            name = word.model if catalog.manifest.find(word.model) else path.stem
            words.append(WakeWordChoice(name, path, word.threshold, word.patience))
    if missing and config.wake.engine == "openwakeword":
        raise ModelError('wake.engine = "openwakeword" but ' + "; ".join(missing))
    if not words:
        return WakeChoice(
            "none", (), "auto: no wake-word model installed, any speech starts a turn; " + "; ".join(missing)
        )
    reason = (
        "openWakeWord: " + ", ".join(w.name for w in words) + (f" ({'; '.join(missing)})" if missing else "")
    )
    return WakeChoice("openwakeword", tuple(words), reason)
