"""`assistant bench soak`: many turns through one running pipeline; do memory, threads, files and queues stay flat?

The assistant runs for weeks, so whatever it keeps per turn must be bounded. This bench builds the engines
once (the config as `assistant simulate` runs it: no memory file, no greeting; no wake word) and runs ONE
Pipeline in ONE simulated room, in lockstep (compute takes no room time; the conversation is the same on any
machine), through --turns user utterances: the shared English command recordings (commands/*/en, the
MANIFEST.tsv rows with a transcript; out-of-vocabulary clips left out) in turn, the first at 1 s, each next
one 1 s after the reply to the previous one ended. The room reads each recording once, when it is built:
that memory is taken before the first sample, and stays constant while measuring.
The room also keeps its ground truth (a few events a turn, ~36 Python blocks): that grows, and is the
room's, not the assistant's (THRESHOLDS allow for it).

About every 0.5 s of wall time the bench thread samples: turns done (the controller's completed turns),
resident memory (VmRSS), Python's allocated memory blocks (sys.getallocatedblocks()), objects the garbage
collector tracks (len(gc.get_objects())), threads, open file descriptors (/proc/self/fd) and the messages
waiting in the pipeline's queues; each sample after a full garbage collection (together ~20 ms, printed as
sample_ms; in lockstep it costs no room time).

Samples from the warm-up (the first 20% of the turns, at least 5: the LLM's history fills up to its token
budget, caches warm up) are left out. For the rest, each resource gets its first and last value and its
growth per 100 turns (least-squares slope against turns done), and `steady`:
- threads, open files, queued messages: steady when the lowest value of the last quarter of the samples is
  no higher than the lowest of the first quarter. Any lasting growth fails, however small; a thread, file
  or message that exists for a moment (a sample taken mid-turn) does not.
- memory, blocks, gc objects: steady when the growth per 100 turns is at most THRESHOLDS (see there for
  the measured noise they sit above).

--sites N also diffs tracemalloc snapshots taken at the end of the warm-up and at the end, and prints the N
source lines whose memory grew most (tracemalloc makes Python 2-3 times slower; the figures stay valid in
lockstep, except sample_ms and the memory it costs itself).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.audio_files import read_manifest, require_shared_audio
from assistant.commands._shared import load
from assistant.commands.bench import json_option
from assistant.config import Config
from assistant.errors import EXIT_OK, AssistantError
from assistant.report import Progress, emit

if TYPE_CHECKING:
    from assistant.audio.room import SimulatedRoom, Utterance
    from assistant.conversation.pipeline import Pipeline

SAMPLE_RATE = 16000
SAMPLE_EVERY_S = 0.5
FIRST_AT_S = 1.0
AFTER_REPLY_S = 1.0
WARMUP_SHARE = 0.2
WARMUP_MIN = 5
# Growth per 100 turns allowed for the resources judged by slope, measured (300 turns, the test set): the
# simulated room keeps its ground truth, ~36 blocks (2 kB) and ~7 gc objects a turn: ~3600 blocks and ~700
# objects per 100 turns (tracemalloc puts all lasting growth on assistant/audio/room.py, none on the
# assistant); RSS moves in steps of ~2 MB (the allocator taking another arena), +0.5..0.9 MB per 100 turns
# over 300 turns. A leak of a few blocks a turn hides under these; one of a turn's text, token list or audio
# does not. Judge on 300 turns or more: over fewer, one RSS step is most of the slope.
THRESHOLDS = {"rss_mb": 2.0, "blocks": 5000.0, "gc_objects": 1500.0}
FLOOR_RULE = ("threads", "fds", "queued")
FRAMES = 12  # call stack kept per allocation with --sites: deep enough to reach the assistant's own code


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "soak", parents=[common],
        help="many turns through one pipeline (simulated room, lockstep): memory, threads, files, queues",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--turns", type=_positive, default=300, metavar="N", help="user utterances (default 300)")
    parser.add_argument("--audio", type=Path, metavar="DIR", help="the shared recordings (default: found as tests do)")
    parser.add_argument("--rir", default="speechbrain_rir4", metavar="NAME", help="impulse response in echo/rir")
    parser.add_argument("--gain", type=float, default=-6.0, metavar="DB", help="echo gain (default -6 dB)")
    parser.add_argument("--sites", type=int, default=0, metavar="N",
                        help="also print the N source lines whose memory grew most (tracemalloc; slower)")
    json_option(parser)
    parser.set_defaults(func=_bench)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


# ------------------------------------------------------------------------------------------ the room


def recordings(audio: Path) -> list[Path]:
    """The English command recordings the MANIFEST.tsv of audio/commands lists with a transcript."""
    folder = audio / "commands"
    rows = read_manifest(folder)
    found = [row["path"] for row in rows
             if Path(row["file"]).parent.name == "en" and row["label"] and not row["label"].startswith("<")]
    if not found:
        raise AssistantError(f"{folder / 'MANIFEST.tsv'}: no English command recordings (*/en/*.wav) listed")
    missing = [p for p in found if not p.is_file()]
    if missing:
        raise AssistantError(f"{missing[0]}: listed in {folder / 'MANIFEST.tsv'} but missing; restore the "
                             "shared recordings or pass --audio DIR")
    return found


def utterances(files: Sequence[Path], turns: int) -> list[Utterance]:
    from assistant.audio.room import Utterance

    first = Utterance(files[0], at=FIRST_AT_S)
    return [first, *(Utterance(files[i % len(files)], after_reply_end=AFTER_REPLY_S) for i in range(1, turns))]


def find_rir(audio: Path, name: str) -> Path:
    folder = audio / "echo" / "rir"
    path = folder / (name if name.endswith(".wav") else f"{name}.wav")
    if not path.is_file():
        names = ", ".join(p.stem for p in sorted(folder.glob("*.wav"))) or "none"
        raise AssistantError(f"--rir {name}: {path}: no such impulse response (in {folder}: {names})")
    return path


# --------------------------------------------------------------------------------------------- samples


@dataclass(frozen=True)
class Sample:
    """The process at one moment of the run."""

    turns: int
    values: dict[str, float]  # resource -> value


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssistantError("/proc/self/status has no VmRSS line: the soak bench needs Linux")


RESOURCES = ("rss_mb", "blocks", "gc_objects", "threads", "fds", "queued")


class SampleLog:
    """The samples, kept in a numpy array: its data lies outside Python's block allocator, so keeping them
    adds nothing to the blocks measured (a list of Python objects would: ~10 blocks a sample, ~20 a turn)."""

    def __init__(self, capacity: int = 1024) -> None:
        self._data = np.zeros((capacity, 1 + len(RESOURCES)), np.float64)
        self._count = 0

    def add(self, turns: int, queued: int) -> None:
        """Sample now, after a full collection: garbage in reference cycles waits for one (Python runs few on
        a heap this size), and what is left is what the process really holds."""
        gc.collect()
        row = (turns, rss_mb(), sys.getallocatedblocks(), len(gc.get_objects()), threading.active_count(),
               len(os.listdir("/proc/self/fd")), queued)
        if self._count == len(self._data):
            self._data = np.concatenate([self._data, np.zeros_like(self._data)])
        self._data[self._count] = row
        self._count += 1

    def samples(self) -> list[Sample]:
        return [Sample(int(row[0]), dict(zip(RESOURCES, map(float, row[1:]), strict=True)))
                for row in self._data[: self._count]]


# -------------------------------------------------------------------------------------------- verdicts


def warmup_turns(turns: int) -> int:
    return max(WARMUP_MIN, round(WARMUP_SHARE * turns))


def slope_per_100(turns: Sequence[float], values: Sequence[float]) -> float | None:
    """Least-squares growth of `values` per 100 turns; None when the samples span no turns."""
    x = np.asarray(turns, np.float64)
    if x.size < 2 or np.ptp(x) == 0:
        return None
    return float(100.0 * np.polyfit(x, np.asarray(values, np.float64), 1)[0])


def growth(samples: Sequence[Sample], warmup: int) -> list[dict[str, Any]]:
    """One row per resource over the samples after the warm-up (see the module docstring for `steady`).

    `samples`: at least one. `steady` is None (not judged) when the samples after the warm-up span no turns
    (too short a run); the rows then show the last sample.
    """
    measured = [s for s in samples if s.turns >= warmup] or list(samples[-1:])
    turns = [s.turns for s in measured]
    judged = len(measured) >= 2 and max(turns) > min(turns)
    quarter = max(1, len(measured) // 4)
    rows = []
    for name in measured[0].values:
        values = [s.values[name] for s in measured]
        slope = slope_per_100(turns, values)
        steady: bool | None = None
        if judged and name in FLOOR_RULE:
            steady = min(values[-quarter:]) <= min(values[:quarter])
        elif judged and slope is not None:
            steady = slope <= THRESHOLDS[name]
        rows.append({
            "resource": name, "first": _round(values[0]), "last": _round(values[-1]), "max": _round(max(values)),
            "per_100_turns": None if slope is None else _round(slope),
            "allowed": THRESHOLDS.get(name, "no lasting growth"), "steady": steady,
        })
    return rows


def _round(value: float) -> float:
    return int(value) if value.is_integer() else round(value, 2)


# ------------------------------------------------------------------------------------------------- run


@dataclass(frozen=True)
class Run:
    samples: list[Sample]
    answered: int
    failures: int
    dropped: dict[str, int]
    wall_s: float
    room_s: float
    finished: bool  # the room played every utterance and the last turn ended
    sample_ms: float  # the mean cost of one sample
    sites: list[dict[str, Any]]
    heap_trims: int = 0  # the controller's malloc_trim calls between turns (assistant.heap)
    heap_trim_ms: float = 0.0  # their mean
    heap_trim_max_ms: float = 0.0


def soak(
    config: Config, audio: Path, rir: Path, gain_db: float, turns: int, *,
    sites: int = 0, advance: Callable[[int], None] = lambda done: None,
) -> Run:
    """Build the engines, run the pipeline through `turns` utterances, sampling as it goes."""
    from assistant.audio.room import RoomSetup, SimulatedRoom
    from assistant.conversation.pipeline import Engines, Pipeline
    from assistant.conversation.simulate import simulation_config

    config = simulation_config(config)
    room = SimulatedRoom(utterances(recordings(audio), turns), RoomSetup(rir=rir, echo_gain_db=gain_db),
                         block_ms=config.audio.block_ms)
    engines = Engines.build(config, wake=False)
    try:
        pipeline = Pipeline(config, room, engines, lockstep=True, greet=False, keep_trace=False)
        return _run(pipeline, room, turns, sites, advance)
    finally:
        engines.close()


def _run(pipeline: Pipeline, room: SimulatedRoom, turns: int, sites: int, advance: Callable[[int], None]) -> Run:
    controller = pipeline.controller
    warmup = warmup_turns(turns)
    limit = 120.0 + 30.0 * turns  # wall seconds: a generous bound, for a stage that hangs for good
    sampled = SampleLog()
    cost = 0.0
    snapshots: list[tracemalloc.Snapshot] = []
    if sites:
        tracemalloc.start(FRAMES)
    started = time.monotonic()
    pipeline.start()
    try:
        finished = False
        while time.monotonic() - started < limit:
            if room.wait_done(SAMPLE_EVERY_S) and controller.idle:
                finished = True
                break
            if not pipeline.running:
                raise AssistantError("the assistant stopped during the soak (see the log above)")
            t0 = time.perf_counter()
            sampled.add(controller.completed, sum(len(q) for q in pipeline.queues))
            cost += time.perf_counter() - t0
            if sites and not snapshots and controller.completed >= warmup:
                snapshots.append(tracemalloc.take_snapshot())  # just after a sample's full collection
            advance(controller.completed)
        sampled.add(controller.completed, sum(len(q) for q in pipeline.queues))
        if snapshots:
            snapshots.append(tracemalloc.take_snapshot())
    finally:
        pipeline.stop()
        if sites:
            tracemalloc.stop()
    samples = sampled.samples()
    return Run(
        samples=samples, answered=controller.completed, failures=controller.failures, dropped=pipeline.dropped(),
        wall_s=time.monotonic() - started, room_s=room.clock / SAMPLE_RATE, finished=finished,
        sample_ms=1000.0 * cost / max(1, len(samples) - 1),  # the last one is not timed
        sites=grown_sites(snapshots, sites) if len(snapshots) == 2 else [],
        heap_trims=controller.heap.count,
        heap_trim_ms=1000.0 * controller.heap.seconds / max(1, controller.heap.count),
        heap_trim_max_ms=1000.0 * controller.heap.longest,
    )


def grown_sites(snapshots: Sequence[tracemalloc.Snapshot], count: int) -> list[dict[str, Any]]:
    """The `count` places whose memory grew most between two snapshots: each growth is put on the innermost
    line of the assistant's own code that led to it (`site`), with the line that allocated (`via`)."""
    package = str(Path(__file__).resolve().parents[1])
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
    before, after = (s.filter_traces(ignore) for s in snapshots)
    grown: dict[tuple[str, str], list[int]] = {}
    for diff in after.compare_to(before, "traceback"):
        frames = list(reversed(diff.traceback))  # innermost first (a Traceback lists the oldest first)
        own = next((f for f in frames if f.filename.startswith(package)), frames[0])
        key = (f"{own.filename}:{own.lineno}", f"{frames[0].filename}:{frames[0].lineno}")
        totals = grown.setdefault(key, [0, 0])
        totals[0] += diff.size_diff
        totals[1] += diff.count_diff
    ranked = sorted(grown.items(), key=lambda item: -item[1][0])[:count]
    return [{"site": _short(site), "via": "" if via == site else _short(via), "grew_kb": round(size / 1024, 1),
             "blocks": blocks} for (site, via), (size, blocks) in ranked if size > 0]


def _short(location: str) -> str:
    """A source location relative to the folder holding the package or the Python library it is in."""
    for marker in ("/site-packages/", "/lib/python3"):
        if marker in location:
            return location.split(marker, 1)[1]
    return location.replace(str(Path(__file__).resolve().parents[2]) + "/", "")


def _bench(args: argparse.Namespace) -> int:
    config = load(args).config
    audio = require_shared_audio(args.audio, "commands/ and echo/rir")
    rir = find_rir(audio, args.rir)
    progress = Progress(args.turns, "bench soak", unit=" turns")
    try:
        run = soak(config, audio, rir, args.gain, args.turns, sites=args.sites,
                   advance=lambda done: progress.update(min(done, args.turns)))
    finally:
        progress.close()
    rows = growth(run.samples, warmup_turns(args.turns))
    summary: dict[str, Any] = {
        "turns": args.turns, "answered": run.answered, "failures": run.failures,
        "dropped_messages": sum(run.dropped.values()), "finished": run.finished,
        "warmup_turns": warmup_turns(args.turns), "samples": len(run.samples),
        "wall_s": round(run.wall_s, 1), "room_s": round(run.room_s, 1), "sample_ms": round(run.sample_ms, 2),
        "room": f"{rir.stem} {args.gain:+g} dB",
        "heap_trims": run.heap_trims, "heap_trim_ms": round(run.heap_trim_ms, 2),
        "heap_trim_max_ms": round(run.heap_trim_max_ms, 1),
        # None: not judged (the run was too short to have samples after the warm-up)
        "steady": None if any(r["steady"] is None for r in rows) else all(r["steady"] for r in rows),
    }
    if run.dropped:
        summary["dropped_by_queue"] = run.dropped
    if args.json:
        emit("soak", {**summary, "sites": run.sites}, rows, as_json=True)
        return EXIT_OK
    emit(f"soak: {args.turns} turns through one pipeline (growth after the first {summary['warmup_turns']})",
         summary, rows)
    if run.sites:
        print()
        emit("memory grown most between the end of the warm-up and the end (tracemalloc)", {}, run.sites)
    return EXIT_OK
