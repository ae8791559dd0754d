"""`pull` and `assistant models list|verify|pull`: downloads over loopback HTTP, local folders, archives, faults.

Every download goes to a real `http.server` on 127.0.0.1 (tests/http_server.py) that can cut a response or
ignore Range; local pulls use a manifest whose URLs point at a stopped server, so any attempt to use the
network would fail the test. The last tests install real models from the shared models folder with --from.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from http_server import file_entry, model_entry, serve, sha256, write_manifest

from assistant.cli import main
from assistant.errors import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, ModelError
from assistant.models import RECEIPT, ModelEntry, ModelStore, load_manifest, pull

BLOB = random.Random(1).randbytes(300_000)


@pytest.fixture(scope="module")
def dead_url() -> str:
    """The URL of a server that no longer runs: a pull that should not touch the network fails on it."""
    with serve({}) as server:
        url = server.url("/gone/blob.bin")
    return url


def _single(tmp_path: Path, url: str, data: bytes = BLOB, **file_extra: object) -> tuple[ModelEntry, ModelStore]:
    """A manifest with one model `blob` of one file `blob.bin` (size and sha256 of `data` unless overridden)."""
    spec = file_entry("blob.bin", data, url, **file_extra)
    path = write_manifest(tmp_path / "manifest.toml", [model_entry("blob", "llm", [spec], default_for=["pi4"])])
    manifest = load_manifest(path)
    return manifest.get("blob"), ModelStore(tmp_path / "models", manifest)


class Recorder:
    """A progress factory that remembers what it was told, and checks the final name stays free meanwhile."""

    def __init__(self, final: Path | None = None) -> None:
        self.final = final
        self.bars: list[tuple[int, str]] = []
        self.advanced = 0

    def __call__(self, total: int, label: str) -> Callable[[int], None]:
        self.bars.append((total, label))
        return self._advance

    def _advance(self, amount: int) -> None:
        # Atomic install: nothing sits under the final name while bytes are still arriving.
        assert self.final is None or not self.final.exists()
        self.advanced += amount


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith((".part", ".tmp")) or ".unpack-" in p.name)


# ------------------------------------------------------------------------------------------------- HTTP


def test_pull_over_http_installs_verifies_and_writes_a_receipt(tmp_path: Path) -> None:
    with serve({"/blob.bin": BLOB}) as server:
        model, store = _single(tmp_path, server.url("/blob.bin"))
        folder = store.folder(model)
        progress = Recorder(final=folder / "blob.bin")
        result = pull(model, store, progress=progress, timeout=5)
    assert result.installed == ["blob.bin"] and result.skipped == []
    assert (folder / "blob.bin").read_bytes() == BLOB
    assert progress.bars == [(len(BLOB), "blob/blob.bin")] and progress.advanced == len(BLOB)
    receipt = json.loads((folder / RECEIPT).read_text())
    assert receipt["model"] == "blob"
    assert receipt["files"]["blob.bin"] == {"sha256": sha256(BLOB), "size": len(BLOB)}
    assert _leftovers(folder) == []
    assert store.is_installed(model)
    assert [s.state for s in store.status(model)] == ["ok"]
    assert [(r.path, r.range, r.status) for r in server.requests] == [("/blob.bin", None, 200)]


def test_second_pull_is_idempotent_and_downloads_nothing(tmp_path: Path) -> None:
    with serve({"/blob.bin": BLOB}) as server:
        model, store = _single(tmp_path, server.url("/blob.bin"))
        pull(model, store, timeout=5)
        again = pull(model, store, timeout=5)
    assert again.installed == [] and again.skipped == ["blob.bin"]
    assert len(server.requests) == 1


def test_a_cut_download_resumes_with_a_range_request(tmp_path: Path) -> None:
    with serve({"/blob.bin": BLOB}) as server:
        model, store = _single(tmp_path, server.url("/blob.bin"))
        folder = store.folder(model)
        server.cut_after = 200_000
        with pytest.raises(ModelError, match="cut after 200000 bytes; run the same pull again"):
            pull(model, store, timeout=5)
        # The part stays for the next run, and nothing sits under the final name.
        assert (folder / "blob.bin.part").stat().st_size == 200_000
        assert not (folder / "blob.bin").exists()

        progress = Recorder(final=folder / "blob.bin")
        result = pull(model, store, progress=progress, timeout=5)
    assert result.installed == ["blob.bin"]
    assert (folder / "blob.bin").read_bytes() == BLOB
    first, second = server.requests
    assert first.range is None and first.sent == 200_000
    assert (second.range, second.status) == ("bytes=200000-", 206)
    assert second.sent == len(BLOB) - 200_000 < first.sent
    # Progress counts the resumed part too: the bar ends at 100 %.
    assert progress.bars == [(len(BLOB), "blob/blob.bin")] and progress.advanced == len(BLOB)
    assert _leftovers(folder) == []


def test_a_server_that_ignores_range_restarts_the_file(tmp_path: Path) -> None:
    with serve({"/blob.bin": BLOB}) as server:
        model, store = _single(tmp_path, server.url("/blob.bin"))
        server.cut_after = 200_000
        with pytest.raises(ModelError, match="run the same pull again"):
            pull(model, store, timeout=5)
        server.ignore_range = True
        progress = Recorder()
        pull(model, store, progress=progress, timeout=5)
    second = server.requests[-1]
    assert (second.range, second.status, second.sent) == ("bytes=200000-", 200, len(BLOB))
    # The whole body was written from the start, not appended to the part.
    assert (store.folder(model) / "blob.bin").read_bytes() == BLOB
    assert progress.advanced == len(BLOB)


def test_a_checksum_mismatch_is_rejected_and_nothing_is_left(tmp_path: Path) -> None:
    other = bytes(reversed(BLOB))  # same size, other bytes
    with serve({"/blob.bin": other}) as server:
        model, store = _single(tmp_path, server.url("/blob.bin"), sha256=sha256(BLOB))
        with pytest.raises(ModelError, match=r"sha256 mismatch: .*it was removed"):
            pull(model, store, timeout=5)
    folder = store.folder(model)
    assert not (folder / "blob.bin").exists()
    assert not (folder / "blob.bin.part").exists()
    assert not store.is_installed(model)


def test_a_file_of_the_wrong_size_is_rejected(tmp_path: Path) -> None:
    with serve({"/blob.bin": BLOB + b"extra"}) as server:
        model, store = _single(tmp_path, server.url("/blob.bin"), sha256=sha256(BLOB))
        with pytest.raises(ModelError, match=f"wrong size: {len(BLOB) + 5} bytes, expected {len(BLOB)}"):
            pull(model, store, timeout=5)
    assert not store.root.exists()  # nothing left, not even the folders the pull made


def test_a_bad_part_from_an_earlier_run_is_thrown_away_and_the_next_pull_recovers(tmp_path: Path) -> None:
    with serve({"/blob.bin": BLOB}) as server:
        model, store = _single(tmp_path, server.url("/blob.bin"))
        folder = store.folder(model)
        folder.mkdir(parents=True)
        (folder / "blob.bin.part").write_bytes(b"\0" * 1000)  # not the file's first kilobyte
        with pytest.raises(ModelError, match="sha256 mismatch"):
            pull(model, store, timeout=5)
        assert server.requests[-1].range == "bytes=1000-"
        assert not (folder / "blob.bin.part").exists()
        pull(model, store, timeout=5)
    assert server.requests[-1].range is None
    assert (folder / "blob.bin").read_bytes() == BLOB


def test_a_part_longer_than_the_file_starts_over(tmp_path: Path) -> None:
    with serve({"/blob.bin": BLOB}) as server:
        model, store = _single(tmp_path, server.url("/blob.bin"))
        folder = store.folder(model)
        folder.mkdir(parents=True)
        (folder / "blob.bin.part").write_bytes(BLOB + b"junk")
        pull(model, store, timeout=5)
    assert server.requests[-1].range is None
    assert (folder / "blob.bin").read_bytes() == BLOB


def test_http_errors_and_unreachable_servers_are_clear(tmp_path: Path, dead_url: str) -> None:
    with serve({}) as server:
        model, store = _single(tmp_path, server.url("/missing.bin"))
        with pytest.raises(ModelError, match=r"blob/blob.bin: download failed: HTTP 404 .* from http://127"):
            pull(model, store, timeout=5)
    model, store = _single(tmp_path, dead_url)
    with pytest.raises(ModelError, match=r"cannot reach http://127.0.0.1:\d+/gone/blob.bin .*--from DIR"):
        pull(model, store, timeout=5)
    assert not store.root.exists()


def test_an_unknown_checksum_is_refused_unless_allowed(tmp_path: Path) -> None:
    with serve({"/blob.bin": BLOB}) as server:
        model, store = _single(tmp_path, server.url("/blob.bin"), sha256="unknown")
        with pytest.raises(ModelError, match=r"no checksum for blob.bin.*--allow-unverified"):
            pull(model, store, timeout=5)
        assert server.requests == []  # refused before downloading anything
        assert not (store.folder(model) / "blob.bin").exists()

        result = pull(model, store, allow_unverified=True, timeout=5)
    assert result.installed == ["blob.bin"]
    assert (store.folder(model) / "blob.bin").read_bytes() == BLOB
    assert [(s.state, s.detail) for s in store.status(model)] == [("unverified", "the manifest has no checksum for it")]
    assert store.is_installed(model)
    # The receipt records what arrived: pulling again knows it is still the file that was accepted...
    assert store.receipt(model)["files"]["blob.bin"]["sha256"] == sha256(BLOB)
    # (the server is gone: a download attempt would fail differently)
    assert pull(model, store, timeout=5).skipped == ["blob.bin"]
    # ... and that a changed one is not.
    (store.folder(model) / "blob.bin").write_bytes(b"changed")
    with pytest.raises(ModelError, match="--allow-unverified"):
        pull(model, store, timeout=5)


def test_an_unwritable_models_folder_gives_a_clear_error(tmp_path: Path, dead_url: str) -> None:
    model, _ = _single(tmp_path, dead_url)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    # Running as root, permissions do not stop mkdir; a regular file in the path does.
    store = ModelStore(blocker / "models", load_manifest(tmp_path / "manifest.toml"))
    with pytest.raises(ModelError, match=r"cannot write to the models folder .*a-file/models \(Not a directory") as exc:
        pull(model, store)
    assert "ASSISTANT_MODELS_DIR (or models.dir)" in str(exc.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_models_folder_gives_a_clear_error(tmp_path: Path, dead_url: str) -> None:
    model, store = _single(tmp_path, dead_url)
    store.folder(model).mkdir(parents=True)
    store.folder(model).chmod(0o555)
    try:
        with pytest.raises(ModelError, match=r"cannot write to the models folder .*permission denied"):
            pull(model, store)
    finally:
        store.folder(model).chmod(0o755)


# ------------------------------------------------------------------------------------------------ archives


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zipped_model(tmp_path: Path, url: str, data: bytes) -> tuple[ModelEntry, ModelStore]:
    spec = file_entry("voice.zip", data, url, unpack="zip")
    manifest = load_manifest(
        write_manifest(tmp_path / "manifest.toml", [model_entry("zipped", "stt-vosk", [spec], entry="voice")])
    )
    return manifest.get("zipped"), ModelStore(tmp_path / "models", manifest)


def test_a_zip_is_unpacked_with_a_receipt_and_verified_later(tmp_path: Path) -> None:
    members = {"voice/conf/model.conf": b"--beam=10\n", "voice/am/final.mdl": BLOB[:50_000]}
    archive = _zip(members)
    with serve({"/voice.zip": archive}) as server:
        model, store = _zipped_model(tmp_path, server.url("/voice.zip"), archive)
        result = pull(model, store, timeout=5)
        folder = store.folder(model)
        assert result.installed == ["voice.zip"]
        for name, data in members.items():
            assert (folder / name).read_bytes() == data
        # The archive itself is not kept, and no temporary folder is left behind.
        assert sorted(p.name for p in folder.iterdir()) == [RECEIPT, "voice"]
        assert model.main_path(store.root) == folder / "voice"
        receipt = store.receipt(model)
        assert receipt["files"]["voice.zip"] == {"sha256": sha256(archive), "size": len(archive)}
        assert receipt["unpacked"]["voice.zip"] == {
            name: {"sha256": sha256(data), "size": len(data)} for name, data in members.items()
        }
        assert store.is_installed(model)
        assert [s.state for s in store.status(model)] == ["ok", "ok"]
        assert pull(model, store, timeout=5).skipped == ["voice.zip"]
        assert len(server.requests) == 1

        # Same size, one byte changed: only hashing sees it.
        damaged = folder / "voice/am/final.mdl"
        damaged.write_bytes(b"X" + members["voice/am/final.mdl"][1:])
        bad = [s for s in store.status(model) if s.state != "ok"]
        assert [(s.path, s.state, s.detail) for s in bad] == [
            (damaged, "corrupt", "sha256 differs from when it was unpacked")
        ]
        damaged.unlink()
        assert [s.state for s in store.status(model, hash_files=False)] == ["missing", "ok"]
        assert not store.is_installed(model)

        # Pulling again repairs it.
        assert pull(model, store, timeout=5).installed == ["voice.zip"]
    assert damaged.read_bytes() == members["voice/am/final.mdl"]
    assert [s.state for s in store.status(model)] == ["ok", "ok"]


@pytest.mark.parametrize("evil", ["../escaped.txt", "voice/../../escaped.txt", "/tmp/escaped-abs.txt"])
def test_a_zip_that_escapes_its_folder_is_refused(tmp_path: Path, evil: str) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    archive = _zip({"voice/ok.txt": b"fine", evil: b"gotcha"})
    (usb / "voice.zip").write_bytes(archive)
    model, store = _zipped_model(tmp_path, "https://example.invalid/voice.zip", archive)
    with pytest.raises(ModelError, match=r"refusing to unpack .*escaped.* outside its folder"):
        pull(model, store, source=str(usb))
    folder = store.folder(model)
    assert not (folder / "voice").exists()
    assert not list(tmp_path.rglob("escaped*")) and not Path("/tmp/escaped-abs.txt").exists()
    assert not store.is_installed(model)


def test_a_corrupt_archive_is_reported(tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    junk = BLOB[:1000]
    (usb / "voice.zip").write_bytes(junk)
    model, store = _zipped_model(tmp_path, "https://example.invalid/voice.zip", junk)
    with pytest.raises(ModelError, match=r"voice\.zip\.part: not a valid zip archive"):
        pull(model, store, source=str(usb))


# -------------------------------------------------------------------------------------------- local sources


def test_pull_from_a_local_folder_finds_the_file_by_name_and_size(tmp_path: Path, dead_url: str) -> None:
    usb = tmp_path / "usb"
    (usb / "a").mkdir(parents=True)
    (usb / "b" / "c").mkdir(parents=True)
    (usb / "a" / "blob.bin").write_bytes(BLOB[:1000])  # same name, other size: not it
    (usb / "b" / "c" / "blob.bin").write_bytes(BLOB)
    model, store = _single(tmp_path, dead_url)
    progress = Recorder(final=store.folder(model) / "blob.bin")
    result = pull(model, store, source=str(usb), progress=progress)
    assert result.installed == ["blob.bin"]
    assert (store.folder(model) / "blob.bin").read_bytes() == BLOB
    assert progress.advanced == len(BLOB)
    assert store.receipt(model)["files"]["blob.bin"]["sha256"] == sha256(BLOB)


def test_pull_from_a_file_url_mirror(tmp_path: Path, dead_url: str) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "blob").mkdir(parents=True)
    (mirror / "blob" / "blob.bin").write_bytes(BLOB)
    model, store = _single(tmp_path, dead_url)
    assert pull(model, store, source=f"file://{mirror}").installed == ["blob.bin"]
    assert (store.folder(model) / "blob.bin").read_bytes() == BLOB


def test_pull_from_an_http_mirror_uses_the_mirror_layout(tmp_path: Path) -> None:
    with serve({"/mirror/blob/blob.bin": BLOB}) as server:
        model, store = _single(tmp_path, "https://example.invalid/upstream/blob.bin")
        pull(model, store, source=server.base + "/mirror/", timeout=5)
    assert [r.path for r in server.requests] == ["/mirror/blob/blob.bin"]
    assert (store.folder(model) / "blob.bin").read_bytes() == BLOB


def test_local_sources_that_do_not_have_the_file(tmp_path: Path, dead_url: str) -> None:
    model, store = _single(tmp_path, dead_url)
    with pytest.raises(ModelError, match=r"--from .*nowhere: no such folder"):
        pull(model, store, source=str(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match=r"blob: blob.bin is not in .*empty \(looked in blob/"):
        pull(model, store, source=str(empty))
    assert not (store.folder(model) / "blob.bin").exists()


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() + ("/" if p.is_dir() else "") for p in root.rglob("*"))


def test_a_failed_pull_leaves_the_models_folder_as_it_was(tmp_path: Path, dead_url: str) -> None:
    """Only the folders the failed pull made, and only while empty, are removed: an empty model folder would
    make `models verify` report the model as installed but broken."""
    spec = file_entry("voice/en/blob.bin", BLOB, dead_url)  # nested: the pull makes voice/ and voice/en/ too
    manifest = load_manifest(write_manifest(tmp_path / "manifest.toml", [model_entry("blob", "tts-piper", [spec])]))
    model, store = manifest.get("blob"), ModelStore(tmp_path / "store" / "models", manifest)
    empty = tmp_path / "usb"
    empty.mkdir()
    for source in (str(tmp_path / "nowhere"), str(empty), None):  # no such folder, file not in it, unreachable
        with pytest.raises(ModelError):
            pull(model, store, source=source, timeout=5)
        assert not (tmp_path / "store").exists(), source

    # What was there before stays, empty folders included. (A cut download keeps its part, and so its
    # folders, for the next pull to resume: test_a_cut_download_resumes_with_a_range_request.)
    (store.folder(model) / "voice").mkdir(parents=True)
    (store.root / "other").mkdir()
    (store.root / "other" / "model.bin").write_bytes(b"x")
    before = _tree(store.root)
    with pytest.raises(ModelError, match="is not in"):
        pull(model, store, source=str(empty))
    assert _tree(store.root) == before == ["blob/", "blob/voice/", "other/", "other/model.bin"]


def test_cli_a_failed_pull_does_not_show_as_a_broken_model(
    cli_setup: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, home = cli_setup
    _cli_manifest(home, "https://example.invalid/blob.bin")
    assert main(["models", "pull", "blob", "--from", str(home / "nowhere"), "--config", config]) == EXIT_FAILURE
    assert "--from" in capsys.readouterr().err
    assert main(["models", "verify", "--config", config]) == EXIT_OK
    assert f"no models installed in {home / 'models'}" in capsys.readouterr().out
    assert main(["models", "list", "--config", config]) == EXIT_OK
    assert _table(capsys.readouterr().out)["blob"]["installed"] == "-"


# ---------------------------------------------------------------------------------------------------- CLI


def _config(tmp_path: Path, **models: str) -> str:
    lines = ["[models]", *(f'{key} = "{value}"' for key, value in models.items())]
    path = tmp_path / "assistant.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _table(out: str) -> dict[str, dict[str, str]]:
    """`assistant models list` output as name -> column -> cell (the dashes line gives each column's span)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("name "))
    spans = [m.span() for m in re.finditer(r"-+", lines[start + 1])]
    cells = [[line[a:b].strip() for a, b in spans] for line in lines[start:]]
    header, rows = cells[0], cells[2:]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


@pytest.fixture()
def cli_setup(clean_env: Path) -> tuple[str, Path]:
    """A config naming a generated manifest (blob over loopback later, a bundled model) and a models folder."""
    return _config(
        clean_env, dir=str(clean_env / "models"), manifest=str(clean_env / "manifest.toml"), profile="pi4"
    ), clean_env


def _cli_manifest(folder: Path, url: str, data: bytes = BLOB) -> None:
    write_manifest(
        folder / "manifest.toml",
        [
            model_entry("blob", "llm", [file_entry("blob.bin", data, url)], default_for=["pi4"], licence="MIT"),
            model_entry("fallback", "stt-sphinx", [], bundled=True, default_for=["pi4"], licence="BSD"),
        ],
    )


def test_cli_list_pull_verify(cli_setup: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, home = cli_setup
    with serve({"/blob.bin": BLOB}) as server:
        _cli_manifest(home, server.url("/blob.bin"))

        assert main(["models", "list", "--config", config]) == EXIT_OK
        out = capsys.readouterr().out
        assert f"models folder: {home / 'models'}   profile: pi4 (set in models.profile)" in out
        rows = _table(out)
        assert rows["blob"]["installed"] == "-" and rows["blob"]["pi4"] == "default"
        assert rows["blob"]["download MB"] == "0.3"
        assert rows["fallback"]["installed"] == "bundled"

        assert main(["models", "verify", "--config", config]) == EXIT_OK
        assert "no models installed in" in capsys.readouterr().out

        assert main(["models", "pull", "blob", "--config", config]) == EXIT_OK
        captured = capsys.readouterr()
        assert f"✓ blob: installed blob.bin in {home / 'models' / 'blob'}" in captured.out
        assert "blob/blob.bin [" in captured.err and "100.0%" in captured.err  # progress on stderr

        assert main(["models", "pull", "blob", "--config", config]) == EXIT_OK
        assert "✓ blob: already installed (blob.bin)" in capsys.readouterr().out
        assert len(server.requests) == 1

    assert main(["models", "list", "--config", config]) == EXIT_OK
    assert _table(capsys.readouterr().out)["blob"]["installed"] == "yes"
    assert main(["models", "verify", "--config", config]) == EXIT_OK
    assert "✓ blob: 1/1 files intact" in capsys.readouterr().out

    installed = home / "models" / "blob" / "blob.bin"
    installed.write_bytes(bytes(reversed(BLOB)))
    assert main(["models", "verify", "--config", config]) == EXIT_FAILURE
    out = capsys.readouterr().out
    assert "✗ blob: 0/1 files intact" in out
    assert f"corrupt: {installed} (sha256 mismatch" in out
    assert "fix: assistant models pull blob" in out

    installed.unlink()
    assert main(["models", "verify", "blob", "--config", config]) == EXIT_FAILURE
    out = capsys.readouterr().out
    assert f"missing: {installed}" in out and "fix: assistant models pull blob" in out
    assert main(["models", "list", "--config", config]) == EXIT_OK
    assert _table(capsys.readouterr().out)["blob"]["installed"] == "-"


def test_cli_pull_failures_and_exit_codes(cli_setup: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, home = cli_setup
    with serve({"/blob.bin": bytes(reversed(BLOB))}) as server:
        _cli_manifest(home, server.url("/blob.bin"), data=BLOB)
        assert main(["models", "pull", "blob", "--config", config]) == EXIT_FAILURE
        assert "✗ blob: blob/blob.bin: the downloaded file is not the one" in capsys.readouterr().err

    assert main(["models", "pull", "blbo", "--config", config]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "no model named 'blbo'" in err and "did you mean blob" in err

    assert main(["models", "pull", "--config", config]) == EXIT_FAILURE
    assert "name models to pull, or --default" in capsys.readouterr().err

    assert main(["models", "pull", "fallback", "--config", config]) == EXIT_OK
    assert "✓ fallback: already installed (bundled with its Python package)" in capsys.readouterr().out


def test_cli_pull_default_from_a_file_mirror(cli_setup: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, home = cli_setup
    _cli_manifest(home, "https://example.invalid/blob.bin")
    (home / "usb" / "blob").mkdir(parents=True)
    (home / "usb" / "blob" / "blob.bin").write_bytes(BLOB)
    assert main(["models", "pull", "--default", "--from", f"file://{home / 'usb'}", "--config", config]) == EXIT_OK
    out = capsys.readouterr().out
    assert "✓ blob: installed blob.bin" in out and "✓ fallback: already installed" in out


# ------------------------------------------------------------------------------- real models, --from shared


def test_cli_pulls_real_models_from_the_shared_folder(
    clean_env: Path, shared_models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real manifest, the real files: found under shared/models' own layout by name and size."""
    models = clean_env / "models"
    config = _config(clean_env, dir=str(models), profile="pi4")
    names = ["silero-vad-v6", "oww-hey-jarvis", "stories260k"]
    assert main(["models", "pull", *names, "--from", str(shared_models), "--config", config]) == EXIT_OK
    out = capsys.readouterr().out
    for name in names:
        assert f"✓ {name}: installed" in out
    assert (models / "oww-hey-jarvis" / "melspectrogram.onnx").read_bytes() == (
        shared_models / "wakeword" / "melspectrogram.onnx"
    ).read_bytes()

    assert main(["models", "verify", "--config", config]) == EXIT_OK
    out = capsys.readouterr().out
    assert "✓ oww-hey-jarvis: 3/3 files intact" in out and "✓ stories260k: 1/1 files intact" in out

    assert main(["models", "list", "--config", config]) == EXIT_OK
    rows = _table(capsys.readouterr().out)
    assert {name for name, row in rows.items() if row["installed"] == "yes"} == set(names)
    assert rows["sphinx-en-us"]["installed"] == "bundled"
    assert rows["silero-vad-v6"]["pi4"] == "default" and rows["silero-vad-v5"]["pi4"] == "alternative"
    assert main(["models", "list", "--role", "wake", "--config", config]) == EXIT_OK
    assert set(_table(capsys.readouterr().out)) == {"oww-hey-jarvis", "oww-alexa", "oww-hey-mycroft"}

    # v5 has the same file name and size as the shared (v6) file, but not its checksum: refused, not left.
    assert main(["models", "pull", "silero-vad-v5", "--from", str(shared_models), "--config", config]) == 1
    assert "sha256 mismatch" in capsys.readouterr().err
    assert _leftovers(models) == [] and not (models / "silero-vad-v5" / "silero_vad.onnx").exists()

    # Only the voice's .onnx.json is in the shared folder, not the voice itself.
    assert main(["models", "pull", "piper-en-us-amy-low", "--from", str(shared_models), "--config", config]) == 1
    assert "en_US-amy-low.onnx is not in" in capsys.readouterr().err
