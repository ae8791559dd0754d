"""The llama.cpp chat model: prompt formats, streaming, cancellation within one token, the prefix cache.

Real llama.cpp throughout: stories260K.gguf (a real model with no chat template) and the tiny random-weight
stand-in whose metadata carries a ChatML template.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.brain.llm import LlamaChat, Message, TextStream, _StopStrings
from assistant.config import LlmConfig
from assistant.errors import ConfigurationError
from assistant.testing import standins

pytest.importorskip("llama_cpp")

CONFIG = LlmConfig(n_ctx=512, n_threads=1, max_tokens=48, system_prompt="You are brief.")
SYSTEM = Message("system", CONFIG.system_prompt)


@pytest.fixture(scope="module")
def stories_path(shared_models: Path) -> Path:
    return shared_models / "llm" / "stories260K.gguf"


@pytest.fixture(scope="module")
def stories(stories_path: Path) -> Iterator[LlamaChat]:
    with LlamaChat(stories_path, CONFIG) as model:
        model.warm_up()  # also makes llama.cpp's counters exact (they read at least 1 before any evaluation)
        yield model


@pytest.fixture(scope="module")
def chatml() -> Iterator[LlamaChat]:
    with LlamaChat(standins.llama_gguf("tiny"), CONFIG) as model:
        model.warm_up()
        yield model


def _reply(model: LlamaChat, *messages: Message, cancel: threading.Event | None = None) -> list[str]:
    return list(model.chat([SYSTEM, *messages], cancel))


# ---------------------------------------------------------------------------------------- prompt formats


def test_a_model_without_chat_template_gets_a_plain_prompt_and_streams_text(stories: LlamaChat) -> None:
    assert stories.format.name.startswith("plain")
    assert stories.format.render([SYSTEM, Message("user", "Hi")]) == "You are brief.\n\nUser: Hi\nAssistant:"
    pieces = _reply(stories, Message("user", "Once upon a time there was a cat."))
    assert len(pieces) > 3 and "".join(pieces).strip()
    assert stories.stats.generated_tokens > 3
    assert stories.stats.stop in ("end", "max_tokens")
    assert not pieces[0][:1].isspace()  # the leading space of the first word token is dropped


def test_the_chat_template_in_the_gguf_metadata_is_used(chatml: LlamaChat) -> None:
    assert chatml.format.name == "the GGUF's chat template"
    prompt = chatml.format.render([SYSTEM, Message("user", "Hello")])
    assert prompt == (
        "<|im_start|>system\nYou are brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"
    )
    # <|im_start|> is one special token (259 in the stand-in's vocab), not spelled out in characters
    assert chatml.tokenize([Message("user", "x")])[0] == 259


def test_without_a_template_a_vocab_with_im_start_gets_chatml() -> None:
    with LlamaChat(standins.llama_gguf("tiny", chat_template=False), CONFIG) as model:
        assert model.format.name.startswith("ChatML")
        assert model.format.render([Message("user", "Hi")]).endswith("<|im_start|>assistant\n")
        list(model.chat([Message("user", "Hi")]))
        assert model.stats.generated_tokens >= 1


def test_a_llama_cpp_template_can_be_named_in_the_config(stories_path: Path) -> None:
    with LlamaChat(stories_path, LlmConfig(n_ctx=512, max_tokens=16, chat_format="llama3")) as model:
        assert "<|start_header_id|>user<|end_header_id|>" in model.format.render([Message("user", "Hi")])
    with pytest.raises(ConfigurationError, match=r'llm.chat_format = "nonsense".*chatml'):
        LlamaChat(stories_path, LlmConfig(n_ctx=512, max_tokens=16, chat_format="nonsense"))


def test_a_system_prompt_that_leaves_no_room_is_a_configuration_error(stories_path: Path) -> None:
    # llama.cpp rounds n_ctx up to a multiple of 256: 256 it is.
    config = LlmConfig(n_ctx=256, max_tokens=200, system_prompt="Be kind and answer well. " * 8)
    with pytest.raises(ConfigurationError, match=r"llm\.n_ctx"):
        LlamaChat(stories_path, config)


def test_an_empty_message_is_refused_at_once(stories: LlamaChat) -> None:
    with pytest.raises(ValueError, match="empty"):
        stories.chat([SYSTEM, Message("user", "  ")])
    with pytest.raises(ValueError, match="user"):
        stories.chat([SYSTEM])


# ------------------------------------------------------------------------------------------- streaming


def test_characters_split_across_byte_tokens_come_out_whole(chatml: LlamaChat) -> None:
    import llama_cpp

    vocab = llama_cpp.Llama(str(chatml.path), vocab_only=True, verbose=False)
    text = "Grüße 🙂 naïve"
    tokens = vocab.tokenize(text.encode(), add_bos=False)
    pieces = [vocab.detokenize([t]) for t in tokens]
    vocab.close()
    assert any(len(p) == 1 and p[0] >= 0x80 for p in pieces), "expected byte-fallback tokens"
    stream = TextStream()
    out = [stream.feed(p) for p in pieces] + [stream.feed(b"", final=True)]
    assert "".join(out) == text
    assert not any("\ufffd" in piece for piece in out)


def test_a_stop_string_split_across_pieces_is_never_shown() -> None:
    stops = _StopStrings(["\nUser:"])
    shown = [stops.feed(piece) for piece in ["It is nine.", "\n", "Us", "er: what"]]
    assert "".join(shown) == "It is nine." and stops.stopped
    held = _StopStrings(["\nUser:"])
    assert held.feed("Line one\nUs") == "Line one" and held.feed("ually") == "\nUsually"
    assert not held.stopped


# ---------------------------------------------------------------------------------------- cancellation


def test_cancel_from_the_consumer_stops_before_the_next_token(stories: LlamaChat) -> None:
    cancel = threading.Event()
    received = []
    for piece in stories.chat([SYSTEM, Message("user", "Tell me a story.")], cancel):
        received.append(piece)
        if len(received) == 2:
            produced = stories.stats.generated_tokens
            cancel.set()
    assert len(received) == 2
    assert stories.stats.stop == "cancelled"
    assert stories.stats.generated_tokens == produced


def test_cancel_from_another_thread_stops_within_one_token(stories: LlamaChat) -> None:
    cancel = threading.Event()
    at_cancel: list[int] = []

    def canceller(model: LlamaChat) -> None:
        while model.stats.generated_tokens < 5 and model.stats.stop == "":
            time.sleep(0.0001)
        at_cancel.append(model.stats.generated_tokens)
        cancel.set()

    config = LlmConfig(n_ctx=2048, n_threads=1, max_tokens=1500, system_prompt=CONFIG.system_prompt)
    with LlamaChat(stories.path, config) as model:  # room for a reply far longer than the wait for the cancel
        reply = model.chat([SYSTEM, Message("user", "Tell me a long story.")], cancel)
        thread = threading.Thread(target=canceller, args=(model,))
        thread.start()
        for _ in reply:
            pass
        thread.join()
        assert model.stats.stop == "cancelled"
        assert model.stats.generated_tokens - at_cancel[0] <= 1


def test_cancelled_before_the_prompt_is_evaluated_nothing_is_generated(stories: LlamaChat) -> None:
    cancel = threading.Event()
    cancel.set()
    assert _reply(stories, Message("user", "Hello there, how are you?"), cancel=cancel) == []
    assert stories.stats.stop == "cancelled" and stories.stats.generated_tokens == 0
    assert _reply(stories, Message("user", "Hello there, how are you?"))  # the next reply is unharmed


# ---------------------------------------------------------------------------------------- prefix cache


@pytest.mark.parametrize("model_name", ["stories", "chatml"])
def test_a_second_turn_evaluates_only_its_new_tokens(model_name: str, request: pytest.FixtureRequest) -> None:
    model: LlamaChat = request.getfixturevalue(model_name)
    first = [SYSTEM, Message("user", "The dog ran to the park.")]
    second = [*first, Message("assistant", "It was a sunny day."), Message("user", "What did the dog see?")]
    first_tokens, second_tokens = model.tokenize(first), model.tokenize(second)
    model.reset_cache()
    batch_before, _ = model.eval_counts()
    reply = "".join(model.chat(first))
    batch_after_first, _ = model.eval_counts()
    assert model.stats.evaluated_tokens == len(first_tokens)  # cold: the whole prompt
    assert batch_after_first - batch_before == len(first_tokens)  # llama.cpp agrees

    second[2] = Message("assistant", reply)  # what the user heard goes into the history
    second_tokens = model.tokenize(second)
    list(model.chat(second))
    batch_after_second, _ = model.eval_counts()
    stats = model.stats
    assert stats.prompt_tokens == len(second_tokens)
    assert stats.cached_tokens >= len(first_tokens)  # system prompt and first turn reused
    assert stats.evaluated_tokens == stats.prompt_tokens - stats.cached_tokens
    assert stats.evaluated_tokens <= len(second_tokens) - len(first_tokens)
    assert batch_after_second - batch_after_first == stats.evaluated_tokens  # and llama.cpp evaluated just that


def test_warm_up_puts_the_system_prompt_in_the_cache(chatml: LlamaChat) -> None:
    chatml.reset_cache()
    cached = chatml.warm_up()
    assert cached > 0
    list(chatml.chat([SYSTEM, Message("user", "Hello")]))
    assert chatml.stats.cached_tokens == cached


# ------------------------------------------------------------------------------------------ the context


def test_a_conversation_longer_than_the_context_is_fitted_without_error(
    stories: LlamaChat, caplog: pytest.LogCaptureFixture
) -> None:
    turns = [m for i in range(20) for m in (Message("user", f"Tell me about the cat number {i}."),
                                             Message("assistant", "The cat was happy and it played all day."))]
    giant = Message("user", "The little girl went to the park with her mother. " * 200)
    with caplog.at_level(logging.INFO, logger="assistant.brain"):
        pieces = list(stories.chat([SYSTEM, *turns, giant]))
    assert pieces
    assert stories.stats.prompt_tokens <= stories.n_ctx - CONFIG.max_tokens
    assert "only its last" in caplog.text
