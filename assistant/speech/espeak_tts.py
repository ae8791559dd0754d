"""espeak-ng voices: the speech that needs no model file, run as a subprocess per sentence.

`espeak-ng --stdout` reads UTF-8 text on stdin and writes a WAV on stdout. A process per sentence costs
about 30 ms on a desktop core and keeps every chunk tied to the text it says; espeak-ng's own voices
speak at 22050 Hz (mbrola voices at 16000), read from the WAV header rather than assumed.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Iterator

import numpy as np

from assistant.brain.sentences import split_sentences
from assistant.errors import AssistantError, ConfigurationError
from assistant.speech.tts import AudioChunk

_MISSING_VOICE = "voice does not exist"  # espeak-ng's message for an unknown -v
MIN_RATE, MAX_RATE = 80, 450  # words per minute espeak-ng speaks at (it takes slower or faster as these)


class EspeakSynthesizer:
    """espeak-ng with a voice (`espeak-ng --voices` lists them) and a speed in words per minute."""

    def __init__(
        self, voice: str = "en-us", rate: int = 175, volume: float = 1.0, *, binary: str = "espeak-ng"
    ) -> None:
        path = shutil.which(binary)
        if path is None:
            raise ConfigurationError(
                f"espeak-ng is not installed: no `{binary}` on PATH; install the Debian package: "
                'sudo apt install espeak-ng (or use a Piper voice: tts.engine = "piper")'
            )
        self.voice = voice
        self.volume = volume
        self.words_per_minute = rate
        self._command = [path, "--stdout", "-b", "1", "-v", voice, "-s"]  # then the speed
        # One short word at start-up checks the voice and learns the rate the voice speaks at.
        self.sample_rate, _ = self._run("a", rate)
        self.name = f"espeak-ng {voice}"

    def synthesize(self, text: str, speed: float = 1.0) -> Iterator[AudioChunk]:
        words_per_minute = min(max(round(self.words_per_minute * speed), MIN_RATE), MAX_RATE)
        for sentence in split_sentences(text):
            rate, pcm = self._run(sentence, words_per_minute)
            if len(pcm):
                yield AudioChunk(_gain(pcm, self.volume), rate, sentence)

    def _run(self, text: str, words_per_minute: int) -> tuple[int, np.ndarray]:
        command = [*self._command, str(words_per_minute)]
        done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, check=False)
        problem = done.stderr.decode("utf-8", "replace").strip()
        if done.returncode != 0 and _MISSING_VOICE in problem:
            raise ConfigurationError(
                f'tts.espeak_voice = "{self.voice}": espeak-ng has no such voice; '
                "`espeak-ng --voices` lists the installed ones (e.g. en-us, en-gb, de, fr)"
            )
        if done.returncode != 0:
            raise AssistantError(f"espeak-ng failed (exit code {done.returncode}): {problem or 'no message'}")
        try:
            return _parse_wav(done.stdout)
        except ValueError as exc:
            raise AssistantError(f"espeak-ng wrote audio this program cannot read: {exc}") from exc


def _gain(pcm: np.ndarray, volume: float) -> np.ndarray:
    if volume == 1.0:
        return pcm
    return np.clip(np.rint(pcm.astype(np.float32) * volume), -32767, 32767).astype(np.int16)


def _parse_wav(data: bytes) -> tuple[int, np.ndarray]:
    """(sample rate, int16 samples) of a 16-bit mono WAV.

    espeak-ng writes to a pipe, so its header carries placeholder sizes (0x7ffff000): the chunks are
    walked by hand and the data chunk is whatever follows its header.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"not a WAV stream ({len(data)} bytes)")
    pos, rate = 12, 0
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if chunk_id == b"fmt ":
            audio_format, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body : body + 16])
            if (audio_format, channels, bits) != (1, 1, 16):
                raise ValueError(f"expected 16-bit mono PCM, got format {audio_format}, {channels} ch, {bits} bit")
        elif chunk_id == b"data":
            if not rate:
                raise ValueError("data before the format chunk")
            end = min(body + size, len(data))
            end -= (end - body) % 2
            return rate, np.frombuffer(data[body:end], dtype="<i2").astype(np.int16)
        pos = body + size + (size & 1)
    raise ValueError("no audio data")
