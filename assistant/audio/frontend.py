"""The front-end between the microphone and the listener: DC removal, echo cancellation, preprocessor.

One `FrontEnd.process(mic, reference)` call per block, in the front-end thread:

    mic ──▶ clipping count ──▶ DC high-pass* ──▶ Speex echo canceller ──▶ Speex preprocessor ──▶ clean frame
    reference (what the speaker played, same sample clock) ──▶ delay line ──┘      (residual echo, noise, AGC)

The reference is delayed by the fixed playback-to-capture delay (set in [frontend] playback_delay_ms, or
measured at start-up when it is "auto", from the greeting once it is over or the first seconds of playback) minus a
headroom of a quarter of the echo tail, so that early echo and a little jitter stay inside the canceller's filter
instead of falling before it, where nothing can cancel them. When "auto" measures a delay beyond the canceller's
reach, a new canceller takes over, trained on the measured stretch (usually the greeting) until it removes its echo,
and, starting converged, with a filter half as long again (TRAINED_TAIL_FACTOR); within reach, such a canceller
takes over too once the greeting is over.

Every stage is switched by config: aec off leaves the preprocessor alone (noise suppression, AGC); everything
off is a passthrough. (*) The canceller removes DC itself, so the separate high-pass only runs without it.
The per-frame path works in preallocated buffers.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.audio.speex import LIBRARY, EchoState, PreprocessState, check_frame
from assistant.config import Config, FrontendConfig

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# |sample| at or above this counts as clipped: within 0.02 dB of full scale, so that a clipped signal that
# went through channel mixing or resampling on its way here is still counted.
CLIP_LEVEL = 32700
# Pole of the DC high-pass: about 13 Hz at 16 kHz, far below speech.
DC_POLE = 0.995
# "auto" delay: seconds of playback (and its echo) used per measurement, and how many stretches to try. Until it
# is measured nobody can interrupt by voice (doubletalk: `delay_known`). One second measured as well in the
# simulated rooms, but the new canceller, trained on only that second, let the first reply interrupt itself.
# A greeting shorter than that is measured once it is over and its echo is in (`_DelayProbe.early_at`): until
# then speech near our playback is taken for its echo, and a user who answered the greeting at once lost the
# first second of it.
PROBE_SECONDS = 3.0
PROBE_ATTEMPTS = 5
PROBE_MAX_DELAY_MS = 1000.0
# A reference frame whose peak is below this is silence, not something to measure the delay on.
PROBE_START_LEVEL = 100
# A measured stretch whose last this many seconds are silence ended after playback did (the greeting is over):
# longer than a reply's pauses (the AEC set's far end pauses 0.88 s at 3 s, and at 0.5 s that pause was taken
# for the greeting's end, its canceller replaced mid-talk).
QUIET_END_S = 1.0
# A new canceller goes over the measured stretch until one pass removed TRAINED_DB of its echo, at most
# MAX_TRAINING_PASSES times (see `set_playback_delay`). Speex adapts cautiously until it has seen enough echo, and
# the more slowly the louder the echo is than what we play (its starting step is a quarter of the reference-to-echo
# power ratio, at most): over a 1.3 s greeting in the simulated rooms at -6 dB it took 2-5 passes, in the seminar
# room at 0 dB (echo 10-15 dB above the reference) 9; three fixed passes left that room's first reply at 0.6 dB.
# It goes by the frames it has seen, silent ones too, so a stretch measured as soon as the greeting was over is
# followed by silence up to PROBE_SECONDS in each pass: without it, ten passes over that greeting (1.5 s) removed
# 3.7 dB against 9.1, and the first reply's barge-in reaction went from 57 to 114 ms.
TRAINED_DB = 10.0
MAX_TRAINING_PASSES = 10
# ... and reaches this much further into the room's echo than aec_tail_ms. A longer filter converges more slowly
# live, but this one starts converged. What a filter does not reach, the listener can only guess from levels, and
# a person's voice defeats that: in the seminar room, the echo 200 ms late, the late echo after a loud vowel stood
# 7-10 dB over any level-based guess for a quarter of a second (`assistant bench bargein`, people's echo: the
# reply interrupted itself). At 300 ms the tail left is 8 dB weaker there.
TRAINED_TAIL_FACTOR = 1.5
# GCC-PHAT peak over the RMS of the rest of the correlation: unrelated signals give about 4-6, an echo in a
# room 30-300. Below this the measurement is not trusted.
MIN_DELAY_SCORE = 10.0


class AudioFrontEnd(Protocol):
    """What the front-end thread runs on each block; implemented by `FrontEnd`."""

    frame_size: int
    canceller_restarts: int  # times the echo canceller started over (what it lets through is a new one's)

    @property
    def canceller_reach_ms(self) -> float:
        """How far into the echo, from its first sound, the canceller's filter reaches (0: no canceller)."""
        ...

    @property
    def delay_known(self) -> bool:
        """False while the "auto" playback delay is still being measured: echo may come late by any amount."""
        ...

    @property
    def playback_delay(self) -> int:
        """Samples from playing a block to hearing its echo, as configured or measured (0 before "auto" measured
        it): how far `aligned_reference` lags the reference, and how late what we play now reaches the room."""
        ...

    def process(self, mic: np.ndarray, reference: np.ndarray, out: np.ndarray | None = None, *,
                reference_missing: bool = False, reply_on: bool = True) -> np.ndarray:
        """The cleaned mic frame; `reference` is what the speaker played during the same block (`reference_missing`:
        part of it never arrived, DuplexBlock.ref_missing; `reply_on`: False once what the assistant was saying,
        the greeting or a reply, is over, so that the quiet after it is its end, not a pause)."""
        ...

    @property
    def aligned_reference(self) -> np.ndarray:
        """The last `process` call's reference delayed by the playback delay: lined up with its echo in `mic`."""
        ...

    @property
    def aligned_reference_missing(self) -> bool:
        """Whether part of `aligned_reference` never arrived: the echo in `mic` is then of something unknown."""
        ...

    def close(self) -> None: ...


# ------------------------------------------------------------------------------------------ delay estimation


@dataclass(frozen=True)
class DelayEstimate:
    """How far the echo at the microphone lags the reference, and how sure the measurement is."""

    samples: int
    sample_rate: int
    score: float  # GCC-PHAT peak-to-background ratio; see MIN_DELAY_SCORE

    @property
    def ms(self) -> float:
        return 1000.0 * self.samples / self.sample_rate


def estimate_delay(
    reference: np.ndarray,
    mic: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    *,
    max_delay_ms: float = 1000.0,
    min_score: float = MIN_DELAY_SCORE,
) -> DelayEstimate | None:
    """The playback-to-microphone delay of a stretch of (reference, mic) audio, or None if not trustworthy.

    Generalized cross-correlation with phase transform (GCC-PHAT): whitening the cross-spectrum keeps the
    peak sharp whatever the room and loudspeaker colour, and near-end speech or noise in the mic lowers the
    peak without moving it. None when the reference is silent or the peak does not stand out.
    """
    ref = np.asarray(reference, dtype=np.float64).ravel()
    sig = np.asarray(mic, dtype=np.float64).ravel()
    if ref.size != sig.size:
        raise ValueError(f"reference ({ref.size} samples) and mic ({sig.size} samples) must be the same length")
    max_lag = min(int(max_delay_ms * sample_rate / 1000), ref.size - 1)
    if max_lag < 1 or not np.any(ref) or not np.any(sig):
        return None
    ref = ref - ref.mean()
    sig = sig - sig.mean()
    size = 1 << int(np.ceil(np.log2(2 * ref.size)))
    cross = np.fft.rfft(sig, size) * np.conj(np.fft.rfft(ref, size))
    magnitude = np.abs(cross)
    cross /= np.maximum(magnitude, 1e-12 * magnitude.max())
    corr = np.fft.irfft(cross, size)[: max_lag + 1]
    peak = int(np.argmax(np.abs(corr)))
    # Background: the correlation away from the peak's own main lobe (±2 ms).
    lobe = max(1, sample_rate // 500)
    background = np.concatenate([corr[: max(0, peak - lobe)], corr[peak + lobe + 1 :]])
    if background.size == 0:
        return None
    rms = float(np.sqrt(np.mean(background**2)))
    score = abs(float(corr[peak])) / rms if rms > 0 else float("inf")
    if score < min_score:
        return None
    return DelayEstimate(samples=peak, sample_rate=sample_rate, score=score)


# --------------------------------------------------------------------------------------------- small stages


class DcBlocker:
    """One-pole DC high-pass y[n] = x[n] - x[n-1] + a·y[n-1] on int16 frames, state carried across frames.

    The recursion is evaluated for a whole frame at once: y[n] = aⁿ·(a·y[-1] + Σₖ≤ₙ a⁻ᵏ·(x[k] - x[k-1])),
    which stays well conditioned for frames of a few hundred samples (a⁻³²⁰ ≈ 5).
    """

    def __init__(self, frame_size: int, pole: float = DC_POLE) -> None:
        self._pole = pole
        powers = np.arange(frame_size, dtype=np.float64)
        self._pow = pole**powers
        self._inv_pow = pole**-powers
        self._x = np.zeros(frame_size + 1)  # [last sample of the previous frame, this frame]
        self._y = np.zeros(frame_size)
        self._y_prev = 0.0

    def process(self, frame: np.ndarray, out: np.ndarray) -> None:
        """High-pass `frame` (int16) into `out` (int16, same size)."""
        x, y = self._x, self._y
        x[1:] = frame
        np.subtract(x[1:], x[:-1], out=y)
        y *= self._inv_pow
        np.cumsum(y, out=y)
        y += self._pole * self._y_prev
        y *= self._pow
        self._y_prev = float(y[-1])
        x[0] = x[-1]
        np.rint(y, out=y)
        np.clip(y, -32768, 32767, out=y)
        np.copyto(out, y, casting="unsafe")


class DelayLine:
    """Delays int16 frames by a fixed number of samples (a ring of delay + one frame)."""

    def __init__(self, delay: int, frame_size: int) -> None:
        self.delay = delay
        self._ring = np.zeros(delay + frame_size, dtype=np.int16)
        self._out = np.zeros(frame_size, dtype=np.int16)
        self._pos = 0

    def push(self, frame: np.ndarray) -> np.ndarray:
        """The frame from `delay` samples ago (an internal buffer, overwritten by the next call)."""
        ring, n = self._ring, self._out.size
        size = ring.size
        first = min(n, size - self._pos)
        ring[self._pos : self._pos + first] = frame[:first]
        ring[: n - first] = frame[first:]
        self._pos = (self._pos + n) % size
        # The oldest `n` samples start right after the block just written.
        first = min(n, size - self._pos)
        self._out[:first] = ring[self._pos : self._pos + first]
        self._out[first:] = ring[: n - first]
        return self._out


def _ends_quiet(reference: np.ndarray, sample_rate: int) -> bool:
    """Whether playback had ended QUIET_END_S before the end of `reference`."""
    end = reference[-int(QUIET_END_S * sample_rate) :]
    return end.size > 0 and int(np.abs(end.astype(np.int32)).max()) < PROBE_START_LEVEL


class _DelayProbe:
    """Collects the first seconds of playback and its echo, for measuring the delay once ("auto")."""

    def __init__(self, frame_size: int, sample_rate: int, tail: int) -> None:
        self._capacity = int(PROBE_SECONDS * sample_rate) // frame_size * frame_size
        self._ref = np.zeros(self._capacity, dtype=np.int16)
        self._mic = np.zeros(self._capacity, dtype=np.int16)
        self._filled = 0
        self.attempts = 0
        self._tail = tail  # samples of echo after the playback's end that the stretch must hold
        self.quiet = 0  # samples of silence in the stretch since playback last sounded
        # Once playback is over: the quiet after which to measure before the stretch is full (None: no more tries
        # before then). The delay plus the tail, so that the stretch holds the whole echo the new canceller is
        # trained on; the delay is not known before the first try, which is made at the tail.
        self.early_at: int | None = tail

    def add(self, reference: np.ndarray, mic: np.ndarray) -> bool:
        """Store one pair; True when a full stretch is ready in `reference`/`mic`."""
        silent = reference.max() < PROBE_START_LEVEL and reference.min() > -PROBE_START_LEVEL
        if self._filled == 0 and silent:
            return False
        end = self._filled + reference.size
        self._ref[self._filled : end] = reference
        self._mic[self._filled : end] = mic
        self._filled = end
        self.quiet = self.quiet + reference.size if silent else 0
        return end >= self._capacity

    def measure(self, sample_rate: int) -> DelayEstimate | None:
        """One attempt on the full stretch; the next one collects a new stretch."""
        reference, mic = self.stretch
        self.attempts += 1
        self._filled, self.quiet, self.early_at = 0, 0, self._tail
        return estimate_delay(reference, mic, sample_rate, max_delay_ms=PROBE_MAX_DELAY_MS)

    def measure_early(self, sample_rate: int) -> DelayEstimate | None:
        """The delay, once playback is over and the stretch holds its whole echo; None: not yet, or no clear echo
        (the full stretch then decides). The stretch goes on either way."""
        reference, mic = self.stretch
        estimate = estimate_delay(reference, mic, sample_rate, max_delay_ms=PROBE_MAX_DELAY_MS)
        if estimate is None:
            self.early_at = None
        elif self.quiet < estimate.samples + self._tail:
            self.early_at = estimate.samples + self._tail
        else:
            return estimate
        return None

    @property
    def stretch(self) -> tuple[np.ndarray, np.ndarray]:
        """The reference and microphone collected so far (views, valid until the next `add`)."""
        return self._ref[: self._filled], self._mic[: self._filled]


# ------------------------------------------------------------------------------------------------ front-end


@dataclass(frozen=True)
class FrontendStats:
    """Counters for the log (read them now and then; nothing is logged per frame)."""

    frames: int
    clipped_frames: int
    clipped_samples: int
    delay_compensated_ms: float
    delay_measured_ms: float | None

    def __str__(self) -> str:
        share = 100.0 * self.clipped_frames / self.frames if self.frames else 0.0
        measured = "not measured" if self.delay_measured_ms is None else f"measured {self.delay_measured_ms:.1f} ms"
        return (
            f"{self.frames} frames, {self.clipped_frames} clipped ({share:.2f}%, {self.clipped_samples} samples); "
            f"playback delay {measured}, compensated {self.delay_compensated_ms:.1f} ms"
        )


class FrontEnd:
    """DC removal, Speex echo cancellation and preprocessor on int16 mono frames, as configured."""

    def __init__(
        self,
        config: FrontendConfig,
        frame_size: int,
        sample_rate: int = SAMPLE_RATE,
        *,
        library: str = LIBRARY,
    ) -> None:
        if frame_size <= 0 or sample_rate <= 0:
            raise ValueError(f"frame_size ({frame_size}) and sample_rate ({sample_rate}) must be positive")
        self.config = config
        self.frame_size = frame_size
        self.sample_rate = sample_rate
        self._library = library
        self._work = np.zeros(frame_size, dtype=np.int16)
        self._aligned = np.zeros(frame_size, dtype=np.int16)
        self._aligned_delay: DelayLine | None = None  # the whole playback delay, for aligned_reference
        # Whether each recent frame's reference arrived (newest first), for aligned_reference_missing.
        self._missing: deque[bool] = deque([False], maxlen=1)
        self._aligned_missing = False
        self.canceller_restarts = 0  # times the canceller started over (a new delay compensation)
        # Speex's canceller high-passes the mic itself (a DC notch), so a second filter would only cost time.
        self._dc = DcBlocker(frame_size) if config.remove_dc and not config.aec else None
        self._echo: EchoState | None = None
        self._pre: PreprocessState | None = None
        self._delay: DelayLine | None = None
        self._probe: _DelayProbe | None = None
        self._measured: DelayEstimate | None = None
        self._frames = self._clipped_frames = self._clipped_samples = 0
        try:
            self._open(library)
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_config(cls, config: Config, *, library: str = LIBRARY) -> FrontEnd:
        """The front-end for [frontend] on blocks of [audio] block_ms at 16 kHz."""
        return cls(config.frontend, config.audio.block_ms * SAMPLE_RATE // 1000, library=library)

    def _open(self, library: str) -> None:
        cfg, n, rate = self.config, self.frame_size, self.sample_rate
        if cfg.aec:
            self._echo = EchoState(n, cfg.aec_tail_ms * rate // 1000, rate, library=library)
            if cfg.playback_delay_ms == "auto":
                self._probe = _DelayProbe(n, rate, round(cfg.aec_tail_ms * TRAINED_TAIL_FACTOR * rate / 1000))
            else:
                self.set_playback_delay(round(float(cfg.playback_delay_ms) * rate / 1000))
        if cfg.aec or cfg.noise_suppression or cfg.agc:
            pre = self._pre = PreprocessState(n, rate, library=library)
            # Speex applies no gain at all with denoise off, residual echo suppression included: with the
            # canceller on, denoise stays on and noise suppression is switched off through its depth (0 dB).
            pre.set_denoise(cfg.noise_suppression or cfg.aec)
            pre.set_noise_suppress(cfg.noise_suppress_db if cfg.noise_suppression else 0)
            pre.set_agc(cfg.agc, float(cfg.agc_level))
            if self._echo is not None:
                pre.set_echo_suppress(cfg.echo_suppress_db, cfg.echo_suppress_active_db)
                pre.link_echo(self._echo)

    @property
    def latency_samples(self) -> int:
        """How far the output lags the input: one frame through the preprocessor's overlap-add."""
        return self.frame_size if self._pre is not None else 0

    @property
    def headroom_samples(self) -> int:
        """Part of the playback delay left to the canceller's filter (a quarter of the tail)."""
        return self.config.aec_tail_ms * self.sample_rate // 4000

    def set_playback_delay(self, samples: int, played: tuple[np.ndarray, np.ndarray] | None = None, *,
                           ended: bool = False) -> None:
        """Compensate a playback-to-capture delay measured elsewhere (less the headroom); ends any "auto"
        measurement. The canceller starts over when the compensation changes. `played`: the reference and
        microphone of the frames processed just before (the measured stretch, which began as playback did),
        replayed into the new delay lines, and into a new canceller until a pass over them removed TRAINED_DB of
        their echo, so that the first reply meets a converged canceller instead of one that has heard the greeting
        once; that canceller reaches TRAINED_TAIL_FACTOR times aec_tail_ms into the echo (`canceller_reach_ms`).
        When the delay is within the canceller's reach, such a canceller replaces it only if playback had `ended`
        before the stretch did (the greeting is over: nothing is cut in two)."""
        if samples < 0:
            raise ValueError(f"the playback delay cannot be negative (got {samples} samples)")
        self._probe = None
        if self._echo is None:
            return
        aligned = None
        if samples != (self._aligned_delay.delay if self._aligned_delay else 0):
            aligned = self._aligned_delay = DelayLine(samples, self.frame_size) if samples > 0 else None
            self._missing = deque([False] * (samples // self.frame_size + 2), maxlen=samples // self.frame_size + 2)
        delay = max(0, samples - self.headroom_samples)
        restarted = delay != (self._delay.delay if self._delay is not None else 0) or (played is not None and ended)
        if restarted:
            self._delay = DelayLine(delay, self.frame_size) if delay > 0 else None
            # The adapted filter models the old alignment; a new one converges faster than unlearning it. It
            # also spans the headroom, which comes before the echo: the room's tail keeps all of its reach
            # (measured, 200 ms late in the simulated rooms: 2-5 dB more echo removed than without).
            reach_ms = self.config.aec_tail_ms * (TRAINED_TAIL_FACTOR if played is not None else 1.0)
            tail = round(reach_ms * self.sample_rate / 1000) + (self.headroom_samples if delay else 0)
            self._echo = self._new_canceller(tail)
            self.canceller_restarts += self._frames > 0  # a configured delay, set before any audio, is no restart
        if played is None:
            return
        n = self.frame_size
        if aligned is not None:
            for start in range(0, played[0].size - n + 1, n):
                aligned.push(played[0][start : start + n])
        if restarted:
            # Once, at start-up: ~20 ms a pass on this machine (3 s stretch, 350 ms of filter), 165 ms for the 8
            # passes of a loud room (the seminar room at 0 dB, 200 ms late); a few times that on a Pi (the 2 s
            # capture ring absorbs it).
            # Within reach, the longer canceller that replaces the one that heard the greeting live reaches the
            # room's late echo there too (bench bargein at 0 ms: p90 164.5 -> 146.4 ms, p50 57.6 -> 40.5). Not
            # mid-reply (no greeting: the stretch is the first reply's): the listener's echo model starts over
            # with the canceller, there in the middle of a sentence, and the first reply passed for the user
            # (bench bargein --greeting "": missed 5 -> 16, false 0 -> 6; the cough check, which has no greeting,
            # barged in on all 3 bursts in speechbrain_rir1).
            # After playback ended (its echo is in), silence changes nothing of the delay lines' state.
            silence = np.zeros(max(0, int(PROBE_SECONDS * self.sample_rate) - played[0].size) if ended else 0, np.int16)
            reference, mic = np.concatenate([played[0], silence]), np.concatenate([played[1], silence])
            for _ in range(MAX_TRAINING_PASSES):
                if self._train(reference, mic) >= TRAINED_DB:
                    break

    def _train(self, reference: np.ndarray, mic: np.ndarray) -> float:
        """One pass of the canceller over a stretch that began as playback did; how much of the stretch's echo it
        removed (dB, mic over the canceller's output). Silence first, as long as the delay and the filter, so that
        what it heard before (the stretch's own end, on a second pass) is not taken for the source of the echo in
        the stretch's first frames. Ends where it began: the canceller and the delay line go on from the
        stretch's last frame."""
        assert self._echo is not None
        n = self.frame_size
        silence = np.zeros(n, dtype=np.int16)
        for _ in range(-(-(self._echo.filter_length + (self._delay.delay if self._delay else 0)) // n)):
            self._echo.cancel(silence, self._delay.push(silence) if self._delay is not None else silence)
        mic_energy = residual_energy = 0.0
        for start in range(0, reference.size - n + 1, n):
            frame, heard = reference[start : start + n], mic[start : start + n]
            left = self._echo.cancel(heard, self._delay.push(frame) if self._delay is not None else frame)
            mic_energy += float(np.dot(heard, heard.astype(np.float64)))
            residual_energy += float(np.dot(left, left.astype(np.float64)))
        return 10.0 * np.log10((mic_energy + 1.0) / (residual_energy + 1.0))

    def _new_canceller(self, filter_length: int) -> EchoState:
        """A new canceller with `filter_length` samples of filter in place of the present one."""
        assert self._echo is not None
        old, new = self._echo, EchoState(self.frame_size, filter_length, self.sample_rate, library=self._library)
        if self._pre is not None:
            self._pre.link_echo(new)  # before the old one is freed: the preprocessor reads it
        old.close()
        return new

    def stats(self) -> FrontendStats:
        return FrontendStats(
            frames=self._frames,
            clipped_frames=self._clipped_frames,
            clipped_samples=self._clipped_samples,
            delay_compensated_ms=1000.0 * (self._delay.delay if self._delay else 0) / self.sample_rate,
            delay_measured_ms=self._measured.ms if self._measured else None,
        )

    @property
    def delay_known(self) -> bool:
        """False while the "auto" playback delay is still being measured (the first seconds of playback; up to
        PROBE_ATTEMPTS stretches when no clear echo is found, after which it counts as none)."""
        return self._probe is None

    @property
    def playback_delay(self) -> int:
        return self._aligned_delay.delay if self._aligned_delay is not None else 0

    @property
    def canceller_reach_ms(self) -> float:
        if self._echo is None:
            return 0.0
        # The filter spans the headroom before the echo too, when the reference is delayed at all.
        headroom = self.headroom_samples if self._delay is not None else 0
        return 1000.0 * (self._echo.filter_length - headroom) / self.sample_rate

    @property
    def measured_delay(self) -> DelayEstimate | None:
        """The "auto" measurement, once it succeeded."""
        return self._measured

    def process(self, mic: np.ndarray, reference: np.ndarray, out: np.ndarray | None = None, *,
                reference_missing: bool = False, reply_on: bool = True) -> np.ndarray:
        """The cleaned mic frame: into `out` when given, else a new array (it is handed to another thread)."""
        n = self.frame_size
        check_frame(mic, n, "microphone frame")
        check_frame(reference, n, "reference frame")
        if out is not None:
            check_frame(out, n, "output frame", writable=True)
        self._frames += 1
        if mic.max() >= CLIP_LEVEL or mic.min() <= -CLIP_LEVEL:
            self._clipped_frames += 1
            self._clipped_samples += int(np.count_nonzero(mic >= CLIP_LEVEL) + np.count_nonzero(mic <= -CLIP_LEVEL))
        work = self._work
        if self._dc is not None:
            self._dc.process(mic, work)
        else:
            work[:] = mic
        if self._echo is not None:
            if self._probe is not None:
                probe = self._probe
                if probe.add(reference, mic):
                    self._finish_probe()
                elif not reply_on and probe.early_at is not None and probe.quiet >= probe.early_at:
                    self._finish_probe(early=True)
            delayed = self._delay.push(reference) if self._delay is not None else reference
            work[:] = self._echo.cancel(work, delayed)
        self._aligned[:] = self._aligned_delay.push(reference) if self._aligned_delay is not None else reference
        self._missing.appendleft(reference_missing)
        # The aligned frame ends `whole` frames and `part` samples back: it overlaps that frame and, unless the delay
        # is a whole number of frames, the one before.
        whole, part = divmod(self.playback_delay, self.frame_size)
        self._aligned_missing = self._missing[whole] or (part > 0 and self._missing[whole + 1])
        if self._pre is not None:
            self._pre.run(work)
        if out is None:
            return work.copy()
        out[:] = work
        return out

    @property
    def aligned_reference(self) -> np.ndarray:
        """The reference frame of the last `process` call delayed by the whole playback delay (configured or
        measured; none before "auto" measured it): lined up with its echo in that call's `mic`. Whatever else
        judges the echo (the listener's double-talk gate) must use this one: the raw reference runs ahead of
        the echo by the whole delay (100-250 ms through USB audio or a sound server), the canceller's by its
        headroom. An internal buffer, overwritten by the next call."""
        return self._aligned

    @property
    def aligned_reference_missing(self) -> bool:
        """Whether `aligned_reference` lines up with reference that never arrived (`process`'s `reference_missing`,
        delayed as the reference is): the echo in that call's `mic` is of something unknown."""
        return self._aligned_missing

    def _finish_probe(self, *, early: bool = False) -> None:
        """Measure the delay on the stretch, full or (`early`) ended with playback, and compensate it."""
        assert self._probe is not None
        # One FFT over the stretch: a few ms once at start-up (twice when early); the capture ring absorbs it.
        reference, mic = self._probe.stretch
        ended = early or _ends_quiet(reference, self.sample_rate)
        estimate = self._probe.measure_early(self.sample_rate) if early else self._probe.measure(self.sample_rate)
        if early and estimate is None:
            return
        if estimate is not None:
            self._measured = estimate
            # The frame that completed the stretch is processed next, as usual.
            self.set_playback_delay(estimate.samples, (reference[: -self.frame_size], mic[: -self.frame_size]),
                                    ended=ended)
            log.info("playback-to-microphone delay measured: %.1f ms (score %.0f); compensating %.1f ms",
                     estimate.ms, estimate.score, self.stats().delay_compensated_ms)
        elif self._probe.attempts >= PROBE_ATTEMPTS:
            self._probe = None
            log.warning(
                "could not measure the playback-to-microphone delay in %d tries (no clear echo); the echo "
                "canceller runs without delay compensation. If echo gets through, set [frontend] "
                "playback_delay_ms (measure it with `assistant bench aec`).", PROBE_ATTEMPTS,
            )
        else:
            log.debug("playback delay measurement %d was inconclusive; trying the next stretch",
                      self._probe.attempts)

    def close(self) -> None:
        """Free the Speex states (idempotent); the preprocessor first, as it reads the canceller."""
        if self._pre is not None:
            self._pre.close()
        if self._echo is not None:
            self._echo.close()

    def __enter__(self) -> FrontEnd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
