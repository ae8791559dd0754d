"""Reading recordings from disk: any format soundfile reads, at any rate and channel count, as 16 kHz int16 mono.

Also a whole-signal resample (the pipeline's resampler), the search for audio files in a
folder, and the reader for a recording set's MANIFEST.tsv. Used by `transcribe`, the benchmarks and tests.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio.resample import resample as stream_resample
from assistant.errors import AssistantError

# What libsndfile (through soundfile) decodes; MP3 needs libsndfile >= 1.1.
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".aifc", ".au", ".caf", ".w64", ".rf64", ".mp3"}
)
MANIFEST_NAME = "MANIFEST.tsv"
SHARED_AUDIO_ENV = "ASSISTANT_SHARED_AUDIO"


def read_audio(path: Path | str, rate: int = 16000) -> np.ndarray:
    """The recording at `path` as int16 mono samples at `rate` Hz (channels averaged, resampled if needed)."""
    import soundfile

    path = Path(path)
    if not path.is_file():
        raise AssistantError(f"{path}: no such audio file")
    try:
        info = soundfile.info(str(path))
        if info.samplerate == rate and info.channels == 1:
            # Already what we need: read the integers directly, bit-exact for 16-bit files.
            samples, _ = soundfile.read(str(path), dtype="int16", always_2d=False)
            return np.ascontiguousarray(samples, dtype=np.int16)
        data, source_rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    except (RuntimeError, soundfile.SoundFileError) as exc:
        raise AssistantError(
            f"{path}: cannot read this audio file ({exc}); supported: WAV, FLAC, OGG (Vorbis, Opus), AIFF, "
            "MP3 and the other formats libsndfile reads"
        ) from exc
    mono = data.mean(axis=1)
    if source_rate != rate:
        mono = resample(mono, source_rate, rate)
    return to_int16(mono)


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1) as int16, rounded and clipped (a resampler's overshoot must not wrap)."""
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """`samples` (1-D, float) converted from `from_rate` to `to_rate` Hz; float64 out.

    The pipeline's streaming resampler (assistant.audio.resample) run over the whole signal, so files and live
    audio go through the same filter: output sample n sits at input time n * from_rate / to_rate, and there are
    ceil(N * to_rate / from_rate) of them.
    """
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive (got {from_rate} -> {to_rate})")
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"resample takes one channel (1-D samples), got shape {x.shape}")
    if from_rate == to_rate or x.size == 0:
        return x.copy()
    return stream_resample(x, from_rate, to_rate).astype(np.float64)


def find_audio_files(locations: Iterable[Path | str]) -> list[Path]:
    """Audio files named directly, or found by searching folders recursively; sorted, without duplicates."""
    found: set[Path] = set()
    for location in map(Path, locations):
        if location.is_dir():
            found.update(p for p in location.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
        elif location.is_file():
            found.add(location)
        else:
            raise AssistantError(f"{location}: no such file or folder")
    return sorted(found)


def read_manifest(set_dir: Path | str) -> list[dict[str, Any]]:
    """The rows of `set_dir`/MANIFEST.tsv as dicts keyed by its header, plus `path`: the file's full path.

    Values are the strings as written (duration_s, sample_rate, label, lang, ...), empty cells as "".
    """
    set_dir = Path(set_dir)
    manifest = set_dir / MANIFEST_NAME
    if not manifest.is_file():
        raise AssistantError(
            f"{set_dir}: no {MANIFEST_NAME} here; a recording set lists its files in {MANIFEST_NAME} "
            "(tab-separated, a header row with a 'file' column)"
        )
    with manifest.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if not header or "file" not in header:
            raise AssistantError(f"{manifest}: the first row must be a header with a 'file' column")
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cells):
                continue
            if len(cells) > len(header):
                raise AssistantError(
                    f"{manifest}, line {number}: {len(cells)} fields but the header has {len(header)}"
                )
            row: dict[str, Any] = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
            row["path"] = set_dir / row["file"]
            rows.append(row)
    return rows


def shared_audio_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """The project's shared recordings, for benchmarks run from a checkout or in CI: $ASSISTANT_SHARED_AUDIO,
    else ../shared/audio beside the checkout (as tests/conftest.py finds them); None when neither exists."""
    env = os.environ if env is None else env
    configured = env.get(SHARED_AUDIO_ENV)
    candidate = Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "audio"
    return candidate if candidate.is_dir() else None


def require_shared_audio(given: Path | None, holding: str) -> Path:
    """`given` (a bench's --audio DIR), else the shared recordings; a clear error when neither is there.
    `holding`: the subfolders the caller needs, for the message."""
    audio = given or shared_audio_dir()
    if audio is None or not audio.is_dir():
        raise AssistantError(
            f"the shared recordings were not found; pass --audio DIR (the shared/audio folder, with {holding}) "
            f"or set {SHARED_AUDIO_ENV}"
        )
    return audio
