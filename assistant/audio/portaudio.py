"""The sound card as an `AudioIO`: PortAudio on ALSA, through sounddevice (here) or pyaudio (pyaudio_io.py).

Three threads touch the audio, and only through single-producer/single-consumer rings (ring.py):

    play() (synthesis thread)           audio callback (PortAudio thread)          read() (front-end thread)
    speech -> device rate  --speech ring-->  speaker block out
    speech -> 16 kHz       --reference ring-> reference block --played ring--+
                                              microphone block in ----------+--> capture ring --> 16 kHz mono

The callback only copies preallocated blocks between rings: no conversion, no lock, no logging. Every
callback consumes one device block of speech together with the 16 kHz reference samples of the same
stretch of time, and stores the microphone block with the reference that went out in that same callback:
that pairing is the echo canceller's reference. Conversion of the microphone (channels, rate) happens in
read(), on the consumer's thread. With one duplex stream the pairing is exact. Two streams run when the
input and output need different rates, or the device is a sound server's ALSA plugin (PortAudio's duplex
stream dies or stalls for seconds on those): the reference then follows through the played ring, read by
position (`Duplexer._pair_reference`) a cushion behind the newest, so that the two callbacks' jitter does not
move it; it follows the speaker's timeline when the device says that jumped (an underrun's silence: PortAudio's
DAC times, `Duplexer._follow_speaker_clock`), and is re-aligned if the two clocks drift apart (ref_slips).

alsa-lib's own messages (an underrun, a device that would not open) are caught instead of printed to stderr
(alsa_log.py): the supervisor logs each distinct one once and counts them all; probing logs them at debug level.

A supervisor thread watches the stream: if it stops (card unplugged, ALSA error) or delivers nothing for
`Watchdog.stall_s`, it is closed and opened again with back-off, PortAudio's device list is refreshed, and the
sample clocks move on by the time lost, which shows as a gap in the block index.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from assistant.audio.alsa_log import alsa_messages
from assistant.audio.channels import ChannelPicker, MicCheck, spread, to_int16
from assistant.audio.devices import (
    AudioDeviceError,
    DeviceInfo,
    Kind,
    default_input_channels,
    diagnose,
    find_device,
    output_channels,
    running_sound_servers,
)
from assistant.audio.io import SAMPLE_RATE, AudioStats, DuplexBlock, block_samples
from assistant.audio.resample import Resampler
from assistant.audio.ring import Ring
from assistant.config import AudioConfig
from assistant.errors import ConfigurationError

log = logging.getLogger(__name__)

MAX_BLOCKS_PER_CALLBACK = 8  # 22.05 kHz needs 2, 11.025 kHz 4; odd rates would make huge callbacks
# Paired streams: the reference is read this many callbacks behind the newest. The two streams' callbacks come in
# either order, a block or two apart (through PulseAudio: the ring held 0-3 blocks when read, 6 after a stall).
CUSHION_CALLBACKS = 2
# A jump in the speaker's timeline (its DAC times) this large is followed once the same one (within SAME_JUMP_S)
# was seen STEADY_CALLBACKS times in a row; smaller differences are the clock's drift or the timestamps' jitter
# (0.1-0.3 ms through PulseAudio). Larger than MAX_JUMP_S: a stream that started late (its first blocks' times are
# guesses), and the pairing starts again from the newest.
JUMP_S = 0.002
SAME_JUMP_S = 0.0002
STEADY_CALLBACKS = 3
MAX_JUMP_S = 0.5
# Paired streams: this many microphone chunks in a row without their reference, while the speaker wrote, re-align it.
STARVED_CHUNKS = 3
ALSA_TEXTS_LOGGED = 50  # distinct alsa-lib messages logged by one CardIO; the rest are only counted


# ------------------------------------------------------------------------------------------------ plan


@dataclass(frozen=True)
class Watchdog:
    """When the supervisor gives up on a stream and reopens it."""

    stall_s: float = 2.0  # no microphone block for this long: the stream is dead
    startup_s: float = 6.0  # ... or this long after opening, until warm_s of audio has come
    warm_s: float = 1.0  # (ALSA's pulse plugin can take seconds to deliver the first blocks)
    backoff_s: tuple[float, float] = (0.5, 8.0)  # first and longest wait between reopening attempts


@dataclass(frozen=True)
class StreamPlan:
    """What to open: devices, rates, channels and callback sizes, decided once from the config."""

    input: DeviceInfo
    output: DeviceInfo
    input_rate: int
    output_rate: int
    input_channels: int
    output_channels: int
    input_channel: int  # which one reaches the pipeline; -1: their mean
    block_samples: int  # pipeline block at 16 kHz
    input_blocks: int  # pipeline blocks per input callback
    output_blocks: int
    latency: float | str  # seconds, or "low": PortAudio's low-latency default
    duplex: bool  # one stream for both directions (else two)

    @property
    def input_frames(self) -> int:
        """Device frames per input callback."""
        return self.input_blocks * self.block_samples * self.input_rate // SAMPLE_RATE

    @property
    def output_frames(self) -> int:
        return self.output_blocks * self.block_samples * self.output_rate // SAMPLE_RATE

    def describe(self, kind: Kind) -> str:
        device, rate, channels = (
            (self.input, self.input_rate, self.input_channels)
            if kind == "input"
            else (self.output, self.output_rate, self.output_channels)
        )
        return f"{device.label()} at {rate} Hz, {channels} channel{'s' if channels != 1 else ''}"


def blocks_per_callback(rate: int, block_ms: int) -> int:
    """Pipeline blocks per device callback: the fewest whose length is a whole number of device frames."""
    count = 1000 // math.gcd(rate * block_ms, 1000)
    if count > MAX_BLOCKS_PER_CALLBACK:
        raise ConfigurationError(
            f"a device rate of {rate} Hz does not divide into {block_ms} ms blocks; set audio.input_rate / "
            "audio.output_rate to a common rate (8000, 11025, 16000, 22050, 32000, 44100 or 48000)"
        )
    return count


def plan_streams(config: AudioConfig, binding: Binding, devices: list[DeviceInfo]) -> StreamPlan:
    """Devices, rates and channels for `config`, falling back to a device's default rate if it refuses ours."""
    mic = find_device(config.input_device, "input", devices)
    speaker = find_device(config.output_device, "output", devices)
    in_channels = config.input_channels or default_input_channels(mic)
    if in_channels > mic.max_input_channels:
        raise ConfigurationError(
            f"audio.input_channels = {in_channels}, but {mic.label()} has {mic.max_input_channels} input "
            f"channel(s); set audio.input_channels to at most {mic.max_input_channels} (0: automatic)"
        )
    ChannelPicker(in_channels, config.input_channel)  # a bad input_channel fails here, with the fix
    out_channels = output_channels(speaker)
    in_rate = _rate(binding, mic, "input", config.input_rate, in_channels)
    out_rate = _rate(binding, speaker, "output", config.output_rate, out_channels)
    # One duplex stream needs one rate: adopt the other side's rate when this side was not set explicitly.
    if in_rate != out_rate:
        if not config.output_rate and binding.supports(speaker, "output", in_rate, out_channels):
            out_rate = in_rate
        elif not config.input_rate and binding.supports(mic, "input", out_rate, in_channels):
            in_rate = out_rate
    # PortAudio's duplex stream on ALSA's pulse/pipewire plugins dies or stalls for seconds at start;
    # two streams through a sound server work, and the server's own clock keeps them in step.
    duplex = in_rate == out_rate and not (behind_sound_server(mic) or behind_sound_server(speaker))
    if duplex and binding.needs_equal_channels and in_channels != out_channels:
        if speaker.max_output_channels >= in_channels:
            out_channels = in_channels  # the speech goes to every channel anyway
        else:
            duplex = False
    block = block_samples(config.block_ms)
    return StreamPlan(
        input=mic,
        output=speaker,
        input_rate=in_rate,
        output_rate=out_rate,
        input_channels=in_channels,
        output_channels=out_channels,
        input_channel=config.input_channel,
        block_samples=block,
        input_blocks=blocks_per_callback(in_rate, config.block_ms),
        output_blocks=blocks_per_callback(out_rate, config.block_ms),
        latency=config.latency_ms / 1000.0 if config.latency_ms else "low",
        duplex=duplex,
    )


def behind_sound_server(device: DeviceInfo) -> bool:
    """Whether the device is a sound server's ALSA plugin (pulse, pipewire, jack, or default routed to one)."""
    name = device.name.lower()
    return name in ("pulse", "pipewire", "jack") or (name == "default" and bool(running_sound_servers()))


def _rate(binding: Binding, device: DeviceInfo, kind: Kind, wanted: int, channels: int) -> int:
    default = int(device.default_samplerate)
    rate = wanted or default
    if rate == default or binding.supports(device, kind, rate, channels):
        return rate
    log.warning(
        "%s does not take %d Hz for %s; using its default rate %d Hz and converting (audio.%s_rate)",
        device.label(), rate, kind, default, kind,
    )
    return default


# ------------------------------------------------------------------------------------- callback side


class Duplexer:
    """Everything the audio callback touches: preallocated rings, scratch arrays and counters.

    `on_duplex` serves one duplex stream; `on_output` and `on_input` serve two paired streams. Each is
    called by one PortAudio thread; counters written here are only read elsewhere.
    """

    def __init__(self, plan: StreamPlan, ring_seconds: float) -> None:
        self.plan = plan
        self.in_ref = plan.input_blocks * plan.block_samples  # reference samples per input callback
        self.out_ref = plan.output_blocks * plan.block_samples
        chunks = max(4, math.ceil(ring_seconds * SAMPLE_RATE / self.in_ref))
        record = np.dtype(
            [
                ("index", np.int64),
                ("mic", np.int16, (plan.input_frames, plan.input_channels)),
                ("ref", np.int16, (self.in_ref,)),
                ("missing", np.int32),  # reference samples that never arrived (see _pair_reference)
            ]
        )
        self.capture = Ring(chunks, (), record)  # microphone chunks with their reference, for read()
        self.capture_index = self.capture.buffer["index"]
        self.capture_mic = self.capture.buffer["mic"]
        self.capture_ref = self.capture.buffer["ref"]
        self.capture_missing = self.capture.buffer["missing"]
        self.speech = Ring(max(int(ring_seconds * plan.output_rate), plan.output_frames), (plan.output_channels,))
        self.reference = Ring(max(int(ring_seconds * SAMPLE_RATE), self.out_ref))
        self.played = Ring(8 * (self.in_ref + self.out_ref))  # reference of what went out, for the input side
        # Paired streams: the reference is read `cushion` behind the newest, and re-aligned when the newest is
        # `slack` further ahead than that (the speaker's clock runs faster) or stays behind (STARVED_CHUNKS).
        callback = max(self.in_ref, self.out_ref)
        self.cushion = 0 if plan.duplex else CUSHION_CALLBACKS * callback
        self.slack = 3 * callback
        self._block_s = self.out_ref / SAMPLE_RATE
        self._origin: int | None = None  # reference position of microphone chunk 0 (consumer-owned)
        self._shift_seen = 0
        self._restarts_seen = 0
        self._written_seen = 0
        self._starved = 0  # chunks in a row that found the reference not yet written although the speaker wrote
        self._next_dac: float | None = None  # when the next output block should be heard (producer-owned)
        self._jump: float | None = None  # the speaker's timeline is jumping: by this much in the last callback
        self._steady = 0  # ... the same jump in this many callbacks since
        self.speaker_shift = 0  # 16 kHz samples the speaker's timeline has jumped, in all (producer-owned)
        self.speaker_restarts = 0  # jumps too large to follow: pair again from the newest (producer-owned)

        self._ref_out = np.zeros(self.out_ref, np.int16)
        self._ramp_frames = (np.arange(1, plan.output_frames + 1, dtype=np.float32) / plan.output_frames)[:, None]
        self._ramp_ref = np.arange(1, self.out_ref + 1, dtype=np.float32) / self.out_ref
        self._gains_frames = np.zeros_like(self._ramp_frames)
        self._gains_ref = np.zeros_like(self._ramp_ref)
        self._float_frames = np.zeros((plan.output_frames, plan.output_channels), np.float32)
        self._float_ref = np.zeros(self.out_ref, np.float32)

        self.data_ready = threading.Event()
        self.flush_marker: tuple[int, int] = (0, 0)  # set by the producer: drop speech written before these
        self._applied_marker = self.flush_marker
        self.gain = 1.0  # set by the producer
        self._gain_now = 1.0

        self.next_chunk = 0  # microphone clock, in input callbacks
        self.position = 0  # speaker clock, in 16 kHz samples
        self.overflows = 0
        self.input_overflows = 0
        self.output_underflows = 0
        self.ref_slips = 0
        self.speaker_jumps = 0  # jumps in the speaker's timeline the reference followed
        self.errors = 0
        self.callbacks = 0
        self.busy_ns = 0
        self.busy_max_ns = 0

    # --------------------------------------------------------------------------------------- callbacks

    def on_duplex(self, indata: np.ndarray, outdata: np.ndarray) -> None:
        started = time.perf_counter_ns()
        try:
            self._output(outdata)
            self._input(indata)
        except Exception:  # a stream must never die of a bug here; counted, logged by the supervisor
            self.errors += 1
            outdata.fill(0)
        self._account(started)

    def on_output(self, outdata: np.ndarray, dac_time: float = 0.0) -> None:
        """`dac_time`: when the device says the block will be heard (PortAudio's outputBufferDacTime; 0: unknown)."""
        started = time.perf_counter_ns()
        try:
            if dac_time > 0.0:
                self._follow_speaker_clock(dac_time)
            self._output(outdata)
        except Exception:
            self.errors += 1
            outdata.fill(0)
        self._account(started)

    def on_input(self, indata: np.ndarray) -> None:
        started = time.perf_counter_ns()
        try:
            self._input(indata)
        except Exception:
            self.errors += 1
        self._account(started)

    def device_flags(self, input_overflow: bool, output_underflow: bool) -> None:
        self.input_overflows += input_overflow
        self.output_underflows += output_underflow

    def restart_pairing(self) -> None:
        """The streams are opened again: pair the reference afresh (call while no callback runs)."""
        self._origin = None
        self._next_dac = self._jump = None

    # ------------------------------------------------------------------------------------------- inner

    def _output(self, out: np.ndarray) -> None:
        marker = self.flush_marker
        if marker is not self._applied_marker:  # barge-in: drop what was queued before the flush
            self.speech.skip_to(marker[0])
            self.reference.skip_to(marker[1])
            self._applied_marker = marker
        frames = self.speech.read_into(out)
        if frames < len(out):
            out[frames:] = 0
        ref = self._ref_out
        count = self.reference.read_into(ref)
        if count < len(ref):
            ref[count:] = 0
        start, target = self._gain_now, self.gain
        if (frames or count) and (start != 1.0 or target != 1.0):
            self._apply_gain(out, ref, start, target)
        self._gain_now = target
        self.played.write(ref)
        self.position += len(ref)

    def _apply_gain(self, out: np.ndarray, ref: np.ndarray, start: float, target: float) -> None:
        """Scale by a ramp from `start` to `target` over the block, in preallocated float scratch."""
        for samples, ramp, gains, scratch in (
            (out, self._ramp_frames, self._gains_frames, self._float_frames),
            (ref, self._ramp_ref, self._gains_ref, self._float_ref),
        ):
            np.multiply(ramp, target - start, out=gains)
            gains += start
            np.multiply(samples, gains, out=scratch)
            np.clip(scratch, -32768, 32767, out=scratch)
            np.copyto(samples, scratch, casting="unsafe")

    def _input(self, indata: np.ndarray) -> None:
        chunk = self.next_chunk
        self.next_chunk = chunk + 1
        slot = self.capture.reserve()
        if slot is None:  # read() fell behind: drop this chunk, counted; its index will show the gap
            self.overflows += 1  # (its reference is skipped by the next chunk's position)
        else:
            self.capture_mic[slot] = indata
            self.capture_missing[slot] = self._pair_reference(chunk, self.capture_ref[slot])
            self.capture_index[slot] = chunk
            self.capture.commit()
        self.data_ready.set()

    def _pair_reference(self, chunk: int, ref: np.ndarray) -> int:
        """Fill `ref` with the reference that went out as microphone chunk `chunk` came in; return how many of its
        samples never arrived (zeros in `ref`, although the speaker may have played something then).

        Read by position: chunk c pairs with the reference from origin + c * in_ref on, so that which of two
        streams' callbacks ran first does not move it (read as a queue, each time the speaker's callback came late
        the reference slipped a block: its echo wandered by 10-20 ms within a reply, and the canceller never
        converged). Reference not written yet reads as silence and is skipped when it comes; reference already
        read (after the speaker's timeline jumped ahead) as silence too: the speaker was silent then."""
        played = self.played
        written = played.written  # before speaker_shift: the producer moves that first
        if self._origin is None or self._restarts_seen != self.speaker_restarts:
            self._origin = written - self.in_ref - self.cushion - chunk * self.in_ref
            self._shift_seen, self._restarts_seen = self.speaker_shift, self.speaker_restarts
        shift = self.speaker_shift
        self._origin -= shift - self._shift_seen
        self._shift_seen = shift
        start = self._origin + chunk * self.in_ref
        ahead = written - start - self.in_ref
        if self._jump is None:  # (while the speaker's timeline jumps, its catch-up is neither drift nor a stall)
            # Written to but still short: the speaker stalled and no jump in its times told how long (a driver
            # without DAC times), or they told wrong.
            if ahead >= -self.in_ref:
                self._starved = 0
            elif written != self._written_seen:
                self._starved += 1
            if ahead > self.cushion + self.slack or self._starved >= STARVED_CHUNKS:
                # The speaker's clock runs faster than the microphone's, or it stalled: back to the cushion behind
                # the newest.
                self._origin += ahead - self.cushion
                start += ahead - self.cushion
                self._starved = 0
                self.ref_slips += 1
        self._written_seen = written
        if start > played.read:
            played.skip(start - played.read)
        gone = min(max(0, played.read - start), self.in_ref)
        ref[:gone] = 0
        count = played.read_into(ref[gone:])
        ref[gone + count :] = 0
        return self.in_ref - count

    def _follow_speaker_clock(self, dac_time: float) -> None:
        """Paired streams: notice the speaker's timeline jumping from when its blocks are heard (the output
        callback). An underrun plays silence the reference does not hold: the echo of everything after comes that
        much later (through PulseAudio: 25-180 ms, several times a reply on this machine while the models ran).
        While the stream recovers, its times are guesses (steps of +-5-60 ms, the block "heard" as it is written);
        the jump counts once the same one was seen STEADY_CALLBACKS times in a row, whole, against the timeline
        before it. `speaker_shift` carries it to `_pair_reference`."""
        expected = self._next_dac
        if expected is None:
            self._next_dac = dac_time + self._block_s
            return
        jump = dac_time - expected
        self._next_dac = expected + self._block_s
        if self._jump is None:
            if abs(jump) < JUMP_S:  # steady: follow the clock's slow drift, not each timestamp's jitter
                self._next_dac += 0.05 * jump
            else:
                self._jump, self._steady = jump, 0
            return
        self._steady = self._steady + 1 if abs(jump - self._jump) < SAME_JUMP_S else 0
        self._jump = jump
        if self._steady < STEADY_CALLBACKS:
            return
        shift = round(jump * SAMPLE_RATE)
        if abs(jump) > MAX_JUMP_S:
            self.speaker_restarts += 1
        elif shift:
            self.speaker_shift += shift
            self.speaker_jumps += 1
        self._next_dac = dac_time + self._block_s
        self._jump = None

    def _account(self, started: int) -> None:
        spent = time.perf_counter_ns() - started
        self.callbacks += 1
        self.busy_ns += spent
        if spent > self.busy_max_ns:
            self.busy_max_ns = spent


# -------------------------------------------------------------------------------------- consumer side


class BlockAssembler:
    """Turns captured chunks (device rate and channels) into 16 kHz mono blocks paired with the reference.

    A chunk whose index is not the next one means chunks were lost: the audio before the gap is finished
    (the resampler drained), the resampler restarts, and block indices continue from the new chunk.
    """

    def __init__(self, plan: StreamPlan) -> None:
        self.block = plan.block_samples
        self.blocks_per_chunk = plan.input_blocks
        self.picker = ChannelPicker(plan.input_channels, plan.input_channel)
        self.resampler = Resampler(plan.input_rate, SAMPLE_RATE)
        self.check = MicCheck()
        self.ready: deque[DuplexBlock] = deque()
        self.lost_blocks = 0
        self._next_chunk = 0
        self._next_index = 0  # index of the first pending block
        self._mic = np.zeros(0, np.int16)
        self._ref = np.zeros(0, np.int16)
        self._missing: deque[bool] = deque()  # per pending block of `_ref`: part of its reference never arrived

    def add(self, index: int, mic: np.ndarray, ref: np.ndarray, missing: int = 0) -> None:
        """Take one chunk: mic frames [frames, channels] int16 and its 16 kHz reference (read, not kept), of
        which `missing` samples never arrived (the chunk's blocks are marked whole)."""
        if index != self._next_chunk:
            self._restart(index)
        self.check.update(self.picker.used(mic))
        converted = to_int16(self.resampler.process(self.picker.mono(mic)))
        self._mic = np.concatenate([self._mic, converted])
        self._ref = np.concatenate([self._ref, ref])
        self._missing.extend([missing > 0] * (len(ref) // self.block))  # (a chunk is whole blocks of reference)
        self._next_chunk = index + 1
        self._emit()

    def _restart(self, index: int) -> None:
        self._mic = np.concatenate([self._mic, to_int16(self.resampler.drain())])
        self._emit()
        self.resampler.reset()
        self._mic = np.zeros(0, np.int16)
        self._ref = np.zeros(0, np.int16)
        self._missing.clear()
        first = index * self.blocks_per_chunk
        self.lost_blocks += max(0, first - self._next_index)
        self._next_index = first

    def _emit(self) -> None:
        block = self.block
        usable = min(len(self._mic), len(self._ref)) // block * block
        for start in range(0, usable, block):
            self.ready.append(DuplexBlock(
                self._mic[start : start + block], self._ref[start : start + block], self._next_index,
                ref_missing=self._missing.popleft(),
            ))
            self._next_index += 1
        if usable:
            self._mic = self._mic[usable:].copy()
            self._ref = self._ref[usable:].copy()


class SpeechFeed:
    """The producer side of playback: speech at any rate to the device's rate and channels (speech ring)
    and to 16 kHz (reference ring), converted in step so that both describe the same time."""

    def __init__(self, duplexer: Duplexer) -> None:
        self.duplexer = duplexer
        self.lock = threading.Lock()  # play() and flush_playback() come from different threads
        self.generation = 0  # bumped by every flush
        self._converters: dict[int, tuple[Resampler, Resampler]] = {}

    def convert(self, pcm: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
        """(device frames, 16 kHz reference) for mono speech `pcm`. Call with the lock held."""
        d = self.duplexer
        samples = np.asarray(pcm)
        if samples.ndim != 1:
            raise ValueError(f"play() takes mono speech (1-D samples), got shape {samples.shape}")
        if samples.dtype.kind == "f":
            samples = samples.astype(np.float32) * 32767.0
        if rate not in self._converters:
            self._converters[rate] = (Resampler(rate, d.plan.output_rate), Resampler(rate, SAMPLE_RATE))
        if d.reference.available() == 0:  # not continuing queued speech: no history to carry over
            for converter in self._converters.values():
                converter[0].reset()
                converter[1].reset()
        to_device, to_reference = self._converters[rate]
        device = to_int16(np.concatenate([to_device.process(samples), to_device.drain()]))
        reference = to_int16(np.concatenate([to_reference.process(samples), to_reference.drain()]))
        return spread(device, d.plan.output_channels), reference

    def flush(self) -> int:
        with self.lock:
            d = self.duplexer
            self.generation += 1
            d.flush_marker = (d.speech.written, d.reference.written)
            self._converters.clear()
            return d.position


# ---------------------------------------------------------------------------------------------- binding


class StreamHandle(Protocol):
    """Open, started PortAudio stream(s) of one binding."""

    latency: tuple[float, float]  # (input, output) seconds, as PortAudio reports them

    def active(self) -> bool: ...

    def close(self) -> None: ...


class Binding(Protocol):
    """A PortAudio binding: sounddevice (`SoundDeviceBinding`) or pyaudio (`PyAudioBinding`)."""

    name: str
    needs_equal_channels: bool  # a duplex stream must have as many output as input channels (pyaudio)

    def devices(self) -> list[DeviceInfo]: ...

    def supports(self, device: DeviceInfo, kind: Kind, rate: int, channels: int) -> bool: ...

    def open(self, plan: StreamPlan, duplexer: Duplexer) -> StreamHandle:
        """Open and start the stream(s) that `plan` describes, calling `duplexer`; raise on failure."""
        ...

    def refresh(self) -> None:
        """Re-read the device list (a card was unplugged and plugged back)."""
        ...


# ---------------------------------------------------------------------------------------------- CardIO


class CardIO:
    """`AudioIO` on a sound card through a PortAudio binding (see the module docstring)."""

    sample_rate = SAMPLE_RATE

    def __init__(self, config: AudioConfig, binding: Binding, *, watchdog: Watchdog | None = None) -> None:
        self.config = config
        self.binding = binding
        self.watchdog = watchdog or Watchdog()
        self.block_samples = block_samples(config.block_ms)
        self._alsa = alsa_messages()
        with self._alsa.quiet("choosing the stream settings"):
            self.plan = plan_streams(config, binding, binding.devices())
        self._duplexer = Duplexer(self.plan, config.ring_seconds)
        self._assembler = BlockAssembler(self.plan)
        self._feed = SpeechFeed(self._duplexer)
        self._handle: StreamHandle | None = None
        self._chunk_at_open = 0
        self._opened_at = 0.0
        self._latency = (0.0, 0.0)  # of the stream opened last, as PortAudio reports it
        self._quick_failures = 0
        self._running = False
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._blocks = 0
        self._reopened = 0
        self._warned: set[str] = set()
        self._alsa_mark = self._alsa.mark()  # the supervisor's reading point
        self._alsa_count = 0  # alsa-lib messages while the streams ran
        self._alsa_logged: set[str] = set()
        log.info(
            "audio (%s): microphone %s, speaker %s, %s",
            binding.name, self.plan.describe("input"), self.plan.describe("output"),
            "one duplex stream" if self.plan.duplex else "two streams",
        )

    # ---------------------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._running:
            return
        self._chunk_at_open = self._duplexer.next_chunk
        self._handle = self._open(self.plan)
        self._latency = self._handle.latency
        self._opened_at = time.monotonic()
        self._running = True
        self._stopping.clear()
        self._supervisor = threading.Thread(target=self._supervise, name="audio-supervisor", daemon=True)
        self._supervisor.start()

    def stop(self) -> None:
        self._running = False
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._duplexer.data_ready.set()  # wake a reader

    def _open(self, plan: StreamPlan) -> StreamHandle:
        with self._probing("opening the streams"):
            try:
                return self.binding.open(plan, self._duplexer)
            except AudioDeviceError:
                raise
            except Exception as exc:  # PortAudio's own errors: say which device and why, in ALSA's words too
                devices = {plan.input.label(), plan.output.label()}
                hint = diagnose(plan.input if plan.input.hw else plan.output)
                _, messages, _ = self._alsa.since(self._alsa_mark)
                said = "; ".join(dict.fromkeys(message.text for message in messages))
                raise AudioDeviceError(
                    f"cannot open {' and '.join(sorted(devices))} ({self.binding.name}): {exc}"
                    + (f" (ALSA: {said})" if said else "")
                    + (f". {hint}" if hint else ". `assistant devices` lists the devices and their rates")
                ) from exc

    @contextmanager
    def _probing(self, doing: str) -> Iterator[None]:
        """Around work that makes alsa-lib talk by nature (opening, listing devices): its messages go to the debug
        log, not among the running stream's warnings."""
        self._report_alsa()
        try:
            with self._alsa.quiet(doing):
                yield
        finally:
            self._alsa_mark = self._alsa.mark()

    # ---------------------------------------------------------------------------------------- consumer

    def read(self, timeout: float) -> DuplexBlock | None:
        d, assembler = self._duplexer, self._assembler
        deadline = time.monotonic() + timeout
        while True:
            if assembler.ready:
                self._blocks += 1
                return assembler.ready.popleft()
            slot = d.capture.peek()
            if slot is not None:
                assembler.add(int(d.capture_index[slot]), d.capture_mic[slot], d.capture_ref[slot],
                              int(d.capture_missing[slot]))
                d.capture.release()
                continue
            remaining = deadline - time.monotonic()
            if not self._running or remaining <= 0:
                return None
            d.data_ready.clear()
            if d.capture.available() == 0:
                d.data_ready.wait(remaining)

    # ---------------------------------------------------------------------------------------- producer

    def play(self, pcm: np.ndarray, sample_rate: int) -> int:
        d, feed = self._duplexer, self._feed
        with feed.lock:
            generation = feed.generation
            frames, reference = feed.convert(pcm, sample_rate)
        sent_frames = sent_ref = 0
        while True:
            with feed.lock:
                if feed.generation != generation:  # flushed while we waited for room
                    return d.position
                sent_frames += d.speech.write(frames[sent_frames:])
                sent_ref += d.reference.write(reference[sent_ref:])
                if sent_frames == len(frames) and sent_ref == len(reference):
                    return d.position + d.reference.available()
            if not self._running:  # nobody is draining the ring: keep what fitted
                return d.position + d.reference.available()
            time.sleep(self.block_samples / SAMPLE_RATE)

    def flush_playback(self) -> int:
        return self._feed.flush()

    def playback_position(self) -> int:
        return self._duplexer.position

    def set_output_gain(self, gain: float) -> None:
        if not 0.0 <= gain <= 4.0:
            raise ValueError(f"output gain must be in 0..4, got {gain}")
        self._duplexer.gain = float(gain)

    def stats(self) -> AudioStats:
        d, a = self._duplexer, self._assembler
        latency = self._latency
        return AudioStats(
            blocks=self._blocks,
            lost_blocks=a.lost_blocks,
            overflows=d.overflows,
            input_overflows=d.input_overflows,
            output_underflows=d.output_underflows,
            reopened=self._reopened,
            clipped=a.check.clipped,
            dc_offset=a.check.dc_offset,
            callbacks=d.callbacks,
            callback_mean_us=d.busy_ns / d.callbacks / 1000 if d.callbacks else 0.0,
            callback_max_us=d.busy_max_ns / 1000,
            ref_slips=d.ref_slips,
            speaker_jumps=d.speaker_jumps,
            errors=d.errors,
            alsa_messages=self._alsa_count,
            input_latency_ms=1000 * latency[0],
            output_latency_ms=1000 * latency[1],
            input=self.plan.describe("input"),
            output=self.plan.describe("output"),
        )

    # --------------------------------------------------------------------------------------- supervisor

    def _supervise(self) -> None:
        d, dog = self._duplexer, self.watchdog
        seen_chunk, seen_at = d.next_chunk, time.monotonic()
        while not self._stopping.wait(0.1):
            self._report_problems()
            now = time.monotonic()
            if d.next_chunk != seen_chunk:
                seen_chunk, seen_at = d.next_chunk, now
            handle = self._handle
            alive = handle is not None and handle.active()
            warm = d.next_chunk - self._chunk_at_open >= dog.warm_s * self.plan.input_rate / self.plan.input_frames
            if alive and now - seen_at < (dog.stall_s if warm else dog.startup_s):
                continue
            lived = now - self._opened_at
            why = f"the stream stopped after {lived:.1f} s (device error or unplugged)" if not alive else (
                f"no audio from the microphone for {now - seen_at:.1f} s"
            )
            log.warning("audio: %s: %s; reopening", self.plan.describe("input"), why)
            if not warm and self.plan.duplex:
                # Some ALSA plugins cannot run PortAudio's duplex stream: try the two-stream way.
                log.warning("audio: the duplex stream did not get going; opening input and output separately")
                self.plan = replace(self.plan, duplex=False)
            self._quick_failures = self._quick_failures + 1 if not warm else 0
            self._reopen(self._quick_failures)
            seen_chunk, seen_at = d.next_chunk, time.monotonic()

    def _reopen(self, quick_failures: int) -> None:
        d = self._duplexer
        lost_at, chunk_at, position_at = time.monotonic(), d.next_chunk, d.position
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        wait, longest = self.watchdog.backoff_s
        if quick_failures > 1:  # it keeps dying right after opening: do not reopen in a tight loop
            wait = min(wait * 2 ** (quick_failures - 2), longest)
            if self._stopping.wait(wait):
                return
        attempt = 0
        while not self._stopping.is_set():
            try:
                if attempt:
                    with self._probing("listing the devices again"):
                        self.binding.refresh()  # the card may be back under another index
                plan = self._replan()
                # The clocks move on by the time the device was gone, so indices keep to wall time.
                gone = time.monotonic() - lost_at
                d.next_chunk = chunk_at + round(gone * self.plan.input_rate / self.plan.input_frames)
                d.position = position_at + round(gone * SAMPLE_RATE / d.out_ref) * d.out_ref
                d.restart_pairing()
                self._chunk_at_open = d.next_chunk
                self._handle = self._open(plan)
                self._latency = self._handle.latency
                self._opened_at = time.monotonic()
                self._reopened += 1
                log.warning("audio: reopened %s after %.1f s", plan.describe("input"), time.monotonic() - lost_at)
                return
            except Exception as exc:
                log.warning("audio: reopening failed (%s); next attempt in %.1f s", exc, wait)
            attempt += 1
            if self._stopping.wait(wait):
                return
            wait = min(wait * 2, longest)

    def _replan(self) -> StreamPlan:
        """The same rates and channels on the devices as they are listed now."""
        devices = self.binding.devices()
        mic = find_device(self.config.input_device, "input", devices)
        speaker = find_device(self.config.output_device, "output", devices)
        return replace(self.plan, input=mic, output=speaker)

    def _report_problems(self) -> None:
        """Log, once each, the problems the callback and the consumer count but must not log themselves."""
        d, check = self._duplexer, self._assembler.check
        problems = {
            "errors": (d.errors > 0, f"audio callback failed {d.errors} time(s); the stream carries on"),
            "overflow": (d.overflows > 0, "audio: microphone blocks dropped: the pipeline reads too slowly"),
            "underflow": (d.output_underflows > 0, "audio: the speaker ran dry (a gap in playback): the machine "
                          "is too busy or the device latency too short (audio.latency_ms); counted in the stats"),
            "clipping": (check.clipped > 0, "microphone clipping: lower the capture level (alsamixer)"),
            "dc": (check.dc_too_high, f"microphone DC offset {100 * check.dc_offset:.1f}% of full scale"),
        }
        for key, (happened, message) in problems.items():
            if happened and key not in self._warned:
                self._warned.add(key)
                log.warning("%s", message)
        self._report_alsa()

    def _report_alsa(self) -> None:
        """Count what alsa-lib reported since the last look; log each distinct message the first time."""
        self._alsa_mark, messages, missed = self._alsa.since(self._alsa_mark)
        self._alsa_count += len(messages) + missed
        for message in messages:
            if message.text in self._alsa_logged or len(self._alsa_logged) == ALSA_TEXTS_LOGGED:
                continue
            self._alsa_logged.add(message.text)
            log.warning("ALSA: %s (%s; repeats are counted, not logged)", message.text, message.where)
            if len(self._alsa_logged) == ALSA_TEXTS_LOGGED:
                log.warning("ALSA: %d kinds of message logged; any others are only counted", ALSA_TEXTS_LOGGED)


# ------------------------------------------------------------------------------------------- bindings


def binding_for(backend: str) -> Binding:
    """The PortAudio binding that audio.backend names."""
    if backend == "pyaudio":
        from assistant.audio.pyaudio_io import PyAudioBinding

        return PyAudioBinding()
    return SoundDeviceBinding()


class SoundDeviceBinding:
    """PortAudio through the `sounddevice` package (the default binding)."""

    name = "sounddevice"
    needs_equal_channels = False

    def __init__(self) -> None:
        try:
            with alsa_messages().quiet("PortAudio listed the devices"):  # importing starts PortAudio
                import sounddevice
        except OSError as exc:  # the Python package is there but the PortAudio library is not
            raise AudioDeviceError(
                f"sounddevice cannot load the PortAudio library ({exc}); install it: sudo apt-get install libportaudio2"
            ) from exc
        self.sd = sounddevice

    def devices(self) -> list[DeviceInfo]:
        sd = self.sd
        apis = sd.query_hostapis()
        found = []
        for index, info in enumerate(sd.query_devices()):
            api = apis[info["hostapi"]]
            found.append(
                DeviceInfo(
                    index=index,
                    name=info["name"],
                    hostapi=api["name"],
                    max_input_channels=info["max_input_channels"],
                    max_output_channels=info["max_output_channels"],
                    default_samplerate=info["default_samplerate"],
                    default_input=index == api["default_input_device"] and info["hostapi"] == 0,
                    default_output=index == api["default_output_device"] and info["hostapi"] == 0,
                )
            )
        return found

    def supports(self, device: DeviceInfo, kind: Kind, rate: int, channels: int) -> bool:
        check = self.sd.check_input_settings if kind == "input" else self.sd.check_output_settings
        try:
            check(device=device.index, channels=channels, dtype="int16", samplerate=rate)
        except Exception:
            return False
        return True

    def open(self, plan: StreamPlan, duplexer: Duplexer) -> StreamHandle:
        sd = self.sd
        handle = _SoundDeviceStreams()
        # PortAudio calls finished_callback when a stream's thread ends, on an error too; its "active" flag
        # is no help: ALSA's pulse plugin leaves it false for the seconds before the first block.
        common: dict[str, Any] = {"dtype": "int16", "latency": plan.latency, "finished_callback": handle.finished}
        if plan.duplex:

            def duplex(indata: np.ndarray, outdata: np.ndarray, frames: int, when: Any, status: Any) -> None:
                if status:
                    duplexer.device_flags(status.input_overflow, status.output_underflow)
                duplexer.on_duplex(indata, outdata)

            return handle.start(
                sd.Stream(
                    device=(plan.input.index, plan.output.index),
                    samplerate=plan.input_rate,
                    blocksize=plan.input_frames,
                    channels=(plan.input_channels, plan.output_channels),
                    callback=duplex,
                    **common,
                )
            )

        def capture(indata: np.ndarray, frames: int, when: Any, status: Any) -> None:
            if status:
                duplexer.device_flags(status.input_overflow, False)
            duplexer.on_input(indata)

        def playback(outdata: np.ndarray, frames: int, when: Any, status: Any) -> None:
            if status:
                duplexer.device_flags(False, status.output_underflow)
            duplexer.on_output(outdata, when.outputBufferDacTime)

        output = sd.OutputStream(
            device=plan.output.index, samplerate=plan.output_rate, blocksize=plan.output_frames,
            channels=plan.output_channels, callback=playback, **common,
        )
        try:
            capture_stream = sd.InputStream(
                device=plan.input.index, samplerate=plan.input_rate, blocksize=plan.input_frames,
                channels=plan.input_channels, callback=capture, **common,
            )
        except Exception:
            output.close(ignore_errors=True)
            raise
        return handle.start(capture_stream, output)

    def refresh(self) -> None:
        # sounddevice's documented way to make PortAudio enumerate the devices again.
        with alsa_messages().quiet("PortAudio listed the devices again"):
            self.sd._terminate()
            self.sd._initialize()


class _SoundDeviceStreams:
    """The stream(s) of one opening: input first (its latency is reported first), then output if separate."""

    def __init__(self) -> None:
        self.streams: list[Any] = []
        self.latency = (0.0, 0.0)
        self._finished = False

    def finished(self) -> None:
        self._finished = True

    def start(self, *streams: Any) -> _SoundDeviceStreams:
        self.streams = list(streams)
        try:
            for stream in reversed(self.streams):  # the speaker first, so that the first mic block has a reference
                stream.start()
        except Exception:
            self.close()
            raise
        first = self.streams[0].latency
        if len(self.streams) == 1:
            self.latency = (float(first[0]), float(first[1]))
        else:
            self.latency = (float(first), float(self.streams[1].latency))
        return self

    def active(self) -> bool:
        return not self._finished

    def close(self) -> None:
        for stream in self.streams:
            try:
                stream.abort(ignore_errors=True)
                stream.close(ignore_errors=True)
            except Exception as exc:  # a vanished device may fail even to close; nothing left to do
                log.debug("closing %s: %s", stream, exc)
