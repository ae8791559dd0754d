"""Between device frames and the pipeline's mono samples: picking or mixing channels, spreading mono to a
speaker's channels, float to int16 with clipping, and the checks made on the raw microphone signal.

Device frames are int16 arrays [frames, channels] (PortAudio converts the card's own format, S32_LE or
S24_3LE, to int16 for us). The pipeline works on 1-D int16 mono at 16 kHz.
"""

from __future__ import annotations

import numpy as np

FULL_SCALE = 32768.0
MIX = -1  # `channel` value that averages all channels


class ChannelPicker:
    """Mono from a device's frames: one channel (0-based) or, with `channel=-1`, the mean of all of them."""

    def __init__(self, channels: int, channel: int = MIX, *, setting: str = "audio.input_channel") -> None:
        if channels < 1:
            raise ValueError(f"a device has at least one channel, got {channels}")
        if not MIX <= channel < channels:
            raise ValueError(
                f"{setting} = {channel}, but the device was opened with {channels} channel"
                f"{'s' if channels != 1 else ''} (0 to {channels - 1}); set {setting} to one of those, "
                "or -1 to mix them all"
            )
        self.channels = channels
        self.channel = channel

    def mono(self, frames: np.ndarray) -> np.ndarray:
        """float32 mono samples (int16 scale) of `frames` [n, channels]."""
        if self.channels == 1:
            return frames[:, 0].astype(np.float32)
        if self.channel != MIX:
            return frames[:, self.channel].astype(np.float32)
        return frames.mean(axis=1, dtype=np.float32)

    def used(self, frames: np.ndarray) -> np.ndarray:
        """The part of `frames` that reaches the pipeline (for level checks)."""
        return frames if self.channel == MIX else frames[:, self.channel]


def to_int16(samples: np.ndarray) -> np.ndarray:
    """float samples on the int16 scale, rounded and clipped (a resampler's overshoot must not wrap around)."""
    return np.clip(np.rint(samples), -32768, 32767).astype(np.int16)


def spread(mono: np.ndarray, channels: int) -> np.ndarray:
    """int16 mono samples as [n, channels] frames: the same signal on every speaker channel."""
    return np.repeat(mono.astype(np.int16, copy=False)[:, None], channels, axis=1)


class MicCheck:
    """Counts clipped samples and follows the DC offset of the raw microphone signal.

    A clipping microphone (gain too high) ruins recognition and echo cancellation; a large DC offset (a
    cheap ADC) wastes headroom and confuses level-based checks. Both are reported in the stream's stats
    and logged, so that a maker can fix the mixer setting rather than wonder why the assistant is deaf.
    """

    DC_WARN = 0.02  # fraction of full scale

    def __init__(self) -> None:
        self.clipped = 0  # samples at or beyond full scale
        self.dc_offset = 0.0  # smoothed mean, as a fraction of full scale
        self._smoothing = 0.05

    def update(self, samples: np.ndarray) -> None:
        """Account for raw int16 samples (any shape) that reach the pipeline."""
        if samples.size == 0:
            return
        self.clipped += int(np.count_nonzero((samples >= 32767) | (samples <= -32768)))
        mean = float(samples.mean(dtype=np.float64)) / FULL_SCALE
        self.dc_offset += self._smoothing * (mean - self.dc_offset)

    @property
    def dc_too_high(self) -> bool:
        return abs(self.dc_offset) > self.DC_WARN
