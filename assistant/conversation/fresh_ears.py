"""A second opinion on a sound that may interrupt the reply, from a VAD stream that has not heard the reply.

Silero VAD is recurrent, and the listener's stream has been hearing the reply's echo: primed by it, it scores
steady noise as speech. Measured in `assistant bench bargein` (simulated rooms, our reply playing): the hiss at
the start of a recording scored 0.6-0.78 there and 0.01-0.04 from a fresh state; a running tap, dishes, an
exercise bike and pink noise 0.5-0.86 primed and 0.02-0.41 fresh, and 11 of 20 such noises ended the reply.

So each sound that ducks the reply also goes, window by window from its first, through a second stream that
starts afresh (as if it had just heard a quiet room); the sound interrupts only once that stream too has heard
speech, in two windows the double-talk gate passed (the gate still tells it from our own echo by level: the
fresh stream alone would take a loud residue of the reply's voice for the user). The reply stays ducked while
it makes up its mind. Measured with the bench (T120 test set): noise onsets that ended the reply 11 -> 0 of 20;
the interrupting users heard no later than the primed stream's minimum speech in 62 of 64 sounds (the others:
96 ms later, and 0.7 s for a recording that starts with a second of hiss); reaction p90 91 -> 107 ms.
"""

from __future__ import annotations

import numpy as np

from assistant.speech.vad import VoiceActivity

# The stream starts each sound as if it had just heard a quiet room: from Silero's zero state it was slower to
# hear a voice (a lone "pause" over the reply: 13 of 28 heard in time, against 23 after 8 windows of silence).
QUIET_WINDOWS = 8
# Windows heard before the sound counts as speech: one was a noise's onset now and then (5 of 22 noises heard
# within 20 windows with one, 2 with two), and the users were heard as soon with two.
HEARD_WINDOWS = 2


class FreshEars:
    """`push` every VAD window; `heard`: the current sound (one that may interrupt the reply) was speech to a
    fresh stream."""

    def __init__(self, vad: VoiceActivity) -> None:
        self.vad = vad
        self.vad.reset_when_quiet = False  # it starts afresh at each sound anyway
        self._listening = False
        self._count = 0  # windows of the current sound heard as speech
        self._quiet = np.zeros(vad.window, dtype=np.int16)

    def push(self, window: np.ndarray, gated_p: float, threshold: float, *, sound: bool) -> float | None:
        """One window: `gated_p` the double-talk gate's verdict on it (0: taken for our echo); `sound`: a
        sound that may interrupt the reply is under way (a candidate, or speech not yet confirmed). Returns the
        fresh stream's probability (None: no sound, not listening)."""
        if not sound:
            self._listening = False
            self._count = 0
            return None
        if not self._listening:
            self.vad.reset()
            for _ in range(QUIET_WINDOWS):
                self.vad.probability(self._quiet)
            self._listening = True
        p = self.vad.probability(window)
        self._count += p >= threshold and gated_p >= threshold
        return p

    @property
    def heard(self) -> bool:
        return self._count >= HEARD_WINDOWS
