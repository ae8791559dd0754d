"""Running the assistant inside the simulated room: `assistant simulate`, `assistant demo`, the latency bench.

The same pipeline and threads as `assistant run`, on a SimulatedRoom instead of the sound card. In real time
the room's clock follows the wall clock (latencies are true); in lockstep (`--fast`) the room waits for the
stages, so compute takes no room time: the conversation is the same, only faster (latencies are then only
the endpointing). The room's ground truth (where the user's speech starts and ends, when the speaker was
audible) is merged into the trace at the end, each event given the turn it belongs to.

Simulations keep no memory between runs (the conversation starts empty, the state folder is untouched) and
have no greeting (it would be taken for the reply to the first utterance).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.audio.io import SAMPLE_RATE
from assistant.audio.room import RoomEvent, SimulatedRoom
from assistant.config import Config
from assistant.conversation.pipeline import Engines, Pipeline
from assistant.conversation.scenario import Scenario
from assistant.errors import AssistantError

log = logging.getLogger(__name__)

_GROUND_TRUTH = {
    "utterance_start": "user_audio_start",  # the recording's first sample: a click or a breath may precede speech
    "utterance_end": "user_audio_end",
    "speech_start": "user_speech_start",
    "speech_end": "user_speech_end",
    "reply_start": "audible_start",
    "reply_end": "audible_end",
    "reply_missing": "reply_missing",
}
ATTRIBUTION_S = 0.3  # an audible reply belongs to the turn whose first audio was queued up to this much before


@dataclass(frozen=True)
class TurnSummary:
    turn: int
    transcript: str
    reply: str  # as heard
    dropped: str  # the reason, or "" for a turn that was answered
    barge_in: bool


@dataclass
class SimulationResult:
    events: list[dict[str, Any]]  # the trace, ground truth included, in time order
    turns: list[TurnSummary]
    room_seconds: float
    wall_seconds: float
    completed: bool  # the room's schedule finished (False: the run timed out)
    failures: int  # stage failures the controller handled
    dropped_messages: dict[str, int] = field(default_factory=dict)
    mic_clipped: int = 0  # microphone samples the room clipped (the assistant's echo too loud, mostly)
    lag_max_s: float = 0.0  # real time: the longest the audio thread was late for a block (a stall)


def simulation_config(config: Config) -> Config:
    """The config a simulation runs with: no memory across runs, no greeting, no date in the language model's
    prompt (a run is the same on any day)."""
    return dataclasses.replace(
        config, conversation=dataclasses.replace(config.conversation, memory=False, greeting=""),
        llm=dataclasses.replace(config.llm, date_in_prompt=False),
    )


def run_scenario(
    scenario: Scenario,
    config: Config,
    *,
    realtime: bool,
    trace_path: Path | None = None,
    speaker_out: Path | None = None,
    engines: Engines | None = None,
    timeout_s: float | None = None,
    greeting: str = "",
    before_start: Callable[[Pipeline, SimulatedRoom], None] | None = None,
) -> SimulationResult:
    """Run `scenario` once. `engines` may be shared between runs (Engines.for_run: a run does not depend on the
    ones before it).

    `greeting`: said at the start, as on a device (it is also what first trains the echo canceller); the
    scenario's first utterance should then come after it. `before_start`: called with the pipeline and the
    room once both are built (to record what they do, e.g. the double-talk gate's windows).
    """
    config = simulation_config(config)
    if greeting:
        config = dataclasses.replace(config, conversation=dataclasses.replace(config.conversation, greeting=greeting))
    own_engines = engines is None
    engines = Engines.build(config, wake=scenario.wake) if engines is None else engines.for_run(config)
    from assistant.selection import choose

    room = scenario.room(
        realtime=realtime, block_ms=config.audio.block_ms, speaker_wav=speaker_out,
        vad_model=choose("vad", config).model,
    )
    pipeline = Pipeline(config, room, engines, lockstep=not realtime, trace_path=trace_path, greet=bool(greeting),
                        trace_audible=False)
    if before_start is not None:
        before_start(pipeline, room)
    limit = timeout_s if timeout_s is not None else _default_timeout(scenario, room)
    started = time.monotonic()
    pipeline.start()
    try:
        completed = _wait(room, pipeline, limit)
    finally:
        pipeline.stop()
        if own_engines:
            engines.close()
        else:
            engines.frontend.close()
    wall = time.monotonic() - started
    if not completed:
        log.warning("the scenario did not finish within %.0f s of wall time", limit)
    merge_ground_truth(pipeline.trace.events, room.events())
    pipeline.trace.events.sort(key=lambda e: e["t"])
    if trace_path is not None:
        _write(trace_path, pipeline.trace.events)
    return SimulationResult(
        events=pipeline.trace.events,
        turns=summarize_turns(pipeline.trace.events),
        room_seconds=room.clock / SAMPLE_RATE,
        wall_seconds=wall,
        completed=completed,
        failures=pipeline.controller.failures,
        dropped_messages=pipeline.dropped(),
        mic_clipped=room.stats().clipped,
        lag_max_s=room.lag_max_s,
    )


def _default_timeout(scenario: Scenario, room: SimulatedRoom) -> float:
    """Wall seconds after which a run is given up: the room's own length, with room for slow stages."""
    waits = len(scenario.utterances) * room.reply_wait / SAMPLE_RATE
    planned = scenario.duration or (room.recorded_seconds + waits + 5)
    return 60.0 + 2.0 * planned


def _wait(room: SimulatedRoom, pipeline: Pipeline, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        # Done when the room has played its schedule and the assistant has finished its last turn.
        if room.wait_done(0.1):
            if pipeline.controller.idle:
                return True
            # wait_done no longer waits: without a pause this loop would hold the GIL and starve the
            # audio thread (a real-time room fell seconds behind while a last reply went on).
            time.sleep(0.02)
        if not pipeline.running:
            raise AssistantError("the assistant stopped during the simulation (see the log above)")
    return False


def merge_ground_truth(events: list[dict[str, Any]], truth: Sequence[RoomEvent]) -> None:
    """Add the room's events to the trace under the trace's names, each with the turn it belongs to."""
    firsts = sorted((e["t"], e["turn"]) for e in events if e["event"] == "tts_first_audio")
    starts = [(e["speech_t"], e["turn"]) for e in events if e["event"] == "vad_start"]
    speech_turn: dict[int, int | None] = {}  # utterance -> turn
    reply_turn: dict[int, int | None] = {}  # reply -> turn
    for event in truth:
        name = _GROUND_TRUTH.get(event.kind)
        if name is None:
            continue
        details: Mapping[str, Any] = event.details
        turn: int | None = None
        if event.kind == "speech_start":
            # The turn the VAD opened nearest to where this speech truly began.
            near = [(abs(t - event.t), n) for t, n in starts if abs(t - event.t) <= 1.0]
            turn = min(near)[1] if near else None
            speech_turn[details["utterance"]] = turn
        elif event.kind == "speech_end":
            turn = speech_turn.get(details["utterance"])
        elif event.kind == "reply_start":
            candidates = [n for t, n in firsts if event.t - ATTRIBUTION_S - 1.0 <= t <= event.t + 0.02]
            turn = candidates[-1] if candidates else None
            reply_turn[details["reply"]] = turn
        elif event.kind == "reply_end":
            turn = reply_turn.get(details["reply"])
        events.append({"t": round(event.t, 4), "turn": turn, "event": name, **details})
    for e in events:  # a recording's turn is its speech's, known only once its speech_start was read
        if e["event"] in ("user_audio_start", "user_audio_end"):
            e["turn"] = speech_turn.get(e["utterance"])


def summarize_turns(events: Sequence[Mapping[str, Any]]) -> list[TurnSummary]:
    turns: dict[int, dict[str, Any]] = {}
    for e in events:
        n = e.get("turn")
        if n is None or e["event"] not in ("transcript", "reply_heard", "turn_dropped", "barge_in"):
            continue
        record = turns.setdefault(n, {"transcript": "", "reply": "", "dropped": "", "barge_in": False})
        if e["event"] == "transcript":
            record["transcript"] = e.get("text", "")
        elif e["event"] == "reply_heard":
            record["reply"] = e.get("text", "")
        elif e["event"] == "turn_dropped":
            record["dropped"] = e.get("reason", "")
        else:
            record["barge_in"] = True
    return [TurnSummary(n, **r) for n, r in sorted(turns.items())]


def _write(path: Path, events: Sequence[Mapping[str, Any]]) -> None:
    import json

    with path.open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps(event, ensure_ascii=False) + "\n")


def scenario_config(scenario: Scenario, fallback: Config, env: Mapping[str, str]) -> Config:
    """The scenario's own `config` file when it names one, else the command line's."""
    if scenario.config is None:
        return fallback
    from assistant.config import load_config

    return load_config(scenario.config, env).config


def turn_rows(result: SimulationResult) -> list[dict[str, Any]]:
    """One row per turn for the printed summary: what was heard, what was said, the main latencies (ms)."""
    from assistant.conversation.latency import turn_metrics

    metrics = {m.turn: m for m in turn_metrics(result.events)}
    rows = []
    for turn in result.turns:
        m = metrics.get(turn.turn)
        rows.append({
            "turn": turn.turn,
            "heard": turn.transcript or "-",
            "reply": _short(turn.reply) if not turn.dropped else f"(dropped: {turn.dropped})",
            "v2v_ms": _ms(m.voice_to_voice if m else None),
            "endpoint_ms": _ms(m.endpointing if m else None),
            "barge_in": "yes" if turn.barge_in else "",
        })
    return rows


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
