"""`assistant bench latency`: how long the assistant takes to answer and to stop, measured in the simulated room.

Runs a scenario (the pipeline, its threads and the configured engines, unchanged, in the simulated room) N
times, in real time (with --fast in lockstep, which checks the wiring but times only the endpointing; the
models are loaded once for all runs), and reads each run's trace (assistant.conversation.latency): per metric the
median and 90th percentile over every turn of every run, in ms, on the room's sample clock.

Targets (this project's, on a 2-core machine), printed beside the figures with whether each is met:
voice-to-voice (end of the user's speech to the first audible sample of the reply) p50 <= 500 ms and p90 <= 800
ms; barge-in reaction (start of the interrupting speech to the speaker's last audible sample) p90 <= 200 ms; the
pipeline's own overhead (from the closing of the turn to the first audible sample, less the time the engines
computed on the reply: queues, threads, copies, the speaker's queue) p90 <= 30 ms. The breakdown shows where the
time of the median turn (by voice-to-voice) goes, stage by stage (its stages add up to its voice-to-voice), and
the pipeline's own share of each stage (they add up to its overhead). `--plot FILE.png` draws it.

Real-time figures depend on what else the machine runs: the 1-minute load average is printed with them.

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
    ("overhead", "p90_ms", 30.0),
)
_STATISTIC = {"median_ms": "p50", "p90_ms": "p90"}


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "latency", parents=[common],
        help="conversation latency in the simulated room: voice-to-voice, each stage, overhead, barge-in reaction",
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
    emit("conversation latency", summary, [_row(s) for s in summaries], as_json=args.json)
    return EXIT_OK


def _run(scenario: Scenario, args: argparse.Namespace) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
    """Each run's trace, and what ran: the models are loaded once and shared by the runs (each starts empty)."""
    from assistant.conversation.pipeline import Engines
    from assistant.conversation.simulate import run_scenario, scenario_config, simulation_config

    config = scenario_config(scenario, load(args).config, os.environ)
    engines = Engines.build(simulation_config(config), wake=scenario.wake)
    progress = Progress(args.runs, "bench latency", unit=" runs")
    traces, incomplete, lag_max_s = [], 0, 0.0
    try:
        for _ in range(args.runs):
            result = run_scenario(scenario, config, realtime=not args.fast, engines=engines)
            traces.append(result.events)
            incomplete += not result.completed
            lag_max_s = max(lag_max_s, result.lag_max_s)
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
    if not args.fast:
        about["load_average_1min"] = round(os.getloadavg()[0], 2)
        # A stalled audio thread (the GIL held, the machine busy): the room catches up in a burst afterwards,
        # and the stall is counted in whichever stage came next. Tens of ms are normal; more taints a run.
        about["audio_late_max_ms"] = round(1000 * lag_max_s, 1)
    return traces, about


def _targets(summaries: list[MetricSummary]) -> dict[str, Any]:
    """Each target's figure and whether it is met (None: nothing measured, e.g. no barge-in in the scenario)."""
    by_metric = {s.metric: s for s in summaries}
    out: dict[str, Any] = {}
    verdicts = []
    for metric, statistic, limit in TARGETS:
        name = f"{metric}_{statistic.removesuffix('_ms')}"
        ok = _met(getattr(by_metric[metric], statistic), limit)
        out[f"{name}_target_ms"] = limit
        out[f"{name}_ok"] = ok
        verdicts.append(ok)
    out["targets_met"] = _all_met(verdicts)
    return out


def _row(summary: MetricSummary) -> dict[str, Any]:
    """A metric's row with its targets beside it ("p50 <= 500, p90 <= 800") and whether they are all met."""
    targets = [(statistic, limit) for metric, statistic, limit in TARGETS if metric == summary.metric]
    return {
        **as_row(summary),
        "target": ", ".join(f"{_STATISTIC[statistic]} <= {limit:g}" for statistic, limit in targets),
        "met": _all_met([_met(getattr(summary, statistic), limit) for statistic, limit in targets]),
    }


def _met(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def _all_met(verdicts: list[bool | None]) -> bool | None:
    """Whether every target that could be measured is met; None when none could."""
    measured = [v for v in verdicts if v is not None]
    return all(measured) if measured else None


def _breakdown(median: tuple[int, TurnLatency] | None) -> dict[str, Any]:
    """Where the median turn's voice-to-voice went, stage by stage (the stages add up to it), and the pipeline's
    own share of each stage after endpointing (those add up to its overhead)."""
    if median is None:
        return {"median_turn": None}
    run, turn = median
    out: dict[str, Any] = {
        "median_turn": f'run {run + 1}, turn {turn.turn}: "{turn.text}"',
        "median_turn_v2v_ms": _ms(turn.voice_to_voice),
    }
    out.update({f"stage_{name}_ms": _ms(s) for name, s in turn.stages})
    out["median_turn_overhead_ms"] = _ms(turn.overhead)
    out.update({f"overhead_in_{name}_ms": _ms(s) for name, s in turn.overheads})
    return out


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else 1000 * seconds
