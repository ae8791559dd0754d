"""The shipped model manifest: it loads, follows its own rules, and agrees with the real files we have."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from assistant.models import PROFILES, ROLES, Manifest, load_manifest, manifest_path

REPO = Path(__file__).resolve().parents[1]
HEX = {"sha256": 64, "sha1": 40, "md5": 32}

# Files of the shared models folder that the manifest says are byte-identical to an upstream file:
# (model, file in the model) -> file under shared/models.
SHARED_COPIES = {
    ("silero-vad-v6", "silero_vad.onnx"): "vad/silero_vad.onnx",
    **{
        (model, front): f"wakeword/{front}"
        for model in ("oww-hey-jarvis", "oww-alexa", "oww-hey-mycroft")
        for front in ("melspectrogram.onnx", "embedding_model.onnx")
    },
    ("oww-hey-jarvis", "hey_jarvis_v0.1.onnx"): "wakeword/hey_jarvis_v0.1.onnx",
    ("oww-alexa", "alexa_v0.1.onnx"): "wakeword/alexa_v0.1.onnx",
    ("oww-hey-mycroft", "hey_mycroft_v0.1.onnx"): "wakeword/hey_mycroft_v0.1.onnx",
    ("stories260k", "stories260K.gguf"): "llm/stories260K.gguf",
    ("piper-en-us-amy-low", "en_US-amy-low.onnx.json"): "piper/en_US-amy-low.onnx.json",
}
# Same file name in shared/models but, as the manifest explains, NOT the same bytes.
NOT_COPIES = {
    ("silero-vad-v5", "silero_vad.onnx"),  # the shared file is v6
    ("piper-en-us-lessac-low", "en_US-lessac-low.onnx.json"),  # the shared copy was edited locally
}


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest(manifest_path(""))


def test_the_package_uses_the_repository_manifest(manifest: Manifest) -> None:
    # A stale copy in assistant/data/ (left by a wheel build) would shadow the repository's manifest.
    assert manifest.path.read_bytes() == (REPO / "models" / "manifest.toml").read_bytes()


def test_profiles_and_roles(manifest: Manifest) -> None:
    assert set(manifest.profiles) == set(PROFILES)
    assert all(manifest.profiles.values()), "every profile has a description"
    assert {m.role for m in manifest.models} == set(ROLES)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_exactly_one_default_per_profile(manifest: Manifest, role: str, profile: str) -> None:
    defaults = [m.name for m in manifest.by_role(role) if profile in m.default_for]
    assert len(defaults) == 1, f"role {role}, profile {profile}: defaults {defaults}"


def test_entries_are_complete(manifest: Manifest) -> None:
    problems = []
    for model in manifest.models:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", model.name):
            problems.append(f"{model.name}: name is not lower-case letters, digits, . _ -")
        if not (model.description and model.licence and model.ram_mb > 0):
            problems.append(f"{model.name}: description, licence and ram_mb are required")
        if set(model.default_for) & set(model.alternative_for):
            problems.append(f"{model.name}: a profile is both default and alternative")
        if model.bundled:
            if model.files:
                problems.append(f"{model.name}: bundled, yet it lists files")
            continue
        paths_ = [f.path for f in model.files]
        if len(set(paths_)) != len(paths_):
            problems.append(f"{model.name}: a file is listed twice")
        unpacked = any(f.unpack for f in model.files)
        if unpacked and not model.entry:
            problems.append(f"{model.name}: an archive model needs entry (the folder the engine loads)")
        if model.entry and not unpacked and model.entry not in paths_:
            problems.append(f"{model.name}: entry {model.entry} is none of its files")
        for spec in model.files:
            where = f"{model.name}/{spec.path}"
            if not spec.url.startswith("https://"):
                problems.append(f"{where}: url is not https://")
            if re.search(r"/(main|master)/", spec.url):
                problems.append(f"{where}: url follows a moving branch, pin a tag or commit")
            if spec.size <= 0:
                problems.append(f"{where}: no size")
            if spec.sha256 is None:
                problems.append(f"{where}: no sha256")
            if spec.unpack not in (None, "zip"):
                problems.append(f"{where}: unpack {spec.unpack!r} is not supported")
            for algo, value in spec.digests().items():
                if not re.fullmatch(f"[0-9a-f]{{{HEX[algo]}}}", value):
                    problems.append(f"{where}: {algo} is not {HEX[algo]} hex digits")
    assert problems == []


def test_the_same_url_always_has_the_same_size_and_checksum(manifest: Manifest) -> None:
    seen: dict[str, tuple[int, str | None]] = {}
    for model in manifest.models:
        for spec in model.files:
            assert seen.setdefault(spec.url, (spec.size, spec.sha256)) == (spec.size, spec.sha256), spec.url


def test_wake_models_load_their_classifier(manifest: Manifest, tmp_path: Path) -> None:
    """selection hands main_path to openWakeWord as the classifier; the feature models lie beside it."""
    for model in manifest.by_role("wake"):
        main = model.main_path(tmp_path)
        assert main.name not in ("melspectrogram.onnx", "embedding_model.onnx"), model.name
        assert {f.path for f in model.files} == {main.name, "melspectrogram.onnx", "embedding_model.onnx"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_files_we_have_match_the_manifest(manifest: Manifest, shared_models: Path) -> None:
    for (name, rel), shared in SHARED_COPIES.items():
        spec = next(f for f in manifest.get(name).files if f.path == rel)
        real = shared_models / shared
        assert (spec.size, spec.sha256) == (real.stat().st_size, _digest(real)), f"{name}/{rel} vs {real}"


def test_every_shared_file_named_in_the_manifest_is_accounted_for(manifest: Manifest, shared_models: Path) -> None:
    """A new manifest entry whose file we have must be added to SHARED_COPIES (or NOT_COPIES, with a reason)."""
    shared_names = {p.name for p in shared_models.rglob("*") if p.is_file()}
    named = {(m.name, f.path) for m in manifest.models for f in m.files if Path(f.path).name in shared_names}
    assert named == set(SHARED_COPIES) | NOT_COPIES
    for name, rel in NOT_COPIES:
        spec = next(f for f in manifest.get(name).files if f.path == rel)
        real = next(p for p in shared_models.rglob(Path(rel).name))
        assert spec.sha256 != _digest(real), f"{name}/{rel} now matches {real}: move it to SHARED_COPIES"
