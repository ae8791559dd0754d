"""The assistant assembled: engines built once, the stage threads started and stopped, the watchdog fed.

    AudioIO ─► audio thread (Speex AEC/NS) ─► listener (VAD, wake word, endpointing) ─► stt ─┐
       ▲                                         │ events                                      │ Heard
       └── speaker ◄── tts ◄── brain (LLM → sentence splitter) ◄── controller ◄──────────────────┘

`Engines.build(config)` loads every model before the audio opens (a missing or broken model is an error
now, not in the middle of a turn). `Pipeline` runs them on any AudioIO: the sound card (`assistant run`) or
the simulated room (`assistant simulate`, `assistant demo`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.audio.frontend import FrontEnd
from assistant.audio.io import AudioIO
from assistant.config import Config
from assistant.conversation.brain import Brain, open_brain
from assistant.conversation.controller import Controller
from assistant.conversation.listener import Listener
from assistant.conversation.messages import StageFailed
from assistant.conversation.queues import Pacer, WorkQueue
from assistant.conversation.skills import Skills, skills_file
from assistant.conversation.trace import Trace
from assistant.conversation.turns import ListenState, Partial, Turns
from assistant.conversation.workers import (
    Abandoned,
    AudioWorker,
    BrainWorker,
    ListenerWorker,
    Speaker,
    SttWorker,
    TtsWorker,
    Worker,
)
from assistant.service import Heartbeats
from assistant.speech.stt import Recognizer, choose_recognizer
from assistant.speech.tts import Synthesizer, choose_synthesizer
from assistant.speech.vad import SileroVad, SpeechSegmenter
from assistant.speech.wake import OpenWakeWord

log = logging.getLogger(__name__)

# Queue capacities: audio blocks for ~3 s of lag; events and sentences are few per turn.
AUDIO_QUEUE = 300
EVENT_QUEUE = 1000
WORK_QUEUE = 100
SUPERVISE_S = 0.5
MAX_STUCK = 2  # a stage that hangs again with this many of its abandoned threads still stuck stops the assistant


@dataclass
class Engines:
    """Every model-driven part, loaded; and how to build a fresh one of each restartable stage."""

    frontend: FrontEnd
    vad: SileroVad
    wake: OpenWakeWord | None
    recognizer: Recognizer
    brain: Brain
    synthesizer: Synthesizer
    new_recognizer: Callable[[], Recognizer]
    new_brain: Callable[[], Brain]
    new_synthesizer: Callable[[], Synthesizer]
    choices: dict[str, str]  # role -> what was chosen and why, for the log and the summary
    # Engines of these left to threads still inside them when a pipeline stopped: close() leaves each open
    # while its thread lives. A list, so that the copies dataclasses.replace makes (a run's own front-end)
    # share it with the Engines their owner closes.
    abandoned: list[Abandoned[Any]] = dataclasses.field(default_factory=list)

    @classmethod
    def build(cls, config: Config, *, wake: bool | None = None, env: Mapping[str, str] | None = None) -> Engines:
        """Load everything `config` selects. `wake`: False ignores configured wake words, True requires one."""
        from assistant.selection import choose, choose_wake

        env = os.environ if env is None else env
        choices: dict[str, str] = {}
        vad_choice = choose("vad", config)
        vad = SileroVad.load(vad_choice.model, threads=config.general.onnx_threads)  # type: ignore[arg-type]
        choices["vad"] = f"silero ({vad_choice.model})"
        detector_wake: OpenWakeWord | None = None
        if wake is not False:
            wake_choice = choose_wake(config)
            if wake and wake_choice.engine == "none":
                from assistant.errors import ModelError

                raise ModelError(f"the scenario needs a wake word, but {wake_choice.reason}")
            if wake_choice.engine != "none":
                # Its VAD check reads the listener's stream: Silero runs once per window (the listener scores
                # each block before the wake word hears it).
                detector_wake = OpenWakeWord.from_config(wake_choice, config, vad.reader())
            choices["wake"] = wake_choice.reason
        else:
            choices["wake"] = "off: any speech starts a turn"

        def new_recognizer() -> Recognizer:
            return choose_recognizer(config, live=True)

        def new_brain() -> Brain:
            return open_brain(config, env)

        def new_synthesizer() -> Synthesizer:
            return choose_synthesizer(config)

        frontend = FrontEnd.from_config(config)
        try:
            recognizer = new_recognizer()
            brain = new_brain()
            synthesizer = new_synthesizer()
        except BaseException:
            frontend.close()
            raise
        choices["stt"] = recognizer.name
        choices["brain"] = brain.name
        choices["tts"] = synthesizer.name
        return cls(
            frontend, vad, detector_wake, recognizer, brain, synthesizer,
            new_recognizer, new_brain, new_synthesizer, choices,
        )

    def for_run(self, config: Config) -> Engines:
        """These engines for one more simulated conversation that must not depend on the ones before it: the
        brain forgets, and the front-end (its echo canceller) and the recognizer are new. A recognizer adapts
        to what it heard (pocketsphinx's cepstral mean): carried over, it heard the same recordings as other
        words, and the replies, their echo and every barge-in after them changed with a run's place in a
        benchmark. The caller closes the returned front-end."""
        self.brain.forget()
        recognizer = self.new_recognizer()
        return dataclasses.replace(self, frontend=FrontEnd.from_config(config), recognizer=recognizer)

    def close(self) -> None:
        """Free the brain's model and the front-end; a brain a hung thread may still be inside is left open
        (llama.cpp freeing a model in use can crash the process on its way out)."""
        if any(left.engine is self.brain and left.thread.is_alive() for left in self.abandoned):
            log.debug("brain left open: a thread abandoned in it is still stuck")
        else:
            self.brain.close()
        self.frontend.close()


class Pipeline:
    """The running assistant on `audio`. start() → … → stop(); stop() is safe from any thread, twice."""

    def __init__(
        self,
        config: Config,
        audio: AudioIO,
        engines: Engines,
        *,
        lockstep: bool = False,
        trace_path: Path | None = None,
        greet: bool = True,
        trace_audible: bool = True,
        heartbeats: Heartbeats | None = None,
        keep_trace: bool = True,
    ) -> None:
        self.config = config
        self.audio = audio
        self.engines = engines
        self.greet = greet
        self.stop_event = threading.Event()
        self.heartbeats = heartbeats or Heartbeats()
        self.pacer = Pacer(lockstep)
        self.turns = Turns()
        self.state = ListenState()
        self.partial = Partial()
        self.trace = Trace(audio.playback_position, trace_path, keep=keep_trace)  # in memory: simulations only
        engines.vad.reset()  # engines may come from an earlier run
        if engines.wake is not None:
            engines.wake.reset()
        self.stage_timeout = config.conversation.stage_timeout_s

        self.listen_q: WorkQueue[Any] = WorkQueue("listener", AUDIO_QUEUE, self.pacer)
        self.stt_q: WorkQueue[Any] = WorkQueue("stt", AUDIO_QUEUE, self.pacer)
        self.brain_q: WorkQueue[Any] = WorkQueue("brain", WORK_QUEUE, self.pacer)
        self.tts_q: WorkQueue[Any] = WorkQueue("tts", WORK_QUEUE, self.pacer)
        self.control_q: WorkQueue[Any] = WorkQueue("controller", EVENT_QUEUE, self.pacer)
        self.queues = [self.listen_q, self.stt_q, self.brain_q, self.tts_q, self.control_q]

        # A sound card's ring holds audio.ring_seconds; the room queues without limit and must never wait.
        max_ahead = None if lockstep else max(0.5, config.audio.ring_seconds - 2 * 0.5)
        self.speaker = Speaker(audio, self.turns, max_ahead_s=max_ahead)
        common = {"heartbeats": self.heartbeats, "to_controller": self.control_q.put, "stop": self.stop_event}
        self.listener = listener = Listener(
            config,
            engines.vad,
            SpeechSegmenter.from_config(config.vad),
            engines.wake,
            turns=self.turns, state=self.state, partial=self.partial,
            to_stt=self.stt_q.put, to_controller=self.control_q.put, trace=self.trace,
            fresh_vad=engines.vad.fork(),
        )
        kept = skills_file(config, os.environ) if config.conversation.memory else None
        self.controller = Controller(
            config, audio, self.speaker, turns=self.turns, state=self.state, trace=self.trace,
            to_brain=self.brain_q.put, to_tts=self.tts_q.put,
            wake_required=engines.wake is not None, trace_audible=trace_audible,
            # In lockstep the room's clock runs apart from the wall clock: alarms stay on the room's.
            skills=Skills(config.conversation.skills, store=kept, follow_wall_clock=not lockstep,
                          location=config.general.location),
        )
        self.audio_worker = AudioWorker(
            audio, engines.frontend, self.listen_q.put, pacer=self.pacer, heartbeats=self.heartbeats,
            stop=self.stop_event, state=self.state,
        )
        self.workers: list[Worker[Any]] = [
            ListenerWorker(self.listen_q, lambda: listener, **common),
            SttWorker(
                self.stt_q, engines.new_recognizer, engine=engines.recognizer, partial=self.partial,
                stop_phrases=config.conversation.stop_phrases, **common,
            ),
            BrainWorker(
                self.brain_q, engines.new_brain, engine=engines.brain, turns=self.turns, trace=self.trace,
                to_tts=self.tts_q.put, **common,
            ),
            TtsWorker(
                self.tts_q, engines.new_synthesizer, engine=engines.synthesizer, speaker=self.speaker,
                turns=self.turns, trace=self.trace, **common,
            ),
            ControllerWorker(self.control_q, lambda: self.controller, **common),
        ]
        self.restartable = {w.name: w for w in self.workers if w.name in ("stt", "brain", "tts")}
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._started = False
        self._stopped = False
        self._stop_lock = threading.Lock()

    # ------------------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Open the audio and start every thread (raises AudioDeviceError if the audio cannot open)."""
        for name, choice in self.engines.choices.items():
            log.info("%s: %s", name, choice)
        self.audio.start()
        self._started = True
        for worker in self.workers:
            worker.start()
        self._supervisor.start()
        if self.greet:
            # Before the first block is read: in lockstep the room then waits for the greeting, which starts at
            # the same sample in every run (put after, it started a block early or late as the threads raced).
            self.control_q.put(_Greet())
        self.audio_worker.start()

    def stop(self, timeout: float = 1.5) -> None:
        """Stop every thread and close the audio, within about `timeout` seconds even if a stage is stuck."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        self.stop_event.set()
        self.turns.end(self.turns.current)  # the LLM stops between two tokens
        deadline = time.monotonic() + timeout
        if self._started:
            self.audio_worker.join(max(0.0, deadline - time.monotonic()))
            for worker in self.workers:
                worker.join(max(0.0, deadline - time.monotonic()))
            self._supervisor.join(max(0.0, deadline - time.monotonic()))
        for queue in self.queues:
            queue.clear()
        self.audio.stop()
        stuck = [w.name for w in self.workers if w.alive]
        if stuck:
            log.warning("stopped without waiting for: %s (busy in an engine call)", ", ".join(stuck))
        for worker in self.workers:  # the engines restarts built are closed; the owner's still in use noted
            self.engines.abandoned.extend(worker.close())
        self.trace.close()

    @property
    def running(self) -> bool:
        return self._started and not self.stop_event.is_set()

    def dropped(self) -> dict[str, int]:
        return {q.name: q.dropped for q in self.queues if q.dropped}

    def _supervise(self) -> None:
        """Restart a stage that stopped beating while busy (hung in an engine); the turn gets an apology.

        A thread stuck in an engine cannot be stopped, only abandoned with its engine. When a stage hangs
        again while MAX_STUCK of its abandoned threads are still stuck, or cannot be rebuilt, restarting it
        would only pile up threads and memory: the assistant stops instead (`assistant run` exits with 1 and
        the service starts a fresh process).
        """
        while not self.stop_event.wait(SUPERVISE_S):
            for worker in self.restartable.values():
                worker.close_abandoned()  # an abandoned thread that came back and exited frees its engine now
            for name in self.heartbeats.stale(self.stage_timeout):
                worker = self.restartable.get(name)
                if worker is None or worker.busy_with is None:
                    continue
                turn = getattr(worker.busy_with, "turn", None)
                if len(worker.abandoned) >= MAX_STUCK:
                    log.error("%s hung again, with %d earlier threads still stuck in it: stopping the assistant "
                              "(a fresh process is the only way to free them)", name, len(worker.abandoned))
                    self.stop_event.set()
                    return
                if turn is not None:
                    self.turns.end(turn)  # first: the hung call may return any moment, and its late work is dropped
                log.error("%s made no progress for %.0f s: restarting it", name, self.stage_timeout)
                # Reported before the rebuild, which may take seconds (a model loads): the apology need not
                # wait for it, and in lockstep the room stays still until the controller has the failure.
                self.control_q.put(StageFailed(name, turn, f"no progress for {self.stage_timeout:.0f} s"))
                try:
                    worker.restart()
                except Exception:
                    log.exception("could not restart %s: stopping the assistant", name)
                    self.stop_event.set()
                    return


@dataclasses.dataclass(frozen=True)
class _Greet:
    """Ask the controller (in its own thread) to say the greeting."""


class ControllerWorker(Worker[Controller]):
    name = "controller"

    def handle(self, message: object) -> None:
        if isinstance(message, _Greet):
            self.engine.greet()
            return
        try:
            self.engine.handle(message)
        except Exception:
            # The controller reporting its own failure to itself could loop: it logs and goes on.
            log.exception("the controller failed on %s", type(message).__name__)
