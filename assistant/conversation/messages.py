"""The messages that travel on the pipeline's queues, one frozen dataclass per kind.

Every message about a turn carries its number: a worker drops the messages of a turn that has ended (a
barge-in, a newer turn), so nothing of an old reply is said after the user has moved on. Sample positions
are on the 16 kHz audio clocks of `assistant.audio.io` (microphone and speaker advance together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.speech.stt import Transcript

# ------------------------------------------------------------------------------------ audio -> listener


@dataclass(frozen=True, eq=False)
class CleanBlock:
    """One block of echo-cancelled microphone audio, the raw block it came from, its reference, and where it
    starts on the microphone clock."""

    pcm: np.ndarray  # int16, audio.block_ms long
    mic: np.ndarray  # int16: the same block as captured, before the front-end (its level, its clipping)
    ref: np.ndarray  # int16: what the speaker played, delayed to line up with its echo in `mic`
    sample: int
    canceller_restarts: int  # times the front-end's echo canceller started over so far
    canceller_reach_ms: float  # how far into the echo the present one reaches (AudioFrontEnd)
    delay_known: bool = True  # False: the playback delay is still being measured (`ref` may run ahead of its echo)
    playback_delay: int = 0  # samples from playing a block to hearing it (AudioFrontEnd.playback_delay)
    ref_missing: bool = False  # part of `ref` never arrived: the echo in `mic` is of something unknown


# ------------------------------------------------------------------------------------- listener -> stt


@dataclass(frozen=True, eq=False)
class TurnAudio:
    """Speech of an open turn, in order; the first one of a turn includes the pre-roll."""

    turn: int
    pcm: np.ndarray
    first: bool


@dataclass(frozen=True)
class TurnClosed:
    """The listener ended the turn: the recognizer finalizes what it was fed."""

    turn: int


# ------------------------------------------------------------------------------ anyone -> controller


@dataclass(frozen=True)
class Clock:
    """The microphone clock reached `sample` (sent every few blocks: the controller's sense of time)."""

    sample: int


@dataclass(frozen=True)
class WakeHeard:
    """The listener heard a wake word (listener -> controller): a reply that plays ends, the earcon confirms it,
    and the command said next opens a turn."""

    word: str
    score: float
    sample: int


@dataclass(frozen=True)
class TurnStarted:
    """The listener opened turn `turn`: speech began at `speech_sample`, decided at `sample`."""

    turn: int
    sample: int
    speech_sample: int
    barge_in: bool  # the assistant was speaking: this turn interrupts it


@dataclass(frozen=True)
class TurnEnded:
    """The listener closed the turn: `reason` is "silence" (after `hangover_ms`), "max_length", or "wake_word"
    (it began with a wake word, heard only now: the command after it opens a turn of its own)."""

    turn: int
    sample: int
    speech_end_sample: int
    reason: str
    hangover_ms: int


@dataclass(frozen=True)
class Paused:
    """The user of the open turn has been silent for conversation.speculate_ms (listener -> STT): the
    recognizer gives its final transcript of the audio so far (an early Heard), on which the reply may start."""

    turn: int
    sample: int


@dataclass(frozen=True)
class Resumed:
    """The user went on speaking after a Paused (listener -> STT -> controller): the early transcript, and
    any reply started on it, are taken back."""

    turn: int
    sample: int


@dataclass(frozen=True)
class Duck:
    """A possible interruption: lower the reply (on) or bring it back (off: it was not speech long enough).

    `checking`: the sound went to the recognizer (StopCheck) to find out whether it was a stop phrase; the
    reply stays down until the answer (StopHeard), for at most controller.STOP_CHECK_HOLD."""

    on: bool
    sample: int
    checking: bool = False


@dataclass(frozen=True, eq=False)
class StopCheck:
    """Listener -> STT: a sound too short to interrupt `turn`'s reply; was it a stop phrase?"""

    turn: int  # the turn whose reply it ducked
    pcm: np.ndarray
    sample: int  # where it ends


@dataclass(frozen=True)
class StopHeard:
    """STT -> controller: the answer to a StopCheck (`phrase` None: it was not one)."""

    turn: int
    phrase: str | None
    sample: int


@dataclass(frozen=True)
class OutputLevel:
    """The assistant's echo clipped the microphone (lower), or had room to spare (higher): the output level."""

    db: float
    sample: int


@dataclass(frozen=True)
class Heard:
    """The final transcript of a turn (`early`: of the turn so far, sent while the user pauses)."""

    turn: int
    transcript: Transcript
    finish_s: float  # wall time in the recognizer's finish(): the part of its work that came after the speech
    early: bool = False


@dataclass(frozen=True)
class ReplyDone:
    """The brain has sent every sentence of the reply (`sentences` of them)."""

    turn: int
    sentences: int
    stop: str  # end, max_tokens, cancelled
    stats: dict[str, Any] = field(default_factory=dict)
    reply: int = 0  # the turn's reply attempt (see turns.Turns.retract)


@dataclass(frozen=True)
class Queued:
    """Synthesized audio of sentence `index` will play from `start` to `end` on the speaker clock."""

    turn: int
    index: int
    text: str  # the part of the sentence this audio says (the whole sentence, for every engine here)
    start: int
    end: int
    first: bool  # the first audio of the turn
    reply: int = 0
    # A later piece of the same synthesized chunk (its words are counted with the first piece's): it may not start
    # where that one ended, a sound card's input and output clocks being two.
    continued: bool = False


@dataclass(frozen=True)
class Spoken:
    """Every chunk of sentence `index` has been queued (or it was dropped: `dropped`)."""

    turn: int
    index: int
    dropped: bool = False
    reply: int = 0


@dataclass(frozen=True)
class StageFailed:
    """A stage raised while working on `turn` (None: outside a turn), or hung."""

    stage: str
    turn: int | None
    error: str


# --------------------------------------------------------------------------- controller -> workers


@dataclass(frozen=True)
class Prompt:
    """Reply to what the user said (`reply`: the attempt; a speculative one may be retracted), spoken at `speed`."""

    turn: int
    text: str
    reply: int = 0
    speed: float = 1.0  # times the configured speed of the voice (the speed skill's)


@dataclass(frozen=True)
class Remember:
    """The turn is over: keep it in the history as the user heard it."""

    user: str
    heard: str


@dataclass(frozen=True)
class Say:
    """Speak `text` as sentence `index` of `turn` (a reply sentence, the greeting, an apology) at `speed`."""

    turn: int
    index: int
    text: str
    reply: int = 0
    speed: float = 1.0  # times the configured speed of the voice
