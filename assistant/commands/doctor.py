"""`assistant doctor`: checks that this machine can run the assistant, each with ✓ or ✗ and the fix."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from assistant.errors import EXIT_FAILURE, EXIT_OK

ORDER = 20


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the set-up: config, models, RAM, microphone and speaker, audio group, CPU governor, service",
        parents=[common],
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    parser.add_argument(
        "--no-audio", action="store_true",
        help="skip opening the microphone and speaker (a machine without a sound card, a chroot)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from assistant.doctor import can_print_unicode, format_result, run_checks, summary
    from assistant.logs import setup_logging

    # Quiet by default: the report is on stdout, and the engines' info lines would only interleave with it.
    setup_logging(getattr(args, "log_level", None) or "warning")
    checks = run_checks(getattr(args, "config", None), audio=not args.no_audio)
    results = []
    unicode = can_print_unicode(sys.stdout.encoding)
    for result in checks:
        results.append(result)
        if not args.json:
            print(format_result(result, unicode=unicode), flush=True)
    counts = summary(results)
    if args.json:
        report = {"ok": counts["fail"] == 0, "counts": counts, "checks": [dataclasses.asdict(r) for r in results]}
        print(json.dumps(report, indent=2))
    else:
        print(f"{counts['pass']} passed, {counts['warn']} warned, {counts['fail']} failed, {counts['skip']} skipped")
    return EXIT_FAILURE if counts["fail"] else EXIT_OK
