"""Self-echo guard: a transcript of the assistant's own voice (echo the canceller missed) is not a user turn.

The guard remembers the sentences the assistant played, with the speaker-clock sample where each ended, for
`window_s`. A transcript is echo when its words, normalized as for WER (case, punctuation, "25" = "twenty
five"), are found in order in that recent speech with few errors: the word-level edit distance between the
transcript and the best-matching stretch of the recent speech (approximate substring matching, Sellers 1980:
the stretch may start and end anywhere) is at most 30% of the transcript's words (`min_similarity` 0.7).
Recognition errors are thus forgiven ("many people don't think about them as dinosaurs because they have
feathers" heard with "is" for "as" and "fathers" for "feathers"), while words of the reply scattered over
it are not echo. 0.7 rather than 0.6: a user's follow-up often repeats a few words of the reply, and at 0.6
"why do they have feathers" (after "...because they have feathers") would be taken for echo and ignored.
Transcripts of one to three words must match exactly (a single word: one word of the reply).

Pure Python; one owner (no locking): the listener asks, the thread that knows what was played tells.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from assistant.text_norm import normalized_words

_MAX_SENTENCES = 1000


@dataclass(frozen=True)
class _Said:
    end_sample: int
    words: tuple[str, ...]


def match_similarity(heard: list[str], said: list[str]) -> float:
    """1 - (fewest word edits turning `heard` into some contiguous stretch of `said`) / len(heard); 0 if empty."""
    if not heard or not said:
        return 0.0
    # Sellers' DP: rows over `heard`, columns over `said`; row 0 is all zeros because the match may start at
    # any word of `said`, and the answer is the minimum of the last row because it may end at any word.
    previous = [0] * (len(said) + 1)
    for i, word in enumerate(heard, start=1):
        current = [i]
        for j, spoken in enumerate(said, start=1):
            current.append(min(
                previous[j - 1] + (word != spoken),  # match or substitution
                previous[j] + 1,  # a heard word that was not said (an insertion by the recognizer)
                current[j - 1] + 1,  # a said word that was not heard
            ))
        previous = current
    return 1.0 - min(previous) / len(heard)


class EchoGuard:
    """Recognizes transcripts of what the assistant itself said within the last `window_s` seconds."""

    def __init__(self, window_s: float = 8.0, sample_rate: int = 16000, *, min_similarity: float = 0.7) -> None:
        if window_s <= 0 or sample_rate <= 0:
            raise ValueError(f"window_s and sample_rate must be positive, got {window_s} and {sample_rate}")
        if not 0.0 < min_similarity <= 1.0:
            raise ValueError(f"min_similarity must be in (0, 1], got {min_similarity}")
        self.window_samples = round(window_s * sample_rate)
        self.min_similarity = min_similarity
        # Sentences are forgotten by the clock in is_echo (a sentence told before it has finished playing must
        # not push out others still in the window); the cap only bounds a guard that is never asked.
        self._said: deque[_Said] = deque(maxlen=_MAX_SENTENCES)

    def __len__(self) -> int:
        """The number of sentences still remembered."""
        return len(self._said)

    def said(self, text: str, end_sample: int) -> None:
        """The assistant played `text`; its last sample left the speaker at `end_sample`."""
        words = tuple(normalized_words(text))
        if words:
            self._said.append(_Said(end_sample, words))

    def is_echo(self, transcript: str, now_sample: int) -> bool:
        """Whether `transcript` is (mostly) what the assistant said in the window before `now_sample`."""
        self._forget_before(now_sample - self.window_samples)
        heard = normalized_words(transcript)
        if not heard:
            return False
        # In the order played (a transcript may run across the end of one sentence into the next).
        recent = [w for s in sorted(self._said, key=lambda s: s.end_sample) for w in s.words]
        return match_similarity(heard, recent) >= self.min_similarity

    def _forget_before(self, oldest_end: int) -> None:
        if any(s.end_sample < oldest_end for s in self._said):
            self._said = deque((s for s in self._said if s.end_sample >= oldest_end), maxlen=_MAX_SENTENCES)
