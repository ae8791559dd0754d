"""`assistant simulate --scenario FILE.toml`: the whole assistant in the simulated room, turn by turn."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from assistant.commands._shared import load
from assistant.errors import EXIT_FAILURE, EXIT_OK

ORDER = 12


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run the assistant in the simulated room on a scenario, and print each turn",
        parents=[common],
    )
    parser.add_argument("--scenario", type=Path, required=True, metavar="FILE.toml",
                        help="what happens in the room (see the README's scenario format)")
    parser.add_argument("--trace", type=Path, metavar="OUT.jsonl", help="write every event, one JSON per line")
    parser.add_argument("--speaker-out", type=Path, metavar="OUT.wav", help="write what the speaker played")
    parser.add_argument("--fast", action="store_true",
                        help="as fast as the machine goes (the room waits for the stages: latencies are not real)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.set_defaults(func=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from assistant.conversation.scenario import Scenario
    from assistant.conversation.simulate import run_scenario, scenario_config, turn_rows
    from assistant.report import emit

    scenario = Scenario.load(args.scenario)  # every problem with the file is found before a model loads
    config = scenario_config(scenario, load(args).config, os.environ)
    result = run_scenario(
        scenario, config, realtime=not args.fast, trace_path=args.trace, speaker_out=args.speaker_out
    )
    answered = sum(1 for t in result.turns if not t.dropped)
    summary = {
        "scenario": str(args.scenario),
        "mode": "fast (lockstep)" if args.fast else "real time",
        "turns": len(result.turns),
        "answered": answered,
        "room_s": round(result.room_seconds, 2),
        "wall_s": round(result.wall_seconds, 2),
        "completed": result.completed,
        "stage_failures": result.failures,
        "mic_clipped_samples": result.mic_clipped,
    }
    if result.dropped_messages:
        summary["dropped_messages"] = result.dropped_messages
    if args.trace:
        summary["trace"] = str(args.trace)
    if args.speaker_out:
        summary["speaker_out"] = str(args.speaker_out)
    emit(f"simulate {args.scenario.name}", summary, turn_rows(result), as_json=args.json)
    return EXIT_OK if result.completed else EXIT_FAILURE
