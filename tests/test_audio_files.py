"""Reading recordings: any format and rate in, 16 kHz int16 mono out; the resampler; MANIFEST.tsv."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.audio_files import find_audio_files, read_audio, read_manifest, resample
from assistant.errors import AssistantError


def tone(frequency: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    return np.sin(2 * np.pi * frequency * np.arange(round(rate * seconds)) / rate)


def level_db(x: np.ndarray) -> float:
    """RMS level relative to a full-scale sine, ignoring the edges where the filter runs off the signal."""
    middle = x[len(x) // 10 : -len(x) // 10]
    return 20 * math.log10(max(np.sqrt(np.mean(middle**2)) / np.sqrt(0.5), 1e-12))


@pytest.mark.parametrize(("source", "target"), [(44100, 16000), (22050, 16000), (48000, 16000), (8000, 16000)])
def test_resampled_tone_matches_the_tone_generated_at_the_new_rate(source: int, target: int) -> None:
    out = resample(tone(1000, source), source, target)
    expected = tone(1000, target)
    assert len(out) == len(expected)
    middle = slice(len(out) // 10, -len(out) // 10)
    assert np.max(np.abs(out[middle] - expected[middle])) < 1e-3


@pytest.mark.parametrize("source", [44100, 22050, 48000])
def test_resampling_down_removes_what_the_new_rate_cannot_hold(source: int) -> None:
    # 8.8 kHz is above 16 kHz's Nyquist frequency: it must not fold back as a 7.2 kHz alias.
    assert level_db(resample(tone(8800, source), source, 16000)) < -60


def test_resampling_keeps_speech_frequencies_and_dc() -> None:
    assert level_db(resample(tone(4000, 44100), 44100, 16000)) > -0.1
    assert np.allclose(resample(np.ones(4410), 44100, 16000)[100:-100], 1.0, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    length=st.integers(min_value=1, max_value=3000),
    source=st.sampled_from([8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000]),
)
def test_output_length_is_the_input_duration_at_the_new_rate(length: int, source: int) -> None:
    out = resample(np.random.default_rng(length).standard_normal(length), source, 16000)
    assert len(out) == math.ceil(length * 16000 / source)
    assert np.all(np.isfinite(out))


def test_a_16k_mono_file_is_read_bit_exactly(tmp_path: Path) -> None:
    samples = np.random.default_rng(1).integers(-32768, 32767, 8000, dtype=np.int16)
    soundfile.write(tmp_path / "a.wav", samples, 16000, subtype="PCM_16")
    out = read_audio(tmp_path / "a.wav")
    assert out.dtype == np.int16
    np.testing.assert_array_equal(out, samples)


def test_a_stereo_44k_flac_becomes_16k_mono(tmp_path: Path) -> None:
    left = 0.5 * tone(440, 44100, 0.5)
    stereo = np.stack([left, left], axis=1)  # the same tone on both channels: the mix is that tone
    soundfile.write(tmp_path / "s.flac", stereo, 44100, subtype="PCM_16")
    out = read_audio(tmp_path / "s.flac")
    expected = 0.5 * tone(440, 16000, 0.5) * 32768
    assert out.dtype == np.int16 and out.shape == expected.shape
    middle = slice(800, -800)
    assert np.max(np.abs(out[middle] - expected[middle])) < 30  # within quantisation of the 16-bit source


def test_every_format_in_the_shared_asr_set_is_read_at_16k(shared_audio: Path) -> None:
    rows = read_manifest(shared_audio / "asr")
    one_per_format = {(r["format"], r["sample_rate"], r["channels"]): r for r in rows}
    assert len(one_per_format) >= 4  # WAV at several rates, FLAC, OGG/Opus, AIFF
    for row in one_per_format.values():
        samples = read_audio(row["path"])
        assert samples.dtype == np.int16 and samples.ndim == 1
        assert abs(len(samples) / 16000 - float(row["duration_s"])) < 0.03, row["file"]
        assert np.abs(samples).max() > 1000, f"{row['file']} decoded as silence"


def test_unreadable_input_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match=r"nothing\.wav: no such audio file"):
        read_audio(tmp_path / "nothing.wav")
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    with pytest.raises(AssistantError, match=r"notes\.wav: cannot read this audio file"):
        read_audio(bad)


def test_manifest_rows_carry_their_full_path(shared_audio: Path) -> None:
    rows = read_manifest(shared_audio / "wakeword")
    assert rows and all(r["path"].is_file() for r in rows)
    assert {"file", "duration_s", "label"} <= rows[0].keys()
    assert any(r["label"] == "positive:alexa" for r in rows)


def test_manifest_problems_name_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match=r"no MANIFEST\.tsv"):
        read_manifest(tmp_path)
    (tmp_path / "MANIFEST.tsv").write_text("file\tlabel\na.wav\tx\tunexpected\n")
    with pytest.raises(AssistantError, match="line 2: 3 fields but the header has 2"):
        read_manifest(tmp_path)


def test_audio_files_are_found_recursively_and_named_files_kept(tmp_path: Path) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    for name in ("deep/er/b.flac", "a.WAV", "c.opus", "deep/readme.txt"):
        (tmp_path / name).write_bytes(b"")
    single = tmp_path / "deep" / "readme.txt"
    found = find_audio_files([tmp_path, single])
    names = [p.relative_to(tmp_path).as_posix() for p in found]
    assert names == ["a.WAV", "c.opus", "deep/er/b.flac", "deep/readme.txt"]
    with pytest.raises(AssistantError, match="missing: no such file or folder"):
        find_audio_files([tmp_path / "missing"])
