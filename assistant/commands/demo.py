"""`assistant demo`: the whole assistant in the simulated room, with no microphone, speaker or download.

A question is spoken by the zero-download voice (espeak-ng) and played into a simulated room with an echo
path; the assistant, with whatever engines are installed (down to pocketsphinx, espeak-ng and the built-in
rule brain), hears it, answers, and the demo prints the turn and its latencies and writes what the speaker
played to a WAV file. The first thing to run on a new machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

from assistant.commands._shared import load
from assistant.config import Config
from assistant.errors import EXIT_FAILURE, EXIT_OK, ConfigurationError

ORDER = 14
QUESTION = "What time is it?"
ECHO_GAIN_DB = -6.0
USER_VOICE = "en-us+f5"
USER_RATE = 150


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "demo", help="hear the assistant answer a spoken question in a simulated room (no audio hardware)",
        parents=[common],
    )
    parser.add_argument("--question", default=QUESTION, help=f'what the simulated user asks (default: "{QUESTION}")')
    parser.add_argument("--out", type=Path, default=Path("assistant-demo.wav"), metavar="FILE.wav",
                        help="where to write what the speaker played (default: %(default)s)")
    parser.add_argument("--trace", type=Path, metavar="OUT.jsonl", help="write every event, one JSON per line")
    parser.add_argument("--json", action="store_true", help="print the turn and the summary as one JSON object")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from assistant.audio.room import RoomSetup, Utterance
    from assistant.conversation.scenario import Scenario
    from assistant.conversation.simulate import run_scenario, turn_rows
    from assistant.report import emit

    config = load(args).config
    with tempfile.TemporaryDirectory(prefix="assistant-demo-") as folder:
        question = Path(folder) / "question.wav"
        rir = Path(folder) / "room.wav"
        _speak(config, args.question, question)
        _write_room_response(rir)
        scenario = Scenario(
            path=Path(folder) / "demo.toml", config=None, wake=False, duration=None,
            setup=RoomSetup(rir=rir, echo_gain_db=ECHO_GAIN_DB),
            utterances=(Utterance(question, at=1.0),),
        )
        print(f'The simulated user says "{args.question}" one second in; the assistant listens (no wake word)…',
              file=sys.stderr if args.json else sys.stdout, flush=True)
        result = run_scenario(scenario, config, realtime=True, trace_path=args.trace, speaker_out=args.out)
    emit("assistant demo", {
        "answered": sum(1 for t in result.turns if not t.dropped),
        "speaker_out": str(args.out),
        "room_s": round(result.room_seconds, 2),
    }, turn_rows(result), as_json=args.json)
    return EXIT_OK if any(not t.dropped for t in result.turns) else EXIT_FAILURE


def _speak(config: Config, text: str, path: Path) -> None:
    """The question in espeak-ng's voice (needs no model), at 16 kHz, as a recording with silence around it."""
    import soundfile

    from assistant.audio.resample import resample
    from assistant.speech.tts import open_synthesizer, synthesize_all

    # Another voice than the assistant's: espeak-ng's fifth female variant, at 150 words a minute, is the one
    # pocketsphinx (the zero-download recognizer) hears "What time is it?" from; with its plain voice it heard
    # "what donnie outta", and the demo showed a language model's guess instead of the device telling the time.
    plain = dataclasses.replace(config.tts, volume=1.0)
    user = dataclasses.replace(plain, espeak_voice=USER_VOICE, espeak_rate=USER_RATE)
    try:
        synthesizer = open_synthesizer("espeak", dataclasses.replace(config, tts=user))
    except ConfigurationError:  # an espeak-ng without the variants: the configured voice
        synthesizer = open_synthesizer("espeak", dataclasses.replace(config, tts=plain))
    pcm = synthesize_all(synthesizer, text).astype(np.float64)
    if synthesizer.sample_rate != 16000:
        pcm = resample(pcm, synthesizer.sample_rate, 16000)
    pad = np.zeros(1600)
    soundfile.write(str(path), np.clip(np.concatenate([pad, pcm, pad]), -32768, 32767).astype(np.int16), 16000)


def _write_room_response(path: Path) -> None:
    """A synthetic small-room impulse response: a direct path and exponentially decaying reflections."""
    import soundfile

    rng = np.random.default_rng(7)
    length = 16000 * 3 // 10  # 300 ms: RT60 about 0.3 s
    t = np.arange(length) / 16000
    rir = rng.standard_normal(length) * np.exp(-6.9 * t / 0.3) * 0.3
    rir[:40] = 0.0
    rir[40] = 1.0  # direct sound after 2.5 ms (about a metre)
    soundfile.write(str(path), (rir / np.abs(rir).max() * 0.9 * 32767).astype(np.int16), 16000)
