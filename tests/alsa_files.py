"""The real PortAudio/ALSA path without a sound card: ALSA's `file` plugin as the default device.

Capture reads a raw file (`infile`), playback writes one; both sit on the `null` device, which has no clock,
so the stream runs as fast as the machine goes. The stream must be opened in the files' exact format (rate,
channels, S16_LE): a `plug` in between would convert, and drops samples doing so. After the end of the input
ALSA repeats stale buffers, so inputs are padded with silence.

PortAudio reads ALSA_CONFIG_PATH once, when it initialises, so the AudioIO runs in a subprocess: run this
file as a script (`python tests/alsa_files.py --help`) with the environment from `alsa_env`. It saves what
it captured and its stats to an .npz file for the test to check.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def alsa_env(folder: Path, capture: Path, playback: Path) -> dict[str, str]:
    """Environment whose ALSA default device reads `capture` and writes `playback` (raw S16_LE files)."""
    conf = folder / "asound-files.conf"
    conf.write_text(
        'pcm.!default { type asym; playback.pcm "fileout"; capture.pcm "filein" }\n'
        f'pcm.fileout {{ type file; slave.pcm "null"; file "{playback}"; format "raw" }}\n'
        f'pcm.filein {{ type file; slave.pcm "null"; file "/dev/null"; infile "{capture}"; format "raw" }}\n'
    )
    env = dict(os.environ)
    env["ALSA_CONFIG_PATH"] = f"/usr/share/alsa/alsa.conf:{conf}"
    env.pop("PULSE_SERVER", None)
    return env


def run_check(env: dict[str, str], result: Path, *args: str, timeout: float = 60) -> dict[str, np.ndarray]:
    """Run this script with `args` in `env`; return the arrays it saved (fails with its output)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--result", str(result), *args],
        env=env, capture_output=True, text=True, timeout=timeout,
    )
    assert done.returncode == 0, f"alsa_files.py failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    with np.load(result) as data:
        return {key: data[key] for key in data.files}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--result", type=Path, required=True, help=".npz file to write")
    parser.add_argument("--backend", default="sounddevice", choices=["sounddevice", "pyaudio"])
    parser.add_argument("--rate", type=int, default=16000, help="device rate (the files' rate)")
    parser.add_argument("--channels", type=int, default=1, help="microphone channels in the capture file")
    parser.add_argument("--channel", type=int, default=-1, help="audio.input_channel")
    parser.add_argument("--block-ms", type=int, default=10)
    parser.add_argument("--play", type=Path, help="int16 .npy speech to play before starting")
    parser.add_argument("--play-rate", type=int, default=16000)
    parser.add_argument("--seconds", type=float, required=True, help="audio to read from the microphone")
    parser.add_argument("--ring-seconds", type=float, default=30.0)
    args = parser.parse_args()

    from assistant.audio import portaudio
    from assistant.audio.io import open_audio
    from assistant.config import AudioConfig

    if "ALSA_CONFIG_PATH" in os.environ:  # (alsa_env): "default" is the file plugin, whatever sound server runs
        # One duplex stream, as on a card (with PulseAudio running, "default" is taken for its two streams).
        portaudio.running_sound_servers = lambda: []
    config = AudioConfig(
        backend=args.backend, input_rate=args.rate, output_rate=args.rate, input_channels=args.channels,
        input_channel=args.channel, block_ms=args.block_ms, ring_seconds=args.ring_seconds,
    )
    audio = open_audio(config)
    ends = []
    if args.play is not None:
        ends.append(audio.play(np.load(args.play), args.play_rate))
    audio.start()
    blocks = []
    wanted = int(args.seconds * 16000 / audio.block_samples)
    deadline = time.monotonic() + 30
    while len(blocks) < wanted and time.monotonic() < deadline:
        block = audio.read(timeout=1.0)
        if block is not None:
            blocks.append(block)
    position = audio.playback_position()
    audio.stop()
    audio.stop()  # idempotent
    stats = audio.stats()
    np.savez(
        args.result,
        mic=np.concatenate([b.mic for b in blocks]) if blocks else np.zeros(0, np.int16),
        ref=np.concatenate([b.ref for b in blocks]) if blocks else np.zeros(0, np.int16),
        index=np.array([b.index for b in blocks], np.int64),
        ends=np.array(ends, np.int64),
        position=np.array(position),
        **{f"stats_{k}": np.array(v) for k, v in dataclasses.asdict(stats).items()},
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    raise SystemExit(main())
