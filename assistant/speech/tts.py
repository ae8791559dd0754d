"""Text-to-speech: the one contract every voice engine implements, and building the configured engine.

The TTS worker hands a synthesizer one sentence (or first clause) at a time and gets audio back in
chunks of at most a sentence, so that it can drop the rest of a reply between two chunks when the user
interrupts. Engines: Piper (`assistant.speech.piper_tts`, neural voices) and espeak-ng
(`assistant.speech.espeak_tts`, no model file needed).

Every engine is built wrapped in `PacedSynthesizer`: engines pad their sentences with silence of their own
(espeak-ng 0.3 s after each sentence, 0.6 s when it ends in a closing quote, 0.1 s before an opening one),
which is dead air before the first word and, between two sentences, a pause long enough for a listener to
take the reply for finished and start talking. The reply keeps one even pause between sentences instead.
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

SILENCE_PEAK = 64  # int16 magnitude below which a sample is silence (-54 dBFS): engines' pads are near 0
LEAD_KEEP_S = 0.01  # silence kept before a chunk's first sound, so that a soft onset is not cut


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

    def synthesize(self, text: str, speed: float = 1.0) -> Iterator[AudioChunk]:
        """One text (a sentence or clause) -> audio chunks of at most a sentence; empty text -> no chunks.
        `speed`: times the configured pace (0.8: slower), for a listener who asked for it."""
        ...


def synthesize_all(synthesizer: Synthesizer, text: str) -> np.ndarray:
    """The whole text as one int16 array at `synthesizer.sample_rate` (for files and tests)."""
    chunks = [chunk.pcm for chunk in synthesizer.synthesize(text)]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def trim_silence(pcm: np.ndarray, sample_rate: int, pause_s: float) -> np.ndarray:
    """`pcm` without the silence before its first sound (bar LEAD_KEEP_S) and after its last beyond `pause_s`;
    nothing when it holds no sound. Silence inside is the voice's own phrasing and is kept."""
    sound = np.flatnonzero((pcm >= SILENCE_PEAK) | (pcm <= -SILENCE_PEAK))
    if not sound.size:
        return pcm[:0]
    start = max(0, int(sound[0]) - round(LEAD_KEEP_S * sample_rate))
    end = min(len(pcm), int(sound[-1]) + 1 + round(pause_s * sample_rate))
    return pcm[start:end]


class PacedSynthesizer:
    """An engine whose chunks start with their first sound and end in at most `pause_ms` of silence."""

    def __init__(self, engine: Synthesizer, pause_ms: int) -> None:
        self.engine = engine
        self.name = engine.name
        self.sample_rate = engine.sample_rate
        self.pause_s = pause_ms / 1000

    def synthesize(self, text: str, speed: float = 1.0) -> Iterator[AudioChunk]:
        for chunk in self.engine.synthesize(text, speed):
            pcm = trim_silence(chunk.pcm, chunk.sample_rate, self.pause_s)
            if len(pcm):
                yield AudioChunk(pcm, chunk.sample_rate, chunk.text)


def open_synthesizer(engine: str, config: Config, voice: Path | None = None) -> Synthesizer:
    """The engine chosen for the "tts" role, built from the [tts] settings (`voice`: Piper's .onnx file)."""
    return PacedSynthesizer(_open_engine(engine, config, voice), config.tts.sentence_pause_ms)


def _open_engine(engine: str, config: Config, voice: Path | None) -> Synthesizer:
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
