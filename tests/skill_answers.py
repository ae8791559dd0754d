"""One question to the skills at a moment, for the tests of each skill."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from assistant.conversation.skills import SKILLS, Skills


def answer_at(text: str, now: datetime, intent: str, location: Sequence[float] = ()) -> str | None:
    """What fresh skills (all on, their alarms on the given clock) say to `text` at `now`, else None. A reply of
    another intent than `intent` fails the test: the question reached the wrong skill."""
    reply = Skills(SKILLS, clock=lambda: now, follow_wall_clock=False, location=location).answer(text, 0)
    assert reply is None or reply.intent == intent, reply
    return None if reply is None else reply.text
