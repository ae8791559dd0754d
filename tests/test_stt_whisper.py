"""whisper.cpp through pywhispercpp, on stand-in models of tiny(.en)'s exact format and size.

The stand-ins (assistant.testing.standins) carry random weights: their words are garbage, but the file
format, loader, compute and timings are real. Bad model files must be refused before whisper.cpp sees them,
because a half-loaded whisper.cpp context crashes the process at the first transcription.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.audio_files import read_audio
from assistant.errors import ConfigurationError, ModelError
from assistant.speech.stt import SAMPLE_RATE, Word, transcribe
from assistant.speech.whisper_stt import WhisperRecognizer, check_ggml, speech_only
from assistant.testing import standins

pytest.importorskip("pywhispercpp")
binding = pytest.importorskip("_pywhispercpp")

# Random weights never emit end-of-text by themselves: hold the decoder to a real model's length.
FAST = {"max_tokens_per_s": 3.0, "fallback": False}


@pytest.fixture(scope="module")
def tiny_en(shared_models: Path) -> Path:
    return standins.whisper_ggml("tiny.en", shared_models=shared_models)


@pytest.fixture(scope="module")
def tiny(shared_models: Path) -> Path:
    return standins.whisper_ggml("tiny", shared_models=shared_models)


@pytest.fixture(scope="module")
def english(tiny_en: Path) -> WhisperRecognizer:
    return WhisperRecognizer(tiny_en, language="en", threads=2, **FAST)


@pytest.fixture(scope="module")
def speech(shared_audio: Path) -> np.ndarray:
    return read_audio(shared_audio / "commands" / "pocketsphinx" / "goforward.wav")


def test_the_tiny_en_standin_transcribes_through_whisper_cpp(english: WhisperRecognizer, speech: np.ndarray) -> None:
    result = transcribe(english, speech)
    assert not english.streaming
    assert result.engine.startswith("whisper.cpp (ggml-tiny.en")
    assert "tiny" in result.engine and "2 threads" in result.engine
    assert result.language == "en"
    assert result.audio_s == pytest.approx(len(speech) / SAMPLE_RATE)
    assert result.compute_s > 0
    assert result.text == " ".join(word.text for word in result.words)
    assert all(word.start_s >= 0 and word.end_s >= word.start_s for word in result.words)
    assert all(word.conf is None or 0 <= word.conf <= 1 for word in result.words)


def test_feed_only_collects_audio_for_the_final(english: WhisperRecognizer, speech: np.ndarray) -> None:
    english.begin()
    assert all(english.feed(speech[i : i + 320]) is None for i in range(0, len(speech), 320))
    assert english.finish().audio_s == pytest.approx(len(speech) / SAMPLE_RATE)


def test_auto_reports_the_language_a_multilingual_model_detects(tiny: Path, speech: np.ndarray) -> None:
    recognizer = WhisperRecognizer(tiny, language="auto", threads=2, **FAST)
    detected = transcribe(recognizer, speech).language
    known = {binding.whisper_lang_str(i) for i in range(binding.whisper_lang_max_id() + 1)}
    assert detected in known  # random weights pick some language; a real model would say "en"


def test_auto_on_an_english_only_model_is_english(tiny_en: Path, speech: np.ndarray) -> None:
    recognizer = WhisperRecognizer(tiny_en, language="auto", threads=1, **FAST)
    assert transcribe(recognizer, speech[:SAMPLE_RATE]).language == "en"


def test_an_english_only_model_refuses_another_language(tiny_en: Path) -> None:
    with pytest.raises(ConfigurationError, match=r'English-only.*stt.language = "de".*multilingual'):
        WhisperRecognizer(tiny_en, language="de")


def test_an_unknown_language_code_is_a_configuration_error(tiny: Path) -> None:
    with pytest.raises(ConfigurationError, match=r'stt.language = "xx" is not a language whisper knows'):
        WhisperRecognizer(tiny, language="xx")


@pytest.mark.parametrize("samples", [0, 800, 12000])
def test_audio_under_a_second_is_padded_not_dropped(english: WhisperRecognizer, speech: np.ndarray,
                                                    samples: int, capfd: pytest.CaptureFixture[str]) -> None:
    result = transcribe(english, speech[:samples])
    assert result.audio_s == samples / SAMPLE_RATE
    # Unpadded, whisper.cpp skips input under 100 ms with a warning ("input is too short").
    assert "too short" not in capfd.readouterr().err


def test_notes_on_non_speech_are_not_words() -> None:
    def words(text: str) -> tuple[Word, ...]:
        return tuple(Word(w, i, i + 1, None) for i, w in enumerate(text.split()))

    def kept(text: str) -> str:
        return " ".join(w.text for w in speech_only(list(words(text))))

    assert kept("[BLANK_AUDIO]") == ""
    assert kept("hello (upbeat music) there [MUSIC]") == "hello there"
    assert kept("I said (quietly") == "I said (quietly"  # never closed: kept
    assert speech_only(list(words("a [x] b"))) == (Word("a", 0, 1, None), Word("b", 2, 3, None))


def test_silence_does_not_crash(english: WhisperRecognizer) -> None:
    result = transcribe(english, np.zeros(2 * SAMPLE_RATE, dtype=np.int16))
    assert result.audio_s == 2.0  # a real model says nothing here; random weights may say anything


@pytest.mark.slow
def test_sixty_seconds_are_windowed_by_whisper_cpp(english: WhisperRecognizer, shared_audio: Path) -> None:
    long = read_audio(shared_audio / "asr" / "en" / "ljspeech_LJ001-0001.wav")
    pcm = np.resize(long, 60 * SAMPLE_RATE)  # the recording repeated
    result = transcribe(english, pcm)
    assert result.audio_s == 60.0
    assert max(word.start_s for word in result.words) > 30  # the second 30 s window was decoded too


def test_whisper_cpp_computes_without_holding_the_gil(english: WhisperRecognizer, speech: np.ndarray) -> None:
    done = threading.Event()
    gaps: list[float] = []

    def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        result = transcribe(english, speech)
    finally:
        done.set()
        ticker.join()
    assert max(gaps) < min(0.3, result.compute_s / 2)  # the audio threads keep running meanwhile


def test_nothing_is_printed_and_whisper_cpp_logs_go_to_logging(
    tiny_en: Path, speech: np.ndarray, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("DEBUG", logger="assistant.whisper.cpp"):
        transcribe(WhisperRecognizer(tiny_en, language="en", threads=1, **FAST), speech)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert any("whisper_model_load" in record.getMessage() for record in caplog.records)


def test_a_process_that_used_whisper_exits_cleanly(tiny_en: Path) -> None:
    # whisper.cpp calling the Python log callback during interpreter shutdown aborts the process.
    code = (
        "import numpy as np, sys; from pathlib import Path\n"
        "from assistant.speech.whisper_stt import WhisperRecognizer\n"
        "from assistant.speech.stt import transcribe\n"
        f"r = WhisperRecognizer(Path({str(tiny_en)!r}), threads=1, max_tokens_per_s=3, fallback=False)\n"
        "transcribe(r, np.zeros(16000, np.int16)); print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr
    assert "Fatal Python error" not in done.stderr


# ------------------------------------------------------------------------------------------- bad model files


def _cut(source: Path, folder: Path, size: int) -> Path:
    target = folder / f"cut-{size}.bin"
    with source.open("rb") as src, target.open("wb") as dst:
        dst.write(src.read(size))
    return target


def test_a_complete_model_passes_the_check(tiny_en: Path, tiny: Path) -> None:
    info = check_ggml(tiny_en)
    assert (info.size, info.multilingual, info.tensors) == ("tiny", False, 167)
    assert check_ggml(tiny).multilingual


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda src, tmp, shared: tmp / "missing.bin", "does not exist"),
        (lambda src, tmp, shared: tmp, "is a folder"),
        (lambda src, tmp, shared: _write(tmp / "junk.bin", b"hello, not a model"), "does not start with the ggml"),
        (lambda src, tmp, shared: _write(tmp / "empty.bin", b""), "does not start with the ggml"),
        (lambda src, tmp, shared: shared / "llm" / "stories260K.gguf", "GGUF"),
        # whisper.cpp loads a header-only file as an "empty model for testing" and crashes transcribing.
        (lambda src, tmp, shared: shared / "whisper" / "for-tests-ggml-tiny.en.bin", "no weights"),
        (lambda src, tmp, shared: _cut(src, tmp, 20), "truncated.*header"),
        (lambda src, tmp, shared: _cut(src, tmp, 1000), "truncated.*mel filters"),
        (lambda src, tmp, shared: _cut(src, tmp, 400_000), "truncated.*vocabulary"),
        (lambda src, tmp, shared: _cut(src, tmp, 30_000_000), "truncated.*tensor decoder"),
        (lambda src, tmp, shared: _cut(src, tmp, src.stat().st_size - 1), "truncated.*tensor decoder.ln.bias"),
    ],
    ids=["missing", "folder", "junk", "empty", "gguf", "header-only", "cut-header", "cut-mel", "cut-vocab",
         "cut-tensors", "cut-last-byte"],
)
def test_a_bad_model_file_is_refused_before_whisper_cpp_sees_it(
    make, message: str, tiny_en: Path, tmp_path: Path, shared_models: Path
) -> None:
    path = make(tiny_en, tmp_path, shared_models)
    with pytest.raises(ModelError, match=message) as error:
        WhisperRecognizer(path)
    assert str(path) in str(error.value)


def test_a_file_with_tensors_missing_is_refused(tiny_en: Path, tmp_path: Path) -> None:
    # A complete file of an older, smaller layout: fewer tensors than the header's dimensions need.
    data = bytearray(tiny_en.read_bytes())
    header_layers = 4 + 4 * 4  # magic, then n_vocab, n_audio_ctx, n_audio_state, n_audio_head: n_audio_layer
    data[header_layers : header_layers + 4] = (5).to_bytes(4, "little")
    path = _write(tmp_path / "five-layers.bin", bytes(data))
    with pytest.raises(ModelError, match=r"holds 167 tensors where its dimensions need 182"):
        check_ggml(path)


def test_the_model_is_loaded_from_its_path_never_by_name(tmp_path: Path, tiny_en: Path) -> None:
    # pywhispercpp takes an unknown name for a model to download: "tiny.en" must be a file here, or an error.
    with pytest.raises(ModelError, match=r"does not exist"):
        WhisperRecognizer(Path("tiny.en"))
    local = tmp_path / "tiny.en"
    shutil.copy(tiny_en, local)
    assert WhisperRecognizer(local, threads=1, **FAST).name.startswith("whisper.cpp (tiny.en")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
