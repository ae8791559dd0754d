"""The listener: from clean microphone blocks to turns (VAD, wake word, endpointing, barge-in, ducking).

It runs in its own thread and owns its engines (Silero VAD with its segmenter, openWakeWord). It opens a turn when
speech starts and no wake word is needed (none configured, or within the follow-up window, or just after one was
heard: the command, in one breath with the word or after a pause for the earcon, is speech of its own, and a turn
that began with the word is dropped for it), sends the turn's audio (with the pre-roll, never reaching back into
the wake word) to speech-to-text, and closes the turn after the silence the endpoint policy asks for given the
partial transcript so far, or at the maximum length. Once the user has paused for conversation.speculate_ms it
tells speech-to-text (Paused), which finalizes early so that the reply can start during the rest of the hangover;
if the user goes on, it says so (Resumed) and the early transcript and reply are taken back.

While the assistant speaks, its own echo is told from the user's voice by level (doubletalk.DoubleTalkGate),
and speech is an interruption: the reply ducks at the first window scored as speech,
comes back if the candidate dies out (a cough, a door), and a turn opens (a barge-in) once speech has lasted
conversation.min_barge_in_ms and a VAD stream started afresh at the sound has heard speech in it too
(fresh_ears.FreshEars: the listener's own stream, primed by the reply, takes steady noise for speech; the reply
stays down while the fresh one makes up its mind). A sound that ducked the reply but did not last that long
goes to the recognizer first (StopCheck): a stop phrase ("stop", "pause") ends the reply however short it is
(speech.spotting). If the reply's echo clips the microphone, it asks for a lower output level (headroom.EchoHeadroom).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Literal

import numpy as np

from assistant.config import Config
from assistant.conversation.doubletalk import ACTIVE_DB, DoubleTalkGate, level_db
from assistant.conversation.endpoint import EndpointPolicy
from assistant.conversation.fresh_ears import FreshEars
from assistant.conversation.headroom import EchoHeadroom
from assistant.conversation.messages import (
    CleanBlock,
    Clock,
    Duck,
    OutputLevel,
    Paused,
    Resumed,
    StopCheck,
    TurnAudio,
    TurnClosed,
    TurnEnded,
    TurnStarted,
    WakeHeard,
)
from assistant.conversation.trace import Trace
from assistant.conversation.turns import ListenState, Partial, Turns
from assistant.speech.vad import SAMPLE_RATE, Reframer, SpeechEnd, SpeechSegmenter, SpeechStart, VadEvent, VoiceActivity
from assistant.speech.wake import WakeWord

log = logging.getLogger(__name__)

CLOCK_EVERY = 5  # blocks between two Clock messages to the controller
WAKE_WINDOW_S = 5.0  # after the wake word alone, the user has this long to start speaking
WAKE_WORD_MAX = round(2.0 * SAMPLE_RATE)  # a turn whose speech began this shortly before a wake word began with it
EARCON_AHEAD = round(1.0 * SAMPLE_RATE)  # the earcon plays this soon after the wake word, or not at all
DUCK_HOLD = round(0.3 * SAMPLE_RATE)  # samples a duck outlasts the candidate that caused it ...
DUCK_HOLD_MAX = round(0.6 * SAMPLE_RATE)  # ... or, while a voice may be building up under it, at most this many
# Each early finish costs a final decode (and, if the user goes on, decoding the turn again): a speaker who
# keeps pausing gets early replies for the first few pauses only, so a slow board's recognizer cannot fall behind.
MAX_EARLY_PER_TURN = 3
HISTORY_S = 2.0  # audio kept for the pre-roll: more than pre_roll_ms + min_speech_ms can ask for
STOP_CHECK_MAX = round(1.5 * SAMPLE_RATE)  # the longest sound checked for a stop phrase (a duck can go on)
# Speech over the reply that the fresh stream has not heard yet keeps the reply ducked until this long after it
# began (then DUCK_HOLD): in the bench, users it heard later than the primed stream were heard 0.1 s later.
UNHEARD_HOLD = round(0.3 * SAMPLE_RATE)

Send = Callable[[object], None]


class Listener:
    """Feed it every clean block in order (`process`); it sends TurnAudio/TurnClosed to STT and events to
    the controller."""

    def __init__(
        self,
        config: Config,
        vad: VoiceActivity,
        segmenter: SpeechSegmenter,
        wake: WakeWord | None,
        *,
        turns: Turns,
        state: ListenState,
        partial: Partial,
        to_stt: Send,
        to_controller: Send,
        trace: Trace,
        fresh_vad: VoiceActivity | None = None,
    ) -> None:
        """`fresh_vad`: a second stream for FreshEars (e.g. `SileroVad.fork()`), when conversation.confirm_barge_in."""
        self.vad = vad
        self.segmenter = segmenter
        self.gate = DoubleTalkGate.from_config(config, window_ms=1000 * vad.window / SAMPLE_RATE)
        self._canceller_restarts = 0  # the front-end's, as last seen: a new one restarts the gate's echo model
        self._windows = Reframer(vad.window)
        self._references = Reframer(vad.window)
        self._mics = Reframer(vad.window)
        self._ref_missing = False  # the last block's reference was incomplete (CleanBlock.ref_missing)
        self.wake = wake
        self.headroom = EchoHeadroom.from_config(config)
        self.policy = EndpointPolicy(config)
        self.turns = turns
        self.state = state
        self.partial = partial
        self.to_stt = to_stt
        self.to_controller = to_controller
        self.trace = trace
        self.min_speech = segmenter.min_speech
        self.min_barge_in = round(config.conversation.min_barge_in_ms * SAMPLE_RATE / 1000)
        self.max_turn = round(config.conversation.max_utterance_s * SAMPLE_RATE)
        self.barge_in_enabled = config.conversation.barge_in
        self.speculate = round(config.conversation.speculate_ms * SAMPLE_RATE / 1000)
        self._paused = False  # a Paused was sent for the open turn's current pause
        self._pauses = 0  # Paused sent in the open turn
        self._history: deque[CleanBlock] = deque()
        self._history_samples = 0
        self._blocks = 0
        self._turn: int | None = None  # the open turn
        self._turn_start = 0  # where the open turn's audio begins
        self._turn_speech = 0  # where its speech began
        self._wake_until = 0  # a wake word was heard: speech before this sample opens a turn
        self._wake_at = 0  # where the last wake word was heard: a turn's audio starts after it
        self.earcon = config.conversation.earcon
        self._earcon: Literal["ahead", "playing"] | None = None  # the earcon after a wake word (see _earcon_reference)
        self._earcon_by = 0  # the sample by which the earcon ahead has begun to play, or never will
        self._silence = np.zeros(vad.window, dtype=np.int16)
        self._ducked = False
        self._duck_from = 0  # where the candidate that started the current duck began
        self._candidate_seen = 0
        self._duck_heard = 0  # when the microphone hears the duck: a sound server plays it that much later
        self.fresh = FreshEars(fresh_vad) if fresh_vad is not None and config.conversation.confirm_barge_in else None
        self._unheard: SpeechStart | None = None  # speech over the reply the fresh stream has not heard yet
        # A list: per VAD window, the fresh stream's probability (None: it was not listening), beside the gate's
        # record of the listener's own (`assistant bench bargein --gate-log`).
        self.fresh_record: list[float | None] | None = None
        self.check_stop_phrases = bool(config.conversation.stop_phrases) and self.barge_in_enabled

    # ------------------------------------------------------------------------------------------ blocks

    def process(self, block: CleanBlock) -> None:
        end = block.sample + len(block.pcm)
        self._remember(block)
        speaking = self.state.speaking
        self.vad.reset_when_quiet = not speaking
        # An interruption must last longer than a cough; an ordinary turn only needs the VAD's minimum.
        self.segmenter.min_speech = self.min_barge_in if speaking else self.min_speech
        hangover = self.policy.hangover_ms(self.partial.of(self._turn)) if self._turn is not None else None
        events = self._speech_events(block, hangover)
        if self.wake is not None:
            for detection in self.wake.feed(block.pcm):
                self._on_wake(detection.word, detection.score, end)
        if self._turn is not None:
            self.to_stt(TurnAudio(self._turn, block.pcm, first=False))
        for event in events:
            if isinstance(event, SpeechStart):
                self._on_speech_start(event, end)
            elif isinstance(event, SpeechEnd) and self._turn is not None:
                self._close(event.decided_at, event.sample, "silence", hangover)
        if self._unheard is not None:
            self._hear_out(end)
        if self._turn is not None and end - self._turn_start >= self.max_turn:
            self._close(end, end, "max_length", None)
        if self._turn is not None and self.speculate:
            self._pause(self._turn, end)
        self._duck(speaking, end, block.playback_delay)
        self._watch_headroom(block, speaking, end)
        self._blocks += 1
        if self._blocks % CLOCK_EVERY == 0:
            self.to_controller(Clock(end))

    def _speech_events(self, block: CleanBlock, hangover: int | None) -> list[VadEvent]:
        """VAD windows of the block, with windows that are only our own echo scored as silence."""
        if block.canceller_restarts != self._canceller_restarts:
            self._canceller_restarts = block.canceller_restarts
            self.gate.canceller_restarted(block.canceller_reach_ms)
        events: list[VadEvent] = []
        threshold = self.segmenter.threshold
        now = block.sample + len(block.pcm)
        missing = self._ref_missing or block.ref_missing  # the window holds the rest of the last block too
        for window, mic, reference in zip(
            self._windows.blocks(block.pcm), self._mics.blocks(block.mic), self._references.blocks(block.ref),
            strict=True,
        ):
            if self._earcon is not None:
                reference = self._earcon_reference(reference, now)
            p = self.gate.probability(window, mic, reference, self.vad.probability(window), threshold,
                                      delay_known=block.delay_known, reference_missing=missing)
            missing = block.ref_missing
            events += self.segmenter.push(p, hangover_ms=hangover)
            fresh_p = None
            if self.fresh is not None:
                over_reply = self.state.speaking and (self.segmenter.candidate is not None or self.segmenter.speaking)
                sound = self._turn is None and (over_reply or self._unheard is not None)
                fresh_p = self.fresh.push(window, p, threshold, sound=sound)
            if self.fresh_record is not None:
                self.fresh_record.append(fresh_p)
        self._ref_missing = block.ref_missing
        return events

    def _earcon_reference(self, reference: np.ndarray, now: int) -> np.ndarray:
        """The reference window the double-talk gate gets while the earcon is ahead or playing: silence. The
        earcon is a tone, which Silero does not take for speech, and the gate must not take it for a reply: the
        echo of the first earcons, which the canceller passes almost whole, stood as loud as the user's voice,
        and the command said after it was refused for 2 s as the reply's lingering echo."""
        if self._earcon == "ahead" and now > self._earcon_by:
            self._earcon = None  # it did not play (flushed, or it failed)
            return reference
        if self.state.speaking:  # a reply plays: our voice
            return reference
        if level_db(reference) >= ACTIVE_DB:
            self._earcon = "playing"
        elif self._earcon == "playing":
            self._earcon = None  # it has played
            return reference
        return self._silence

    def _remember(self, block: CleanBlock) -> None:
        self._history.append(block)
        self._history_samples += len(block.pcm)
        while self._history_samples - len(self._history[0].pcm) >= HISTORY_S * SAMPLE_RATE:
            self._history_samples -= len(self._history.popleft().pcm)

    def _audio_since(self, sample: int) -> np.ndarray:
        parts = [b.pcm[max(0, sample - b.sample) :] for b in self._history if b.sample + len(b.pcm) > sample]
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)

    # ------------------------------------------------------------------------------------------ events

    def _awake(self, now: int) -> bool:
        return self.wake is None or now < self.state.awake_until or now < self._wake_until

    def _on_speech_start(self, event: SpeechStart, now: int) -> None:
        if self._turn is not None:
            return
        barge_in = self.state.speaking
        if barge_in and not self.barge_in_enabled:
            return
        if barge_in and self.fresh is not None and not self.fresh.heard:
            self._unheard = event
            return
        if not (barge_in or self._awake(now)):
            return
        self._open(now, event.sample, max(event.audio_from, self._wake_at), barge_in)

    def _hear_out(self, now: int) -> None:
        """Speech over the reply that the fresh stream had not heard: it interrupts once it does (a turn as any
        other if the reply ended meanwhile: a tap left running as the reply ends is not a question); it is
        forgotten when it ends unheard."""
        assert self._unheard is not None and self.fresh is not None
        event = self._unheard
        if not self.segmenter.speaking:
            self._unheard = None
            self.trace.emit("not_speech", self.turns.current, sample=now, speech_t=round(event.sample / SAMPLE_RATE, 4))
        elif self.fresh.heard:
            self._unheard = None
            self._on_speech_start(event, now)

    def _on_wake(self, word: str, score: float, now: int) -> None:
        self.trace.emit("wake", self.turns.current, sample=now, word=word, score=round(score, 3))
        self.to_controller(WakeHeard(word, score, now))  # which ends a reply that plays
        if self._turn is not None:
            if now - self._turn_speech > WAKE_WORD_MAX:
                return  # said in the middle of a turn, which goes on
            # The turn began with the wake word (it interrupted a reply, or came in the follow-up window): what
            # the user says after it is the turn, not the wake word with it ("hey jarvis, stop" was no stop
            # phrase). The reply it interrupted stays interrupted.
            self._close(now, now, "wake_word", None)
        self.gate.user_turn_opened()  # what follows is theirs, not a tail of the reply
        if self.earcon:
            # The controller plays it now: the next sound from the speaker, unless it never comes.
            self._earcon, self._earcon_by = "ahead", now + EARCON_AHEAD
        self._wake_at, self._wake_until = now, now + round(WAKE_WINDOW_S * SAMPLE_RATE)
        # The wake word's own speech is over: the command, in one breath with it or after a pause (for the
        # earcon), is speech of its own and opens the turn where it begins. (A turn opened at the wake word held
        # only the word's tail when the user paused: dropped as empty, it had used up the wake word.)
        self.segmenter.drop_speech()

    def _open(self, now: int, speech_sample: int, audio_from: int, barge_in: bool) -> None:
        turn = self.turns.open()
        self.gate.user_turn_opened()
        self._turn, self._turn_start, self._turn_speech, self._wake_until = turn, audio_from, speech_sample, 0
        self._unheard = None
        self._paused, self._pauses = False, 0
        self.trace.emit("vad_start", turn, sample=now, speech_t=round(speech_sample / SAMPLE_RATE, 4))
        self.to_controller(TurnStarted(turn, now, speech_sample, barge_in))
        self.to_stt(TurnAudio(turn, self._audio_since(audio_from), first=True))
        self._ducked = False

    def _close(self, now: int, speech_end: int, reason: str, hangover: int | None) -> None:
        turn = self._turn
        assert turn is not None
        self._turn = None
        hangover_ms = hangover if hangover is not None else 0
        self.trace.emit("turn_end", turn, sample=now, reason=reason, hangover_ms=hangover_ms)
        self.to_stt(TurnClosed(turn))
        self.to_controller(TurnEnded(turn, now, speech_end, reason, hangover_ms))

    def _pause(self, turn: int, now: int) -> None:
        """Paused once the open turn's silence reaches speculate_ms; Resumed if the user speaks again before
        the turn closes."""
        silence_from = self.segmenter.silence_from
        if silence_from is None:
            if self._paused:
                self._paused = False
                self.to_stt(Resumed(turn, now))
        elif not self._paused and self._pauses < MAX_EARLY_PER_TURN and now - silence_from >= self.speculate:
            self._paused = True
            self._pauses += 1
            self.to_stt(Paused(turn, now))

    def _watch_headroom(self, block: CleanBlock, speaking: bool, now: int) -> None:
        ref_peak = max(int(block.ref.max()), -int(block.ref.min()))
        mic_peak = max(int(block.mic.max()), -int(block.mic.min()))
        echo_only = self._turn is None and not self._ducked
        level = self.headroom.observe(
            mic_peak, ref_peak, len(block.pcm), speaking=speaking, echo_only=echo_only, now=now
        )
        if level is not None:
            self.to_controller(OutputLevel(level, now))

    def _duck_over(self, now: int) -> bool:
        """Whether a duck whose candidate died out has been held long enough. A voice that our fading echo masked
        stands only a little above it, and the gate's evidence for it adds up over a few windows: the duck waits
        for that, up to DUCK_HOLD_MAX ("skip ... on TV" in speechbrain_rir3 at 0 dB, the echo 200 ms late: "on TV"
        passed one window after DUCK_HOLD and the reply, back over it, went on 775 ms; 205 ms held for it)."""
        held = now - max(self._candidate_seen, self._duck_heard)
        return held >= DUCK_HOLD_MAX or (held >= DUCK_HOLD and not self.gate.voice_building)

    def _duck(self, speaking: bool, now: int, playback_delay: int) -> None:
        """Duck at the first sign of speech over a reply; undo it when the candidate died out, and ask the
        recognizer whether the sound was a stop phrase (the controller keeps the reply down until it answers).
        `playback_delay`: samples from playing to hearing (the front-end's)."""
        if not speaking or self._turn is not None:
            self._ducked = False
            return
        candidate = self.segmenter.candidate
        if candidate is None and self._unheard is not None and now - self._unheard.sample < UNHEARD_HOLD:
            candidate = self._unheard.sample
        if candidate is not None:
            self._candidate_seen = now
            if not self._ducked:
                self._ducked = True
                self._duck_from = candidate
                self._duck_heard = now + playback_delay
                self.to_controller(Duck(True, now))
        elif self._ducked and self._duck_over(now):
            # Held a moment: with the reply silent its echo dies away, and a voice that was masked by it
            # shows as a new candidate before the reply comes back. The moment counts from when the microphone
            # hears the duck: behind a sound server a voice that paused between two words before then had the
            # quiet only after the hold was over ("skip ... on TV" in the seminar room, the echo 200 ms late: the
            # reply came back over "on TV" and went on 695 ms; 163 ms held from then).
            self._ducked = False
            checking = self.check_stop_phrases
            if checking:
                start = max(self._duck_from - self.segmenter.pre_roll, now - STOP_CHECK_MAX)
                self.to_stt(StopCheck(self.turns.current, self._audio_since(start), now))
            self.to_controller(Duck(False, now, checking=checking))
