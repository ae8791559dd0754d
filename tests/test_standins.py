"""Stand-in model files load and run through the real libraries, and are cached.

The generated files are what other tests use in place of real weights, so these tests load each one
through the same library a real model goes through (llama-cpp-python, pywhispercpp, piper-tts) rather
than only checking bytes. Whisper and Piper stand-ins are built from the shared models folder; their tests
take conftest's `shared_models` fixture, so they skip (or fail under ASSISTANT_REQUIRE_SHARED=1) without it.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.testing import standins


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One private cache per test session: tests never depend on (or disturb) the user's cache."""
    return tmp_path_factory.mktemp("standins")


# One thread: ggml's worker threads spin at barriers, so on a busy 2-core machine two threads run several
# times slower than one (seen: whisper 2.6 s with 1 thread, 9-13 s with 2, while other jobs ran).
_THREADS = 1


def _llama(path: Path, **kwargs: Any) -> Any:
    llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    return llama_cpp.Llama(model_path=str(path), n_ctx=256, n_threads=_THREADS, verbose=False, **kwargs)


def _gguf_field(path: Path, key: str) -> Any:
    gguf = pytest.importorskip("gguf")
    field = gguf.GGUFReader(path).fields.get(key)
    return None if field is None else field.contents()


# ---------------------------------------------------------------------------------------------------------
# llama GGUF
# ---------------------------------------------------------------------------------------------------------


def test_tiny_llama_generates_tokens(cache_dir: Path) -> None:
    path = standins.llama_gguf("tiny", cache_dir=cache_dir)
    assert path.stat().st_size < 1_000_000
    result = _llama(path).create_completion("Hello, what is the weather", max_tokens=8, temperature=0.0)
    assert result["usage"]["completion_tokens"] >= 1
    assert isinstance(result["choices"][0]["text"], str)


def test_tiny_llama_chat_completion_uses_the_chatml_template(cache_dir: Path) -> None:
    llm = _llama(standins.llama_gguf("tiny", cache_dir=cache_dir, chat_template=True))
    assert "<|im_start|>" in llm.metadata["tokenizer.chat_template"]
    # Generation must stop at the end of the assistant's turn.
    assert llm.detokenize([llm.token_eos()], special=True) == b"<|im_end|>"
    reply = llm.create_chat_completion(
        [{"role": "user", "content": "What time is it?"}], max_tokens=8, temperature=0.0
    )
    assert reply["usage"]["completion_tokens"] >= 1
    assert reply["choices"][0]["message"]["role"] == "assistant"
    # The template's markers are control tokens: one token each, not spelled out.
    im_start = llm.tokenize(b"<|im_start|>", add_bos=False, special=True)
    assert len(im_start) == 1
    assert llm.tokenize(b"<|im_start|>user", add_bos=False, special=True)[0] == im_start[0]


def test_tiny_llama_without_template_ends_with_eos(cache_dir: Path) -> None:
    path = standins.llama_gguf("tiny", cache_dir=cache_dir, chat_template=False)
    assert _gguf_field(path, "tokenizer.chat_template") is None
    llm = _llama(path)
    assert llm.detokenize([llm.token_eos()], special=True) == b"</s>"
    assert llm.create_completion("Once upon a time", max_tokens=4)["usage"]["completion_tokens"] >= 1


def test_tiny_llama_vocab_is_spm_with_byte_fallback(cache_dir: Path) -> None:
    gguf = pytest.importorskip("gguf")
    path = standins.llama_gguf("tiny", cache_dir=cache_dir)
    tokens = _gguf_field(path, "tokenizer.ggml.tokens")
    types = _gguf_field(path, "tokenizer.ggml.token_type")
    assert _gguf_field(path, "tokenizer.ggml.model") == "llama"
    assert tokens[:3] == ["<unk>", "<s>", "</s>"]
    assert tokens[3] == "<0x00>" and tokens[258] == "<0xFF>"
    assert tokens[259:261] == ["<|im_start|>", "<|im_end|>"]
    assert types[259:261] == [gguf.TokenType.CONTROL] * 2
    assert len(set(tokens)) == len(tokens) == _gguf_field(path, "llama.vocab_size")
    # Text outside the word pieces still round-trips through the byte tokens; like every SPM llama vocab,
    # the tokenizer puts a space in front of the text.
    llm = _llama(path)
    text = "Grüße, 42 °C!"
    assert llm.detokenize(llm.tokenize(text.encode(), add_bos=False)).decode() == " " + text


@pytest.mark.slow
def test_qwen_sized_gguf_has_true_dimensions_and_generates() -> None:
    """Uses the default cache: the ~0.5 GB file takes ~10 s to make, so it is kept between runs."""
    gguf = pytest.importorskip("gguf")
    path = standins.llama_gguf("0.5b")
    reader = gguf.GGUFReader(path)
    expected = {
        "general.architecture": "llama",
        "llama.embedding_length": 896,
        "llama.block_count": 24,
        "llama.attention.head_count": 14,
        "llama.attention.head_count_kv": 2,
        "llama.feed_forward_length": 4864,
        "llama.context_length": 32768,
        "llama.rope.freq_base": 1_000_000.0,
        "llama.vocab_size": 151936,
    }
    assert {key: reader.fields[key].contents() for key in expected} == expected
    tensors = {t.name: t for t in reader.tensors}
    assert tensors["token_embd.weight"].tensor_type == gguf.GGMLQuantizationType.Q8_0
    assert list(tensors["blk.0.ffn_up.weight"].shape) == [896, 4864]
    weights = gguf.quants.dequantize(tensors["blk.23.attn_q.weight"].data, gguf.GGMLQuantizationType.Q8_0)
    assert 0.01 < float(weights.std()) < 0.03
    assert _llama(path, vocab_only=True).n_vocab() == 151936
    result = _llama(path).create_completion("Hello", max_tokens=4, temperature=0.0)
    assert result["usage"]["completion_tokens"] >= 1


def test_unknown_kinds_are_rejected(cache_dir: Path) -> None:
    with pytest.raises(ValueError, match="tiny"):
        standins.llama_gguf("7b", cache_dir=cache_dir)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"tiny\.en"):
        standins.whisper_ggml("large", cache_dir=cache_dir)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        standins.piper_voice(cache_dir=cache_dir, num_speakers=0)


# ---------------------------------------------------------------------------------------------------------
# whisper.cpp ggml
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tiny.en", "tiny"])
def test_whisper_loads_and_transcribes(cache_dir: Path, shared_models: Path, kind: str) -> None:
    model_module = pytest.importorskip("pywhispercpp.model", reason="pywhispercpp is not installed")
    path = standins.whisper_ggml(kind, cache_dir=cache_dir, shared_models=shared_models)  # type: ignore[arg-type]
    assert path.is_file()  # pywhispercpp downloads a model when given a missing path
    model = model_module.Model(str(path), n_threads=_THREADS, print_progress=False, redirect_whispercpp_logs_to=None)
    audio = (np.random.default_rng(0).standard_normal(16000) * 0.1).astype(np.float32)
    segments = model.transcribe(audio)
    assert isinstance(segments, list)
    assert all(isinstance(segment.text, str) for segment in segments)


def test_whisper_keeps_the_shared_header_and_vocab(cache_dir: Path, shared_models: Path) -> None:
    source = (shared_models / "whisper" / "for-tests-ggml-tiny.en.bin").read_bytes()
    made = standins.whisper_ggml("tiny.en", cache_dir=cache_dir, shared_models=shared_models).read_bytes()
    header = struct.unpack_from("<I11i", made, 0)
    assert header[0] == 0x67676D6C
    assert header[1:11] == struct.unpack_from("<10i", source, 4)  # hparams as in tiny.en
    assert header[11] == 1  # ftype F16, matching the F16 matrices in the file
    assert made[48 : len(source)] == source[48:]  # mel filters and vocab copied byte for byte
    # 4 + 4 encoder / decoder blocks of tiny: about the size of the real ggml-tiny.en.bin (77.7 MB).
    assert 70_000_000 < len(made) < 85_000_000


# ---------------------------------------------------------------------------------------------------------
# Piper voice
# ---------------------------------------------------------------------------------------------------------


def _synthesize(onnx_path: Path, text: str, **config: Any) -> list[Any]:
    piper = pytest.importorskip("piper", reason="piper-tts is not installed")
    voice = piper.PiperVoice.load(onnx_path)
    return list(voice.synthesize(text, syn_config=piper.SynthesisConfig(**config)))


def test_piper_voice_synthesizes_at_the_configured_rate(cache_dir: Path, shared_models: Path) -> None:
    onnx_path = standins.piper_voice(cache_dir=cache_dir, shared_models=shared_models)
    config = json.loads(Path(f"{onnx_path}.json").read_text(encoding="utf-8"))
    real = json.loads((shared_models / "piper" / "en_US-amy-low.onnx.json").read_text(encoding="utf-8"))
    assert config["phoneme_id_map"] == real["phoneme_id_map"]
    assert config["espeak"] == real["espeak"] and config["inference"] == real["inference"]
    chunks = _synthesize(onnx_path, "Hello world. How are you today?")
    assert len(chunks) == 2  # one chunk per sentence
    for chunk in chunks:
        assert chunk.sample_rate == config["audio"]["sample_rate"] == 16000
        assert chunk.audio_float_array.dtype == np.float32
        assert len(chunk.audio_float_array) == len(chunk.phoneme_ids) * 512
        assert np.abs(chunk.audio_float_array).max() > 0


def test_piper_length_scale_stretches_audio(cache_dir: Path, shared_models: Path) -> None:
    onnx_path = standins.piper_voice(cache_dir=cache_dir, shared_models=shared_models)
    normal = _synthesize(onnx_path, "Hello world.")[0]
    slow = _synthesize(onnx_path, "Hello world.", length_scale=2.0)[0]
    assert len(slow.audio_float_array) == 2 * len(normal.audio_float_array)


def test_piper_multi_speaker_signature(cache_dir: Path, shared_models: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    onnx_path = standins.piper_voice(
        cache_dir=cache_dir, sample_rate=22050, num_speakers=3, shared_models=shared_models
    )
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    inputs = {i.name: (i.type, i.shape) for i in session.get_inputs()}
    assert inputs["input"] == ("tensor(int64)", [1, "phonemes"])
    assert inputs["input_lengths"] == ("tensor(int64)", [1])
    assert inputs["scales"] == ("tensor(float)", [3])
    assert inputs["sid"] == ("tensor(int64)", [1])
    (output,) = session.get_outputs()
    assert (output.name, output.type, output.shape) == ("output", "tensor(float)", [1, 1, 1, "time"])
    chunks = _synthesize(onnx_path, "Testing speakers.", speaker_id=2)
    assert chunks[0].sample_rate == 22050


# ---------------------------------------------------------------------------------------------------------
# Caching
# ---------------------------------------------------------------------------------------------------------

_GENERATORS: dict[str, Callable[[Path], Path]] = {
    "llama": lambda cache: standins.llama_gguf("tiny", cache_dir=cache),
    "whisper": lambda cache: standins.whisper_ggml("tiny.en", cache_dir=cache),
    "piper": lambda cache: standins.piper_voice(cache_dir=cache),
}


@pytest.mark.parametrize("name", sorted(_GENERATORS))
def test_cached_file_is_reused_and_remade_when_missing(
    tmp_path: Path, request: pytest.FixtureRequest, name: str
) -> None:
    if name != "llama":
        request.getfixturevalue("shared_models")  # skips (or fails in CI) without the shared folder
    generate = _GENERATORS[name]
    first = generate(tmp_path)
    stamp = first.stat().st_mtime_ns
    second = generate(tmp_path)
    assert second == first and second.stat().st_mtime_ns == stamp
    first.unlink()
    assert generate(tmp_path) == first and first.is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temp files left behind


def test_cache_key_names_version_and_parameters(tmp_path: Path) -> None:
    chat = standins.llama_gguf("tiny", cache_dir=tmp_path, chat_template=True)
    plain = standins.llama_gguf("tiny", cache_dir=tmp_path, chat_template=False)
    assert chat != plain
    assert f"v{standins.LLAMA_GENERATOR_VERSION}" in chat.name and "tiny" in chat.name


def test_cache_dir_defaults_to_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(standins.CACHE_ENV, str(tmp_path / "from-env"))
    assert standins.llama_gguf("tiny").parent == tmp_path / "from-env"
    monkeypatch.delenv(standins.CACHE_ENV)
    assert standins.default_cache_dir() == Path.home() / ".cache" / "assistant" / "standins"


def test_missing_shared_models_give_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(standins.SHARED_MODELS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(standins.StandinSourceError, match=standins.SHARED_MODELS_ENV):
        standins.whisper_ggml(cache_dir=tmp_path)
