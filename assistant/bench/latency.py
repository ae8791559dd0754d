"""`assistant bench latency`: how long the assistant takes to answer and to stop, measured in the simulated room.

Runs a scenario (the pipeline, its threads and the configured engines, unchanged, in the simulated room) N
times, in real time (with --fast in lockstep, which checks the wiring but times only the endpointing; the
models are loaded once for all runs), and reads each run's trace (assistant.conversation.latency): per metric the
median and 90th percentile over every turn of every run, in ms, on the room's sample clock.

Targets (this project's, on a 2-core machine): voice-to-voice (end of the user's speech to the first audible
sample of the reply) p50 <= 500 ms and p90 <= 800 ms; barge-in reaction (start of the interrupting speech to
the speaker's last audible sample) p90 <= 200 ms. The breakdown shows where the time of the median turn (by
voice-to-voice) goes, stage by stage; its stages add up to its voice-to-voice. `--plot FILE.png` draws it.

`--trace FILE.jsonl ...` reads traces written before (`assistant simulate --trace`, `assistant run --trace`)
instead of running a scenario; a live trace has no ground truth, so it has no voice-to-voice or endpointing.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from assistant.commands._shared import load
from assistant.commands.bench import json_option, positive_int
from assistant.conversation.latency import (
    MetricSummary,
    TurnLatency,
    as_row,
    median_turn,
    plot_waterfall,
    read_trace,
    require_matplotlib,
    summarize,
    turn_metrics,
)
from assistant.conversation.scenario import Scenario
from assistant.errors import EXIT_OK
from assistant.report import Progress, emit

# (metric, statistic, limit in ms)
TARGETS = (
    ("voice_to_voice", "median_ms", 500.0),
    ("voice_to_voice", "p90_ms", 800.0),
    ("barge_in_reaction", "p90_ms", 200.0),
)


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "latency", parents=[common],
        help="conversation latency in the simulated room: voice-to-voice, each stage, barge-in reaction",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--scenario", type=Path, metavar="FILE.toml", help="the scenario to run (see shared/scenarios)")
    source.add_argument(
        "--trace", type=Path, nargs="+", metavar="FILE.jsonl", help="measure traces written before instead"
    )
    parser.add_argument("--runs", type=positive_int, default=5, metavar="N", help="runs of the scenario (default 5)")
    parser.add_argument("--plot", type=Path, metavar="FILE.png", help="draw the waterfall of the median turn")
    parser.add_argument(
        "--fast", action="store_true",
        help="lockstep: the room waits for the stages, so compute takes no room time (only endpointing is real)",
    )
    json_option(parser)
    parser.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    if args.plot:
        require_matplotlib()  # now, not after minutes of runs
    if args.trace:
        load(args)  # logging as configured
        traces = [read_trace(path) for path in args.trace]
        source: dict[str, Any] = {"traces": ", ".join(map(str, args.trace))}
    else:
        # Every problem with the scenario file is found before a model loads.
        traces, source = _run(Scenario.load(args.scenario), args)
    turns = [turn_metrics(events) for events in traces]
    summaries = summarize(turns)
    median = median_turn(turns)
    if args.plot and median is not None:
        plot_waterfall(median[1], traces[median[0]], args.plot)
    summary = {
        **source,
        "turns": sum(len(run) for run in turns),
        "dropped": sum(turn.dropped is not None for run in turns for turn in run),
        **_targets(summaries),
        **_breakdown(median),
    }
    if args.plot:
        summary["plot"] = str(args.plot) if median is not None else "none: no turn has a voice-to-voice figure"
    emit("conversation latency", summary, [as_row(s) for s in summaries], as_json=args.json)
    return EXIT_OK


def _run(scenario: Scenario, args: argparse.Namespace) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
    """Each run's trace, and what ran: the models are loaded once and shared by the runs (each starts empty)."""
    from assistant.conversation.pipeline import Engines
    from assistant.conversation.simulate import run_scenario, scenario_config, simulation_config

    config = scenario_config(scenario, load(args).config, os.environ)
    engines = Engines.build(simulation_config(config), wake=scenario.wake)
    progress = Progress(args.runs, "bench latency", unit=" runs")
    traces, incomplete = [], 0
    try:
        for _ in range(args.runs):
            result = run_scenario(scenario, config, realtime=not args.fast, engines=engines)
            traces.append(result.events)
            incomplete += not result.completed
            progress.advance()
    finally:
        progress.close()
        engines.close()
    about = {
        "scenario": str(scenario.path),
        "runs": args.runs,
        "realtime": not args.fast,
        "engines": ", ".join(f"{role}: {what}" for role, what in engines.choices.items()),
        "incomplete_runs": incomplete,
    }
    return traces, about


def _targets(summaries: list[MetricSummary]) -> dict[str, Any]:
    """Each target's figure and whether it is met (None: nothing measured, e.g. no barge-in in the scenario)."""
    by_metric = {s.metric: s for s in summaries}
    out: dict[str, Any] = {}
    verdicts = []
    for metric, statistic, limit in TARGETS:
        value = getattr(by_metric[metric], statistic)
        name = f"{metric}_{statistic.removesuffix('_ms')}"
        ok = None if value is None else value <= limit
        out[f"{name}_target_ms"] = limit
        out[f"{name}_ok"] = ok
        verdicts.append(ok)
    measured = [v for v in verdicts if v is not None]
    out["targets_met"] = all(measured) if measured else None
    return out


def _breakdown(median: tuple[int, TurnLatency] | None) -> dict[str, Any]:
    """Where the median turn's voice-to-voice went, stage by stage (the stages add up to it)."""
    if median is None:
        return {"median_turn": None}
    run, turn = median
    out: dict[str, Any] = {
        "median_turn": f'run {run + 1}, turn {turn.turn}: "{turn.text}"',
        "median_turn_v2v_ms": None if turn.voice_to_voice is None else 1000 * turn.voice_to_voice,
    }
    out.update({f"stage_{name}_ms": None if s is None else 1000 * s for name, s in turn.stages})
    return out
