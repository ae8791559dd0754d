"""Conversation history within a token budget: never over it, oldest turns first, a giant message cut."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.brain.history import MESSAGE_OVERHEAD_TOKENS, ContextTooSmallError, History, Turn, fit
from assistant.brain.llm import Message


def words(text: str) -> int:
    """A tokenizer where every word is one token: budgets in the tests read as word counts."""
    return len(text.split())


def word_cost(messages: list[Message]) -> int:
    return sum(words(m.text) + MESSAGE_OVERHEAD_TOKENS for m in messages)


def conversation(turns: int, user: str = "what is the time now", reply: str = "it is ten past nine") -> list[Message]:
    messages = [Message("system", "be brief")]
    for i in range(turns):
        messages += [Message("user", f"{i} {user}"), Message("assistant", f"{i} {reply}")]
    return messages


def test_everything_is_kept_when_it_fits() -> None:
    messages = [*conversation(3), Message("user", "and tomorrow")]
    assert fit(messages, 1000, word_cost) == messages


def test_the_oldest_turns_are_dropped_first_a_whole_turn_at_a_time() -> None:
    messages = [*conversation(5), Message("user", "and tomorrow")]
    kept = fit(messages, word_cost(messages) - 1, word_cost)
    assert kept[0] == messages[0]  # the system prompt stays
    assert kept[1:] == messages[3:]  # turn 0 (user and assistant) went, the rest is untouched
    budget = word_cost([messages[0], *messages[-3:]])
    assert fit(messages, budget, word_cost) == [messages[0], *messages[-3:]]  # only the newest turn left


def test_a_giant_message_keeps_its_last_words_and_the_log_says_so(caplog: pytest.LogCaptureFixture) -> None:
    giant = " ".join(f"w{i}" for i in range(1000)) + " so what time is it"
    messages = [*conversation(4), Message("user", giant)]
    with caplog.at_level(logging.WARNING):
        kept = fit(messages, 100, word_cost)
    assert [m.role for m in kept] == ["system", "user"]
    assert word_cost(kept) <= 100
    assert kept[-1].text.endswith("so what time is it")
    assert giant.endswith(kept[-1].text) and kept[-1].text.split()[0].startswith("w")  # cut at a word
    assert word_cost([kept[0], Message("user", "w0 " + kept[-1].text)]) > 100  # as much as fits
    assert "only its last" in caplog.text


def test_a_system_prompt_over_the_budget_is_an_error() -> None:
    with pytest.raises(ContextTooSmallError, match="system prompt"):
        fit([Message("system", "word " * 50), Message("user", "hi")], 30, word_cost)


@settings(max_examples=200, deadline=None)
@given(
    turns=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=12),
    last=st.integers(1, 400),
    budget=st.integers(40, 600),
)
def test_never_over_the_budget_and_always_the_newest_turns(
    turns: list[tuple[int, int]], last: int, budget: int
) -> None:
    messages = [Message("system", "be brief")]
    for i, (u, a) in enumerate(turns):
        messages += [Message("user", f"u{i} " * u), Message("assistant", f"a{i} " * a)]
    messages.append(Message("user", "x " * last))
    kept = fit(messages, budget, word_cost)
    assert word_cost(kept) <= budget
    assert kept[0] == messages[0]
    middle = kept[1:-1]
    assert middle == messages[len(messages) - 1 - len(middle) : -1]  # a suffix of the turns: newest kept
    assert not middle or middle[0].role == "user"
    assert kept[-1].role == "user" and messages[-1].text.endswith(kept[-1].text)


def test_history_forgets_the_oldest_turns_beyond_its_budget() -> None:
    history = History(words, prompt_budget=10_000, turns_budget=3 * (2 * (5 + MESSAGE_OVERHEAD_TOKENS)))
    for i in range(10):
        history.add(f"question {i} about the weather", f"answer {i} is sunny today")
    assert history.turns == tuple(
        Turn(f"question {i} about the weather", f"answer {i} is sunny today") for i in (7, 8, 9)
    )
    messages = history.messages("be brief", "and tomorrow?")
    assert [m.text for m in messages] == [
        "be brief", *(t for i in (7, 8, 9) for t in (f"question {i} about the weather", f"answer {i} is sunny today")),
        "and tomorrow?",
    ]


def test_history_messages_fit_the_prompt_budget() -> None:
    history = History(words, prompt_budget=60, turns_budget=10_000)
    for i in range(10):
        history.add(f"question {i}", f"answer {i}")
    messages = history.messages("be brief", "and tomorrow?")
    assert history.estimate(messages) <= 60
    assert messages[-3:] == [Message("user", "question 9"), Message("assistant", "answer 9"),
                             Message("user", "and tomorrow?")]
    assert len(history.turns) == 10  # the prompt budget leaves the remembered turns alone


def test_with_a_real_tokenizer(shared_models: Path) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    vocab = llama_cpp.Llama(str(shared_models / "llm" / "stories260K.gguf"), vocab_only=True, verbose=False)

    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode(), add_bos=False))

    history = History(count, prompt_budget=200, turns_budget=150)
    for _ in range(20):
        history.add("Once upon a time there was a little dog.", "The dog liked to play in the park with a ball.")
    messages = history.messages("You tell stories.", "Lily went to the park. " * 100)
    vocab.close()
    assert history.estimate(messages) <= 200
    assert history.estimate(messages[1:-1]) <= 150
