"""Voice activity: Silero VAD (v5 interface) on ONNX Runtime, and the segmenter that turns its speech
probabilities into SpeechStart / SpeechEnd events on the input's sample clock.

Silero scores 512-sample windows of 16 kHz audio, carrying a recurrent state from one window to the next;
v5 also expects the last 64 samples of the previous window in front of each window (upstream's OnnxWrapper
does the same). `SpeechDetector` accepts frames of any length and buffers them into windows.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.config import VadConfig
from assistant.errors import ModelError
from assistant.onnx import FLOAT, INT64, TensorSpec, open_session, run_checked

SAMPLE_RATE = 16000
WINDOW = 512  # samples per probability at 16 kHz (32 ms), fixed by the model
CONTEXT = 64  # samples of the previous window that Silero v5 sees before each window
_HYSTERESIS = 0.15  # speech continues until the probability falls this far below the threshold (upstream's)

_INPUTS = (
    TensorSpec("input", (None, None)),
    TensorSpec("state", (2, None, 128)),
    TensorSpec("sr", (), INT64),
)
_OUTPUTS = (TensorSpec("output", (None, 1)), TensorSpec("stateN", (2, None, 128), FLOAT))
_WHAT = "Silero VAD model (v5 interface: input, state[2,B,128], sr)"


class VoiceActivity(Protocol):
    """Speech probability of consecutive fixed-size windows of one audio stream (it keeps state between them).

    Implemented by `SileroVad`. `reset` forgets the stream, e.g. when the microphone restarts.
    """

    sample_rate: int
    window: int
    reset_when_quiet: bool  # the stream's state may start afresh after a long silence

    def probability(self, window: np.ndarray) -> float:
        """Probability (0..1) that the next `self.window` int16 samples contain speech."""
        ...

    def reset(self) -> None: ...


class SileroModel:
    """One loaded Silero VAD network: one ONNX Runtime session, shared by every stream that uses it.

    ORT sessions may be run from several threads at once, and the state lives in each `SileroVad`, so the
    listener and the wake-word check can share this object without sharing state.
    """

    def __init__(self, path: Path, *, threads: int = 1) -> None:
        self.path = Path(path)
        self._session = open_session(self.path, _WHAT, threads=threads, inputs=_INPUTS, outputs=_OUTPUTS)
        self._rate = np.array(SAMPLE_RATE, dtype=np.int64)
        # One run on silence at load time, so a graph that loads but cannot run fails now, clearly.
        probability, state = run_checked(
            self._session, self._feeds(np.zeros((1, CONTEXT + WINDOW), np.float32), _zero_state()), self.path, _WHAT
        )
        if np.shape(probability) != (1, 1) or np.shape(state) != (2, 1, 128):
            raise ModelError(
                f"{self.path}: wrong model for the {_WHAT}: a test window gave outputs of shapes "
                f"{np.shape(probability)} and {np.shape(state)}, expected (1, 1) and (2, 1, 128)"
            )

    def _feeds(self, audio: np.ndarray, state: np.ndarray) -> dict[str, np.ndarray]:
        return {"input": audio, "state": state, "sr": self._rate}

    def run(self, audio: np.ndarray, state: np.ndarray) -> tuple[float, np.ndarray]:
        """Speech probability of `audio` (float32 [1, CONTEXT + WINDOW]) and the next recurrent state."""
        probability, state = self._session.run(None, self._feeds(audio, state))
        return float(probability[0, 0]), state


def _zero_state() -> np.ndarray:
    return np.zeros((2, 1, 128), dtype=np.float32)


# Silero's recurrent state drifts over a long stream: in a conversation test a clear "what time is it" after a
# few exchanges peaked at 0.75 streamed and at 0.99 from a fresh state. After this much near-certain silence the
# state starts afresh (nothing of speech is lost: there is none), which kept that question at 0.97. A fresh
# state is also quicker to hear the canceller's residual echo as speech: the listener turns this off while the
# assistant speaks (`reset_when_quiet`).
QUIET_RESET_S = 1.0
QUIET_P = 0.15
# Windows a stream keeps for its readers: a wake-word chunk (1280 samples) ends up to 3 windows back.
SHARED_WINDOWS = 8


class SileroVad:
    """The state of one audio stream through a `SileroModel`: implements `VoiceActivity`."""

    sample_rate = SAMPLE_RATE
    window = WINDOW

    def __init__(self, model: SileroModel) -> None:
        self.model = model
        self._buffer = np.zeros((1, CONTEXT + WINDOW), dtype=np.float32)  # [context | window], reused
        self._state = _zero_state()
        self._quiet = 0  # windows in a row below QUIET_P
        self.reset_when_quiet = True
        self._quiet_reset = round(QUIET_RESET_S * SAMPLE_RATE / WINDOW)
        self._scored: deque[tuple[int, np.ndarray, float]] | None = None  # for reader(): (index, window, p)
        self._count = 0  # windows scored

    @classmethod
    def load(cls, path: Path, *, threads: int = 1) -> SileroVad:
        return cls(SileroModel(path, threads=threads))

    def fork(self) -> SileroVad:
        """A fresh stream on the same loaded model (no second session)."""
        return SileroVad(self.model)

    def reader(self) -> SharedVad:
        """A stream that reads this one's probabilities for the same audio (see SharedVad)."""
        if self._scored is None:
            self._scored = deque(maxlen=SHARED_WINDOWS)
        return SharedVad(self)

    def probability(self, window: np.ndarray) -> float:
        if window.shape != (WINDOW,) or window.dtype != np.int16:
            raise ValueError(f"Silero VAD takes {WINDOW} int16 samples, got {window.dtype} {window.shape}")
        buffer = self._buffer
        buffer[0, :CONTEXT] = buffer[0, -CONTEXT:]  # the previous window's tail becomes the context
        buffer[0, CONTEXT:] = window
        buffer[0, CONTEXT:] *= 1.0 / 32768.0
        probability, self._state = self.model.run(buffer, self._state)
        self._quiet = self._quiet + 1 if probability < QUIET_P and self.reset_when_quiet else 0
        if self._quiet >= self._quiet_reset:
            self._state = _zero_state()
            self._quiet = 0
        if self._scored is not None:
            self._scored.append((self._count, window.copy(), probability))
        self._count += 1
        return probability

    def reset(self) -> None:
        self._buffer[:] = 0.0
        self._state = _zero_state()
        self._quiet = 0
        if self._scored is not None:
            self._scored.clear()


def window_probabilities(vad: VoiceActivity, samples: np.ndarray) -> np.ndarray:
    """One probability per complete window of `samples` (a trailing partial window is not scored)."""
    count = len(samples) // vad.window
    return np.array([vad.probability(samples[i * vad.window : (i + 1) * vad.window]) for i in range(count)])


# ------------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class SpeechStart:
    """Speech began at `sample`; the turn's audio should start at `audio_from` (the pre-roll before it).

    `decided_at` is the sample at which the minimum speech length was reached and the event was emitted.
    """

    sample: int
    audio_from: int
    decided_at: int


@dataclass(frozen=True)
class SpeechEnd:
    """Speech stopped at `sample` (the end of the last speech window); `decided_at` is where the hangover ran out."""

    sample: int
    decided_at: int


VadEvent = SpeechStart | SpeechEnd


class SharedVad:
    """A `VoiceActivity` for a second reader of the audio another stream scores (the wake word's VAD check, of
    the listener's): it gives the probability the source gave each window instead of running the model again.
    The reader must ask for each window after the source scored it (the listener scores a block before the wake
    word hears it). A window the source has not scored, or not lately (the two out of step), is scored by a
    stream of the reader's own, which then carries on from a fresh state."""

    sample_rate = SAMPLE_RATE
    window = WINDOW

    def __init__(self, source: SileroVad) -> None:
        self.source = source
        self.reset_when_quiet = True  # the source's setting rules; kept for the protocol
        self._own: SileroVad | None = None
        self._last = -1  # the source's index of the last window read

    def probability(self, window: np.ndarray) -> float:
        for index, scored, probability in self.source._scored or ():
            if index > self._last and np.array_equal(scored, window):
                self._last = index
                return probability
        if self._own is None:
            self._own = self.source.fork()
        return self._own.probability(window)

    def reset(self) -> None:
        """Only this reader's place and own stream: the source's stream is not its to reset."""
        self._last = self.source._count - 1
        self._own = None


class SpeechSegmenter:
    """Turns one probability per window into start and end events (threshold, minimum speech, hangover).

    A start needs `min_speech_ms` of windows at or above the threshold, allowing dips between the threshold
    and the lower hysteresis level; a dip below that level drops the candidate (a cough, a click). Speech
    ends once the probability has stayed below the lower level for the hangover. The hangover can be given
    per call to `push`: the turn-taking logic shortens it when the transcript looks complete.
    """

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        min_speech_ms: int = 250,
        hangover_ms: int = 700,
        pre_roll_ms: int = 300,
        sample_rate: int = SAMPLE_RATE,
        window: int = WINDOW,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        self.threshold = threshold
        self.low_threshold = max(threshold - _HYSTERESIS, 0.01)
        self.sample_rate = sample_rate
        self.window = window
        self.min_speech = self._samples(min_speech_ms)
        self.hangover = self._samples(hangover_ms)
        self.pre_roll = self._samples(pre_roll_ms)
        self.reset()

    @classmethod
    def from_config(cls, config: VadConfig, *, sample_rate: int = SAMPLE_RATE, window: int = WINDOW) -> SpeechSegmenter:
        return cls(
            threshold=config.threshold,
            min_speech_ms=config.min_speech_ms,
            hangover_ms=config.hangover_ms,
            pre_roll_ms=config.pre_roll_ms,
            sample_rate=sample_rate,
            window=window,
        )

    def _samples(self, ms: float) -> int:
        return round(ms * self.sample_rate / 1000)

    def reset(self) -> None:
        self.clock = 0  # first sample of the next window
        self.speaking = False
        self._candidate: int | None = None  # where a possible start began
        self._silence_from: int | None = None  # where a possible end began

    def drop_speech(self) -> None:
        """Take the speech under way (or its candidate) as over, with no end event: the windows that follow
        start anew. After a wake word, the command is speech of its own."""
        self.speaking, self._candidate, self._silence_from = False, None, None

    @property
    def candidate(self) -> int | None:
        """Where possible speech began that has not yet lasted `min_speech` (None: no candidate)."""
        return None if self.speaking else self._candidate

    @property
    def silence_from(self) -> int | None:
        """Where the current pause in speech began (None: not speaking, or no pause)."""
        return self._silence_from if self.speaking else None

    def push(self, probability: float, *, hangover_ms: float | None = None) -> list[VadEvent]:
        """Take the next window's probability; return the events it completes (zero or one)."""
        start, end = self.clock, self.clock + self.window
        self.clock = end
        is_speech = probability >= self.threshold
        is_silence = probability < self.low_threshold
        if not self.speaking:
            if is_speech and self._candidate is None:
                self._candidate = start
            elif is_silence:
                self._candidate = None
            if self._candidate is not None and is_speech and end - self._candidate >= self.min_speech:
                self.speaking, self._silence_from = True, None
                return [SpeechStart(self._candidate, max(0, self._candidate - self.pre_roll), end)]
            return []
        if is_speech:
            self._silence_from = None
        elif is_silence and self._silence_from is None:
            self._silence_from = start
        hangover = self.hangover if hangover_ms is None else self._samples(hangover_ms)
        if self._silence_from is not None and end - self._silence_from >= hangover:
            event = SpeechEnd(self._silence_from, end)
            self.speaking, self._candidate, self._silence_from = False, None, None
            return [event]
        return []

    def finish(self) -> list[VadEvent]:
        """End of input: close speech still open, at its last speech window."""
        if not self.speaking:
            return []
        event = SpeechEnd(self._silence_from if self._silence_from is not None else self.clock, self.clock)
        self.speaking, self._candidate, self._silence_from = False, None, None
        return [event]


class Reframer:
    """Cuts a stream of int16 frames of any length into consecutive blocks of `size` samples."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rest = np.zeros(0, dtype=np.int16)

    def blocks(self, frame: np.ndarray) -> list[np.ndarray]:
        """The blocks completed by `frame`; what is left over waits for the next frame."""
        if frame.dtype != np.int16 or frame.ndim != 1:
            raise ValueError(f"frames must be 1-D int16, got {frame.dtype} with shape {frame.shape}")
        pending = np.concatenate([self._rest, frame]) if self._rest.size else frame
        whole = len(pending) - len(pending) % self.size
        self._rest = pending[whole:].copy()
        return [pending[i : i + self.size] for i in range(0, whole, self.size)]

    def clear(self) -> None:
        self._rest = np.zeros(0, dtype=np.int16)


class SpeechDetector:
    """A `VoiceActivity` and a `SpeechSegmenter` on a stream of int16 frames of any length."""

    def __init__(self, vad: VoiceActivity, segmenter: SpeechSegmenter) -> None:
        if segmenter.window != vad.window or segmenter.sample_rate != vad.sample_rate:
            raise ValueError("the segmenter's window and rate must match the VAD's")
        self.vad = vad
        self.segmenter = segmenter
        self._windows = Reframer(vad.window)
        self.last_probability = 0.0

    def feed(self, frame: np.ndarray, *, hangover_ms: float | None = None) -> list[VadEvent]:
        """Add int16 mono 16 kHz samples; return the events decided within them (sample positions count
        from the first sample fed since construction or `reset`)."""
        events: list[VadEvent] = []
        for window in self._windows.blocks(frame):
            self.last_probability = self.vad.probability(window)
            events += self.segmenter.push(self.last_probability, hangover_ms=hangover_ms)
        return events

    def finish(self) -> list[VadEvent]:
        """End of input (a file's end): close open speech. The incomplete last window is not scored."""
        return self.segmenter.finish()

    def reset(self) -> None:
        self.vad.reset()
        self.segmenter.reset()
        self._windows.clear()
        self.last_probability = 0.0
