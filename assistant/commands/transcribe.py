"""`assistant transcribe FILE...`: the text of recordings, through the configured speech-to-text engine."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.commands._shared import load
from assistant.errors import EXIT_FAILURE, EXIT_OK, AssistantError

if TYPE_CHECKING:
    from assistant.speech.stt import Transcript

ORDER = 30
ENGINES = ("whisper", "vosk", "sphinx")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "transcribe",
        help="print the text of audio files (any format, rate and channel count)",
        description="One line per file: the text (with several files, FILE: text). A file that cannot be read "
        "is reported on stderr and the others are still transcribed; the exit status is then non-zero.",
        parents=[common],
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="audio files, or folders to search")
    add_engine_options(parser)
    parser.add_argument("--language", metavar="L", help="spoken language (ISO 639-1) or auto; default: stt.language")
    parser.add_argument(
        "--json", action="store_true",
        help="one JSON object per line: file, text, language, words with times, audio_s, compute_s, engine",
    )
    parser.set_defaults(func=_transcribe)


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """--engine and --model, shared with `assistant bench stt`."""
    parser.add_argument("--engine", choices=ENGINES, help="default: stt.engine (auto: the best one installed)")
    parser.add_argument(
        "--model", type=Path, metavar="PATH",
        help="a whisper.cpp ggml file, or a Vosk or pocketsphinx model folder (the engine follows from it)",
    )


def _transcribe(args: argparse.Namespace) -> int:
    from assistant.audio_files import find_audio_files, read_audio
    from assistant.speech.stt import choose_recognizer, transcribe

    config = load(args).config
    if args.language:
        config = dataclasses.replace(config, stt=dataclasses.replace(config.stt, language=args.language))
    recognizer = choose_recognizer(config, args.engine, args.model, live=False)
    several = len(args.files) > 1 or any(f.is_dir() for f in args.files)
    failed = 0
    for location in args.files:
        try:
            paths = find_audio_files([location])
            if not paths:
                raise AssistantError(f"{location}: no audio files in this folder")
        except AssistantError as exc:
            failed += _report(exc)
            continue
        for path in paths:
            try:
                pcm = read_audio(path)
            except AssistantError as exc:
                failed += _report(exc)
                continue
            result = transcribe(recognizer, pcm)
            if args.json:
                print(json.dumps(_as_json(path, result), ensure_ascii=False), flush=True)
            else:
                print(f"{path}: {result.text}" if several else result.text, flush=True)
    return EXIT_FAILURE if failed else EXIT_OK


def _report(error: AssistantError) -> int:
    print(f"assistant: error: {error}", file=sys.stderr, flush=True)
    return 1


def _as_json(path: Path, result: Transcript) -> dict[str, Any]:
    return {
        "file": str(path),
        "text": result.text,
        "language": result.language,
        "words": [dataclasses.asdict(word) for word in result.words],
        "audio_s": round(result.audio_s, 3),
        "compute_s": round(result.compute_s, 3),
        "engine": result.engine,
    }
