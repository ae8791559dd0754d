"""Text-to-speech: the one contract every voice engine implements, and building the configured engine.

The TTS worker hands a synthesizer one sentence (or first clause) at a time and gets audio back in
chunks of at most a sentence, so that it can drop the rest of a reply between two chunks when the user
interrupts. Engines: Piper (`assistant.speech.piper_tts`, neural voices) and espeak-ng
(`assistant.speech.espeak_tts`, no model file needed).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.config import Config
from assistant.errors import ConfigurationError

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays element-wise is not what == should mean
class AudioChunk:
    """Synthesized speech: 16-bit mono PCM at the voice's own rate, and the text it says."""

    pcm: np.ndarray  # int16, shape (samples,)
    sample_rate: int
    text: str

    def __post_init__(self) -> None:
        if self.pcm.dtype != np.int16 or self.pcm.ndim != 1:
            raise ValueError(f"AudioChunk.pcm must be 1-D int16, got {self.pcm.dtype} {self.pcm.shape}")

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / self.sample_rate


class Synthesizer(Protocol):
    """A voice. Implemented by PiperSynthesizer and EspeakSynthesizer."""

    name: str  # engine and voice, for logs and benchmarks
    sample_rate: int  # rate of every chunk it yields

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        """One text (a sentence or clause) -> audio chunks of at most a sentence; empty text -> no chunks."""
        ...


def synthesize_all(synthesizer: Synthesizer, text: str) -> np.ndarray:
    """The whole text as one int16 array at `synthesizer.sample_rate` (for files and tests)."""
    chunks = [chunk.pcm for chunk in synthesizer.synthesize(text)]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def open_synthesizer(engine: str, config: Config, voice: Path | None = None) -> Synthesizer:
    """The engine chosen for the "tts" role, built from the [tts] settings (`voice`: Piper's .onnx file)."""
    tts = config.tts
    if engine == "piper":
        if voice is None:
            raise ConfigurationError(
                "the piper engine needs a voice: set tts.voice to a Piper .onnx file (its .onnx.json beside it) "
                "or a voice name from `assistant models list`, or pass --voice PATH"
            )
        from assistant.speech.piper_tts import PiperSynthesizer

        return PiperSynthesizer(
            voice,
            speaker_id=tts.speaker_id,
            length_scale=tts.length_scale,
            noise_scale=tts.noise_scale,
            noise_w=tts.noise_w,
            volume=tts.volume,
            threads=tts.threads or config.general.onnx_threads,
        )
    if engine == "espeak":
        from assistant.speech.espeak_tts import EspeakSynthesizer

        return EspeakSynthesizer(voice=tts.espeak_voice, rate=tts.espeak_rate, volume=tts.volume)
    raise ConfigurationError(f"unknown text-to-speech engine {engine!r}: tts.engine must be piper or espeak")


def choose_synthesizer(config: Config, engine: str | None = None, voice: Path | None = None) -> Synthesizer:
    """The synthesizer a command line asks for: a Piper `voice` file, an `engine`, else the selection's choice."""
    if voice is not None:
        if engine == "espeak":
            raise ConfigurationError(
                "--voice names a Piper voice file; espeak-ng voices are set with tts.espeak_voice"
            )
        return open_synthesizer("piper", config, voice)
    if engine == "espeak":
        return open_synthesizer("espeak", config)
    from assistant.selection import choose

    if engine is not None:  # piper without a file: the configured or installed voice, or a clear error
        config = dataclasses.replace(config, tts=dataclasses.replace(config.tts, engine=engine))
    choice = choose("tts", config)
    log.info("text-to-speech: %s (%s)", choice.engine, choice.reason)
    return open_synthesizer(choice.engine, config, choice.model)
