"""Stop phrases: "stop", "pause", "wait" said over a reply, heard by the recognizer rather than by duration.

A one-word command is too short to interrupt by the listener's usual rule (speech lasting
conversation.min_barge_in_ms, which a cough must not reach): Silero scores "pause" said over a reply >= 0.5 for
about 64 ms. Such a sound only ducks the reply; the recognizer then transcribes the ducked sound, and a stop
phrase (conversation.stop_phrases) ends the reply. A whole turn that says nothing but a stop phrase is not
answered either.

`match_stop_phrase` decides on a transcript: the phrase, with nothing else but a few words that do not change
what it asks ("okay, stop it please"). "Cancel the timer" is a command for the brain, not a stop phrase, and
our own echo, transcribed, is a stretch of the reply rather than a lone phrase.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from assistant.text_norm import normalized_words

if TYPE_CHECKING:
    from assistant.speech.stt import Recognizer

# Words that may come with a stop phrase without making it something else (normalized forms).
_ALONG = frozenset({"okay", "please", "now", "it", "just", "oh", "hey", "right", "thanks", "thank", "you"})


def match_stop_phrase(text: str, phrases: Sequence[str]) -> str | None:
    """The phrase of `phrases` that `text` says, alone or with a few words of _ALONG; else None."""
    heard = normalized_words(text)
    for phrase in phrases:
        wanted = normalized_words(phrase)
        if not wanted:
            continue
        for start in range(len(heard) - len(wanted) + 1):
            if heard[start : start + len(wanted)] == wanted:
                rest = heard[:start] + heard[start + len(wanted) :]
                if all(word in _ALONG for word in rest):
                    return phrase
    return None


def spot_stop_phrase(recognizer: Recognizer, pcm: np.ndarray, phrases: Sequence[str]) -> str | None:
    """Transcribe `pcm` as one utterance and match it (the recognizer must not be inside another utterance)."""
    recognizer.begin()
    recognizer.feed(pcm)
    return match_stop_phrase(recognizer.finish().text, phrases)
