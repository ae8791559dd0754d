"""`assistant chat`: talk to the language model in text, with the same model, prompt and memory as the voice.

A REPL (history kept for the session; Ctrl-C stops the reply being written, Ctrl-D leaves), or one reply
with `--once "PROMPT"`. The model is `--model PATH`, else the one the configuration selects.
"""

from __future__ import annotations

import argparse
import contextlib
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
    from assistant.brain.history import History
    from assistant.brain.llm import LlamaChat
    from assistant.config import Config

ORDER = 45
PROMPT = "you> "
log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "chat", help="chat with the language model in text (Ctrl-C stops a reply, Ctrl-D quits)", parents=[common]
    )
    parser.add_argument("--model", type=Path, metavar="PATH", help="a GGUF file (default: the configured LLM)")
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
    from assistant.brain.history import History

    config = load(args).config
    if args.once is not None and not args.once.strip():
        print('assistant: error: the prompt is empty; say something, e.g. --once "What can you do?"',
              file=sys.stderr)
        return EXIT_USAGE
    with open_model(config, args.model) as model:
        model.warm_up()
        history = History(
            model.count_tokens,
            prompt_budget=model.n_ctx - config.llm.max_tokens,
            turns_budget=config.conversation.history_tokens,
        )
        if args.once is not None:
            cancelled = _reply(model, history, config.llm.system_prompt, args.once)
            return 130 if cancelled else EXIT_OK
        return _repl(model, history, config.llm.system_prompt)


def _repl(model: LlamaChat, history: History, system: str) -> int:
    print(f"Chatting with {model.path.name} ({model.format.name}). Ctrl-C stops a reply, Ctrl-D quits.",
          file=sys.stderr)
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
            _reply(model, history, system, line)


def _reply(model: LlamaChat, history: History, system: str, user: str) -> bool:
    """Stream the reply to stdout and remember the turn; returns whether Ctrl-C stopped it."""
    cancel = threading.Event()
    shown: list[str] = []
    with _sigint_sets(cancel):
        for piece in model.chat(history.messages(system, user), cancel):
            shown.append(piece)
            sys.stdout.write(piece)
            sys.stdout.flush()
    cancelled = cancel.is_set()
    sys.stdout.write(" [stopped]\n" if cancelled else "\n")
    sys.stdout.flush()
    history.add(user, "".join(shown))  # the part the user saw, when a reply was stopped
    log.debug("reply: %s", model.stats)
    return cancelled


@contextlib.contextmanager
def _sigint_sets(event: threading.Event) -> Iterator[None]:
    """While a reply is written, Ctrl-C sets `event` (the model stops between two tokens) instead of raising."""
    previous = signal.signal(signal.SIGINT, lambda signum, frame: event.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
