"""`assistant bench wake`: one wake word's false rejects and false accepts, clean and in noise.

Each clip is streamed on its own through a freshly reset detector (the [wake] settings: threshold,
refractory period, VAD check), with 1 s of silence before it (the detector ignores its first second) and
after it (the score peaks just after the word). A positive clip without a detection is a false reject;
every detection in a negative clip is a false accept, counted per hour of negative audio (clip time,
without the padding). With --noise, every clip, padding included, is also run mixed with a random stretch
of the noise recordings at --snr dB below the clip's active speech level. Target: at most 5% false rejects
at at most 0.5 false accepts per hour.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio_files import find_audio_files, read_audio
from assistant.bench.vad import vad_model_path
from assistant.commands._shared import load
from assistant.commands.bench import json_option
from assistant.config import Config, WakeWordConfig
from assistant.errors import AssistantError, ModelError
from assistant.report import Progress, emit
from assistant.selection import Catalog, WakeWordChoice
from assistant.speech.vad import SileroVad
from assistant.speech.wake import SAMPLE_RATE, OpenWakeWord, word_name

PAD_S = 1.0
TARGET_FALSE_REJECT_PCT = 5.0
TARGET_FALSE_ACCEPTS_PER_HOUR = 0.5
_FRAME = 320  # 20 ms frames for the active speech level


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "wake", parents=[common], help="a wake word's false rejects and false accepts per hour, clean and in noise",
        description=__doc__,
    )
    parser.add_argument(
        "--model", required=True, metavar="NAME|PATH",
        help="the word's classifier: a manifest name (oww-alexa) or a .onnx path; melspectrogram.onnx and "
        "embedding_model.onnx must lie beside it",
    )
    parser.add_argument(
        "--positives", action="append", required=True, metavar="DIR",
        help="clips of this word: a folder (searched recursively) or a file; repeatable",
    )
    parser.add_argument(
        "--negatives", action="append", required=True, metavar="DIR",
        help="clips without this word (other speech, other wake words, noise); repeatable",
    )
    parser.add_argument("--noise", action="append", metavar="DIR", help="noise to mix in as a second condition")
    parser.add_argument("--snr", type=float, default=10.0, help="speech-to-noise ratio in dB (default 10)")
    parser.add_argument("--threshold", type=float, help="score threshold (default: the configured word's, or 0.5)")
    parser.add_argument(
        "--vad-check", action=argparse.BooleanOptionalAction, default=None,
        help="require Silero VAD speech at a detection (default: wake.vad_check)",
    )
    parser.add_argument("--vad-model", metavar="PATH", help="Silero VAD .onnx (default: vad.model from the config)")
    json_option(parser)
    parser.set_defaults(func=run)


def _classifier(ref: str, config: Config) -> Path:
    path = Path(ref).expanduser()
    if path.is_file():
        return path
    found, why = Catalog.from_config(config).resolve(ref, "wake", "--model")
    if found is None:
        raise ModelError(f"--model {ref}: {why}")
    return found


def _threshold(ref: str, given: float | None, config: Config) -> float:
    if given is not None:
        if not 0.0 <= given <= 1.0:
            raise AssistantError(f"--threshold {given}: must be between 0 and 1")
        return given
    configured = [w.threshold for w in config.wake.words if w.model == ref]
    return configured[0] if configured else WakeWordConfig().threshold


def _detector(args: argparse.Namespace, config: Config, classifier: Path, threshold: float) -> OpenWakeWord:
    vad = None
    if config.wake.vad_check if args.vad_check is None else args.vad_check:
        vad = SileroVad.load(vad_model_path(args.vad_model, config), threads=config.general.onnx_threads)
    return OpenWakeWord.load(
        [WakeWordChoice(word_name(classifier), classifier, threshold)],
        threads=config.general.onnx_threads,
        refractory_s=config.wake.refractory_s,
        vad=vad,
        vad_threshold=config.vad.threshold,
    )


def active_power(samples: np.ndarray) -> float:
    """Mean power of the clip's active 20 ms frames (those within 30 dB of its loud frames), so that the
    silence around a short word does not make the speech seem quieter than it is."""
    x = samples.astype(np.float64)
    frames = x[: len(x) - len(x) % _FRAME].reshape(-1, _FRAME) if len(x) >= _FRAME else x[None, :]
    power = np.mean(frames**2, axis=1)
    loud = np.percentile(power, 95)
    active = power[power >= loud * 1e-3]
    return float(np.mean(active)) if active.size and loud > 0 else 0.0


def mix(clip: np.ndarray, noise: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """`clip` with a random stretch of `noise` (looped if short) at `snr_db` below its active level."""
    start = int(rng.integers(0, len(noise)))
    stretch = np.resize(np.roll(noise, -start), len(clip)).astype(np.float64)
    noise_power = float(np.mean(stretch**2))
    speech_power = active_power(clip)
    if noise_power > 0 and speech_power > 0:
        stretch *= np.sqrt(speech_power / (noise_power * 10 ** (snr_db / 10)))
    return np.clip(np.round(clip + stretch), -32768, 32767).astype(np.int16)


def _padded(clip: np.ndarray) -> np.ndarray:
    pad = np.zeros(round(PAD_S * SAMPLE_RATE), dtype=np.int16)
    return np.concatenate([pad, clip, pad])


def run(args: argparse.Namespace) -> int:
    config = load(args).config
    classifier = _classifier(args.model, config)
    threshold = _threshold(args.model, args.threshold, config)
    detector = _detector(args, config, classifier, threshold)
    positives = find_audio_files(args.positives)
    negatives = find_audio_files(args.negatives)
    if not positives or not negatives:
        raise AssistantError("no audio files found in the --positives or the --negatives folders")
    clips = [(True, p, read_audio(p)) for p in positives] + [(False, n, read_audio(n)) for n in negatives]
    conditions: list[tuple[str, list[np.ndarray] | None]] = [("clean", None)]
    if args.noise:
        noises = [read_audio(n) for n in find_audio_files(args.noise)]
        noises = [n for n in noises if n.size]
        if not noises:
            raise AssistantError("no audio found in the --noise folders")
        conditions.append((f"noise {args.snr:g} dB", noises))

    progress = Progress(len(clips) * len(conditions), "bench wake", unit=" clips")
    rows, names = [], {}
    for label, noises in conditions:
        row, missed, accepted = _condition(label, detector, clips, noises, args.snr, progress)
        rows.append(row)
        names[f"missed ({label})"] = ", ".join(missed)
        names[f"false accepts in ({label})"] = ", ".join(accepted)
    progress.close()
    word = detector.classifiers[0]
    summary = {
        "word": word.name,
        "classifier": str(classifier),
        "threshold": threshold,
        "vad_check": detector.vad is not None,
        "refractory_s": config.wake.refractory_s,
        "positives": len(positives),
        "negative_hours": rows[0]["negative_h"],
        "target_false_reject_pct": TARGET_FALSE_REJECT_PCT,
        "target_fa_per_hour": TARGET_FALSE_ACCEPTS_PER_HOUR,
        "meets_targets": all(
            r["false_reject_pct"] <= TARGET_FALSE_REJECT_PCT and r["fa_per_hour"] <= TARGET_FALSE_ACCEPTS_PER_HOUR
            for r in rows
        ),
        "onnx_threads": config.general.onnx_threads,
        **names,
    }
    emit(f"bench wake: {word.name}", summary, rows, as_json=args.json)
    return 0


def _condition(
    label: str,
    detector: OpenWakeWord,
    clips: list[tuple[bool, Path, np.ndarray]],
    noises: list[np.ndarray] | None,
    snr_db: float,
    progress: Progress,
) -> tuple[dict[str, Any], list[str], list[str]]:
    """The row of one condition, and the names of the positives missed and of the negatives that woke it."""
    missed: list[str] = []
    accepted: list[str] = []  # one entry per false accept
    compute = fed = negative_s = 0.0
    for index, (positive, path, clip) in enumerate(clips):
        audio = _padded(clip)
        if noises is not None:
            rng = np.random.default_rng(index)  # the same noise for a clip whatever else is measured
            audio = mix(audio, noises[int(rng.integers(len(noises)))], snr_db, rng)
        detector.reset()
        started = time.perf_counter()
        detections = detector.feed(audio)
        compute += time.perf_counter() - started
        fed += len(audio) / SAMPLE_RATE
        if positive and not detections:
            missed.append(path.name)
        if not positive:
            negative_s += len(clip) / SAMPLE_RATE
            accepted += [path.name] * len(detections)
        progress.advance()
    positives = sum(1 for positive, _, _ in clips if positive)
    hours = negative_s / 3600
    row = {
        "condition": label,
        "positives": positives,
        "detected": positives - len(missed),
        "false_reject_pct": round(100 * len(missed) / positives, 1),
        "negative_h": round(hours, 4),
        "false_accepts": len(accepted),
        "fa_per_hour": round(len(accepted) / hours, 2) if hours else float("nan"),
        "rtf": round(compute / fed, 4),
    }
    return row, missed, accepted
