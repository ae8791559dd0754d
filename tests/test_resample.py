"""The streaming resampler: exact counts over long streams, frequency response, aliasing, timing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.audio.resample import ATTENUATION_DB, PASSBAND, Resampler, design, resample

PAIRS = [
    (48000, 16000), (44100, 16000), (22050, 16000), (11025, 16000), (8000, 16000), (32000, 16000),
    (16000, 48000), (16000, 44100), (22050, 48000), (22050, 44100), (16000, 22050),
]


def _tone_level_db(frequency: float, from_rate: int, to_rate: int, seconds: float = 1.0) -> float:
    """Output level of a full-scale sine (dB relative to the input level), away from the edges."""
    t = np.arange(int(seconds * from_rate)) / from_rate
    out = resample(np.sin(2 * np.pi * frequency * t), from_rate, to_rate)
    middle = out[len(out) // 4 : 3 * len(out) // 4].astype(np.float64)
    return 20 * math.log10(max(np.sqrt(np.mean(middle**2)) / math.sqrt(0.5), 1e-12))


@pytest.mark.parametrize(("from_rate", "to_rate"), PAIRS)
def test_a_long_stream_in_random_blocks_gives_exactly_the_one_shot_result(from_rate: int, to_rate: int) -> None:
    rng = np.random.default_rng(from_rate + to_rate)
    x = rng.standard_normal(from_rate * 20).astype(np.float32) * 3000  # 20 s
    resampler = Resampler(from_rate, to_rate)
    pieces, i = [], 0
    while i < len(x):
        size = int(rng.integers(1, 5000))
        pieces.append(resampler.process(x[i : i + size]))
        i += size
    pieces.append(resampler.drain())
    streamed = np.concatenate(pieces)
    assert len(streamed) == math.ceil(len(x) * to_rate / from_rate)  # not one sample lost or added
    assert np.abs(streamed - resample(x, from_rate, to_rate)).max() < 0.01


def test_counts_stay_exact_when_every_piece_is_drained() -> None:
    """Speech queued sentence by sentence: each drained, the total still matches the whole stream."""
    resampler = Resampler(22050, 48000)
    lengths = [12345, 1, 999, 22050, 7]
    total = sum(len(resampler.process(np.zeros(n))) + len(resampler.drain()) for n in lengths)
    assert total == math.ceil(sum(lengths) * 48000 / 22050)


@pytest.mark.parametrize(("from_rate", "to_rate"), [(48000, 16000), (44100, 16000), (16000, 48000), (22050, 48000)])
def test_the_passband_is_flat(from_rate: int, to_rate: int) -> None:
    edge = PASSBAND * min(from_rate, to_rate) / 2
    for frequency in (50, 440, 1000, 3000, 0.6 * edge, edge):
        assert abs(_tone_level_db(frequency, from_rate, to_rate)) < 0.05, frequency


@pytest.mark.parametrize(("from_rate", "to_rate"), [(48000, 16000), (44100, 16000), (22050, 16000)])
def test_nothing_above_the_new_nyquist_folds_back(from_rate: int, to_rate: int) -> None:
    nyquist = to_rate / 2
    for frequency in (nyquist * 1.01, nyquist * 1.2, 9500, min(15000, from_rate / 2 * 0.95)):
        assert _tone_level_db(frequency, from_rate, to_rate) < -(ATTENUATION_DB - 5), frequency


@pytest.mark.parametrize(("from_rate", "to_rate"), [(16000, 48000), (22050, 48000), (16000, 44100)])
def test_upsampling_leaves_no_images_above_the_old_nyquist(from_rate: int, to_rate: int) -> None:
    t = np.arange(from_rate) / from_rate
    out = resample(np.sin(2 * np.pi * 1000 * t), from_rate, to_rate)[to_rate // 4 : 3 * to_rate // 4]
    spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out))))
    frequencies = np.fft.rfftfreq(len(out), 1 / to_rate)
    images = spectrum[frequencies > from_rate / 2].max()
    assert 20 * math.log10(images / spectrum.max()) < -(ATTENUATION_DB - 5)


@pytest.mark.parametrize(("from_rate", "to_rate"), [(48000, 16000), (44100, 16000), (16000, 48000), (22050, 16000)])
def test_timing_is_kept_without_delay(from_rate: int, to_rate: int) -> None:
    """A click at input time t comes out at output time t: mic and reference stay aligned across rates."""
    x = np.zeros(from_rate)
    x[from_rate // 2] = 1.0  # at 0.5 s
    out = resample(x, from_rate, to_rate)
    assert abs(int(np.argmax(out)) - to_rate // 2) <= 1


def test_equal_rates_pass_samples_through_untouched() -> None:
    x = np.arange(-32768, 32768, 7).astype(np.float32)
    resampler = Resampler(16000, 16000)
    assert (resampler.process(x) == x).all()
    assert resampler.drain().size == 0


def test_silence_stays_silent_and_dc_keeps_its_level() -> None:
    assert not resample(np.zeros(4800), 48000, 16000).any()
    out = resample(np.full(44100, 1000.0), 44100, 16000)
    assert np.allclose(out[200:-200], 1000.0, atol=0.01)


def test_reset_forgets_the_stream() -> None:
    resampler = Resampler(48000, 16000)
    first = resampler.process(np.ones(4800))
    resampler.reset()
    assert (resampler.process(np.ones(4800)) == first).all()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        design(0, 16000)
    with pytest.raises(ValueError, match="passband"):
        design(48000, 16000, passband=1.2)
    with pytest.raises(ValueError, match="one channel"):
        Resampler(48000, 16000).process(np.zeros((10, 2)))
