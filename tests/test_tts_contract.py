"""Every voice engine meets the one Synthesizer contract and is built from the [tts] settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Config, ModelsConfig, TtsConfig
from assistant.errors import ConfigurationError, ModelError
from assistant.speech.espeak_tts import EspeakSynthesizer
from assistant.speech.tts import (
    LEAD_KEEP_S,
    SILENCE_PEAK,
    AudioChunk,
    Synthesizer,
    choose_synthesizer,
    open_synthesizer,
    trim_silence,
)
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
    assert synthesizer.engine.session.get_session_options().intra_op_num_threads == 2  # type: ignore[attr-defined]
    fallback = open_synthesizer("piper", _config(threads=0), voice)  # 0: general.onnx_threads (1)
    assert fallback.engine.session.get_session_options().intra_op_num_threads == 1  # type: ignore[attr-defined]


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


def _silence_around(pcm: np.ndarray, rate: int) -> tuple[float, float]:
    """Seconds of silence before the first and after the last sound."""
    sound = np.flatnonzero(np.abs(pcm.astype(np.int32)) >= SILENCE_PEAK)
    return sound[0] / rate, (len(pcm) - 1 - sound[-1]) / rate


def test_trim_silence_cuts_only_the_edges() -> None:
    rate = 1000
    word = np.full(50, 3000, np.int16)
    pcm = np.concatenate([np.zeros(200, np.int16), word, np.zeros(300, np.int16), word, np.full(900, 20, np.int16)])
    trimmed = trim_silence(pcm, rate, pause_s=0.25)
    keep = round(LEAD_KEEP_S * rate)
    assert len(trimmed) == keep + 50 + 300 + 50 + 250  # the pause inside the phrase stays whole
    assert _silence_around(trimmed, rate) == (keep / rate, 0.25)
    assert len(trim_silence(pcm[:430], rate, pause_s=0.25)) == keep + 50 + 180  # a shorter pause is not padded
    assert len(trim_silence(np.zeros(500, np.int16), rate, pause_s=0.25)) == 0
    assert len(trim_silence(np.array([-32768, 0, 0], np.int16), rate, pause_s=0.0)) == 1  # full scale is sound


@pytest.mark.parametrize("text", ['She said "you are a good friend."', '"Can I play?" she asked.'])
def test_espeak_pauses_are_cut_to_the_sentence_pause(text: str) -> None:
    raw = EspeakSynthesizer()
    padded = [_silence_around(c.pcm, raw.sample_rate) for c in raw.synthesize(text)]
    assert max(after for _, after in padded) >= 0.5  # espeak-ng's own pause after a closing quote
    paced = open_synthesizer("espeak", _config(sentence_pause_ms=200))
    for chunk in paced.synthesize(text):
        before, after = _silence_around(chunk.pcm, chunk.sample_rate)
        assert before <= LEAD_KEEP_S + 1e-3
        assert after == pytest.approx(0.2, abs=1e-3)
    tight = open_synthesizer("espeak", _config(sentence_pause_ms=0))
    assert all(_silence_around(c.pcm, c.sample_rate)[1] == 0 for c in tight.synthesize(text))
