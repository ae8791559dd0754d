"""Engine selection: auto picks the best installed engine and says why; explicit choices fail clearly.

Models are installed for real (pull from a local folder) into a generated manifest with every role. A
missing optional engine package is simulated the standard way, with `sys.modules[name] = None`, which makes
`importlib.util.find_spec` report it absent.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import pytest
from http_server import file_entry, model_entry, write_manifest

from assistant.board import detect_profile
from assistant.config import Config, WakeWordConfig
from assistant.errors import ModelError
from assistant.models import ModelStore, load_manifest, pull
from assistant.selection import Catalog, WakeWordChoice, choose, choose_wake

ALL = ["pi4", "pi5", "jetson"]
# (name, role, files, extra manifest fields); every file's content is generated from its name.
MODELS = [
    ("vad-a", "vad", ["silero_vad.onnx"], {"default_for": ALL}),
    ("vad-b", "vad", ["silero_vad.onnx"], {"alternative_for": ALL}),
    (
        "ww-one",
        "wake",
        ["melspectrogram.onnx", "embedding_model.onnx", "one.onnx"],
        {"default_for": ALL, "entry": "one.onnx"},
    ),
    ("ww-two", "wake", ["melspectrogram.onnx", "embedding_model.onnx", "two.onnx"], {"entry": "two.onnx"}),
    ("w-tiny", "stt-whisper", ["ggml-tiny.bin"], {"default_for": ["pi4"]}),
    ("w-base", "stt-whisper", ["ggml-base.bin"], {"default_for": ["pi5", "jetson"]}),
    ("vosk-small", "stt-vosk", ["vosk-small.zip"], {"default_for": ALL, "entry": "vosk-small"}),
    ("sphinx", "stt-sphinx", [], {"default_for": ALL, "bundled": True}),
    ("llm-small", "llm", ["small.gguf"], {"default_for": ["pi4"]}),
    ("llm-big", "llm", ["big.gguf"], {"default_for": ["pi5", "jetson"]}),
    ("voice-a", "tts-piper", ["a.onnx", "a.onnx.json"], {"default_for": ALL}),
]


def _content(model: str, path: str) -> bytes:
    if path.endswith(".zip"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"{model}/am/final.mdl", b"weights")
        return buffer.getvalue()
    return f"{model}/{path}".encode() * 10


@pytest.fixture()
def world(tmp_path: Path) -> tuple[Path, Path]:
    """(manifest, local folder holding every model's files in <model>/<path> layout)."""
    usb = tmp_path / "usb"
    entries = []
    for name, role, files, extra in MODELS:
        specs = []
        for rel in files:
            data = _content(name, rel)
            (usb / name).mkdir(parents=True, exist_ok=True)
            (usb / name / rel).write_bytes(data)
            spec = file_entry(rel, data, f"https://example.invalid/{name}/{rel}")
            specs.append({**spec, "unpack": "zip"} if rel.endswith(".zip") else spec)
        entries.append(model_entry(name, role, specs, **extra))
    return write_manifest(tmp_path / "manifest.toml", entries), usb


def _config(tmp_path: Path, manifest: Path, profile: str = "pi4", **sections: dict[str, object]) -> Config:
    base = Config()
    changes = {
        "models": dataclasses.replace(
            base.models, dir=str(tmp_path / "models"), manifest=str(manifest), profile=profile
        )
    }
    for section, fields in sections.items():
        changes[section] = dataclasses.replace(getattr(base, section), **fields)
    return dataclasses.replace(base, **changes)


def _install(config: Config, usb: Path, *names: str) -> ModelStore:
    store = Catalog.from_config(config, env={}).store
    for name in names:
        pull(store.manifest.get(name), store, source=str(usb))
    return store


def _needs(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"the Python package {module} is not installed")


# ------------------------------------------------------------------------------------------------ catalog


def test_the_catalog_uses_the_configured_profile_folder_and_manifest(tmp_path: Path, world: tuple[Path, Path]) -> None:
    manifest, _ = world
    catalog = Catalog.from_config(_config(tmp_path, manifest, profile="pi5"), env={})
    assert (catalog.profile, catalog.profile_reason) == ("pi5", "set in models.profile")
    assert catalog.store.root == tmp_path / "models"
    assert catalog.manifest.path == manifest

    detected = Catalog.from_config(_config(tmp_path, manifest, profile="auto"), env={})
    assert (detected.profile, detected.profile_reason) == detect_profile()


def test_without_models_dir_the_environment_decides(tmp_path: Path, world: tuple[Path, Path]) -> None:
    config = dataclasses.replace(
        _config(tmp_path, world[0]), models=dataclasses.replace(Config().models, manifest=str(world[0]))
    )
    catalog = Catalog.from_config(config, env={"STATE_DIRECTORY": f"{tmp_path}/state:/elsewhere"})
    assert catalog.store.root == tmp_path / "state" / "models"


def test_unknown_role(tmp_path: Path, world: tuple[Path, Path]) -> None:
    config = _config(tmp_path, world[0])
    with pytest.raises(ValueError, match="unknown role 'wake'"):
        choose("wake", config, Catalog.from_config(config, env={}))


# -------------------------------------------------------------------------------------------------- vad


def test_vad_default_alternative_named_and_path(tmp_path: Path, world: tuple[Path, Path]) -> None:
    manifest, usb = world
    config = _config(tmp_path, manifest, vad={"model": ""})
    with pytest.raises(
        ModelError, match=r"Silero VAD is needed and no vad model installed \(assistant models pull vad-a\)"
    ):
        choose("vad", config)

    _install(config, usb, "vad-b")
    models = tmp_path / "models"
    choice = choose("vad", config)
    assert (choice.engine, choice.model, choice.reason) == (
        "silero",
        models / "vad-b/silero_vad.onnx",
        "vad-b, installed",
    )

    _install(config, usb, "vad-a")
    assert choose("vad", config).reason == "vad-a, the pi4 default"
    assert choose("vad", config).model == models / "vad-a/silero_vad.onnx"

    named = choose("vad", _config(tmp_path, manifest, vad={"model": "vad-b"}))
    assert (named.model, named.reason) == (models / "vad-b/silero_vad.onnx", "vad.model = vad-b, installed")

    own = tmp_path / "my_vad.onnx"
    own.write_bytes(b"x")
    by_path = choose("vad", _config(tmp_path, manifest, vad={"model": str(own)}))
    assert (by_path.model, by_path.reason) == (own, f"vad.model = {own}")


def test_vad_model_errors_name_the_setting(tmp_path: Path, world: tuple[Path, Path]) -> None:
    manifest, _ = world
    with pytest.raises(
        ModelError, match=r"Silero VAD is needed and vad-b is not installed \(assistant models pull vad-b\)"
    ):
        choose("vad", _config(tmp_path, manifest, vad={"model": "vad-b"}))
    with pytest.raises(
        ModelError, match=r"^vad.model = no model named 'vad-c' in the manifest .*did you mean vad-b, vad-a\?"
    ):
        choose("vad", _config(tmp_path, manifest, vad={"model": "vad-c"}))
    missing = tmp_path / "nope.onnx"
    with pytest.raises(ModelError, match=f'vad.model = "{missing}": no such file or folder; fix the path'):
        choose("vad", _config(tmp_path, manifest, vad={"model": str(missing)}))
    # A model of another role is not silently handed to Silero.
    with pytest.raises(ModelError, match=r'vad.model = "w-tiny" is a stt-whisper model, not vad; .*--role vad'):
        choose("vad", _config(tmp_path, manifest, vad={"model": "w-tiny"}))


# -------------------------------------------------------------------------------------------------- stt


def test_stt_auto_falls_back_to_sphinx_and_says_why(tmp_path: Path, world: tuple[Path, Path]) -> None:
    choice = choose("stt", _config(tmp_path, world[0]))
    assert (choice.engine, choice.model) == ("sphinx", None)
    assert choice.reason == (
        "auto: pocketsphinx (ships its English model); "
        "whisper: no stt-whisper model installed (assistant models pull w-tiny); "
        "vosk: no stt-vosk model installed (assistant models pull vosk-small)"
    )


def test_stt_auto_prefers_whisper_then_vosk(tmp_path: Path, world: tuple[Path, Path]) -> None:
    _needs("vosk")
    _needs("pywhispercpp")
    manifest, usb = world
    config = _config(tmp_path, manifest)
    models = tmp_path / "models"
    _install(config, usb, "vosk-small")
    choice = choose("stt", config)
    assert (choice.engine, choice.model) == ("vosk", models / "vosk-small" / "vosk-small")
    assert (
        choice.reason
        == "auto: vosk-small, the pi4 default; whisper: no stt-whisper model installed (assistant models pull w-tiny)"
    )

    _install(config, usb, "w-tiny")
    choice = choose("stt", config)
    assert (choice.engine, choice.model, choice.reason) == (
        "whisper",
        models / "w-tiny/ggml-tiny.bin",
        "auto: w-tiny, the pi4 default",
    )
    # On a pi5 the default (w-base) is missing: the installed tiny still beats vosk.
    pi5 = choose("stt", _config(tmp_path, manifest, profile="pi5"))
    assert (pi5.engine, pi5.reason) == ("whisper", "auto: w-tiny, installed")


def test_stt_auto_skips_an_engine_whose_package_is_missing(
    tmp_path: Path, world: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs("vosk")
    manifest, usb = world
    config = _config(tmp_path, manifest)
    _install(config, usb, "w-tiny", "vosk-small")
    monkeypatch.setitem(sys.modules, "pywhispercpp", None)
    choice = choose("stt", config)
    assert choice.engine == "vosk"
    assert choice.reason.endswith("; whisper: Python package pywhispercpp missing")


def test_explicit_stt_engines(tmp_path: Path, world: tuple[Path, Path]) -> None:
    manifest, usb = world
    with pytest.raises(
        ModelError,
        match=r'^stt.engine = "whisper" but no stt-whisper model installed \(assistant models pull w-tiny\)$',
    ):
        choose("stt", _config(tmp_path, manifest, stt={"engine": "whisper"}))
    with pytest.raises(ModelError, match=r'^stt.engine = "vosk" but vosk-small is not installed'):
        choose("stt", _config(tmp_path, manifest, stt={"engine": "vosk", "vosk_model": "vosk-small"}))
    sphinx = choose("stt", _config(tmp_path, manifest, stt={"engine": "sphinx"}))
    assert (sphinx.engine, sphinx.model, sphinx.reason) == ("sphinx", None, "stt.engine = sphinx")
    own = choose("stt", _config(tmp_path, manifest, stt={"engine": "sphinx", "sphinx_model": str(tmp_path)}))
    assert own.model == tmp_path

    config = _config(tmp_path, manifest, stt={"engine": "whisper"})
    _install(config, usb, "w-tiny", "w-base")
    assert choose("stt", config).model == tmp_path / "models/w-tiny/ggml-tiny.bin"
    named = choose("stt", _config(tmp_path, manifest, stt={"engine": "whisper", "whisper_model": "w-base"}))
    assert (named.model, named.reason) == (
        tmp_path / "models/w-base/ggml-base.bin",
        "stt.whisper_model = w-base, installed",
    )
    ggml = tmp_path / "mine.bin"
    ggml.write_bytes(b"ggml")
    assert (
        choose("stt", _config(tmp_path, manifest, stt={"engine": "whisper", "whisper_model": str(ggml)})).model == ggml
    )


def test_partials(tmp_path: Path, world: tuple[Path, Path]) -> None:
    manifest, usb = world
    none = choose("partials", _config(tmp_path, manifest, stt={"partials": "none"}))
    assert (none.engine, none.model, none.reason) == ("none", None, "stt.partials = none")
    auto = choose("partials", _config(tmp_path, manifest))
    assert (auto.engine, auto.reason) == (
        "none",
        "auto: no streaming partials (no stt-vosk model installed (assistant models pull vosk-small))",
    )
    with pytest.raises(ModelError, match=r'^stt.partials = "vosk" but no stt-vosk model installed'):
        choose("partials", _config(tmp_path, manifest, stt={"partials": "vosk"}))

    _needs("vosk")
    config = _config(tmp_path, manifest)
    _install(config, usb, "vosk-small")
    found = choose("partials", config)
    assert (found.engine, found.model, found.reason) == (
        "vosk",
        tmp_path / "models/vosk-small/vosk-small",
        "auto: vosk-small, the pi4 default",
    )


def test_a_bundled_model_cannot_stand_in_for_a_downloaded_one(tmp_path: Path, world: tuple[Path, Path]) -> None:
    with pytest.raises(ModelError, match=r'stt.vosk_model = "sphinx" is a stt-sphinx model, not stt-vosk'):
        choose("partials", _config(tmp_path, world[0], stt={"vosk_model": "sphinx"}))


# ---------------------------------------------------------------------------------------------- llm, tts


def test_llm(tmp_path: Path, world: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    manifest, usb = world
    auto = choose("llm", _config(tmp_path, manifest))
    assert (auto.engine, auto.model, auto.reason) == (
        "none",
        None,
        "auto: no llm model installed (assistant models pull llm-small)",
    )
    with pytest.raises(
        ModelError, match=r'^llm.engine = "llama" but no llm model installed \(assistant models pull llm-small\)$'
    ):
        choose("llm", _config(tmp_path, manifest, llm={"engine": "llama"}))

    config = _config(tmp_path, manifest)
    _install(config, usb, "llm-big")
    jetson = choose("llm", _config(tmp_path, manifest, profile="jetson"))
    assert (jetson.model, jetson.reason) == (tmp_path / "models/llm-big/big.gguf", "llm-big, the jetson default")
    assert choose("llm", config).reason == "llm-big, installed"  # pi4's default is missing
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    assert choose("llm", _config(tmp_path, manifest, llm={"model": str(gguf)})).model == gguf

    # Without llama-cpp-python, auto runs without an LLM; an explicit llama goes on to the engine's import error.
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    assert choose("llm", config).reason == "auto: llama-cpp-python is not installed (pip install 'assistant[llm]')"
    assert choose("llm", _config(tmp_path, manifest, llm={"engine": "llama"})).engine == "llama"


def test_llm_with_its_package(tmp_path: Path, world: tuple[Path, Path]) -> None:
    _needs("llama_cpp")
    manifest, usb = world
    config = _config(tmp_path, manifest)
    _install(config, usb, "llm-small")
    choice = choose("llm", config)
    assert (choice.engine, choice.model, choice.reason) == (
        "llama",
        tmp_path / "models/llm-small/small.gguf",
        "llm-small, the pi4 default",
    )


def test_tts(tmp_path: Path, world: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    manifest, usb = world
    espeak = choose("tts", _config(tmp_path, manifest, tts={"engine": "espeak"}))
    assert (espeak.engine, espeak.model, espeak.reason) == ("espeak", None, "tts.engine = espeak")
    auto = choose("tts", _config(tmp_path, manifest))
    assert (auto.engine, auto.reason) == (
        "espeak",
        "auto: espeak-ng (no tts-piper model installed (assistant models pull voice-a))",
    )
    with pytest.raises(ModelError, match=r'^tts.engine = "piper" but no tts-piper model installed'):
        choose("tts", _config(tmp_path, manifest, tts={"engine": "piper"}))

    config = _config(tmp_path, manifest)
    _install(config, usb, "voice-a")
    if importlib.util.find_spec("piper") is not None:
        piper = choose("tts", config)
        # The voice's .onnx, with its .onnx.json beside it.
        assert (piper.engine, piper.model, piper.reason) == (
            "piper",
            tmp_path / "models/voice-a/a.onnx",
            "auto: voice-a, the pi4 default",
        )
    monkeypatch.setitem(sys.modules, "piper", None)
    assert (
        choose("tts", config).reason == "auto: espeak-ng (piper-tts is not installed (pip install 'assistant[piper]'))"
    )


# ------------------------------------------------------------------------------------------------- wake


def _wake(tmp_path: Path, manifest: Path, engine: str = "auto", *words: tuple[str, float]) -> Config:
    return _config(
        tmp_path, manifest, wake={"engine": engine, "words": [WakeWordConfig(model=m, threshold=t) for m, t in words]}
    )


def test_wake_none_and_nothing_installed(tmp_path: Path, world: tuple[Path, Path]) -> None:
    manifest, _ = world
    off = choose_wake(_wake(tmp_path, manifest, "none", ("ww-one", 0.5)))
    assert (off.engine, off.words, off.reason) == ("none", (), "wake.engine = none: any speech starts a turn")
    auto = choose_wake(_wake(tmp_path, manifest, "auto", ("ww-one", 0.5)))
    assert (auto.engine, auto.words) == ("none", ())
    assert auto.reason == (
        "auto: no wake-word model installed, any speech starts a turn; "
        "ww-one is not installed (assistant models pull ww-one)"
    )
    with pytest.raises(ModelError, match=r'^wake.engine = "openwakeword" but ww-one is not installed'):
        choose_wake(_wake(tmp_path, manifest, "openwakeword", ("ww-one", 0.5)))


def test_wake_words_installed_partly(tmp_path: Path, world: tuple[Path, Path]) -> None:
    manifest, usb = world
    config = _wake(tmp_path, manifest, "auto", ("ww-one", 0.6), ("ww-two", 0.4))
    _install(config, usb, "ww-one")
    choice = choose_wake(config)
    one = tmp_path / "models/ww-one/one.onnx"
    assert choice.engine == "openwakeword"
    assert choice.words == (WakeWordChoice("ww-one", one, 0.6),)
    assert choice.reason == "openWakeWord: ww-one (ww-two is not installed (assistant models pull ww-two))"
    # The feature models the classifier needs lie beside it.
    assert (one.parent / "melspectrogram.onnx").is_file() and (one.parent / "embedding_model.onnx").is_file()
    with pytest.raises(ModelError, match=r'wake.engine = "openwakeword" but ww-two is not installed'):
        choose_wake(_wake(tmp_path, manifest, "openwakeword", ("ww-one", 0.6), ("ww-two", 0.4)))

    _install(config, usb, "ww-two")
    assert [w.name for w in choose_wake(config).words] == ["ww-one", "ww-two"]


def test_wake_word_by_path_or_profile_default(tmp_path: Path, world: tuple[Path, Path]) -> None:
    manifest, usb = world
    own = tmp_path / "computer_v2.onnx"
    own.write_bytes(b"onnx")
    by_path = choose_wake(_wake(tmp_path, manifest, "auto", (str(own), 0.7)))
    assert by_path.words == (WakeWordChoice("computer_v2", own, 0.7),)

    config = _wake(tmp_path, manifest, "auto", ("", 0.5))
    _install(config, usb, "ww-one")
    assert choose_wake(config).words == (WakeWordChoice("one", tmp_path / "models/ww-one/one.onnx", 0.5),)


# ---------------------------------------------------------------------------------------- the real manifest


def test_the_real_defaults_from_the_shared_models(clean_env: Path, shared_models: Path) -> None:
    """With the shipped manifest and real files: Silero and 'hey jarvis' as the default config names them."""
    base = Config()
    config = dataclasses.replace(
        base, models=dataclasses.replace(base.models, dir=str(clean_env / "models"), profile="pi4")
    )
    store = Catalog.from_config(config, env={}).store
    for name in ("silero-vad-v6", "oww-hey-jarvis"):
        pull(store.manifest.get(name), store, source=str(shared_models))
    vad = choose("vad", config)
    assert (vad.engine, vad.model) == ("silero", clean_env / "models/silero-vad-v6/silero_vad.onnx")
    wake = choose_wake(config)
    assert wake.engine == "openwakeword"
    assert wake.words == (
        WakeWordChoice("oww-hey-jarvis", clean_env / "models/oww-hey-jarvis/hey_jarvis_v0.1.onnx", 0.35),
    )
    assert load_manifest(store.manifest.path).get("oww-hey-jarvis").entry == "hey_jarvis_v0.1.onnx"
