"""`assistant bench aec`: the Speex front-end ([frontend] settings) on recordings of echo, near end and far end.

Input: a far-end file (what the speaker played) and the microphone recording, optionally the clean near end
(`--far F --mic M [--near N]`), or a folder of triplets (`--set DIR`, default the shared echo set):
farend_NAME.wav with mic_NAME.wav, or with echo_NAME.wav + nearend_NAME.wav mixed into the microphone.

Figures per recording, after the first --settle-s seconds (the canceller converging):
- ERLE (echo return loss enhancement): microphone energy over output energy on far-end-only stretches, where
  the far end plays (shifted by its measured delay) and the near end is silent. Without a near-end file
  every far-end-active stretch counts, double talk included. erle_all_db counts from the start.
- Near end (with its clean recording): the output is compared with the near end on near-end-active stretches
  after the best short linear filter, so that a fixed colouring (the canceller's DC notch, the one-frame lag
  of the preprocessor) is not counted as damage; what remains is residual echo, noise and the suppressor's
  cuts. near_snr_in_db is the same measure on the microphone signal, for comparison.
- Speed: real-time factor (wall time / audio time) and the share of one core (CPU time / audio time).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio.frontend import SAMPLE_RATE, FrontEnd, estimate_delay
from assistant.audio_files import AUDIO_EXTENSIONS, read_audio, shared_audio_dir
from assistant.commands._shared import load
from assistant.commands.bench import json_option
from assistant.config import FrontendConfig
from assistant.errors import EXIT_OK, AssistantError
from assistant.report import Progress, emit

TARGET_ERLE_DB = 25.0
ANALYSIS = SAMPLE_RATE // 50  # 20 ms frames for activity and energies
FAR_ACTIVE_DB = 30.0  # a far-end frame within this of its loud frames is playing
NEAR_ACTIVE_DB = 40.0  # a near-end frame within this of its loud frames is speech (or its tail)
NEAR_GUARD_FRAMES = 2  # near-end activity widened by 40 ms each side: onsets and decays are not "silent"
FIT_TAPS = 512  # linear filter fitted from near end to output, beyond the front-end's own latency


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "aec", parents=[common], help="Speex echo cancellation: ERLE, near-end speech kept, CPU share",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--far", type=Path, metavar="FILE", help="far-end reference: what the speaker played")
    parser.add_argument("--mic", type=Path, metavar="FILE", help="microphone recording (echo + near end)")
    parser.add_argument("--near", type=Path, metavar="FILE", help="the clean near-end talker, if known")
    parser.add_argument(
        "--set", dest="set_dir", type=Path, metavar="DIR",
        help="folder of farend_NAME / mic_NAME (or echo_NAME + nearend_NAME) files, searched recursively "
        "(default without --far: the shared set, $ASSISTANT_SHARED_AUDIO/echo)",
    )
    parser.add_argument(
        "--delay-ms", type=_delay, metavar="auto|MS",
        help="playback-to-microphone delay (default: frontend.playback_delay_ms)",
    )
    parser.add_argument(
        "--settle-s", type=float, default=5.0, metavar="S",
        help="seconds left out of ERLE and near-end figures while the canceller converges (default 5)",
    )
    json_option(parser)
    parser.set_defaults(func=run)


def _delay(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be auto or a number of ms, got {text!r}") from None
    if not 0 <= value <= 2000:
        raise argparse.ArgumentTypeError(f"must be 0 to 2000 ms, got {value}")
    return value


# -------------------------------------------------------------------------------------------------- inputs


@dataclasses.dataclass(frozen=True)
class Recording:
    """One far end, its microphone recording and, if known, the clean near end (int16, 16 kHz, same length)."""

    name: str
    far: np.ndarray
    mic: np.ndarray
    near: np.ndarray | None


def _trim(*signals: np.ndarray | None) -> list[np.ndarray | None]:
    length = min(s.size for s in signals if s is not None)
    return [None if s is None else s[:length] for s in signals]


def load_pair(far: Path, mic: Path, near: Path | None = None, *, name: str | None = None) -> Recording:
    far_s, mic_s, near_s = _trim(read_audio(far), read_audio(mic), read_audio(near) if near else None)
    assert far_s is not None and mic_s is not None
    return Recording(name or mic.stem, far_s, mic_s, near_s)


def _sibling(folder: Path, prefix: str, name: str) -> Path | None:
    found = [p for p in folder.glob(f"{prefix}_{name}.*") if p.suffix.lower() in AUDIO_EXTENSIONS]
    return sorted(found)[0] if found else None


def load_set(folder: Path) -> list[Recording]:
    """Every farend_NAME file under `folder` with its microphone (mic_NAME, or echo_NAME + nearend_NAME)."""
    if not folder.is_dir():
        raise AssistantError(f"{folder}: no such folder (--set takes a folder of farend_/echo_/nearend_ files)")
    recordings = []
    fars = sorted(p for p in folder.rglob("farend_*") if p.suffix.lower() in AUDIO_EXTENSIONS)
    for far_path in fars:
        name = far_path.stem.removeprefix("farend_")
        mic_path = _sibling(far_path.parent, "mic", name)
        near_path = _sibling(far_path.parent, "nearend", name)
        echo_path = _sibling(far_path.parent, "echo", name)
        if mic_path is not None:
            recordings.append(load_pair(far_path, mic_path, near_path, name=name))
            continue
        if echo_path is None or near_path is None:
            raise AssistantError(
                f"{far_path}: no microphone recording beside it; add mic_{name}.wav, or echo_{name}.wav and "
                f"nearend_{name}.wav (mixed into the microphone signal)"
            )
        far_s, echo_s, near_s = _trim(read_audio(far_path), read_audio(echo_path), read_audio(near_path))
        assert far_s is not None and echo_s is not None and near_s is not None
        mic_s = np.clip(echo_s.astype(np.int32) + near_s, -32768, 32767).astype(np.int16)
        recordings.append(Recording(name, far_s, mic_s, near_s))
    if not recordings:
        raise AssistantError(
            f"{folder}: no farend_NAME audio files found; a set holds farend_NAME.wav with mic_NAME.wav, "
            "or with echo_NAME.wav and nearend_NAME.wav"
        )
    return recordings


# ------------------------------------------------------------------------------------------------- running


@dataclasses.dataclass(frozen=True)
class Processed:
    """The front-end's output, aligned with its input, and what it cost."""

    out: np.ndarray
    cpu_s: float
    wall_s: float
    delay_ms: float | None  # the delay used: measured ("auto") or configured
    compensated_ms: float


def process(config: FrontendConfig, block_ms: int, far: np.ndarray, mic: np.ndarray) -> Processed:
    """Run the front-end over a whole recording block by block, as the front-end thread does."""
    frame = block_ms * SAMPLE_RATE // 1000
    count = mic.size // frame * frame
    out = np.zeros(mic.size, dtype=np.int16)
    with FrontEnd(config, frame) as frontend:
        wall, cpu = time.perf_counter(), time.thread_time()
        for start in range(0, count, frame):
            end = start + frame
            frontend.process(mic[start:end], far[start:end], out[start:end])
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        stats, lag = frontend.stats(), frontend.latency_samples
    delay = stats.delay_measured_ms
    if config.playback_delay_ms != "auto":
        delay = float(config.playback_delay_ms)
    # Shift out the preprocessor's one-frame lag so that output sample i belongs to input sample i.
    aligned = np.zeros_like(out)
    aligned[: count - lag] = out[lag:count]
    return Processed(aligned, cpu, wall, delay, stats.delay_compensated_ms)


# ------------------------------------------------------------------------------------------------- figures


def frame_energy(signal: np.ndarray) -> np.ndarray:
    """Mean square per 20 ms analysis frame."""
    count = signal.size // ANALYSIS
    frames = signal[: count * ANALYSIS].astype(np.float64).reshape(count, ANALYSIS)
    return np.einsum("ij,ij->i", frames, frames) / ANALYSIS


def active(signal: np.ndarray, within_db: float) -> np.ndarray:
    """Analysis frames whose energy is within `within_db` of the signal's loud frames (its 99th percentile)."""
    energy = frame_energy(signal)
    loud = float(np.percentile(energy, 99)) if energy.size else 0.0
    return energy > max(loud * 10 ** (-within_db / 10), 1e-3)


def _widen(mask: np.ndarray, frames: int) -> np.ndarray:
    wide = mask.copy()
    for shift in range(1, frames + 1):
        wide[shift:] |= mask[:-shift]
        wide[:-shift] |= mask[shift:]
    return wide


def erle_db(mic: np.ndarray, out: np.ndarray, mask: np.ndarray) -> float | None:
    """Echo return loss enhancement over the analysis frames in `mask` (None without any)."""
    if not mask.any():
        return None
    removed = float(frame_energy(out)[mask].sum())
    return float(10 * np.log10(float(frame_energy(mic)[mask].sum()) / max(removed, 1e-9)))


def near_fidelity(
    near: np.ndarray, signal: np.ndarray, mask: np.ndarray, taps: int
) -> tuple[float | None, float | None]:
    """(SNR in dB, correlation) of `signal` against `near` on the analysis frames in `mask`, after the best
    linear filter of `taps` taps from near to signal (least squares, Toeplitz normal equations)."""
    if not mask.any():
        return None, None
    keep = np.repeat(mask, ANALYSIS)
    keep = np.concatenate([keep, np.zeros(near.size - keep.size, dtype=bool)])
    x = np.where(keep, near.astype(np.float64), 0.0)
    y = np.where(keep, signal.astype(np.float64), 0.0)
    size = 1 << int(np.ceil(np.log2(2 * x.size)))
    spectrum = np.fft.rfft(x, size)
    auto = np.fft.irfft(spectrum * np.conj(spectrum), size)[:taps]
    cross = np.fft.irfft(np.fft.rfft(y, size) * np.conj(spectrum), size)[:taps]
    index = np.arange(taps)
    normal = auto[np.abs(index[:, None] - index[None, :])] + 1e-6 * auto[0] * np.eye(taps)
    fir = np.linalg.solve(normal, cross)
    predicted = np.fft.irfft(np.fft.rfft(near.astype(np.float64), size) * np.fft.rfft(fir, size), size)[: near.size]
    wanted, got = predicted[keep], signal.astype(np.float64)[keep]
    error = float(np.sum((got - wanted) ** 2))
    snr = float(10 * np.log10(float(np.sum(wanted**2)) / max(error, 1e-9)))
    corr = float(wanted @ got) / max(float(np.sqrt((wanted @ wanted) * (got @ got))), 1e-9)
    return snr, corr


def evaluate(recording: Recording, config: FrontendConfig, block_ms: int, settle_s: float) -> dict[str, Any]:
    """One row of the benchmark: ERLE, near-end fidelity and speed of the front-end on `recording`."""
    far, mic, near = recording.far, recording.mic, recording.near
    result = process(config, block_ms, far, mic)
    seconds = mic.size / SAMPLE_RATE
    # Where the echo is: the far end shifted by its delay (measured over the whole file, for the masks only).
    found = estimate_delay(far, mic, SAMPLE_RATE)
    lag = found.samples if found else 0
    far_at_mic = np.concatenate([np.zeros(lag, dtype=np.int16), far[: far.size - lag]])
    far_on = active(far_at_mic, FAR_ACTIVE_DB)
    settled = np.arange(far_on.size) >= int(settle_s * SAMPLE_RATE / ANALYSIS)
    near_on = active(near, NEAR_ACTIVE_DB) if near is not None else np.zeros_like(far_on)
    far_only = far_on & ~_widen(near_on, NEAR_GUARD_FRAMES)
    row: dict[str, Any] = {
        "name": recording.name,
        "seconds": round(seconds, 2),
        "delay_ms": None if result.delay_ms is None else round(result.delay_ms, 1),
        "compensated_ms": round(result.compensated_ms, 1),
        "far_only_s": round(float(np.sum(far_only & settled)) * ANALYSIS / SAMPLE_RATE, 2),
        "erle_db": _round(erle_db(mic, result.out, far_only & settled), 1),
        "erle_all_db": _round(erle_db(mic, result.out, far_only), 1),
        "near_snr_in_db": None,
        "near_snr_out_db": None,
        "near_corr": None,
    }
    if near is not None:
        taps = FIT_TAPS + block_ms * SAMPLE_RATE // 1000
        row["near_snr_in_db"] = _round(near_fidelity(near, mic, near_on & settled, taps)[0], 1)
        snr, corr = near_fidelity(near, result.out, near_on & settled, taps)
        row["near_snr_out_db"], row["near_corr"] = _round(snr, 1), _round(corr, 3)
    row["rtf"] = round(result.wall_s / seconds, 4)
    row["cpu_pct"] = round(100 * result.cpu_s / seconds, 2)
    return row


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _mean(rows: list[dict[str, Any]], key: str, digits: int = 2) -> float | None:
    values = [r[key] for r in rows if r[key] is not None]
    return round(float(np.mean(values)), digits) if values else None


def run(args: argparse.Namespace) -> int:
    config = load(args).config
    frontend = config.frontend
    if args.delay_ms is not None:
        frontend = dataclasses.replace(frontend, playback_delay_ms=args.delay_ms)
    if args.far or args.mic or args.near:
        if not (args.far and args.mic) or args.set_dir:
            raise AssistantError("give --far FILE and --mic FILE together (and optionally --near FILE), or --set DIR")
        recordings = [load_pair(args.far, args.mic, args.near)]
    else:
        folder = args.set_dir
        if folder is None:
            shared = shared_audio_dir()
            if shared is None:
                raise AssistantError(
                    "no recordings given and the shared ones were not found; pass --far FILE --mic FILE or "
                    "--set DIR, or set ASSISTANT_SHARED_AUDIO to the shared/audio folder (it has echo/)"
                )
            folder = shared / "echo"
        recordings = load_set(folder)
    progress = Progress(len(recordings), "bench aec", unit=" recordings")
    rows = []
    for recording in recordings:
        rows.append(evaluate(recording, frontend, config.audio.block_ms, args.settle_s))
        progress.advance()
    progress.close()
    worst = min((r["erle_db"] for r in rows if r["erle_db"] is not None), default=None)
    summary = {
        "block_ms": config.audio.block_ms,
        "aec": frontend.aec,
        "aec_tail_ms": frontend.aec_tail_ms,
        "playback_delay_ms": frontend.playback_delay_ms,
        "noise_suppression": frontend.noise_suppression,
        "echo_suppress_db": frontend.echo_suppress_db,
        "echo_suppress_active_db": frontend.echo_suppress_active_db,
        "agc": frontend.agc,
        "settle_s": args.settle_s,
        "recordings": len(rows),
        "erle_db_mean": _mean(rows, "erle_db"),
        "erle_db_min": worst,
        "target_erle_db": TARGET_ERLE_DB,
        "meets_target": worst is not None and worst >= TARGET_ERLE_DB,
        "near_snr_in_db_mean": _mean(rows, "near_snr_in_db"),
        "near_snr_out_db_mean": _mean(rows, "near_snr_out_db"),
        "rtf_mean": _mean(rows, "rtf", 4),
        "cpu_pct_mean": _mean(rows, "cpu_pct"),
    }
    emit("bench aec: Speex echo cancellation and preprocessor", summary, rows, as_json=args.json)
    return EXIT_OK
