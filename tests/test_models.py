"""The manifest parser and its checks, file checks, and ModelStore's view of what is installed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from http_server import file_entry, model_entry, sha256, write_manifest

from assistant.errors import ConfigurationError, ModelError
from assistant.models import (
    RECEIPT,
    ModelFile,
    ModelStore,
    check_file,
    file_digest,
    load_manifest,
    manifest_path,
)

DATA = bytes(range(256)) * 40  # 10240 bytes
URL = "https://example.invalid/"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ parsing


def test_a_generated_manifest_parses_into_typed_entries(tmp_path: Path) -> None:
    upper = sha256(DATA).upper()
    path = write_manifest(
        tmp_path / "manifest.toml",
        [
            model_entry(
                "voice",
                "tts-piper",
                [
                    file_entry("v.onnx", DATA, URL + "v.onnx", sha256=upper, md5="ABCDEF"),
                    file_entry("v.onnx.json", b"{}", URL + "v.onnx.json", sha256="unknown", size=0),
                ],
                default_for=["pi4"],
                alternative_for=["pi5", "jetson"],
                licence="MIT",
                language="en",
                ram_mb=150,
            ),
            model_entry("zipped", "stt-vosk", [file_entry("m.zip", DATA, URL, unpack="zip")], entry="m"),
            model_entry("fallback", "stt-sphinx", [], bundled=True, default_for=["pi4", "pi5", "jetson"]),
        ],
    )
    manifest = load_manifest(path)
    assert manifest.path == path
    assert set(manifest.profiles) == {"pi4", "pi5", "jetson"}
    voice = manifest.get("voice")
    assert (voice.role, voice.licence, voice.language, voice.ram_mb) == ("tts-piper", "MIT", "en", 150)
    assert voice.default_for == ("pi4",) and voice.alternative_for == ("pi5", "jetson")
    onnx, config = voice.files
    assert onnx == ModelFile("v.onnx", URL + "v.onnx", len(DATA), upper, md5="ABCDEF")
    # Checksums compare in lower case, strongest first.
    assert onnx.digests() == {"sha256": sha256(DATA), "md5": "abcdef"}
    assert config.sha256 is None and config.size == 0 and config.digests() == {}
    assert voice.download_size == len(DATA)
    assert voice.main_path(tmp_path) == tmp_path / "voice" / "v.onnx"
    zipped = manifest.get("zipped")
    assert zipped.files[0].unpack == "zip" and zipped.main_path(tmp_path) == tmp_path / "zipped" / "m"
    assert manifest.get("fallback").bundled
    assert [m.name for m in manifest.by_role("stt-vosk")] == ["zipped"]
    assert manifest.default("tts-piper", "pi4") is voice
    assert manifest.default("tts-piper", "pi5") is None
    assert manifest.default("stt-sphinx", "jetson").name == "fallback"
    assert manifest.find("nope") is None


def test_an_unknown_name_suggests_close_ones(tmp_path: Path) -> None:
    path = write_manifest(
        tmp_path / "m.toml", [model_entry("whisper-tiny.en", "stt-whisper", [file_entry("a", DATA, URL)])]
    )
    with pytest.raises(ModelError, match=r"no model named 'whisper-tiny-en' .*did you mean whisper-tiny.en\?"):
        load_manifest(path).get("whisper-tiny-en")
    with pytest.raises(ModelError, match="`assistant models list` shows them") as exc:
        load_manifest(path).get("completely-different")
    assert "did you mean" not in str(exc.value)


def test_a_missing_manifest_names_the_file_and_setting(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigurationError, match=r"model manifest not found: .*absent.toml \(setting models.manifest\)"
    ):
        load_manifest(tmp_path / "absent.toml")


def test_invalid_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"manifest .*manifest.toml is not valid TOML"):
        load_manifest(_write(tmp_path, "[[model]\nname = 1"))
    (tmp_path / "latin1.toml").write_bytes(b"name = '\xe9t\xe9'")
    with pytest.raises(ConfigurationError, match=r"latin1.toml is not valid TOML"):
        load_manifest(tmp_path / "latin1.toml")


PROFILES = "[profiles.pi4]\n[profiles.pi5]\n[profiles.jetson]\n"
GOOD_FILE = f'[[model.file]]\npath = "a.bin"\nurl = "{URL}"\nsize = 1\nsha256 = "{"ab" * 32}"\n'


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            '[[model]]\nname = "x"\nrole = "vad"\n[[model.file]]\npath = "a"\nurl = "u"\nsha256 = "abc"\n',
            'model #1 (x): file a: sha256 must be 64 hex digits or "unknown"',
        ),
        (
            f'[[model]]\nname = "x"\nrole = "vad"\n[[model.file]]\npath = "a"\nurl = "u"\nsha256 = "{"g" * 64}"\n',
            "sha256 must be 64 hex digits",
        ),
        (
            '[[model]]\nname = "x"\nrole = "vad"\n[[model.file]]\npath = "a"\nsha256 = "unknown"\n',
            "model #1 (x): 'url'",
        ),
        (f'[[model]]\nrole = "vad"\n{GOOD_FILE}', "model #1 (?): 'name'"),
        (f'[[model]]\nname = "x"\nrole = "vad"\nram_mb = "lots"\n{GOOD_FILE}', "model #1 (x): invalid literal"),
        (f'[[model]]\nname = "x"\nrole = "speech"\n{GOOD_FILE}', "x: role 'speech' is not one of vad, wake"),
        (f'[[model]]\nname = "x"\nrole = "vad"\ndefault_for = ["pi3"]\n{GOOD_FILE}', "x: unknown profiles ['pi3']"),
        ('[[model]]\nname = "x"\nrole = "vad"\n', "x: no [[model.file]] and not bundled"),
        (
            f'[[model]]\nname = "x"\nrole = "vad"\n{GOOD_FILE}[[model]]\nname = "x"\nrole = "vad"\n{GOOD_FILE}',
            "model name 'x' is listed twice",
        ),
        (
            f'[[model]]\nname = "x"\nrole = "llm"\ndefault_for = ["pi5"]\n{GOOD_FILE}'
            f'[[model]]\nname = "y"\nrole = "llm"\ndefault_for = ["pi4", "pi5"]\n{GOOD_FILE}',
            "role llm: several defaults for profile pi5: x, y",
        ),
    ],
)
def test_each_manifest_problem_is_named(tmp_path: Path, body: str, problem: str) -> None:
    path = _write(tmp_path, PROFILES + body)
    with pytest.raises(ConfigurationError) as exc:
        load_manifest(path)
    message = str(exc.value)
    assert message.startswith(f"model manifest {path} has problems:")
    assert problem in message


def test_all_problems_are_listed_at_once(tmp_path: Path) -> None:
    body = (
        f'[[model]]\nname = "a"\nrole = "nope"\n{GOOD_FILE}'
        '[[model]]\nname = "b"\nrole = "vad"\n'
        f'[[model]]\nname = "c"\nrole = "vad"\nalternative_for = ["pi9"]\n{GOOD_FILE}'
    )
    with pytest.raises(ConfigurationError) as exc:
        load_manifest(_write(tmp_path, PROFILES + body))
    lines = str(exc.value).splitlines()[1:]
    assert len(lines) == 3
    assert [line.strip().split(":")[0] for line in lines] == ["a", "b", "c"]


def test_manifest_path() -> None:
    shipped = manifest_path("")
    assert shipped.name == "manifest.toml" and shipped.is_file()
    assert manifest_path("~/m.toml") == Path.home() / "m.toml"
    assert manifest_path("/x/m.toml") == Path("/x/m.toml")


# ----------------------------------------------------------------------------------------- file checks


def test_file_digest_reports_progress(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(DATA)
    seen: list[int] = []
    assert file_digest(path, progress=seen.append) == sha256(DATA)
    assert sum(seen) == len(DATA)
    assert file_digest(path, "md5") == hashlib.md5(DATA).hexdigest()


def test_check_file_uses_size_then_the_strongest_checksum(tmp_path: Path) -> None:
    path = tmp_path / "f"
    assert check_file(path, ModelFile("f", URL, 0, None)) == "missing"
    path.write_bytes(DATA)
    assert check_file(path, ModelFile("f", URL, len(DATA), sha256(DATA))) is None
    assert check_file(path, ModelFile("f", URL, 0, sha256(DATA).upper())) is None  # size unknown
    assert check_file(path, ModelFile("f", URL, 5, sha256(DATA))) == f"wrong size: {len(DATA)} bytes, expected 5"
    wrong = sha256(b"other")
    assert check_file(path, ModelFile("f", URL, len(DATA), wrong)) == (
        f"sha256 mismatch: {sha256(DATA)}, expected {wrong}"
    )
    # Without a sha256, what upstream publishes is used: sha1, then md5.
    sha1 = hashlib.sha1(DATA).hexdigest()
    assert check_file(path, ModelFile("f", URL, 0, None, sha1=sha1, md5="0" * 32)) is None
    assert check_file(path, ModelFile("f", URL, 0, None, md5="0" * 32)).startswith("md5 mismatch")
    # Nothing to compare with: the file is accepted as it is.
    assert check_file(path, ModelFile("f", URL, 0, None)) is None


# ---------------------------------------------------------------------------------------------- the store


@pytest.fixture()
def store(tmp_path: Path) -> ModelStore:
    models = [
        model_entry("two", "llm", [file_entry("a.bin", DATA, URL), file_entry("sub/b.bin", DATA[:100], URL)]),
        model_entry("loose", "llm", [file_entry("c.bin", DATA, URL, sha256="unknown", size=0)]),
        model_entry("fallback", "stt-sphinx", [], bundled=True),
    ]
    return ModelStore(tmp_path / "models", load_manifest(write_manifest(tmp_path / "m.toml", models)))


def _install(store: ModelStore, name: str, files: dict[str, bytes]) -> Path:
    folder = store.folder(store.manifest.get(name))
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def test_status_of_missing_ok_and_corrupt_files(store: ModelStore) -> None:
    model = store.manifest.get("two")
    assert store.folder(model) == store.root / "two"
    assert [s.state for s in store.status(model)] == ["missing", "missing"]
    assert not store.is_installed(model)

    folder = _install(store, "two", {"a.bin": DATA})
    assert [(s.path, s.state) for s in store.status(model)] == [
        (folder / "a.bin", "ok"),
        (folder / "sub/b.bin", "missing"),
    ]
    assert not store.is_installed(model)

    _install(store, "two", {"sub/b.bin": DATA[:100]})
    assert [s.state for s in store.status(model)] == ["ok", "ok"]
    assert store.is_installed(model)

    # Same size, other bytes: the quick check cannot see it, hashing does.
    _install(store, "two", {"a.bin": bytes(reversed(DATA))})
    assert store.is_installed(model)
    assert [s.state for s in store.status(model, hash_files=False)] == ["ok", "ok"]
    bad = store.status(model)[0]
    assert (bad.state, bad.detail.split(":")[0]) == ("corrupt", "sha256 mismatch")

    # Other size: both see it.
    _install(store, "two", {"a.bin": DATA[:-1]})
    assert not store.is_installed(model)
    quick = store.status(model, hash_files=False)[0]
    assert (quick.state, quick.detail) == ("corrupt", "wrong size")
    assert store.status(model)[0].detail == f"wrong size: {len(DATA) - 1} bytes, expected {len(DATA)}"


def test_files_without_a_checksum_are_unverified(store: ModelStore) -> None:
    model = store.manifest.get("loose")
    _install(store, "loose", {"c.bin": b"anything"})
    assert [(s.state, s.detail) for s in store.status(model)] == [("unverified", "the manifest has no checksum for it")]
    assert store.status(model, hash_files=False)[0].state == "ok"
    assert store.is_installed(model)


def test_bundled_models_are_always_installed(store: ModelStore) -> None:
    model = store.manifest.get("fallback")
    assert store.is_installed(model)
    assert store.status(model) == []


def test_receipts_that_are_absent_or_damaged_read_as_none(store: ModelStore) -> None:
    model = store.manifest.get("two")
    assert store.receipt(model) is None
    folder = _install(store, "two", {RECEIPT: b"{not json"})
    assert store.receipt(model) is None
    (folder / RECEIPT).write_text(json.dumps({"model": "two", "files": {}, "unpacked": {}}))
    assert store.receipt(model) == {"model": "two", "files": {}, "unpacked": {}}


def test_an_archive_without_a_receipt_is_missing(tmp_path: Path) -> None:
    manifest = load_manifest(
        write_manifest(
            tmp_path / "m.toml", [model_entry("z", "stt-vosk", [file_entry("z.zip", DATA, URL, unpack="zip")])]
        )
    )
    store = ModelStore(tmp_path / "models", manifest)
    model = manifest.get("z")
    # Unpacked files lying there without a receipt cannot be checked, so they do not count as installed.
    _install(store, "z", {"z/readme": b"hi"})
    assert [(s.state, s.detail) for s in store.status(model)] == [("missing", "archive not unpacked here")]
    assert not store.is_installed(model)
