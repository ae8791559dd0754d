"""The conversation in text, for `assistant chat`: a typed line is taken as the voice assistant takes a final
transcript (assistant.conversation.controller), without the audio.

A stop phrase asks for nothing; a skill answers on the device, doing what it asks (a timer set here rings here,
as a line of text); anything else goes to the brain, whose reply comes in pieces as it is generated. Every turn
is remembered by the brain, a skill's too, as the voice's are.

What is set here lasts for the chat. The running assistant keeps its own timers, lists and conversation memory
in its state folder and does not see these: two processes writing one file would each lose the other's changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from assistant.conversation.skills import Skills
from assistant.speech.spotting import match_stop_phrase

if TYPE_CHECKING:
    from assistant.config import Config
    from assistant.conversation.brain import Brain

SAMPLE_RATE = 16000  # the skills count time in samples of the microphone's rate


class TypedConversation:
    """The skills and the brain behind a text prompt. `reply` and `remember` are called by one thread;
    `rings` may be called from another (a lock keeps the skills to one at a time)."""

    def __init__(
        self,
        config: Config,
        brain: Brain,
        *,
        clock: Callable[[], datetime] = datetime.now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.brain = brain
        self.stop_phrases = config.conversation.stop_phrases
        self.skills = Skills(config.conversation.skills, clock, location=config.general.location)
        self._monotonic = monotonic
        self._started = monotonic()
        self._lock = threading.Lock()

    def is_stop(self, text: str) -> bool:
        """Whether `text` only asks the assistant to stop (it has nothing to stop when typed to)."""
        return match_stop_phrase(text, self.stop_phrases) is not None

    def reply(self, text: str, cancel: threading.Event) -> Iterator[str]:
        """The reply to `text`: a skill's answer in one piece, else the brain's as it comes (stops on `cancel`)."""
        with self._lock:
            answer = self.skills.answer(text, self._now())
        if answer is not None:
            yield answer.text
            return
        yield from self.brain.reply(text, cancel)

    def remember(self, user: str, shown: str) -> None:
        """A finished turn: what the user typed and the part of the reply that was shown."""
        with self._lock:
            self.skills.last_reply = shown or self.skills.last_reply  # for "say that again"
        self.brain.remember(user, shown)

    def rings(self) -> str | None:
        """What to say for the timers, alarms and reminders that ran out since the last call, if any."""
        with self._lock:
            done = self.skills.due(self._now())
            if not done:
                return None
            self.skills.last_reply = self.skills.done_sentence(done)
            return self.skills.last_reply

    def _now(self) -> int:
        return round((self._monotonic() - self._started) * SAMPLE_RATE)
