"""`assistant devices`: the sound devices PortAudio sees, and `--test`: a tone out, a level meter in."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from typing import TYPE_CHECKING

import numpy as np

from assistant.commands._shared import load
from assistant.config import AudioConfig
from assistant.errors import EXIT_FAILURE, EXIT_OK

if TYPE_CHECKING:
    from assistant.audio.io import AudioIO

ORDER = 40
TONE_HZ = 440.0
TONE_S = 1.0
TONE_LEVEL = 0.25  # -12 dBFS: audible, not startling
METER_FLOOR_DB = -70.0


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "devices", help="list microphones and speakers; --test plays a tone and shows the microphone level",
        parents=[common],
    )
    parser.add_argument("--backend", choices=["sounddevice", "pyaudio"], help="override audio.backend")
    parser.add_argument("--input", metavar="DEVICE", help="override audio.input_device (for --test)")
    parser.add_argument("--output", metavar="DEVICE", help="override audio.output_device (for --test)")
    parser.add_argument("--test", action="store_true", help="play a short tone, then show a live microphone meter")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long the meter runs (default 5)")
    parser.add_argument("--json", action="store_true", help="print the device list as JSON")
    parser.set_defaults(func=_run)


def _audio_config(args: argparse.Namespace) -> AudioConfig:
    audio = load(args).config.audio
    overrides = {"backend": args.backend, "input_device": args.input, "output_device": args.output}
    return dataclasses.replace(audio, **{k: v for k, v in overrides.items() if v is not None})


def _run(args: argparse.Namespace) -> int:
    config = _audio_config(args)
    return _test(config, args.seconds) if args.test else _list(config, as_json=args.json)


# --------------------------------------------------------------------------------------------- listing


def _list(config: AudioConfig, *, as_json: bool) -> int:
    from assistant.audio.devices import AudioDeviceError, diagnose, find_device
    from assistant.audio.portaudio import binding_for
    from assistant.report import format_table

    devices = binding_for(config.backend).devices()
    chosen = {}
    for kind, spec in (("input", config.input_device), ("output", config.output_device)):
        try:
            chosen[kind] = find_device(spec, kind, devices).label()
        except AudioDeviceError as exc:
            chosen[kind] = f"none: {exc}"
    if as_json:
        listing = [{**dataclasses.asdict(d), "hw": d.hw} for d in devices]
        print(json.dumps({"backend": config.backend, "devices": listing, "chosen": chosen}, indent=2))
        return EXIT_OK if devices else EXIT_FAILURE
    if not devices:
        print(f"PortAudio ({config.backend}) sees no sound device.")
        print(diagnose() or "ALSA lists no device: check `aplay -L` and `arecord -L`.")
        return EXIT_FAILURE
    rows = [
        {
            "index": d.index,
            "name": d.name,
            "in": d.max_input_channels,
            "out": d.max_output_channels,
            "rate": int(d.default_samplerate),
            "default": ", ".join(k for k, on in (("in", d.default_input), ("out", d.default_output)) if on),
        }
        for d in devices
    ]
    print(f"Sound devices ({config.backend}, {devices[0].hostapi}):")
    print(format_table(rows))
    print()
    print(f'microphone  audio.input_device = "{config.input_device}"  ->  {chosen["input"]}')
    print(f'speaker     audio.output_device = "{config.output_device}"  ->  {chosen["output"]}')
    print("Names may be an index, an ALSA name (hw:1,0, plughw:CARD=...), or part of a name.")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- testing


def _dbfs(samples: np.ndarray) -> float:
    rms = math.sqrt(float(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0
    return max(20 * math.log10(rms / 32768) if rms > 0 else METER_FLOOR_DB, METER_FLOOR_DB)


def _meter_line(level_db: float, peak: int, clipped: bool) -> str:
    width = 40
    filled = int(width * (level_db - METER_FLOOR_DB) / -METER_FLOOR_DB)
    bar = "#" * filled + " " * (width - filled)
    return f"mic {level_db:6.1f} dBFS |{bar}| peak {peak:5d}{' CLIP' if clipped else ''}"


def _test(config: AudioConfig, seconds: float) -> int:
    from assistant.audio.io import SAMPLE_RATE, open_audio

    audio = open_audio(config)
    stats = audio.stats()
    print(f"microphone: {stats.input}\nspeaker:    {stats.output}")
    t = np.arange(int(TONE_S * SAMPLE_RATE)) / SAMPLE_RATE
    tone = (TONE_LEVEL * np.sin(2 * np.pi * TONE_HZ * t) * np.minimum(1, np.minimum(t, TONE_S - t) / 0.02)).astype(
        np.float32
    )
    audio.start()
    try:
        tone_end = audio.play(tone, SAMPLE_RATE)
        print(f"playing a {TONE_HZ:g} Hz tone for {TONE_S:g} s, then listening for {seconds:g} s "
              "(speak, clap, or stay quiet)")
        during, after = _meter(audio, seconds + TONE_S, tone_end)
    finally:
        audio.stop()
    stats = audio.stats()
    print(f"level while the tone played: {_dbfs(during):.1f} dBFS; afterwards: {_dbfs(after):.1f} dBFS")
    print(
        f"blocks {stats.blocks}, lost {stats.lost_blocks}, device overflows {stats.input_overflows}, "
        f"underflows {stats.output_underflows}, ALSA messages {stats.alsa_messages}, clipped samples {stats.clipped}, "
        f"DC offset {100 * stats.dc_offset:.2f}%, callback {stats.callback_mean_us:.0f} us mean "
        f"/ {stats.callback_max_us:.0f} us max, device latency {stats.input_latency_ms:.0f} ms in "
        f"/ {stats.output_latency_ms:.0f} ms out"
    )
    if stats.blocks == 0:
        print("no audio came from the microphone")
        return EXIT_FAILURE
    return EXIT_OK


def _meter(audio: AudioIO, seconds: float, tone_end: int) -> tuple[np.ndarray, np.ndarray]:
    """Show the microphone level until `seconds` of audio were read; return the audio during and after the tone."""
    tty = sys.stdout.isatty()
    window = audio.sample_rate // 10
    wanted = int(seconds * audio.sample_rate)
    during: list[np.ndarray] = []
    after: list[np.ndarray] = []
    pending: list[np.ndarray] = []
    got = 0
    last_line = 0.0
    deadline = time.monotonic() + seconds + 3.0
    while got < wanted and time.monotonic() < deadline:
        block = audio.read(timeout=0.5)
        if block is None:
            continue
        got += len(block.mic)
        (during if (block.index + 1) * len(block.mic) <= tone_end else after).append(block.mic)
        pending.append(block.mic)
        if sum(len(p) for p in pending) >= window:
            chunk = np.concatenate(pending)
            pending.clear()
            line = _meter_line(_dbfs(chunk), int(np.abs(chunk.astype(np.int32)).max()), bool(
                np.any(chunk >= 32767) or np.any(chunk <= -32768)))
            now = time.monotonic()
            if tty:
                print("\r" + line, end="", flush=True)
            elif now - last_line >= 0.5:
                print(line, flush=True)
                last_line = now
    if tty:
        print()
    empty = np.zeros(0, np.int16)
    return (np.concatenate(during) if during else empty), (np.concatenate(after) if after else empty)
