"""`assistant bench bargein`: how soon the user's voice silences a reply, and that nothing else does.

Runs the whole pipeline in the simulated room, in lockstep (compute takes no room time, so the figures are
the listener's own decisions on the sample clock, the same on any machine), over the shared recordings. Every
run starts from the same engines (Engines.for_run), so one case's outcome does not depend on the others: a
case listed as missed can be re-run alone (--rir, --gains, --after and --voices select it) and traced.

- barge-in: for each room impulse response in echo/rir, each echo gain (--gains, dB) and each moment
  (--after, seconds after the reply became audible), a user talks over the first reply of a conversation
  and over a later one. Before the first reply the assistant says the config's greeting (--greeting), as it
  does on a device, which is all the echo canceller has learnt from by then; --greeting "" is the worst
  case: a canceller that has heard nothing. Reaction = the start of the interrupting
  speech to the interrupted reply's last audible sample (assistant.conversation.latency's barge_in_reaction,
  read off the room's own audibility events). Target: p90 <= 200 ms. A missed barge-in (the reply played on)
  counts with the time the reply went on playing. Barge-ins that a stop phrase made (a word too short to
  interrupt, recognized in the sound that ducked the reply: conversation.stop_phrases) are counted apart too.
- echo only: a question answered with a --echo-s long reply (LONG_TEXT over and over: ReadAloud) in each room
  at each gain, nobody speaking over it: no turn but the question's, no barge-in; ducks (the reply dipping for
  a moment) are counted too, with how long they held it down (ducked_ms), and how far the assistant turned
  itself down because its echo clipped the microphone (output_db; conversation.min_output_db). Like every
  check below, it begins as the barge-in runs do: the greeting, then the question (with --greeting "", the
  reply meets a canceller that heard nothing).
- people's echo: the same, the reply said by recordings of people (--echo-voice, one per sentence in turn, at the
  configured voice's level; the greeting stays the configured voice's) instead of the configured voice: a Piper
  voice speaks like them, with the loud vowels and sudden pauses that espeak-ng's steady speech does not have,
  and whose late echo in a long room a level-based echo model does not foresee (the seminar room with the echo
  200 ms late: self-interruptions that espeak-ng never made). Same targets: no turn, no barge-in.
- cough: a --cough-ms burst of real noise (the loudest stretch of a recording in noise/) at speech level
  during a reply: no barge-in, and the reply goes on.
- noise: a noise that starts during a reply and goes on for --noise-s (a tap, a dishwasher, an exercise bike,
  pink noise: recordings in noise/) as loud at the microphone as a talker near the device: the reply should go
  on. Silero takes some noises for speech right after our own speech (its state carries it), so this one is
  a figure to improve rather than a target of the issue (noise_barge_ins).

False barge-ins (a barge-in with no user speech) must be 0. One that comes from the interrupting recording
itself before the speech the room labels in it (Silero's first window >= 0.5: a click at the recording's
start, its background, a breath, a soft first word such as the "turn off" of turn_off_lights_in_the_Office.wav,
which pocketsphinx's forced alignment puts 0.6 s before the label) is the user's, not false: it counts as a
barge-in with reaction 0, and as early (early_barge_ins) to be seen. The gate's own cost per 32 ms VAD window
is measured on the echo recordings (gate_us_per_window). Needs an LLM setting that makes long replies (e.g.
[llm] max_tokens = 120 with the stories260K model): there must be a reply to interrupt.

--gate-log DIR writes, for each barge-in run, what the double-talk gate saw and decided in every VAD window
beside the room's ground truth, the user's voice and our echo at the microphone apart (write_gate_log): select
one case with --rir, --gains, --after and --voices to see why it was missed.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.audio_files import read_audio, require_shared_audio
from assistant.brain.sentences import split_sentences
from assistant.commands._shared import load
from assistant.commands.bench import json_option
from assistant.config import Config
from assistant.errors import EXIT_OK, AssistantError
from assistant.report import Progress, emit
from assistant.speech.tts import AudioChunk, Synthesizer, synthesize_all

if TYPE_CHECKING:
    from assistant.audio.room import RoomTracks, SimulatedRoom
    from assistant.conversation.doubletalk import GateWindow
    from assistant.conversation.pipeline import Engines, Pipeline

SAMPLE_RATE = 16000
TARGET_P90_MS = 200.0
QUESTION = "commands/speech_to_phrase/en/what_time_is_it.wav"
OPENER = "asr/en/cmu_arctic_aew_a0002.wav"
OPENER_AT_S = 3.0  # after the greeting (espeak-ng says the default one in 1.5 s)
# Interrupting voices, taken in turn: different speakers, levels and openings (a vowel, a fricative, a stop),
# read sentences and short commands (about a second of speech: what users say over a reply).
VOICES = (
    "asr/en/cmu_arctic_aew_a0001.wav",
    "commands/speech_to_phrase/en/what_time_is_it.wav",
    "asr/en/ljspeech_LJ001-0002.wav",
    "commands/speech_to_phrase/en/cancel_timer.wav",
    "asr/en/librivox_sense_and_sensibility_01_austen_64kb-0870.wav",
    "commands/speech_to_phrase/en/turn_off_lights_in_the_Office.wav",
    "asr/en/cmu_arctic_aew_a0003.wav",
    "commands/speech_to_phrase/en/skip_on_TV.wav",
    "asr/en/ljspeech_LJ001-0009.wav",
    "asr/en/fleurs_en_001.ogg",
)
COUGH_SOURCES = ("noise/speech_commands_bg/doing_the_dishes.wav", "noise/speechbrain_misc/noise1.wav",
                 "noise/speech_commands_bg/dude_miaowing.wav")
COUGH_RMS = 3000.0  # about a close talker's speech level (-21 dBFS)
NOISE_SOURCES = ("noise/speech_commands_bg/running_tap.wav", "noise/speech_commands_bg/doing_the_dishes.wav",
                 "noise/speech_commands_bg/exercise_bike.wav", "noise/speech_commands_bg/pink_noise.wav")
NOISE_RMS = 2000.0  # -24 dBFS: a tap running next to the device, as loud as a talker across the room
LATER_AT_S = 35.0  # the second question: the first reply (at most ~20 s with max_tokens 120) is over by then
# The room's speech start is Silero's first window >= 0.5 on the recording; a breath or noise just before it
# is the user's too (fleurs_en_001: 0.25 s at -27..-20 dBFS that Silero scores below 0.1, then the voice), and a
# barge-in on it, as the user starts to speak, is no false one.
ONSET_SLACK_S = 0.3
ECHO_CHECK, PEOPLE_CHECK = "echo only", "people's echo"  # the checks' names in the rows
LONG_TEXT = "Once upon a time there was a little girl who lived in a small village near the forest. "
# People's voices for the echo check, one per sentence in turn: LJSpeech's reader (Piper has voices trained on her)
# between other readers, women and men.
ECHO_VOICES = (
    "asr/en/ljspeech_LJ001-0001.wav",
    "asr/en/fleurs_en_000.ogg",
    "asr/en/ljspeech_LJ001-0003.wav",
    "asr/en/librivox_sense_and_sensibility_01_austen_64kb-0870.wav",
    "asr/en/ljspeech_LJ001-0005.wav",
    "asr/en/cmu_arctic_aew_a0001.wav",
    "asr/en/ljspeech_LJ001-0007.wav",
    "asr/en/fleurs_en_001.ogg",
    "asr/en/ljspeech_LJ001-0010.wav",
    "asr/en/librivox_sense_and_sensibility_01_austen_64kb-0920.wav",
    "asr/en/fleurs_en_002.ogg",
)


def register(kinds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = kinds.add_parser(
        "bargein", parents=[common],
        help="barge-in reaction, echo-only and cough checks in the simulated room (lockstep)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--audio", type=Path, metavar="DIR", help="the shared recordings (default: found as tests do)")
    parser.add_argument("--rir", nargs="+", metavar="NAME", help="only these impulse responses (names in echo/rir)")
    parser.add_argument("--gains", type=float, nargs="+", default=[-6.0, 0.0], metavar="DB", help="echo gains")
    parser.add_argument("--echo-delay-ms", type=float, default=0.0, metavar="MS",
                        help="delay of the echo path before the impulse response: what a device's sound stack adds "
                             "between playing a block and hearing it (USB audio, a sound server: 50-250 ms)")
    parser.add_argument("--after", type=float, nargs="+", default=[0.8, 2.0, 4.0], metavar="S",
                        help="seconds after the reply became audible that the user interrupts")
    parser.add_argument("--voices", nargs="+", metavar="FILE",
                        help="the interrupting recordings, taken in turn (paths under --audio, e.g. "
                             "commands/speech_to_phrase/en/pause.wav; default: 6 read sentences, 4 short commands)")
    parser.add_argument("--echo-s", type=float, default=30.0, metavar="S", help="length of the echo-only reply")
    parser.add_argument("--echo-voice", nargs="+", metavar="FILE",
                        help="the recordings of people that say the reply of the people's echo check, one per "
                             "sentence in turn, at the configured voice's level (paths under --audio, e.g. "
                             "asr/en/ljspeech_LJ001-0001.wav; default: 11 read sentences, 5 of LJSpeech's reader)")
    parser.add_argument("--cough-ms", type=float, default=150.0, metavar="MS", help="length of the cough burst")
    parser.add_argument("--noise-s", type=float, default=4.0, metavar="S", help="length of the noise check's noise")
    parser.add_argument("--greeting", metavar="TEXT",
                        help="said before the first reply of every run, barge-in and check (default: "
                             "conversation.greeting; \"\": none)")
    parser.add_argument("--skip", nargs="+", default=[], choices=("bargein", "echo", "people", "cough", "noise"),
                        help="checks to skip")
    parser.add_argument("--gate-log", type=Path, metavar="DIR",
                        help="write each barge-in run's double-talk gate windows, beside the room's ground truth "
                             "(the voice and the echo apart), to DIR/case<N>.tsv (N: the run's place in the list), "
                             "and the echo-only, cough and noise runs' to DIR/echo-<room>-<gain>dB.tsv, "
                             "DIR/people-<room>-<gain>dB.tsv and DIR/<check>-<room>-<sound>.tsv")
    json_option(parser)
    parser.set_defaults(func=_bench)


# ------------------------------------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    """One barge-in run: a room, an echo gain, a moment, which reply is interrupted and by whom."""

    rir: Path
    gain_db: float
    after_s: float
    later: bool  # interrupt the second reply (canceller converged), else the first
    voice: Path
    delay_ms: float = 0.0  # the echo path's delay before the impulse response

    @property
    def condition(self) -> str:
        return f"{self.rir.stem} {self.gain_db:+g} dB {'later' if self.later else 'first'}"

    def scenario(self, audio: Path) -> str:
        """The scenario TOML; the interrupting utterance is the last one."""
        lines = []
        if self.later:
            # At a fixed time rather than after the reply's end: the room ends a reply at any pause of 0.5 s.
            lines += ["[[utterance]]", f'audio = "{audio / QUESTION}"', f"at = {LATER_AT_S}"]
        lines += ["[[utterance]]", f'audio = "{self.voice}"', f"after_reply_start = {self.after_s}"]
        return question_scenario(audio, self.rir, self.gain_db, self.delay_ms, OPENER_AT_S, *lines)


def rirs(audio: Path, names: Sequence[str] | None) -> list[Path]:
    found = sorted((audio / "echo" / "rir").glob("*.wav"))
    if names:
        found = [p for p in found if p.name in names or p.stem in names]
    if not found:
        raise AssistantError(f"{audio / 'echo' / 'rir'}: no impulse responses (.wav) found" +
                             (f" named {', '.join(names)}" if names else ""))
    return found


def cases(
    audio: Path, rooms: Sequence[Path], gains: Sequence[float], afters: Sequence[float],
    voices: Sequence[str] = VOICES, delay_ms: float = 0.0,
) -> list[Case]:
    """Every room x gain x reply x moment, the voices taken in turn (a voice file missing: an error naming it)."""
    missing = [v for v in voices if not (audio / v).is_file()]
    if missing:
        raise AssistantError(f"{audio / missing[0]}: no such recording (bench bargein --voices takes paths under "
                             f"the shared audio folder {audio}, e.g. {VOICES[1]})")
    out = []
    for rir in rooms:
        for gain in gains:
            for later in (False, True):
                for after in afters:
                    voice = audio / voices[len(out) % len(voices)]
                    out.append(Case(rir, gain, after, later, voice, delay_ms))
    return out


# --------------------------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Outcome:
    """What one barge-in run did to the interrupted reply."""

    reaction_s: float | None  # speech start -> last audible sample of the reply; None: no speech found
    barge_ins: int  # during the interrupting speech
    false_barge_ins: int  # with nobody speaking
    false_at_s: tuple[float, ...] = ()  # when, from the interrupting speech's start (< 0: before it)
    by_stop_phrase: int = 0  # of barge_ins: ended by a stop phrase the recognizer heard in a ducked sound
    # Of barge_ins: on the interrupting recording's own sounds before its labelled speech (a click, a breath,
    # a soft first word the ground truth leaves out): when, from the speech's start.
    early_at_s: tuple[float, ...] = ()


def outcome(events: Sequence[Mapping[str, Any]], utterance: int) -> Outcome:
    """Read a run's trace (room ground truth merged); `utterance`: the index of the interrupting one."""
    starts = {e["utterance"]: e["t"] for e in events if e["event"] == "user_speech_start"}
    ends = {e["utterance"]: e["t"] for e in events if e["event"] == "user_speech_end"}
    audio_starts = {e["utterance"]: e["t"] for e in events if e["event"] == "user_audio_start"}

    def sounding_from(u: int, speech_start: float) -> float:
        """Where the user's recording `u` makes itself heard: its first sample, or just before its speech."""
        return min(audio_starts.get(u, speech_start), speech_start - ONSET_SLACK_S)

    barge = [e for e in events if e["event"] == "barge_in"]
    false = [e["t"] for e in barge if not any(sounding_from(u, s) <= e["t"] <= ends.get(u, s) + 1.0
                                             for u, s in starts.items())]
    start, end = starts.get(utterance), ends.get(utterance)
    if start is None or end is None:
        return Outcome(None, 0, len(false))
    during = [e for e in barge if sounding_from(utterance, start) <= e["t"] <= end + 1.0]
    # The reply audible when the user spoke: every audible stretch from then on that began before anything
    # could answer the interruption (the listener closed its turn, or a barge-in flushed the reply); the last of
    # them ends the reaction. Without either, what played after the speech was the reply coming back from a duck.
    turn = next((e["turn"] for e in events if e["event"] == "user_speech_start" and e["utterance"] == utterance), None)
    closed = [e["t"] for e in events if e["event"] == "turn_end" and e["turn"] == turn and e["t"] >= start]
    answer_from = min([*closed, *(e["t"] for e in during)], default=math.inf)
    last = [times[1] if len(times) > 1 else math.inf for times in audible_stretches(events).values()
            if times[0] < answer_from and (len(times) == 1 or times[1] >= start)]
    return Outcome(
        reaction_s=max(0.0, max(last) - start) if last else 0.0,
        barge_ins=len(during),
        false_barge_ins=len(false),
        false_at_s=tuple(round(t - start, 2) for t in false),
        by_stop_phrase=sum(bool(e.get("stop_phrase")) for e in during),
        early_at_s=tuple(round(e["t"] - start, 2) for e in during if e["t"] < start - ONSET_SLACK_S),
    )


def audible_stretches(events: Sequence[Mapping[str, Any]]) -> dict[int, list[float]]:
    """Per stretch of audible reply the room saw (its `reply` number): [start] or [start, end], in seconds."""
    stretches: dict[int, list[float]] = {}
    for e in events:
        if e["event"] in ("audible_start", "audible_end"):
            stretches.setdefault(e["reply"], []).append(e["t"])
    return stretches


def percentile_ms(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile in ms; infinite (a reply that played to the end) if it falls among such values."""
    if not values:
        return None
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    at = q / 100.0 * (len(ordered) - 1)  # numpy's default (linear) percentile, which inf would turn into nan
    low, high = ordered[math.floor(at)], ordered[math.ceil(at)]
    if not math.isfinite(high):
        return float("inf")
    return float(1000.0 * (low + (high - low) * (at - math.floor(at))))


# ------------------------------------------------------------------------------------------------ runs


def run_bargein(
    config: Config, audio: Path, engines: Engines, case_list: Sequence[Case], folder: Path,
    advance: Callable[[], None], greeting: str = "", gate_log: Path | None = None,
) -> list[tuple[Case, Outcome]]:
    """`gate_log`: a folder to write each run's double-talk gate windows to (case<N>.tsv, see write_gate_log)."""
    results = []
    for i, case in enumerate(case_list):
        path = folder / f"case{i}.toml"
        path.write_text(case.scenario(audio))
        title = f"{case.condition}, {case.voice.name} {case.after_s:g} s after the reply became audible"
        log = (gate_log / f"case{i}.tsv", title) if gate_log is not None else None
        results.append((case, outcome(_run(path, config, engines, greeting, log), 2 if case.later else 1)))
        advance()
    return results


def _run(path: Path, config: Config, engines: Engines, greeting: str, gate_log: tuple[Path, str] | None
         ) -> list[dict[str, Any]]:
    """The scenario at `path` in lockstep: its events; `gate_log`: (file, title) to write its gate log to."""
    from assistant.conversation.scenario import Scenario
    from assistant.conversation.simulate import run_scenario

    recording = GateRecording()
    result = run_scenario(Scenario.load(path), config, realtime=False, engines=engines, greeting=greeting,
                          before_start=recording.attach if gate_log is not None else None)
    if gate_log is not None:
        recording.write(*gate_log, engines.vad.window)
    return result.events


class GateRecording:
    """One run's gate log in the making: `attach` it to the pipeline and the room before they start."""

    def __init__(self) -> None:
        from assistant.audio.room import RoomTracks

        self.windows: list[GateWindow] = []
        self.fresh: list[float | None] = []
        self.tracks = RoomTracks()

    def attach(self, pipeline: Pipeline, room: SimulatedRoom) -> None:
        pipeline.listener.gate.record = self.windows
        pipeline.listener.fresh_record = self.fresh
        room.tracks = self.tracks

    def write(self, path: Path, title: str, window: int) -> None:
        write_gate_log(path, title, self.windows, self.fresh, self.tracks, window)


GATE_LOG_COLUMNS = ("t", "reference_db", "mic_db", "clean_db", "voice_db", "echo_db", "p", "fresh_p", "expected_db",
                    "room_db", "since_stop", "evidence_db", "passed")


def write_gate_log(path: Path, title: str, windows: Sequence[GateWindow], fresh: Sequence[float | None],
                   tracks: RoomTracks, window: int) -> None:
    """One row per VAD window of the run: what the double-talk gate saw and decided, beside the room's ground
    truth that it never sees, the user's voice and our echo at the microphone apart (voice_db, echo_db). That
    is what tells a prediction too high from a voice below the echo. p: the listener's VAD stream (primed by
    the reply), fresh_p: the stream started afresh at a sound over the reply (fresh_ears). Levels in dB re 1
    LSB² (level_db); window n starts at room sample n * window; empty cells: not defined then (no echo
    expected, no room bound, the fresh stream not listening)."""
    from assistant.conversation.doubletalk import level_db

    voice, echo = tracks.speech(), tracks.echo()

    def db(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    rows = [f"# {title}", "\t".join(GATE_LOG_COLUMNS)]
    for n, (w, fresh_p) in enumerate(zip(windows, fresh, strict=True)):
        at = slice(n * window, (n + 1) * window)
        rows.append("\t".join([
            f"{n * window / SAMPLE_RATE:.3f}", db(w.reference_db), db(w.mic_db), db(w.clean_db),
            db(level_db(voice[at])), db(level_db(echo[at])), f"{w.p:.2f}", "" if fresh_p is None else f"{fresh_p:.2f}",
            db(w.expected_db), db(w.room_db), str(w.since_stop), db(w.evidence_db), str(int(w.passed)),
        ]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")


def run_echo_only(config: Config, audio: Path, engines: Engines, rir: Path, gain_db: float, seconds: float,
                  folder: Path, greeting: str = "", gate_log: Path | None = None, delay_ms: float = 0.0,
                  voice: Sequence[np.ndarray] = ()) -> dict[str, Any]:
    """A question (after `greeting`, as in the barge-in runs) answered with a `seconds` long reply, nobody
    speaking over it: no turn but the question's. The reply is LONG_TEXT over and over (ReadAloud: a language
    model's reply cannot be made that long at will). `gate_log`: a folder to write the run's gate log to
    (echo-<room>-<gain>dB.tsv, people-... with `voice`); `voice`: recordings of people that say the reply
    (RecordedVoice; the greeting stays the configured voice's): the people's echo check."""
    synthesizer = engines.synthesizer
    if voice:
        synthesizer = RecordedVoice(voice, speech_rms(engines.synthesizer), LONG_TEXT, engines.synthesizer)
        sentences, said = 0, 0.0
        while said < seconds:
            said += voice[sentences % len(voice)].size / SAMPLE_RATE
            sentences += 1
        seconds = said
    else:
        sentences = max(1, round(seconds / 3.7))  # espeak-ng says about 2.7 of these sentences per 10 s
    reading = ReadAloud(LONG_TEXT * sentences)
    reading_engines = dataclasses.replace(
        engines, brain=reading, new_brain=lambda: reading, synthesizer=synthesizer,
        new_synthesizer=lambda: synthesizer,
        choices={**engines.choices, "brain": reading.name, "tts": synthesizer.name},  # what the log names
    )
    check, name = (PEOPLE_CHECK, "people") if voice else (ECHO_CHECK, "echo")
    path = folder / f"{name}-{rir.stem}-{gain_db:+g}dB.toml"
    path.write_text(question_scenario(audio, rir, gain_db, delay_ms, _check_question_at(greeting)))
    log = (gate_log / path.with_suffix(".tsv").name, f"{rir.stem} {gain_db:+g} dB, {check}") \
        if gate_log is not None else None
    events = _run(path, config, reading_engines, greeting, log)
    asked = next(e["t"] for e in events if e["event"] == "user_speech_end")
    played = sum(times[-1] - times[0] for times in audible_stretches(events).values() if times[0] > asked)
    # (A barge-in ends the reply, whatever the answer to it plays.)
    went_on = played >= 0.9 * seconds and not any(e["event"] == "barge_in" for e in events)
    return _check_row(check, rir, gain_db, f"{played:.0f} s reply", events, turns=1, went_on=went_on)


def question_scenario(audio: Path, rir: Path, gain_db: float, delay_ms: float, question_at: float,
                      *lines: str) -> str:
    """The scenario TOML of a run: the room, the question (OPENER) at `question_at` s, then `lines`."""
    return "\n".join([
        "wake = false", "[room]", f'rir = "{rir}"', f"echo_gain_db = {gain_db}", f"echo_delay_ms = {delay_ms}",
        "[[utterance]]", f'audio = "{audio / OPENER}"', f"at = {question_at}", *lines,
    ]) + "\n"


def _check_question_at(greeting: str) -> float:
    """When a check asks its question: after the greeting, or at 1 s without one (as the checks always did)."""
    return OPENER_AT_S if greeting else 1.0


class ReadAloud:
    """A brain that answers every question with `text`, a sentence at a time: the echo checks' long reply."""

    name = "read aloud"

    def __init__(self, text: str) -> None:
        self._sentences = split_sentences(text)

    def reply(self, user: str, cancel: threading.Event) -> Iterator[str]:
        for sentence in self._sentences:
            if cancel.is_set():
                return
            yield sentence + " "

    def remember(self, user: str, heard: str) -> None:
        pass

    def forget(self) -> None:
        pass

    def close(self) -> None:
        pass

    @property
    def stats(self) -> dict[str, float | int | str]:
        return {}


class RecordedVoice:
    """A voice that says recordings of people instead of text: each sentence of `reply` is the next recording in
    turn, at `rms` (the level the configured voice speaks at); any other text (the greeting) is said by `others`,
    the configured voice. For the echo-only check with speech as a Piper voice makes it."""

    name = "recordings of people"
    sample_rate = SAMPLE_RATE

    def __init__(self, recordings: Sequence[np.ndarray], rms: float, reply: str, others: Synthesizer) -> None:
        self._recordings = [_at_level(r.astype(np.float64), rms) for r in recordings]
        self._reply = frozenset(split_sentences(reply))
        self._others = others
        self._next = 0

    def synthesize(self, text: str, speed: float = 1.0) -> Iterator[AudioChunk]:
        for sentence in split_sentences(text):  # (the recordings play as they were spoken, at any speed)
            if sentence not in self._reply:
                yield from self._others.synthesize(sentence, speed)
                continue
            pcm = self._recordings[self._next % len(self._recordings)]
            self._next += 1
            yield AudioChunk(pcm, self.sample_rate, sentence)


def speech_rms(synthesizer: Synthesizer) -> float:
    """The RMS of `synthesizer` saying LONG_TEXT (espeak-ng: about 3200, -20 dBFS)."""
    pcm = synthesize_all(synthesizer, LONG_TEXT).astype(np.float64)
    return float(np.sqrt(np.mean(pcm**2))) if pcm.size else COUGH_RMS


def cough_burst(source: Path, ms: float, path: Path) -> Path:
    """The loudest `ms` of `source` at speech level with 5 ms fades, written to `path`."""
    x = read_audio(source).astype(np.float64)
    n = round(ms * SAMPLE_RATE / 1000)
    power = np.convolve(x**2, np.ones(n), mode="valid")
    start = int(np.argmax(power))
    return _write_at_level(x[start : start + n], COUGH_RMS, path)


def noise_onset(source: Path, seconds: float, path: Path) -> Path:
    """The first `seconds` of `source` at NOISE_RMS with 5 ms fades, written to `path`."""
    return _write_at_level(read_audio(source).astype(np.float64)[: round(seconds * SAMPLE_RATE)], NOISE_RMS, path)


def _check_sound(check: str, source: Path, index: int, args: argparse.Namespace, folder: Path) -> Path:
    """The sound file of a cough or noise check, made from `source` in `folder`."""
    if check == "cough":
        return cough_burst(source, args.cough_ms, folder / f"burst{index}.wav")
    return noise_onset(source, args.noise_s, folder / f"noise{index}-{source.stem}.wav")


def _write_at_level(sound: np.ndarray, rms: float, path: Path) -> Path:
    import soundfile

    soundfile.write(str(path), _at_level(sound, rms), SAMPLE_RATE)
    return path


def _at_level(sound: np.ndarray, rms: float) -> np.ndarray:
    """`sound` (float) scaled to `rms`, with 5 ms fades in and out, as int16."""
    sound = sound * (rms / max(float(np.sqrt(np.mean(sound**2))), 1.0))
    fade = np.linspace(0.0, 1.0, SAMPLE_RATE // 200)
    sound[: fade.size] *= fade
    sound[-fade.size :] *= fade[::-1]
    return np.clip(np.rint(sound), -32768, 32767).astype(np.int16)


def run_sound(
    check: str, config: Config, audio: Path, engines: Engines, rir: Path, gain_db: float, sound: Path, folder: Path,
    greeting: str = "", gate_log: Path | None = None, delay_ms: float = 0.0,
) -> dict[str, Any]:
    """A question (after `greeting`, as in the barge-in runs), then `sound` (a cough, a noise) 2 s into the
    reply: the reply must go on. `gate_log`: a folder to write the run's gate log to (<check>-<room>-<sound>.tsv)."""
    path = folder / f"{check}-{rir.stem}-{sound.stem}.toml"
    path.write_text(question_scenario(audio, rir, gain_db, delay_ms, _check_question_at(greeting),
                                      "[[utterance]]", f'audio = "{sound}"', "after_reply_start = 2.0"))
    title = f"{rir.stem} {gain_db:+g} dB, {check} {sound.name} 2 s after the reply became audible"
    log = (gate_log / path.with_suffix(".tsv").name, title) if gate_log is not None else None
    events = _run(path, config, engines, greeting, log)
    sound_at = next((e["t"] for e in events if e["event"] == "user_audio_start" and e["utterance"] == 1), None)
    audible = [e["t"] for e in events if e["event"] == "audible_end"]
    # A barge-in ends the reply, whatever the answer to the sound plays afterwards.
    interrupted = any(e["event"] == "barge_in" for e in events)
    return _check_row(check, rir, gain_db, sound.stem, events, turns=1, went_on=not interrupted and bool(
        audible and sound_at is not None and max(audible) > sound_at + 1.0))


def _check_row(check: str, rir: Path, gain_db: float, sound: str, events: Sequence[Mapping[str, Any]], *,
               turns: int, went_on: bool) -> dict[str, Any]:
    """A row of the echo-only or cough check; `turns`: the turns the run should have (the question's)."""
    return {
        "check": check, "room": rir.stem, "gain_db": gain_db, "sound": sound,
        "extra_turns": sum(e["event"] == "vad_start" for e in events) - turns,
        "barge_ins": sum(e["event"] == "barge_in" for e in events),
        "ducks": sum(e["event"] == "duck" for e in events),
        "ducked_ms": ducked_ms(events),
        # the assistant turned itself down this far because its echo clipped the microphone
        "output_db": min((e["db"] for e in events if e["event"] == "output_level"), default=0.0),
        "reply_went_on": went_on,
    }


def ducked_ms(events: Sequence[Mapping[str, Any]]) -> int:
    """How long the reply was held down by ducks it came back from (a duck a barge-in ended is not counted)."""
    total, since = 0.0, None
    for e in events:
        if e["event"] == "duck":
            since = e["t"]
        elif e["event"] == "unduck" and since is not None:
            total, since = total + e["t"] - since, None
    return round(1000 * total)


def gate_cost_us(audio: Path) -> float:
    """Microseconds per VAD window of the double-talk gate, on the shared double-talk recording (raw mic: the
    gate's work does not depend on how well the echo was cancelled)."""
    from assistant.conversation.doubletalk import DoubleTalkGate

    folder = audio / "echo" / "aec_challenge_via_mediastreamer2"
    mic = read_audio(folder / "echo_double_talk.wav").astype(np.int32) + read_audio(folder / "nearend_double_talk.wav")
    ref = read_audio(folder / "farend_double_talk.wav")
    mic = np.clip(mic, -32768, 32767).astype(np.int16)
    windows = len(mic) // 512
    gate = DoubleTalkGate()
    started = time.perf_counter()
    for i in range(windows):
        window = mic[i * 512 : (i + 1) * 512]
        gate.probability(window, window, ref[i * 512 : (i + 1) * 512], 0.9, 0.5)
    return 1e6 * (time.perf_counter() - started) / windows


# ------------------------------------------------------------------------------------------------ report


def _rows(results: Sequence[tuple[Case, Outcome]]) -> list[dict[str, Any]]:
    by_condition: dict[str, list[tuple[Case, Outcome]]] = {}
    for case, result in results:
        by_condition.setdefault(case.condition, []).append((case, result))
    rows = []
    for condition, items in by_condition.items():
        reactions = [o.reaction_s for _, o in items if o.reaction_s is not None]
        rows.append({
            "condition": condition,
            **{f"at_{c.after_s:g}s_ms": _reaction_ms(o) for c, o in items},
            "p50_ms": percentile_ms(reactions, 50),
            "missed": sum(o.barge_ins == 0 for _, o in items),
            "false": sum(o.false_barge_ins for _, o in items),
        })
    return rows


def _reaction_ms(o: Outcome) -> int | str | None:
    if o.reaction_s is None:
        return None
    if math.isinf(o.reaction_s):
        return "played to the end"  # the reply was still audible when the run ended
    return round(1000 * o.reaction_s)


def _case_rows(results: Sequence[tuple[Case, Outcome]], *, failed_only: bool) -> list[dict[str, Any]]:
    """One row per run (or per missed or false barge-in): which voice, when, what happened."""
    return [
        {"condition": case.condition, "after_s": case.after_s, "voice": case.voice.name,
         "reaction_ms": _reaction_ms(o),
         "barge_ins": o.barge_ins, "by_stop_phrase": o.by_stop_phrase, "false": o.false_barge_ins,
         "false_at_s": " ".join(f"{t:+.2f}" for t in o.false_at_s),
         "early_at_s": " ".join(f"{t:+.2f}" for t in o.early_at_s)}
        for case, o in results
        if not failed_only or o.barge_ins == 0 or o.false_barge_ins or o.early_at_s
    ]


def summarize(results: Sequence[tuple[Case, Outcome]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    groups: dict[str, list[float]] = {}
    for case, o in results:
        if o.reaction_s is not None:
            for key in ("all", f"{case.gain_db:+g}dB_{'later' if case.later else 'first'}"):
                groups.setdefault(key, []).append(o.reaction_s)
    for key, values in sorted(groups.items()):
        out[f"reaction_{key}_p50_ms"] = percentile_ms(values, 50)
        out[f"reaction_{key}_p90_ms"] = percentile_ms(values, 90)
    out["barge_in_runs"] = len(results)
    out["missed_barge_ins"] = sum(o.barge_ins == 0 for _, o in results)
    out["false_barge_ins"] = sum(o.false_barge_ins for _, o in results)
    out["early_barge_ins"] = sum(bool(o.early_at_s) for _, o in results)
    out["stop_phrase_barge_ins"] = sum(o.by_stop_phrase for _, o in results)
    p90 = out.get("reaction_all_p90_ms")
    out["target_p90_ms"] = TARGET_P90_MS
    out["target_met"] = None if p90 is None else p90 <= TARGET_P90_MS and out["false_barge_ins"] == 0
    return out


def _bench(args: argparse.Namespace) -> int:
    config = load(args).config
    audio = require_shared_audio(args.audio, "echo/rir, asr/en and noise/")
    rooms = rirs(audio, args.rir)
    voices = args.voices or VOICES
    delay = args.echo_delay_ms
    case_list = cases(audio, rooms, args.gains, args.after, voices, delay) if "bargein" not in args.skip else []
    sound_checks = {check: sources for check, sources in (("cough", COUGH_SOURCES), ("noise", NOISE_SOURCES))
                    if check not in args.skip}
    # Read before anything runs: a missing recording is named at once, not after the barge-in runs.
    echo_voices = [[read_audio(audio / name) for name in names] for check, names in (
        ("echo", ()), ("people", args.echo_voice or ECHO_VOICES)) if check not in args.skip]
    checks = len(rooms) * (len(args.gains) * len(echo_voices) + sum(len(s) for s in sound_checks.values()))
    progress = Progress(len(case_list) + checks, "bench bargein", unit=" runs")
    greeting = config.conversation.greeting if args.greeting is None else args.greeting
    summary: dict[str, Any] = {"greeting": greeting or "none: the first reply meets a fresh echo canceller",
                               "echo_delay_ms": delay}
    if "people" not in args.skip:
        summary["echo_voice"] = " ".join(args.echo_voice or ECHO_VOICES)
    rows: list[dict[str, Any]] = []
    results: list[tuple[Case, Outcome]] = []
    from assistant.conversation.pipeline import Engines
    from assistant.conversation.simulate import simulation_config

    engines = Engines.build(simulation_config(config), wake=False)  # loaded once; each run gets a new canceller
    try:
        with tempfile.TemporaryDirectory(prefix="bargein-") as tmp:
            folder = Path(tmp)
            if case_list:
                results = run_bargein(config, audio, engines, case_list, folder, progress.advance, greeting,
                                      args.gate_log)
                rows += _rows(results)
                summary.update(summarize(results))
            for voice in echo_voices:
                for rir in rooms:
                    for gain in args.gains:
                        rows.append(run_echo_only(config, audio, engines, rir, gain, args.echo_s, folder, greeting,
                                                  args.gate_log, delay, voice))
                        progress.advance()
            for check, sources in sound_checks.items():
                sounds = [_check_sound(check, audio / source, i, args, folder) for i, source in enumerate(sources)]
                for rir in rooms:
                    for sound in sounds:
                        rows.append(run_sound(check, config, audio, engines, rir, -6.0, sound, folder, greeting,
                                              args.gate_log, delay))
                        progress.advance()
    finally:
        progress.close()
        engines.close()
    checks = [r for r in rows if "check" in r]
    reactions = [r for r in rows if "check" not in r]
    summary_keys = {ECHO_CHECK: "echo_only", PEOPLE_CHECK: "people_echo", "cough": "cough", "noise": "noise"}
    for check, key in summary_keys.items():
        rows_of = [r for r in checks if r["check"] == check]
        if check in (ECHO_CHECK, PEOPLE_CHECK):
            summary[f"{key}_turns"] = sum(r["extra_turns"] for r in rows_of)
        for figure in ("barge_ins", "ducks", "ducked_ms"):
            summary[f"{key}_{figure}"] = sum(r[figure] for r in rows_of)
    summary["gate_us_per_window"] = round(gate_cost_us(audio), 1)
    if args.json:
        emit("barge-in", {**summary, "checks": checks, "cases": _case_rows(results, failed_only=False)}, reactions,
             as_json=True)
    else:
        if checks:
            emit("barge-in checks (echo only, people's echo, cough, noise)", {}, checks)
            print()
        failed = _case_rows(results, failed_only=True)
        if failed:
            emit("missed, false or early barge-ins (which voice, at which moment)", {}, failed)
            print()
        emit("barge-in reaction (ms from the interrupting speech to the reply's last audible sample)", summary,
             reactions)
    return EXIT_OK
