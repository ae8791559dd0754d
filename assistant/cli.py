"""The `assistant` command: one front door with a subcommand per task.

Each module in `assistant.commands` adds its own subcommand through `register(subparsers)`, so a new command
is one new file. Command modules import engines only inside their handlers: `assistant --help` must work on
a machine where an optional engine is missing.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from assistant import __version__, commands
from assistant.errors import EXIT_FAILURE, EXIT_USAGE, AssistantError

log = logging.getLogger("assistant")


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand takes, before or after its name (`--config F run` or `run --config F`)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="configuration file (default: $ASSISTANT_CONFIG, /etc/assistant/assistant.toml, "
        "~/.config/assistant/assistant.toml, built-in defaults)",
    )
    common.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default=argparse.SUPPRESS,
        help="override general.log_level",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Offline voice assistant: wake word, speech-to-text, LLM and speech, all on this device.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"assistant {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [
        importlib.import_module(f"{commands.__name__}.{info.name}")
        for info in pkgutil.iter_modules(commands.__path__)
        if not info.name.startswith("_")
    ]
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        module.register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except AssistantError as exc:
        # One clear message, no traceback: the message names the file, setting and fix.
        print(f"assistant: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_FAILURE
