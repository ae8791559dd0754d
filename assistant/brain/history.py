"""Conversation history within a token budget: which earlier turns the model sees with the next message.

The prompt must always fit the model's context, with room left for the reply. `fit` keeps the system
prompt and the user's new message, and as many of the most recent turns as fit; the oldest turn goes first,
a whole turn (user and assistant) at a time, so that the roles keep alternating as chat templates require.
A user message too long on its own is cut to its last words (a spoken question ends with what is asked),
and the log says so. Old turns are dropped, not summarized: on a Pi a summary costs seconds of generation.

`History` holds the turns of one conversation: the assistant's side is what the user actually heard (the
caller clips a reply that was interrupted). It counts tokens with the model's tokenizer plus an estimate of
the template's markers per message; LlamaChat fits the exact rendered prompt again, so an estimate that is
off costs a dropped turn, never an overflow.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from assistant.brain.llm import Message

log = logging.getLogger(__name__)

# Template markers around one message: ChatML's "<|im_start|>user\n" ... "<|im_end|>\n" are 5 tokens, Llama 3's
# header and end-of-turn about 5; 8 errs on the side of dropping a turn early.
MESSAGE_OVERHEAD_TOKENS = 8

Cost = Callable[[Sequence[Message]], int]


@dataclass(frozen=True)
class Turn:
    """One exchange: what the user said and what the assistant said back (as heard)."""

    user: str
    assistant: str


class ContextTooSmallError(ValueError):
    """Even the system prompt with an empty user message exceeds the budget."""


def fit(messages: Sequence[Message], budget: int, cost: Cost) -> list[Message]:
    """The messages, with the oldest turns dropped and the last user message cut until `cost(...) <= budget`.

    `messages` are: system messages first (kept), then turns, then the user's new message (kept, perhaps cut).
    `cost` is the prompt's length in tokens for a list of messages (exact, or an estimate).
    """
    messages = list(messages)
    if not messages or messages[-1].role != "user":
        raise ValueError("a conversation to fit must end with the user's message")
    n_system = next((i for i, m in enumerate(messages) if m.role != "system"), len(messages))
    system, turns, last = messages[:n_system], messages[n_system:-1], messages[-1]
    dropped = 0
    while turns and cost([*system, *turns, last]) > budget:
        # A whole turn at a time: the remaining turns start with the user's message again.
        cut = 1
        while cut < len(turns) and turns[cut].role != "user":
            cut += 1
        turns = turns[cut:]
        dropped += cut
    if dropped:
        log.info("dropped the %d oldest messages to keep the prompt within %d tokens", dropped, budget)
    if cost([*system, *turns, last]) <= budget:
        return [*system, *turns, last]
    return [*system, _cut(system, last, budget, cost)]


def _cut(system: list[Message], last: Message, budget: int, cost: Cost) -> Message:
    """The user's message cut to its longest tail that fits (binary search on the start character)."""
    text = last.text

    def fits(start: int) -> bool:
        return cost([*system, Message("user", text[start:])]) <= budget

    if not fits(len(text)):
        raise ContextTooSmallError(
            f"the system prompt alone takes more than the {budget} tokens the prompt may use; "
            "shorten llm.system_prompt or raise llm.n_ctx"
        )
    low, high = 0, len(text)  # fits(high) holds; find the smallest start that fits
    while low < high:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    start = low
    # Start at a word, not inside one, when that still fits.
    if 0 < start < len(text) and not text[start - 1].isspace():
        space = text.find(" ", start)
        if space != -1 and fits(space + 1):
            start = space + 1
    kept = text[start:]
    log.warning(
        "the user's message (%d characters) is longer than the context allows: only its last %d characters "
        "are used", len(text), len(kept),
    )
    return Message("user", kept)


class History:
    """The turns of one conversation, kept within budgets; gives the messages for the next reply.

    `prompt_budget`: tokens the whole prompt may take (the model's n_ctx minus the longest reply).
    `turns_budget`: tokens the remembered turns may take (conversation.history_tokens); older turns are
    forgotten when a new one is added.
    """

    def __init__(self, count_tokens: Callable[[str], int], prompt_budget: int, turns_budget: int) -> None:
        self._count = functools.lru_cache(maxsize=1024)(count_tokens)  # the same texts are counted each turn
        self.prompt_budget = prompt_budget
        self.turns_budget = turns_budget
        self._turns: list[Turn] = []

    @property
    def turns(self) -> tuple[Turn, ...]:
        return tuple(self._turns)

    def estimate(self, messages: Sequence[Message]) -> int:
        """Tokens of the prompt for `messages`: their texts plus the template's markers (estimated)."""
        return sum(self._count(m.text) + MESSAGE_OVERHEAD_TOKENS for m in messages)

    def add(self, user: str, assistant: str) -> None:
        """Remember a finished turn; the oldest turns are forgotten beyond turns_budget."""
        self.extend([Turn(user, assistant)])

    def extend(self, turns: Iterable[Turn]) -> None:
        """Remember several turns, oldest first (a conversation restored from memory), within turns_budget."""
        self._turns.extend(turns)
        while self._turns and self.estimate(_turn_messages(self._turns)) > self.turns_budget:
            del self._turns[0]

    def clear(self) -> None:
        self._turns.clear()

    def messages(self, system: str, user: str) -> list[Message]:
        """The messages for the reply to `user`: system prompt, the turns that fit, the user's message."""
        head = [Message("system", system)] if system else []
        return fit([*head, *_turn_messages(self._turns), Message("user", user)], self.prompt_budget, self.estimate)


def _turn_messages(turns: Sequence[Turn]) -> list[Message]:
    return [m for t in turns for m in (Message("user", t.user), Message("assistant", t.assistant))]
