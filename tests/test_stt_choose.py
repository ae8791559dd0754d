"""Which recognizer a configuration or a command line gets, and the errors when it cannot have one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pocketsphinx
import pytest

from assistant.config import Config, load_config
from assistant.errors import ConfigurationError, ModelError
from assistant.speech.stt import Transcript, choose_recognizer, open_recognizer, transcribe
from assistant.testing import standins


@pytest.fixture(scope="module")
def tiny_en(shared_models: Path) -> Path:
    return standins.whisper_ggml("tiny.en", shared_models=shared_models)


def test_with_no_model_installed_auto_falls_back_to_pocketsphinx(clean_env: Path) -> None:
    recognizer = choose_recognizer(Config())
    assert recognizer.name == "pocketsphinx (en-us)"
    assert recognizer.streaming  # live by default: the pipeline's use


def test_a_configured_whisper_model_path_is_chosen(clean_env: Path, tiny_en: Path) -> None:
    pytest.importorskip("pywhispercpp")
    config_file = clean_env / "assistant.toml"
    config_file.write_text(f'[stt]\nwhisper_model = "{tiny_en}"\nthreads = 1\n')
    recognizer = choose_recognizer(load_config(config_file, {}).config, live=False)
    assert recognizer.name == "whisper.cpp (ggml-tiny.en-standin-v1.bin, tiny, 1 thread)"


def test_whisper_asked_for_without_a_model_is_a_model_error(clean_env: Path) -> None:
    with pytest.raises(ModelError, match=r'stt.engine = "whisper" but no stt-whisper model'):
        choose_recognizer(Config(), engine="whisper")
    with pytest.raises(ConfigurationError, match=r"stt.whisper_model"):
        open_recognizer("whisper", Config())
    with pytest.raises(ConfigurationError, match=r"stt.vosk_model"):
        open_recognizer("vosk", Config())


def test_an_unknown_engine_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"whisper, vosk or sphinx"):
        open_recognizer("kaldi", Config())


def test_the_engine_follows_from_a_model_path(tmp_path: Path, tiny_en: Path) -> None:
    pytest.importorskip("pywhispercpp")
    assert choose_recognizer(Config(), model=tiny_en).name.startswith("whisper.cpp")
    sphinx_folder = Path(pocketsphinx.get_model_path("en-us"))  # holds a .dict: a pocketsphinx model
    assert choose_recognizer(Config(), model=sphinx_folder).name == "pocketsphinx (en-us)"
    with pytest.raises(ModelError, match=r"not a Vosk model folder"):  # any other folder: a Vosk model
        choose_recognizer(Config(), model=tmp_path)


def test_the_language_setting_reaches_the_engine() -> None:
    config = Config()
    german = dataclasses.replace(config, stt=dataclasses.replace(config.stt, language="de"))
    with pytest.raises(ConfigurationError, match=r'stt.language = "de"'):
        open_recognizer("sphinx", german)


def test_transcribe_is_one_utterance_and_rtf_is_compute_over_audio() -> None:
    recognizer = open_recognizer("sphinx", Config(), live=False)
    result = transcribe(recognizer, np.zeros(8000, dtype=np.int16))
    assert isinstance(result, Transcript)
    assert result.audio_s == 0.5
    assert result.rtf == pytest.approx(result.compute_s / 0.5)
    assert Transcript("", None, (), 0.0, 0.0, "x").rtf == 0.0
