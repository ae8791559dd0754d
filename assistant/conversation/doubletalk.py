"""Telling the user's voice from the assistant's own echo while the assistant speaks (double-talk).

Silero VAD does not care about level: the few per cent of the assistant's voice that leaks through the echo
canceller still sounds like speech to it, and would interrupt every reply. What differs is the level: the
leak sits a steady number of dB below what the speaker plays (the canceller's echo return loss), while the
user's voice passes the canceller whole. So while the speaker has played something in the last few hundred
milliseconds, a VAD window counts only if the cleaned signal stands `margin_db` above the leak's usual level.

The leak's level is learned as it goes: a running 90th percentile of (cleaned level − the speaker level's
recent envelope) over the windows that are not taken for the user's speech. It starts high (a canceller that has not yet
converged leaks a lot), so right after start-up only a voice louder than the echo interrupts; it comes down
within a few seconds of the first reply.
"""

from __future__ import annotations

import numpy as np

INITIAL_LEAK_DB = 12.0  # before learning: an unconverged canceller passes the echo louder than the reference
QUANTILE = 0.9
STEP_DB = 2.0  # quantile tracker step: up 1.8 dB above the estimate, down 0.2 dB below it
# The echo outlasts the speaker's sound by the room's reverberation: the reference level is held as an envelope
# that decays like a reverberant living room (RT60 0.8 s: 2.4 dB per 32 ms window). After a duck or a flush the
# gate then opens about as fast as the echo dies away.
RT60_S = 1.2
DECAY_DB_PER_WINDOW = 60.0 / RT60_S * 0.032
ACTIVE_DB = 30.0  # a reference quieter than this (in dB re 1 LSB²) is silence: nothing to leak


def _level_db(samples: np.ndarray) -> float:
    x = samples.astype(np.float64)
    return float(10.0 * np.log10(np.dot(x, x) / max(len(x), 1) + 1.0))


class DoubleTalkGate:
    """Per VAD window: `probability(clean, reference, p)` gives p, or 0 when the window is likely echo."""

    def __init__(self, *, margin_db: float = 6.0, initial_leak_db: float = INITIAL_LEAK_DB) -> None:
        self.margin_db = margin_db
        self.leak_db = initial_leak_db
        self._envelope = -100.0  # dB: the recent speaker level, decaying
        self.gated = 0  # windows scored as speech but taken for echo

    def probability(self, clean: np.ndarray, reference: np.ndarray, p: float, threshold: float) -> float:
        self._envelope = max(_level_db(reference), self._envelope - DECAY_DB_PER_WINDOW)
        loudest = self._envelope
        if loudest < ACTIVE_DB:
            return p  # the speaker has been quiet: whatever the mic hears is not our echo
        ratio = _level_db(clean) - loudest
        user = ratio >= self.leak_db + self.margin_db
        if not (user and p >= threshold):
            # Learn from windows that are not the user's speech, so a long interruption is not learned as leak.
            self.leak_db += STEP_DB * QUANTILE if ratio > self.leak_db else -STEP_DB * (1.0 - QUANTILE)
        if user:
            return p
        if p >= threshold:
            self.gated += 1
        return 0.0
