"""The stage watchdog, end to end: a stage that hangs is restarted, the user hears an apology, the next turn works.

The real pipeline in the simulated room with real engines (Silero VAD, pocketsphinx, llama.cpp on stories260K,
espeak-ng), in lockstep, with a short conversation.stage_timeout_s. The hang is real: the brain or the voice is
the real engine behind a wedge whose calls block on an Event that nobody sets until the stage works again. The
thread stuck in it cannot be killed; the watchdog abandons it and starts a fresh one on a fresh engine. When
the wedge is released the stuck thread comes back and tries to finish the old turn's work: its late answer
must never reach the speaker.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Config, load_config
from assistant.conversation import pipeline
from assistant.conversation.pipeline import Engines
from assistant.conversation.scenario import Scenario
from assistant.conversation.simulate import SimulationResult, run_scenario, simulation_config
from assistant.errors import AssistantError, ModelError
from assistant.speech.tts import AudioChunk

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # each test 7-20 s: a real conversation plus real hangs

# The allowed minimum is 1 s, but pocketsphinx takes 0.5 s on a turn's first block (1 s on a loaded 2-core
# machine) between two heartbeats: 1 s and even 2 s restarted a healthy STT. A hang costs this plus up to 0.5 s.
STAGE_TIMEOUT_S = 3.0
# (The same recording twice would be apt, but Silero's streaming state scores the second "what time is it"
# below the threshold here: the test would fail on the VAD, not on the watchdog.)
THREE_QUESTIONS = ["what_time_is_it.wav", "what_s_the_date.wav", "what_s_the_weather_like_in_New_York.wav"]
LATE_ANSWER = "Sorry, I was stuck. Here is my late answer. It is for your old question."


@pytest.fixture()
def config(tmp_path: Path, shared_models: Path, clean_env: Path) -> Config:
    """The e2e test model set (as in test_conversation_e2e.py) with a short stage timeout and no skills."""
    path = tmp_path / "assistant.toml"
    path.write_text(
        f'[models]\ndir = "{tmp_path / "models"}"\n'
        f'[general]\nstate_dir = "{tmp_path / "state"}"\n'
        f'[vad]\nmodel = "{shared_models / "vad" / "silero_vad.onnx"}"\n'
        '[wake]\nengine = "none"\n'
        '[stt]\nengine = "sphinx"\n'
        f'[llm]\nmodel = "{shared_models / "llm" / "stories260K.gguf"}"\nmax_tokens = 40\ntemperature = 0.0\n'
        '[tts]\nengine = "espeak"\n'
        # Every question goes to the brain (whose hangs are tested): none is the device's own ("what's the weather
        # like in New York" is, with the skills on).
        f"[conversation]\nstage_timeout_s = {STAGE_TIMEOUT_S}\nskills = []\n"
    )
    return load_config(path, {}).config


class Wedge:
    """Blocks the first `times` engine calls, of every engine built through it, until `release` is set.

    The first call that gets through (the stage works again) releases the stuck ones: they come back while
    a newer turn is live. `release_on_log` (see `_run`) releases them the moment the watchdog says it gives
    up on them, before the controller has heard of the failure.
    """

    def __init__(self, times: int, *, release_on_log: str | None = None) -> None:
        self.times = times
        self.release_on_log = release_on_log
        self.release = threading.Event()
        self.stuck: list[threading.Thread] = []  # the threads that blocked here, in order
        self.late: list[str] = []  # the pieces of late work that stuck threads' stages took after they came back
        self.built = 1  # engines made: the first one, then one per restart
        self.thread_counts: list[int] = []  # live threads of the stage at each call that got through
        self.stuck_at_end = 0  # stuck threads still alive when the run was over, before the release
        self.brains: list[HangingBrain] = []  # every brain built, the first one and one per restart
        self.closed_in_use: list[HangingBrain] = []  # brains closed while a thread that called them still ran
        self._lock = threading.Lock()

    def wrap(self, factory: Callable[[], Any], wrapper: type) -> Callable[[], Any]:
        def build() -> Any:
            self.built += 1
            return wrapper(factory(), self)

        return build

    def enter(self) -> bool:
        """At the start of an engine call: True after blocking (the call is late), False to go on normally."""
        me = threading.current_thread()
        with self._lock:
            if len(self.stuck) < self.times:
                self.stuck.append(me)
                blocked = True
            else:
                blocked = False
                self.thread_counts.append(sum(t.name == me.name for t in threading.enumerate()))
        if blocked:
            self.release.wait()
        else:
            self.release.set()
        return blocked


class HangingBrain:
    """The real brain behind a Wedge; back from a hang it ignores `cancel` and answers the old question, word
    by word. A stage that drops the old turn takes one word and stops asking for more."""

    def __init__(self, brain: Any, wedge: Wedge) -> None:
        self.brain = brain
        self.wedge = wedge
        self.name = brain.name
        self.callers: list[threading.Thread] = []  # threads that asked for a reply: any may still be inside it
        self.closed = False
        wedge.brains.append(self)

    def reply(self, user: str, cancel: threading.Event) -> Iterator[str]:
        self.callers.append(threading.current_thread())
        if self.wedge.enter():
            for word in LATE_ANSWER.split():
                self.wedge.late.append(word)
                yield word + " "
            return
        yield from self.brain.reply(user, cancel)

    def close(self) -> None:
        if self.in_use():
            self.wedge.closed_in_use.append(self)
        self.closed = True
        self.brain.close()

    def in_use(self) -> bool:
        return any(t.is_alive() for t in self.callers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.brain, name)


class HangingVoice:
    """The real synthesizer behind a Wedge; back from a hang it speaks a late answer of three sentences. The
    speaker refusing the old turn's audio makes the stage stop at the first one."""

    def __init__(self, synthesizer: Any, wedge: Wedge) -> None:
        self.synthesizer = synthesizer
        self.wedge = wedge
        self.name = synthesizer.name
        self.sample_rate = synthesizer.sample_rate

    def synthesize(self, text: str, speed: float = 1.0) -> Iterator[AudioChunk]:
        if self.wedge.enter():
            for chunk in self.synthesizer.synthesize(LATE_ANSWER, speed):
                self.wedge.late.append(chunk.text)
                yield chunk
            return
        yield from self.synthesizer.synthesize(text, speed)


def _events(result: SimulationResult, name: str, turn: int | None = None) -> list[dict[str, Any]]:
    return [e for e in result.events if e["event"] == name and (turn is None or e["turn"] == turn)]


def _questions(tmp_path: Path, shared_audio: Path, recordings: list[str]) -> Scenario:
    """The user asks each recording in turn, one second after the previous reply (or apology) ended."""
    commands = shared_audio / "commands" / "speech_to_phrase" / "en"
    body = "wake = false\n"
    for i, name in enumerate(recordings):
        when = "at = 1.0" if i == 0 else "after_reply_end = 1.0"
        body += f'[[utterance]]\naudio = "{commands / name}"\n{when}\n'
    path = tmp_path / "scenario.toml"
    path.write_text(body)
    return Scenario.load(path)


def _run(
    config: Config, scenario: Scenario, wedge: Wedge, *, stage: str, caplog: pytest.LogCaptureFixture,
    rebuild_fails: bool = False,
) -> SimulationResult:
    """Run `scenario` with the brain ("brain") or the voice ("tts") wedged; afterwards every stuck thread has
    been released and has exited, and no other stage was restarted.

    Closing the engines is checked too, as `assistant run` does it: the pipeline stops, then the engines are
    closed while the threads that never came back are still stuck. Every brain no thread is inside any more
    has been closed by then (those of restarts by the pipeline), and none while a thread that used it ran.
    """
    engines = Engines.build(simulation_config(config), wake=False)
    built: list[Any] = [engines.brain]  # every real brain: llama.cpp contexts to free at the end, if left open

    def tracked(factory: Callable[[], Any]) -> Callable[[], Any]:
        def build() -> Any:
            if rebuild_fails:
                raise ModelError("cannot load the model again: out of memory")
            built.append(factory())
            return built[-1]

        return build

    if stage == "brain":
        engines = dataclasses.replace(
            engines, brain=HangingBrain(engines.brain, wedge),
            new_brain=wedge.wrap(tracked(engines.new_brain), HangingBrain),
        )
    else:
        engines = dataclasses.replace(
            engines, synthesizer=HangingVoice(engines.synthesizer, wedge),
            new_synthesizer=wedge.wrap(engines.new_synthesizer, HangingVoice),
        )
    caplog.set_level(logging.INFO, logger="assistant")
    trigger = _ReleaseOnLog(wedge)
    logging.getLogger("assistant.conversation.pipeline").addHandler(trigger)
    try:
        result = run_scenario(scenario, config, realtime=False, engines=engines, timeout_s=60,
                              trace_path=_trace_path(scenario))
    finally:
        logging.getLogger("assistant.conversation.pipeline").removeHandler(trigger)
        wedge.stuck_at_end = sum(t.is_alive() for t in wedge.stuck)
        engines.close()
        left_open = [wedge.brains.index(b) for b in wedge.brains if not b.closed and not b.in_use()]
        wedge.release.set()  # whatever happened, no thread stays stuck after the test
        for thread in wedge.stuck:
            thread.join(5)
        for brain in built:
            brain.close()
        assert not [t.name for t in wedge.stuck if t.is_alive()], "a released thread did not exit"
        assert not left_open, f"brains (0: the first, then one per restart) left open, no thread in them: {left_open}"
        assert not wedge.closed_in_use, "a brain was closed while a thread stuck in it could still come back"
        restarted = [m for r in caplog.records if "made no progress" in (m := r.getMessage())]
        assert all(m.startswith(f"{stage} ") for m in restarted), f"a healthy stage was restarted: {restarted}"
    assert result.completed, "the conversation did not finish: a stage stayed stuck"
    return result


class _ReleaseOnLog(logging.Handler):
    """Releases the wedge in the watchdog's own thread, as it logs the line that starts with release_on_log."""

    def __init__(self, wedge: Wedge) -> None:
        super().__init__()
        self.wedge = wedge

    def emit(self, record: logging.LogRecord) -> None:
        if self.wedge.release_on_log and record.getMessage().startswith(self.wedge.release_on_log):
            self.wedge.release.set()


def _trace_path(scenario: Scenario) -> Path:
    """Where _run writes the trace: as it happens, so it is there even when the run stops."""
    return scenario.path.with_name("trace.jsonl")


def _restarts(caplog: pytest.LogCaptureFixture, stage: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"{stage} made no progress")]


def _assert_apologized_for(result: SimulationResult, config: Config, hung_turn: int) -> int:
    """The hung turn was dropped and an apology was heard right after it; returns the apology's turn."""
    dropped = _events(result, "turn_dropped", hung_turn)
    assert dropped and dropped[0]["reason"].endswith("failed"), result.turns
    apology = [e for e in _events(result, "reply_sentence") if e.get("kind") == "apology" and e["turn"] > hung_turn]
    assert apology and apology[0]["text"] == config.conversation.apology
    assert _events(result, "audible_start", apology[0]["turn"]), "the apology was not heard in the room"
    return int(apology[0]["turn"])


def _assert_answered_after(result: SimulationResult, turn: int) -> None:
    """The user's next question after `turn` got a transcript and an audible answer."""
    asked = [t for t in result.turns if t.turn > turn and t.transcript]
    assert asked, f"nothing was heard after turn {turn}: {result.turns}"
    assert asked[0].reply and not asked[0].dropped, result.turns
    assert _events(result, "audible_start", asked[0].turn), "the answer was not heard in the room"


def _assert_late_work_was_dropped(wedge: Wedge) -> None:
    """Every stuck thread came back (while the pipeline ran) and its stage dropped its late work at once."""
    assert wedge.late, "no stuck thread came back: the test proves nothing about late work"
    assert len(wedge.late) == len(wedge.stuck), f"an abandoned stage went on with its old turn: {wedge.late}"


def _assert_no_late_reply(result: SimulationResult, hung_turns: list[int]) -> None:
    """Nothing was said for the hung turns: no sentence sent to the voice, nothing audible."""
    for turn in hung_turns:
        assert not [e for e in _events(result, "reply_sentence", turn) if e.get("kind") != "apology"]
        assert not _events(result, "audible_start", turn)
    heard = " ".join(t.reply for t in result.turns)
    assert "stuck" not in heard and "late answer" not in heard


def test_a_hung_brain_is_restarted_the_user_hears_an_apology_and_the_next_turn_is_answered(
    config: Config, shared_audio: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wedge = Wedge(times=1, release_on_log="brain made no progress")
    scenario = _questions(tmp_path, shared_audio, ["what_time_is_it.wav", "what_s_the_date.wav"])
    result = _run(config, scenario, wedge, stage="brain", caplog=caplog)

    assert wedge.built == 2, "the brain was not rebuilt once"
    assert len(_restarts(caplog, "brain")) == 1
    assert result.failures == 1
    hung = result.turns[0]
    assert hung.dropped == "brain failed"
    _assert_answered_after(result, _assert_apologized_for(result, config, hung.turn))
    # The stuck thread came back as the watchdog gave up on it, with its late answer: dropped, never heard.
    _assert_late_work_was_dropped(wedge)
    _assert_no_late_reply(result, [hung.turn])


def test_a_hung_voice_is_restarted_and_its_old_sentence_is_never_played(
    config: Config, shared_audio: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wedge = Wedge(times=1)
    scenario = _questions(tmp_path, shared_audio, ["what_time_is_it.wav", "what_s_the_date.wav"])
    result = _run(config, scenario, wedge, stage="tts", caplog=caplog)

    assert wedge.built == 2 and len(_restarts(caplog, "tts")) == 1
    assert result.failures == 1
    hung = result.turns[0]
    assert hung.dropped == "tts failed"
    _assert_answered_after(result, _assert_apologized_for(result, config, hung.turn))  # by the new voice
    # The stuck thread came back while the new voice said the apology: the speaker refused its first chunk.
    _assert_late_work_was_dropped(wedge)
    heard = " ".join(t.reply for t in result.turns)
    assert "stuck" not in heard and "late answer" not in heard


def test_a_brain_that_hangs_again_after_its_restart_is_restarted_again_once_per_hang(
    config: Config, shared_audio: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wedge = Wedge(times=2)  # the restarted brain hangs too; the third one works
    scenario = _questions(tmp_path, shared_audio, THREE_QUESTIONS)
    result = _run(config, scenario, wedge, stage="brain", caplog=caplog)

    # One restart and one apology per hang: no restart loop, no apology loop.
    assert wedge.built == 3 and len(_restarts(caplog, "brain")) == 2
    assert result.failures == 2
    apologies = [e for e in _events(result, "reply_sentence") if e.get("kind") == "apology"]
    assert len(apologies) == 2
    hung = [t.turn for t in result.turns if t.dropped == "brain failed"]
    assert len(hung) == 2
    apology_turns = [_assert_apologized_for(result, config, turn) for turn in hung]
    _assert_answered_after(result, apology_turns[-1])
    # One thread per hang stays behind, no more: two stuck and the working one.
    assert wedge.thread_counts[0] == 3, wedge.thread_counts
    _assert_late_work_was_dropped(wedge)
    _assert_no_late_reply(result, hung)


def test_a_brain_that_never_comes_back_stops_the_assistant_instead_of_piling_up_threads(
    config: Config, shared_audio: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wedge = Wedge(times=100)  # every brain ever built hangs, and no stuck thread comes back
    scenario = _questions(tmp_path, shared_audio, THREE_QUESTIONS)
    with pytest.raises(AssistantError, match="stopped during the simulation"):
        _run(config, scenario, wedge, stage="brain", caplog=caplog)

    # Restarted twice, each time with an apology; the third hang, with two threads still stuck, stopped it.
    assert len(_restarts(caplog, "brain")) == pipeline.MAX_STUCK == 2
    assert wedge.built == 3
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("brain hung again")]
    trace = [json.loads(line) for line in _trace_path(scenario).read_text().splitlines()]
    assert [e["reason"] for e in trace if e["event"] == "turn_dropped"] == ["brain failed"] * 2
    assert len([e for e in trace if e["event"] == "reply_sentence" and e.get("kind") == "apology"]) == 2
    assert wedge.stuck_at_end == len(wedge.stuck) == 3  # two abandoned and the last one: no more


def test_a_hung_stage_that_cannot_be_rebuilt_stops_the_assistant_instead_of_going_silent(
    config: Config, shared_audio: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a thread the stage would swallow every later turn: better a fresh process (systemd restarts it)."""
    wedge = Wedge(times=1)
    scenario = _questions(tmp_path, shared_audio, ["what_time_is_it.wav", "what_s_the_date.wav"])
    with pytest.raises(AssistantError, match="stopped during the simulation"):
        _run(config, scenario, wedge, stage="brain", caplog=caplog, rebuild_fails=True)

    failed = [r for r in caplog.records if r.getMessage() == "could not restart brain: stopping the assistant"]
    assert failed and failed[0].exc_info and "out of memory" in str(failed[0].exc_info[1])
