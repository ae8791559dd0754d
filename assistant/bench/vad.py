"""`assistant bench vad`: Silero VAD with the [vad] settings on speech and on noise.

Speech clips: every clip must produce a speech start ("no onset missed"); the share of windows scored as
speech is shown. Noise: every window scored as speech is a frame error, every start a false start (target:
at most 1 per minute). Also the real-time factor of the network alone (compute time / audio time).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio_files import find_audio_files, read_audio, shared_audio_dir
from assistant.commands._shared import load
from assistant.commands.bench import json_option
from assistant.config import Config
from assistant.errors import AssistantError
from assistant.report import Progress, emit
from assistant.speech.vad import SAMPLE_RATE, SileroModel, SileroVad, SpeechSegmenter, SpeechStart, window_probabilities

TARGET_FALSE_STARTS_PER_MIN = 1.0


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "vad", parents=[common], help="Silero VAD: missed speech onsets, false starts on noise, speed",
        description=__doc__,
    )
    parser.add_argument(
        "--set", dest="sets", action="append", metavar="DIR",
        help="speech recordings: a folder (searched recursively) or a file; repeatable "
        "(default: the shared ASR set, $ASSISTANT_SHARED_AUDIO/asr)",
    )
    parser.add_argument(
        "--noise", action="append", metavar="DIR",
        help="noise recordings without speech; repeatable (default: the shared noise, $ASSISTANT_SHARED_AUDIO/noise)",
    )
    parser.add_argument("--model", metavar="PATH", help="Silero VAD .onnx file (default: vad.model from the config)")
    json_option(parser)
    parser.set_defaults(func=run)


def _locations(given: list[str] | None, shared_set: str) -> list[Path]:
    if given:
        return [Path(g) for g in given]
    shared = shared_audio_dir()
    if shared is None:
        raise AssistantError(
            f"no recordings given and the shared ones were not found; pass --set DIR and --noise DIR, "
            f"or set ASSISTANT_SHARED_AUDIO to the shared/audio folder (it has {shared_set}/)"
        )
    return [shared / shared_set]


def _display_name(path: Path, roots: list[Path]) -> str:
    for root in roots:
        if path.is_relative_to(root):
            return str(path.relative_to(root)) if root.is_dir() else path.name
    return str(path)


def vad_model_path(given: str | None, config: Config) -> Path:
    """The Silero model named on the command line, else the one the config chooses."""
    if given:
        return Path(given)
    from assistant.selection import choose

    return choose("vad", config).model


def run(args: argparse.Namespace) -> int:
    config = load(args).config
    model_path = vad_model_path(args.model, config)
    model = SileroModel(model_path, threads=config.general.onnx_threads)
    vad = SileroVad(model)
    segmenter = SpeechSegmenter.from_config(config.vad)
    speech_roots = _locations(args.sets, "asr")
    noise_roots = _locations(args.noise, "noise")
    jobs = [("speech", f, speech_roots) for f in find_audio_files(speech_roots)]
    jobs += [("noise", f, noise_roots) for f in find_audio_files(noise_roots)]
    if not any(kind == "speech" for kind, _, _ in jobs) or not any(kind == "noise" for kind, _, _ in jobs):
        raise AssistantError("no audio files found in the speech or the noise folders")

    rows: list[dict[str, Any]] = []
    compute = audio_s = 0.0
    windows = 0
    progress = Progress(len(jobs), "bench vad", unit=" files")
    for kind, path, roots in jobs:
        audio = read_audio(path)
        vad.reset()
        segmenter.reset()
        started = time.perf_counter()
        probabilities = window_probabilities(vad, audio)
        compute += time.perf_counter() - started
        audio_s += len(audio) / SAMPLE_RATE
        windows += len(probabilities)
        events = [e for p in probabilities for e in segmenter.push(p)] + segmenter.finish()
        starts = [e for e in events if isinstance(e, SpeechStart)]
        rows.append({
            "kind": kind,
            "file": _display_name(path, roots),
            "seconds": round(len(audio) / SAMPLE_RATE, 2),
            "speech_pct": round(100 * float(np.mean(probabilities >= segmenter.threshold)), 1)
            if len(probabilities) else 0.0,
            "starts": len(starts),
            "onset_s": round(starts[0].sample / SAMPLE_RATE, 2) if starts else None,
        })
        progress.advance()
    progress.close()
    emit("bench vad: Silero VAD on speech and noise", _summary(rows, model_path, config, compute, audio_s, windows),
         rows, as_json=args.json)
    return 0


def _summary(
    rows: list[dict[str, Any]], model: Path, config: Config, compute: float, audio_s: float, windows: int
) -> dict[str, Any]:
    speech = [r for r in rows if r["kind"] == "speech"]
    noise = [r for r in rows if r["kind"] == "noise"]
    missed = [r["file"] for r in speech if r["starts"] == 0]
    noise_min = sum(r["seconds"] for r in noise) / 60
    false_starts = sum(r["starts"] for r in noise)
    per_min = false_starts / noise_min if noise_min else float("nan")

    def weighted_pct(group: list[dict[str, Any]]) -> float:
        seconds = sum(r["seconds"] for r in group)
        return round(sum(r["speech_pct"] * r["seconds"] for r in group) / seconds, 2) if seconds else float("nan")

    onsets = [r["onset_s"] for r in speech if r["onset_s"] is not None]
    return {
        "model": str(model),
        "threshold": config.vad.threshold,
        "min_speech_ms": config.vad.min_speech_ms,
        "hangover_ms": config.vad.hangover_ms,
        "speech_clips": len(speech),
        "speech_minutes": round(sum(r["seconds"] for r in speech) / 60, 2),
        "speech_frames_pct": weighted_pct(speech),
        "median_onset_s": round(float(np.median(onsets)), 2) if onsets else None,
        "onsets_missed": len(missed),
        "missed_files": ", ".join(missed),
        "noise_minutes": round(noise_min, 2),
        "noise_speech_frames_pct": weighted_pct(noise),
        "false_starts": false_starts,
        "false_starts_per_min": round(per_min, 3),
        "target_false_starts_per_min": TARGET_FALSE_STARTS_PER_MIN,
        "meets_targets": not missed and per_min <= TARGET_FALSE_STARTS_PER_MIN,
        "ms_per_window": round(1000 * compute / windows, 3) if windows else None,
        "rtf": round(compute / audio_s, 4) if audio_s else None,
        "onnx_threads": config.general.onnx_threads,
    }
