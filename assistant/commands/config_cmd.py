"""`assistant config check|show|example`: validate a file, show the effective values, print the example."""

from __future__ import annotations

import argparse
import os

from assistant.config import example_toml, load_config, render
from assistant.errors import EXIT_OK

ORDER = 80


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("config", help="check or show the configuration", parents=[common])
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)

    check = actions.add_parser("check", help="validate a config file: one line per problem", parents=[common])
    check.add_argument("file", nargs="?", help="file to check (default: the one the assistant would use)")
    check.set_defaults(func=_check)

    show = actions.add_parser(
        "show", help="the effective configuration, with where each value came from", parents=[common]
    )
    show.set_defaults(func=_show)

    example = actions.add_parser(
        "example", help="print the commented example configuration (every setting at its default)"
    )
    example.set_defaults(func=_example)


def _check(args: argparse.Namespace) -> int:
    loaded = load_config(args.file or getattr(args, "config", None), os.environ)
    where = loaded.path if loaded.path else "built-in defaults"
    print(f"{where}: OK ({loaded.path_reason})")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    loaded = load_config(getattr(args, "config", None), os.environ)
    print(f"# config file: {loaded.path or 'none'} ({loaded.path_reason})")
    print(render(loaded.config, comments=False, source_of=loaded.source_of))
    return EXIT_OK


def _example(args: argparse.Namespace) -> int:
    print(example_toml(), end="")
    return EXIT_OK
