"""`assistant bench idle`: the CPU the assistant takes while it only listens for the wake word.

What runs is the real pipeline (assistant.conversation.pipeline: every thread, the configured engines loaded),
with a wake word, in the simulated room in real time with nobody speaking: the always-on part works (the
audio thread with the Speex front-end, the listener with Silero VAD and openWakeWord) and every other stage
waits. The wake words are the configured ones; when the config has none (wake.engine = "none", or no model
installed) the config's words are used anyway (by default the default word), or `--wake-model`. The room
plays `--noise` (a recording, looped, at its recorded level; the Speech Commands background noises are
-45 to -53 dBFS, a quiet to busy kitchen), or digital silence.

After a warm-up, the process CPU time over wall time is taken in several windows (the figure is their
median), and per thread (each thread's own CPU clock) and per engine (the CPU time spent inside the
front-end's process(), the VAD's probability(), the wake word's feed() and its VAD check, measured in place
with thread_time) over the whole run, with each engine's real-time factor (CPU seconds per audio second).
The room's own work (generating the microphone blocks, in the audio thread) is measured the same way and
left out of the assistant's figure: on a device, the sound card's callback takes its place.

Target (this project's, on a 2-core machine): idle <= 10% of one core.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.commands._shared import load
from assistant.commands.bench import json_option
from assistant.config import Config, WakeWordConfig
from assistant.errors import EXIT_OK, AssistantError, ModelError
from assistant.report import emit

if TYPE_CHECKING:
    from assistant.audio.room import SimulatedRoom
    from assistant.conversation.pipeline import Engines, Pipeline


TARGET_CPU_PCT = 10.0
WARMUP_S = 2.0  # first inferences, the wake word's ignored first second: not idle as it will be
WINDOW_S = 5.0  # preferred window length; at least MIN_WINDOWS windows are taken
MIN_WINDOWS = 3


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "idle", parents=[common],
        help="CPU while listening for the wake word (AEC, VAD, wake word): the real pipeline in the simulated room",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--seconds", type=_seconds, default=30.0, metavar="S",
        help=f"seconds measured, after {WARMUP_S:g} s of warm-up (default 30)",
    )
    parser.add_argument("--noise", type=Path, metavar="FILE", help="noise played in the room (default: silence)")
    parser.add_argument(
        "--wake-model", metavar="NAME|PATH",
        help="listen for this wake word instead (a manifest name or a classifier .onnx beside "
        "melspectrogram.onnx and embedding_model.onnx)",
    )
    json_option(parser)
    parser.set_defaults(func=run)


def _seconds(text: str) -> float:
    value = float(text)
    if not 1.0 <= value <= 3600.0:
        raise argparse.ArgumentTypeError(f"must be between 1 and 3600 seconds, got {text}")
    return value


# ----------------------------------------------------------------------------------------------- metering


class Meter:
    """CPU time spent inside one method of one object, counted in the thread that calls it.

    Installed on the instance (the engines the pipeline really runs are timed in place, without a copy of
    the pipeline's wiring); thread_time leaves out the time the caller waits or is preempted.
    """

    def __init__(self, owner: object, method: str) -> None:
        self.ns = 0
        self.calls = 0
        inner: Callable[..., Any] = getattr(owner, method)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time_ns()
            try:
                return inner(*args, **kwargs)
            finally:
                self.ns += time.thread_time_ns() - start
                self.calls += 1

        setattr(owner, method, timed)

    @property
    def seconds(self) -> float:
        return self.ns / 1e9


def thread_cpu() -> dict[str, float]:
    """CPU seconds of every live thread by name (threads of one name added); empty where the platform has no
    per-thread CPU clocks."""
    if not hasattr(time, "pthread_getcpuclockid"):
        return {}
    seconds: dict[str, float] = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            cpu = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except (OSError, OverflowError):  # it ended meanwhile
            continue
        seconds[thread.name] = seconds.get(thread.name, 0.0) + cpu
    return seconds


@dataclass(frozen=True)
class Snapshot:
    wall: float
    process: float  # CPU seconds of the whole process, every thread
    threads: dict[str, float]
    parts: dict[str, float]  # CPU seconds inside each metered method
    audio: float  # room seconds produced


def snapshot(meters: dict[str, Meter], room: SimulatedRoom) -> Snapshot:
    return Snapshot(
        time.monotonic(), time.process_time(), thread_cpu(),
        {name: m.seconds for name, m in meters.items()}, room.clock / room.sample_rate,
    )


# ------------------------------------------------------------------------------------------------ running


def wake_config(config: Config, model: str | None) -> tuple[Config, str]:
    """A config that listens for a wake word, and which word(s) and why: `model`, else the configured words
    (when the config has none, its [[wake.words]] anyway: by default the default word)."""
    from assistant.selection import choose_wake

    if model is not None:
        words, why = [WakeWordConfig(model=model)], "--wake-model"
    else:
        choice = choose_wake(config)
        if choice.engine != "none":
            return config, f"configured: {', '.join(w.name for w in choice.words)}"
        words, why = list(config.wake.words) or [WakeWordConfig()], f"the config has none ({choice.reason})"
    config = dataclasses.replace(config, wake=dataclasses.replace(config.wake, engine="openwakeword", words=words))
    try:
        choice = choose_wake(config)
    except ModelError as error:
        if model is not None:
            raise ModelError(f"--wake-model {model}: {error}") from None
        raise ModelError(f"{error}; bench idle listens for a wake word: name one with --wake-model NAME|PATH") from None
    return config, f"{', '.join(w.name for w in choice.words)}: {why}"


def run(args: argparse.Namespace) -> int:
    from assistant.audio.room import RoomSetup, SimulatedRoom
    from assistant.conversation.pipeline import Engines, Pipeline
    from assistant.conversation.simulate import simulation_config

    config, wake_how = wake_config(simulation_config(load(args).config), args.wake_model)
    noise = _noise_level(args.noise) if args.noise else None
    room = SimulatedRoom((), RoomSetup(noise=args.noise), block_ms=config.audio.block_ms, realtime=True)
    engines = Engines.build(config, wake=True)
    try:
        meters = install_meters(room, engines)
        pipeline = Pipeline(config, room, engines, greet=False, trace_audible=False)
        snapshots, dropped = _measure(pipeline, room, meters, args.seconds)
    finally:
        engines.close()
    events = [e["event"] for e in pipeline.trace.events]
    summary, rows = report(snapshots)
    summary = {
        "measured": "the real pipeline (every thread, the configured engines) in the simulated room, real time",
        "wake": wake_how,
        "noise": f"{args.noise} ({noise:.1f} dBFS)" if noise is not None else "none (digital silence)",
        "block_ms": config.audio.block_ms,
        "onnx_threads": config.general.onnx_threads,
        "engines": ", ".join(f"{role}: {what}" for role, what in engines.choices.items()),
        **summary,
        "wake_detections": events.count("wake"),
        "turns_opened": events.count("vad_start"),
        "dropped_messages": sum(dropped.values()),
        # Other processes competing for the cores make every figure worse (caches, frequency): say so.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    emit("idle CPU", summary, rows, as_json=args.json)
    return EXIT_OK


def install_meters(room: SimulatedRoom, engines: Engines) -> dict[str, Meter]:
    """Meters on the room's read() and on every always-on engine's per-block call."""
    wake = engines.wake
    assert wake is not None  # built with wake=True
    meters = {
        "room": Meter(room, "read"),
        "frontend": Meter(engines.frontend, "process"),
        "vad": Meter(engines.vad, "probability"),
        "wake": Meter(wake, "feed"),
        "wake_features": Meter(wake.features, "push"),
    }
    if wake.vad is not None:
        meters["wake_vad_check"] = Meter(wake.vad, "probability")
    for classifier in wake.classifiers:
        meters[WORD + classifier.name] = Meter(classifier, "score")
    return meters


def _noise_level(path: Path) -> float:
    """RMS level of a recording in dBFS (the level the room plays it at)."""
    from assistant.audio_files import read_audio

    try:
        samples = read_audio(path).astype(np.float64)
    except AssistantError as error:
        raise AssistantError(f"--noise: {error}") from None
    if not samples.size or not samples.any():
        raise AssistantError(f"--noise {path}: the recording is silent or empty")
    return float(20 * np.log10(np.sqrt(np.mean(samples**2)) / 32768))


def _measure(
    pipeline: Pipeline, room: SimulatedRoom, meters: dict[str, Meter], seconds: float
) -> tuple[list[Snapshot], dict[str, int]]:
    """Run the pipeline through the warm-up and the windows; a snapshot at each window's edge."""
    windows = max(MIN_WINDOWS, round(seconds / WINDOW_S))
    pipeline.start()
    try:
        _sleep(pipeline, WARMUP_S)
        snapshots = [snapshot(meters, room)]
        for _ in range(windows):
            _sleep(pipeline, seconds / windows)
            snapshots.append(snapshot(meters, room))
    finally:
        pipeline.stop()
    return snapshots, pipeline.dropped()


def _sleep(pipeline: Pipeline, seconds: float) -> None:
    if pipeline.stop_event.wait(seconds):
        raise AssistantError("the assistant stopped during the measurement (see the log above)")


# ---------------------------------------------------------------------------------------------- reporting

# (meter, what it is, its thread); the wake words' classifiers follow, one row each (meters WORD + name).
WORD = "wake_word "
PARTS = (
    ("frontend", "Speex front-end: AEC + noise suppression", "audio"),
    ("vad", "Silero VAD (the listener's)", "listener"),
    ("wake", "openWakeWord, all of it", "listener"),
    ("wake_features", "  of it: melspectrogram + embedding", "listener"),
    ("wake_vad_check", "  of it: its VAD check (the listener's scores, read)", "listener"),
)


def report(snapshots: list[Snapshot]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The summary (CPU %, target) and the rows (engines, then threads) of a run's snapshots."""
    first, last = snapshots[0], snapshots[-1]
    wall, audio = last.wall - first.wall, last.audio - first.audio

    def spent(a: Snapshot, b: Snapshot, part: str) -> float:
        return b.parts.get(part, 0.0) - a.parts.get(part, 0.0)

    def pct(seconds: float) -> float:
        return round(100 * seconds / wall, 2)

    pairs = list(itertools.pairwise(snapshots))
    with_room = [100 * (b.process - a.process) / (b.wall - a.wall) for a, b in pairs]
    windows = [100 * (b.process - a.process - spent(a, b, "room")) / (b.wall - a.wall) for a, b in pairs]
    cpu = statistics.median(windows)

    words = [(n, f"  of it: classifier {n.removeprefix(WORD)}", "listener") for n in last.parts if n.startswith(WORD)]
    rows: list[dict[str, Any]] = [
        {"part": what, "thread": thread, "cpu_pct": pct(spent(first, last, name)),
         "rtf": round(spent(first, last, name) / audio, 4)}
        for name, what, thread in (*PARTS, *words)
        if name in last.parts
    ]
    threads = {name: last.threads[name] - first.threads[name] for name in last.threads if name in first.threads}
    room = spent(first, last, "room")
    for name, seconds in sorted(threads.items(), key=lambda item: -item[1]):
        # The audio thread also generates the room's blocks: that is reported on its own row.
        own = seconds - room if name == "audio" else seconds
        rows.append({"part": f"thread {name}, all of it", "thread": name, "cpu_pct": pct(own), "rtf": None})
    if threads:
        rows.append({
            "part": "threads not started by Python (ONNX Runtime pools)", "thread": "-",
            "cpu_pct": pct(last.process - first.process - sum(threads.values())), "rtf": None,
        })
    rows.append(
        {"part": "the simulated room's blocks (left out)", "thread": "audio", "cpu_pct": pct(room), "rtf": None}
    )
    summary = {
        "seconds": round(wall, 1),
        "audio_s": round(audio, 1),
        "cpu_pct": round(cpu, 2),
        "cpu_windows_pct": " ".join(f"{w:.1f}" for w in windows),
        "cpu_with_room_pct": round(statistics.median(with_room), 2),
        "target_cpu_pct": TARGET_CPU_PCT,
        "target_met": cpu <= TARGET_CPU_PCT,
    }
    return summary, rows
