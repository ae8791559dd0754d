"""The pipeline's threads: one loop per stage, each owning its engine, joined by WorkQueues.

A worker takes one message at a time from its inbox, beats its heartbeat while idle and while working (the
watchdog's evidence that it is alive), and reports an exception as StageFailed to the controller instead of
dying: the process stays up, the controller apologizes and the next turn works. A worker that stops beating
for conversation.stage_timeout_s is replaced by a fresh thread with a fresh engine (`restart`).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, Literal, TypeVar

import numpy as np

from assistant.audio.frontend import AudioFrontEnd
from assistant.audio.io import SAMPLE_RATE, AudioIO
from assistant.brain.sentences import SentenceSplitter
from assistant.conversation.brain import Brain
from assistant.conversation.listener import Listener
from assistant.conversation.messages import (
    CleanBlock,
    Heard,
    Paused,
    Prompt,
    Queued,
    Remember,
    ReplyDone,
    Resumed,
    Say,
    Spoken,
    StageFailed,
    StopCheck,
    StopHeard,
    TurnAudio,
    TurnClosed,
)
from assistant.conversation.queues import Pacer, WorkQueue
from assistant.conversation.trace import Trace
from assistant.conversation.turns import ListenState, Partial, Turns
from assistant.service import Heartbeats
from assistant.speech.spotting import spot_stop_phrase
from assistant.speech.stt import Recognizer, Transcript
from assistant.speech.tts import Synthesizer

log = logging.getLogger(__name__)

POLL_S = 0.05  # how long a loop waits for a message before it beats and checks for stop
PIECE_S = 0.5  # synthesized speech goes to the speaker in pieces this long, so a flush finds little queued

E = TypeVar("E")
Send = Callable[[object], None]


@dataclasses.dataclass(frozen=True)
class Abandoned(Generic[E]):
    """An engine that restart() left to its hung thread: the thread may still be inside one of its calls."""

    thread: threading.Thread
    engine: E
    built: bool  # made by the worker's factory, so the worker closes it; else whoever passed it in does


def close_engine(engine: object) -> None:
    """Free an engine's native memory (the brain's llama.cpp model); engines without close() need nothing."""
    close = getattr(engine, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:  # stopping goes on: the other engines still get closed
        log.exception("closing %s failed", getattr(engine, "name", type(engine).__name__))


class Worker(Generic[E]):
    """A thread consuming `inbox` with an engine of type E built by `factory` (again on restart)."""

    name = "worker"

    def __init__(
        self,
        inbox: WorkQueue[Any],
        factory: Callable[[], E],
        *,
        heartbeats: Heartbeats,
        to_controller: Send,
        stop: threading.Event,
        engine: E | None = None,
    ) -> None:
        self.inbox = inbox
        self.factory = factory
        self.engine: E = engine if engine is not None else factory()
        self._built = engine is None  # the worker closes what its factory made; an engine passed in is the giver's
        self.abandoned: list[Abandoned[E]] = []  # left to threads still stuck in them (pruned by close_abandoned)
        self.heartbeats = heartbeats
        self.to_controller = to_controller
        self.stop_event = stop
        self.busy_with: Any = None  # the message being handled (for the hang report)
        self._generation = 0
        # "finished" (_run) and "abandoned" (restart) exclude each other: a message is written off exactly once.
        # Also guards `abandoned`.
        self._abandon = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._generation += 1
        self.heartbeats.register(self.name)
        self._thread = threading.Thread(
            target=self._run, args=(self._generation,), name=self.name, daemon=True
        )
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def restart(self) -> None:
        """Abandon a hung thread (it exits when it wakes up) and start a new one on a new engine.

        The hung thread keeps its engine: both go to `abandoned` (the caller may watch whether the thread ever
        comes back) until close_abandoned() sees the thread gone. If the factory raises, no thread runs the
        stage any more (the hung one stays the current thread, with its engine).
        """
        with self._abandon:
            written_off, self.busy_with = self.busy_with, None
            self._generation += 1  # the old thread sees this and stops after its current call
        if written_off is not None:
            self.inbox.handled()
        thread, engine, built = self._thread, self.engine, self._built
        self.beat()  # loading a model may take a while: systemd's watchdog must not count it as the hang
        self.engine = self.factory()
        self._built = True
        if thread is not None:
            with self._abandon:
                self.abandoned.append(Abandoned(thread, engine, built))
        self.start()

    def close_abandoned(self) -> None:
        """Forget each abandoned thread that has ended, closing its engine if this worker built it."""
        with self._abandon:  # the watchdog and stop() may both call this
            # One look at each thread: one that ends between two looks would be neither kept nor closed.
            alive = [(a, a.thread.is_alive()) for a in self.abandoned]
            self.abandoned = [a for a, running in alive if running]
            ended = [a for a, running in alive if not running]
        for left in ended:
            if left.built:
                close_engine(left.engine)

    def close(self) -> list[Abandoned[E]]:
        """After stop and join(): close each engine this worker built that no thread of it is inside any more.

        An engine whose thread has not ended is left open: freeing a model in use can crash the process, and
        the process is exiting anyway. Returns those of them that were passed in (`engine=`): their owner must
        leave them open too.
        """
        self.close_abandoned()
        left = list(self.abandoned)
        thread = self._thread
        if thread is not None and thread.is_alive():
            left.append(Abandoned(thread, self.engine, self._built))
        elif self._built:
            self._built = False  # closed once, even if close() is called again
            close_engine(self.engine)
        if left:
            log.debug("%s: %d engines left open, their threads still inside", self.name, len(left))
        return [a for a in left if not a.built]

    def beat(self) -> None:
        self.heartbeats.beat(self.name)

    def _run(self, generation: int) -> None:
        while not self.stop_event.is_set() and generation == self._generation:
            self.beat()
            message = self.inbox.get(POLL_S)
            if message is None:
                continue
            self.busy_with = message
            try:
                self.handle(message)
            except Exception as error:  # a stage fails, the process does not
                if generation != self._generation:
                    return
                log.exception("%s failed on %s", self.name, type(message).__name__)
                self.to_controller(StageFailed(self.name, getattr(message, "turn", None), f"{error}"))
            with self._abandon:
                if generation != self._generation:
                    return  # restarted meanwhile: the message was written off by restart()
                self.busy_with = None
            self.inbox.handled()

    def handle(self, message: Any) -> None:
        raise NotImplementedError


# --------------------------------------------------------------------------------------- the stages


class AudioWorker:
    """Reads duplex blocks from the AudioIO, cleans them (AEC, noise suppression) and hands them on.

    Not a queue consumer: its input is the sound card (or the room). In lockstep it reads the next block
    only when every stage has handled everything (see queues.Pacer). `state`: whether the assistant is saying
    something (the front-end measures the playback delay once the greeting is over).
    """

    name = "audio"

    def __init__(
        self, audio: AudioIO, frontend: AudioFrontEnd, to_listener: Send, *, pacer: Pacer,
        heartbeats: Heartbeats, stop: threading.Event, state: ListenState,
    ) -> None:
        self.audio = audio
        self.frontend = frontend
        self.state = state
        self.to_listener = to_listener
        self.pacer = pacer
        self.heartbeats = heartbeats
        self.stop_event = stop
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self) -> None:
        self.heartbeats.register(self.name)
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        size = self.audio.block_samples
        try:
            while not self.stop_event.is_set():
                self.heartbeats.beat(self.name)
                if not self.pacer.wait_idle(POLL_S):
                    continue
                block = self.audio.read(POLL_S)
                if block is None:
                    continue
                clean = self.frontend.process(block.mic, block.ref, reference_missing=block.ref_missing,
                                              reply_on=self.state.speaking)
                reference = self.frontend.aligned_reference.copy()
                self.to_listener(CleanBlock(clean, block.mic, reference, block.index * size,
                                            self.frontend.canceller_restarts, self.frontend.canceller_reach_ms,
                                            self.frontend.delay_known, self.frontend.playback_delay,
                                            self.frontend.aligned_reference_missing))
        except Exception:
            log.exception("the audio thread failed; stopping")
            self.stop_event.set()


class ListenerWorker(Worker[Listener]):
    name = "listener"

    def handle(self, message: CleanBlock) -> None:
        self.engine.process(message)


class SttWorker(Worker[Recognizer]):
    """Feeds each turn's audio to the recognizer; the final transcript on TurnClosed, or early on Paused.

    On Paused the recognizer finishes at once, so the reply can start while the listener waits out the rest of
    the hangover; the audio that follows is kept, not decoded (the VAD calls it silence). If the user goes on
    (Resumed) the recognizer starts again on the whole turn so far, and the controller takes the early
    transcript back; if the turn closes instead, the early transcript is the final one.

    Between turns, a StopCheck asks the recognizer whether a sound too short to interrupt a reply was a stop
    phrase (StopHeard to the controller).
    """

    name = "stt"

    def __init__(self, *args: Any, partial: Partial, stop_phrases: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partial = partial
        self.stop_phrases = tuple(stop_phrases)
        self._turn: int | None = None
        self._audio: list[np.ndarray] = []  # the open turn's audio, to decode again after a Resumed
        self._early: Transcript | None = None
        self._early_finish_s = 0.0

    def handle(self, message: TurnAudio | Paused | Resumed | TurnClosed | StopCheck) -> None:
        if isinstance(message, StopCheck):
            # Only between turns: a turn's utterance must not be cut short (a new turn has the sound anyway).
            idle = self._turn is None and self.stop_phrases
            phrase = spot_stop_phrase(self.engine, message.pcm, self.stop_phrases) if idle else None
            self.to_controller(StopHeard(message.turn, phrase, message.sample))
            return
        if isinstance(message, TurnAudio) and message.first:
            self.engine.begin()
            self._turn, self._audio, self._early = message.turn, [], None
        if message.turn != self._turn:
            return  # a turn whose start this engine never saw (restarted meanwhile), or one already closed
        if isinstance(message, TurnAudio):
            self._audio.append(message.pcm)
            if self._early is None:
                self._feed(message.turn, message.pcm)
        elif isinstance(message, Paused):
            if self._early is None:
                self._early, self._early_finish_s = self._finish()
                self.partial.set(message.turn, self._early.text)  # the endpoint policy's best guess now
                self.to_controller(Heard(message.turn, self._early, self._early_finish_s, early=True))
        elif isinstance(message, Resumed):
            if self._early is not None:
                self._early = None
                self.to_controller(message)
                self.engine.begin()
                self._feed(message.turn, np.concatenate(self._audio))
        else:
            # Finished even when a newer turn has begun: the controller may join the two (the user went on).
            final, finish_s = (self._early, self._early_finish_s) if self._early is not None else self._finish()
            self._turn, self._audio, self._early = None, [], None
            self.to_controller(Heard(message.turn, final, finish_s))

    def _finish(self) -> tuple[Transcript, float]:
        started = time.perf_counter()
        transcript = self.engine.finish()
        return transcript, time.perf_counter() - started

    def _feed(self, turn: int, pcm: np.ndarray) -> None:
        text = self.engine.feed(pcm)
        if text is not None:
            self.partial.set(turn, text)


class BrainWorker(Worker[Brain]):
    """Streams the reply: brain pieces → sentence splitter → TTS, sentence by sentence."""

    name = "brain"

    def __init__(self, *args: Any, turns: Turns, trace: Trace, to_tts: Send, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.turns = turns
        self.trace = trace
        self.to_tts = to_tts

    def handle(self, message: Prompt | Remember) -> None:
        if isinstance(message, Remember):
            self.engine.remember(message.user, message.heard)
            return
        turn, reply = message.turn, message.reply
        cancel = self.turns.cancelled(turn, reply)
        if cancel.is_set():
            return
        splitter = SentenceSplitter()
        sent = 0
        first = True
        stop = "end"
        started = time.perf_counter()  # compute_s: time inside the brain until its first piece
        for piece in self.engine.reply(message.text, cancel):
            self.beat()
            if first:
                compute_s = round(time.perf_counter() - started, 4)
                self.trace.emit("llm_first_token", turn, attempt=reply, compute_s=compute_s)
                first = False
            if cancel.is_set():
                stop = "cancelled"
                break
            for sentence in splitter.feed(piece):
                sent = self._say(message, sent, sentence)
        if cancel.is_set():
            stop = "cancelled"
        else:
            for sentence in splitter.flush():
                sent = self._say(message, sent, sentence)
        self.to_controller(ReplyDone(turn, sent, stop, dict(self.engine.stats), reply=reply))

    def _say(self, prompt: Prompt, index: int, sentence: str) -> int:
        self.trace.emit("reply_sentence", prompt.turn, text=sentence, attempt=prompt.reply)
        self.to_tts(Say(prompt.turn, index, sentence, prompt.reply, prompt.speed))
        return index + 1


class Speaker:
    """The speaker side of the AudioIO with the gate that keeps ended turns (and retracted replies) out of it.

    A speculative reply is held: its audio waits here, unplayed, until the controller releases it (the user
    had finished) or discards it (they went on, or said something else).
    """

    def __init__(self, audio: AudioIO, turns: Turns, *, max_ahead_s: float | None) -> None:
        self.audio = audio
        self.turns = turns
        self.max_ahead = None if max_ahead_s is None else round(max_ahead_s * SAMPLE_RATE)
        self.gate = threading.Lock()
        self.queued_until = 0  # speaker-clock sample where the last queued speech ends
        self._holding: tuple[int, int] | None = None  # (turn, reply) whose audio is held
        self._held: list[Queued] = []  # start/end are offsets within the held audio until released
        self._held_audio: list[tuple[np.ndarray, int]] = []
        self._held_samples = 0

    def play(self, turn: int | None, pcm: np.ndarray, rate: int) -> tuple[int, int] | None:
        """Queue speech of `turn` (None: not part of a turn) if the turn is still live: (start, end) positions."""
        with self.gate:
            if turn is not None and not self.turns.is_live(turn):
                return None
            return self._place(pcm, rate)

    def speak(self, say: Say, text: str, pcm: np.ndarray, rate: int, first: bool, continued: bool = False
              ) -> Queued | Literal["held"] | None:
        """Queue a piece of sentence `say` (the Queued message for the controller), or hold it ("held": the
        controller gets its Queued on release), or drop it (None: its turn or reply attempt has ended).
        `continued`: a later piece of the chunk `text` (Queued.continued)."""
        with self.gate:
            if not self.turns.is_live(say.turn, say.reply):
                return None
            if self._holding == (say.turn, say.reply):
                self._held.append(Queued(say.turn, say.index, text, -1, -1, first, say.reply, continued))
                self._held_audio.append((pcm, rate))
                self._held_samples += round(len(pcm) * SAMPLE_RATE / rate)
                return "held"
            start, end = self._place(pcm, rate)
            return Queued(say.turn, say.index, text, start, end, first, say.reply, continued)

    def _place(self, pcm: np.ndarray, rate: int) -> tuple[int, int]:
        end = self.audio.play(pcm, rate)
        start = max(end - round(len(pcm) * SAMPLE_RATE / rate), 0)
        # Resampling may make the played piece a sample longer or shorter than computed here: a piece that
        # follows queued speech starts where that ends (the controller joins the pieces of one sentence).
        if abs(start - self.queued_until) <= SAMPLE_RATE // 1000:
            start = self.queued_until
        self.queued_until = end
        return start, end

    def hold(self, turn: int, reply: int) -> None:
        """Hold the audio of `turn`'s attempt `reply` until release() (anything held before is dropped)."""
        with self.gate:
            self._drop_held()
            self._holding = (turn, reply)

    def release(self, turn: int, reply: int) -> list[Queued]:
        """Play what was held for (turn, reply), now; from here on its audio goes straight to the speaker."""
        with self.gate:
            if self._holding != (turn, reply) or not self.turns.is_live(turn, reply):
                return []
            placed = [
                dataclasses.replace(piece, start=start, end=end)
                for piece, (start, end) in zip(
                    self._held, (self._place(pcm, rate) for pcm, rate in self._held_audio), strict=True
                )
            ]
            self._drop_held()
            return placed

    def discard(self) -> None:
        """Drop whatever is held (a speculative reply taken back)."""
        with self.gate:
            self._drop_held()

    def _drop_held(self) -> None:
        self._holding = None
        self._held, self._held_audio, self._held_samples = [], [], 0

    def wait_room(self, stop: threading.Event, beat: Callable[[], None]) -> None:
        """On a sound card, keep at most max_ahead of speech queued or held (a barge-in then drops little)."""
        if self.max_ahead is None:
            return
        while not stop.is_set() and self._ahead() > self.max_ahead:
            beat()
            time.sleep(0.01)

    def _ahead(self) -> int:
        return max(self.queued_until - self.audio.playback_position(), 0) + self._held_samples

    def end_turn_and_flush(self, turn: int) -> int:
        """End `turn` and drop everything queued or held; returns the speaker-clock position of the cut."""
        with self.gate:
            self.turns.end(turn)
            self._drop_held()
            cut = self.audio.flush_playback()
            self.queued_until = cut
            return cut


class TtsWorker(Worker[Synthesizer]):
    """Synthesizes each sentence and queues it to the speaker in short pieces."""

    name = "tts"

    def __init__(self, *args: Any, speaker: Speaker, turns: Turns, trace: Trace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.speaker = speaker
        self.turns = turns
        self.trace = trace
        self._first_of: tuple[int, int] | None = None  # the (turn, reply) whose first audio was queued

    def handle(self, message: Say) -> None:
        turn, reply = message.turn, message.reply
        dropped = Spoken(turn, message.index, dropped=True, reply=reply)
        if not self.turns.is_live(turn, reply):
            self.to_controller(dropped)
            return
        started = time.perf_counter()  # compute_s: time inside synthesize() until its first chunk
        for chunk in self.engine.synthesize(message.text, message.speed):
            compute_s = time.perf_counter() - started
            self.beat()
            piece = max(1, round(PIECE_S * chunk.sample_rate))
            for offset in range(0, len(chunk.pcm), piece):
                self.speaker.wait_room(self.stop_event, self.beat)
                pcm = chunk.pcm[offset : offset + piece]
                first = self._first_of != (turn, reply)
                queued = self.speaker.speak(message, chunk.text, pcm, chunk.sample_rate, first, offset > 0)
                if queued is None:
                    self.to_controller(dropped)
                    return
                if first:  # only audio that was queued (or held) counts: a dropped turn has no first audio
                    self.trace.emit("tts_first_audio", turn, attempt=reply, compute_s=round(compute_s, 4))
                self._first_of = (turn, reply)
                if queued != "held":
                    self.to_controller(queued)
        self.to_controller(Spoken(turn, message.index, reply=reply))
