"""`assistant bench llm`: how fast the language model answers on this machine, and how fast it stops.

Per run, three replies to the same two-turn conversation:
- cold: the first turn with an empty KV cache (system prompt and message evaluated);
- second turn, cached: after the first turn, only the new tokens are evaluated (the prefix cache);
- second turn, uncached: the same prompt with the cache cleared, for comparison.
Time to first token is measured from the chat() call. Prompt tokens/s come from the cold turn, generation
tokens/s from the second. Cancellation: a reply is cancelled from another thread while it generates, and
while it evaluates a long prompt; the figure is the time from setting the event to chat()'s iterator ending.
Target: second-turn first token <= 50 ms + its new tokens at the cold prompt rate (on the 0.5B stand-in);
cancellation within one token.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.commands._shared import load
from assistant.commands.bench import json_option, positive_int
from assistant.errors import EXIT_OK
from assistant.report import Progress, emit

if TYPE_CHECKING:
    from assistant.brain.llm import LlamaChat, Message

FIRST = "Hello! What can you do for me this morning?"
REPLY = "I can set timers, tell you the weather and answer questions."
SECOND = "Please set a timer for ten minutes."
LONG = " ".join(["Tell me about the weather in the kitchen and the music in the bedroom today."] * 25)
CACHED_OVERHEAD_TARGET_S = 0.050


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "llm", help="language model: time to first token (with/without prefix cache), tokens/s, cancel latency",
        parents=[common],
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path, metavar="PATH", help="a GGUF file (default: the configured LLM)")
    source.add_argument(
        "--standin", choices=["tiny", "0.5b"],
        help="time a random-weight stand-in (0.5b: Qwen2.5-0.5B's shapes in Q8_0) instead of a real model",
    )
    parser.add_argument("--runs", type=positive_int, default=3, metavar="N", help="timed runs (default 3)")
    parser.add_argument(
        "--tokens", type=positive_int, default=32, metavar="N", help="tokens generated per reply (default 32)"
    )
    json_option(parser)
    parser.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from assistant.brain.llm import LlamaChat
    from assistant.commands.chat import open_model

    config = load(args).config
    # The reply length is the benchmark's, not the assistant's: long enough for a rate, short enough to wait.
    config = dataclasses.replace(config, llm=dataclasses.replace(config.llm, max_tokens=args.tokens))
    if args.standin:
        from assistant.testing.standins import llama_gguf

        model = LlamaChat(llama_gguf(args.standin), config.llm)
    else:
        model = open_model(config, args.model)
    with model:
        progress = Progress(args.runs, "bench llm")
        rows = []
        for run in range(1, args.runs + 1):
            rows.append({"run": run, **measure(model)})
            progress.advance()
        progress.close()
        emit("language model", _summary(model, rows), rows, as_json=args.json)
    return EXIT_OK


def measure(model: LlamaChat) -> dict[str, Any]:
    """One run: the three replies and the two cancellations, in milliseconds and tokens."""
    from assistant.brain.llm import Message

    system = [Message("system", model.config.system_prompt)] if model.config.system_prompt else []
    first = [*system, Message("user", FIRST)]
    second = [*first, Message("assistant", REPLY), Message("user", SECOND)]
    model.reset_cache()
    cold = _timed(model, first)  # leaves the first turn in the cache
    cached = _timed(model, second)
    model.reset_cache()
    uncached = _timed(model, second)
    generating = _cancel_latency(model, second, lambda elapsed: model.stats.generated_tokens >= 3)
    model.reset_cache()
    # Half way through evaluating a prompt as long as the uncached second turn's: inside a prompt chunk.
    delay = uncached["prompt_s"] / 2
    prompting = _cancel_latency(model, [*system, Message("user", LONG)], lambda elapsed: elapsed >= delay)
    prompt_rate = cold["evaluated"] / cold["prompt_s"]
    gen = cached["generated"] - 1
    gen_s = cached["total_s"] - cached["first_s"]
    return {
        "cold_ttft_ms": 1000 * cold["first_s"],
        "cold_prompt_tok": cold["evaluated"],
        "cached_ttft_ms": 1000 * cached["first_s"],
        "cached_new_tok": cached["evaluated"],
        "uncached_ttft_ms": 1000 * uncached["first_s"],
        "uncached_prompt_tok": uncached["evaluated"],
        # What the cached turn's first token cost beyond evaluating its new tokens at the cold prompt rate.
        "cached_overhead_ms": 1000 * (cached["first_s"] - cached["evaluated"] / prompt_rate),
        "prompt_tok_s": prompt_rate,
        "gen_tok_s": gen / gen_s if gen > 0 and gen_s > 0 else float("nan"),
        "token_ms": 1000 * gen_s / gen if gen > 0 else float("nan"),
        "cancel_gen_ms": 1000 * generating[0],
        "tokens_after_cancel": generating[1],
        "cancel_prompt_ms": 1000 * prompting[0],
    }


def _timed(model: LlamaChat, messages: list[Message]) -> dict[str, float]:
    started = time.perf_counter()
    for _ in model.chat(messages):
        pass
    stats = model.stats
    return {
        "first_s": stats.first_token_s, "prompt_s": stats.prompt_s, "total_s": stats.total_s,
        "evaluated": stats.evaluated_tokens, "generated": stats.generated_tokens,
        "wall_s": time.perf_counter() - started,
    }


def _cancel_latency(
    model: LlamaChat, messages: list[Message], when: Callable[[float], bool]
) -> tuple[float, int]:
    """(seconds from cancel.set() to the reply's end, tokens sampled after the set) for a cancel made by
    another thread as soon as `when(seconds since the reply started)` holds."""
    cancel = threading.Event()
    marks: dict[str, float] = {}
    previous = model.stats  # each reply starts with a new stats object

    def canceller() -> None:
        while model.stats is previous and "end" not in marks:
            time.sleep(0.0005)
        started = time.perf_counter()
        while not when(time.perf_counter() - started) and "end" not in marks:
            time.sleep(0.0005)
        marks["tokens_at_cancel"] = model.stats.generated_tokens
        marks["cancel"] = time.perf_counter()
        cancel.set()

    thread = threading.Thread(target=canceller, daemon=True)
    thread.start()
    for _ in model.chat(messages, cancel):
        pass
    marks["end"] = time.perf_counter()
    thread.join()
    return max(0.0, marks["end"] - marks["cancel"]), model.stats.generated_tokens - int(marks["tokens_at_cancel"])


def _summary(model: LlamaChat, rows: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        return statistics.median(row[key] for row in rows)

    cost_of_new = median("cached_new_tok") / median("prompt_tok_s")
    target = CACHED_OVERHEAD_TARGET_S + cost_of_new
    return {
        "model": str(model.path),
        "prompt_format": model.format.name,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "threads": model.threads,
        "load_s": model.load_s,
        "cold_ttft_ms": median("cold_ttft_ms"),
        "cached_ttft_ms": median("cached_ttft_ms"),
        "uncached_ttft_ms": median("uncached_ttft_ms"),
        "cached_target_ms": 1000 * target,
        "cached_ok": median("cached_ttft_ms") <= 1000 * target,
        "prompt_tok_s": median("prompt_tok_s"),
        "gen_tok_s": median("gen_tok_s"),
        "cancel_gen_ms": median("cancel_gen_ms"),
        "token_ms": median("token_ms"),
        "cancel_within_one_token": all(row["tokens_after_cancel"] <= 1 for row in rows),
        "cancel_prompt_ms": median("cancel_prompt_ms"),
        "note": "medians over runs; cached_target = 50 ms + the cached turn's new tokens at the cold prompt rate",
    }
