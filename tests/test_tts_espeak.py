"""espeak-ng speaks through the real Debian binary: plausible durations, any text, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ConfigurationError
from assistant.speech.espeak_tts import EspeakSynthesizer
from assistant.speech.tts import synthesize_all

TEN_WORDS = "The weather today is sunny with a light breeze outside."


@pytest.fixture(scope="module")
def espeak() -> EspeakSynthesizer:
    return EspeakSynthesizer()


def test_speech_lasts_as_long_as_the_words_take(espeak: EspeakSynthesizer) -> None:
    (chunk,) = list(espeak.synthesize(TEN_WORDS))
    assert chunk.sample_rate == espeak.sample_rate == 22050
    assert chunk.text == TEN_WORDS
    # 10 words at 175 words per minute is 3.4 s of speech; espeak-ng adds short pauses.
    assert 2.0 < chunk.duration_s < 6.0
    assert np.sqrt(np.mean(chunk.pcm.astype(np.float64) ** 2)) > 500  # audible, not silence


def test_a_faster_rate_gives_shorter_speech() -> None:
    slow = len(synthesize_all(EspeakSynthesizer(rate=120), TEN_WORDS))
    fast = len(synthesize_all(EspeakSynthesizer(rate=350), TEN_WORDS))
    assert fast < 0.6 * slow


def test_a_speed_asked_per_sentence_scales_the_configured_rate(espeak: EspeakSynthesizer) -> None:
    normal = len(synthesize_all(espeak, TEN_WORDS))
    slower = sum(len(c.pcm) for c in espeak.synthesize(TEN_WORDS, 0.7))
    faster = sum(len(c.pcm) for c in espeak.synthesize(TEN_WORDS, 1.4))
    assert faster < 0.85 * normal and slower > 1.2 * normal
    assert len(synthesize_all(espeak, TEN_WORDS)) == normal  # the next sentence at the configured rate again
    fastest = EspeakSynthesizer(rate=400)  # beyond espeak-ng's 450 words per minute it speaks at 450
    assert sum(len(c.pcm) for c in fastest.synthesize(TEN_WORDS, 2.0)) == len(
        synthesize_all(EspeakSynthesizer(rate=450), TEN_WORDS))


def test_volume_scales_the_samples(espeak: EspeakSynthesizer) -> None:
    full = synthesize_all(espeak, "Hello there.").astype(np.int32)
    half = synthesize_all(EspeakSynthesizer(volume=0.5), "Hello there.").astype(np.int32)
    np.testing.assert_allclose(half, full / 2, atol=1)


@pytest.mark.parametrize("text", ["", "  \n\t ", "**"])
def test_nothing_to_say_gives_no_audio(espeak: EspeakSynthesizer, text: str) -> None:
    assert list(espeak.synthesize(text)) == []


@pytest.mark.parametrize("text", ["Καλημέρα κόσμε.", "你好，世界。", "Ωμέγα and 中文 mixed.", "😀"])
def test_non_latin_text_is_spoken_somehow(espeak: EspeakSynthesizer, text: str) -> None:
    for chunk in espeak.synthesize(text):
        assert chunk.pcm.dtype == np.int16 and chunk.sample_rate == 22050


def test_greek_with_a_greek_voice() -> None:
    assert len(synthesize_all(EspeakSynthesizer(voice="el"), "Καλημέρα κόσμε.")) > 22050 // 2


def test_long_text_comes_out_sentence_by_sentence(espeak: EspeakSynthesizer) -> None:
    sentences = [f"This is sentence number {i}, and it says something." for i in range(30)]
    chunks = list(espeak.synthesize(" ".join(sentences)))
    assert [c.text for c in chunks] == sentences
    assert all(1.0 < c.duration_s < 5.0 for c in chunks)


def test_missing_binary_names_the_debian_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match=r"apt install espeak-ng"):
        EspeakSynthesizer()


def test_unknown_voice_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match=r'tts.espeak_voice = "xx-nonexistent".*espeak-ng --voices'):
        EspeakSynthesizer(voice="xx-nonexistent")
