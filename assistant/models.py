"""The model manifest and the models folder: list, verify, and pull (download or copy from a local folder).

Each model is installed under `<models dir>/<model name>/`. A pull downloads to `FILE.part` (resumed with
an HTTP Range request after a cut), checks size and checksum, unpacks archives, and only then moves the
result to its final name, so a half file never sits where an engine would load it. A receipt
(`.installed.json`) records what was installed and the checksums of unpacked files, so `verify` can check
archives after they were unpacked.

This module is the only place in the package that opens a network connection, and only in `pull`.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import http.client
import itertools
import json
import os
import shutil
import tempfile
import tomllib
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.errors import ConfigurationError, ModelError

ROLES = ("vad", "wake", "stt-vosk", "stt-whisper", "stt-sphinx", "llm", "tts-piper")
PROFILES = ("pi4", "pi5", "jetson")
RECEIPT = ".installed.json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelFile:
    """One file of a model as the manifest lists it."""

    path: str  # relative to the model's folder
    url: str
    size: int  # bytes; 0 when unknown
    sha256: str | None  # None when upstream publishes none ("unknown" in the manifest)
    sha1: str | None = None
    md5: str | None = None
    unpack: str | None = None  # "zip": an archive unpacked into the model's folder

    def digests(self) -> dict[str, str]:
        """The checksums known for this file, strongest first."""
        known = {"sha256": self.sha256, "sha1": self.sha1, "md5": self.md5}
        return {algo: value.lower() for algo, value in known.items() if value}


@dataclass(frozen=True)
class ModelEntry:
    """A model of the manifest: what it is, what it needs, where its files come from."""

    name: str
    role: str
    description: str
    licence: str
    ram_mb: int
    files: tuple[ModelFile, ...]
    language: str = ""
    default_for: tuple[str, ...] = ()
    alternative_for: tuple[str, ...] = ()
    bundled: bool = False
    entry: str = ""  # what the engine loads, relative to the model folder; default: the first file

    @property
    def download_size(self) -> int:
        return sum(f.size for f in self.files)

    def main_path(self, models_dir: Path) -> Path:
        return models_dir / self.name / (self.entry or self.files[0].path)


@dataclass(frozen=True)
class Manifest:
    path: Path
    profiles: dict[str, str]
    models: tuple[ModelEntry, ...]

    def get(self, name: str, setting: str = "") -> ModelEntry:
        """The model called `name`; `setting` (e.g. vad.model) is where the name came from, for the error."""
        for model in self.models:
            if model.name == name:
                return model
        close = difflib.get_close_matches(name, [m.name for m in self.models], n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        where = f"{setting} = " if setting else ""
        raise ModelError(
            f"{where}no model named '{name}' in the manifest {self.path}{hint}; `assistant models list` shows them"
        )

    def find(self, name: str) -> ModelEntry | None:
        return next((m for m in self.models if m.name == name), None)

    def by_role(self, role: str) -> list[ModelEntry]:
        return [m for m in self.models if m.role == role]

    def default(self, role: str, profile: str) -> ModelEntry | None:
        return next((m for m in self.by_role(role) if profile in m.default_for), None)


# ---------------------------------------------------------------------------------------------- manifest


def manifest_path(configured: str = "") -> Path:
    return Path(configured).expanduser() if configured else paths.packaged_file("manifest.toml")


def load_manifest(path: Path) -> Manifest:
    """Parse and check the manifest; every problem is listed in one ConfigurationError."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"model manifest not found: {path} (setting models.manifest)") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"model manifest {path} is not valid TOML: {exc}") from exc
    problems: list[str] = []
    models = []
    for index, item in enumerate(raw.get("model", [])):
        try:
            models.append(_parse_model(item))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"model #{index + 1} ({item.get('name', '?')}): {exc}")
    profiles = {name: str(p.get("description", "")) for name, p in raw.get("profiles", {}).items()}
    names = [m.name for m in models]
    problems += [
        f"model name '{n}' is listed twice" for n in sorted({n for n in names if names.count(n) > 1})
    ]
    for model in models:
        if model.role not in ROLES:
            problems.append(f"{model.name}: role '{model.role}' is not one of {', '.join(ROLES)}")
        unknown = set(model.default_for + model.alternative_for) - set(profiles)
        if unknown:
            problems.append(
                f"{model.name}: unknown profiles {sorted(unknown)} (known: {', '.join(profiles)})"
            )
        if not model.files and not model.bundled:
            problems.append(f"{model.name}: no [[model.file]] and not bundled")
    for role in ROLES:
        for profile in profiles:
            defaults = [m.name for m in models if m.role == role and profile in m.default_for]
            if len(defaults) > 1:
                problems.append(f"role {role}: several defaults for profile {profile}: {', '.join(defaults)}")
    if problems:
        raise ConfigurationError(f"model manifest {path} has problems:\n  " + "\n  ".join(problems))
    return Manifest(path, profiles, tuple(models))


def _parse_model(item: dict[str, Any]) -> ModelEntry:
    files = []
    for f in item.get("file", []):
        sha256 = str(f["sha256"])
        if sha256 != "unknown" and (
            len(sha256) != 64 or any(c not in "0123456789abcdefABCDEF" for c in sha256)
        ):
            raise ValueError(f'file {f["path"]}: sha256 must be 64 hex digits or "unknown"')
        files.append(
            ModelFile(
                path=str(f["path"]),
                url=str(f["url"]),
                size=int(f.get("size", 0)),
                sha256=None if sha256 == "unknown" else sha256,
                sha1=f.get("sha1"),
                md5=f.get("md5"),
                unpack=f.get("unpack"),
            )
        )
    return ModelEntry(
        name=str(item["name"]),
        role=str(item["role"]),
        description=str(item.get("description", "")),
        licence=str(item.get("licence", "")),
        ram_mb=int(item.get("ram_mb", 0)),
        files=tuple(files),
        language=str(item.get("language", "")),
        default_for=tuple(item.get("default_for", ())),
        alternative_for=tuple(item.get("alternative_for", ())),
        bundled=bool(item.get("bundled", False)),
        entry=str(item.get("entry", "")),
    )


# --------------------------------------------------------------------------------------------- checking


def file_digest(path: Path, algo: str = "sha256", progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.new(algo)
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
            if progress:
                progress(len(block))
    return digest.hexdigest()


def check_file(path: Path, spec: ModelFile) -> str | None:
    """None if `path` matches the manifest's size and strongest known checksum, else what is wrong."""
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    if spec.size and size != spec.size:
        return f"wrong size: {size} bytes, expected {spec.size}"
    for algo, expected in spec.digests().items():
        actual = file_digest(path, algo)
        return None if actual == expected else f"{algo} mismatch: {actual}, expected {expected}"
    return None


@dataclass(frozen=True)
class FileStatus:
    path: Path
    state: str  # ok | missing | corrupt | unverified
    detail: str = ""


@dataclass
class ModelStore:
    """The models folder: which models are installed, and whether their files are intact."""

    root: Path
    manifest: Manifest
    _receipts: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def folder(self, model: ModelEntry) -> Path:
        return self.root / model.name

    def receipt(self, model: ModelEntry) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder(model) / RECEIPT).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def is_installed(self, model: ModelEntry) -> bool:
        """Quick check (no hashing): every file present with the right size."""
        if model.bundled:
            return True
        return all(s.state in ("ok", "unverified") for s in self.status(model, hash_files=False))

    def status(self, model: ModelEntry, *, hash_files: bool = True) -> list[FileStatus]:
        """The state of each installed file; hash_files recomputes checksums (slow for big files)."""
        statuses = []
        receipt = self.receipt(model) or {}
        for spec in model.files:
            if spec.unpack:
                statuses += self._unpacked_status(model, spec, receipt, hash_files)
                continue
            path = self.folder(model) / spec.path
            if not path.is_file():
                statuses.append(FileStatus(path, "missing"))
            elif not hash_files:
                ok = not spec.size or path.stat().st_size == spec.size
                statuses.append(FileStatus(path, "ok" if ok else "corrupt", "" if ok else "wrong size"))
            elif not spec.digests():
                statuses.append(FileStatus(path, "unverified", "the manifest has no checksum for it"))
            else:
                problem = check_file(path, spec)
                statuses.append(FileStatus(path, "corrupt" if problem else "ok", problem or ""))
        return statuses

    def _unpacked_status(
        self, model: ModelEntry, spec: ModelFile, receipt: dict[str, Any], hash_files: bool
    ) -> list[FileStatus]:
        folder = self.folder(model)
        unpacked = receipt.get("unpacked", {}).get(spec.path)
        if unpacked is None:
            return [FileStatus(folder / spec.path, "missing", "archive not unpacked here")]
        statuses = []
        for rel, info in unpacked.items():
            path = folder / rel
            if not path.is_file():
                statuses.append(FileStatus(path, "missing"))
            elif path.stat().st_size != info["size"]:
                statuses.append(FileStatus(path, "corrupt", "wrong size"))
            elif hash_files and file_digest(path) != info["sha256"]:
                statuses.append(FileStatus(path, "corrupt", "sha256 differs from when it was unpacked"))
            else:
                statuses.append(FileStatus(path, "ok"))
        return statuses


# ------------------------------------------------------------------------------------------------ pulling

ProgressFactory = Callable[[int, str], Callable[[int], None]]  # (total bytes, label) -> advance(bytes)


def _no_progress(total: int, label: str) -> Callable[[int], None]:
    return lambda n: None


@dataclass(frozen=True)
class PullResult:
    model: str
    installed: list[str]
    skipped: list[str]  # already there and intact


def pull(
    model: ModelEntry,
    store: ModelStore,
    *,
    source: str | None = None,
    allow_unverified: bool = False,
    progress: ProgressFactory = _no_progress,
    timeout: float = 30.0,
) -> PullResult:
    """Install `model` from its URLs, or from `source` (a local folder or a file:// mirror).

    A pull that fails leaves no folder it made behind empty: `models verify` would list the model as broken.
    """
    if model.bundled:
        return PullResult(model.name, [], ["bundled with its Python package"])
    created: list[Path] = []
    try:
        return _pull(model, store, created, source, allow_unverified, progress, timeout)
    except BaseException:
        for made in reversed(created):  # the deepest first, so that its parent may be empty next
            with contextlib.suppress(OSError):  # not empty: a part to resume, a file installed before the failure
                made.rmdir()
        raise


def _pull(
    model: ModelEntry, store: ModelStore, created: list[Path], source: str | None, allow_unverified: bool,
    progress: ProgressFactory, timeout: float,
) -> PullResult:
    """pull(), noting in `created` each folder it makes."""
    folder = store.folder(model)
    try:
        _make_folders(folder, created)
        problem = "" if os.access(folder, os.W_OK) else "permission denied"
    except OSError as exc:  # not only PermissionError: a read-only file system, a file in the way
        problem = f"{exc.strerror or exc}: {exc.filename or folder}"
    if problem:
        raise ModelError(
            f"cannot write to the models folder {store.root} ({problem}); run with sudo, or set "
            "ASSISTANT_MODELS_DIR (or models.dir) to a folder you can write"
        )
    receipt = store.receipt(model) or {"model": model.name, "files": {}, "unpacked": {}}
    installed, skipped = [], []
    for spec in model.files:
        target = folder / spec.path
        if _intact(store, model, spec, receipt):
            skipped.append(spec.path)
            continue
        if not spec.digests() and not allow_unverified:
            raise ModelError(
                f"{model.name}: the manifest has no checksum for {spec.path}, so it cannot be verified; "
                "add its sha256 to the manifest, or pass --allow-unverified to accept it as it comes"
            )
        part = folder / (spec.path + ".part")
        _make_folders(part.parent, created)
        label = f"{model.name}/{spec.path}"
        local = _local_source(source, model, spec)
        if local is not None:
            _copy(local, part, progress(local.stat().st_size, label))
        else:
            url = _mirror_url(source, model, spec) if source else spec.url
            _download(url, part, spec.size, progress, label, timeout)
        problem = check_file(part, spec)
        if problem:
            part.unlink(missing_ok=True)
            raise ModelError(
                f"{label}: the downloaded file is not the one in the manifest ({problem}); it was removed. "
                "Try again; if it persists, the upstream file changed and the manifest needs updating"
            )
        digest = spec.sha256 or file_digest(part)
        receipt["files"][spec.path] = {"sha256": digest, "size": part.stat().st_size}
        if spec.unpack:
            receipt["unpacked"][spec.path] = _unpack(part, folder, spec.unpack)
            part.unlink()
        else:
            _fsync_replace(part, target)
        installed.append(spec.path)
        _write_receipt(folder, receipt)
    return PullResult(model.name, installed, skipped)


def _make_folders(path: Path, created: list[Path]) -> None:
    """`path.mkdir(parents=True, exist_ok=True)` that appends each folder it makes to `created`, parents first."""
    missing = list(itertools.takewhile(lambda p: not p.exists(), [path, *path.parents]))
    try:
        path.mkdir(parents=True, exist_ok=True)
    finally:  # also those it made before it failed
        created += [p for p in reversed(missing) if p.is_dir()]


def _intact(store: ModelStore, model: ModelEntry, spec: ModelFile, receipt: dict[str, Any]) -> bool:
    """Whether `spec` is installed and unchanged, so that pulling again can skip it."""
    if spec.unpack:
        unpacked = store._unpacked_status(model, spec, receipt, True)
        return spec.path in receipt.get("unpacked", {}) and all(s.state == "ok" for s in unpacked)
    target = store.folder(model) / spec.path
    if not target.is_file():
        return False
    if spec.digests():
        return check_file(target, spec) is None
    # Accepted with --allow-unverified before: intact if it still has the checksum the receipt recorded.
    recorded = receipt.get("files", {}).get(spec.path)
    return recorded is not None and file_digest(target) == recorded["sha256"]


def _local_source(source: str | None, model: ModelEntry, spec: ModelFile) -> Path | None:
    """The file to copy from a local folder (or file:// mirror), found by layout or by name and size."""
    if not source or source.startswith(("http://", "https://")):
        return None
    root = Path(source[len("file://") :] if source.startswith("file://") else source).expanduser()
    if not root.is_dir():
        raise ModelError(f"--from {source}: no such folder")
    name = Path(spec.path).name
    for candidate in (root / model.name / spec.path, root / spec.path, root / name):
        if candidate.is_file():
            return candidate
    matches = [
        p for p in _walk_files(root) if p.name == name and (not spec.size or p.stat().st_size == spec.size)
    ]
    if matches:
        return sorted(matches)[0]
    raise ModelError(
        f"{model.name}: {name} is not in {root} (looked in {model.name}/, the top and all subfolders)"
    )


def _walk_files(root: Path) -> Iterator[Path]:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            yield Path(dirpath) / name


def _mirror_url(source: str, model: ModelEntry, spec: ModelFile) -> str:
    return f"{source.rstrip('/')}/{model.name}/{spec.path}"


def _copy(src: Path, part: Path, advance: Callable[[int], None]) -> None:
    with src.open("rb") as reader, part.open("wb") as writer:
        while block := reader.read(_CHUNK):
            writer.write(block)
            advance(len(block))


def _download(url: str, part: Path, size: int, progress: ProgressFactory, label: str, timeout: float) -> None:
    """Download to `part`, resuming from its current length when the server supports ranges."""
    have = part.stat().st_size if part.exists() else 0
    if size and have > size:
        part.unlink()
        have = 0
    if size and have == size:
        return
    request = urllib.request.Request(url, headers={"User-Agent": "assistant-models-pull"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # range not satisfiable: the part is complete or bogus; verify decides
            return
        raise ModelError(f"{label}: download failed: HTTP {exc.code} {exc.reason} from {url}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ModelError(
            f"{label}: cannot reach {url} ({getattr(exc, 'reason', exc)}); on a machine without internet, "
            "copy the models to a USB stick and use --from DIR"
        ) from exc
    with response:
        resumed = have and response.status == 206
        mode = "ab" if resumed else "wb"
        total = size or int(response.headers.get("Content-Length", 0)) + (have if resumed else 0)
        advance = progress(total, label)
        if resumed:
            advance(have)
        received = 0
        try:
            with part.open(mode) as writer:
                while block := response.read(_CHUNK):
                    writer.write(block)
                    received += len(block)
                    advance(len(block))
        except (OSError, http.client.HTTPException) as exc:
            raise ModelError(
                f"{label}: the download was cut ({exc}); run the same pull again to resume it"
            ) from exc
        # http.client ends a body that stops short of its Content-Length silently (no IncompleteRead):
        # without this check a cut would look like a wrong file, and the part would be thrown away.
        promised = int(response.headers.get("Content-Length") or 0)
        if received < promised:
            raise ModelError(
                f"{label}: the download was cut after {(have if resumed else 0) + received} bytes; "
                "run the same pull again to resume it"
            )


def _unpack(archive: Path, folder: Path, kind: str) -> dict[str, dict[str, Any]]:
    """Unpack into `folder` through a temporary folder, so a failed unpack leaves nothing half-written."""
    if kind != "zip":
        raise ModelError(f"{archive}: unknown archive type '{kind}' in the manifest (supported: zip)")
    unpacked: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(dir=folder, prefix=".unpack-") as tmp:
        try:
            with zipfile.ZipFile(archive) as zipped:
                for member in zipped.infolist():
                    target = (Path(tmp) / member.filename).resolve()
                    if not target.is_relative_to(Path(tmp).resolve()):
                        raise ModelError(
                            f"{archive}: refusing to unpack {member.filename} outside its folder"
                        )
                zipped.extractall(tmp)
        except zipfile.BadZipFile as exc:
            raise ModelError(f"{archive}: not a valid zip archive ({exc})") from exc
        for path in sorted(_walk_files(Path(tmp))):
            rel = path.relative_to(tmp).as_posix()
            unpacked[rel] = {"sha256": file_digest(path), "size": path.stat().st_size}
        for top in Path(tmp).iterdir():
            final = folder / top.name
            if final.is_dir():
                shutil.rmtree(final)
            elif final.exists():
                final.unlink()
            os.replace(top, final)
    return unpacked


def _fsync_replace(part: Path, target: Path) -> None:
    with part.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(part, target)


def _write_receipt(folder: Path, receipt: dict[str, Any]) -> None:
    tmp = folder / (RECEIPT + ".tmp")
    tmp.write_text(json.dumps(receipt, indent=1, sort_keys=True))
    os.replace(tmp, folder / RECEIPT)
