"""whisper.cpp through pywhispercpp: the most accurate final transcripts, with language detection.

Whisper is not streaming: `feed()` only collects audio, `finish()` transcribes the utterance. Its encoder
always works on a 30 s window, so an utterance costs about the same however short it is (and longer audio is
handled by whisper.cpp's own windowing). whisper.cpp releases the GIL while it computes.

The model file is checked before whisper.cpp sees it: pywhispercpp takes a name it cannot find as a model to
download, and whisper.cpp, given a truncated or header-only file, returns a broken context that crashes the
process in transcribe(). `check_ggml` walks the file's header, vocabulary and tensor table instead.
"""

from __future__ import annotations

import atexit
import logging
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from assistant.errors import ConfigurationError, ModelError, import_optional
from assistant.speech.stt import SAMPLE_RATE, ComputeClock, Transcript, Word, check_pcm

cpp_log = logging.getLogger("assistant.whisper.cpp")  # whisper.cpp's own messages, routed into logging

_GGML_MAGIC = 0x67676D6C
_HPARAMS = (
    "n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
    "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels", "ftype",
)
# ggml tensor types found in whisper.cpp model files: (elements per block, bytes per block).
_TYPE_SIZES = {
    0: (1, 4), 1: (1, 2), 30: (1, 2),  # F32, F16, BF16
    2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),  # Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),  # Q2_K..Q8_K
}
_SIZES = {4: "tiny", 6: "base", 12: "small", 24: "medium", 32: "large"}  # by encoder layers
_MULTILINGUAL_VOCAB = 51865  # whisper.cpp: n_vocab >= 51865 means a multilingual model
_MIN_SAMPLES = SAMPLE_RATE  # whisper.cpp skips input under 100 ms; pad to 1 s, free (the window is 30 s anyway)
_GGML_LOG_WARN, _GGML_LOG_ERROR = 3, 4  # ggml_log_level: 1 debug, 2 info, 3 warn, 4 error


@dataclass(frozen=True)
class GgmlInfo:
    """What the header of a whisper.cpp model file says."""

    hparams: dict[str, int]
    tensors: int

    @property
    def multilingual(self) -> bool:
        return self.hparams["n_vocab"] >= _MULTILINGUAL_VOCAB

    @property
    def size(self) -> str:
        return _SIZES.get(self.hparams["n_audio_layer"], f"{self.hparams['n_audio_layer']}-layer")


class _Reader:
    """Little-endian fields from a model file, with the file's name in every error."""

    def __init__(self, handle: BinaryIO, path: Path, size: int) -> None:
        self.handle, self.path, self.size = handle, path, size

    def ints(self, count: int, what: str, fmt: str = "i") -> tuple[int, ...]:
        data = self.handle.read(4 * count)
        if len(data) < 4 * count:
            raise self.truncated(what)
        return struct.unpack(f"<{count}{fmt}", data)

    def skip(self, count: int, what: str) -> None:
        end = self.handle.tell() + count
        if count < 0 or end > self.size:
            raise self.truncated(what)
        self.handle.seek(end)

    def truncated(self, what: str) -> ModelError:
        return ModelError(
            f"{self.path}: the whisper.cpp model file is truncated or corrupt ({what} runs past its end at "
            f"{self.size} bytes); download it again (assistant models pull NAME) or fix stt.whisper_model"
        )


def check_ggml(path: Path) -> GgmlInfo:
    """Check that `path` is a complete whisper.cpp ggml model; raises ModelError saying what is wrong."""
    if not path.is_file():
        what = "is a folder, not a model file" if path.is_dir() else "does not exist"
        raise ModelError(
            f"{path} {what}: stt.whisper_model (or --model) must name a whisper.cpp ggml file such as "
            "ggml-tiny.en.bin; `assistant models list` shows the installable ones"
        )
    size = path.stat().st_size
    with path.open("rb") as handle:
        read = _Reader(handle, path, size)
        magic = handle.read(4)
        if len(magic) < 4 or struct.unpack("<I", magic)[0] != _GGML_MAGIC:
            kind = "a GGUF file (llama.cpp's format)" if magic == b"GGUF" else "not a whisper.cpp ggml model"
            raise ModelError(
                f"{path}: {kind}: the file does not start with the ggml magic; whisper needs a ggml .bin "
                "such as ggml-tiny.en.bin (stt.whisper_model)"
            )
        hparams = dict(zip(_HPARAMS, read.ints(len(_HPARAMS), "the header"), strict=True))
        if any(value <= 0 for key, value in hparams.items() if key != "ftype"):
            raise ModelError(f"{path}: the whisper.cpp header is corrupt (dimensions {hparams})")
        n_mel, n_fft = read.ints(2, "the mel filters")
        read.skip(4 * n_mel * n_fft, "the mel filters")
        (n_tokens,) = read.ints(1, "the vocabulary")
        for _ in range(n_tokens):
            (length,) = read.ints(1, "the vocabulary", "I")
            read.skip(length, "the vocabulary")
        tensors = _count_tensors(read)
    expected = 11 + 15 * hparams["n_audio_layer"] + 24 * hparams["n_text_layer"]
    if tensors == 0:
        raise ModelError(
            f"{path}: the file has a whisper.cpp header and vocabulary but no weights (a test file?); "
            "stt.whisper_model must name a complete model"
        )
    if tensors != expected:
        raise ModelError(
            f"{path}: the file holds {tensors} tensors where its dimensions need {expected}; it is damaged or "
            "not a whisper model: download it again (assistant models pull NAME)"
        )
    return GgmlInfo(hparams, tensors)


def _count_tensors(read: _Reader) -> int:
    """Walk the tensor records (dims, name length, type, shape, name, data) to the end of the file."""
    count = 0
    while True:
        header = read.handle.read(12)
        if not header:
            return count
        if len(header) < 12:
            raise read.truncated(f"tensor {count + 1}")
        n_dims, name_length, ttype = struct.unpack("<3i", header)
        if not 1 <= n_dims <= 4 or not 0 < name_length < 256 or ttype not in _TYPE_SIZES:
            raise ModelError(
                f"{read.path}: tensor {count + 1} of the whisper.cpp model has a corrupt record "
                f"(dims {n_dims}, type {ttype}); download the model again"
            )
        shape = read.ints(n_dims, f"tensor {count + 1}")
        name = read.handle.read(name_length).decode("utf-8", "replace")
        block, block_bytes = _TYPE_SIZES[ttype]
        read.skip(int(np.prod(shape)) // block * block_bytes, f"tensor {name}")
        count += 1


def _route_logs(level: int, text: str) -> None:
    """whisper.cpp's log lines go to Python logging (debug), its warnings and errors as such."""
    if text.strip():
        python_level = {_GGML_LOG_WARN: logging.WARNING, _GGML_LOG_ERROR: logging.ERROR}.get(level, logging.DEBUG)
        cpp_log.log(python_level, text.rstrip())


def _validated_language(language: str, info: GgmlInfo, path: Path, binding: Any) -> str:
    """The language to ask whisper.cpp for ("auto" to detect), or a ConfigurationError."""
    if language != "auto" and binding.whisper_lang_id(language) < 0:
        raise ConfigurationError(
            f'stt.language = "{language}" is not a language whisper knows: use an ISO 639-1 code (en, de, fr...) '
            "or auto"
        )
    if info.multilingual:
        return language
    if language in ("en", "auto"):
        return "en"  # an English-only model: nothing to detect
    raise ConfigurationError(
        f'{path.name} is an English-only whisper model, so stt.language = "{language}" cannot be transcribed: '
        "use a multilingual model (ggml-tiny.bin, ggml-base.bin...) for stt.whisper_model, or set "
        'stt.language = "en"'
    )


class WhisperRecognizer:
    """A whisper.cpp model behind the Recognizer contract (finals only)."""

    streaming = False

    def __init__(
        self,
        model: Path,
        *,
        language: str = "en",
        threads: int = 2,
        max_tokens_per_s: float = 0.0,
        fallback: bool = True,
    ) -> None:
        """`language`: ISO 639-1 code or "auto". `max_tokens_per_s`: cap on decoded tokens per second of
        audio, 0 for none (real speech needs about 3; a random-weight stand-in never stops by itself).
        `fallback`: decode again at a higher temperature when a result looks like a loop (whisper.cpp's
        default; off makes the decode time predictable)."""
        info = check_ggml(model)
        model_module = import_optional("pywhispercpp.model", engine="whisper", extra="whisper")
        binding = import_optional("_pywhispercpp", engine="whisper", extra="whisper")  # its C++ binding
        self._language = _validated_language(language, info, model, binding)
        self._binding = binding
        logging.getLogger("pywhispercpp").setLevel(logging.WARNING)  # it logs "Transcribing ..." every call
        self._model = _load(model_module.Model, binding, model, dict(
            n_threads=threads,
            language="" if self._language == "auto" else self._language,  # empty: detect (no error logged)
            print_progress=False,
            print_realtime=False,
            print_timestamps=False,
            suppress_nst=True,  # no "[MUSIC]", "(laughs)" and the like
            token_timestamps=True,  # with max_len 1 and split_on_word: one segment per word, with times
            max_len=1,
            split_on_word=True,
            **({} if fallback else {"temperature_inc": 0.0}),
        ))
        self._max_tokens_per_s = max_tokens_per_s
        self.name = f"whisper.cpp ({model.name}, {info.size}, {threads} thread{'s' if threads > 1 else ''})"
        self._pending: list[np.ndarray] = []
        self._samples = 0

    def begin(self) -> None:
        self._pending.clear()
        self._samples = 0

    def feed(self, pcm: np.ndarray) -> str | None:
        pcm = check_pcm(pcm)
        self._pending.append(pcm)
        self._samples += len(pcm)
        return None

    def finish(self) -> Transcript:
        clock = ComputeClock()
        with clock:
            audio = np.concatenate(self._pending) if self._pending else np.zeros(0, dtype=np.int16)
            self._pending.clear()
            samples = np.zeros(max(len(audio), _MIN_SAMPLES), dtype=np.float32)
            samples[: len(audio)] = audio / 32768.0
            limit: dict[str, int] = {}
            if self._max_tokens_per_s > 0:  # per 30 s window, which is what whisper.cpp counts
                limit["max_tokens"] = math.ceil(self._max_tokens_per_s * min(len(samples) / SAMPLE_RATE, 30.0)) + 4
            segments = self._model.transcribe(samples, extract_probability=True, **limit)
            language = self._language
            if language == "auto":
                # The detected language; pywhispercpp keeps the whisper.cpp context in _ctx.
                language = self._binding.whisper_lang_str(self._binding.whisper_full_lang_id(self._model._ctx))
        words = speech_only([
            Word(
                text=segment.text,
                start_s=segment.t0 / 100,  # whisper.cpp times are in 10 ms units
                end_s=segment.t1 / 100,
                conf=None if np.isnan(segment.probability) else float(segment.probability),
            )
            for segment in segments
            if segment.text
        ])
        return Transcript(
            text=" ".join(word.text for word in words),
            language=language,
            words=words,
            audio_s=self._samples / SAMPLE_RATE,
            compute_s=clock.seconds,
            engine=self.name,
        )


def speech_only(words: list[Word]) -> tuple[Word, ...]:
    """The words without whisper's notes on what is not speech ("[BLANK_AUDIO]", "(upbeat music)"): runs of
    words from one that opens a bracket to one that closes it. An unclosed bracket is kept."""
    kept: list[Word] = []
    opened: int | None = None
    for word in words:
        if opened is None and word.text.startswith(("[", "(")):
            opened = len(kept)
        kept.append(word)
        if opened is not None and word.text.endswith(("]", ")")):
            del kept[opened:]
            opened = None
    return tuple(kept)


def _load(model_class: Callable[..., Any], binding: Any, path: Path, params: dict[str, Any]) -> Any:
    """Construct pywhispercpp's Model with whisper.cpp's log routed to logging, and see that the load worked:
    a failed load still returns an object, whose first transcribe() would crash the process."""
    errors: list[str] = []

    def collect(level: int, text: str) -> None:
        _route_logs(level, text)
        if level >= _GGML_LOG_ERROR:
            errors.append(text.strip())

    # A Python log callback called while the interpreter shuts down (a model freed late) aborts the process:
    # whisper.cpp gets its default logger back at exit. unregister first: registered once per process.
    atexit.unregister(binding.whisper_log_set)
    atexit.register(binding.whisper_log_set, None)
    binding.whisper_log_set(collect)
    try:
        # An absolute path to an existing file: pywhispercpp uses it as is and never looks for a download.
        model = model_class(str(path.resolve()), redirect_whispercpp_logs_to=False, **params)
    finally:
        binding.whisper_log_set(_route_logs)
    if any("failed to load" in line for line in errors):
        raise ModelError(f"{path}: whisper.cpp cannot load this model: {'; '.join(errors)}")
    return model
