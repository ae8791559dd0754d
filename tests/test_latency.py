"""Latency figures from traces: each metric on hand-written traces, partial traces, summaries, the waterfall PNG."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.conversation.latency import (
    METRICS,
    STAGES,
    TurnLatency,
    median_turn,
    plot_waterfall,
    read_trace,
    summarize,
    turn_metrics,
)
from assistant.conversation.trace import Trace
from assistant.errors import AssistantError, MissingExtraError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _event(t: float, event: str, turn: int | None = None, **fields: Any) -> dict[str, Any]:
    return {"t": t, "turn": turn, "event": event, **fields}


def _turn(n: int, spoke: float, stopped: float, *, offset: float = 0.0, utterance: int = 0) -> list[dict[str, Any]]:
    """A whole turn: speech from `spoke` to `stopped`, then every stage; `offset` delays the stages after it.

    The engines compute 30 ms (STT), 50 ms (LLM) and 60 ms (TTS) of each stage; from the closing of the turn
    to the first audible sample (310 ms) the pipeline's own time is 20 + 20 + 0 + 20 + 30 = 90 ms."""
    end = stopped + offset
    return [
        _event(spoke, "user_speech_start", utterance=utterance),
        _event(spoke + 0.1, "vad_start", n),
        _event(stopped, "user_speech_end", utterance=utterance),
        _event(end + 0.30, "turn_end", n),
        _event(end + 0.35, "transcript", n, text="what time is it", compute_s=0.03),
        _event(end + 0.42, "llm_first_token", n, compute_s=0.05),
        _event(end + 0.50, "reply_sentence", n, text="It is noon."),
        _event(end + 0.60, "reply_sentence", n, text="Have a nice day."),
        _event(end + 0.58, "tts_first_audio", n, compute_s=0.06),
        _event(end + 0.61, "audible_start", n),
        _event(end + 2.0, "audible_end", n),
        _event(end + 2.0, "reply_heard", n, text="It is noon. Have a nice day."),
    ]


def test_every_metric_of_a_whole_turn() -> None:
    [turn] = turn_metrics(_turn(1, spoke=1.0, stopped=2.0))
    assert turn.turn == 1
    assert turn.text == "what time is it"
    assert turn.reply == "It is noon. Have a nice day."
    assert turn.heard == "It is noon. Have a nice day."
    assert turn.dropped is None
    assert turn.voice_to_voice == pytest.approx(0.61)
    assert turn.endpointing == pytest.approx(0.30)
    assert turn.stt_finalization == pytest.approx(0.05)
    assert turn.llm_first_token == pytest.approx(0.07)
    assert turn.first_sentence == pytest.approx(0.15)
    assert turn.tts_first_audio == pytest.approx(0.08)
    assert turn.overhead == pytest.approx(0.09)
    assert turn.barge_in_reaction == ()


def test_the_breakdown_adds_up_to_voice_to_voice() -> None:
    [turn] = turn_metrics(_turn(1, spoke=1.0, stopped=2.0))
    stages = dict(turn.stages)
    assert list(stages) == [name for name, _, _ in STAGES]
    assert stages["endpointing"] == pytest.approx(0.30)
    assert stages["sentence"] == pytest.approx(0.08)  # first token to first sentence
    assert stages["playback"] == pytest.approx(0.03)  # first synthesized audio to first audible sample
    assert sum(v for v in stages.values() if v is not None) == pytest.approx(turn.voice_to_voice)


def test_the_overhead_is_what_no_engine_computed_between_the_closing_of_the_turn_and_the_reply() -> None:
    [turn] = turn_metrics(_turn(1, spoke=1.0, stopped=2.0))
    overheads = dict(turn.overheads)
    assert list(overheads) == [name for name, _, _ in STAGES[1:]]  # endpointing is the listener's decision
    expected = {"stt": 0.02, "llm": 0.02, "sentence": 0.0, "tts": 0.02, "playback": 0.03}
    assert overheads == pytest.approx(expected)
    assert sum(overheads.values()) == pytest.approx(turn.overhead)
    # v2v = endpointing + what the engines computed + the overhead
    assert turn.voice_to_voice == pytest.approx(0.30 + (0.03 + 0.05 + 0.08 + 0.06) + 0.09)


def test_waiting_for_the_first_sentence_is_the_brain_s_time_not_overhead() -> None:
    # A slow brain after its first piece: the splitter waits 400 ms for the end of the sentence.
    events = _turn(1, spoke=1.0, stopped=2.0)
    for e in events:
        if e["event"] in ("reply_sentence", "tts_first_audio", "audible_start") or e["t"] > 2.5:
            e["t"] += 0.4
    [turn] = turn_metrics(events)
    assert turn.first_sentence == pytest.approx(0.55)
    assert turn.overhead == pytest.approx(0.09)


def test_a_turn_the_device_answered_itself_is_measured_through_its_skill_event() -> None:
    events = [e for e in _turn(1, spoke=1.0, stopped=2.0) if e["event"] != "llm_first_token"]
    events.append(_event(2.36, "skill", 1, intent="time", compute_s=0.0004, attempt=0))
    [turn] = turn_metrics(events)
    assert turn.llm_first_token == pytest.approx(0.01)  # the rules answer at once, after a hand-off
    assert turn.overhead == pytest.approx(0.31 - 0.0004 - 0.03 - 0.14 - 0.06)
    assert turn.voice_to_voice == pytest.approx(0.61)


def test_a_slow_hand_off_between_stages_is_overhead() -> None:
    events = _turn(1, spoke=1.0, stopped=2.0)
    for e in events:
        if e["t"] >= 2.42 and e["event"] != "user_speech_end":
            e["t"] += 0.1  # the brain took the prompt 100 ms late; its compute and the rest unchanged
    [turn] = turn_metrics(events)
    assert turn.overhead == pytest.approx(0.19)
    assert dict(turn.overheads)["llm"] == pytest.approx(0.12)


def test_a_streaming_recognizer_s_work_during_the_speech_is_not_on_the_way() -> None:
    # compute_s counts every feed() while the user spoke: only what lies after the closing of the turn can
    # have delayed the reply. A finish_s (time in finish() alone), when the trace has it, is used instead.
    events = _turn(1, spoke=1.0, stopped=2.0)
    [transcript] = [e for e in events if e["event"] == "transcript"]
    transcript["compute_s"] = 0.8
    [turn] = turn_metrics(events)
    assert dict(turn.overheads)["stt"] == 0.0
    assert turn.overhead == pytest.approx(0.07)
    transcript["finish_s"] = 0.01
    [turn] = turn_metrics(events)
    assert dict(turn.overheads)["stt"] == pytest.approx(0.04)


def _speculation(kept: bool) -> list[dict[str, Any]]:
    """The user pauses at 2.15 s and the reply starts on the early transcript while the turn is still open
    (closed at 2.35 s). Kept: its held audio is released after the final transcript. Taken back: a second
    attempt answers the final transcript."""
    events = [
        _event(1.0, "user_speech_start", utterance=0),
        _event(1.1, "vad_start", 1),
        _event(2.0, "user_speech_end", utterance=0),
        _event(2.15, "speculate", 1, text="what time is it", attempt=0),
        _event(2.20, "llm_first_token", 1, attempt=0, compute_s=0.04),
        _event(2.25, "reply_sentence", 1, text="It is noon.", attempt=0),
        _event(2.30, "tts_first_audio", 1, attempt=0, compute_s=0.04),
        _event(2.35, "turn_end", 1),
        _event(2.36, "transcript", 1, text="what time is it" if kept else "what time is it in Paris", compute_s=0.1),
        _event(2.36, "speculation", 1, outcome="kept" if kept else "retracted", attempt=0),
    ]
    if kept:
        return [*events, _event(2.38, "audible_start", 1)]
    return [
        *events,
        _event(2.45, "llm_first_token", 1, attempt=1, compute_s=0.08),
        _event(2.50, "reply_sentence", 1, text="It is one in Paris.", attempt=1),
        _event(2.58, "tts_first_audio", 1, attempt=1, compute_s=0.06),
        _event(2.60, "audible_start", 1),
    ]


def test_a_reply_ready_before_the_turn_closed_adds_only_the_pipeline_s_hand_offs() -> None:
    [turn] = turn_metrics(_speculation(kept=True))
    assert turn.voice_to_voice == pytest.approx(0.38)
    stages = dict(turn.stages)
    assert stages["stt"] == pytest.approx(0.01)
    assert stages["llm"] == stages["sentence"] == stages["tts"] == 0.0  # done ahead: nothing added
    assert stages["playback"] == pytest.approx(0.02)
    assert turn.llm_first_token == turn.first_sentence == turn.tts_first_audio == 0.0
    # The early transcript was computed before the reply started: after the closing, nothing computed.
    assert turn.overhead == pytest.approx(0.03)
    assert sum(stages.values()) == pytest.approx(turn.voice_to_voice)


def test_a_reply_taken_back_is_measured_by_the_attempt_that_was_heard() -> None:
    [turn] = turn_metrics(_speculation(kept=False))
    assert turn.reply == "It is one in Paris."
    assert turn.llm_first_token == pytest.approx(0.09)  # transcript 2.36 -> the second attempt's 2.45
    assert turn.tts_first_audio == pytest.approx(0.08)
    # 2.35 -> 2.60: the transcript's 100 ms ended at 2.36 (10 ms of it after the closing), the brain 80 ms,
    # the sentence 50 ms, the voice 60 ms: 200 ms of engines, 50 ms of hand-offs.
    assert turn.overhead == pytest.approx(0.05)


def test_a_trace_without_compute_times_has_no_overhead_and_every_other_figure() -> None:
    events = [{k: v for k, v in e.items() if k != "compute_s"} for e in _turn(1, spoke=1.0, stopped=2.0)]
    [turn] = turn_metrics(events)
    assert turn.overhead is None and all(s is None for _, s in turn.overheads)
    assert turn.voice_to_voice == pytest.approx(0.61)


def test_the_end_of_speech_is_the_last_one_before_the_turn_closed() -> None:
    # The user paused mid-sentence (two speech segments, one turn), then a second turn follows; events out of
    # order (as a merged trace may have them) change nothing.
    events = [
        *_turn(1, spoke=1.0, stopped=1.6),
        _event(1.8, "user_speech_start", utterance=1),
        _event(2.5, "user_speech_end", utterance=1),
        *_turn(2, spoke=6.0, stopped=7.0, utterance=2),
    ]
    for e in events[:12]:
        if e["turn"] == 1:
            e["t"] += 0.9  # turn 1's stages come after the second segment, at 2.5 + ...
    first, second = turn_metrics(list(reversed(events)))
    assert first.endpointing == pytest.approx(0.30)
    assert first.voice_to_voice == pytest.approx(0.61)
    assert second.turn == 2 and second.voice_to_voice == pytest.approx(0.61)


def test_barge_in_reaction_runs_from_the_interrupting_speech_to_the_speaker_s_silence() -> None:
    events = _turn(1, spoke=1.0, stopped=2.0)
    events = [e for e in events if e["event"] not in ("audible_end", "reply_heard")]
    events += [
        _event(3.4, "user_speech_start", utterance=1),  # 0.8 s into the reply
        _event(3.62, "barge_in", 1),
        _event(3.65, "audible_end", 1),
        _event(3.70, "reply_heard", 1, text="It is noon."),
        _event(4.5, "user_speech_end", utterance=1),
    ]
    [turn] = turn_metrics(events)
    assert turn.barge_in_reaction == (pytest.approx(0.25),)
    assert turn.heard == "It is noon."
    assert turn.voice_to_voice == pytest.approx(0.61)  # the later speech does not move this turn's U


def test_barge_in_counts_every_part_of_the_reply_heard_after_the_user_spoke() -> None:
    # The room ends a reply segment after a pause. Here a segment ended just before the user spoke, and the
    # old reply went on after it (its next sentence): the speaker fell silent only at the later end.
    events = [e for e in _turn(1, spoke=1.0, stopped=2.0) if e["event"] != "audible_end"]
    events += [
        _event(3.9, "audible_end", 1),
        _event(4.0, "user_speech_start", utterance=1),
        _event(4.2, "audible_start", 1),
        _event(4.25, "barge_in", 1),
        _event(4.3, "audible_end", 1),
    ]
    [turn] = turn_metrics(events)
    assert turn.barge_in_reaction == (pytest.approx(0.30),)
    assert turn.voice_to_voice == pytest.approx(0.61)  # the first audible sample of the reply


def test_barge_in_after_the_reply_fell_silent_reacts_at_once() -> None:
    events = [e for e in _turn(1, spoke=1.0, stopped=2.0) if e["event"] != "audible_end"]
    events += [
        _event(3.9, "audible_end", 1),
        _event(4.0, "user_speech_start", utterance=1),
        _event(4.25, "barge_in", 1),
    ]
    [turn] = turn_metrics(events)
    assert turn.barge_in_reaction == (0.0,)


def test_a_missing_event_leaves_its_figures_empty_and_the_rest_measured() -> None:
    events = [e for e in _turn(1, spoke=1.0, stopped=2.0) if e["event"] not in ("llm_first_token", "audible_start")]
    events += [_event(4.0, "user_speech_start", utterance=1), _event(4.3, "barge_in", 1)]  # no audible_end after
    events = [e for e in events if e["event"] != "audible_end"]
    [turn] = turn_metrics(events)
    assert turn.llm_first_token is None
    assert turn.voice_to_voice is None
    assert turn.barge_in_reaction == (None,)
    assert turn.first_sentence == pytest.approx(0.15)
    assert turn.tts_first_audio == pytest.approx(0.08)
    stages = dict(turn.stages)
    assert stages["llm"] is None and stages["sentence"] is None and stages["playback"] is None
    assert stages["stt"] == pytest.approx(0.05)


def test_a_live_trace_without_ground_truth_still_gives_the_pipeline_s_own_figures() -> None:
    events = [e for e in _turn(1, spoke=1.0, stopped=2.0) if not e["event"].startswith(("user_", "audible_"))]
    [turn] = turn_metrics(events)
    assert turn.voice_to_voice is None and turn.endpointing is None
    assert turn.stt_finalization == pytest.approx(0.05)
    assert turn.tts_first_audio == pytest.approx(0.08)


def test_only_turns_with_a_transcript_count_and_junk_does_not_crash() -> None:
    events = [
        _event(1.0, "vad_start", 1),
        _event(1.5, "turn_dropped", 1, reason="noise"),  # no transcript: not a measured turn
        _event(3.0, "transcript", 2, text="hello"),
        _event(3.2, "turn_dropped", 2, reason="self-echo"),
        {"event": "turn_end", "turn": 2},  # no time
        {"t": "soon", "event": "llm_first_token", "turn": 2},
        {"t": 3.1},
        _event(3.3, "audible_start", None),  # a reply nobody claimed
    ]
    [turn] = turn_metrics(events)
    assert turn.turn == 2 and turn.dropped == "self-echo" and turn.reply == ""
    assert all(turn.values(m) in ((None,), ()) for m in METRICS)
    assert turn_metrics([]) == []


def test_summaries_give_median_and_p90_over_all_runs_in_ms() -> None:
    runs = []
    for run in range(2):
        events = []
        for i in range(5):
            start = 10.0 * i
            turn = _turn(i, spoke=start, stopped=start + 1.0, offset=0.1 * (5 * run + i), utterance=i)
            events += turn
        runs.append(turn_metrics(events))
    summaries = {s.metric: s for s in summarize(runs)}
    assert list(summaries) == list(METRICS)
    v2v = summaries["voice_to_voice"]
    # Ten turns at 610, 710, ... 1510 ms: median 1060, p90 (linear between ranks) 1420.
    assert v2v.count == 10 and v2v.missing == 0
    assert v2v.median_ms == pytest.approx(1060.0)
    assert v2v.p90_ms == pytest.approx(1420.0)
    assert summaries["stt_finalization"].median_ms == pytest.approx(50.0)
    barge = summaries["barge_in_reaction"]
    assert (barge.count, barge.missing, barge.median_ms, barge.p90_ms) == (0, 0, None, None)

    run, turn = median_turn(runs)
    assert turn.voice_to_voice == pytest.approx(1.01)  # the lower of the two middle turns
    assert (run, turn.turn) == (0, 4)


def test_missing_figures_are_counted_not_averaged() -> None:
    whole = turn_metrics(_turn(1, spoke=1.0, stopped=2.0))
    cut = turn_metrics([e for e in _turn(1, spoke=1.0, stopped=2.0) if e["event"] != "audible_start"])
    v2v = next(s for s in summarize([whole, cut]) if s.metric == "voice_to_voice")
    assert (v2v.count, v2v.missing) == (1, 1)
    assert v2v.median_ms == pytest.approx(610.0)
    assert median_turn([cut]) is None


def test_a_trace_file_written_by_the_pipeline_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    clock = iter(range(0, 160000, 1600))
    trace = Trace(lambda: next(clock), path)
    for e in _turn(3, spoke=1.0, stopped=2.0):
        fields = {k: v for k, v in e.items() if k not in ("t", "turn", "event")}
        trace.emit(e["event"], e["turn"], sample=round(e["t"] * 16000), **fields)
    trace.close()
    events = read_trace(path)
    assert len(events) == 12 and events[0]["event"] == "user_speech_start"
    [turn] = turn_metrics(events)
    assert turn.turn == 3 and turn.voice_to_voice == pytest.approx(0.61)


def test_a_live_trace_keeps_nothing_in_memory_but_writes_everything(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    trace = Trace(lambda: 1600, path, keep=False)  # `assistant run`: weeks long
    for n in range(100):
        trace.emit("vad_start", n)
    trace.close()
    assert trace.events == [] and len(read_trace(path)) == 100


def test_a_bad_trace_line_is_named_by_file_and_line(tmp_path: Path) -> None:
    good = json.dumps(_event(1.0, "vad_start", 1))
    cases = {
        "not json": ("not JSON", "line 2"),
        "[1, 2]": ("JSON object", "line 2"),
        json.dumps({"turn": 1, "event": "vad_start"}): ('"t"', "line 2"),
        json.dumps({"t": 1.0, "turn": 1}): ('"event"', "line 2"),
        json.dumps({"t": 1.0, "turn": "one", "event": "vad_start"}): ('"turn"', "line 2"),
    }
    for line, fragments in cases.items():
        path = tmp_path / "trace.jsonl"
        path.write_text(f"{good}\n{line}\n{good}\n", encoding="utf-8")
        with pytest.raises(AssistantError) as caught:
            read_trace(path)
        assert str(path) in str(caught.value)
        for fragment in fragments:
            assert fragment in str(caught.value)
    with pytest.raises(AssistantError, match="cannot read the trace"):
        read_trace(tmp_path / "gone.jsonl")


def test_a_cut_off_last_line_of_a_killed_process_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    path.write_text(json.dumps(_event(1.0, "vad_start", 1)) + '\n\n{"t": 1.5, "tur', encoding="utf-8")
    assert [e["event"] for e in read_trace(path)] == ["vad_start"]


def test_the_waterfall_is_a_png_drawn_by_matplotlib(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    events = [e for e in _turn(1, spoke=1.0, stopped=2.0) if e["event"] != "llm_first_token"]
    [turn] = turn_metrics(events)
    path = tmp_path / "waterfall.png"
    plot_waterfall(turn, events, path)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert b"Matplotlib" in data[:4096]  # the Software text chunk matplotlib writes
    assert len(data) > 10_000  # bars, labels and text, not an empty canvas


def test_the_waterfall_needs_the_end_of_the_user_s_speech(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    events = [e for e in _turn(1, spoke=1.0, stopped=2.0) if e["event"] != "user_speech_end"]
    [turn] = turn_metrics(events)
    with pytest.raises(AssistantError, match="user_speech_end"):
        plot_waterfall(turn, events, tmp_path / "waterfall.png")
    assert not (tmp_path / "waterfall.png").exists()


def test_without_matplotlib_the_plot_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what an environment without it sees on import
    [turn] = turn_metrics(_turn(1, spoke=1.0, stopped=2.0))
    with pytest.raises(MissingExtraError, match=r"assistant\[plot\]"):
        plot_waterfall(turn, [], tmp_path / "waterfall.png")


def test_values_of_an_unknown_metric_is_an_error() -> None:
    [turn] = turn_metrics(_turn(1, spoke=1.0, stopped=2.0))
    assert isinstance(turn, TurnLatency)
    with pytest.raises(ValueError, match="voice_to_voice"):
        turn.values("v2v")
