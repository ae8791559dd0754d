"""Turn numbers and the little state the controller shares with the listener.

A turn is one exchange: the user's speech, the transcript, the reply. Opening a turn ends the previous one,
and ending a turn sets its cancel event, so the LLM stops between two tokens and every worker drops the
turn's remaining messages. A turn's reply may also be taken back without ending the turn (`retract`: a
reply started speculatively on a partial transcript, before the user had finished): the reply attempt's own
cancel event is set and a new attempt begins, and the workers drop the old attempt's messages. The speaker
gate makes "is the turn live? then play" and "end the turn and flush" mutually exclusive, so no chunk of an
ended reply can slip into the speaker after the flush.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


class Turns:
    """The current turn number and a cancel event per turn (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = 0
        self._live = False
        self._cancel: dict[int, threading.Event] = {}  # per turn: the cancel event of its current reply attempt
        self._reply: dict[int, int] = {}  # per turn: the current reply attempt

    @property
    def current(self) -> int:
        return self._current

    def open(self) -> int:
        """Start a new turn (ending the current one); returns its number."""
        with self._lock:
            self._end(self._current)
            self._current += 1
            self._live = True
            self._cancel[self._current] = threading.Event()
            self._reply[self._current] = 0
            # Old turns' events are only needed while their workers may still be on them.
            for old in [t for t in self._cancel if t < self._current - 8]:
                del self._cancel[old], self._reply[old]
            return self._current

    def retract(self, turn: int) -> int:
        """Take back the reply of live `turn` so far (its workers stop and drop it); returns the new attempt."""
        with self._lock:
            if turn not in self._reply:
                return 0
            self._cancel[turn].set()
            if turn == self._current and self._live:
                self._cancel[turn] = threading.Event()
            self._reply[turn] += 1
            return self._reply[turn]

    def reply(self, turn: int) -> int:
        """The current reply attempt of `turn`."""
        return self._reply.get(turn, 0)

    def end(self, turn: int) -> None:
        """End `turn` if it is the current one (a late call for an older turn does nothing)."""
        with self._lock:
            self._end(turn)

    def _end(self, turn: int) -> None:
        if turn == self._current:
            self._live = False
        event = self._cancel.get(turn)
        if event is not None:
            event.set()

    def is_live(self, turn: int, reply: int | None = None) -> bool:
        """`turn` is the current one and has not ended (and `reply`, if given, is its current attempt)."""
        return self._live and turn == self._current and (reply is None or reply == self._reply.get(turn))

    def cancelled(self, turn: int, reply: int = 0) -> threading.Event:
        """Set once `turn` has ended or attempt `reply` was retracted (an unknown one gets a set event)."""
        with self._lock:
            event = self._cancel.get(turn)
            if event is None or reply != self._reply.get(turn):
                event = threading.Event()
                event.set()
            return event


@dataclass
class ListenState:
    """What the controller tells the listener and the audio thread (plain attributes: one writer, reads of a single
    value)."""

    speaking: bool = False  # a reply is queued or playing: speech now is a barge-in
    awake_until: int = 0  # microphone sample until which no wake word is needed (follow-up window)


class Partial:
    """The streaming recognizer's latest partial text of the open turn (written by STT, read by the listener).

    One tuple, replaced whole: a reader never sees one turn's number with another turn's text.
    """

    def __init__(self) -> None:
        self._value: tuple[int, str] = (0, "")

    def set(self, turn: int, text: str) -> None:
        self._value = (turn, text)

    def of(self, turn: int) -> str:
        owner, text = self._value
        return text if owner == turn else ""
