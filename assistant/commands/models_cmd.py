"""`assistant models list|verify|pull`: what the manifest offers, what is installed, and installing it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from assistant.commands._shared import load
from assistant.errors import EXIT_FAILURE, EXIT_OK, ModelError
from assistant.models import ModelEntry, pull
from assistant.report import Progress, format_table
from assistant.selection import Catalog

ORDER = 60


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("models", help="list, verify and install models", parents=[common])
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list", help="the manifest's models, the defaults and what is installed", parents=[common]
    )
    listing.add_argument(
        "--role", help="only this role (vad, wake, stt-vosk, stt-whisper, stt-sphinx, llm, tts-piper)"
    )
    listing.set_defaults(func=_list)

    verify = actions.add_parser(
        "verify", help="check every installed file against the manifest", parents=[common]
    )
    verify.add_argument("names", nargs="*", metavar="NAME", help="models to check (default: all installed)")
    verify.set_defaults(func=_verify)

    get = actions.add_parser(
        "pull", help="download (or copy with --from) and verify models", parents=[common]
    )
    get.add_argument("names", nargs="*", metavar="NAME", help="models to install")
    get.add_argument("--default", action="store_true", help="the board profile's default model of every role")
    get.add_argument(
        "--profile", choices=["pi4", "pi5", "jetson"], help="profile for --default (default: detected)"
    )
    get.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        help="install from a local folder (USB stick) or a file:// or http:// mirror, not the upstream URLs",
    )
    get.add_argument(
        "--allow-unverified", action="store_true", help="accept files the manifest has no checksum for"
    )
    get.set_defaults(func=_pull)


def _catalog(args: argparse.Namespace) -> Catalog:
    return Catalog.from_config(load(args, logging=False).config, os.environ)


def _list(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    rows = []
    for model in catalog.manifest.models:
        if args.role and model.role != args.role:
            continue
        marks = []
        if catalog.profile in model.default_for:
            marks.append("default")
        elif catalog.profile in model.alternative_for:
            marks.append("alternative")
        rows.append(
            {
                "name": model.name,
                "role": model.role,
                "installed": "bundled"
                if model.bundled
                else ("yes" if catalog.store.is_installed(model) else "-"),
                catalog.profile: ", ".join(marks) or "-",
                "download MB": round(model.download_size / 1e6, 1),
                "RAM MB": model.ram_mb,
                "licence": model.licence.split(" (")[0].split(";")[0],
            }
        )
    print(f"models folder: {catalog.store.root}   profile: {catalog.profile} ({catalog.profile_reason})")
    print(format_table(rows))
    return EXIT_OK


def _selected(catalog: Catalog, names: list[str]) -> list[ModelEntry]:
    return [catalog.manifest.get(n) for n in names]


def _verify(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    models = (
        _selected(catalog, args.names)
        if args.names
        else [m for m in catalog.manifest.models if not m.bundled and catalog.store.folder(m).is_dir()]
    )
    if not models:
        print(f"no models installed in {catalog.store.root}")
        return EXIT_OK
    bad = 0
    for model in models:
        statuses = catalog.store.status(model)
        broken = [s for s in statuses if s.state in ("missing", "corrupt")]
        bad += bool(broken)
        mark = "✗" if broken else "✓"
        print(f"{mark} {model.name}: {len(statuses) - len(broken)}/{len(statuses)} files intact")
        for status in statuses:
            if status.state != "ok":
                print(f"    {status.state}: {status.path}" + (f" ({status.detail})" if status.detail else ""))
        if broken:
            print(f"    fix: assistant models pull {model.name}")
    return EXIT_FAILURE if bad else EXIT_OK


def _progress(total: int, label: str) -> Callable[[int], None]:
    bar = Progress(total or None, label, unit="B")
    return bar.advance


def _pull(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    models = _selected(catalog, args.names)
    if args.default:
        profile = args.profile or catalog.profile
        models += [
            m
            for role in sorted({m.role for m in catalog.manifest.models})
            if (m := catalog.manifest.default(role, profile))
        ]
    if not models:
        print("name models to pull, or --default (see `assistant models list`)", file=sys.stderr)
        return EXIT_FAILURE
    failed = 0
    for model in models:
        try:
            result = pull(
                model,
                catalog.store,
                source=args.source,
                allow_unverified=args.allow_unverified,
                progress=_progress,
            )
        except ModelError as exc:
            failed += 1
            print(f"✗ {model.name}: {exc}", file=sys.stderr)
            continue
        if result.installed:
            print(f"✓ {model.name}: installed {', '.join(result.installed)} in {catalog.store.folder(model)}")
        else:
            print(f"✓ {model.name}: already installed ({', '.join(result.skipped)})")
    return EXIT_FAILURE if failed else EXIT_OK
