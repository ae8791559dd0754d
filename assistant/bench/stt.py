"""`assistant bench stt --set DIR`: word error rate and real-time factor of speech-to-text on a recording set.

The set is a folder with a MANIFEST.tsv (columns file, label, lang; see /work/shared/audio). Each file is
transcribed as one utterance; WER compares the normalized transcript with the label (assistant.text_norm),
and the corpus WER is all errors over all reference words. With `--live` the audio is fed in 20 ms blocks as
the pipeline does. Alongside it times the whisper.cpp stand-in of tiny.en (assistant.testing.standins: the
true shapes with random weights, its decode held to a real model's length) on a few of the files: its time is
what a real tiny.en takes on the machine, which gives a device's figure where no real model can be had.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.commands._shared import load
from assistant.commands.bench import json_option, positive_int
from assistant.commands.transcribe import add_engine_options
from assistant.errors import EXIT_OK, AssistantError
from assistant.report import Progress, emit

if TYPE_CHECKING:
    from assistant.config import Config
    from assistant.speech.stt import Recognizer, Transcript

LIVE_BLOCK = 320  # 20 ms at 16 kHz, the pipeline's block
STANDIN_FILES = 3  # files the stand-in is timed on: enough for a stable figure, few enough to stay quick
# Random weights never stop by themselves: hold the stand-in to a real model's decode (about 3 tokens per
# second of speech, one pass), so that its time is the time a real tiny.en would take.
STANDIN_TOKENS_PER_S = 3.0


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "stt", help="speech-to-text: word error rate and real-time factor on a recording set", parents=[common]
    )
    parser.add_argument("--set", type=Path, required=True, metavar="DIR", help="a folder with a MANIFEST.tsv")
    add_engine_options(parser)
    parser.add_argument(
        "--lang", default="en", metavar="L", help="only files of this language (default en; all: every file)"
    )
    parser.add_argument("--limit", type=positive_int, metavar="N", help="only the first N files")
    parser.add_argument("--live", action="store_true", help="feed 20 ms blocks as the pipeline does")
    parser.add_argument("--no-standin", action="store_true", help="do not time the whisper tiny.en stand-in")
    json_option(parser)
    parser.set_defaults(func=_bench)


def select_files(set_dir: Path, lang: str, limit: int | None) -> tuple[list[dict[str, Any]], int]:
    """The manifest rows to score (language matches, label is a transcript) and how many were left out."""
    from assistant.audio_files import read_manifest

    rows = read_manifest(set_dir)
    if rows and "label" not in rows[0]:
        raise AssistantError(f"{set_dir}/MANIFEST.tsv has no 'label' column: it holds the reference transcripts")
    # A label in angle brackets ("<out-of-vocabulary: ...>") describes the file; it is not what was said.
    chosen = [
        row for row in rows
        if (lang == "all" or row.get("lang", "") == lang) and row["label"] and not row["label"].startswith("<")
    ]
    if not chosen:
        raise AssistantError(f"{set_dir}: no file with a transcript in language {lang!r} (--lang)")
    kept = chosen[:limit] if limit else chosen
    return kept, len(rows) - len(kept)


def run(recognizer: Recognizer, pcm: np.ndarray, live: bool) -> Transcript:
    """One recording through the recognizer: whole, or in 20 ms blocks like the pipeline."""
    from assistant.speech.stt import transcribe

    if not live:
        return transcribe(recognizer, pcm)
    recognizer.begin()
    for start in range(0, len(pcm), LIVE_BLOCK):
        recognizer.feed(pcm[start : start + LIVE_BLOCK])
    return recognizer.finish()


def _bench(args: argparse.Namespace) -> int:
    from assistant.audio_files import read_audio
    from assistant.speech.stt import choose_recognizer
    from assistant.text_norm import WordErrors, word_errors

    config = load(args).config
    if args.lang != "all":
        config = dataclasses.replace(config, stt=dataclasses.replace(config.stt, language=args.lang))
    files, skipped = select_files(args.set, args.lang, args.limit)
    recordings = [read_audio(row["path"]) for row in files]
    started = time.perf_counter()
    if args.model is not None and "standin" in args.model.name:  # `--model $(stand-in path)`: see _standin
        recognizer = _standin_recognizer(config, args.model)
    else:
        recognizer = choose_recognizer(config, args.engine, args.model, live=args.live)
    load_s = time.perf_counter() - started
    run(recognizer, recordings[0], args.live)  # untimed: the first call allocates buffers

    rows: list[dict[str, Any]] = []
    total = WordErrors()
    audio_s = compute_s = 0.0
    progress = Progress(len(files), "bench stt", unit=" files")
    for row, pcm in zip(files, recordings, strict=True):
        result = run(recognizer, pcm, args.live)
        errors = word_errors(row["label"], result.text)
        total += errors
        audio_s += result.audio_s
        compute_s += result.compute_s
        rows.append({
            "file": row["file"],
            "audio_s": result.audio_s,
            "rtf": result.rtf,
            "wer": errors.rate,
            "errors": errors.errors,
            "words": errors.reference_words,
            "text": _clip(result.text),
        })
        progress.advance()
    progress.close()
    summary: dict[str, Any] = {
        "engine": recognizer.name,
        "mode": "live, 20 ms blocks" if args.live else "whole utterances",
        "set": str(args.set),
        "files": len(rows),
        "skipped": skipped,
        "load_s": load_s,
        "audio_s": audio_s,
        "compute_s": compute_s,
        "rtf": compute_s / audio_s if audio_s else 0.0,
        "wer": total.rate,
        "substitutions": total.substitutions,
        "deletions": total.deletions,
        "insertions": total.insertions,
        "reference_words": total.reference_words,
    }
    summary.update(_standin(config, recordings[:STANDIN_FILES]) if not args.no_standin else {"standin": "skipped"})
    summary["note"] = (
        "wer = all errors / all reference words, after text normalization; rtf = compute / audio (below 1 "
        "keeps up); standin_rtf ~ a real whisper tiny.en's rtf on this machine (whisper.cpp's encoder works on "
        "30 s windows, so a short utterance costs about as much as a long one: see standin_s_per_utterance)"
    )
    emit("speech-to-text", summary, rows, as_json=args.json)
    return EXIT_OK


def _standin(config: Config, recordings: list[np.ndarray]) -> dict[str, Any]:
    """The RTF of the tiny.en stand-in on the first files, or why it could not be measured."""
    try:
        from assistant.testing.standins import whisper_ggml

        recognizer = _standin_recognizer(config, whisper_ggml("tiny.en"))
    except (AssistantError, ImportError, OSError) as exc:  # no pywhispercpp, or no shared models on a device
        return {"standin": f"unavailable: {exc}"}
    run(recognizer, recordings[0], live=False)  # untimed warm-up
    results = [run(recognizer, pcm, live=False) for pcm in recordings]
    audio_s = sum(r.audio_s for r in results)
    compute_s = sum(r.compute_s for r in results)
    return {
        "standin": f"{recognizer.name}, {len(results)} files, {audio_s:.1f} s of audio",
        "standin_rtf": compute_s / audio_s if audio_s else 0.0,
        "standin_s_per_utterance": compute_s / len(results) if results else 0.0,
    }


def _standin_recognizer(config: Config, path: Path) -> Recognizer:
    from assistant.speech.whisper_stt import WhisperRecognizer

    return WhisperRecognizer(
        path, language="en", threads=config.stt.threads, max_tokens_per_s=STANDIN_TOKENS_PER_S, fallback=False
    )


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
