"""Speech-to-text: the one contract every recognizer implements, the transcript it returns, and building one.

The STT worker calls `begin()` when a turn starts, `feed()` with each block of 16 kHz speech (a streaming
engine answers with its updated partial text), and `finish()` when the turn ends, for the final transcript.
Engines: pocketsphinx (`assistant.speech.sphinx`, ships its English model), Vosk (`assistant.speech.vosk_stt`,
streaming partials) and whisper.cpp (`assistant.speech.whisper_stt`, the most accurate finals).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np

from assistant.config import Config
from assistant.errors import ConfigurationError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000  # every recognizer takes 16 kHz mono int16


@dataclass(frozen=True)
class Word:
    """One recognized word and when it was said, in seconds from the start of the utterance."""

    text: str
    start_s: float
    end_s: float
    conf: float | None  # the engine's confidence in [0, 1], when it gives one


@dataclass(frozen=True)
class Transcript:
    """The final result for one utterance."""

    text: str
    language: str | None  # ISO 639-1 code, detected or configured; None when unknown
    words: tuple[Word, ...]
    audio_s: float  # audio fed since begin()
    compute_s: float  # time spent inside feed() and finish()
    engine: str

    @property
    def rtf(self) -> float:
        """Real-time factor: compute time / audio duration (below 1 keeps up with speech)."""
        return self.compute_s / self.audio_s if self.audio_s > 0 else 0.0


class Recognizer(Protocol):
    """A speech-to-text engine. Implemented by SphinxRecognizer, VoskRecognizer and WhisperRecognizer.

    One utterance at a time, from one thread: begin(), any number of feed(), finish().
    """

    name: str  # engine and model, for logs and benchmarks
    streaming: bool  # True: feed() returns partial texts while the user speaks

    def begin(self) -> None:
        """Start a new utterance, forgetting any audio fed before."""
        ...

    def feed(self, pcm: np.ndarray) -> str | None:
        """Add int16 16 kHz mono samples; the updated partial text when it changed, else None."""
        ...

    def finish(self) -> Transcript:
        """The final transcript of all audio fed since begin()."""
        ...


def check_pcm(pcm: np.ndarray) -> np.ndarray:
    """`pcm` as a contiguous 1-D int16 array, or a ValueError that says what was passed instead."""
    if pcm.dtype != np.int16 or pcm.ndim != 1:
        raise ValueError(f"recognizers take 1-D int16 samples at 16 kHz, got {pcm.dtype} of shape {pcm.shape}")
    return np.ascontiguousarray(pcm)


class ComputeClock:
    """Adds up the time spent inside `with clock:` blocks: an utterance's compute_s."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __enter__(self) -> ComputeClock:
        self._started = time.perf_counter()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.seconds += time.perf_counter() - self._started


def transcribe(recognizer: Recognizer, pcm: np.ndarray) -> Transcript:
    """The transcript of one whole recording (int16 16 kHz mono) as a single utterance."""
    recognizer.begin()
    recognizer.feed(pcm)
    return recognizer.finish()


def open_recognizer(engine: str, config: Config, model: Path | None = None, *, live: bool = True) -> Recognizer:
    """The recognizer for `engine` ("whisper", "vosk", "sphinx"), built from the [stt] settings.

    `model` is the ggml file (whisper), the model folder (Vosk), or an optional pocketsphinx model folder.
    `live` says audio arrives as it is spoken (the pipeline); False says each utterance is fed whole (files),
    which lets pocketsphinx normalize over the whole utterance: more accurate, but no partials.
    """
    stt = config.stt
    if engine == "whisper":
        if model is None:
            raise ConfigurationError(
                "the whisper engine needs a whisper.cpp ggml model: set stt.whisper_model to a .bin file or a "
                "model name from `assistant models list`, or pass --model PATH"
            )
        from assistant.speech.whisper_stt import WhisperRecognizer

        return WhisperRecognizer(model, language=stt.language, threads=stt.threads)
    if engine == "vosk":
        if model is None:
            raise ConfigurationError(
                "the vosk engine needs a model folder: set stt.vosk_model to an unpacked Vosk model folder or a "
                "model name from `assistant models list`, or pass --model PATH"
            )
        from assistant.speech.vosk_stt import VoskRecognizer

        return VoskRecognizer(model, language=stt.language)
    if engine == "sphinx":
        from assistant.speech.sphinx import SphinxRecognizer

        return SphinxRecognizer(model, language=stt.language, live=live)
    raise ConfigurationError(f"unknown speech-to-text engine {engine!r}: stt.engine must be whisper, vosk or sphinx")


def choose_recognizer(
    config: Config, engine: str | None = None, model: Path | None = None, *, live: bool = True
) -> Recognizer:
    """The recognizer a command line asks for: an `engine` and/or `model`, else the selection's choice."""
    if model is not None:
        return open_recognizer(engine or _engine_of(model), config, model, live=live)
    from assistant.selection import choose

    if engine is not None:  # an engine without a model: its configured or installed model, or a clear error
        config = dataclasses.replace(config, stt=dataclasses.replace(config.stt, engine=engine))
    choice = choose("stt", config)
    log.info("speech-to-text: %s (%s)", choice.engine, choice.reason)
    return open_recognizer(choice.engine, config, choice.model, live=live)


def _engine_of(model: Path) -> str:
    """The engine a model path is for: a file is a whisper.cpp model; a folder is Vosk's, or pocketsphinx's
    when it holds a pronunciation dictionary (.dict)."""
    if model.is_dir():
        return "sphinx" if any(model.glob("*.dict")) else "vosk"
    return "whisper"
