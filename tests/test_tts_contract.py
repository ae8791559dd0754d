"""Every voice engine meets the one Synthesizer contract and is built from the [tts] settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Config, ModelsConfig, TtsConfig
from assistant.errors import ConfigurationError, ModelError
from assistant.speech.tts import AudioChunk, Synthesizer, choose_synthesizer, open_synthesizer
from assistant.testing import standins


def _config(**tts: object) -> Config:
    return dataclasses.replace(Config(), tts=TtsConfig(**tts))


def _check_contract(synthesizer: Synthesizer) -> None:
    chunks = list(synthesizer.synthesize("One sentence. And another one!"))
    assert [c.text for c in chunks] == ["One sentence.", "And another one!"]
    for chunk in chunks:
        assert chunk.sample_rate == synthesizer.sample_rate
        assert chunk.pcm.dtype == np.int16 and chunk.pcm.ndim == 1 and len(chunk.pcm) > 0
    assert list(synthesizer.synthesize("")) == []
    assert synthesizer.name


def test_espeak_meets_the_contract() -> None:
    _check_contract(open_synthesizer("espeak", _config(espeak_voice="en-gb", espeak_rate=200)))


def test_piper_meets_the_contract_with_threads_from_the_config(tmp_path: Path, shared_models: Path) -> None:
    pytest.importorskip("onnx", reason="the onnx package (test extra) builds the stand-in voice")
    voice = standins.piper_voice(cache_dir=tmp_path, shared_models=shared_models)
    synthesizer = open_synthesizer("piper", _config(threads=2), voice)
    _check_contract(synthesizer)
    assert synthesizer.session.get_session_options().intra_op_num_threads == 2  # type: ignore[attr-defined]
    fallback = open_synthesizer("piper", _config(threads=0), voice)  # 0: general.onnx_threads (1)
    assert fallback.session.get_session_options().intra_op_num_threads == 1  # type: ignore[attr-defined]


def test_piper_without_a_voice_says_which_setting_to_fill() -> None:
    with pytest.raises(ConfigurationError, match=r"set tts.voice"):
        open_synthesizer("piper", Config())


def test_asking_for_piper_with_no_voice_installed_is_a_model_error(tmp_path: Path) -> None:
    empty = dataclasses.replace(Config(), models=ModelsConfig(dir=str(tmp_path)))
    with pytest.raises(ModelError, match=r'tts.engine = "piper"'):
        choose_synthesizer(empty, engine="piper")


def test_audio_chunk_holds_only_16_bit_mono() -> None:
    assert AudioChunk(np.zeros(800, np.int16), 16000, "x").duration_s == 0.05
    with pytest.raises(ValueError, match="int16"):
        AudioChunk(np.zeros(800, np.float32), 16000, "x")
    with pytest.raises(ValueError, match="1-D"):
        AudioChunk(np.zeros((800, 2), np.int16), 16000, "x")
