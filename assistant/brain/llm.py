"""The language model: chat on any GGUF through llama.cpp (llama-cpp-python), streamed and cancellable.

`LlamaChat.chat(messages, cancel)` returns an iterator of text pieces as the tokens come. It drives llama.cpp
at the token level so that three things hold:
- the prompt is the file's own chat template (`tokenizer.chat_template`) rendered with Jinja, or ChatML when
  the file has no template but knows `<|im_start|>`, or a plain "User: ... / Assistant:" completion prompt
  (or a llama.cpp built-in template named by `llm.chat_format`); the log says which one at load;
- a new turn evaluates only its new tokens: the prompt is compared with the tokens already in llama.cpp's
  KV cache and only what follows the longest common prefix (the system prompt, the earlier turns) is
  evaluated; `warm_up` puts the system prompt in the cache before the first turn;
- generation stops within one token when `cancel` is set: the event is checked between two tokens, and
  between prompt chunks of `PROMPT_CHUNK` tokens while the prompt is evaluated.
The prompt always fits the context: oldest turns are dropped and a giant user message is cut (see
assistant.brain.history), and the reply stops at the end of the context.

One model serves one reply at a time: the brain thread consumes the iterator, other threads only set
`cancel`. Reading `stats` from another thread is safe (it is replaced, never changed in place).
"""

from __future__ import annotations

import codecs
import ctypes
import dataclasses
import logging
import os
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from assistant.errors import ConfigurationError, ModelError, import_optional

if TYPE_CHECKING:
    from assistant.config import LlmConfig

log = logging.getLogger(__name__)

Role = Literal["system", "user", "assistant"]

# Prompt tokens evaluated per llama.cpp call: cancellation is checked between chunks. Bigger chunks evaluate a
# little faster per token but keep a barge-in waiting longer (see `assistant bench llm`).
PROMPT_CHUNK = 32
# Room the system prompt and max_tokens must leave in the context for the user's message.
MIN_USER_ROOM = 32
_GGUF_MAGIC = b"GGUF"
_GGUF_HEADER = struct.Struct("<4sIQQ")  # magic, version, tensor count, metadata key-value count
_CHATML_START = "<|im_start|>"
_PLAIN_STOPS = ("\nUser:", "\nuser:", "\nUSER:")


@dataclass(frozen=True)
class Message:
    """One message of a conversation, as the chat template sees it."""

    role: Role
    text: str


class ChatModel(Protocol):
    """A chat model: streams a reply to a conversation. Implemented by LlamaChat."""

    @property
    def n_ctx(self) -> int:
        """The context window in tokens: the prompt and the reply together never exceed it."""
        ...

    def chat(self, messages: Sequence[Message], cancel: threading.Event | None = None) -> Iterator[str]:
        """The reply to `messages` (the last one the user's), as text pieces while they are generated."""
        ...

    def count_tokens(self, text: str) -> int:
        """How many tokens `text` takes in this model's vocabulary (without template markers)."""
        ...


StopReason = Literal["", "end", "max_tokens", "cancelled"]


@dataclass(frozen=True)
class ReplyStats:
    """What one reply cost: the prompt split into reused and evaluated tokens, and the timings."""

    prompt_tokens: int = 0  # the rendered prompt
    cached_tokens: int = 0  # reused from llama.cpp's KV cache (the common prefix with the previous turn)
    evaluated_tokens: int = 0  # prompt tokens evaluated for this reply (prompt - cached)
    generated_tokens: int = 0  # tokens sampled, including the one that ended the reply
    # Seconds from the chat() call (which renders and tokenizes the prompt) until:
    prompt_s: float = 0.0  # the prompt was evaluated
    first_token_s: float = 0.0  # the first token was sampled
    total_s: float = 0.0  # the reply ended
    stop: StopReason = ""  # why it ended; empty while it runs


# ------------------------------------------------------------------------------------------ the GGUF file


def check_gguf(path: Path) -> None:
    """Refuse a file llama.cpp cannot load, with a message that says what is wrong and how to fix it.

    Only the header is read (magic, version, counts): parsing the whole file with the `gguf` package takes
    6 s for a 0.5B model, and llama.cpp itself checks that every tensor lies within the file and raises
    (no crash) on a truncated or damaged file, which LlamaChat turns into a ModelError.
    """
    fix = "set [llm] model to a GGUF file (or pass --model), or install one with `assistant models pull`"
    if not path.exists():
        raise ModelError(f"{path}: model file not found; {fix}")
    if not path.is_file():
        raise ModelError(f"{path}: is not a file; {fix}")
    size = path.stat().st_size
    with path.open("rb") as handle:
        header = handle.read(_GGUF_HEADER.size)
    if header[:4] != _GGUF_MAGIC:
        raise ModelError(
            f"{path}: not a GGUF file (it starts with {header[:4]!r}, not b'GGUF'); llama.cpp needs a .gguf "
            f"model (old GGML .bin files must be converted); {fix}"
        )
    if len(header) < _GGUF_HEADER.size:
        raise ModelError(f"{path}: truncated GGUF file ({size} bytes); download it again; {fix}")
    _, version, n_tensors, n_kv = _GGUF_HEADER.unpack(header)
    if version not in (2, 3):
        raise ModelError(
            f"{path}: GGUF version {version} is not supported (2 or 3 expected); use a current conversion "
            f"of the model, or update llama-cpp-python if the file is newer"
        )
    # Each tensor needs a table entry of at least 25 bytes and each key-value at least 13: a file smaller
    # than that is cut short or its header is garbage.
    if n_tensors == 0 or size < _GGUF_HEADER.size + 25 * n_tensors + 13 * n_kv:
        raise ModelError(
            f"{path}: damaged or truncated GGUF file ({size} bytes for {n_tensors} tensors); "
            f"download it again and check it with `assistant models verify`"
        )


# ------------------------------------------------------------------------------------------ chat templates


@dataclass(frozen=True)
class PromptFormat:
    """How messages become the prompt text, and which texts end a reply besides end-of-generation tokens."""

    name: str  # said in the log at load
    render: Callable[[Sequence[Message]], str]
    stop_strings: tuple[str, ...] = ()


def plain_format(messages: Sequence[Message]) -> str:
    """A completion prompt for models with no chat template: the system text, then User:/Assistant: lines."""
    lines = []
    for message in messages:
        if message.role == "system":
            lines.append(f"{message.text}\n")
        else:
            lines.append(f"{'User' if message.role == 'user' else 'Assistant'}: {message.text}")
    return "\n".join(lines) + "\nAssistant:"


def builtin_template_names() -> list[str]:
    """The chat templates llama.cpp knows by name (chatml, llama3, gemma, phi3, ...)."""
    llama_cpp = import_optional("llama_cpp", engine="llama", extra="llm")
    count = llama_cpp.llama_chat_builtin_templates(None, 0)
    names = (ctypes.c_char_p * count)()
    llama_cpp.llama_chat_builtin_templates(names, count)
    return [name.decode() for name in names]


def _builtin_format(name: str) -> Callable[[Sequence[Message]], str]:
    """A llama.cpp built-in template (no Jinja inside: llama.cpp knows each format by name)."""
    llama_cpp = import_optional("llama_cpp", engine="llama", extra="llm")

    def render(messages: Sequence[Message]) -> str:
        encoded = [(m.role.encode(), m.text.encode()) for m in messages]
        chat = (llama_cpp.llama_chat_message * len(encoded))(
            *(llama_cpp.llama_chat_message(role, text) for role, text in encoded)
        )
        size = 2 * sum(len(text) + 16 for _, text in encoded) + 256
        for _ in range(2):  # the first call says how big the buffer must be when it was too small
            buffer = ctypes.create_string_buffer(size)
            needed = llama_cpp.llama_chat_apply_template(name.encode(), chat, len(encoded), True, buffer, size)
            if needed < 0:
                raise ValueError(f"llama.cpp does not know the chat template {name!r}")
            if needed < size:
                return buffer.raw[:needed].decode("utf-8", errors="replace")
            size = needed + 1
        raise RuntimeError("llama_chat_apply_template kept asking for a bigger buffer")

    return render


def _jinja_format(template: str, bos: str, eos: str) -> Callable[[Sequence[Message]], str]:
    """The GGUF's own Jinja template, rendered as Hugging Face's apply_chat_template does."""
    chat_format = import_optional("llama_cpp.llama_chat_format", engine="llama", extra="llm")
    formatter = chat_format.Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos, add_generation_prompt=True)

    def render(messages: Sequence[Message]) -> str:
        dicts = [{"role": m.role, "content": m.text} for m in messages]
        try:
            return formatter(messages=dicts).prompt
        except Exception:
            # Some templates (Gemma's) refuse a system role: fold the system text into the first user turn.
            if not messages or messages[0].role != "system" or len(messages) < 2:
                raise
            system, first, *rest = messages
            merged = [Message("user", f"{system.text}\n\n{first.text}"), *rest]
            return formatter(messages=[{"role": m.role, "content": m.text} for m in merged]).prompt

    return render


# ------------------------------------------------------------------------------------------------- output


class _StopStrings:
    """Holds back text that may be the start of a stop string, so that no part of a stop string is shown."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = tuple(stops)
        self._pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        self._pending += text
        found = [i for i in (self._pending.find(s) for s in self._stops) if i >= 0]
        if found:
            self.stopped = True
            out, self._pending = self._pending[: min(found)], ""
            return out
        keep = max(
            (k for s in self._stops for k in range(1, len(s)) if self._pending.endswith(s[:k])), default=0
        )
        out, self._pending = self._pending[: len(self._pending) - keep], self._pending[len(self._pending) - keep :]
        return out

    def flush(self) -> str:
        out, self._pending = self._pending, ""
        return out


class TextStream:
    """Token bytes to text: a character split across tokens (UTF-8 bytes of an emoji, say) waits until whole."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._started = False

    def feed(self, piece: bytes, final: bool = False) -> str:
        text = self._decoder.decode(piece, final)
        if not self._started:
            # Word-initial tokens carry a leading space (" Hello"); a reply starts at its first word.
            text = text.lstrip()
            self._started = bool(text)
        return text


# ---------------------------------------------------------------------------------------------- the model


class LlamaChat:
    """A GGUF chat model on llama.cpp. Implements ChatModel."""

    def __init__(self, path: Path, config: LlmConfig) -> None:
        path = Path(path).expanduser()
        check_gguf(path)
        # llama.cpp's OpenMP threads spin while they wait for work; when other threads want the cores (TTS,
        # audio; other processes) that starves everyone: measured on 2 busy cores, 32 prompt tokens took
        # 2.7 s spinning, 0.54 s passive. Read when libgomp loads, so set before the first llama_cpp import.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        llama_cpp = import_optional("llama_cpp", engine="llama", extra="llm")
        self._llama_cpp = llama_cpp
        self.path = path
        self.config = config
        self.threads = threads = config.n_threads or os.cpu_count() or 1
        # llama.cpp's own log (hundreds of lines per load) only when the assistant logs at debug level.
        verbose = log.isEnabledFor(logging.DEBUG)
        started = time.perf_counter()
        try:
            self._llm = llama_cpp.Llama(
                str(path),
                n_ctx=config.n_ctx,
                n_batch=min(512, config.n_ctx),
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=config.n_gpu_layers,
                verbose=verbose,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"{path}: llama.cpp could not load it ({exc}): the file is truncated or damaged, or of a model "
                f"architecture this llama-cpp-python does not know; download it again (`assistant models "
                f"verify` checks it), update llama-cpp-python, or set [llm] model to another GGUF"
            ) from exc
        self.load_s = time.perf_counter() - started
        self._vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
        self.format = self._choose_format(config.chat_format)
        self.stats = ReplyStats()
        log.info(
            "LLM %s: %d-token context, %d threads, %d GPU layers, loaded in %.2f s; prompt format: %s",
            path.name, self.n_ctx, threads, config.n_gpu_layers, self.load_s, self.format.name,
        )
        self._check_room()

    # --------------------------------------------------------------------------------------------- setup

    @property
    def n_ctx(self) -> int:
        return int(self._llm.n_ctx())

    def _piece(self, token: int) -> str:
        return self._llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    def _choose_format(self, chat_format: str) -> PromptFormat:
        if chat_format == "plain":
            return PromptFormat("plain User:/Assistant: prompt (llm.chat_format)", plain_format, _PLAIN_STOPS)
        if chat_format != "auto":
            names = builtin_template_names()
            if chat_format not in names:
                raise ConfigurationError(
                    f'llm.chat_format = "{chat_format}" is not a chat template llama.cpp knows; use "auto" '
                    f'(the GGUF\'s own), "plain", or one of: {", ".join(names)}'
                )
            return PromptFormat(f"llama.cpp's {chat_format} template (llm.chat_format)", _builtin_format(chat_format))
        template = self._llm.metadata.get("tokenizer.chat_template")
        if template:
            bos, eos = self._piece(self._llm.token_bos()), self._piece(self._llm.token_eos())
            render = _jinja_format(template, bos, eos)
            try:
                render([Message("system", "s"), Message("user", "u"), Message("assistant", "a"), Message("user", "v")])
                return PromptFormat("the GGUF's chat template", render)
            except Exception as exc:  # Jinja raises its own errors, and templates raise ValueError
                log.warning(
                    "%s: its chat template does not render (%s); falling back; set llm.chat_format to the "
                    "model's format (llama3, gemma, phi3, ...) if replies look wrong", self.path, exc,
                )
        if len(self._llm.tokenize(_CHATML_START.encode(), add_bos=False, special=True)) == 1:
            return PromptFormat("ChatML (the GGUF has no chat template; its vocab has <|im_start|>)",
                                _builtin_format("chatml"))
        return PromptFormat(
            "plain User:/Assistant: prompt (the GGUF has no chat template and no ChatML tokens)",
            plain_format, _PLAIN_STOPS,
        )

    def _check_room(self) -> None:
        """The system prompt and the longest reply must leave room for what the user says."""
        system = self.config.system_prompt
        base = [Message("system", system)] if system else []
        used = len(self.tokenize([*base, Message("user", "")])) + self.config.max_tokens
        if used + MIN_USER_ROOM > self.n_ctx:
            raise ConfigurationError(
                f"llm.system_prompt (with its template) and llm.max_tokens = {self.config.max_tokens} take "
                f"{used} of the {self.n_ctx} tokens of llm.n_ctx, leaving no room for the user's words; "
                f"raise llm.n_ctx, lower llm.max_tokens or shorten llm.system_prompt"
            )

    # ------------------------------------------------------------------------------------------- tokens

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def tokenize(self, messages: Sequence[Message]) -> list[int]:
        """The prompt for `messages` as tokens, exactly as `chat` evaluates it."""
        prompt = self.format.render(messages)
        # add_bos adds BOS only when the vocab asks for it; a template that writes BOS itself then gives two.
        tokens = self._llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        bos = self._llm.token_bos()
        if len(tokens) >= 2 and tokens[0] == tokens[1] == bos:
            del tokens[0]
        return tokens

    def _fit(self, messages: Sequence[Message]) -> list[int]:
        """The prompt's tokens, leaving max_tokens of room for the reply (oldest turns dropped if needed)."""
        # Imported here: history imports Message from this module.
        from assistant.brain.history import fit

        tokens = self.tokenize(messages)
        budget = self.n_ctx - self.config.max_tokens
        if len(tokens) <= budget:
            return tokens
        log.info("prompt of %d tokens exceeds %d (n_ctx - max_tokens): fitting it", len(tokens), budget)
        return self.tokenize(fit(messages, budget, lambda m: len(self.tokenize(m))))

    # ------------------------------------------------------------------------------------------ replies

    def chat(self, messages: Sequence[Message], cancel: threading.Event | None = None) -> Iterator[str]:
        """Stream the reply. Raises ValueError at once for an empty conversation or an empty last message."""
        if not messages or messages[-1].role != "user":
            raise ValueError("chat() needs a conversation that ends with the user's message")
        if not messages[-1].text.strip():
            raise ValueError("the user's message is empty: there is nothing to answer")
        started = time.perf_counter()
        tokens = self._fit(messages)
        return self._reply(tokens, cancel or threading.Event(), started)

    def warm_up(self, system_prompt: str | None = None) -> int:
        """Evaluate the system prompt's tokens now, so the first turn only evaluates the user's message.

        Returns the number of tokens now cached. The prefix is what two conversations with different user
        messages have in common after rendering.
        """
        system = self.config.system_prompt if system_prompt is None else system_prompt
        base = [Message("system", system)] if system else []
        first = self.tokenize([*base, Message("user", "a")])
        second = self.tokenize([*base, Message("user", "b")])
        prefix = first[: self._llm.longest_token_prefix(first, second)]
        cached = self._reuse_cache(prefix, len(prefix))
        self._llm.eval(prefix[cached:])
        return len(prefix)

    def reset_cache(self) -> None:
        """Forget every cached token (the next reply evaluates its whole prompt): for benchmarks."""
        self._reuse_cache([], 0)

    def _reuse_cache(self, tokens: list[int], limit: int) -> int:
        """Keep at most `limit` tokens of the KV cache's common prefix with `tokens`; returns how many."""
        llm = self._llm
        cached = min(limit, llm.longest_token_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens))
        if cached < llm.n_tokens:
            memory = self._llama_cpp.llama_get_memory(llm.ctx)
            # Recurrent models (Mamba, RWKV) cannot forget a suffix: they start over.
            if not self._llama_cpp.llama_memory_seq_rm(memory, -1, cached, -1):
                llm.reset()
                cached = 0
        llm.n_tokens = cached
        return cached

    def _is_end(self, token: int) -> bool:
        # Control tokens (<|im_start|>, <s>) are never part of a spoken reply; a model that writes one has
        # begun another turn.
        return bool(
            self._llama_cpp.llama_vocab_is_eog(self._vocab, token)
            or self._llama_cpp.llama_vocab_is_control(self._vocab, token)
        )

    def _reply(self, tokens: list[int], cancel: threading.Event, started: float) -> Iterator[str]:
        llm, config = self._llm, self.config
        # The last prompt token is always evaluated again: sampling needs the logits it produces.
        cached = self._reuse_cache(tokens, len(tokens) - 1)
        stats = ReplyStats(prompt_tokens=len(tokens), cached_tokens=cached)
        self.stats = stats
        for start in range(cached, len(tokens), PROMPT_CHUNK):
            if cancel.is_set():
                self.stats = dataclasses.replace(stats, stop="cancelled", total_s=time.perf_counter() - started)
                return
            llm.eval(tokens[start : start + PROMPT_CHUNK])
            stats = dataclasses.replace(stats, evaluated_tokens=min(len(tokens), start + PROMPT_CHUNK) - cached)
            self.stats = stats
        stats = dataclasses.replace(stats, prompt_s=time.perf_counter() - started)
        self.stats = stats
        room = min(config.max_tokens, self.n_ctx - len(tokens))
        text = TextStream()
        stops = _StopStrings(self.format.stop_strings)
        # reset=False: continue from the state evaluated above; generate() evaluates each sampled token
        # when asked for the next one, so a token that ends the reply is never evaluated.
        generator = llm.generate([], reset=False, temp=config.temperature, top_p=config.top_p)
        stop: StopReason = "max_tokens"
        try:
            while True:
                if cancel.is_set():
                    stop = "cancelled"
                    break
                token = next(generator)
                generated = stats.generated_tokens + 1
                stats = dataclasses.replace(
                    stats,
                    generated_tokens=generated,
                    first_token_s=stats.first_token_s or time.perf_counter() - started,
                )
                self.stats = stats
                if cancel.is_set():
                    stop = "cancelled"
                    break
                if self._is_end(token):
                    stop = "end"
                    break
                piece = stops.feed(text.feed(llm.detokenize([token])))
                if piece:
                    yield piece
                if stops.stopped:
                    stop = "end"
                    break
                if generated >= room:
                    break
            if stop != "cancelled" and not stops.stopped:
                tail = stops.feed(text.feed(b"", final=True))
                tail += "" if stops.stopped else stops.flush()
                if tail.strip():
                    yield tail.rstrip()
        finally:
            generator.close()
            self.stats = dataclasses.replace(stats, stop=stop, total_s=time.perf_counter() - started)

    def eval_counts(self) -> tuple[int, int]:
        """llama.cpp's own counters: (tokens evaluated in batches of several, tokens evaluated one at a time).

        Independent of this class's bookkeeping, so tests can check the prefix cache against llama.cpp.
        """
        self._llama_cpp.llama_synchronize(self._llm.ctx)  # counters are updated when results are collected
        data = self._llama_cpp.llama_perf_context(self._llm.ctx)
        return int(data.n_p_eval), int(data.n_eval)

    def close(self) -> None:
        """Free llama.cpp's memory now (the model, KV cache and buffers) rather than at garbage collection."""
        self._llm.close()

    def __enter__(self) -> LlamaChat:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
