"""`assistant bench tts`: how fast the voice speaks on this machine.

For a short and a long sentence: time to first audio (what the user waits for after the first sentence
reaches the TTS stage) and the real-time factor (synthesis time / audio duration; below 1 keeps up).
Alongside the configured voice it times the Piper stand-in (a random-weight network of a low-quality
Piper voice's size, from assistant.testing.standins): the stand-in's figure on two machines gives the
ratio by which a real voice's figure measured on one carries over to the other.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.commands._shared import load
from assistant.commands.bench import json_option, positive_int
from assistant.errors import EXIT_OK, AssistantError
from assistant.report import Progress, emit

if TYPE_CHECKING:
    from assistant.config import Config
    from assistant.speech.tts import Synthesizer

SHORT = "Sure, the kitchen light is on now."
LONG = (
    "Tomorrow will be mostly sunny in the morning, with clouds building up over the hills in the afternoon "
    "and a good chance of light rain in the evening, so take an umbrella if you are going out after work."
)
WARM_UP = "Ready."


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "tts", help="text-to-speech: time to first audio and real-time factor", parents=[common]
    )
    parser.add_argument("--engine", choices=["piper", "espeak"], help="default: tts.engine (auto: Piper if installed)")
    parser.add_argument("--voice", type=Path, metavar="PATH", help="a Piper voice .onnx file (implies piper)")
    parser.add_argument("--runs", type=positive_int, default=3, metavar="N", help="timed runs per text (default 3)")
    parser.add_argument(
        "--no-standin", action="store_true", help="do not time the Piper stand-in reference voice"
    )
    json_option(parser)
    parser.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from assistant.speech.tts import choose_synthesizer

    config = load(args).config
    voices: list[tuple[str, Callable[[], Synthesizer]]] = [
        ("configured", lambda: choose_synthesizer(config, args.engine, args.voice))
    ]
    summary: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {_cpu_model()}",
        "runs": args.runs,
        "piper_threads": config.tts.threads or config.general.onnx_threads,
    }
    if args.no_standin:
        summary["standin"] = "skipped (--no-standin)"
    else:
        voices.append(("standin", lambda: _standin(config)))
    rows: list[dict[str, Any]] = []
    progress = Progress(len(voices) * 2 * args.runs, "bench tts")
    for role, make in voices:
        try:
            started = time.perf_counter()
            synthesizer = make()
            load_s = time.perf_counter() - started
        except (AssistantError, ImportError, OSError) as exc:
            if role == "configured":
                raise
            summary["standin"] = f"unavailable: {exc}"  # e.g. no onnx package or shared models on a device
            progress.advance(2 * args.runs)
            continue
        list(synthesizer.synthesize(WARM_UP))  # first call loads phonemizer data and sizes ORT buffers
        for label, text in (("short", SHORT), ("long", LONG)):
            rows.append({"voice": role, "engine": synthesizer.name, "load_s": load_s, "text": label,
                         **measure(synthesizer, text, args.runs, progress)})
    progress.close()
    summary["note"] = (
        "rtf = synthesis time / audio duration (below 1 keeps up); a real voice's rtf on another device "
        "~ its rtf here * (stand-in rtf there / stand-in rtf here)"
    )
    emit("text-to-speech", summary, rows, as_json=args.json)
    return EXIT_OK


def measure(synthesizer: Synthesizer, text: str, runs: int, progress: Progress | None = None) -> dict[str, Any]:
    """Median time to first audio and total synthesis time of `text` over `runs` runs."""
    first: list[float] = []
    total: list[float] = []
    samples = 0
    for _ in range(runs):
        started = time.perf_counter()
        samples = 0
        for chunk in synthesizer.synthesize(text):
            if samples == 0:
                first.append(time.perf_counter() - started)
            samples += len(chunk.pcm)
        total.append(time.perf_counter() - started)
        if progress is not None:
            progress.advance()
    if not samples:
        raise AssistantError(f"{synthesizer.name} produced no audio for {text!r}")
    audio_s = samples / synthesizer.sample_rate
    synth_s = statistics.median(total)
    return {
        "words": len(text.split()),
        "audio_s": audio_s,
        "first_audio_ms": 1000 * statistics.median(first),
        "synth_s": synth_s,
        "rtf": synth_s / audio_s,
    }


def _standin(config: Config) -> Synthesizer:
    from assistant.speech.tts import open_synthesizer
    from assistant.testing.standins import piper_voice

    return open_synthesizer("piper", config, piper_voice())


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model"):  # x86 / Raspberry Pi
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
