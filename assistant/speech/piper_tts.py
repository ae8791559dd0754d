"""Piper neural voices through piper-tts's own phonemizer and synthesis code, on a session we build.

A voice is two files: `NAME.onnx` (the network) and `NAME.onnx.json` (sample rate, phoneme map, espeak
voice, default scales). piper-tts 1.8's `PiperVoice.load` would open the ONNX session with ONNX Runtime's
default thread pool (every core, fighting the LLM for them), so the session comes from `assistant.onnx`
with the configured thread count and is handed to `PiperVoice` directly. Its per-sentence peak
normalization is turned off: it makes the level jump from sentence to sentence and undoes `tts.volume`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant.brain.sentences import split_sentences
from assistant.errors import ConfigurationError, ModelError, import_optional
from assistant.onnx import FLOAT, INT64, TensorSpec, check_model_file, open_session
from assistant.speech.tts import AudioChunk

_WHAT = "Piper voice"
_OFFLINE_PHONEME_TYPES = ("espeak", "text")


def config_path_for(voice: Path) -> Path:
    """Where a voice's config lives: beside the .onnx, named NAME.onnx.json."""
    return voice.with_name(voice.name + ".json")


class PiperSynthesizer:
    """A Piper voice. `length_scale` 0 keeps the voice's own pace (from its .onnx.json)."""

    def __init__(
        self,
        voice: Path | str,
        *,
        speaker_id: int = 0,
        length_scale: float = 0.0,
        noise_scale: float = 0.667,
        noise_w: float = 0.8,
        volume: float = 1.0,
        threads: int = 1,
    ) -> None:
        piper = import_optional("piper", engine="piper", extra="piper")
        piper_config = import_optional("piper.config", engine="piper", extra="piper")
        voice = Path(voice).expanduser()
        if voice.name.endswith(".onnx.json"):  # the config was named instead of the model: take its pair
            voice = voice.with_name(voice.name.removesuffix(".json"))
        voice = check_model_file(voice, _WHAT)
        config = _load_config(voice, piper_config)
        inputs = [
            TensorSpec("input", (None, None), INT64),
            TensorSpec("input_lengths", (None,), INT64),
            TensorSpec("scales", (3,), FLOAT),
        ]
        if config.num_speakers > 1:
            inputs.append(TensorSpec("sid", (None,), INT64))
        session = open_session(voice, _WHAT, threads=threads, inputs=inputs)
        if not 0 <= speaker_id < max(config.num_speakers, 1):
            raise ConfigurationError(
                f"tts.speaker_id = {speaker_id}, but the Piper voice {voice} has {config.num_speakers} "
                f"speaker(s): set tts.speaker_id between 0 and {max(config.num_speakers, 1) - 1}"
            )
        self._voice = piper.PiperVoice(session=session, config=config)
        self._length_scale = length_scale or config.length_scale  # the voice's own pace, unless set
        self._synthesis = piper_config.SynthesisConfig(
            speaker_id=speaker_id,
            length_scale=length_scale or None,  # None: the voice's own
            noise_scale=noise_scale,
            noise_w_scale=noise_w,
            normalize_audio=False,
            volume=volume,
        )
        self.voice = voice
        self.session = session
        self.sample_rate = config.sample_rate
        self.name = f"piper {voice.name.removesuffix('.onnx')}"

    def synthesize(self, text: str, speed: float = 1.0) -> Iterator[AudioChunk]:
        synthesis = self._synthesis
        if speed != 1.0:  # a phoneme's length is the scale: twice as fast, half as long
            synthesis = dataclasses.replace(synthesis, length_scale=self._length_scale / speed)
        # Piper cuts text into sentences too (by espeak's rules); cutting it first with our splitter ties
        # each chunk to the exact text it says, which the history needs when a reply is interrupted.
        for sentence in split_sentences(text):
            parts = [chunk.audio_int16_array for chunk in self._voice.synthesize(sentence, synthesis)]
            if parts:
                yield AudioChunk(np.concatenate(parts), self.sample_rate, sentence)


def _load_config(voice: Path, piper_config: Any) -> Any:
    """The voice's .onnx.json as piper-tts's PiperConfig, with errors naming both files and the fix."""
    path = config_path_for(voice)
    if not path.is_file():
        raise ModelError(
            f"the Piper voice {voice} has no config {path}: a voice is two files, NAME.onnx and "
            f"NAME.onnx.json; download {path.name} from the same place as {voice.name} and put it beside it "
            "(or install the voice with `assistant models pull`)"
        )
    try:
        config = piper_config.PiperConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not a readable Piper voice config ({exc}); download it again") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(
            f"{path}: not a Piper voice config (missing or bad {exc}); download the .onnx.json that belongs "
            f"to {voice.name} again"
        ) from exc
    if not isinstance(config.sample_rate, int) or config.sample_rate <= 0:
        raise ModelError(f"{path}: audio.sample_rate must be a positive whole number of Hz")
    if config.phoneme_type.value not in _OFFLINE_PHONEME_TYPES:
        # piper-tts fetches g2pW from the internet for pinyin voices, and needs extra packages for the others.
        raise ModelError(
            f'{path}: phoneme_type "{config.phoneme_type.value}" is not supported: the assistant runs offline '
            "and takes Piper voices phonemized by espeak-ng (phoneme_type espeak or text); choose such a voice"
        )
    return config
