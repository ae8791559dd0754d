"""Stand-in model files: the true formats with random weights, generated on demand and cached.

Real whisper.cpp weights, Piper voices and chat GGUFs cannot be downloaded on the build machines, yet the
code that loads them must be exercised through the real libraries (llama-cpp-python, pywhispercpp,
piper-tts). Each function here writes a file of the exact format and shapes a real model has, filled with
seeded random weights, so load paths and timings are true while the words and sounds are garbage.

Files are cached: the name carries a generator version and every parameter, so a changed generator or a
different request never reuses a stale file. A file is written under a temporary name and renamed into
place, so an interrupted run or a concurrent test never sees half a model.

See /work/shared/models/MODELS.md ("Stand-ins") for the shared files some generators start from.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np

CACHE_ENV = "ASSISTANT_STANDIN_CACHE"
SHARED_MODELS_ENV = "ASSISTANT_SHARED_MODELS"

# Bump a generator's version whenever its output changes: the version is part of the cached file's name.
LLAMA_GENERATOR_VERSION = 1
WHISPER_GENERATOR_VERSION = 1
PIPER_GENERATOR_VERSION = 1

LlamaKind = Literal["tiny", "0.5b"]
WhisperKind = Literal["tiny.en", "tiny"]


class StandinSourceError(FileNotFoundError):
    """A shared file a stand-in is built from (whisper vocab, Piper config) cannot be found."""


# --------------------------------------------------------------------------------------------------------
# Locations and the cache
# --------------------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """`$ASSISTANT_STANDIN_CACHE`, else ~/.cache/assistant/standins (outside the repo: files are large)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "assistant" / "standins"


def shared_models_dir(shared_models: Path | str | None = None) -> Path:
    """The read-only shared model folder.

    The argument, else `$ASSISTANT_SHARED_MODELS`, else <repo>/../shared/models. Raises
    StandinSourceError when it does not exist, so tests can skip with the reason.
    """
    if shared_models is not None:
        candidate = Path(shared_models).expanduser()
    elif os.environ.get(SHARED_MODELS_ENV):
        candidate = Path(os.environ[SHARED_MODELS_ENV]).expanduser()
    else:
        # assistant/testing/standins.py -> the repository is two folders up; shared/ sits beside it.
        candidate = Path(__file__).resolve().parents[2].parent / "shared" / "models"
    if not candidate.is_dir():
        raise StandinSourceError(
            f"shared model folder {candidate} not found; "
            f"set {SHARED_MODELS_ENV} to the folder that holds MODELS.md"
        )
    return candidate


def _shared_file(relative: str, shared_models: Path | str | None) -> Path:
    path = shared_models_dir(shared_models) / relative
    if not path.is_file():
        raise StandinSourceError(f"{path} not found: the stand-in is built from it (see MODELS.md)")
    return path


def _cache_dir(cache_dir: Path | str | None) -> Path:
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Run `write` on a temporary file beside `target`, then rename it into place (same filesystem)."""
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    temp = Path(temp_name)
    try:
        write(temp)
        temp.chmod(0o644)  # mkstemp makes 0600; cached models are meant to be read by any test run
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _cached(target: Path, write: Callable[[Path], None]) -> Path:
    if not target.is_file():
        _write_atomically(target, write)
    return target


def _import_optional(module: str, purpose: str) -> ModuleType:
    """Import a heavy optional package only when a stand-in needs it, with an actionable message."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"generating the {purpose} stand-in needs the Python package '{module}'; "
            f"install the test extras: pip install -e '.[test]'"
        ) from exc


# --------------------------------------------------------------------------------------------------------
# Llama-architecture GGUF with an SPM vocabulary
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _LlamaDims:
    n_vocab: int
    n_embd: int
    n_layer: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_ctx: int
    rope_theta: float
    weights: Literal["F16", "Q8_0"]

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


_LLAMA_KINDS: dict[str, _LlamaDims] = {
    # A few hundred kB: unit tests load and generate in milliseconds.
    "tiny": _LlamaDims(
        n_vocab=512, n_embd=64, n_layer=2, n_head=4, n_head_kv=2, n_ff=128, n_ctx=2048,
        rope_theta=10000.0, weights="F16",
    ),
    # Qwen2.5-0.5B-Instruct's true dimensions (tied embeddings, GQA 14/2), expressed as llama; Q8_0 like
    # the commonly deployed file, so load and per-token times are realistic.
    "0.5b": _LlamaDims(
        n_vocab=151936, n_embd=896, n_layer=24, n_head=14, n_head_kv=2, n_ff=4864, n_ctx=32768,
        rope_theta=1_000_000.0, weights="Q8_0",
    ),
}

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_SPM_SPACE = "\u2581"  # SentencePiece's visible space, which llama.cpp turns back into " "
_UNK, _BOS, _EOS = 0, 1, 2
_IM_START = 3 + 256
_IM_END = _IM_START + 1

# Common English (and assistant-domain) words: with every prefix in the vocab, llama.cpp's SPM merges
# spell them as one token each, so prompts tokenize into plausible lengths.
_COMMON_WORDS = """
    the be to of and a in that have I it for not on with he as you do at this but his by from they we
    say her she or an will my one all would there their what so up out if about who get which go me when
    make can like time no just him know take people into year your good some could them see other than
    then now look only come its over think also back after use two how our work first well way even new
    want because any these give day most us is are was were has had been am hello hi hey please thanks
    thank yes okay weather today tomorrow tonight morning evening night temperature rain sun wind cold
    warm hot set timer alarm minute minutes hour hours second seconds remind reminder turn light lights
    off play music stop pause volume louder quieter next song news tell joke where why who help
    assistant question answer sorry again name called house room kitchen bedroom open close start call
    message read write list add shopping buy milk bread coffee tea water home door window heat heating
    degrees celsius fahrenheit clock date week month Monday Tuesday Wednesday Thursday Friday Saturday
    Sunday
"""


def _spm_pieces() -> Iterator[str]:
    """Ordinary SPM pieces, most useful first; duplicates are removed by the caller."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    capitals = [c.upper() for c in letters]
    singles = [_SPM_SPACE, *letters, *capitals, *"0123456789", *".,!?'\"-:;()"]
    yield from singles
    yield from (_SPM_SPACE + c for c in letters + capitals + list("0123456789"))
    for word in _COMMON_WORDS.split():
        spelled = _SPM_SPACE + word
        yield from (spelled[:end] for end in range(2, len(spelled) + 1))
    # Filler for big vocabularies: letter n-grams, word-initial and inside a word, never exhausted early.
    grams = letters
    while True:
        grams = [g + c for g in grams for c in letters]
        for gram in grams:
            yield _SPM_SPACE + gram
            yield gram


def _spm_vocab(n_vocab: int) -> tuple[list[str], list[float], list[int]]:
    """Tokens, scores and types of an SPM ("llama") vocab with byte fallback and ChatML control tokens."""
    gguf = _import_optional("gguf", "llama GGUF")
    token_type = gguf.TokenType
    tokens = ["<unk>", "<s>", "</s>", *(f"<0x{b:02X}>" for b in range(256)), "<|im_start|>", "<|im_end|>"]
    types = [token_type.UNKNOWN, token_type.CONTROL, token_type.CONTROL]
    types += [token_type.BYTE] * 256 + [token_type.CONTROL] * 2
    seen = set(tokens)
    pieces = _spm_pieces()
    while len(tokens) < n_vocab:
        piece = next(pieces)
        if piece not in seen:
            seen.add(piece)
            tokens.append(piece)
            types.append(token_type.NORMAL)
    # SPM merges the highest-scoring pair first; earlier (more common) pieces score higher.
    first_normal = _IM_END + 1
    scores = [0.0] * first_normal + [-float(i) for i in range(n_vocab - first_normal)]
    return tokens, scores, [int(t) for t in types]


@dataclass(frozen=True)
class _GgufTensor:
    name: str
    shape: tuple[int, ...]  # numpy order: the last axis is ggml's ne[0], the contiguous one
    qtype: str  # "F32", "F16" or "Q8_0"
    init: Literal["normal", "ones"] = "normal"


def _llama_tensors(dims: _LlamaDims) -> list[_GgufTensor]:
    """The tensors llama.cpp's llama loader requires; no output.weight, so embeddings are tied (like Qwen)."""
    q_out = dims.n_head * dims.head_dim
    kv_out = dims.n_head_kv * dims.head_dim
    w = dims.weights
    tensors = [_GgufTensor("token_embd.weight", (dims.n_vocab, dims.n_embd), w)]
    for i in range(dims.n_layer):
        p = f"blk.{i}."
        tensors += [
            _GgufTensor(p + "attn_norm.weight", (dims.n_embd,), "F32", "ones"),
            _GgufTensor(p + "attn_q.weight", (q_out, dims.n_embd), w),
            _GgufTensor(p + "attn_k.weight", (kv_out, dims.n_embd), w),
            _GgufTensor(p + "attn_v.weight", (kv_out, dims.n_embd), w),
            _GgufTensor(p + "attn_output.weight", (dims.n_embd, q_out), w),
            _GgufTensor(p + "ffn_norm.weight", (dims.n_embd,), "F32", "ones"),
            _GgufTensor(p + "ffn_gate.weight", (dims.n_ff, dims.n_embd), w),
            _GgufTensor(p + "ffn_up.weight", (dims.n_ff, dims.n_embd), w),
            _GgufTensor(p + "ffn_down.weight", (dims.n_embd, dims.n_ff), w),
        ]
    tensors.append(_GgufTensor("output_norm.weight", (dims.n_embd,), "F32", "ones"))
    return tensors


def _gguf_tensor_data(spec: _GgufTensor, rng: np.random.Generator) -> np.ndarray:
    """Random weights (normal * 0.02) or ones, in the tensor's storage type; Q8_0 is quantized in numpy."""
    gguf = _import_optional("gguf", "llama GGUF")
    if spec.init == "ones":
        values = np.ones(spec.shape, dtype=np.float32)
    else:
        values = rng.standard_normal(spec.shape, dtype=np.float32)
        values *= 0.02
    if spec.qtype == "F32":
        return values
    if spec.qtype == "F16":
        return values.astype(np.float16)
    qtype = gguf.GGMLQuantizationType[spec.qtype]
    # Quantize in row blocks so the float copy of a 136M-element embedding never exists at once.
    rows = max(1, (1 << 22) // spec.shape[-1])
    parts = [gguf.quants.quantize(values[i : i + rows], qtype) for i in range(0, spec.shape[0], rows)]
    return np.concatenate(parts, axis=0)


def _gguf_tensor_info(spec: _GgufTensor) -> tuple[tuple[int, ...], np.dtype, int, Any]:
    """(shape as GGUFWriter wants it, dtype, nbytes, raw ggml type or None) without making the data."""
    gguf = _import_optional("gguf", "llama GGUF")
    if spec.qtype in ("F32", "F16"):
        dtype = np.dtype(np.float32 if spec.qtype == "F32" else np.float16)
        return spec.shape, dtype, int(np.prod(spec.shape)) * dtype.itemsize, None
    qtype = gguf.GGMLQuantizationType[spec.qtype]
    byte_shape = gguf.quants.quant_shape_to_byte_shape(spec.shape, qtype)
    return byte_shape, np.dtype(np.uint8), int(np.prod(byte_shape)), qtype


def _add_llama_metadata(writer: Any, kind: str, dims: _LlamaDims) -> None:
    gguf = _import_optional("gguf", "llama GGUF")
    writer.add_name(f"assistant stand-in llama {kind}")
    writer.add_description("random weights for tests; generated by assistant.testing.standins")
    file_type = gguf.LlamaFileType.MOSTLY_Q8_0 if dims.weights == "Q8_0" else gguf.LlamaFileType.MOSTLY_F16
    writer.add_file_type(int(file_type))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    writer.add_vocab_size(dims.n_vocab)
    writer.add_context_length(dims.n_ctx)
    writer.add_embedding_length(dims.n_embd)
    writer.add_block_count(dims.n_layer)
    writer.add_feed_forward_length(dims.n_ff)
    writer.add_head_count(dims.n_head)
    writer.add_head_count_kv(dims.n_head_kv)
    writer.add_rope_dimension_count(dims.head_dim)
    writer.add_rope_freq_base(dims.rope_theta)
    writer.add_layer_norm_rms_eps(1e-6)


def _add_spm_tokenizer(writer: Any, dims: _LlamaDims, chat_template: bool) -> None:
    tokens, scores, types = _spm_vocab(dims.n_vocab)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(_UNK)
    writer.add_bos_token_id(_BOS)
    # Chat generation must stop at the end of the assistant's turn, which ChatML marks with <|im_end|>.
    writer.add_eos_token_id(_IM_END if chat_template else _EOS)
    # ChatML models (Qwen) add no BOS; plain SPM llamas do.
    writer.add_add_bos_token(not chat_template)
    writer.add_add_eos_token(False)
    if chat_template:
        writer.add_chat_template(CHATML_TEMPLATE)


def _write_llama_gguf(path: Path, kind: str, dims: _LlamaDims, chat_template: bool) -> None:
    """Stream the file: metadata and tensor table first, then each tensor made just before it is written."""
    gguf = _import_optional("gguf", "llama GGUF")
    writer = gguf.GGUFWriter(path, "llama")
    try:
        _add_llama_metadata(writer, kind, dims)
        _add_spm_tokenizer(writer, dims, chat_template)
        specs = _llama_tensors(dims)
        for spec in specs:
            shape, dtype, nbytes, raw = _gguf_tensor_info(spec)
            writer.add_tensor_info(spec.name, shape, dtype, nbytes, raw_dtype=raw)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        rng = np.random.default_rng(1234)
        for spec in specs:
            writer.write_tensor_data(_gguf_tensor_data(spec, rng))
    finally:
        writer.close()


def llama_gguf(
    kind: LlamaKind = "tiny", cache_dir: Path | str | None = None, chat_template: bool = True
) -> Path:
    """A llama-architecture GGUF with random weights that llama-cpp-python loads and generates from.

    "tiny" (n_embd 64, 2 layers, 512-token vocab, F16) is about 300 kB and made in well under a second;
    "0.5b" has Qwen2.5-0.5B-Instruct's dimensions in Q8_0 (about 0.5 GB, some seconds to make) for
    realistic load and token timings. With `chat_template` the file carries a ChatML template and its EOS is
    <|im_end|>; without it EOS is </s> and there is no template (like stories260K).
    """
    if kind not in _LLAMA_KINDS:
        raise ValueError(f"unknown llama stand-in kind {kind!r}; choose one of {sorted(_LLAMA_KINDS)}")
    dims = _LLAMA_KINDS[kind]
    flavour = "chatml" if chat_template else "nochat"
    target = _cache_dir(cache_dir) / f"llama-{kind}-{flavour}-v{LLAMA_GENERATOR_VERSION}.gguf"
    return _cached(target, lambda temp: _write_llama_gguf(temp, kind, dims, chat_template))


# --------------------------------------------------------------------------------------------------------
# whisper.cpp ggml model
# --------------------------------------------------------------------------------------------------------

_GGML_MAGIC = 0x67676D6C
_GGML_F32, _GGML_F16 = 0, 1  # ggml tensor types, and the header's ftype (ALL_F32, MOSTLY_F16)
_WHISPER_HPARAMS = (
    "n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
    "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels", "ftype",
)
_WHISPER_SOURCES: dict[str, str] = {
    "tiny.en": "whisper/for-tests-ggml-tiny.en.bin",
    "tiny": "whisper/for-tests-ggml-tiny.bin",
}


@dataclass(frozen=True)
class _WhisperPrefix:
    """Everything before the tensors of a whisper.cpp ggml file, parsed as whisper_model_load reads it."""

    hparams: dict[str, int]
    mel_filters: bytes  # n_mel, n_fft, then n_mel * n_fft float32
    vocab: bytes  # count, then (uint32 length, bytes) per token


def _unpack(fmt: str, data: bytes, offset: int) -> tuple[tuple[Any, ...], int]:
    values = struct.unpack_from(fmt, data, offset)
    return values, offset + struct.calcsize(fmt)


def _parse_whisper_prefix(data: bytes) -> _WhisperPrefix:
    (magic,), offset = _unpack("<I", data, 0)
    if magic != _GGML_MAGIC:
        raise ValueError(f"not a whisper.cpp ggml file (magic {magic:#x})")
    values, offset = _unpack(f"<{len(_WHISPER_HPARAMS)}i", data, offset)
    hparams = dict(zip(_WHISPER_HPARAMS, values, strict=True))
    filters_start = offset
    (n_mel, n_fft), offset = _unpack("<2i", data, offset)
    offset += 4 * n_mel * n_fft
    mel_filters = data[filters_start:offset]
    vocab_start = offset
    (n_tokens,), offset = _unpack("<i", data, offset)
    for _ in range(n_tokens):
        (length,), offset = _unpack("<I", data, offset)
        offset += length
    if offset > len(data):
        raise ValueError("truncated whisper.cpp ggml file (vocab runs past the end)")
    # Anything after the vocab (a real model's tensors) is ignored: the stand-in writes its own.
    return _WhisperPrefix(hparams=hparams, mel_filters=mel_filters, vocab=data[vocab_start:offset])


def _whisper_block(prefix: str, state: int, cross: bool) -> list[tuple[str, tuple[int, ...]]]:
    """One transformer block's tensors as (name, ggml ne) in whisper's state-dict naming."""
    attns = ["attn", "cross_attn"] if cross else ["attn"]
    names: list[tuple[str, tuple[int, ...]]] = []
    for attn in attns:
        names += [
            (f"{prefix}.{attn}.query.weight", (state, state)),
            (f"{prefix}.{attn}.query.bias", (state,)),
            (f"{prefix}.{attn}.key.weight", (state, state)),  # no key bias in whisper
            (f"{prefix}.{attn}.value.weight", (state, state)),
            (f"{prefix}.{attn}.value.bias", (state,)),
            (f"{prefix}.{attn}.out.weight", (state, state)),
            (f"{prefix}.{attn}.out.bias", (state,)),
            (f"{prefix}.{attn}_ln.weight", (state,)),
            (f"{prefix}.{attn}_ln.bias", (state,)),
        ]
    names += [
        (f"{prefix}.mlp.0.weight", (state, 4 * state)),
        (f"{prefix}.mlp.0.bias", (4 * state,)),
        (f"{prefix}.mlp.2.weight", (4 * state, state)),
        (f"{prefix}.mlp.2.bias", (state,)),
        (f"{prefix}.mlp_ln.weight", (state,)),
        (f"{prefix}.mlp_ln.bias", (state,)),
    ]
    return names


def _whisper_tensors(h: dict[str, int]) -> list[tuple[str, tuple[int, ...], int]]:
    """(name, ggml ne, ggml type) of every tensor whisper_model_load creates, as convert-pt-to-ggml.py writes.

    Matrices (and conv kernels) are F16; biases, norms, conv biases ([1, n_state]) and positional
    embeddings are F32, because the loader creates those as F32 whatever the file's ftype.
    """
    audio, text = h["n_audio_state"], h["n_text_state"]
    named: list[tuple[str, tuple[int, ...]]] = [
        ("encoder.positional_embedding", (audio, h["n_audio_ctx"])),
        ("encoder.conv1.weight", (3, h["n_mels"], audio)),
        ("encoder.conv1.bias", (1, audio)),
        ("encoder.conv2.weight", (3, audio, audio)),
        ("encoder.conv2.bias", (1, audio)),
    ]
    for i in range(h["n_audio_layer"]):
        named += _whisper_block(f"encoder.blocks.{i}", audio, cross=False)
    named += [("encoder.ln_post.weight", (audio,)), ("encoder.ln_post.bias", (audio,))]
    named += [
        ("decoder.positional_embedding", (text, h["n_text_ctx"])),
        ("decoder.token_embedding.weight", (text, h["n_vocab"])),
    ]
    for i in range(h["n_text_layer"]):
        named += _whisper_block(f"decoder.blocks.{i}", text, cross=True)
    named += [("decoder.ln.weight", (text,)), ("decoder.ln.bias", (text,))]
    f32_names = {"encoder.positional_embedding", "decoder.positional_embedding"}
    return [
        (name, ne, _GGML_F32 if len(ne) < 2 or name in f32_names or name.endswith(".bias") else _GGML_F16)
        for name, ne in named
    ]


def _whisper_tensor_bytes(name: str, ne: tuple[int, ...], ttype: int, rng: np.random.Generator) -> bytes:
    """Tensor record: n_dims, name length, type, ne[], name, data (ne[0] fastest, i.e. numpy ne reversed)."""
    count = int(np.prod(ne))
    values = rng.standard_normal(count, dtype=np.float32) * 0.02
    if name.endswith("ln.weight") or name.endswith("ln_post.weight"):
        values += 1.0  # layer-norm gains near 1 keep activations at a sane scale
    dtype = "<f2" if ttype == _GGML_F16 else "<f4"
    encoded = name.encode("utf-8")
    header = struct.pack(f"<3i{len(ne)}i", len(ne), len(encoded), ttype, *ne)
    return header + encoded + values.astype(dtype).tobytes()


def _write_whisper_ggml(path: Path, prefix: _WhisperPrefix) -> None:
    hparams = dict(prefix.hparams, ftype=_GGML_F16)  # the header's ftype must match the F16 matrices below
    rng = np.random.default_rng(4321)
    with path.open("wb") as out:
        out.write(struct.pack("<I", _GGML_MAGIC))
        out.write(struct.pack(f"<{len(_WHISPER_HPARAMS)}i", *(hparams[k] for k in _WHISPER_HPARAMS)))
        out.write(prefix.mel_filters)
        out.write(prefix.vocab)
        for name, ne, ttype in _whisper_tensors(hparams):
            out.write(_whisper_tensor_bytes(name, ne, ttype, rng))


def whisper_ggml(
    kind: WhisperKind = "tiny.en",
    cache_dir: Path | str | None = None,
    shared_models: Path | str | None = None,
) -> Path:
    """A whisper.cpp ggml model with tiny(.en)'s header, mel filters and vocab and random F16 weights.

    Built from whisper/for-tests-ggml-<kind>.bin in the shared model folder (see `shared_models_dir`);
    about 75 MB, made in about a second. It loads through pywhispercpp and transcribes like the real
    tiny.en (same shapes and types, so same speed), producing garbage text.
    """
    if kind not in _WHISPER_SOURCES:
        raise ValueError(f"unknown whisper stand-in kind {kind!r}; choose one of {sorted(_WHISPER_SOURCES)}")
    target = _cache_dir(cache_dir) / f"ggml-{kind}-standin-v{WHISPER_GENERATOR_VERSION}.bin"
    if target.is_file():
        return target
    source = _shared_file(_WHISPER_SOURCES[kind], shared_models)
    prefix = _parse_whisper_prefix(source.read_bytes())
    return _cached(target, lambda temp: _write_whisper_ggml(temp, prefix))


# --------------------------------------------------------------------------------------------------------
# Piper voice (ONNX + JSON config)
# --------------------------------------------------------------------------------------------------------

_PIPER_SOURCE = "piper/en_US-amy-low.onnx.json"
_PIPER_HOP = 256  # samples per acoustic frame, Piper's hop_length
# At length_scale 1: 32 ms per id at 16 kHz. Ids alternate phoneme and pad, so speech comes out at about a
# real voice's rate (a 100-character sentence lasts ~6 s), which keeps playback durations plausible.
_PIPER_FRAMES_PER_ID = 2
_PIPER_UPSAMPLE = (8, 8, 4)  # like Piper's low-quality HiFi-GAN: 8 * 8 * 4 = 256 samples per frame
_PIPER_CHANNELS = (256, 128, 64, 32)  # frame channels, then after each upsampling stage
_PIPER_BLOCKS_PER_STAGE = 3


class _OnnxGraph:
    """A small builder for an onnx graph: named nodes and seeded random initializers."""

    def __init__(self, onnx: ModuleType, seed: int) -> None:
        self.onnx = onnx
        self.helper = onnx.helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.rng = np.random.default_rng(seed)
        self._count = 0

    def _name(self, op: str) -> str:
        self._count += 1
        return f"{op.lower()}_{self._count}"

    def const(self, value: np.ndarray, name: str | None = None) -> str:
        name = name or self._name("const")
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(value), name))
        return name

    def ints(self, *values: int) -> str:
        """A 1-D int64 constant (axes, shapes, indices)."""
        return self.const(np.array(values, dtype=np.int64))

    def scalar(self, value: float) -> str:
        return self.const(np.array(value, dtype=np.float32))

    def weight(self, shape: tuple[int, ...], scale: float) -> str:
        return self.const((self.rng.standard_normal(shape) * scale).astype(np.float32))

    def op(self, op_type: str, *inputs: str, output: str | None = None, **attrs: Any) -> str:
        output = output or self._name(op_type)
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [output], **attrs))
        return output

    def dense(self, x: str, n_in: int, n_out: int) -> str:
        """x @ W + b with W scaled so activations keep unit variance."""
        product = self.op("MatMul", x, self.weight((n_in, n_out), n_in**-0.5))
        return self.op("Add", product, self.weight((n_out,), 0.1))


def _piper_phoneme_features(g: _OnnxGraph, num_symbols: int, num_speakers: int) -> tuple[str, str]:
    """[N, C0] phoneme features from the ids (plus a speaker embedding), and the ids as int64 [N]."""
    # Batch of one: drop the batch axis and keep the first input_lengths ids, as Piper's masks do.
    ids = g.op("Slice", g.op("Squeeze", "input", g.ints(0)), g.ints(0), "input_lengths")
    channels = _PIPER_CHANNELS[0]
    features = g.op("Gather", g.weight((num_symbols, channels), 1.0), ids, axis=0)
    if num_speakers > 1:
        speaker = g.op("Gather", g.weight((num_speakers, channels), 1.0), "sid", axis=0)  # [1, C0]
        features = g.op("Add", features, speaker)
    features = g.op("Tanh", g.dense(features, channels, channels))
    return g.op("Tanh", g.dense(features, channels, channels)), ids


def _piper_frames_per_id(g: _OnnxGraph) -> str:
    """max(1, round(FRAMES_PER_ID * length_scale)) as int64 [1]: a longer length scale, slower speech."""
    length_scale = g.op("Gather", "scales", g.ints(1), axis=0)
    frames = g.op("Round", g.op("Mul", length_scale, g.scalar(float(_PIPER_FRAMES_PER_ID))))
    return g.op("Max", g.op("Cast", frames, to=g.onnx.TensorProto.INT64), g.ints(1))


def _piper_repeat(g: _OnnxGraph, x: str, frames: str, width: int) -> str:
    """Repeat each row of x [N, width] `frames` times: [N * frames, width] (Piper's duration expansion)."""
    n = g.op("Shape", x, start=0, end=1)
    shape = g.op("Concat", n, frames, g.ints(width), axis=0)
    expanded = g.op("Expand", g.op("Unsqueeze", x, g.ints(1)), shape)
    return g.op("Reshape", expanded, g.ints(-1, width))


def _piper_upsample_stage(g: _OnnxGraph, x: str, n_in: int, n_out: int, factor: int) -> str:
    """[R, n_in] -> [R * factor, n_out], then residual MLP blocks: HiFi-GAN-like cost per output sample."""
    up = g.op("Reshape", g.dense(x, n_in, n_out * factor), g.ints(-1, n_out))
    for _ in range(_PIPER_BLOCKS_PER_STAGE):
        hidden = g.op("Tanh", g.dense(up, n_out, 4 * n_out))
        up = g.op("Add", up, g.op("Mul", g.dense(hidden, 4 * n_out, n_out), g.scalar(0.5)))
    return up


def _piper_tone(g: _OnnxGraph, ids: str, frames: str, sample_rate: int) -> str:
    """A sine per phoneme id (110-335 Hz by id), as [T]: gives the noise a voice-like pitch track."""
    id_class = g.op("Cast", g.op("Mod", ids, g.const(np.array(16, np.int64))), to=g.onnx.TensorProto.FLOAT)
    pitch = g.op("Add", g.op("Mul", id_class, g.scalar(15.0)), g.scalar(110.0))  # Hz, [N]
    per_frame = _piper_repeat(g, g.op("Unsqueeze", pitch, g.ints(1)), frames, 1)  # [M, 1]
    n_samples = g.op("Mul", g.op("Shape", per_frame, start=0, end=1), g.ints(_PIPER_HOP))
    zero, one = g.const(np.array(0, np.int64)), g.const(np.array(1, np.int64))
    sample_index = g.op("Cast", g.op("Range", zero, g.op("Squeeze", n_samples), one), to=g.onnx.TensorProto.FLOAT)
    sample_index = g.op("Reshape", sample_index, g.ints(-1, _PIPER_HOP))  # [M, HOP]
    phase = g.op("Mul", g.op("Mul", per_frame, sample_index), g.scalar(2 * np.pi / sample_rate))
    return g.op("Reshape", g.op("Sin", phase), g.ints(-1))


def _piper_graph(num_symbols: int, num_speakers: int, sample_rate: int) -> Any:
    onnx = _import_optional("onnx", "Piper voice")
    tensor = onnx.TensorProto
    g = _OnnxGraph(onnx, seed=2024 + num_speakers)
    features, ids = _piper_phoneme_features(g, num_symbols, num_speakers)
    frames = _piper_frames_per_id(g)
    x = _piper_repeat(g, features, frames, _PIPER_CHANNELS[0])
    for n_in, n_out, factor in zip(_PIPER_CHANNELS[:-1], _PIPER_CHANNELS[1:], _PIPER_UPSAMPLE, strict=True):
        x = _piper_upsample_stage(g, x, n_in, n_out, factor)
    noise = g.op("Reshape", g.op("Tanh", g.dense(x, _PIPER_CHANNELS[-1], 1)), g.ints(-1))
    # noise_scale (scales[0]) sets how loud the noise is against the tone, as it sets the noise in VITS.
    noise_gain = g.op("Mul", g.op("Gather", "scales", g.ints(0), axis=0), g.scalar(0.05))
    tone = g.op("Mul", _piper_tone(g, ids, frames, sample_rate), g.scalar(0.1))
    audio = g.op("Add", g.op("Mul", noise, noise_gain), tone)
    g.op("Reshape", audio, g.ints(1, 1, 1, -1), output="output")
    inputs = [
        onnx.helper.make_tensor_value_info("input", tensor.INT64, [1, "phonemes"]),
        onnx.helper.make_tensor_value_info("input_lengths", tensor.INT64, [1]),
        onnx.helper.make_tensor_value_info("scales", tensor.FLOAT, [3]),
    ]
    if num_speakers > 1:
        inputs.append(onnx.helper.make_tensor_value_info("sid", tensor.INT64, [1]))
    outputs = [onnx.helper.make_tensor_value_info("output", tensor.FLOAT, [1, 1, 1, "time"])]
    graph = onnx.helper.make_graph(g.nodes, "piper_standin", inputs, outputs, g.initializers)
    # Opset 17 / IR 8 load in onnxruntime releases far older than the one piper-tts pins.
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    return model


def _piper_config(source: dict[str, Any], sample_rate: int, num_speakers: int) -> dict[str, Any]:
    """The real voice's config with our sample rate and speakers; Piper reads only known keys."""
    config = {key: source[key] for key in ("espeak", "inference", "phoneme_type", "phoneme_map",
                                            "phoneme_id_map", "num_symbols", "language") if key in source}
    config["audio"] = {**source.get("audio", {}), "sample_rate": sample_rate, "quality": "low"}
    config["num_speakers"] = num_speakers
    config["speaker_id_map"] = {f"speaker_{i}": i for i in range(num_speakers)} if num_speakers > 1 else {}
    config["piper_version"] = source.get("piper_version", "1.0.0")
    config["dataset"] = "standin"
    config["standin"] = {
        "generator_version": PIPER_GENERATOR_VERSION,
        "samples_per_phoneme_id": _PIPER_HOP * _PIPER_FRAMES_PER_ID,
        "note": "random weights: noise and tones, never speech",
    }
    return config


def _write_piper(onnx_path: Path, json_path: Path, config: dict[str, Any]) -> None:
    """Config first, model last: a present .onnx means its .onnx.json is complete too."""
    max_id = max(i for ids in config["phoneme_id_map"].values() for i in ids)
    num_symbols = max(int(config.get("num_symbols", 0)), max_id + 1)
    model = _piper_graph(num_symbols, config["num_speakers"], config["audio"]["sample_rate"])
    text = json.dumps(config, indent=2, ensure_ascii=False)
    _write_atomically(json_path, lambda temp: temp.write_text(text, encoding="utf-8"))
    _write_atomically(onnx_path, lambda temp: temp.write_bytes(model.SerializeToString()))


def piper_voice(
    cache_dir: Path | str | None = None,
    sample_rate: int = 16000,
    num_speakers: int = 1,
    shared_models: Path | str | None = None,
) -> Path:
    """A Piper voice (.onnx, with .onnx.json beside it) that piper-tts's PiperVoice loads and runs.

    The graph has Piper's signature (input, input_lengths, scales, and sid when multi-speaker; output
    float32 [1, 1, 1, T]) with T = ids * 512 samples at length_scale 1 (2 frames of 256), scaled by the
    length scale. Its work per second of audio (~2 GFLOP through an 8x8x4 upsampler) is of the order of
    a low-quality Piper voice. The config is en_US-amy-low's (phoneme map, espeak voice, inference).
    """
    if sample_rate <= 0 or num_speakers < 1:
        raise ValueError(f"need sample_rate > 0 and num_speakers >= 1, got {sample_rate}, {num_speakers}")
    name = f"en_US-standin_sr{sample_rate}_spk{num_speakers}_v{PIPER_GENERATOR_VERSION}-low.onnx"
    onnx_path = _cache_dir(cache_dir) / name
    json_path = onnx_path.with_name(name + ".json")
    if onnx_path.is_file() and json_path.is_file():
        return onnx_path
    source = json.loads(_shared_file(_PIPER_SOURCE, shared_models).read_text(encoding="utf-8"))
    _write_piper(onnx_path, json_path, _piper_config(source, sample_rate, num_speakers))
    return onnx_path
