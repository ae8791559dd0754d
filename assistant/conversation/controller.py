"""The controller: runs the conversation from the events of the other stages.

Per turn: listening (the user speaks) → thinking (turn closed; transcript, reply being generated) → speaking
(reply audio queued or playing) → done. It starts replies, ends turns (barge-in, drop, failure), keeps what
the user actually heard for the history, starts the reply early on what the user said so far while they
pause (held by the speaker until the turn ends with the same words, else taken back), guards against its
own echo, opens the follow-up window, plays the earcon, the greeting and the apology, and writes the story of
each turn to the log.

What the device answers itself (the time, the date, timers, alarms, the volume, "say that again":
assistant.conversation.skills) is answered here, on the final transcript, without the brain; the brain gets the
exchange for its history. A timer or alarm that runs out rings when nothing else is going on: a chime and "your
pasta timer is done", as an assistant turn of its own, again every RING_GAP_S until the user speaks (over it,
which interrupts it like any reply, or after it) or `conversation.timer_ring_s` has passed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.audio.io import SAMPLE_RATE, AudioIO
from assistant.brain.sentences import split_sentences
from assistant.config import Config
from assistant.conversation.echo_guard import EchoGuard
from assistant.conversation.endpoint import words
from assistant.conversation.messages import (
    Clock,
    Duck,
    Heard,
    OutputLevel,
    Prompt,
    Queued,
    Remember,
    ReplyDone,
    Resumed,
    Say,
    Spoken,
    StageFailed,
    StopHeard,
    TurnEnded,
    TurnStarted,
    WakeHeard,
)
from assistant.conversation.phrases import without_hanging_word
from assistant.conversation.skills import Skills, volume_db
from assistant.conversation.timers import Timer
from assistant.conversation.trace import Trace
from assistant.conversation.turns import ListenState, Turns
from assistant.conversation.workers import Send, Speaker
from assistant.heap import HeapTrimmer
from assistant.speech.spotting import match_stop_phrase

log = logging.getLogger(__name__)

EARCON_HZ = (880.0, 1320.0)  # two short rising tones: "I'm listening"
STALE_TURNS = 8  # a superseded turn whose transcript has not come within this many turns never will
TRIM_AFTER_S = 1.0  # quiet after a turn before the heap's free pages go back (a reply's follow-up often starts sooner)
# The reply stays down at most this long for the recognizer's verdict on a sound that ducked it (a slow board's
# whisper takes a second or more; the verdict never comes if the recognizer restarted). A stop phrase heard
# later still ends the reply.
STOP_CHECK_HOLD = SAMPLE_RATE
RING_GAP_S = 3.0  # between the end of a timer's ring and the next one
CHIME_HZ = (1568.0, 1319.0, 1568.0, 1319.0)  # G6 E6 G6 E6: a kitchen timer's bell (the earcon rises)


@dataclass
class Piece:
    text: str
    start: int
    end: int


@dataclass
class Ringing:
    """Timers and alarms that ran out and ring until the user speaks or `until`."""

    timers: list[Timer]
    until: int  # microphone sample after which no new ring starts
    next_at: int  # when the next ring may start (a ring in progress: never, until it ends)


@dataclass
class Turn:
    """The controller's record of one turn."""

    number: int
    kind: str = "user"  # user, greeting, apology, timer
    phase: str = "listening"  # listening, thinking, speaking, done
    user: str = ""
    carried: str = ""  # words of a superseded turn the user went on from
    pieces: dict[int, list[Piece]] = field(default_factory=dict)  # per sentence, the audio queued
    spoken: set[int] = field(default_factory=set)  # sentences fully queued or dropped
    sentences: int | None = None  # known once the reply is fully generated
    merge_into: int | None = None  # a newer turn takes this turn's words
    reply: int = 0  # the current reply attempt (Turns.retract)
    speculation: str | None = None  # the early transcript an unconfirmed reply answers; its audio is held
    take_back: Callable[[], None] | None = None  # undoes what the device did answering it (a timer set)

    def heard(self, cut: int | None) -> str:
        """The reply as heard: sentences played before `cut` (None: all), the one cut off in proportion."""
        words: list[str] = []
        for index in sorted(self.pieces):
            for piece in self.pieces[index]:
                piece_words = piece.text.split()
                if cut is None or piece.end <= cut:
                    words += piece_words
                elif piece.start < cut:
                    played = (cut - piece.start) / (piece.end - piece.start)
                    words += piece_words[: int(len(piece_words) * played)]
        return " ".join(words)

    @property
    def last_end(self) -> int:
        return max((p.end for pieces in self.pieces.values() for p in pieces), default=0)


class Controller:
    """Handles one message at a time (its own thread, through a ControllerWorker)."""

    def __init__(
        self,
        config: Config,
        audio: AudioIO,
        speaker: Speaker,
        *,
        turns: Turns,
        state: ListenState,
        trace: Trace,
        to_brain: Send,
        to_tts: Send,
        wake_required: bool,
        trace_audible: bool,
        skills: Skills | None = None,
    ) -> None:
        self.config = config
        self.conversation = config.conversation
        self.audio = audio
        self.speaker = speaker
        self.turns = turns
        self.state = state
        self.trace = trace
        self.to_brain = to_brain
        self.to_tts = to_tts
        self.wake_required = wake_required
        self.trace_audible = trace_audible  # live runs: the audible events come from the speaker positions
        self.echo = EchoGuard()
        self.skills = Skills(self.conversation.skills) if skills is None else skills
        self.ringing: Ringing | None = None
        self.now = 0
        self.current: Turn | None = None
        self._old: dict[int, Turn] = {}  # superseded turns whose transcript may still join a newer one
        self.duck_gain = 10 ** (self.conversation.duck_db / 20)
        self.level_db = 0.0  # below 0 when the reply's echo clipped the microphone (OutputLevel)
        self.ducked = False
        self.stop_checks = 0  # ducked sounds the recognizer is checking for a stop phrase: the reply stays down
        self.stop_check_sample = 0
        self.completed = 0
        self.failures = 0
        self.heap = HeapTrimmer()
        self.trim_at: int | None = None  # when the heap is given back its free pages, once the turn is over
        self._apply_gain()  # the volume the user set before a restart

    @property
    def idle(self) -> bool:
        """No turn in progress: nobody speaking, nothing being answered."""
        return self.current is None or self.current.phase == "done"

    # ------------------------------------------------------------------------------------------ start

    def greet(self) -> None:
        if self.conversation.greeting.strip():
            self._say_alone("greeting", self.conversation.greeting)

    def _say_alone(self, kind: str, text: str) -> None:
        """Say `text` as an assistant turn of its own."""
        turn = Turn(self.turns.open(), kind=kind, phase="thinking")
        self.current = turn
        self._say(turn, text)

    def _say(self, turn: Turn, text: str, first: int = 0) -> None:
        """Send `text` (a whole reply, known at once) to text-to-speech as `turn`'s sentences from `first` on."""
        sentences = split_sentences(text) or [text]
        turn.sentences = first + len(sentences)
        extra = {} if turn.kind == "user" else {"kind": turn.kind}
        for index, sentence in enumerate(sentences, first):
            self.trace.emit("reply_sentence", turn.number, text=sentence, attempt=turn.reply, **extra)
            self.to_tts(Say(turn.number, index, sentence, turn.reply, self.skills.speaking_speed))

    # --------------------------------------------------------------------------------------- messages

    def handle(self, message: object) -> None:
        if isinstance(message, Clock):
            self.now = max(self.now, message.sample)
            self._expire_stop_checks()
            self._tick()
            self._ring_timers()
            self._trim_heap()
        elif isinstance(message, TurnStarted):
            self._on_turn_started(message)
        elif isinstance(message, TurnEnded):
            turn = self.current
            if turn is not None and turn.number == message.turn:
                if message.reason == "wake_word":
                    self._drop(turn, "wake_word")  # it held the wake word: the command opens a turn of its own
                else:
                    turn.phase = "thinking"
        elif isinstance(message, Heard):
            self._on_heard(message)
        elif isinstance(message, Resumed):
            turn = self._turn(message.turn)
            if turn is not None and turn.speculation is not None:
                self._retract(turn, "the user went on")
        elif isinstance(message, Queued):
            self._on_queued(message)
        elif isinstance(message, Spoken):
            turn = self._turn(message.turn, message.reply)
            if turn is not None:
                turn.spoken.add(message.index)
                self._tick()
        elif isinstance(message, ReplyDone):
            self._on_reply_done(message)
        elif isinstance(message, Duck):
            if self.current is not None and self.current.phase == "speaking":
                self.ducked = message.on
                if message.checking:
                    self.stop_checks += 1
                    self.stop_check_sample = message.sample
                self._apply_gain()
                extra = {"checking": True} if message.checking else {}
                self.trace.emit("duck" if message.on else "unduck", self.current.number, sample=message.sample,
                                **extra)
        elif isinstance(message, StopHeard):
            self._on_stop_heard(message)
        elif isinstance(message, OutputLevel):
            self._on_output_level(message)
        elif isinstance(message, WakeHeard):
            if self.current is not None and self.current.phase == "speaking":
                self._interrupt(self.current, by_wake_word=message.word)
            self.state.awake_until = max(self.state.awake_until, message.sample)
            if self.conversation.earcon:
                self._earcon()
        elif isinstance(message, StageFailed):
            self._on_failure(message)

    def _turn(self, number: int, reply: int | None = None) -> Turn | None:
        """The current turn if it is `number` (and `reply` is its current attempt, when given)."""
        turn = self.current
        if turn is None or turn.number != number or (reply is not None and reply != turn.reply):
            return None
        return turn

    def _on_turn_started(self, message: TurnStarted) -> None:
        previous = self.current
        turn = Turn(message.turn)
        if self.ringing is not None:
            self._stop_ringing("the user spoke")
        if previous is not None and previous.phase == "speaking":
            self._barge_in(previous, message)
        elif previous is not None and previous.phase == "thinking" and previous.kind == "user":
            # The user went on before any reply was heard: the new turn carries on from the old one's words.
            if previous.take_back is not None:  # "set a timer for ten minutes ... for the pasta": one timer
                previous.take_back()
                self._apply_gain()
            previous.merge_into = turn.number
            turn.carried = previous.user
            self._old[previous.number] = previous
            # A transcript that never comes (its recognizer restarted) must not keep its turn for weeks.
            for stale in [n for n in self._old if n < turn.number - STALE_TURNS]:
                del self._old[stale]
            log.info("turn %d: the user went on speaking; turn %d continues it", previous.number, turn.number)
        elif previous is not None and previous.phase == "thinking":
            self.speaker.end_turn_and_flush(previous.number)  # a greeting or apology not yet audible
        self.current = turn
        self.state.awake_until = max(self.state.awake_until, message.sample)

    def _barge_in(self, previous: Turn, message: TurnStarted) -> None:
        self._interrupt(previous, by_turn=message.turn)

    def _interrupt(self, turn: Turn, **why: object) -> None:
        """End the playing reply at once (`why`: what did, for the trace); the history keeps what was heard."""
        cut = self.speaker.end_turn_and_flush(turn.number)
        heard = turn.heard(cut)
        self.trace.emit("barge_in", turn.number, sample=cut, **why)
        if self.trace_audible:
            self.trace.emit("audible_end", turn.number, sample=cut)
        self.trace.emit("reply_heard", turn.number, sample=cut, text=heard)
        log.info("turn %d: interrupted (%s) after %r", turn.number, ", ".join(f"{k} {v!r}" for k, v in why.items()),
                 heard)
        self._finish(turn, heard)
        if turn.kind == "timer" and self.ringing is not None:
            self._stop_ringing("interrupted")

    def _on_stop_heard(self, message: StopHeard) -> None:
        """The recognizer's verdict on a sound that ducked the reply: a stop phrase ends the reply (no new turn:
        there is nothing to answer), anything else lets it come back."""
        self.stop_checks = max(0, self.stop_checks - 1)
        self.trace.emit("stop_check", message.turn, sample=message.sample, phrase=message.phrase)
        turn = self._turn(message.turn)
        # Our own reply may say "wait": spotted in its echo, it is not the user's.
        if (turn is None or turn.phase != "speaking" or message.phrase is None
                or self.echo.is_echo(message.phrase, self.now)):
            self._apply_gain()
            return
        self._interrupt(turn, stop_phrase=message.phrase)

    def _expire_stop_checks(self) -> None:
        if self.stop_checks and self.now - self.stop_check_sample > STOP_CHECK_HOLD:
            log.debug("no verdict yet from speech-to-text on a possible stop phrase: the reply comes back")
            self.stop_checks = 0
            self._apply_gain()

    def _on_heard(self, message: Heard) -> None:
        if message.early:
            self._on_early(message)
            return
        text = message.transcript.text.strip()
        old = self._old.pop(message.turn, None)
        if old is not None and old.merge_into is not None:
            newer = self._turn(old.merge_into)
            if newer is not None:
                newer.carried = text
            return
        turn = self._turn(message.turn)
        if turn is None or not self.turns.is_live(turn.number):
            return
        if turn.carried:
            text = f"{turn.carried} {text}".strip()
        t = message.transcript
        self.trace.emit(
            "transcript", turn.number, text=text, engine=t.engine, audio_s=round(t.audio_s, 3),
            compute_s=round(t.compute_s, 3), finish_s=round(message.finish_s, 4),
        )
        text = without_hanging_word(text)  # (kept in the trace as heard)
        if not text:
            self._drop(turn, "empty")
        elif self.echo.is_echo(text, self.now):
            self._drop(turn, "self_echo")
        elif match_stop_phrase(text, self.conversation.stop_phrases):
            self._drop(turn, "stop_phrase")  # "stop" asks for silence, not for an answer
        else:
            turn.user = text
            turn.phase = "thinking"
            log.info("turn %d: heard %r", turn.number, text)
            if turn.speculation is not None and words(turn.speculation) == words(text):
                self._confirm(turn)
                return
            if turn.speculation is not None:
                self._retract(turn, "the final transcript differs")
            started = time.perf_counter()
            answer = self.skills.answer(text, self.now)
            if answer is not None:
                compute_s = round(time.perf_counter() - started, 4)
                self.trace.emit("skill", turn.number, intent=answer.intent, attempt=turn.reply, compute_s=compute_s)
                log.info("turn %d: answered on the device (%s)", turn.number, answer.intent)
                self._apply_gain()  # the answer to "louder" is said louder
                turn.take_back = answer.take_back
                self._say(turn, answer.text)
                return
            self.to_brain(Prompt(turn.number, text, turn.reply, self.skills.speaking_speed))

    # ---------------------------------------------------------------------------------- speculation

    def _on_early(self, message: Heard) -> None:
        """The user paused: answer what they said so far now, holding the audio until the turn is over."""
        turn = self._turn(message.turn)
        if turn is None or turn.kind != "user" or turn.phase != "listening" or turn.speculation is not None:
            return
        text = without_hanging_word(f"{turn.carried} {message.transcript.text}".strip())  # as the final one will be
        if not text or self.echo.is_echo(text, self.now) or match_stop_phrase(text, self.conversation.stop_phrases):
            return
        if self.skills.recognizes(text):
            return  # answered on the device when the turn ends, at once: nothing to start early
        turn.speculation = text
        self.speaker.hold(turn.number, turn.reply)
        self.trace.emit("speculate", turn.number, text=text, attempt=turn.reply)
        self.to_brain(Prompt(turn.number, text, turn.reply, self.skills.speaking_speed))

    def _confirm(self, turn: Turn) -> None:
        """The final transcript is what the early reply answered: play what is ready at once."""
        self.trace.emit("speculation", turn.number, outcome="kept", attempt=turn.reply)
        turn.speculation = None
        if turn.sentences == 0:
            self._drop(turn, "no_reply")
            return
        for queued in self.speaker.release(turn.number, turn.reply):
            self._on_queued(queued)
        self._tick()

    def _retract(self, turn: Turn, why: str) -> None:
        """Take back the early reply: the brain and TTS stop, its held audio is dropped."""
        self.trace.emit("speculation", turn.number, outcome="retracted", reason=why, attempt=turn.reply)
        self.speaker.discard()
        turn.reply = self.turns.retract(turn.number)
        turn.speculation = None
        turn.pieces.clear()
        turn.spoken.clear()
        turn.sentences = None

    def _on_queued(self, message: Queued) -> None:
        turn = self._turn(message.turn, message.reply)
        if turn is None:
            return
        pieces = turn.pieces.setdefault(message.index, [])
        if pieces and message.continued and pieces[-1].text == message.text:
            pieces[-1].end = message.end  # the next piece of the same chunk: its words are counted once
        else:
            pieces.append(Piece(message.text, message.start, message.end))
        self.echo.said(message.text, message.end)
        if turn.phase != "speaking":
            turn.phase = "speaking"
            self.state.speaking = True
            if self.trace_audible:
                self.trace.emit("audible_start", turn.number, sample=message.start)

    def _on_reply_done(self, message: ReplyDone) -> None:
        turn = self._turn(message.turn, message.reply)
        if turn is None:
            return
        turn.sentences = message.sentences
        if message.stats:
            log.debug("turn %d: brain %s", turn.number, message.stats)
        if message.sentences == 0 and message.stop != "cancelled" and turn.speculation is None:
            self._drop(turn, "no_reply")
        self._tick()

    def _on_failure(self, message: StageFailed) -> None:
        self.failures += 1
        log.error("%s failed (turn %s): %s", message.stage, message.turn, message.error)
        turn = self.current
        failed_apology = turn is not None and turn.kind == "apology" and message.turn == turn.number
        if turn is not None and (message.turn is None or message.turn == turn.number):
            self.speaker.end_turn_and_flush(turn.number)
            self.trace.emit("turn_dropped", turn.number, reason=f"{message.stage} failed", error=message.error)
            turn.phase = "done"
            self._stop_speaking()
        if failed_apology:
            self._earcon(low=True)  # the voice itself is broken: a tone is all that can be said
        elif self.conversation.apology.strip():
            self._say_alone("apology", self.conversation.apology)

    # ------------------------------------------------------------------------------------------ time

    def _tick(self) -> None:
        turn = self.current
        if turn is None or turn.phase != "speaking" or turn.sentences is None:
            return
        if len(turn.spoken) < turn.sentences:
            return
        played = self.audio.playback_position()
        if played < turn.last_end:
            return
        heard = turn.heard(None)
        if self.trace_audible:
            self.trace.emit("audible_end", turn.number, sample=turn.last_end)
        self.trace.emit("reply_heard", turn.number, text=heard)
        log.info("turn %d: said %r", turn.number, heard)
        self._finish(turn, heard)
        self.turns.end(turn.number)

    def _finish(self, turn: Turn, heard: str) -> None:
        turn.phase = "done"
        self._stop_speaking()
        self.trim_at = self.now + round(TRIM_AFTER_S * SAMPLE_RATE)
        self.skills.last_reply = turn.heard(None) or self.skills.last_reply  # "say that again": all of it
        if turn.kind == "timer" and self.ringing is not None:
            self.ringing.next_at = self.now + round(RING_GAP_S * SAMPLE_RATE)
        self.completed += 1
        follow_up = round(self.conversation.follow_up_s * SAMPLE_RATE)
        self.state.awake_until = max(self.state.awake_until, self.audio.playback_position() + follow_up)
        if turn.kind == "user" and turn.user:
            self.to_brain(Remember(turn.user, heard))

    def _trim_heap(self) -> None:
        """A turn's freed memory back to the system while nothing goes on (assistant.heap), once per turn."""
        if self.trim_at is None or self.now < self.trim_at or not self.idle or self.ringing is not None:
            return
        self.trim_at = None
        took = self.heap.trim()
        log.debug("heap trimmed in %.1f ms (%d times, %.0f ms in all)", took * 1000, self.heap.count,
                  self.heap.seconds * 1000)

    def _drop(self, turn: Turn, reason: str) -> None:
        self.trace.emit("turn_dropped", turn.number, reason=reason)
        log.info("turn %d: dropped (%s)", turn.number, reason)
        if turn.phase == "speaking" or turn.speculation is not None:
            self.speaker.end_turn_and_flush(turn.number)
        else:
            self.turns.end(turn.number)
        turn.phase = "done"
        self._stop_speaking()
        self.trim_at = self.now + round(TRIM_AFTER_S * SAMPLE_RATE)

    def _stop_speaking(self) -> None:
        """The reply is over (played, interrupted, dropped): a duck it ended in must not mute the next one."""
        self.state.speaking = False
        self.ducked = False
        self.stop_checks = 0
        self._apply_gain()

    def _on_output_level(self, message: OutputLevel) -> None:
        lower = message.db < self.level_db
        self.level_db = message.db
        self._apply_gain()
        turn = self.current.number if self.current is not None else self.turns.current
        self.trace.emit("output_level", turn, sample=message.sample, db=message.db)
        if lower:
            log.info("the assistant's own voice clipped the microphone: output lowered to %+.0f dB", message.db)
        else:
            log.info("output level back up to %+.0f dB", message.db)

    def _apply_gain(self) -> None:
        down = self.ducked or self.stop_checks > 0
        volume = self.skills.volume
        ringing = self.current is not None and self.current.kind == "timer" and self.current.phase != "done"
        if ringing:  # a ring is heard however low the volume was turned for the evening
            volume = max(volume, self.conversation.ring_volume)
        db = self.level_db + volume_db(volume)
        self.audio.set_output_gain(10 ** (db / 20) * (self.duck_gain if down else 1.0))

    # ---------------------------------------------------------------------------------------- timers

    def _ring_timers(self) -> None:
        done = self.skills.due(self.now)
        for timer in done:
            self.trace.emit("timer", self.turns.current, sample=self.now, action="done", name=timer.name,
                            kind=timer.kind, seconds=timer.seconds)
            log.info("%s is done", timer.called)
        until = self.now + round(self.conversation.timer_ring_s * SAMPLE_RATE)
        if done and self.ringing is None:
            self.ringing = Ringing(done, until, next_at=self.now)
        elif done and self.ringing is not None:
            self.ringing.timers += done
            self.ringing.until = until
        ringing = self.ringing
        if ringing is None or not self.idle:
            return  # the user's turn or a reply first: the ring waits for the conversation to pause
        if self.now >= ringing.until:
            self._stop_ringing("nobody answered")
            return
        if self.now < ringing.next_at:
            return
        # No other ring before this one ends (_finish then sets the gap); one that never ends (its voice failed)
        # is the last.
        ringing.next_at = ringing.until
        turn = Turn(self.turns.open(), kind="timer", phase="thinking")
        self.current = turn
        self._apply_gain()  # at least conversation.ring_volume
        placed = self.speaker.play(turn.number, _chime(), SAMPLE_RATE)
        if placed is not None:
            self._on_queued(Queued(turn.number, 0, "", *placed, first=True, reply=turn.reply))
        turn.spoken.add(0)
        self._say(turn, self.skills.done_sentence(ringing.timers), first=1)

    def _stop_ringing(self, why: str) -> None:
        assert self.ringing is not None
        names = [t.name for t in self.ringing.timers]
        self.trace.emit("timer", self.turns.current, sample=self.now, action="stopped", names=names, why=why)
        log.info("timers %s stopped ringing: %s", names, why)
        self.ringing = None

    def _earcon(self, low: bool = False) -> None:
        t = np.arange(round(0.06 * SAMPLE_RATE)) / SAMPLE_RATE
        tones = [np.sin(2 * np.pi * (hz / (2 if low else 1)) * t) for hz in EARCON_HZ]
        fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.005)
        pcm = np.concatenate([tone * fade for tone in tones]) * 0.25
        self.speaker.play(None, pcm.astype(np.float32), SAMPLE_RATE)


def _chime() -> np.ndarray:
    """Four bell strokes, 0.8 s: a sound nobody takes for speech (nor for the earcon)."""
    stroke = round(0.2 * SAMPLE_RATE)
    t = np.arange(stroke) / SAMPLE_RATE
    decay = np.exp(-t / 0.06) * np.minimum(1.0, t / 0.003)
    strokes = [(np.sin(2 * np.pi * hz * t) + 0.3 * np.sin(4 * np.pi * hz * t)) * decay for hz in CHIME_HZ]
    return (np.concatenate(strokes) * 0.3).astype(np.float32)
