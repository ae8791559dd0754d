"""`assistant bench wake`: one wake word's false rejects and false accepts per hour, clean and in noise, over a
sweep of thresholds.

The clips come from recording sets (--sets, default: the shared recordings with the shared noise): every
MANIFEST.tsv under the folders is read; a row labelled `positive:<the word's phrase>` is a positive, every row
whose label does not name the word's last word ("jarvis" of "hey jarvis") is a negative (other speech, commands,
other wake words, noise, echo), and rows naming only part of the phrase ("positive:jarvis") are reported apart.
Or from folders (--positives and --negatives). Identical recordings are counted once.

Each clip is streamed on its own through a freshly reset detector (the [wake] VAD check), padded with 1 s of
its own background (its quietest 250 ms, looped) before it (the detector ignores its first second) and after it
(the score peaks just after the word). The detector runs once per clip and condition with no refractory
period, and records each 80 ms chunk's score and whether its VAD check passed. The detections at each
threshold, with the word's patience (consecutive chunks at or above the threshold) and the configured
refractory period, are replayed from those records, exactly as the detector would make them (the features
and the VAD check of every chunk are the same whatever the threshold, and its classifier keeps no state;
here its front end takes every chunk, which on a device waits while the check cannot pass, for the same
detections).

A positive clip without a detection is a false reject; every detection in a negative clip is a false accept,
counted per hour of negative audio (clip time, without the padding). One false accept in H hours is 1/H per
hour, the finest step the figure can show, and none only says the true rate is below 3/H (95 % confidence);
the report gives these upper bounds for both rates. With --noise every clip, padding included, is also run
mixed with a random stretch of the noise recordings at --snr dB below the clip's active speech level.
Target: at most 5 % false rejects at at most 0.5 false accepts per hour, clean and in noise. The best
threshold is the one meeting it, on these clips, with the fewest errors.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assistant.audio_files import MANIFEST_NAME, find_audio_files, read_audio, read_manifest, shared_audio_dir
from assistant.bench.vad import vad_model_path
from assistant.commands._shared import load
from assistant.commands.bench import json_option
from assistant.config import Config, WakeWordConfig
from assistant.errors import AssistantError, ModelError
from assistant.report import Progress, emit
from assistant.selection import Catalog, WakeWordChoice
from assistant.speech.vad import SileroVad
from assistant.speech.wake import CHUNK, SAMPLE_RATE, OpenWakeWord, word_name

PAD_S = 1.0
BACKGROUND_S = 0.25  # the stretch of a clip's quietest audio that pads it
TARGET_FALSE_REJECT_PCT = 5.0
TARGET_FALSE_ACCEPTS_PER_HOUR = 0.5
SWEEP = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
CONFIDENCE = 0.95  # of the reported upper bounds on both error rates
_FRAME = 320  # 20 ms frames for the active speech level
_LABEL_CHARS = 40  # of a label quoted beside a clip's name

Kind = Literal["positive", "negative", "partial"]


@dataclass(frozen=True)
class Clip:
    """One recording: `name` relative to its set or folder, `label` its manifest label (may be empty)."""

    path: Path
    name: str
    kind: Kind
    label: str = ""


@dataclass(frozen=True)
class Condition:
    """The chunk records (`chunk_records`) of every clip in one condition, and the compute time they took."""

    key: str  # clean or noise: the prefix of its columns
    label: str
    records: list[tuple[np.ndarray, np.ndarray]]
    compute_s: float
    fed_s: float


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "wake", parents=[common], help="a wake word's false rejects and false accepts per hour, clean and in noise",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model", required=True, metavar="NAME|PATH",
        help="the word's classifier: a manifest name (oww-alexa) or a .onnx path; melspectrogram.onnx and "
        "embedding_model.onnx must lie beside it",
    )
    parser.add_argument(
        "--phrase", help="what the word's positives are labelled (positive:PHRASE; default: from the model's "
        "file name, hey_jarvis_v0.1.onnx -> hey jarvis)",
    )
    parser.add_argument(
        "--sets", action="append", metavar="DIR",
        help="folders searched for MANIFEST.tsv files, which label each clip; repeatable (default: the shared "
        "recordings, $ASSISTANT_SHARED_AUDIO, and then --noise defaults to their noise/ folder)",
    )
    parser.add_argument(
        "--positives", action="append", metavar="DIR",
        help="instead of --sets: clips of this word, a folder (searched recursively) or a file; repeatable",
    )
    parser.add_argument(
        "--negatives", action="append", metavar="DIR",
        help="with --positives: clips without this word (other speech, other wake words, noise); repeatable",
    )
    parser.add_argument("--noise", action="append", metavar="DIR", help="noise to mix in as a second condition")
    parser.add_argument("--snr", type=float, default=10.0, help="speech-to-noise ratio in dB (default 10)")
    parser.add_argument(
        "--threshold", type=float,
        help="the operating threshold, reported in detail (default: the configured word's, or 0.5)",
    )
    parser.add_argument(
        "--sweep", type=_thresholds, default=SWEEP, metavar="T,T,...",
        help="thresholds to report (default " + ",".join(f"{t:g}" for t in SWEEP) + ")",
    )
    parser.add_argument(
        "--patience", type=int, metavar="N",
        help="consecutive 80 ms chunks at or above the threshold for a detection (default: the configured "
        "word's, or wake.words' default)",
    )
    parser.add_argument(
        "--vad-check", action=argparse.BooleanOptionalAction, default=None,
        help="require Silero VAD speech at a detection (default: wake.vad_check)",
    )
    parser.add_argument(
        "--vad-speech-s", type=float, metavar="S",
        help="with the VAD check: seconds of speech needed in the second before (default: wake.vad_speech_s)",
    )
    parser.add_argument("--vad-model", metavar="PATH", help="Silero VAD .onnx (default: vad.model from the config)")
    json_option(parser)
    parser.set_defaults(func=run)


def _thresholds(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give thresholds separated by commas, e.g. 0.3,0.5,0.7") from None
    bad = [v for v in values if not 0.0 < v <= 1.0]
    if bad:
        raise argparse.ArgumentTypeError(f"thresholds must be above 0 and at most 1, got {bad}")
    return values


def _classifier(ref: str, config: Config) -> Path:
    path = Path(ref).expanduser()
    if path.is_file():
        return path
    found, why = Catalog.from_config(config).resolve(ref, "wake", "--model")
    if found is None:
        raise ModelError(f"--model {ref}: {why}")
    return found


def _patience(ref: str, given: int | None, config: Config) -> int:
    if given is not None:
        if given < 1:
            raise AssistantError(f"--patience {given}: must be at least 1 (chunk)")
        return given
    configured = [w.patience for w in config.wake.words if w.model == ref]
    return configured[0] if configured else WakeWordConfig().patience


def _threshold(ref: str, given: float | None, config: Config) -> float:
    if given is not None:
        if not 0.0 < given <= 1.0:
            raise AssistantError(f"--threshold {given}: must be above 0 and at most 1")
        return given
    configured = [w.threshold for w in config.wake.words if w.model == ref]
    threshold = configured[0] if configured else WakeWordConfig().threshold
    if threshold <= 0.0:
        raise AssistantError(f"the configured threshold of {ref} is 0, which takes every sound: pass --threshold")
    return threshold


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def phrase_of(classifier: Path) -> str:
    """The phrase a classifier listens for, from its file name: hey_jarvis_v0.1.onnx -> "hey jarvis"."""
    return " ".join(_words(word_name(classifier).replace("_", " ")))


def classify(label: str, phrase: str) -> Kind:
    """What a manifest label is for the word `phrase`: its positive (`positive:PHRASE`, remarks in brackets
    aside), a negative (the phrase's last word is not in it), or a partial (it names the word, not the phrase)."""
    said = _words(re.sub(r"\(.*?\)", "", label))
    if said[:1] == ["positive"] and said[1:] == phrase.split():
        return "positive"
    return "partial" if phrase.split()[-1] in _words(label) else "negative"


def manifest_clips(sets: Sequence[Path], phrase: str) -> list[Clip]:
    """The clips every MANIFEST.tsv under `sets` lists, classified for `phrase`, named relative to their set."""
    missing = [str(root) for root in sets if not root.is_dir()]
    if missing:
        raise AssistantError(f"--sets {' '.join(missing)}: no such folder")
    manifests = sorted({m for root in sets for m in root.rglob(MANIFEST_NAME)})
    if not manifests:
        raise AssistantError(
            f"--sets {' '.join(map(str, sets))}: no {MANIFEST_NAME} found; a set lists its files in {MANIFEST_NAME} "
            "with a 'label' column (or pass --positives DIR --negatives DIR)"
        )
    clips = []
    for manifest in manifests:
        rows = read_manifest(manifest.parent)
        if rows and "label" not in rows[0]:
            raise AssistantError(f"{manifest}: no 'label' column, so the clips of the word cannot be told apart")
        clips += [
            Clip(row["path"], f"{manifest.parent.name}/{row['file']}", classify(row["label"], phrase), row["label"])
            for row in rows
        ]
    return clips


def folder_clips(positives: Sequence[str], negatives: Sequence[str]) -> list[Clip]:
    def clips(locations: Sequence[str], kind: Kind) -> list[Clip]:
        return [Clip(p, p.name, kind) for p in find_audio_files(locations)]

    return clips(positives, "positive") + clips(negatives, "negative")


def distinct(clips: Sequence[Clip]) -> tuple[list[tuple[Clip, np.ndarray]], int]:
    """Each clip with its samples, the second and later copies of the same samples left out (some sets hold
    one recording under several names); and how many were left out."""
    seen: set[bytes] = set()
    kept = []
    for clip in clips:
        samples = read_audio(clip.path)
        digest = hashlib.sha1(samples.tobytes()).digest()
        if digest not in seen:
            seen.add(digest)
            kept.append((clip, samples))
    return kept, len(clips) - len(kept)


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


def chunk_records(detector: OpenWakeWord, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each 80 ms chunk of `audio` from a reset: its score (0 in the warm-up) and whether the VAD check passed
    after it. `detector` has one word and no refractory period, so that it scores every chunk, and its front
    end is made to take every chunk (it would wait while the check cannot pass: same detections, fewer scores)."""
    detector.front_end_waits = False
    detector.reset()
    name = detector.classifiers[0].name
    count = len(audio) // CHUNK
    scores, speech = np.zeros(count, dtype=np.float32), np.zeros(count, dtype=bool)
    for index in range(count):
        detector.feed(audio[index * CHUNK : (index + 1) * CHUNK])
        scores[index], speech[index] = detector.last_scores[name], detector.speech_heard()
    return scores, speech


def replay(scores: np.ndarray, speech: np.ndarray, threshold: float, patience: int, refractory: int) -> int:
    """How many detections the detector makes on these chunk records at `threshold` (above 0) with `patience`
    and a refractory period of `refractory` samples: the rule of `OpenWakeWord`, step by step. A chunk at or
    above the threshold extends the run (any other chunk ends it); once the run is `patience` chunks long, a
    chunk whose VAD check passes fires; the chunks in the quiet time after a detection are not scored."""
    count, quiet_until, run = 0, 0, 0
    for index in range(len(scores)):
        clock = (index + 1) * CHUNK
        if clock < quiet_until:
            run = 0
            continue
        run = run + 1 if scores[index] >= threshold else 0
        if run >= patience and speech[index]:
            count, quiet_until, run = count + 1, clock + refractory, 0
    return count


def _upper_bound(cdf: Callable[[float], float], high: float, confidence: float) -> float:
    """The parameter at which `cdf` (falling as the parameter grows) is 1 - `confidence`, by bisection."""
    low = 0.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if cdf(mid) > 1 - confidence else (low, mid)
    return high


def poisson_upper(count: int, confidence: float = CONFIDENCE) -> float:
    """The upper confidence bound on a Poisson mean after `count` events (about 3.0 for none at 95 %)."""
    def cdf(mean: float) -> float:
        return math.exp(-mean) * sum(mean**i / math.factorial(i) for i in range(count + 1))

    return _upper_bound(cdf, count + 10.0 * math.sqrt(count + 1) + 10.0, confidence)


def binomial_upper(count: int, trials: int, confidence: float = CONFIDENCE) -> float:
    """The upper confidence bound (Clopper-Pearson) on a rate after `count` of `trials` (0 of 28: 10 %)."""
    if count >= trials:
        return 1.0

    def cdf(rate: float) -> float:
        return sum(math.comb(trials, i) * rate**i * (1 - rate) ** (trials - i) for i in range(count + 1))

    return _upper_bound(cdf, 1.0, confidence)


def background(samples: np.ndarray, length: int) -> np.ndarray:
    """`length` samples of the clip's own background: its quietest 250 ms, played forwards and backwards in
    turn so that the joins are seamless. A microphone never gives digital silence: a clip padded with zeros
    starts with an onset no room makes, and that alone can wake a word."""
    if samples.size == 0:
        return np.zeros(length, dtype=np.int16)
    size = max(1, min(round(BACKGROUND_S * SAMPLE_RATE), len(samples) // 4))
    energy = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    start = int(np.argmin(energy[size:] - energy[:-size]))
    stretch = samples[start : start + size]
    return np.resize(np.concatenate([stretch, stretch[::-1]]), length)


def _padded(clip: np.ndarray) -> np.ndarray:
    pad = background(clip, round(PAD_S * SAMPLE_RATE))
    return np.concatenate([pad, clip, pad])


def _clips(args: argparse.Namespace, phrase: str) -> tuple[list[Clip], list[str] | None]:
    """The clips to measure, and the noise folders (the shared noise when the shared recordings are used)."""
    if args.positives or args.negatives:
        if args.sets or not (args.positives and args.negatives):
            raise AssistantError("give --positives DIR and --negatives DIR together, or --sets DIR, not both")
        return folder_clips(args.positives, args.negatives), args.noise
    if args.sets:
        return manifest_clips([Path(s) for s in args.sets], phrase), args.noise
    shared = shared_audio_dir()
    if shared is None:
        raise AssistantError(
            "no clips given and the shared recordings were not found: pass --sets DIR (folders with a "
            "MANIFEST.tsv) or --positives DIR --negatives DIR, or set ASSISTANT_SHARED_AUDIO to shared/audio"
        )
    noise = args.noise or ([str(shared / "noise")] if (shared / "noise").is_dir() else None)
    return manifest_clips([shared], phrase), noise


def _detector(args: argparse.Namespace, config: Config, classifier: Path) -> OpenWakeWord:
    vad = None
    if config.wake.vad_check if args.vad_check is None else args.vad_check:
        vad = SileroVad.load(vad_model_path(args.vad_model, config), threads=config.general.onnx_threads)
    speech_s = config.wake.vad_speech_s if args.vad_speech_s is None else args.vad_speech_s
    if not 0.0 <= speech_s <= 1.0:
        raise AssistantError(f"--vad-speech-s {speech_s}: must be in [0, 1] (seconds)")
    return OpenWakeWord.load(
        [WakeWordChoice(word_name(classifier), classifier, 0.0, 1)],  # threshold and patience: replayed
        threads=config.general.onnx_threads,
        refractory_s=0.0,  # replayed too
        vad=vad,
        vad_threshold=config.vad.threshold,
        vad_speech_s=speech_s,
    )


def run(args: argparse.Namespace) -> int:
    config = load(args).config
    classifier = _classifier(args.model, config)
    threshold = _threshold(args.model, args.threshold, config)
    patience = _patience(args.model, args.patience, config)
    phrase = " ".join(_words(args.phrase)) if args.phrase else phrase_of(classifier)
    listed, noise_dirs = _clips(args, phrase)
    clips, duplicates = distinct(listed)
    if not any(c.kind == "negative" for c, _ in clips):
        raise AssistantError("no negative clips found: nothing to count false accepts on")
    detector = _detector(args, config, classifier)

    noises = None
    if noise_dirs:
        noises = [n for n in (read_audio(p) for p in find_audio_files(noise_dirs)) if n.size]
        if not noises:
            raise AssistantError(f"--noise {' '.join(noise_dirs)}: no audio found")
    progress = Progress(len(clips) * (2 if noises else 1), "bench wake", unit=" clips")
    conditions = [_condition("clean", "clean", detector, clips, None, args.snr, progress)]
    if noises:
        conditions.append(_condition("noise", f"noise {args.snr:g} dB", detector, clips, noises, args.snr, progress))
    progress.close()

    refractory = round(config.wake.refractory_s * SAMPLE_RATE)
    counts = Counts(clips, patience, refractory)
    rows = [counts.row(t, conditions) for t in sorted({*args.sweep, threshold})]
    best, passing = best_threshold(rows, conditions)
    summary = {
        "word": detector.classifiers[0].name,
        "phrase": phrase,
        "classifier": str(classifier),
        "threshold": threshold,
        "patience": patience,
        "vad_check": detector.vad is not None,
        "vad_speech_s": round(detector.speech_windows * detector.vad.window / SAMPLE_RATE, 3) if detector.vad else None,
        "refractory_s": config.wake.refractory_s,
        **counts.sizes(duplicates),
        "target_false_reject_pct": TARGET_FALSE_REJECT_PCT,
        "target_fa_per_hour": TARGET_FALSE_ACCEPTS_PER_HOUR,
        "meets_targets": next(r["meets"] for r in rows if r["threshold"] == threshold),
        "passing_thresholds": passing,
        "best_threshold": best,
        **{k: v for c in conditions for k, v in counts.detail(threshold, c).items()},
        "rtf": round(sum(c.compute_s for c in conditions) / sum(c.fed_s for c in conditions), 4),
        "onnx_threads": config.general.onnx_threads,
    }
    emit(f"bench wake: {summary['word']}", summary, rows, as_json=args.json)
    return 0


def _condition(
    key: str,
    label: str,
    detector: OpenWakeWord,
    clips: list[tuple[Clip, np.ndarray]],
    noises: list[np.ndarray] | None,
    snr_db: float,
    progress: Progress,
) -> Condition:
    records, compute, fed = [], 0.0, 0.0
    for clip, samples in clips:
        audio = _padded(samples)
        if noises is not None:
            # Seeded by the name: a clip gets the same noise whatever else is measured.
            rng = np.random.default_rng(zlib.crc32(clip.name.encode()))
            audio = mix(audio, noises[int(rng.integers(len(noises)))], snr_db, rng)
        started = time.perf_counter()
        records.append(chunk_records(detector, audio))
        compute += time.perf_counter() - started
        fed += len(audio) / SAMPLE_RATE
        progress.advance()
    return Condition(key, label, records, compute, fed)


class Counts:
    """False rejects and false accepts of the clips at any threshold, from each condition's chunk records."""

    def __init__(self, clips: list[tuple[Clip, np.ndarray]], patience: int, refractory: int) -> None:
        self.clips = [clip for clip, _ in clips]
        self.patience = patience
        self.refractory = refractory
        self.negative_h = sum(len(s) for c, s in clips if c.kind == "negative") / SAMPLE_RATE / 3600
        self.positives = sum(1 for c in self.clips if c.kind == "positive")

    def detections(self, threshold: float, condition: Condition) -> list[int]:
        return [replay(s, v, threshold, self.patience, self.refractory) for s, v in condition.records]

    def row(self, threshold: float, conditions: list[Condition]) -> dict[str, Any]:
        row: dict[str, Any] = {"threshold": threshold}
        meets = self.positives > 0
        for condition in conditions:
            found = self.detections(threshold, condition)
            missed = sum(1 for c, n in zip(self.clips, found, strict=True) if c.kind == "positive" and not n)
            accepts = sum(n for c, n in zip(self.clips, found, strict=True) if c.kind == "negative")
            fr_pct = round(100 * missed / self.positives, 1) if self.positives else float("nan")
            fa_h = round(accepts / self.negative_h, 2)
            row |= {f"{condition.key}_fr_pct": fr_pct, f"{condition.key}_fa": accepts, f"{condition.key}_fa_h": fa_h}
            meets = meets and fr_pct <= TARGET_FALSE_REJECT_PCT and fa_h <= TARGET_FALSE_ACCEPTS_PER_HOUR
        row["meets"] = meets
        return row

    def sizes(self, duplicates: int) -> dict[str, Any]:
        kinds = [c.kind for c in self.clips]
        return {
            "positives": self.positives,
            "partials": kinds.count("partial"),
            "negatives": kinds.count("negative"),
            "duplicates_skipped": duplicates,
            "negative_hours": round(self.negative_h, 4),
            "fa_per_hour_step": round(1 / self.negative_h, 2),
        }

    def detail(self, threshold: float, condition: Condition) -> dict[str, Any]:
        """At the operating threshold: the clips missed and woken, and the bound on the false accept rate."""
        found = self.detections(threshold, condition)
        named = list(zip(self.clips, found, strict=True))
        accepts = sum(n for c, n in named if c.kind == "negative")
        missed = sum(1 for c, n in named if c.kind == "positive" and not n)
        detail = {
            f"missed ({condition.label})": ", ".join(_named(c) for c, n in named if c.kind == "positive" and not n),
            f"false accepts ({condition.label})": ", ".join(_named(c) for c, n in named if c.kind == "negative" and n),
            f"fa_per_hour_upper95 ({condition.label})": round(poisson_upper(accepts) / self.negative_h, 2),
        }
        if self.positives:
            detail[f"fr_pct_upper95 ({condition.label})"] = round(100 * binomial_upper(missed, self.positives), 1)
        partials = [n for c, n in named if c.kind == "partial"]
        if partials:
            detail[f"partials woken ({condition.label})"] = f"{sum(1 for n in partials if n)}/{len(partials)}"
        return detail


def _named(clip: Clip) -> str:
    label = clip.label if len(clip.label) <= _LABEL_CHARS else clip.label[: _LABEL_CHARS - 3] + "..."
    return f"{clip.name} ({label})" if label and clip.kind == "negative" else clip.name


def best_threshold(rows: list[dict[str, Any]], conditions: list[Condition]) -> tuple[float | None, list[float]]:
    """The thresholds meeting the targets, and the best of them: fewest false rejects, then fewest false
    accepts, then the middle of those still tied (as far from failing on either side as the sweep shows)."""
    passing = [r for r in rows if r["meets"]]
    if not passing:
        return None, []

    def cost(row: dict[str, Any]) -> tuple[float, int]:
        return (sum(row[f"{c.key}_fr_pct"] for c in conditions), sum(row[f"{c.key}_fa"] for c in conditions))

    least = min(cost(r) for r in passing)
    tied = [r["threshold"] for r in passing if cost(r) == least]
    return tied[len(tied) // 2], [r["threshold"] for r in passing]
