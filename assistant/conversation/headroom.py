"""Keeping the assistant's own voice from clipping its microphone.

A speaker loud enough (or close enough to the microphone) that its echo reaches full scale makes the echo path
non-linear: the linear canceller then removes a dB or two instead of tens, and a user talking over the reply
is buried under the clipped echo (the seminar room of `assistant bench bargein` at 0 dB: 29-42% of frames
clipped, the canceller removed 1 dB, barge-ins were missed or seconds late). No setting of the canceller
helps; playing less loud does. So while a reply plays with nobody else heard (not ducked, no user turn open),
a block whose raw microphone reaches full scale turns the output down by STEP_DB, at most once per SETTLE_S so
that the lower level has reached the microphone before the next step, down to conversation.min_output_db. A
reply that then played for at least RECOVER_AFTER_S with its echo peaking RECOVER_MARGIN_DB below full scale
turns it back up by RECOVER_DB: down fast (every clipped block costs the user's next words), up slowly (one
step per reply).

The level lives in this process only: after a restart the first loud reply finds it again.
"""

from __future__ import annotations

from assistant.audio.frontend import CLIP_LEVEL
from assistant.config import Config
from assistant.speech.vad import SAMPLE_RATE

STEP_DB = 3.0
SETTLE_S = 0.2  # more than a device's playback-to-capture delay
RECOVER_DB = 1.0
RECOVER_AFTER_S = 2.0
RECOVER_MARGIN_DB = RECOVER_DB + 6.0
RECOVER_PEAK = round(32768 * 10 ** (-RECOVER_MARGIN_DB / 20))
PLAYING_PEAK = 33  # a reference block above -60 dBFS: the speaker is playing something


class EchoHeadroom:
    """Follows the raw microphone's peak while the assistant speaks; says when the output level should change."""

    def __init__(self, floor_db: float) -> None:
        self.floor_db = floor_db
        self.level_db = 0.0
        self._settled_at = 0  # sample before which no further step down is taken
        self._in_reply = False
        self._reply_peak = 0  # highest raw microphone sample of the reply's echo-only blocks
        self._reply_samples = 0  # echo-only samples of the reply during which the speaker played

    @classmethod
    def from_config(cls, config: Config) -> EchoHeadroom:
        return cls(config.conversation.min_output_db)

    def observe(self, mic_peak: int, ref_peak: int, samples: int, *, speaking: bool, echo_only: bool,
                now: int) -> float | None:
        """One block: `mic_peak`/`ref_peak` are the block's largest |sample| of the raw microphone and of what the
        speaker played; `speaking` whether a reply is on, `echo_only` whether nothing but its echo can be in
        the microphone (no duck, no user turn). Returns the new output level in dB when it changes."""
        if not speaking:
            if self._in_reply:
                self._in_reply = False
                return self._recover()
            return None
        if not self._in_reply:
            self._in_reply, self._reply_peak, self._reply_samples = True, 0, 0
        if not echo_only:
            return None
        self._reply_peak = max(self._reply_peak, mic_peak)
        if ref_peak >= PLAYING_PEAK:
            self._reply_samples += samples
        if mic_peak >= CLIP_LEVEL and now >= self._settled_at and self.level_db > self.floor_db:
            self.level_db = max(self.floor_db, self.level_db - STEP_DB)
            self._settled_at = now + round(SETTLE_S * SAMPLE_RATE)
            self._reply_samples = 0  # what played before the step says nothing about the new level
            self._reply_peak = 0
            return self.level_db
        return None

    def _recover(self) -> float | None:
        long_enough = self._reply_samples >= RECOVER_AFTER_S * SAMPLE_RATE
        if self.level_db >= 0.0 or not long_enough or self._reply_peak > RECOVER_PEAK:
            return None
        self.level_db = min(0.0, self.level_db + RECOVER_DB)
        return self.level_db
