"""The audio contract: what the pipeline reads from the microphone and gives to the speaker.

`AudioIO` is implemented by the sound card (`assistant.audio.portaudio.CardIO`, over sounddevice or pyaudio)
and by the simulated room (`assistant.audio.room.SimulatedRoom`); the pipeline runs unchanged on either.
Everything on the pipeline's side is 16 kHz mono int16, in blocks of `audio.block_ms`; the implementations
convert to and from whatever the device or the recordings use.

Two sample clocks, both in 16 kHz samples since `start()`:
- the microphone clock: block `index` covers samples index * block_samples .. + block_samples;
- the speaker clock (`playback_position`): samples the speaker has been fed, speech and silence alike.
They advance together (one duplex stream, or two streams on the same card), so positions on one can be
compared with the other: the trace measures latency on them, to the first audible sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from assistant.config import AudioConfig

SAMPLE_RATE = 16000  # the pipeline's rate


def block_samples(block_ms: int) -> int:
    return SAMPLE_RATE * block_ms // 1000


@dataclass(frozen=True)
class DuplexBlock:
    """One block of microphone audio and the speaker audio that was playing when it was captured."""

    mic: np.ndarray  # int16 [block_samples], 16 kHz mono, as captured (converted from the device format)
    ref: np.ndarray  # int16 [block_samples]: what was sent to the speaker during the same block (16 kHz)
    index: int  # block number on the microphone clock; a jump means blocks were lost (counted in stats)
    # Part of `ref` never arrived (two streams: the speaker stalled or its timeline jumped), so what the speaker
    # played then is unknown: its echo cannot be cancelled or told from a voice by its level.
    ref_missing: bool = False


@dataclass(frozen=True)
class AudioStats:
    """Counters of one `AudioIO` since `start()`: nothing is lost silently."""

    blocks: int = 0  # blocks returned by read()
    lost_blocks: int = 0  # blocks that never reached read() (ring full, device gone): gaps in `index`
    overflows: int = 0  # capture chunks dropped because read() fell behind and the ring was full
    input_overflows: int = 0  # the device reported lost input (PortAudio input overflow)
    output_underflows: int = 0  # the device reported a gap in playback (PortAudio output underflow)
    reopened: int = 0  # times the stream was closed and opened again (device lost, stream stalled)
    clipped: int = 0  # microphone samples at full scale (gain too high)
    dc_offset: float = 0.0  # microphone DC offset, as a fraction of full scale
    callbacks: int = 0  # audio callbacks run
    callback_mean_us: float = 0.0  # time spent in the audio callback, mean and worst
    callback_max_us: float = 0.0
    ref_slips: int = 0  # two streams on separate clocks: reference re-aligned after clock drift
    speaker_jumps: int = 0  # two streams: the speaker's timeline jumped (an underrun's silence), the reference followed
    errors: int = 0  # exceptions caught in the audio callback (the stream carries on)
    alsa_messages: int = 0  # alsa-lib's error messages while the streams ran (each kind logged once)
    input_latency_ms: float = 0.0  # the device latencies PortAudio reports: a first guess at the echo delay
    output_latency_ms: float = 0.0
    input: str = ""  # what is open, e.g. "hw:1,0 at 48000 Hz, 2 channels"
    output: str = ""


class AudioIO(Protocol):
    """Full-duplex 16 kHz mono audio in blocks. Implemented by `CardIO` (a sound card) and `SimulatedRoom`.

    `read` is called from one thread (the front-end); `play`, `flush_playback` and `set_output_gain` may be
    called from others (speech synthesis, the controller). None of them raises for a device problem once
    started: the implementation reopens the device and counts what was lost.
    """

    sample_rate: int  # always 16000
    block_samples: int  # 160 or 320 (audio.block_ms of 10 or 20)

    def start(self) -> None:
        """Open the device(s) and start the clocks (raises AudioDeviceError if they cannot be opened)."""
        ...

    def stop(self) -> None:
        """Stop and close everything, joining threads. Safe to call twice, or without start()."""
        ...

    def read(self, timeout: float) -> DuplexBlock | None:
        """The next block, waiting up to `timeout` seconds; None if none came in time."""
        ...

    def play(self, pcm: np.ndarray, sample_rate: int) -> int:
        """Queue mono speech (int16, or float in -1..1) at `sample_rate` Hz after what is already queued.

        Returns the speaker-clock position at which it will have finished playing. May block while the
        playback ring is full (speech longer than audio.ring_seconds), returning early if flushed.
        """
        ...

    def flush_playback(self) -> int:
        """Barge-in: drop everything queued at once. Returns the speaker-clock position where it was cut."""
        ...

    def playback_position(self) -> int:
        """Speaker-clock samples (16 kHz) played so far, speech and silence."""
        ...

    def set_output_gain(self, gain: float) -> None:
        """Scale what the speaker plays from now on (ducking), ramped over one block to avoid a click."""
        ...

    def stats(self) -> AudioStats: ...


def open_audio(config: AudioConfig) -> AudioIO:
    """The sound card as the config describes it (not started yet), through the configured binding."""
    from assistant.audio.portaudio import CardIO, binding_for

    return CardIO(config, binding_for(config.backend))
