"""Streaming sample-rate conversion: polyphase windowed-sinc in numpy (no scipy), state carried across blocks.

The rate ratio is reduced to up/down (16000/44100 = 160/441). Output sample n sits exactly at input time
n * down / up: the filter is symmetric around it, so converted streams keep their timing (a microphone block
and its speaker reference stay aligned whatever the rates on either side). The price is a look-ahead: an
output is produced once the `reach` input samples after it have arrived.

The low-pass is specified, not guessed: flat (to within a few hundredths of a dB) up to `passband` times the
lower Nyquist frequency, at least `attenuation_db` down from that Nyquist frequency on, so nothing that
would fold back (alias) gets through above the noise of 16-bit audio. Its length follows from Kaiser's
formula; each phase is normalised to unity gain at DC.

Counting is exact over any stream: after N input samples, `drain` brings the total output to
ceil(N * up / down), the same as converting the whole stream at once, however it was cut into blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PASSBAND = 0.85  # flat up to 85% of the lower Nyquist frequency: 6.8 kHz at 16 kHz
ATTENUATION_DB = 80.0
_PIECE = 4096  # outputs computed per step: bounds the window matrix to a few MB


@dataclass(frozen=True)
class FilterBank:
    """The low-pass split into `up` phases: `taps[p]` weighs inputs base-reach .. base+reach for an output
    that falls p/up of a sample after input `base`."""

    up: int
    down: int
    reach: int
    taps: np.ndarray  # float32 [up, 2 * reach + 1]


def design(
    from_rate: int, to_rate: int, *, passband: float = PASSBAND, attenuation_db: float = ATTENUATION_DB
) -> FilterBank:
    """The polyphase low-pass for converting `from_rate` to `to_rate` Hz."""
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {from_rate} -> {to_rate}")
    if not 0.0 < passband < 1.0:
        raise ValueError(f"passband must be a fraction of the Nyquist frequency in (0, 1), got {passband}")
    common = math.gcd(from_rate, to_rate)
    up, down = to_rate // common, from_rate // common
    if up == down:
        return FilterBank(1, 1, 0, np.ones((1, 1), np.float32))
    scale = max(up, down)  # the lower rate, in samples of the upsampled grid
    # Transition band from `passband` to 1.0 of the lower Nyquist; the -6 dB point in its middle.
    width = 0.5 * (1.0 - passband) / scale  # cycles per upsampled sample
    cutoff = 0.5 * (1.0 + passband) / 2.0 / scale
    if not 50.0 <= attenuation_db <= 150.0:
        raise ValueError(f"attenuation_db must be in 50..150 dB, got {attenuation_db}")
    beta = 0.1102 * (attenuation_db - 8.7)  # Kaiser's window shape for that attenuation
    length = (attenuation_db - 7.95) / (14.36 * width)  # Kaiser's estimate, in upsampled samples
    half = length / 2.0
    reach = math.ceil(half / up)
    d = up * np.arange(-reach, reach + 1)[None, :] - np.arange(up)[:, None]  # tap distance on the upsampled grid
    window = np.i0(beta * np.sqrt(np.clip(1.0 - (d / half) ** 2, 0.0, 1.0))) / np.i0(beta)
    taps = np.where(np.abs(d) <= half, 2 * cutoff * np.sinc(2 * cutoff * d) * window, 0.0)
    taps /= taps.sum(axis=1, keepdims=True)
    return FilterBank(up, down, reach, taps.astype(np.float32))


class Resampler:
    """Converts one channel from `from_rate` to `to_rate` Hz, block by block, with exact timing and counts.

    `process` returns every output whose inputs have all arrived (float32, same scale as the input);
    `drain` returns the rest up to the end of the input so far as if silence followed, but keeps the
    history, so a later `process` continues in time (used at the end of each queued piece of speech);
    `reset` forgets the stream. Equal rates pass samples through untouched.
    """

    def __init__(self, from_rate: int, to_rate: int, *, bank: FilterBank | None = None) -> None:
        self.from_rate = from_rate
        self.to_rate = to_rate
        self.bank = bank or design(from_rate, to_rate)
        self.up, self.down, self.reach = self.bank.up, self.bank.down, self.bank.reach
        self._taps_by_column = np.ascontiguousarray(self.bank.taps.T)
        self.reset()

    @property
    def identity(self) -> bool:
        return self.up == self.down

    def reset(self) -> None:
        self.inputs = 0  # input samples taken since the reset
        self.outputs = 0  # output samples given since the reset
        self._history = np.zeros(self.reach, np.float32)  # inputs from index _history_start on
        self._history_start = -self.reach  # the stream is silent before its start

    def output_count(self, inputs: int) -> int:
        """Outputs that `inputs` input samples make in total once drained."""
        return -(-inputs * self.up // self.down)

    def process(self, samples: np.ndarray) -> np.ndarray:
        x = np.asarray(samples, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"the resampler takes one channel (1-D samples), got shape {x.shape}")
        if self.identity:
            self.inputs += x.size
            self.outputs += x.size
            return x.copy()
        self._history = np.concatenate([self._history, x])
        self.inputs += x.size
        # Output n needs inputs up to floor(n * down / up) + reach.
        ready = self.output_count(self.inputs - self.reach) if self.inputs > self.reach else 0
        out = self._compute(self._history, max(ready, self.outputs))
        self._trim()
        return out

    def drain(self) -> np.ndarray:
        if self.identity:
            return np.zeros(0, np.float32)
        padded = np.concatenate([self._history, np.zeros(self.reach + 1, np.float32)])
        out = self._compute(padded, self.output_count(self.inputs))
        self._trim()
        return out

    def _compute(self, source: np.ndarray, end: int) -> np.ndarray:
        """Outputs self.outputs .. end-1 from `source` (inputs from _history_start on), a piece at a time so
        that a long sentence does not need a window matrix of hundreds of MB."""
        start = self.outputs
        self.outputs = max(end, start)
        if end <= start:
            return np.zeros(0, np.float32)
        pieces = [self._piece(source, n, min(n + _PIECE, end)) for n in range(start, end, _PIECE)]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    def _piece(self, source: np.ndarray, first: int, end: int) -> np.ndarray:
        up, down, taps = self.up, self.down, self.bank.taps
        origin = self._history_start + self.reach  # input index of window row 0's centre
        rows = sliding_window_view(source, taps.shape[1])
        if up == 1:  # integer decimation (48 -> 16 kHz): every down-th window, one phase; a matrix product
            base = first * down - origin
            return rows[base : base + (end - first - 1) * down + 1 : down] @ taps[0]
        if down == 1:  # integer interpolation (16 -> 48 kHz): each window makes `up` consecutive outputs
            q0, q1 = first // up, (end - 1) // up + 1
            out = (rows[q0 - origin : q1 - origin] @ self._taps_by_column).ravel()
            return out[first - q0 * up : end - q0 * up]
        # General ratio (44.1 <-> 16 kHz): gather each output's window and phase.
        base, phase = np.divmod(np.arange(first, end, dtype=np.int64) * down, up)
        return np.einsum("ij,ij->i", rows[base - origin], taps[phase])

    def _trim(self) -> None:
        """Keep only the inputs the next output still needs."""
        first_needed = self.outputs * self.down // self.up - self.reach
        drop = min(first_needed - self._history_start, self._history.size)
        if drop > 0:
            self._history = self._history[drop:]
            self._history_start += drop


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """A whole signal converted at once (float32): what a stream cut into any blocks gives, drained."""
    resampler = Resampler(from_rate, to_rate)
    return np.concatenate([resampler.process(samples), resampler.drain()])
