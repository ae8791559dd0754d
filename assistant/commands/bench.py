"""`assistant bench KIND`: speed, accuracy and memory figures of each stage, measured on this machine."""

from __future__ import annotations

import argparse
import importlib
import pkgutil

from assistant import bench

ORDER = 70


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "bench", help="measure a stage (prints a table, or JSON with --json)", parents=[common]
    )
    kinds = parser.add_subparsers(dest="bench_kind", metavar="KIND", required=True)
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{bench.__name__}.{info.name}").register(kinds, common)


def positive_int(text: str) -> int:
    """An argparse type for counts such as --runs and --limit."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def json_option(parser: argparse.ArgumentParser) -> None:
    """The `--json` flag every benchmark takes."""
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
