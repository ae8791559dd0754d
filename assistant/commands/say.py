"""`assistant say TEXT`: speak a text through the configured voice, to the speaker or to a WAV file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.commands._shared import load
from assistant.errors import EXIT_OK, AssistantError

if TYPE_CHECKING:
    import numpy as np

ORDER = 40


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "say", help="speak a text (to the speaker, or to a WAV file with --out)", parents=[common]
    )
    parser.add_argument("text", help='what to say; "-" reads it from standard input')
    parser.add_argument("--engine", choices=["piper", "espeak"], help="default: tts.engine (auto: Piper if installed)")
    parser.add_argument("--voice", type=Path, metavar="PATH", help="a Piper voice .onnx file (implies piper)")
    parser.add_argument("--out", type=Path, metavar="FILE.wav", help="write a 16-bit WAV file instead of playing")
    parser.set_defaults(func=_say)


def _say(args: argparse.Namespace) -> int:
    from assistant.speech.tts import choose_synthesizer

    config = load(args).config
    text = sys.stdin.read() if args.text == "-" else args.text
    synthesizer = choose_synthesizer(config, args.engine, args.voice)
    chunks = (chunk.pcm for chunk in synthesizer.synthesize(text))
    if args.out is not None:
        samples = _write_wav(args.out, chunks, synthesizer.sample_rate)
        print(f"{args.out}: {samples / synthesizer.sample_rate:.2f} s at {synthesizer.sample_rate} Hz "
              f"({synthesizer.name})")
    else:
        _play(chunks, synthesizer.sample_rate, config.audio.output_device)
    return EXIT_OK


def _write_wav(path: Path, chunks: Iterable[np.ndarray], sample_rate: int) -> int:
    """Write the chunks as they come; returns the number of samples written."""
    import soundfile

    written = 0
    try:
        with soundfile.SoundFile(path, "w", samplerate=sample_rate, channels=1, subtype="PCM_16", format="WAV") as out:
            for pcm in chunks:
                out.write(pcm)
                written += len(pcm)
    except (OSError, soundfile.SoundFileError) as exc:
        raise AssistantError(f"cannot write {path}: {exc}") from exc
    return written


def _play(chunks: Iterable[np.ndarray], sample_rate: int, device_setting: str) -> None:
    """Play each chunk while the next one is synthesized (sounddevice.play returns at once)."""
    from assistant.audio.alsa_log import alsa_messages

    alsa = alsa_messages()  # before PortAudio starts, which importing sounddevice does
    try:
        with alsa.quiet("PortAudio listed the devices"):
            import sounddevice
    except OSError as exc:  # the PortAudio library itself is missing
        raise AssistantError(f"cannot play audio ({exc}); write a file instead with --out FILE.wav") from exc
    device = int(device_setting) if device_setting.isdigit() else device_setting or None
    try:
        with alsa.quiet("playing"):
            for pcm in chunks:
                sounddevice.wait()
                sounddevice.play(pcm, sample_rate, device=device)
            sounddevice.wait()
    except (sounddevice.PortAudioError, ValueError) as exc:  # ValueError: no device matches audio.output_device
        raise AssistantError(
            f"cannot play on the speaker ({exc}); is there a sound card? `assistant devices` lists them "
            "(audio.output_device picks one); or write a file instead with --out FILE.wav"
        ) from exc
