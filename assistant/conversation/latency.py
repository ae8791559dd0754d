"""Latency of each turn, read from a conversation trace; summaries over runs; the waterfall plot of a turn.

A trace is a list of events, one dict each: `{"t": seconds on the room clock, "turn": int | None, "event": name,
...}` (one JSON object per line in a file). Ground truth from the room: `user_speech_start`, `user_speech_end`
(field `utterance`), `audible_start`, `audible_end` (turn: whose reply it was, None if unknown). Pipeline
events of a turn: `vad_start`, `turn_end`, `transcript` (text), `llm_first_token`, `reply_sentence` (text),
`tts_first_audio`, `barge_in`, `reply_heard` (text), `turn_dropped` (reason); `transcript`, `llm_first_token` and
`tts_first_audio` carry `compute_s`, the seconds spent inside the engine (the recognizer; the brain until its
first piece; synthesize() until its first chunk). A turn the device answered itself (the time, a timer:
assistant.conversation.skills) has `skill` in place of `llm_first_token`, with the rules' compute_s. A reply
started early on a pause (`speculate`) and taken back (`speculation`, outcome "retracted") leaves a second
attempt: events of a reply carry its attempt number (`attempt`), and the figures are those of the last attempt,
the one that could be heard.

A turn is measured when it has a `transcript`. U, the end of the user's speech, is the last `user_speech_end`
at or before the turn's `turn_end`; everything is timed from U on the room's sample clock:

    voice_to_voice     U -> audible_start          endpointing        U -> turn_end
    stt_finalization   turn_end -> transcript      llm_first_token    transcript -> llm_first_token
    first_sentence     transcript -> first reply_sentence
    tts_first_audio    first reply_sentence -> tts_first_audio
    barge_in_reaction  S -> the reply's last audible_end, per barge_in; S = the last user_speech_start
                       at or before it
    overhead           the pipeline's own time: turn_end -> audible_start less the time an engine was working
                       on the reply in it (below)

Every figure is time on the way to the reply: a reply started early (a speculation kept) may reach its first
token, sentence and audio before the transcript, even before the turn closed, and a stage done ahead of the one
before it counts 0 (each of the pipeline's points in the chain is taken as no earlier than those before it).

Overhead: the engine work on the way to the reply is the STT's compute_s (ending at the transcript, or, for a
kept speculation, at the early transcript: `speculate`), the brain's compute_s (ending at llm_first_token), the
wait for the first sentence (llm_first_token -> reply_sentence: the splitter waits for the brain's tokens),
and the synthesizer's compute_s (ending at tts_first_audio). Whatever else lies between the closing of the turn
and the first audible sample is the pipeline's: queues, thread hand-offs, copies, the speaker's queue and the
voice's leading silence. Endpointing is the listener's decision, timed on the audio clock, and not overhead.
Trace times are on the audio clock in blocks (10 or 20 ms), compute times on the wall clock: a turn's figure is
good to about a block. The recognizer's work is its `finish_s` (the time in finish(), after the speech),
ending at the transcript; a trace without it (older traces) falls back on compute_s, which also counts its work
during the speech (which ran while the user spoke), so that a slow hand-off hidden behind it is missed. An
engine that holds Python's GIL while it computes (pocketsphinx does) stalls every thread, the audio thread
and so the room's clock with it: a streaming recognizer that holds it almost all the time (slower than real
time, or in long calls) lets the room fall behind during the speech, the room catches up in a burst once the
recognizer is done, and the stall then shows as overhead in the stage after that engine.

The breakdown (`TurnLatency.stages`) cuts voice-to-voice into consecutive stages that add up to it, so that
it shows where the time goes.
`TurnLatency.overheads` gives the pipeline's own share of each stage after endpointing (they add up to
the overhead). A figure whose events are missing is None: partial traces (a crash, a turn cut short, a live
trace without ground truth, a trace without compute times) are measured as far as they go.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from assistant.errors import AssistantError, import_optional

log = logging.getLogger(__name__)

METRICS = (
    "voice_to_voice",
    "endpointing",
    "stt_finalization",
    "llm_first_token",
    "first_sentence",
    "tts_first_audio",
    "overhead",
    "barge_in_reaction",
)
# Events of one reply attempt (field `attempt`); a turn's figures use its last attempt's.
REPLY_EVENTS = ("speculate", "speculation", "llm_first_token", "skill", "reply_sentence", "tts_first_audio")

# Voice-to-voice as a chain: each stage runs from the previous event to its own (U first). Playback is what
# the pipeline adds after synthesis: queues, the playback ring and the device's buffer.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("endpointing", "turn_end", "turn closed"),
    ("stt", "transcript", "final transcript"),
    ("llm", "llm_first_token", "first token"),
    ("sentence", "reply_sentence", "first sentence"),
    ("tts", "tts_first_audio", "first audio"),
    ("playback", "audible_start", "first audible sample"),
)


@dataclass(frozen=True)
class TurnLatency:
    """The figures of one turn, in seconds; None where the trace lacks an event."""

    turn: int
    text: str  # the transcript
    reply: str  # the reply sentences, joined
    heard: str | None  # what the history kept (reply_heard), if said
    dropped: str | None  # turn_dropped's reason, if the turn was dropped
    voice_to_voice: float | None
    endpointing: float | None
    stt_finalization: float | None
    llm_first_token: float | None
    first_sentence: float | None
    tts_first_audio: float | None
    overhead: float | None
    barge_in_reaction: tuple[float | None, ...]  # one per barge_in of the turn
    stages: tuple[tuple[str, float | None], ...]  # (stage, seconds) in the order of STAGES
    overheads: tuple[tuple[str, float | None], ...]  # (stage, the pipeline's own seconds in it), after endpointing

    def values(self, metric: str) -> tuple[float | None, ...]:
        """The metric's values in this turn: one, or one per barge-in."""
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
        value = getattr(self, metric)
        return value if isinstance(value, tuple) else (value,)


@dataclass(frozen=True)
class MetricSummary:
    """One metric over every turn of every run, in milliseconds (None when nothing was measured)."""

    metric: str
    count: int  # values measured
    missing: int  # turns (or barge-ins) where an event was missing
    median_ms: float | None
    p90_ms: float | None  # linear interpolation between the closest ranks


# ------------------------------------------------------------------------------------------------ reading


def read_trace(path: Path) -> list[dict[str, Any]]:
    """The events of a JSONL trace file. A cut-off last line (the process was killed mid-write) is left out."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AssistantError(f"{path}: cannot read the trace ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise AssistantError(f"{path}: not a trace: the file is not UTF-8 text (one JSON object per line)") from None
    lines = text.split("\n")
    events = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):  # no newline after it: the writer did not finish the line
                log.warning("%s, line %d: incomplete last line left out", path, number)
                break
            raise AssistantError(
                f"{path}, line {number}: not JSON ({exc.msg}); a trace has one JSON object per line"
            ) from None
        events.append(_checked(event, f"{path}, line {number}"))
    return events


def _checked(event: Any, where: str) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise AssistantError(f"{where}: a trace event is a JSON object, got {type(event).__name__}")
    t, name, turn = event.get("t"), event.get("event"), event.get("turn")
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
        raise AssistantError(f'{where}: "t" must be a number of seconds, got {t!r}')
    if not isinstance(name, str):
        raise AssistantError(f'{where}: "event" must be the event\'s name (a string), got {name!r}')
    if turn is not None and (isinstance(turn, bool) or not isinstance(turn, int)):
        raise AssistantError(f'{where}: "turn" must be an integer or null, got {turn!r}')
    return event


# ---------------------------------------------------------------------------------------------- measuring


class _Trace:
    """A trace's events in time order, grouped by turn, with the room's speech boundaries."""

    def __init__(self, events: Iterable[Mapping[str, Any]]) -> None:
        usable = sorted((e for e in events if _usable(e)), key=lambda e: e["t"])
        self.speech_starts = [e["t"] for e in usable if e["event"] == "user_speech_start"]
        self.speech_ends = [e["t"] for e in usable if e["event"] == "user_speech_end"]
        self.turns: dict[int, list[Mapping[str, Any]]] = {}
        for e in usable:
            if isinstance(e.get("turn"), int) and not isinstance(e["turn"], bool):
                self.turns.setdefault(e["turn"], []).append(e)
        self.attempts = {n: max(map(_attempt, events)) for n, events in self.turns.items()}

    def of(self, turn: int, name: str) -> list[Mapping[str, Any]]:
        """The turn's events of that name (of its last reply attempt, for a reply's events)."""
        found = [e for e in self.turns.get(turn, ()) if e["event"] == name]
        if name in REPLY_EVENTS:
            found = [e for e in found if _attempt(e) == self.attempts[turn]]
        return found

    def first(self, turn: int, name: str) -> float | None:
        found = self.of(turn, name)
        return found[0]["t"] if found else None

    def answered(self, turn: int) -> list[Mapping[str, Any]]:
        """The brain's first piece, or the device's own answer (`skill`)."""
        return self.of(turn, "llm_first_token") or self.of(turn, "skill")

    def marks(self, turn: int) -> dict[str, float | None]:
        """When the turn reached each point of the voice-to-voice chain: U first, then STAGES' events."""
        marks = {event: self.first(turn, event) for _, event, _ in STAGES}
        answered = self.answered(turn)
        marks["llm_first_token"] = answered[0]["t"] if answered else None
        # Without turn_end (a live trace, a listener that crashed) the transcript still tells which speech it was.
        anchor = marks["turn_end"] if marks["turn_end"] is not None else marks["transcript"]
        return {"user_speech_end": _last_at_or_before(self.speech_ends, anchor), **marks}

    def engine_work(self, turn: int) -> list[tuple[float, float]] | None:
        """When an engine worked on the turn's reply: (start, end) of the final transcript's computation, the
        brain's until its first piece, the wait for the first sentence, the synthesis of the first audio."""
        transcript, llm = self.of(turn, "transcript"), self.answered(turn)
        sentence, tts = self.of(turn, "reply_sentence"), self.of(turn, "tts_first_audio")
        if not (transcript and llm and sentence and tts):
            return None
        stt_s = _seconds(transcript[0], "finish_s" if "finish_s" in transcript[0] else "compute_s")
        llm_s, tts_s = _seconds(llm[0], "compute_s"), _seconds(tts[0], "compute_s")
        if stt_s is None or llm_s is None or tts_s is None:
            return None
        stt_end = transcript[0]["t"]
        early = self.of(turn, "speculate")
        if early and any(e.get("outcome") == "kept" for e in self.of(turn, "speculation")):
            stt_end = early[-1]["t"]  # the final transcript is the early one, done when the reply was started
        llm_t, tts_t = llm[0]["t"], tts[0]["t"]
        return [(stt_end - stt_s, stt_end), (llm_t - llm_s, llm_t), (llm_t, sentence[0]["t"]), (tts_t - tts_s, tts_t)]

    def barge_in_reaction(self, turn: int, barge_in: float) -> float | None:
        """Interrupting speech start to the last audible sample of the interrupted reply."""
        speech = _last_at_or_before(self.speech_starts, barge_in)
        starts, ends = self.of(turn, "audible_start"), self.of(turn, "audible_end")
        # The room ends a reply segment after a pause, so a reply may have several, and any of them heard after
        # the user spoke counts: the last end is when the speaker fell silent. Without an end for every start
        # the reply was still audible when the trace ended (or was not attributed to the turn at all).
        if speech is None or not starts or len(ends) < len(starts):
            return None
        return max(0.0, ends[-1]["t"] - speech)  # a reply that ended before the user spoke: silent already


def _usable(event: Mapping[str, Any]) -> bool:
    t = event.get("t")
    return isinstance(event.get("event"), str) and isinstance(t, int | float) and not isinstance(t, bool)


def _attempt(event: Mapping[str, Any]) -> int:
    """The reply attempt a reply's event belongs to (0 when it does not say); -1 for other events."""
    if event["event"] not in REPLY_EVENTS:
        return -1
    attempt = event.get("attempt", 0)
    return attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else 0


def _seconds(event: Mapping[str, Any], key: str) -> float | None:
    value = event.get(key)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    return float(value) if ok else None


def _covered(spans: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """How much of start..end lies within at least one of `spans`."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in spans if min(b, end) > max(a, start))
    total, reached = 0.0, start
    for a, b in clipped:
        if b > reached:
            total += b - max(a, reached)
            reached = b
    return total


def _on_path(marks: Mapping[str, float | None]) -> dict[str, float | None]:
    """The chain's points with each of the pipeline's no earlier than the last known one before it (a stage done
    ahead adds 0); the first audible sample, the room's ground truth, stays as it is."""
    out: dict[str, float | None] = {}
    latest: float | None = None
    for name, t in marks.items():
        if t is not None and name != "audible_start":
            latest = t if latest is None else max(t, latest)
            t = latest
        out[name] = t
    return out


def _last_at_or_before(times: Sequence[float], t: float | None) -> float | None:
    if t is None:
        return None
    return next((x for x in reversed(times) if x <= t), None)


def _span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start


def turn_metrics(events: Iterable[Mapping[str, Any]]) -> list[TurnLatency]:
    """The figures of every turn with a transcript, in turn order."""
    trace = _Trace(events)
    return [_turn(trace, n) for n in sorted(trace.turns) if trace.of(n, "transcript")]


def _turn(trace: _Trace, n: int) -> TurnLatency:
    marks = _on_path(trace.marks(n))
    chain = list(marks.values())
    stages = tuple(
        (name, _span(start, end)) for (name, _, _), start, end in zip(STAGES, chain[:-1], chain[1:], strict=True)
    )
    work = trace.engine_work(n)
    overheads = tuple(
        (name, None if work is None or start is None or end is None else end - start - _covered(work, start, end))
        for (name, _, _), start, end in zip(STAGES[1:], chain[1:-1], chain[2:], strict=True)
    )
    closed, audible = marks["turn_end"], marks["audible_start"]
    overhead = (
        None if work is None or closed is None or audible is None
        else audible - closed - _covered(work, closed, audible)
    )
    heard = trace.of(n, "reply_heard")
    dropped = trace.of(n, "turn_dropped")
    return TurnLatency(
        turn=n,
        text=str(trace.of(n, "transcript")[0].get("text", "")),
        reply=" ".join(str(e.get("text", "")) for e in trace.of(n, "reply_sentence")),
        heard=str(heard[-1].get("text", "")) if heard else None,
        dropped=str(dropped[0].get("reason", "")) if dropped else None,
        voice_to_voice=_span(marks["user_speech_end"], marks["audible_start"]),
        endpointing=_span(marks["user_speech_end"], marks["turn_end"]),
        stt_finalization=_span(marks["turn_end"], marks["transcript"]),
        llm_first_token=_span(marks["transcript"], marks["llm_first_token"]),
        first_sentence=_span(marks["transcript"], marks["reply_sentence"]),
        tts_first_audio=_span(marks["reply_sentence"], marks["tts_first_audio"]),
        overhead=overhead,
        barge_in_reaction=tuple(trace.barge_in_reaction(n, e["t"]) for e in trace.of(n, "barge_in")),
        stages=stages,
        overheads=overheads,
    )


# -------------------------------------------------------------------------------------------- summarizing


def summarize(runs: Sequence[Sequence[TurnLatency]]) -> list[MetricSummary]:
    """Median and 90th percentile of each metric over every turn of every run, in METRICS order."""
    turns = [turn for run in runs for turn in run]
    summaries = []
    for metric in METRICS:
        values = [v for turn in turns for v in turn.values(metric)]
        measured = [1000.0 * v for v in values if v is not None]
        summaries.append(
            MetricSummary(
                metric=metric,
                count=len(measured),
                missing=len(values) - len(measured),
                median_ms=float(np.median(measured)) if measured else None,
                p90_ms=float(np.percentile(measured, 90)) if measured else None,
            )
        )
    return summaries


def median_turn(runs: Sequence[Sequence[TurnLatency]]) -> tuple[int, TurnLatency] | None:
    """(run index, turn) of the turn with the median voice-to-voice (the lower middle one of an even count)."""
    ranked = sorted(
        ((i, turn) for i, run in enumerate(runs) for turn in run if turn.voice_to_voice is not None),
        key=lambda item: item[1].voice_to_voice or 0.0,
    )
    return ranked[(len(ranked) - 1) // 2] if ranked else None


def as_row(summary: MetricSummary) -> dict[str, Any]:
    """A summary as a table row (report.emit)."""
    return asdict(summary)


# ---------------------------------------------------------------------------------------------- plotting


def require_matplotlib() -> ModuleType:
    """matplotlib, or a MissingExtraError saying how to install it (checked before a long benchmark)."""
    return import_optional("matplotlib", engine="latency plot", extra="plot")


def plot_waterfall(turn: TurnLatency, events: Iterable[Mapping[str, Any]], path: Path) -> None:
    """A PNG of the turn's stages: one bar per stage from the end of the user's speech to the stage's end,
    the stage's own share drawn dark and the pipeline's overhead in it orange; the user's speech before it,
    the targets as lines."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    trace = _Trace(events)
    marks = trace.marks(turn.turn)
    u = marks["user_speech_end"]
    if u is None:
        raise AssistantError(
            f"turn {turn.turn}: the trace has no user_speech_end before the turn ended (no ground truth): "
            "a waterfall needs the room's events"
        )
    ms = [None if t is None else 1000.0 * (t - u) for t in _on_path(marks).values()]
    overheads = {name: 1000.0 * s for name, s in turn.overheads if s is not None}
    rows: list[tuple[str, float | None, float | None]] = []  # label, start (ms from U), end
    spoke = _last_at_or_before(trace.speech_starts, u)
    rows.append(("user speaking", None if spoke is None else 1000.0 * (spoke - u), 0.0))
    previous = 0.0
    for (name, _, what), end in zip(STAGES, ms[1:], strict=True):
        rows.append((f"{name} ({what})", previous, end))
        previous = end if end is not None else previous

    figure = Figure(figsize=(9, 0.45 * len(rows) + 1.4))
    FigureCanvasAgg(figure)  # a canvas of its own: no pyplot, no global figure state
    axes = figure.add_subplot()
    right = 1.2 * max([800.0, *(end for _, _, end in rows if end is not None)])
    left = -0.2 * right  # long speech is cut off on the left: the stages after it are the point
    overhead_label: str | None = "the pipeline's overhead"
    for y, (_, start, end) in enumerate(rows):
        if start is None or end is None:
            axes.text(5, y, "(no event in the trace)", va="center", fontsize=8, color="grey")
        elif y == 0:
            axes.barh(y, end - max(start, left), left=max(start, left), color="#55a868")
            axes.text(5, y, f"{end - start:.0f} ms of speech", va="center", fontsize=8)
        else:
            own = min(max(overheads.get(STAGES[y - 1][0], 0.0), 0.0), end - start)
            axes.barh(y, start, color="#d9d9d9")  # waiting for the earlier stages
            axes.barh(y, end - start - own, left=start, color="#4c72b0")
            if own > 0:
                axes.barh(y, own, left=end - own, color="#dd8452", label=overhead_label)
                overhead_label = None  # once in the legend
            note = f" ({own:.0f} overhead)" if own >= 0.5 else ""
            axes.text(end + 5, y, f"+{end - start:.0f} = {end:.0f} ms{note}", va="center", fontsize=8)
    for target, style in ((500, "--"), (800, ":")):
        axes.axvline(target, color="#c44e52", linestyle=style, linewidth=1, label=f"target {target} ms")
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlim(left, right)
    axes.set_yticks(range(len(rows)), [label for label, _, _ in rows], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("ms after the user stopped speaking (room clock)")
    v2v = "-" if turn.voice_to_voice is None else f"{1000 * turn.voice_to_voice:.0f} ms"
    axes.set_title(f'turn {turn.turn}: "{_short(turn.text)}": voice to voice {v2v}', fontsize=10)
    axes.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
