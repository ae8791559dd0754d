"""`assistant chat`: type to the assistant instead of speaking, with the same skills and brain as the voice.

A line is answered as a spoken turn is (assistant.conversation.typed): the device's skills first (the time,
timers, sums...; a timer set here rings here, as a line), else the brain the configuration selects, the language
model's reply streamed as it is written, or with no model the built-in answers. `--model PATH` picks a GGUF,
`--no-skills` leaves the skills out (the model alone). A REPL (Ctrl-C stops the reply being written, Ctrl-D
leaves), or one reply with `--once "PROMPT"`. The history is the chat's own, within the same token budget as the
voice's; the running assistant's memory, timers and lists are left alone.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.commands._shared import load
from assistant.errors import EXIT_OK, EXIT_USAGE, ModelError

if TYPE_CHECKING:
    from assistant.brain.llm import LlamaChat
    from assistant.config import Config
    from assistant.conversation.brain import Brain
    from assistant.conversation.typed import TypedConversation

ORDER = 45
PROMPT = "you> "
RING_CHECK_S = 0.25
log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "chat", help="type to the assistant: its skills, then the language model (Ctrl-C stops a reply, Ctrl-D "
        "quits)", parents=[common]
    )
    parser.add_argument("--model", type=Path, metavar="PATH", help="a GGUF file (default: the configured LLM)")
    parser.add_argument("--no-skills", action="store_true",
                        help="leave the device's skills out: every line goes to the language model")
    parser.add_argument("--once", metavar="PROMPT", help="print the reply to PROMPT and exit")
    parser.set_defaults(func=_chat)


def open_model(config: Config, model: Path | None) -> LlamaChat:
    """The chat model: `model` if given, else the configuration's choice (assistant.selection)."""
    from assistant.brain.llm import LlamaChat

    if model is None:
        from assistant.selection import choose

        choice = choose("llm", config)
        if choice.model is None:
            raise ModelError(f"no language model: {choice.reason}; or pass --model FILE.gguf")
        log.info("LLM: %s", choice.reason)
        model = choice.model
    return LlamaChat(model, config.llm)


def _chat(args: argparse.Namespace) -> int:
    from assistant.conversation.typed import TypedConversation

    config = load(args).config
    if args.once is not None and not args.once.strip():
        print('assistant: error: the prompt is empty; say something, e.g. --once "What can you do?"',
              file=sys.stderr)
        return EXIT_USAGE
    # No memory file: it is the running assistant's (see assistant.conversation.typed).
    conversation_config = dataclasses.replace(
        config.conversation, memory=False, skills=[] if args.no_skills else config.conversation.skills
    )
    config = dataclasses.replace(config, conversation=conversation_config)
    brain, about = _open_brain(config, args.model)
    try:
        conversation = TypedConversation(config, brain)
        if args.once is not None:
            cancelled = _reply(conversation, args.once)
            return 130 if cancelled else EXIT_OK
        return _repl(conversation, about)
    finally:
        brain.close()


def _open_brain(config: Config, model_path: Path | None) -> tuple[Brain, str]:
    """The brain (`model_path`'s model, else the configuration's choice, else the built-in answers), and what it
    is, for the greeting."""
    from assistant.conversation.brain import LlmBrain, open_brain

    if model_path is None:
        brain = open_brain(config)
    else:
        brain = LlmBrain(open_model(config, model_path), config, None)
        try:
            brain.warm_up()
        except BaseException:
            brain.close()
            raise
    if isinstance(brain, LlmBrain):
        model = brain.model
        return brain, f"{model.path.name} ({model.format.name})"  # type: ignore[attr-defined]
    return brain, ("the built-in answers: no language model is installed (assistant models pull --default adds "
                   "one)")


def _repl(conversation: TypedConversation, about: str) -> int:
    with contextlib.suppress(ImportError):  # line editing and the lines typed before, with the arrow keys
        import readline  # noqa: F401
    skills = "the device's skills, then " if conversation.skills.enabled else ""
    print(f"Chatting with {skills}{about}. Ctrl-C stops a reply, Ctrl-D quits.", file=sys.stderr)
    output = threading.Lock()  # a timer rings between two replies, never inside one
    ended = threading.Event()
    ringer = threading.Thread(target=_ring, args=(conversation, output, ended), name="chat-timers", daemon=True)
    ringer.start()
    try:
        while True:
            try:
                line = input(PROMPT)
            except EOFError:
                print(file=sys.stderr)
                return EXIT_OK
            except KeyboardInterrupt:  # at the prompt, Ctrl-C drops the line, as in a shell
                print(file=sys.stderr)
                continue
            if line.strip():
                with output:
                    _reply(conversation, line)
    finally:
        ended.set()
        ringer.join()


def _ring(conversation: TypedConversation, output: threading.Lock, ended: threading.Event) -> None:
    """Say the timers, alarms and reminders as they run out, on a line of their own, and show the prompt again."""
    while not ended.wait(RING_CHECK_S):
        sentence = conversation.rings()
        if sentence is not None:
            with output:
                sys.stdout.write(f"\n(chime) {sentence}\n{PROMPT}")
                sys.stdout.flush()


def _reply(conversation: TypedConversation, user: str) -> bool:
    """Stream the reply to stdout and remember the turn; returns whether Ctrl-C stopped it."""
    if conversation.is_stop(user):
        print("(Nothing to stop.)")  # spoken, "stop" silences a reply or a ringing timer
        return False
    cancel = threading.Event()
    shown: list[str] = []
    with _sigint_sets(cancel):
        for piece in conversation.reply(user, cancel):
            shown.append(piece)
            sys.stdout.write(piece)
            sys.stdout.flush()
    cancelled = cancel.is_set()
    sys.stdout.write(" [stopped]\n" if cancelled else "\n")
    sys.stdout.flush()
    conversation.remember(user, "".join(shown))  # the part the user saw, when a reply was stopped
    log.debug("reply: %s", conversation.brain.stats)
    return cancelled


@contextlib.contextmanager
def _sigint_sets(event: threading.Event) -> Iterator[None]:
    """While a reply is written, Ctrl-C sets `event` (the model stops between two tokens) instead of raising."""
    previous = signal.signal(signal.SIGINT, lambda signum, frame: event.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
