"""The brain stage: turns what the user said into the spoken reply, and remembers the conversation.

Two brains implement `Brain`:
- `LlmBrain`: a language model (llama.cpp through LlamaChat) answering with the conversation so far;
- `RuleBrain`: the zero-download brain for an assistant with no language model installed: it answers
  greetings, a few questions about itself and "tell me a joke", and otherwise says honestly that it heard the user
  but cannot answer yet, and how to install a model. (The time, the date, timers and alarms never reach a brain: the
  controller answers them, assistant.conversation.skills.)
`open_brain(config)` picks one by the configuration (assistant.selection).

Both keep the turns in a History within `conversation.history_tokens` and, with `conversation.memory` on,
in the memory file, saved after every turn. The history holds what the user heard: the controller passes the
part of an interrupted reply that was played. A reply cancelled before any of it was heard is remembered as
the user's words with an empty answer: the user's next words are often the rest of the same question ("what's
the weather" ... "in Paris"), which needs the first part.

A forget request ("forget everything") is answered with a fixed confirmation, without the model; the
forgetting itself happens when that turn is remembered, i.e. when it really was the user's turn: a reply the
controller started early on a transcript and then took back forgets nothing. `forget()` forgets at once.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from assistant.brain.history import History
from assistant.conversation.jokes import JokeDeck
from assistant.conversation.memory import MemoryFile, is_forget_request, memory_path
from assistant.conversation.phrases import PhraseIntent, match_phrase, phrase_intents
from assistant.conversation.skills import describe
from assistant.conversation.spoken import WEEKDAYS
from assistant.text_norm import normalize

if TYPE_CHECKING:
    from assistant.brain.llm import ChatModel
    from assistant.config import Config

log = logging.getLogger(__name__)

Stats = dict[str, float | int | str]

FORGOTTEN = "Okay, I've forgotten our conversation."
# Spoken, so the option is said in words: a text-to-speech voice reads "--default" as "default".
INSTALL_HINT = "To add one, run assistant models pull dash dash default."


class Brain(Protocol):
    """Replies to the user and remembers the conversation. Implemented by LlmBrain and RuleBrain.

    One brain thread calls reply() and remember(); other threads only set `cancel` and read `stats`.
    """

    name: str

    def reply(self, user: str, cancel: threading.Event) -> Iterator[str]:
        """The spoken reply to `user`, in text pieces as they are generated; stops soon after `cancel` is set."""
        ...

    def remember(self, user: str, heard: str) -> None:
        """A finished turn: the user's words and the part of the reply the user heard. Saved to memory."""
        ...

    def forget(self) -> None:
        """Clear the history and the memory file."""
        ...

    def close(self) -> None: ...

    @property
    def stats(self) -> Stats:
        """Figures of the last reply for the trace (tokens, timings, intent); may be empty."""
        ...


class _Turns:
    """The history of the conversation and its memory file, kept in step."""

    def __init__(self, history: History, memory: MemoryFile | None, config: Config) -> None:
        self.history = history
        self.memory = memory = memory if config.conversation.memory else None
        if memory is not None:
            history.extend(memory.load())
            log.info("conversation memory %s: %d turns remembered", memory.path, len(history.turns))

    def remember(self, user: str, heard: str) -> None:
        user = user.strip()
        if not user:
            return
        if is_forget_request(user):
            self.forget()
            return
        self.history.add(user, heard.strip())
        if self.memory is not None:
            try:
                self.memory.save(self.history.turns)
            except OSError as exc:
                log.warning("could not save the conversation memory %s (%s); make its folder writable or set "
                            "general.state_dir", self.memory.path, exc.strerror or exc)

    def forget(self) -> None:
        self.history.clear()
        if self.memory is not None:
            try:
                self.memory.clear()
            except OSError as exc:
                log.warning("could not delete the conversation memory %s (%s)", self.memory.path,
                            exc.strerror or exc)
        log.info("conversation forgotten")


# ---------------------------------------------------------------------------------------------- LlmBrain


class LlmBrain:
    """Replies with a language model. Owns the model: close() closes it."""

    name = "llama"

    def __init__(
        self, model: ChatModel, config: Config, memory: MemoryFile | None,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.model = model
        self.clock = clock
        self._system_prompt = config.llm.system_prompt
        self._date_in_prompt = config.llm.date_in_prompt
        history = History(
            model.count_tokens,
            prompt_budget=model.n_ctx - config.llm.max_tokens,
            turns_budget=config.conversation.history_tokens,
        )
        self._turns = _Turns(history, memory, config)
        self._used_model = False
        self._capabilities = phrase_intents(("capabilities", _CAPABILITIES, lambda now: _with_model(
            describe(config.conversation.skills))))

    @property
    def history(self) -> History:
        return self._turns.history

    @property
    def system_prompt(self) -> str:
        """The configured system prompt, with today's date when so configured."""
        if not self._date_in_prompt:
            return self._system_prompt
        today = self.clock()
        date = f"{WEEKDAYS[today.weekday()]}, {today:%B} {today.day}, {today.year}"
        return f"{self._system_prompt} Today is {date}.".strip()

    def warm_up(self) -> int:
        """Put the system prompt in the model's cache, so the first turn only evaluates the user's words; returns
        how many tokens are cached (0 for a model without a cache)."""
        warm_up = getattr(self.model, "warm_up", None)  # LlamaChat has one; ChatModel does not need it
        return 0 if warm_up is None else int(warm_up(self.system_prompt))

    def reply(self, user: str, cancel: threading.Event) -> Iterator[str]:
        self._used_model = False
        if is_forget_request(user):
            yield FORGOTTEN
            return
        if not user.strip():
            return  # nothing to answer (the controller drops empty turns before they get here)
        asked = match_phrase(normalize(user), self._capabilities)
        if asked is not None:  # a model knows nothing of this device: it would promise the weather
            yield asked[1](datetime.now())
            return
        self._used_model = True
        yield from self.model.chat(self.history.messages(self.system_prompt, user), cancel)

    def remember(self, user: str, heard: str) -> None:
        self._turns.remember(user, heard)

    def forget(self) -> None:
        self._turns.forget()

    def close(self) -> None:
        close = getattr(self.model, "close", None)  # LlamaChat frees llama.cpp's memory; ChatModel has no close
        if close is not None:
            close()

    @property
    def stats(self) -> Stats:
        # LlamaChat.stats is a ReplyStats replaced (never changed) while it generates: safe from any thread.
        stats = getattr(self.model, "stats", None)
        if not self._used_model or stats is None or not dataclasses.is_dataclass(stats):
            return {}
        return dataclasses.asdict(stats)


# --------------------------------------------------------------------------------------------- RuleBrain


def _greeting(moment: datetime) -> str:
    hello = "Good morning" if 5 <= moment.hour < 12 else "Good afternoon" if 12 <= moment.hour < 18 else (
        "Good evening" if moment.hour >= 18 else "Hello")
    return f"{hello}! What can I do for you?"


_CAPABILITIES = r"what can you do|what are you able to do|how can you help|what can i ask(?: you)?|help"


def _with_model(device_does: str) -> str:
    """What the assistant says it can do with a language model installed."""
    can = f"I can {device_does}, and answer" if device_does else "I answer"
    return (f"{can} questions or just talk, with a language model that runs right here: nothing you say leaves "
            "this device.")


def _intents(device_does: str, jokes: JokeDeck) -> tuple[PhraseIntent, ...]:
    """The rule brain's phrases; `device_does`: what the device answers itself (skills.describe), said when asked;
    `jokes`: dealt when asked for one."""
    simple = f" simple things like {device_does}" if device_does else " nothing but a few fixed things"
    no_model = f"No language model is installed yet, so I can only do{simple}."
    can = f"Without a language model I can {device_does}, and forget" if device_does else (
        "Without a language model I can forget")
    return phrase_intents(
        ("identity", r"who are you|what are you|what is your name|who am i (?:talking|speaking) (?:to|with)"
                     r"|introduce yourself",
         lambda now: "I'm your offline voice assistant, running right here on this device. " + no_model),
        ("capabilities", _CAPABILITIES,
         lambda now: f"{can} our conversation when you ask. To add a language model, run assistant models pull "
                     "dash dash default."),
        ("thanks", r"thank you|thanks|thank u|cheers|much appreciated",
         lambda now: "You're welcome."),
        ("joke", r"tell me (?:a|another) joke|(?:tell me|say) something funny|make me laugh|(?:another|1 more) joke"
                 r"|do you know (?:any|a) jokes?|tell me a funny joke|joke please",
         lambda now: jokes.deal()),
        # (normalized text: "one" is "1") just after a joke, another; else asked what (RuleBrain.answer)
        ("another", r"another(?: 1)?|1 more|tell me another(?: 1)?",
         lambda now: "Another what? Ask me for a joke, or the time, or a timer."),
        ("how_are_you", r"how are you(?: doing| today)?|how is it going|how are things",  # "hows": "how is"
         lambda now: "I'm doing well, thanks for asking! What can I do for you?"),
        ("greeting", r"hello|hi|hey|good (?:morning|afternoon|evening|day)|greetings|howdy", _greeting),
        ("good_night", r"good ?night|night night|sleep well", lambda now: "Good night! Sleep well."),
        ("goodbye", r"bye|goodbye|bye bye|see you(?: later)?|see ya|talk to you later", lambda now: "Goodbye!"),
        ("present", r"are you (?:there|listening|awake|on)|can you hear me|you there",
         lambda now: "Yes, I'm here. What can I do for you?"),
        ("maker", r"who (?:made|built|created|programmed|designed) you|where do you come from",
         lambda now: "I'm an offline voice assistant, built to run on this device: nothing you say leaves it."),
        ("kind_words", r"i love you|you are (?:awesome|great|the best|amazing|smart|so smart|cool|funny)"
                       r"|good (?:job|bot|girl|boy)|well done|nice|great job|that was (?:funny|great|good)",
         lambda now: "Thank you, that's kind of you!"),
        ("sorry", r"sorry|my bad|i am sorry|oops", lambda now: "No problem at all."),
    )


_QUOTE_WORDS = 12  # longer transcripts are quoted by their first words


def _fallback(user: str) -> str:
    words = user.split()
    quote = " ".join(words[:_QUOTE_WORDS]).rstrip(".!?,;:") + (" ..." if len(words) > _QUOTE_WORDS else "")
    return f'I heard "{quote}", but I have no language model installed yet, so I can\'t answer that. {INSTALL_HINT}'


def _pieces(text: str, words_per_piece: int = 3) -> list[str]:
    """The reply in pieces of a few words (with their spaces), as a model would stream it."""
    words = re.findall(r"\S+\s*", text)
    return ["".join(words[i : i + words_per_piece]) for i in range(0, len(words), words_per_piece)]


class RuleBrain:
    """The brain with no language model: a few fixed answers, and an honest reply to everything else."""

    name = "rules"

    def __init__(
        self, config: Config, memory: MemoryFile | None, clock: Callable[[], datetime] = datetime.now,
        rng: random.Random | None = None,
    ) -> None:
        """`rng`: which joke comes when (seeded in tests)."""
        self.clock = clock
        # No tokenizer without a model: about 4 characters per token, as for English with most vocabularies.
        history = History(
            lambda text: (len(text) + 3) // 4,
            prompt_budget=config.llm.n_ctx - config.llm.max_tokens,
            turns_budget=config.conversation.history_tokens,
        )
        self._turns = _Turns(history, memory, config)
        self._stats: Stats = {}
        self._jokes = JokeDeck(rng)
        self._intents = _intents(describe(config.conversation.skills), self._jokes)
        self._last_intent = ""

    @property
    def history(self) -> History:
        return self._turns.history

    def answer(self, user: str) -> tuple[str, str]:
        """The intent recognized in `user` ("fallback" when none) and the whole reply text."""
        if is_forget_request(user):
            return "forget", FORGOTTEN
        found = match_phrase(normalize(user), self._intents)
        if found is None:
            name, text = "fallback", _fallback(user)
        elif found[0] == "another" and self._last_intent == "joke":  # "another one" after a joke
            name, text = "joke", self._jokes.deal()
        else:
            name, text = found[0], found[1](self.clock())
        self._last_intent = name
        return name, text

    def reply(self, user: str, cancel: threading.Event) -> Iterator[str]:
        self._stats = {}
        if not user.strip():
            return
        intent, text = self.answer(user)
        self._stats = {"intent": intent}
        for piece in _pieces(text):
            if cancel.is_set():
                return
            yield piece

    def remember(self, user: str, heard: str) -> None:
        self._turns.remember(user, heard)

    def forget(self) -> None:
        self._turns.forget()

    def close(self) -> None:
        pass

    @property
    def stats(self) -> Stats:
        return self._stats


# ------------------------------------------------------------------------------------------------ opening


def open_brain(config: Config, env: Mapping[str, str] | None = None) -> Brain:
    """The brain the configuration selects: LlmBrain on the chosen GGUF (warmed up), else RuleBrain."""
    from assistant.selection import Catalog, choose

    env = os.environ if env is None else env
    memory = MemoryFile(memory_path(config, env)) if config.conversation.memory else None
    choice = choose("llm", config, Catalog.from_config(config, env))
    if choice.engine == "llama" and choice.model is not None:
        from assistant.brain.llm import LlamaChat

        log.info("brain: language model %s", choice.reason)
        model = LlamaChat(choice.model, config.llm)
        try:
            brain = LlmBrain(model, config, memory)
            brain.warm_up()
            return brain
        except BaseException:
            model.close()
            raise
    log.warning("brain: no language model (%s); answering greetings and questions about itself", choice.reason)
    return RuleBrain(config, memory)
