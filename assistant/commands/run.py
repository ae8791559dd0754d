"""`assistant run`: the assistant on the sound card, until Ctrl-C or SIGTERM (the systemd service runs this).

Models load first, then the audio opens; READY goes to systemd once both are done, and the watchdog is
pinged only while every stage's heartbeat is fresh. SIGTERM or Ctrl-C stops every thread and closes the
streams within about two seconds.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from assistant.commands._shared import load
from assistant.errors import EXIT_OK

if TYPE_CHECKING:
    from assistant.conversation.pipeline import Pipeline
    from assistant.service import Notifier

ORDER = 10
STATUS_EVERY_S = 30.0
log = logging.getLogger("assistant.run")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "run", help="listen on the microphone and answer out loud (Ctrl-C stops)", parents=[common]
    )
    parser.add_argument("--trace", type=Path, metavar="OUT.jsonl",
                        help="write every turn's events with their times on the audio clock")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from assistant.audio.io import open_audio
    from assistant.conversation.pipeline import Engines, Pipeline
    from assistant.service import Heartbeats, Notifier, Watchdog, watchdog_interval

    loaded = load(args)
    config = loaded.config
    log.info("configuration: %s (%s)", loaded.path or "built-in defaults", loaded.path_reason)
    notifier = Notifier()
    notifier.notify("STATUS=loading models")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, _setter(stop)) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        engines = Engines.build(config)
        try:
            heartbeats = Heartbeats()
            pipeline = Pipeline(config, open_audio(config.audio), engines, trace_path=args.trace,
                                heartbeats=heartbeats, keep_trace=False)
            pipeline.start()
            try:
                stats = pipeline.audio.stats()
                log.info("listening: microphone %s, speaker %s", stats.input, stats.output)
                notifier.notify("READY=1", "STATUS=listening")
                interval = watchdog_interval()
                watchdog = Watchdog(notifier, heartbeats, interval) if interval else None
                if watchdog is not None:
                    watchdog.start()
                while not stop.wait(STATUS_EVERY_S) and pipeline.running:
                    _report(pipeline, notifier)
                if not pipeline.running and not stop.is_set():
                    # The cause (the audio thread failed, a stage hung again or could not be rebuilt) is logged.
                    log.error("the assistant stopped (see the error above); exiting so that the service restarts")
                    return 1
                notifier.notify("STOPPING=1", "STATUS=stopping")
                if watchdog is not None:
                    watchdog.stop()
            finally:
                pipeline.stop()
        finally:
            engines.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        notifier.close()
    log.info("stopped")
    return EXIT_OK


def _setter(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return handler


def _report(pipeline: Pipeline, notifier: Notifier) -> None:
    """Every half minute: the turn count and anything lost, to the log and systemd's status line."""
    stats = pipeline.audio.stats()
    controller = pipeline.controller
    status = f"listening; {controller.completed} replies, {controller.failures} failures"
    lost = stats.lost_blocks + sum(pipeline.dropped().values())
    if lost:
        status += f", {lost} blocks/messages lost"
    if stats.output_underflows:
        status += f", {stats.output_underflows} gaps in playback"
    notifier.notify(f"STATUS={status}")
    log.debug("%s; audio %s", status, stats)
