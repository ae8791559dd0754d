"""The brain: the language model's streamed reply, cancellation, memory across restarts, forgetting, budgets;
the zero-download rule brain; and which of the two the configuration opens.

LlmBrain runs on the real stories260K.gguf (llama.cpp, loads in a fraction of a second); user turns are real
transcripts from the shared recordings where they fit.
"""

from __future__ import annotations

import csv
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from assistant.brain.history import MESSAGE_OVERHEAD_TOKENS, History, Turn
from assistant.brain.sentences import speakable, split_sentences
from assistant.config import Config, ConversationConfig, LlmConfig, load_config
from assistant.conversation.brain import FORGOTTEN, Brain, LlmBrain, RuleBrain, open_brain
from assistant.conversation.jokes import JOKES
from assistant.conversation.memory import MemoryFile

LLM = LlmConfig(n_ctx=512, n_threads=1, max_tokens=32, temperature=0.0, system_prompt="You are brief.")
TUESDAY = datetime(2024, 3, 5, 15, 5)


def config(**conversation: object) -> Config:
    return Config(llm=LLM, conversation=ConversationConfig(**conversation))  # type: ignore[arg-type]


def reply(brain: Brain, user: str, cancel: threading.Event | None = None) -> list[str]:
    return list(brain.reply(user, cancel or threading.Event()))


@pytest.fixture(scope="module")
def commands(shared_audio: Path) -> list[str]:
    """The English spoken commands of the shared recordings (their transcripts)."""
    with (shared_audio / "commands" / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [r["label"] for r in rows if r["lang"] == "en" and not r["label"].startswith("<")]


@pytest.fixture(scope="module")
def stories(shared_models: Path) -> Path:
    pytest.importorskip("llama_cpp")
    return shared_models / "llm" / "stories260K.gguf"


@pytest.fixture()
def llm_brain(stories: Path) -> Iterator[Callable[..., LlmBrain]]:
    """Opens LlmBrains on stories260K (each with its own model, as after a restart); closes them after the test."""
    from assistant.brain.llm import LlamaChat

    opened: list[LlmBrain] = []

    def open_one(memory: MemoryFile | None = None, settings: Config | None = None,
                 clock: Callable[[], datetime] = lambda: TUESDAY) -> LlmBrain:
        settings = settings or config()
        opened.append(LlmBrain(LlamaChat(stories, settings.llm), settings, memory, clock))
        opened[-1].warm_up()
        return opened[-1]

    yield open_one
    for brain in opened:
        brain.close()


# --------------------------------------------------------------------------------------------- LlmBrain


def test_the_reply_streams_in_pieces_with_the_models_figures(llm_brain: Callable[..., LlmBrain]) -> None:
    brain = llm_brain()
    pieces = reply(brain, "Once upon a time there was a little cat.")
    assert len(pieces) >= 3 and "".join(pieces).strip()
    stats = brain.stats
    assert stats["stop"] in ("end", "max_tokens")
    assert stats["cached_tokens"] > 0  # the system prompt, warmed up
    assert stats["evaluated_tokens"] == stats["prompt_tokens"] - stats["cached_tokens"]
    assert 0 < stats["first_token_s"] <= stats["total_s"]
    assert brain.name == "llama"


def test_the_system_prompt_ends_with_todays_date_and_is_warmed_up_so(llm_brain: Callable[..., LlmBrain]) -> None:
    today = [TUESDAY]
    brain = llm_brain(clock=lambda: today[0])
    assert brain.system_prompt == "You are brief. Today is Tuesday, March 5, 2024."  # a model cannot know it
    assert brain.warm_up() > 0
    reply(brain, "Hello.")
    first = brain.stats
    assert first["cached_tokens"] >= brain.warm_up()  # the dated prompt was in the cache
    today[0] = datetime(2024, 3, 6, 0, 1)  # past midnight: a new date, evaluated once
    assert brain.system_prompt.endswith("Today is Wednesday, March 6, 2024.")
    plain = llm_brain(settings=Config(llm=LlmConfig(**{**vars(LLM), "date_in_prompt": False})))
    assert plain.system_prompt == "You are brief."


def test_cancel_from_another_thread_stops_the_reply_within_one_token(
    llm_brain: Callable[..., LlmBrain],
) -> None:
    brain = llm_brain(settings=Config(llm=LlmConfig(n_ctx=1024, n_threads=1, max_tokens=600)))
    cancel = threading.Event()
    at_cancel: list[int] = []

    def controller() -> None:
        deadline = time.monotonic() + 30  # never hang the test run, should the reply end early
        while brain.stats.get("generated_tokens", 0) < 5 and time.monotonic() < deadline:
            time.sleep(0.001)
        at_cancel.append(int(brain.stats["generated_tokens"]))
        cancel.set()

    thread = threading.Thread(target=controller)
    thread.start()
    pieces = reply(brain, "Tell me a long story about a dog.", cancel)
    thread.join()
    assert brain.stats["stop"] == "cancelled"
    assert int(brain.stats["generated_tokens"]) - at_cancel[0] <= 1
    assert len(pieces) <= int(brain.stats["generated_tokens"])


def test_the_history_survives_a_new_brain_on_the_same_memory_file(
    llm_brain: Callable[..., LlmBrain], tmp_path: Path
) -> None:
    memory = MemoryFile(tmp_path / "conversation.json")
    first = llm_brain(memory)
    heard = "".join(reply(first, "Once upon a time there was a dog."))
    first.remember("Once upon a time there was a dog.", heard)
    first.remember("What did the dog do?", "The dog")  # interrupted: only what was played
    first.close()

    restarted = llm_brain(MemoryFile(tmp_path / "conversation.json"))
    assert restarted.history.turns == (Turn("Once upon a time there was a dog.", heard.strip()),
                                       Turn("What did the dog do?", "The dog"))
    # The restored turns reach the model: the same question takes a longer prompt than without memory.
    reply(restarted, "And then?")
    with_memory = restarted.stats["prompt_tokens"]
    fresh = llm_brain()
    reply(fresh, "And then?")
    assert with_memory > fresh.stats["prompt_tokens"]


def test_a_forget_request_is_confirmed_without_the_model_and_clears_the_file(
    llm_brain: Callable[..., LlmBrain], tmp_path: Path, commands: list[str]
) -> None:
    path = tmp_path / "conversation.json"
    brain = llm_brain(MemoryFile(path))
    for command in commands[:3]:
        brain.remember(command, "Okay.")
    assert path.exists() and len(brain.history.turns) == 3
    assert reply(brain, "Please forget everything.") == [FORGOTTEN]
    assert brain.stats == {}  # no model figures: the model was not asked
    brain.remember("Please forget everything.", FORGOTTEN)  # the turn is over: now it forgets
    assert brain.history.turns == () and not path.exists()
    assert llm_brain(MemoryFile(path)).history.turns == ()


@pytest.mark.parametrize("question", ["What can you do?", "hey jarvis what can I ask you", "help"])
def test_what_it_can_do_is_said_by_the_device_not_made_up_by_the_model(
    llm_brain: Callable[..., LlmBrain], question: str
) -> None:
    brain = llm_brain()
    assert reply(brain, question) == [
        "I can tell you the time and the date, set timers, alarms, reminders and the volume, speak slower or faster, "
        "keep lists, remember things for you, do sums, convert units, roll dice and spell words, and answer "
        "questions or just talk, with a language model that runs right here: nothing you say leaves this device."]
    assert brain.stats == {}  # the model was not asked
    assert "".join(reply(brain, "help me write a poem about the sea"))  # that is the model's
    assert brain.stats != {}
    bare = llm_brain(settings=Config(conversation=ConversationConfig(skills=[])))
    assert reply(bare, "what can you do") == [
        "I answer questions or just talk, with a language model that runs right here: nothing you say leaves this "
        "device."]


def test_a_forget_request_taken_back_before_it_was_remembered_forgets_nothing(
    llm_brain: Callable[..., LlmBrain], tmp_path: Path
) -> None:
    brain = llm_brain(MemoryFile(tmp_path / "conversation.json"))
    brain.remember("what time is it", "Late.")
    assert reply(brain, "forget everything") == [FORGOTTEN]  # started early, then the user went on
    assert brain.history.turns == (Turn("what time is it", "Late."),)
    brain.forget()  # forget() itself forgets at once
    assert brain.history.turns == () and not (tmp_path / "conversation.json").exists()


def test_the_history_and_the_file_stay_within_the_token_budget(
    llm_brain: Callable[..., LlmBrain], tmp_path: Path
) -> None:
    memory = MemoryFile(tmp_path / "conversation.json")
    budget = 80
    brain = llm_brain(memory, config(history_tokens=budget))
    for i in range(10):
        brain.remember(f"Question {i}: tell me about the little dog in the park.",
                       f"Answer {i}: the little dog played with a red ball all day long.")
    turns = brain.history.turns
    assert 1 <= len(turns) < 10 and turns[-1].user.startswith("Question 9")
    count = brain.model.count_tokens
    assert sum(count(t.user) + count(t.assistant) + 2 * MESSAGE_OVERHEAD_TOKENS for t in turns) <= budget
    assert memory.load() == list(turns)
    reply(brain, "What happened next? " * 60)  # a long question: the prompt still fits the context
    assert brain.stats["prompt_tokens"] <= LLM.n_ctx - LLM.max_tokens


def test_a_reply_cancelled_before_any_speech_keeps_the_users_words(
    llm_brain: Callable[..., LlmBrain], tmp_path: Path
) -> None:
    brain = llm_brain(MemoryFile(tmp_path / "conversation.json"))
    brain.remember("what's the weather", "")
    brain.remember("   ", "ignored")  # nothing was said: nothing to remember
    assert brain.history.turns == (Turn("what's the weather", ""),)
    assert reply(brain, "   ") == []


def test_memory_off_writes_no_file(llm_brain: Callable[..., LlmBrain], tmp_path: Path) -> None:
    path = tmp_path / "conversation.json"
    MemoryFile(path).save([Turn("old", "turn")])
    brain = llm_brain(MemoryFile(path), config(memory=False))
    assert brain.history.turns == ()  # not restored either
    brain.remember("hello", "hi")
    assert MemoryFile(path).load() == [Turn("old", "turn")]


def test_history_extend_restores_turns_within_the_budget() -> None:
    def words(text: str) -> int:
        return len(text.split())

    per_turn = 2 * (3 + MESSAGE_OVERHEAD_TOKENS)
    history = History(words, prompt_budget=10_000, turns_budget=3 * per_turn)
    turns = [Turn(f"question {i} please", f"answer {i} here") for i in range(7)]
    history.extend(turns)
    assert history.turns == tuple(turns[-3:])
    one_by_one = History(words, prompt_budget=10_000, turns_budget=3 * per_turn)
    for turn in turns:
        one_by_one.add(turn.user, turn.assistant)
    assert one_by_one.turns == history.turns


# -------------------------------------------------------------------------------------------- RuleBrain


def rules(memory: MemoryFile | None = None, at: datetime = TUESDAY, **conversation: object) -> RuleBrain:
    return RuleBrain(config(**conversation), memory, clock=lambda: at)


@pytest.mark.parametrize(
    ("user", "intent", "start"),
    [
        ("Hello!", "greeting", "Good afternoon!"),
        ("hi there", "greeting", "Good afternoon!"),
        ("Who are you?", "identity", "I'm your offline voice assistant"),
        ("what are you", "identity", "I'm your offline voice assistant"),
        ("Thank you very much.", "thanks", "You're welcome."),
        ("thanks", "thanks", "You're welcome."),
        ("What can you do?", "capabilities", "Without a language model I can tell you the time and the date, set "
                                             "timers, alarms, reminders and the volume, speak slower or faster, "
                                             "keep lists, remember things for you, do sums, convert units, roll "
                                             "dice and spell words, and forget our conversation"),
        ("forget everything", "forget", FORGOTTEN),
        ("How are you?", "how_are_you", "I'm doing well"),
        ("good night", "good_night", "Good night!"),
        ("bye", "goodbye", "Goodbye!"),
        ("are you there", "present", "Yes, I'm here."),
        ("who made you", "maker", "I'm an offline voice assistant"),
        ("you're awesome", "kind_words", "Thank you"),
        ("sorry", "sorry", "No problem"),
        ("another one", "another", "Another what?"),  # not just after a joke
    ],
)
def test_the_rule_brain_knows_a_few_things(user: str, intent: str, start: str) -> None:
    brain = rules()
    assert "".join(reply(brain, user)).startswith(start)
    assert brain.stats == {"intent": intent}


def test_without_a_model_a_joke_asked_for_is_told_and_none_again_before_all_the_others() -> None:
    brain = RuleBrain(config(), None, clock=lambda: TUESDAY, rng=random.Random(3))
    told = ["".join(reply(brain, text)) for text in ["Tell me a joke.", "another joke", "make me laugh"] * 10]
    assert brain.stats == {"intent": "joke"}
    assert set(told[:len(JOKES)]) == set(JOKES)  # a deck: all of them before one comes again
    assert set(told) <= set(JOKES)
    assert "".join(reply(brain, "tell me a joke about cats")).startswith('I heard "tell me a joke about cats"')
    joke = "".join(reply(brain, "tell me a joke"))
    assert "".join(reply(brain, "another one")) in set(JOKES) - {joke}  # just after a joke: another
    assert "".join(reply(brain, "one more")) in JOKES


def test_anything_else_gets_an_honest_reply_quoting_the_words(commands: list[str]) -> None:
    brain = rules()
    assert len(commands) >= 20
    for command in commands:  # the time, the date and timers included: the controller answers those (skills)
        text = "".join(reply(brain, command))
        assert text.startswith(f'I heard "{command}", but I have no language model installed yet'), command
        assert text.endswith("run assistant models pull dash dash default.")
        assert brain.stats == {"intent": "fallback"}
    long = "and mister john dashwood had then leisure to consider how much there might be prudently in his power"
    assert '"and mister john dashwood had then leisure to consider how much there ..."' in "".join(
        reply(brain, long))
    # A known question with more to it is not that question.
    assert "".join(reply(brain, "thank you for the music")).startswith('I heard "thank you for the music"')


def test_rule_replies_are_speakable_short_and_streamed_in_pieces(commands: list[str]) -> None:
    brain = rules()
    for user in [*commands, "hello", "who are you", "what can you do", "thanks", "forget everything"]:
        pieces = reply(brain, user)
        text = "".join(pieces)
        assert speakable(text) == text  # no markup, single spaces
        assert 1 <= len(split_sentences(text)) <= 2, text
        assert len(pieces) >= 2 or len(text.split()) <= 3
    cancel = threading.Event()
    stream = brain.reply("who are you", cancel)
    first = next(stream)
    cancel.set()
    assert first and list(stream) == []


def test_the_rule_brain_keeps_and_forgets_its_history_like_the_llm_brain(tmp_path: Path) -> None:
    path = tmp_path / "state" / "conversation.json"
    brain = rules(MemoryFile(path))
    brain.remember("what time is it", "It's three oh five PM.")
    assert rules(MemoryFile(path)).history.turns == (Turn("what time is it", "It's three oh five PM."),)
    brain.remember("forget what I said", FORGOTTEN)
    assert not path.exists() and rules(MemoryFile(path)).history.turns == ()


def test_a_memory_that_cannot_be_saved_is_logged_and_the_conversation_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a-file").write_text("")
    brain = rules(MemoryFile(tmp_path / "a-file" / "conversation.json"))  # its folder is a file
    with caplog.at_level(logging.WARNING):
        brain.remember("hello", "Good afternoon!")
    assert brain.history.turns == (Turn("hello", "Good afternoon!"),)
    assert "could not save the conversation memory" in caplog.text and "general.state_dir" in caplog.text


# ------------------------------------------------------------------------------------------------ opening


def test_with_no_model_installed_open_brain_gives_the_rule_brain(
    clean_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (clean_env / "no-models").mkdir()
    env = {"HOME": str(clean_env / "home"), "ASSISTANT_MODELS_DIR": str(clean_env / "no-models"),
           "XDG_STATE_HOME": str(clean_env / "state")}
    settings = load_config(None, env).config
    with caplog.at_level(logging.WARNING):
        brain = open_brain(settings, env)
    assert isinstance(brain, RuleBrain) and brain.name == "rules"
    assert "no language model" in caplog.text and "no llm model installed" in caplog.text
    brain.remember("hello", "Hello!")
    assert MemoryFile(clean_env / "state" / "assistant" / "conversation.json").load() == [Turn("hello", "Hello!")]
    brain.close()


def test_a_configured_model_gives_the_llm_brain_warmed_up(clean_env: Path, stories: Path) -> None:
    env = {"HOME": str(clean_env / "home"), "ASSISTANT_MODELS_DIR": str(clean_env / "no-models"),
           "ASSISTANT__LLM__MODEL": str(stories), "ASSISTANT__LLM__N_CTX": "512", "ASSISTANT__LLM__MAX_TOKENS": "32",
           "ASSISTANT__CONVERSATION__MEMORY": "false", "XDG_STATE_HOME": str(clean_env / "state")}
    brain = open_brain(load_config(None, env).config, env)
    try:
        assert isinstance(brain, LlmBrain)
        assert reply(brain, "Once upon a time")
        assert brain.stats["cached_tokens"] > 0  # the system prompt was evaluated before the first turn
        brain.remember("Once upon a time", "there was a cat")
        assert not (clean_env / "state").exists()  # memory off: no file
    finally:
        brain.close()
