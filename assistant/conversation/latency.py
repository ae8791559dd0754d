"""Latency of each turn, read from a conversation trace; summaries over runs; the waterfall plot of a turn.

A trace is a list of events, one dict each: `{"t": seconds on the room clock, "turn": int | None, "event": name,
...}` (one JSON object per line in a file). Ground truth from the room: `user_speech_start`, `user_speech_end`
(field `utterance`), `audible_start`, `audible_end` (turn: whose reply it was, None if unknown). Pipeline
events of a turn: `vad_start`, `turn_end`, `transcript` (text), `llm_first_token`, `reply_sentence` (text),
`tts_first_audio`, `barge_in`, `reply_heard` (text), `turn_dropped` (reason).

A turn is measured when it has a `transcript`. U, the end of the user's speech, is the last `user_speech_end`
at or before the turn's `turn_end`; everything is timed from U on the room's sample clock:

    voice_to_voice     U -> audible_start          endpointing        U -> turn_end
    stt_finalization   turn_end -> transcript      llm_first_token    transcript -> llm_first_token
    first_sentence     transcript -> first reply_sentence
    tts_first_audio    first reply_sentence -> tts_first_audio
    barge_in_reaction  S -> the reply's last audible_end, per barge_in; S = the last user_speech_start
                       at or before it

The breakdown (`TurnLatency.stages`) cuts voice-to-voice into consecutive stages that add up to it, so that
it shows where the time goes. A figure whose events are missing is None: partial traces (a crash, a turn
cut short, a live trace without ground truth) are measured as far as they go.
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
    "barge_in_reaction",
)

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
    barge_in_reaction: tuple[float | None, ...]  # one per barge_in of the turn
    stages: tuple[tuple[str, float | None], ...]  # (stage, seconds) in the order of STAGES

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

    def of(self, turn: int, name: str) -> list[Mapping[str, Any]]:
        return [e for e in self.turns.get(turn, ()) if e["event"] == name]

    def first(self, turn: int, name: str) -> float | None:
        found = self.of(turn, name)
        return found[0]["t"] if found else None

    def marks(self, turn: int) -> dict[str, float | None]:
        """When the turn reached each point of the voice-to-voice chain: U first, then STAGES' events."""
        marks = {event: self.first(turn, event) for _, event, _ in STAGES}
        # Without turn_end (a live trace, a listener that crashed) the transcript still tells which speech it was.
        anchor = marks["turn_end"] if marks["turn_end"] is not None else marks["transcript"]
        return {"user_speech_end": _last_at_or_before(self.speech_ends, anchor), **marks}

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
    marks = trace.marks(n)
    chain = list(marks.values())
    stages = tuple(
        (name, _span(start, end)) for (name, _, _), start, end in zip(STAGES, chain[:-1], chain[1:], strict=True)
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
        barge_in_reaction=tuple(trace.barge_in_reaction(n, e["t"]) for e in trace.of(n, "barge_in")),
        stages=stages,
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
    the stage's own share drawn dark; the user's speech before it, the targets as lines."""
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
    ms = {name: None if t is None else 1000.0 * (t - u) for name, t in marks.items()}
    rows: list[tuple[str, float | None, float | None]] = []  # label, start (ms from U), end
    spoke = _last_at_or_before(trace.speech_starts, u)
    rows.append(("user speaking", None if spoke is None else 1000.0 * (spoke - u), 0.0))
    previous = 0.0
    for (name, _, what), end in zip(STAGES, list(ms.values())[1:], strict=True):
        rows.append((f"{name} ({what})", previous, end))
        previous = end if end is not None else previous

    figure = Figure(figsize=(9, 0.45 * len(rows) + 1.4))
    FigureCanvasAgg(figure)  # a canvas of its own: no pyplot, no global figure state
    axes = figure.add_subplot()
    right = 1.2 * max([800.0, *(end for _, _, end in rows if end is not None)])
    left = -0.2 * right  # long speech is cut off on the left: the stages after it are the point
    for y, (_, start, end) in enumerate(rows):
        if start is None or end is None:
            axes.text(5, y, "(no event in the trace)", va="center", fontsize=8, color="grey")
        elif y == 0:
            axes.barh(y, end - max(start, left), left=max(start, left), color="#55a868")
            axes.text(5, y, f"{end - start:.0f} ms of speech", va="center", fontsize=8)
        else:
            axes.barh(y, start, color="#d9d9d9")  # waiting for the earlier stages
            axes.barh(y, end - start, left=start, color="#4c72b0")
            axes.text(max(end, start) + 5, y, f"+{end - start:.0f} = {end:.0f} ms", va="center", fontsize=8)
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
