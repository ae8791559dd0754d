"""The simulated room: an `AudioIO` with recordings for a user and a room impulse response for an echo.

On one 16 kHz sample clock, each block of "microphone" audio is the sum of
- the scheduled recordings (utterances), each starting at an absolute time or a delay after the previous
  reply became audible or ended;
- the echo: everything the speaker played, delayed and convolved with a room impulse response, at a gain;
- looped noise, at a chosen SNR relative to the level of the speech in the recordings;
clipped to int16 like a real converter. What the speaker played is the block's reference, and is written to
a WAV file if asked. The room runs pull-driven (a block as soon as it is read: as fast as the consumer goes)
or in real time (a block when its last sample is due on the wall clock).

The room knows the ground truth and reports it as `events()` on its clock: where each recording's speech
starts and ends (Silero VAD when a model is given, else an energy threshold), and when the speaker was
audible: a reply starts at its first sample above `audible_level` and ends at its last one, once
`reply_gap_ms` of silence has followed. `wait_done` tells when the whole schedule has been played and
answered.

`RoomSetup.from_table` and `Utterance.from_table` build the room from a scenario file's [room] and
[[utterance]] tables (see shared/scenarios/README.md).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.audio.channels import to_int16
from assistant.audio.io import SAMPLE_RATE, AudioStats, DuplexBlock, block_samples
from assistant.audio.resample import resample
from assistant.audio_files import read_audio
from assistant.errors import ConfigurationError

if TYPE_CHECKING:
    from assistant.speech.vad import SileroVad

log = logging.getLogger(__name__)

SPEECH_THRESHOLD = 0.5  # Silero probability counted as speech for the ground truth


# ------------------------------------------------------------------------------------------------ setup


def _path(table: Mapping[str, Any], key: str, base: Path, where: str) -> Path | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{where}.{key}: {value!r} is not a path (a string)")
    path = (base / value).expanduser()
    if not path.is_file():
        raise ConfigurationError(f"{where}.{key}: {path}: no such file (paths are relative to {base})")
    return path


def _number(table: Mapping[str, Any], key: str, where: str, default: float | None) -> float | None:
    value = table.get(key, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ConfigurationError(f"{where}.{key}: {value!r} is not a number")
    return None if value is None else float(value)


def _check_keys(table: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ConfigurationError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})")


@dataclass(frozen=True)
class RoomSetup:
    """The acoustic part of the room: echo path and noise."""

    rir: Path | None = None  # impulse response from speaker to microphone; None: no echo
    echo_gain_db: float = 0.0  # gain of the echo's direct path (the RIR is normalised to a peak of 1)
    echo_delay_ms: float = 0.0  # extra delay of the echo (the RIR's leading silence is trimmed)
    noise: Path | None = None  # looped from the room's start
    snr_db: float | None = None  # speech level over noise level; None: the noise at its recorded level

    @classmethod
    def from_table(cls, table: Mapping[str, Any], *, base: Path, origin: str = "scenario") -> RoomSetup:
        """From a scenario's [room] table; paths relative to `base` (the scenario's folder)."""
        where = f"{origin}: room"
        _check_keys(table, ("rir", "echo_gain_db", "echo_delay_ms", "noise", "snr_db"), where)
        return cls(
            rir=_path(table, "rir", base, where),
            echo_gain_db=_number(table, "echo_gain_db", where, 0.0) or 0.0,
            echo_delay_ms=_number(table, "echo_delay_ms", where, 0.0) or 0.0,
            noise=_path(table, "noise", base, where),
            snr_db=_number(table, "snr_db", where, None),
        )


@dataclass(frozen=True)
class Utterance:
    """A recording played into the microphone; exactly one of the three timings is set (seconds).

    "The reply" is the first reply that becomes audible after the previous utterance started (for the
    first utterance: after the room started). If none comes within the room's `reply_wait_s` after the
    previous utterance ended, the utterance is played anyway and a `reply_missing` event says so.
    """

    audio: Path
    at: float | None = None  # on the room clock
    after_reply_start: float | None = None  # after the reply to the previous utterance became audible
    after_reply_end: float | None = None  # after that reply ended
    gain_db: float = 0.0

    def __post_init__(self) -> None:
        timings = [t for t in (self.at, self.after_reply_start, self.after_reply_end) if t is not None]
        if len(timings) != 1:
            raise ValueError(f"{self.audio}: give exactly one of at, after_reply_start, after_reply_end")
        if timings[0] < 0:
            raise ValueError(f"{self.audio}: a timing cannot be negative ({timings[0]})")

    @classmethod
    def from_table(
        cls, table: Mapping[str, Any], *, base: Path, origin: str = "scenario", index: int = 0
    ) -> Utterance:
        """From one [[utterance]] table of a scenario."""
        where = f"{origin}: utterance[{index}]"
        timing_keys = ("at", "after_reply_start", "after_reply_end")
        _check_keys(table, ("audio", *timing_keys, "gain_db"), where)
        audio = _path(table, "audio", base, where)
        if audio is None:
            raise ConfigurationError(f"{where}: audio is missing (the recording to play)")
        timings = {k: _number(table, k, where, None) for k in timing_keys}
        given = [k for k, v in timings.items() if v is not None]
        if len(given) != 1:
            found = ", ".join(given) or "none"
            raise ConfigurationError(f"{where}: give exactly one of {', '.join(timing_keys)} (found: {found})")
        if (timings[given[0]] or 0.0) < 0:
            raise ConfigurationError(f"{where}.{given[0]}: a time cannot be negative")
        return cls(audio=audio, gain_db=_number(table, "gain_db", where, 0.0) or 0.0, **timings)


@dataclass(frozen=True)
class RoomEvent:
    """Ground truth on the room clock, for the pipeline's trace to merge."""

    t: float  # seconds since the room started
    sample: int  # the same on the 16 kHz clock
    kind: str  # utterance_start/_end, speech_start/_end, reply_start/_end, reply_missing, flush
    details: Mapping[str, Any] = field(default_factory=dict)


# -------------------------------------------------------------------------------------------- pieces


def speech_bounds(samples: np.ndarray, vad: SileroVad | None = None) -> tuple[int, int] | None:
    """First and last sample of speech in a 16 kHz recording, or None if there is none.

    With Silero VAD: the first and last 32 ms window scored as speech. Without: the first and last
    10 ms frame 15 dB above the recording's background (and within 35 dB of its loudest frame), which is
    right for clean recordings and rough for noisy ones: give the room a `vad_model` for those.
    """
    if vad is not None:
        from assistant.speech.vad import window_probabilities

        vad.reset()
        window = vad.window
        speech = np.flatnonzero(window_probabilities(vad, samples) >= SPEECH_THRESHOLD)
        if speech.size == 0:
            return None
        return int(speech[0] * window), int(min((speech[-1] + 1) * window, len(samples)) - 1)
    frame = SAMPLE_RATE // 100
    count = len(samples) // frame
    if count == 0:
        return None
    rms = np.sqrt(np.mean(samples[: count * frame].astype(np.float64).reshape(count, frame) ** 2, axis=1))
    floor = np.percentile(rms, 10)  # the recording's own background
    threshold = max(rms.max() * 10 ** (-35 / 20), floor * 10 ** (15 / 20), 32768 * 10 ** (-50 / 20))
    loud = np.flatnonzero(rms >= threshold)
    if loud.size == 0:
        return None
    return int(loud[0] * frame), int((loud[-1] + 1) * frame - 1)


class EchoPath:
    """Streaming convolution of the speaker signal with an impulse response, block by block.

    Uniformly partitioned overlap-save: the response is cut into block-long partitions, each input block
    is transformed once and multiplied with every partition's spectrum, so a 2 s response costs a few tens
    of microseconds per 10 ms block instead of milliseconds. After a long enough silence the whole
    computation is skipped.
    """

    def __init__(self, rir: np.ndarray, block: int, *, gain: float = 1.0, delay: int = 0) -> None:
        self.block = block
        parts = max(1, math.ceil(len(rir) / block))
        padded = np.zeros(parts * block, np.float64)
        padded[: len(rir)] = np.asarray(rir, np.float64) * gain
        spectra = np.fft.rfft(padded.reshape(parts, block), n=2 * block, axis=1)
        reversed_twice = np.concatenate([spectra[::-1], spectra[::-1]])
        self._filters = reversed_twice  # partition p at [parts - 1 - pos + j], see process()
        self._inputs = np.zeros((parts, block + 1), np.complex128)  # spectra of the last `parts` frames
        self._parts = parts
        self._pos = 0
        self._previous = np.zeros(block, np.float64)
        self._delay = np.zeros(delay, np.float64)
        self._quiet = parts  # consecutive silent input blocks; the output is silent once it reaches parts

    def process(self, block: np.ndarray) -> np.ndarray:
        x = np.asarray(block, np.float64)
        if self._delay.size:
            joined = np.concatenate([self._delay, x])
            x, self._delay = joined[: self.block], joined[self.block :]
        self._quiet = self._quiet + 1 if not x.any() else 0
        if self._quiet > self._parts:
            self._previous = x
            return np.zeros(self.block, np.float64)
        pos = self._pos
        self._inputs[pos] = np.fft.rfft(np.concatenate([self._previous, x]))
        self._previous = x
        # Partition p meets the input of p blocks ago, slot (pos - p) % parts; with the filters stored
        # reversed and doubled, the slots 0..parts-1 meet a contiguous slice.
        start = self._parts - 1 - pos
        spectrum = np.einsum("pk,pk->k", self._inputs, self._filters[start : start + self._parts])
        self._pos = (pos + 1) % self._parts
        return np.fft.irfft(spectrum, n=2 * self.block)[self.block :]


def load_rir(path: Path) -> np.ndarray:
    """A room impulse response at 16 kHz, peak normalised to 1, its leading silence trimmed."""
    rir = read_audio(path).astype(np.float64)
    peak = np.abs(rir).max()
    if peak == 0:
        raise ConfigurationError(f"{path}: the impulse response is silent")
    rir /= peak
    onset = int(np.flatnonzero(np.abs(rir) >= 0.1)[0])
    return rir[max(0, onset - 8) :]


@dataclass(frozen=True)
class _Playing:
    """An utterance being played into the microphone."""

    start: int  # room sample
    samples: np.ndarray  # float64, gain applied


# ---------------------------------------------------------------------------------------------- room


class RoomTracks:
    """The microphone's two sources kept apart, block by block from the room's first sample: the users'
    recordings and our echo (ground truth for tracing the double-talk gate: `bench bargein --gate-log`)."""

    def __init__(self) -> None:
        self._speech: list[np.ndarray] = []
        self._echo: list[np.ndarray] = []

    def add(self, speech: np.ndarray, echo: np.ndarray | None) -> None:
        self._speech.append(speech.astype(np.float32))
        self._echo.append(np.zeros(speech.size, np.float32) if echo is None else echo.astype(np.float32))

    def speech(self) -> np.ndarray:
        return np.concatenate(self._speech) if self._speech else np.zeros(0, np.float32)

    def echo(self) -> np.ndarray:
        return np.concatenate(self._echo) if self._echo else np.zeros(0, np.float32)


class SimulatedRoom:
    """`AudioIO` over recordings, an echo path and noise (see the module docstring)."""

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        utterances: Sequence[Utterance] = (),
        setup: RoomSetup | None = None,
        *,
        block_ms: int = 10,
        realtime: bool = False,
        duration: float | None = None,
        speaker_wav: Path | None = None,
        vad_model: Path | None = None,
        audible_level: int = 32,
        reply_gap_ms: float = 500.0,
        reply_wait_s: float = 20.0,
        tail_s: float = 1.0,
    ) -> None:
        setup = setup or RoomSetup()
        self.block_samples = block_samples(block_ms)
        self.realtime = realtime
        self.duration = None if duration is None else round(duration * SAMPLE_RATE)
        self.speaker_wav = speaker_wav
        self.audible_level = audible_level
        self.reply_gap = round(reply_gap_ms * SAMPLE_RATE / 1000)
        self.reply_wait = round(reply_wait_s * SAMPLE_RATE)
        self.tail = round(tail_s * SAMPLE_RATE)

        self.utterances = list(utterances)
        self._recordings: list[np.ndarray] = []
        self._bounds: list[tuple[int, int] | None] = []
        vad = None
        if vad_model is not None and self.utterances:
            from assistant.speech.vad import SileroVad

            vad = SileroVad.load(vad_model)
        loaded: dict[tuple[Path, float], tuple[np.ndarray, tuple[int, int] | None]] = {}
        for u in self.utterances:
            key = (u.audio, u.gain_db)  # a recording said again and again is read (and kept) once
            if key not in loaded:
                samples = read_audio(u.audio).astype(np.float64) * 10 ** (u.gain_db / 20)
                loaded[key] = samples, speech_bounds(to_int16(samples), vad)
                if loaded[key][1] is None:
                    log.warning("room: no speech found in %s", u.audio)
            self._recordings.append(loaded[key][0])
            self._bounds.append(loaded[key][1])
        self._echo = (
            EchoPath(
                load_rir(setup.rir), self.block_samples, gain=10 ** (setup.echo_gain_db / 20),
                delay=round(setup.echo_delay_ms * SAMPLE_RATE / 1000),
            )
            if setup.rir
            else None
        )
        self._noise = self._load_noise(setup) if setup.noise else None
        self._noise_pos = 0

        self._lock = threading.Lock()  # the speaker side is called from other threads
        self._queue: deque[np.ndarray] = deque()  # speech waiting to be played, 16 kHz float
        self._queued = 0
        self._gain = 1.0
        self._gain_now = 1.0
        self._clock = 0  # next sample to generate (microphone and speaker alike)
        self._events: list[RoomEvent] = []
        self._active: list[_Playing] = []
        self._next_utterance = 0
        self._last_start = 0  # where the previously scheduled utterance started
        self._last_end = 0
        self._reply_start: int | None = None  # the reply in progress
        self._reply_last = 0
        self._replies: list[tuple[int, int | None]] = []  # (start, end) of every reply
        self._done = threading.Event()
        self._started_at: float | None = None
        self._wav: Any = None
        self._blocks = 0
        self._clipped = 0
        # Real time: how far read() was called after a block was due (a stalled reader, e.g. a thread that held
        # the GIL): the room then catches up in a burst, and the stall shows as time in whatever came next.
        self.lag_max_s = 0.0
        # Set to a RoomTracks before start() to keep what the microphone heard of the user and of the echo apart.
        self.tracks: RoomTracks | None = None

    def _load_noise(self, setup: RoomSetup) -> np.ndarray:
        noise = read_audio(setup.noise).astype(np.float64)
        noise_power = float(np.mean(noise**2))
        if noise_power == 0:
            raise ConfigurationError(f"{setup.noise}: the noise recording is silent")
        speech = [r[b[0] : b[1] + 1] for r, b in zip(self._recordings, self._bounds, strict=True) if b]
        if setup.snr_db is None or not speech:
            return noise  # no speech to be relative to: the noise at its recorded level
        speech_power = float(np.mean(np.concatenate(speech) ** 2))
        return noise * math.sqrt(speech_power / noise_power / 10 ** (setup.snr_db / 10))

    # --------------------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._started_at is not None:
            return
        self._started_at = time.monotonic()
        if self.speaker_wav is not None:
            import soundfile

            self._wav = soundfile.SoundFile(
                str(self.speaker_wav), "w", samplerate=SAMPLE_RATE, channels=1, subtype="PCM_16"
            )

    def stop(self) -> None:
        with self._lock:
            if self._wav is not None:
                self._wav.close()
                self._wav = None

    # ---------------------------------------------------------------------------------------- clock

    @property
    def clock(self) -> int:
        """Samples generated so far (the room's time, on both clocks)."""
        return self._clock

    @property
    def recorded_seconds(self) -> float:
        """Length of all the scheduled recordings together."""
        return sum(len(r) for r in self._recordings) / SAMPLE_RATE

    def done(self) -> bool:
        return self._done.is_set()

    def wait_done(self, timeout: float | None = None) -> bool:
        """Wait until the schedule is complete; False on timeout.

        Complete: the fixed `duration` has been played; or, without one, every utterance has been played,
        the reply to the last one has ended, its last stretch too (or none came within `reply_wait_s`), and
        `tail_s` has passed.
        The room goes on producing audio (noise, silence) until it is stopped.
        """
        return self._done.wait(timeout)

    def events(self) -> list[RoomEvent]:
        """Ground truth so far, in time order (events due later are left out)."""
        with self._lock:
            return sorted((e for e in self._events if e.sample < self._clock), key=lambda e: (e.sample, e.kind))

    def replies(self) -> list[tuple[int, int | None]]:
        """(first, last) audible sample of each reply so far; last is None while it is still playing."""
        with self._lock:
            return list(self._replies)

    # ---------------------------------------------------------------------------------------- reading

    def read(self, timeout: float) -> DuplexBlock | None:
        if self._started_at is None:
            raise RuntimeError("SimulatedRoom.read() before start()")
        if self.duration is not None and self._clock >= self.duration:
            self._done.set()
            time.sleep(timeout)  # the room is over: behave like a silent device, not a busy loop
            return None
        if self.realtime:
            due = self._started_at + (self._clock + self.block_samples) / SAMPLE_RATE
            wait = due - time.monotonic()
            if wait > timeout:
                time.sleep(max(timeout, 0.0))
                return None
            if wait > 0:
                time.sleep(wait)
            else:
                self.lag_max_s = max(self.lag_max_s, -wait)
        return self._next_block()

    def _next_block(self) -> DuplexBlock:
        n, start = self.block_samples, self._clock
        with self._lock:
            speaker = self._speaker_block(n)
            self._watch_speaker(speaker, start)
            self._schedule(start)
            mic = self._speech_block(start, n)
            echo = self._echo.process(speaker) if self._echo is not None else None
            if self.tracks is not None:
                self.tracks.add(mic, echo)
            if echo is not None:
                mic += echo
            if self._noise is not None:
                mic += self._noise.take(np.arange(self._noise_pos, self._noise_pos + n), mode="wrap")
                self._noise_pos = (self._noise_pos + n) % len(self._noise)
            mic = np.rint(mic)
            self._clipped += int(np.count_nonzero((mic > 32767) | (mic < -32768)))
            ref = to_int16(speaker)
            if self._wav is not None:
                self._wav.write(ref)
            self._clock = start + n
            self._blocks += 1
            self._check_done()
        return DuplexBlock(to_int16(mic), ref, start // n)

    def _speech_block(self, start: int, n: int) -> np.ndarray:
        mic = np.zeros(n, np.float64)
        for item in list(self._active):
            lo, hi = max(start, item.start), min(start + n, item.start + len(item.samples))
            if lo < hi:
                mic[lo - start : hi - start] += item.samples[lo - item.start : hi - item.start]
            if item.start + len(item.samples) <= start + n:
                self._active.remove(item)
        return mic

    # -------------------------------------------------------------------------------------- schedule

    def _schedule(self, now: int) -> None:
        """Start the next utterances whose moment has come (called with the lock held, once per block)."""
        while self._next_utterance < len(self.utterances):
            index = self._next_utterance
            u = self.utterances[index]
            start = self._start_of(u, now)
            if start is None:
                return
            start = max(start, now)
            samples = self._recordings[index]
            self._active.append(_Playing(start, samples))
            details = {"utterance": index, "file": u.audio.name}
            self._add(start, "utterance_start", details)
            self._add(start + len(samples) - 1, "utterance_end", details)
            bounds = self._bounds[index]
            if bounds is not None:
                self._add(start + bounds[0], "speech_start", details)
                self._add(start + bounds[1], "speech_end", details)
            self._last_start, self._last_end = start, start + len(samples)
            self._next_utterance += 1

    def _start_of(self, u: Utterance, now: int) -> int | None:
        """Where utterance `u` starts, or None while it waits for a reply."""
        if u.at is not None:
            return round(u.at * SAMPLE_RATE)
        reply = self._reply_after(self._last_start)
        if u.after_reply_start is not None and reply is not None:
            return reply[0] + round(u.after_reply_start * SAMPLE_RATE)
        if u.after_reply_end is not None and reply is not None and reply[1] is not None:
            return reply[1] + round(u.after_reply_end * SAMPLE_RATE)
        if reply is None and now - self._last_end >= self.reply_wait:
            self._add(now, "reply_missing", {"utterance": self._next_utterance})
            return now
        return None

    def _reply_after(self, sample: int) -> tuple[int, int | None] | None:
        return next((r for r in self._replies if r[0] >= sample), None)

    def _check_done(self) -> None:
        if self._done.is_set() or self._next_utterance < len(self.utterances) or self._active:
            return
        if self.duration is not None:
            return  # a fixed duration ends only with its time (checked in read)
        now = self._clock
        # The last stretch of the reply: one that paused and went on (after a duck) ends later than its first.
        reply = self._replies[-1] if self.utterances and self._reply_after(self._last_start) is not None else None
        if reply is not None and reply[1] is not None:
            finished = reply[1] + self.reply_gap
        elif reply is None and self._reply_start is None:
            finished = self._last_end + self.reply_wait
        else:
            return  # a reply is playing
        if now >= finished + self.tail:
            self._done.set()

    # --------------------------------------------------------------------------------------- speaker

    def _speaker_block(self, n: int) -> np.ndarray:
        """The next n samples the speaker plays (with the lock held)."""
        out = np.zeros(n, np.float64)
        filled = 0
        while filled < n and self._queue:
            head = self._queue[0]
            take = min(n - filled, len(head))
            out[filled : filled + take] = head[:take]
            filled += take
            if take == len(head):
                self._queue.popleft()
            else:
                self._queue[0] = head[take:]
        self._queued -= filled
        start, target = self._gain_now, self._gain
        if start != 1.0 or target != 1.0:
            out *= start + (target - start) * np.arange(1, n + 1) / n
        self._gain_now = target
        return out

    def _watch_speaker(self, speaker: np.ndarray, start: int) -> None:
        audible = np.flatnonzero(np.abs(speaker) >= self.audible_level)
        if audible.size:
            if self._reply_start is None:
                self._reply_start = start + int(audible[0])
                self._replies.append((self._reply_start, None))
                self._add(self._reply_start, "reply_start", {"reply": len(self._replies) - 1})
            self._reply_last = start + int(audible[-1])
        elif self._reply_start is not None and start + len(speaker) - 1 - self._reply_last >= self.reply_gap:
            self._replies[-1] = (self._reply_start, self._reply_last)
            self._add(self._reply_last, "reply_end", {"reply": len(self._replies) - 1})
            self._reply_start = None

    def play(self, pcm: np.ndarray, sample_rate: int) -> int:
        samples = np.asarray(pcm)
        if samples.ndim != 1:
            raise ValueError(f"play() takes mono speech (1-D samples), got shape {samples.shape}")
        speech = samples.astype(np.float64) * (32767.0 if samples.dtype.kind == "f" else 1.0)
        if sample_rate != SAMPLE_RATE:
            speech = resample(speech, sample_rate, SAMPLE_RATE).astype(np.float64)
        with self._lock:
            self._queue.append(speech)
            self._queued += len(speech)
            return self._clock + self._queued

    def flush_playback(self) -> int:
        with self._lock:
            if self._queued:
                self._add(self._clock, "flush", {"dropped": self._queued})
            self._queue.clear()
            self._queued = 0
            return self._clock

    def playback_position(self) -> int:
        return self._clock

    def set_output_gain(self, gain: float) -> None:
        if not 0.0 <= gain <= 4.0:
            raise ValueError(f"output gain must be in 0..4, got {gain}")
        with self._lock:
            self._gain = float(gain)

    def stats(self) -> AudioStats:
        return AudioStats(
            blocks=self._blocks, clipped=self._clipped, input="simulated room", output="simulated room"
        )

    def _add(self, sample: int, kind: str, details: Mapping[str, Any]) -> None:
        self._events.append(RoomEvent(sample / SAMPLE_RATE, sample, kind, dict(details)))
