"""Telling the user's voice from the assistant's own echo while the assistant speaks (double-talk).

Silero VAD does not care about level: the echo that gets through the echo canceller still sounds like speech
to it, and would interrupt every reply. What differs is the level: a VAD window counts as the user only while
the cleaned signal stands clearly above the level our own echo is expected to have in it.

The expected echo level is predicted from the reference (what the speaker played) in two parts, because the
canceller removes only what falls inside its filter (AudioFrontEnd.canceller_reach_ms: frontend.aec_tail_ms, half
as long again for a canceller trained at start-up):

- near: the reference of the last `span` windows (the canceller's reach) plus a leak that starts high (a new
  canceller passes everything) and falls as it converges;
- far: older reference, fading like a reverberant room, plus its own leak: the room's late echo, which no
  canceller reaches. Measured in the simulated rooms, this is what is left between two sentences and after
  a duck, and it outlasts the near part by hundreds of milliseconds.

Both leaks are learned by quantile steps from windows not taken for the user, each leak from the windows whose
prediction its part makes most of: the near leak is the canceller's and falls as it converges, the far one is
the room's and does not. (Stepped together by their shares, the far leak walked down with the near one: in
speechbrain_rir1, the echo 200 ms late, it ended about 5 dB under the room's late echo, whose swell after a loud
syllable then stood 8-11 dB over the prediction for 8 windows, and the first reply interrupted itself: 4 false
barge-ins in `assistant bench bargein --echo-delay-ms 200`.) The far leak learns only while the speaker has
played within the canceller's reach: later in a pause the far part fades under the room's noise, and learnt
there it rose 20 dB in half a second and refused the user over the next reply. Quantile steps are 90th
percentile steps, except that windows above the prediction that may be the user's move it up only slowly, so
that a user who is not yet recognised is not learned as echo. Those are speech-like windows (for speech-like
echo the prediction then settles near its 60th percentile; the evidence threshold below covers the rest) and
windows in a run of excess that has reached the evidence threshold: Silero often scores a voice that starts over
the echo below its threshold for half a second (a command 25-30 dB above the echo, scored 0.25-0.45 for 19
windows), and learnt at the full step it had raised the prediction by 23 dB by the time Silero agreed. The first
windows with the speaker active set both leaks at once (their median), so that the first reply, while the
canceller has not converged, can be interrupted without waiting for the steps to walk down from the initial
guess; the first windows the far part dominates set the far leak again (the near leak's windows say little of
the room, and walking down from there 0.2 dB a window, the far leak refused a user over the first reply in the
seminar room for 11 s), except those of a run of excess that reached the evidence threshold: a user talking into
a pause, not yet scored as speech (but within the room's measured fade after a stop, such a run is the canceller
letting go of our echo, and counts). But the echo of speech is speech to Silero, which scores what the canceller
leaves of it as speech for seconds on end (in speechbrain_rir1, 82% of a long reply's windows): learnt slowly, the
prediction sat at its 60th percentile, and the canceller's swings of 8-10 dB above it, a few windows long, added up
to the evidence threshold (echo-only turns). So once the canceller removes CONVERGED_DB of our echo
(CancellerDepth), a speech-like window less than SMALL_EXCESS_DB above the prediction is learnt at the full step:
a user as loud at the microphone as our echo then stands 20 dB above what is left of it, and one standing this
little above it is not told from the echo's swings by level anyway. Before that (a canceller that has heard only
the greeting removed 0-10 dB of the first reply's echo, and a user's voice stood 2-8 dB above the prediction)
every speech-like window is learnt slowly, as the user's onset may be.

The decision is a CUSUM of the excess over the prediction: a loud voice passes in one window, a voice just
above the echo after a few, while single windows of echo that the prediction missed do not add up. The sum is
capped at twice its threshold, so that once a voice stops it is forgotten within a few windows. Once the
user passed, a smaller excess keeps the window (the reply is ducked, the echo dies away, the voice stays).

After the speaker falls quiet (a pause, or the duck), our echo can only fade, but the canceller lets go of it
within ~100 ms and the cleaned level first rises towards the raw room echo: so a window then also has to stand
above the level the signal had as the speaker stopped (taken over the first windows, fading slowly). A
reverberant tail, which Silero scores as speech, never does: without this, a duck on the tail of a sentence
became an interruption in the simulated rooms. A measured room's echo also outlasts the model's second (its
impulse response rings on, down to its own noise floor, for up to 2 s): until then a window no louder than the
echo was as the speaker stopped is still taken for it. Without this, the tail of a 35 s reply opened a turn
0.7 s after its end (speechbrain_rir2, -6 dB). But the ringing only fades: a window 10 dB above the quietest one
since (and 10 dB above silence) is someone talking, however much louder our speaker was (without this, a
question asked as a 12 s reply ended, across the seminar room, was lost whole).

How fast our echo dies away after the speaker stops is the room's, and differs between rooms by a factor of
ten (the simulated rooms: 1 to 2.5 dB per window in a seminar room, 15 dB in the first window in a small one,
hardly at all for a second in one whose response ends in a long flat floor). The fixed fade above has to be
the slowest room's, and the level as the speaker stopped is often the user's own voice (the user's words
duck the reply): in a quick room a user talking on after the duck stood 5-10 dB above what was left of the
echo and was still refused until the reply came back. So the room's own fade is measured too (RoomDecay):
in every pause of a reply with nobody talking, the raw microphone level (before the canceller, which lets go
of the echo unevenly) relative to its level as the speaker stopped; our echo only fades, so a rise of RISE_DB
above the quietest window since is someone starting to talk (Silero is slow to recognise a voice over the echo)
and ends the measurement. After a stop, the loudest of the last few such fades bounds our echo in each window:
the cleaned signal (at most 4 dB above the raw microphone in the simulated rooms) standing above that bound is
not ours, and the bound also caps the expected echo level. A pause that stayed within that bound throughout was
our echo's, and the evidence it gathered (against a canceller letting go of the echo; the tail check refused it)
is dropped when the reply resumes.

When the user's windows were passing as the speaker stopped (their words ducked the reply), the raw level then
is their voice and our echo, and the cleaned level, where it stands CLEAR_DB above the expected echo, is their
voice: our echo's share, the difference (at least the expected echo), is what the bound fades from. (A loud
syllable of our own echo that ducked the reply before the canceller converged stands less clear of the
prediction, and its fade runs from the raw level.) And until the reply comes back, a window KEEP_DB above the
expected echo (and loud: within HOLD_WINDOWS of the last pass, or on fresh evidence) is kept without the tail
check. Without these, in the seminar room, whose echo fades 1-2.5 dB a window, a voice going on 8-12 dB above
it was refused until the reply came back (bench bargein: missed barge-ins).

The reference is the one the front-end lined up with our echo at the microphone (FrontEnd.aligned_reference):
through USB audio or a sound server the echo comes 50-250 ms after the block was played, and a reference that
ran ahead of it by that much took the first syllables of every sentence for the user (bench bargein
--echo-delay-ms). Until that delay is measured, speech near our playback is taken for our echo (`probability`).

The constants were chosen by measurement (`assistant bench bargein`, which also prints the gate's cost per
32 ms window: tens of microseconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from assistant.audio.frontend import PROBE_MAX_DELAY_MS
from assistant.config import Config

INITIAL_LEAK_DB = 12.0  # before learning: an unconverged canceller passes the echo louder than the reference
RESTART_LEAK_DB = 20.0  # ... and after a canceller restart, until its first windows are measured
QUANTILE = 0.9
STEP_DB = 2.0  # quantile step: up 1.8 dB above the prediction, down 0.2 dB below it
SPEECH_UP_DB = 0.3  # up-step for windows that may be the user's: ~10 dB/s of contamination at most
SMALL_EXCESS_DB = 6.0  # ... but not for a speech-like window this little above the prediction ...
CONVERGED_DB = 20.0  # ... while the canceller removes this much of our echo (the median of recent windows')
DEPTH_WINDOWS = 30  # windows over which that median is taken
CALIBRATION_WINDOWS = 8  # the first windows with the speaker active set the leaks at once ...
CALIBRATION_QUANTILE = 0.5  # ... at their median (a fresh canceller's: it converges from there)
ROOM_DECAY_DB = 1.6  # per window: late echo fading like a reverberant living room (RT60 1.2 s)
FAR_WINDOWS = 24  # late echo modelled for 0.77 s beyond the canceller's reach
ACTIVE_DB = 30.0  # quieter than this (dB re 1 LSB², -60 dBFS) is silence: no echo to leak, nobody talking
DRIFT_DB = 2.0  # CUSUM drift: excess that echo reaches now and then without adding up
EVIDENCE_DB = 12.0  # CUSUM threshold (conversation.barge_in_evidence_db)
KEEP_DB = 6.0  # excess that keeps a window once the user passed ...
HOLD_WINDOWS = 12  # ... within this many windows of the last one that passed
QUIET_DB = 30.0  # the speaker counts as fallen quiet this far below its recent loudest window
SETTLE_WINDOWS = 7  # windows after that over which the cleaned level may still rise towards the raw echo
TAIL_DECAY_DB = 1.0  # per window: the slowest a room's echo fades after the speaker stopped
TAIL_MARGIN_DB = 3.0
LINGER_WINDOWS = 62  # 2 s: how long after the speaker stopped a measured room's echo can still be heard
LINGER_RISE_DB = 10.0  # ... but never rising this far above its quietest window since
CLEAR_DB = 12.0  # this far above the expected echo a window needs no tail check (the canceller has converged)
DECAY_WINDOWS = LINGER_WINDOWS  # the room's fade is measured and used for as long as the echo may linger
DECAY_MEMORY = 8  # the last fades kept: the bound is their loudest, window by window
ROOM_MARGIN_DB = 4.0  # the cleaned signal's echo stands at most this far above the raw microphone's
RISE_DB = 3.0  # a fade that rises this far above its quietest window since the stop is a new sound, not our echo


def level_db(samples: np.ndarray) -> float:
    """Mean power in dB re 1 LSB² (+1 so that digital silence is 0 dB)."""
    x = samples.astype(np.float64)
    return float(10.0 * np.log10(np.dot(x, x) / max(len(x), 1) + 1.0))


def power_minus_db(total_db: float, part_db: float) -> float:
    """The level of what is left of `total_db` without `part_db` (uncorrelated sounds add as powers)."""
    if part_db >= total_db:
        return -100.0
    return total_db + 10.0 * math.log10(1.0 - 10.0 ** ((part_db - total_db) / 10.0))


def _power_sum_db(levels: np.ndarray) -> float:
    top = float(levels.max())
    return top + 10.0 * math.log10(float(np.sum(10.0 ** ((levels - top) / 10.0))))


class EchoModel:
    """The level our echo is expected to have in the cleaned signal, from the reference's recent levels."""

    def __init__(self, span: int, far: int = FAR_WINDOWS) -> None:
        self.span = span
        self.levels = np.full(span + far, -100.0)  # reference levels, newest first
        self._fade = -ROOM_DECAY_DB * np.arange(far)
        self._near_share = 1.0
        self.restart(CALIBRATION_QUANTILE, INITIAL_LEAK_DB)

    def restart(self, quantile: float, leak_db: float) -> None:
        """A new canceller: its leaks are measured again from the next windows with the speaker active, at this
        quantile of their excess; until then they are guessed at `leak_db` above the reference."""
        self.near_leak = leak_db
        self.far_leak = leak_db - ROOM_DECAY_DB * self.span  # the room's echo, carried on past the reach
        self._first: list[float] = []
        self._first_far: list[float] = []
        self._calibration_quantile = quantile

    @property
    def calibrating(self) -> bool:
        """The leaks are still the guess: the first windows with the speaker active have not all been measured."""
        return len(self._first) < CALIBRATION_WINDOWS

    def reach(self, span: int) -> None:
        """A canceller that reaches `span` windows into the echo: the near part spans them, the reference's level
        history goes on."""
        levels = np.full(span + len(self._fade), -100.0)
        kept = min(levels.size, self.levels.size)
        levels[:kept] = self.levels[:kept]
        self.span, self.levels = span, levels

    def push(self, reference_db: float) -> None:
        self.levels[1:] = self.levels[:-1]
        self.levels[0] = reference_db

    @property
    def active(self) -> bool:
        """The speaker played something within the modelled time."""
        return float(self.levels.max()) >= ACTIVE_DB

    @property
    def loudest(self) -> float:
        return float(self.levels.max())

    def expected(self) -> float:
        # The canceller's reach as a mean power (its misadjustment follows the echo's energy, not its peaks).
        near = self.near_leak + _power_sum_db(self.levels[: self.span]) - 10.0 * math.log10(self.span)
        far = self.far_leak + _power_sum_db(self.levels[self.span :] + self._fade)
        top = max(near, far)
        near_part, far_part = 10.0 ** ((near - top) / 10.0), 10.0 ** ((far - top) / 10.0)
        self._near_share = near_part / (near_part + far_part)
        return top + 10.0 * math.log10(near_part + far_part)

    def learn(self, error_db: float, maybe_user: bool, user_run: bool = False) -> None:
        """One quantile step of the leak whose part makes most of the prediction, from a window taken for echo
        (`error_db`: its level minus `expected()`; `maybe_user`: it may hold the user's voice, so it moves the
        prediction up only slowly; `user_run`: it is in a run of excess that reached the evidence threshold, a
        voice that Silero does not score as speech yet)."""
        near_part = self._near_share >= 0.5
        if self.calibrating:
            # A fresh canceller may pass the echo anywhere from +10 to -30 dB: measure instead of creeping there.
            self._first.append(error_db)
            if len(self._first) == CALIBRATION_WINDOWS:
                shift = float(np.quantile(self._first, self._calibration_quantile))
                self.near_leak += shift
                self.far_leak += shift
            return
        if not near_part and self.levels[: self.span].max() < ACTIVE_DB:
            return  # the far part has faded towards the room's noise: nothing of ours to learn
        if not near_part and len(self._first_far) < CALIBRATION_WINDOWS:
            if user_run:
                # Not a measure of the room's late echo: a user talking into a pause of the first reply, whose
                # onset Silero scored 0.2-0.4, raised the far leak by 19 dB and was refused for 8 s
                # (speechbrain_rir2 at 0 dB, the echo 200 ms late).
                return
            self._first_far.append(error_db)
            if len(self._first_far) == CALIBRATION_WINDOWS:
                self.far_leak += float(np.quantile(self._first_far, self._calibration_quantile))
            return
        if error_db <= 0:
            step = -STEP_DB * (1.0 - QUANTILE)
        elif maybe_user:
            step = SPEECH_UP_DB
        else:
            step = STEP_DB * QUANTILE
        if near_part:
            self.near_leak += step
        else:
            self.far_leak += step


class CancellerDepth:
    """Whether the canceller removes CONVERGED_DB of our echo lately: the raw microphone stood that far above the
    cleaned signal in at least half (the median) of the last DEPTH_WINDOWS windows taken for our echo while the
    speaker played. (Counted, not np.median: 10 us a window.)"""

    def __init__(self) -> None:
        self._deep = np.zeros(DEPTH_WINDOWS, dtype=np.int64)  # 1: that window's echo was removed that deep
        self._count = 0

    def restart(self) -> None:
        """A new canceller: what the old one removed says nothing about it."""
        self._count = 0

    def add(self, removed_db: float) -> None:
        self._deep[self._count % DEPTH_WINDOWS] = removed_db >= CONVERGED_DB
        self._count += 1

    @property
    def converged(self) -> bool:
        recent = min(self._count, DEPTH_WINDOWS)
        return self._count >= CALIBRATION_WINDOWS and 2 * int(self._deep[:recent].sum()) >= recent


class QuietTail:
    """After the speaker falls quiet, the level our echo can still have: the level as it stopped, fading."""

    def __init__(self) -> None:
        self.windows = LINGER_WINDOWS  # windows since the speaker fell quiet (-1: it is playing); at start: long
        self.anchor = -100.0
        self.quietest = math.inf  # the quietest cleaned window since the canceller let go of our echo
        self._previous = -100.0

    def update(self, reference_db: float, loudest_db: float, clean_db: float) -> None:
        if reference_db >= max(loudest_db - QUIET_DB, ACTIVE_DB):
            self.windows = -1
        elif self.windows < 0:
            self.windows = 0
            self.anchor = max(self._previous, clean_db)
            self.quietest = math.inf
        else:
            self.windows += 1
            if self.windows < SETTLE_WINDOWS:
                # The canceller lets go of the echo: the cleaned level may still rise, and the anchor with it.
                self.anchor = max(self.anchor, clean_db + TAIL_DECAY_DB * self.windows)
            else:
                self.quietest = min(self.quietest, clean_db)
        self._previous = clean_db

    def allows(self, clean_db: float) -> bool:
        if self.windows < 0:
            return True
        if self.windows < SETTLE_WINDOWS:
            return False
        return clean_db >= self.anchor - TAIL_DECAY_DB * self.windows + TAIL_MARGIN_DB

    def lingers(self, clean_db: float) -> bool:
        """Beyond the echo model's reach: a window no louder than our echo was as it stopped is its last tail,
        unless it rose well above the quietest one since (a ringing room only fades: that is someone talking)."""
        # (Not from near silence: the noise suppressor leaves a steady ringing floor wavering between 0 and 30 dB.)
        return (0 <= self.windows < LINGER_WINDOWS and clean_db < self.anchor + TAIL_MARGIN_DB
                and clean_db < max(self.quietest, ACTIVE_DB) + LINGER_RISE_DB)


class RoomDecay:
    """How our echo died away at the microphone in the reply's recent pauses: per window after the speaker fell
    quiet, the raw level relative to the level as it stopped (the loudest of the last DECAY_MEMORY pauses with
    nobody talking that lasted that long: a long pause is not forgotten over a few short ones)."""

    def __init__(self) -> None:
        self.fades = np.full((DECAY_MEMORY, DECAY_WINDOWS), np.nan)  # per window since a stop: recent fades
        self.limit = np.full(DECAY_WINDOWS, np.nan)  # per window since the stop: the loudest (dB re start)
        self.start_db = -100.0  # the raw level as the speaker stopped
        self._kept = np.zeros(DECAY_WINDOWS, dtype=np.int64)  # fades kept so far, per window
        self._fade = np.full(DECAY_WINDOWS, np.nan)  # the fade being measured
        self._measuring = False
        self._quietest = -100.0  # the quietest window of the fade being measured
        self._previous = -100.0

    def update(self, windows: int, echo_db: float, nobody: bool) -> None:
        """One window: `windows` since the speaker fell quiet (QuietTail.windows: -1 while it plays), the level
        of our echo at the microphone (the raw level, or its share of it while the user talks), and whether
        nobody has been taken for the user lately (the fade is only ours then)."""
        if windows == 0:
            self.start_db = max(self._previous, echo_db)
            self._measuring = nobody
            self._fade[:] = np.nan
            self._quietest = echo_db
        if self._measuring:
            # Our echo only fades: a rise is someone starting to talk whom the gate has not recognised yet, and
            # measured as our fade it would raise the bound against the user at the next stops.
            if 0 <= windows < DECAY_WINDOWS and nobody and echo_db < self._quietest + RISE_DB:
                self._fade[windows] = echo_db - self.start_db
                self._quietest = min(self._quietest, echo_db)
            else:
                self._measuring = False
                self._keep()
        self._previous = echo_db

    def _keep(self) -> None:
        # Only finished fades count: a user talking in this pause must not raise the bound against itself.
        measured = np.flatnonzero(~np.isnan(self._fade))
        self.fades[self._kept[measured] % DECAY_MEMORY, measured] = self._fade[measured]
        self._kept[measured] += 1
        self.limit = np.fmax.reduce(self.fades, axis=0)

    def bound(self, windows: int) -> float | None:
        """The loudest our echo can be at the microphone `windows` after the stop; None: not measured yet."""
        if not 0 <= windows < DECAY_WINDOWS or np.isnan(self.limit[windows]):
            return None
        return self.start_db + float(self.limit[windows])


@dataclass(frozen=True)
class GateWindow:
    """What the gate saw and decided in one window (DoubleTalkGate.record; `assistant bench bargein --gate-log`)."""

    reference_db: float  # what the speaker played
    mic_db: float  # the raw microphone
    clean_db: float  # the cleaned signal the VAD scored
    p: float  # the VAD's speech probability
    expected_db: float | None  # our echo expected in the cleaned signal (None: the speaker has been quiet)
    room_db: float | None  # after a stop: the bound from the room's measured fade (None: none)
    since_stop: int  # windows since the speaker fell quiet (-1: it plays)
    evidence_db: float  # the CUSUM of the excess over the expected echo
    passed: bool  # scored as speech and let through: taken for the user


class DoubleTalkGate:
    """Per VAD window: `probability(clean, mic, reference, p, threshold)` gives p, or 0 when it is likely echo.

    `canceller_ms`: the echo canceller's filter length (0: no canceller; then everything counts as near echo).
    `evidence_db`: the CUSUM threshold; lower reacts sooner and ducks the reply for echo more often.
    `room_decay`: bound the echo after a stop by the room's measured fade (not with automatic gain control,
    which lifts the cleaned signal above the raw microphone).
    """

    def __init__(
        self, *, canceller_ms: float = 200.0, evidence_db: float = EVIDENCE_DB, window_ms: float = 32.0,
        room_decay: bool = True,
    ) -> None:
        self._window_ms = window_ms
        self.echo = EchoModel(span=self._span(canceller_ms))
        self.depth = CancellerDepth()
        self.tail = QuietTail()
        self.decay = RoomDecay() if room_decay else None
        self.evidence_db = evidence_db
        self._evidence = 0.0
        self._speech_like = False  # the last window's VAD score was over the threshold
        self._run_reached = False  # the present run of excess has reached the evidence threshold
        self._since_pass = HOLD_WINDOWS + 1
        self.gated = 0  # windows scored as speech but taken for echo
        self._user_turn = False
        self._user_at_stop = False  # the speaker stopped (a duck) while the user's windows were passing
        self._pause_ours = False  # every window of the present pause was within the room's measured fade
        self._evidence_at_stop = 0.0  # the evidence as the speaker fell quiet (gathered while it played)
        self.record: list[GateWindow] | None = None  # a list: every window's GateWindow is appended to it
        # While the playback delay is being measured our echo may come this late (see `probability`).
        self._unmeasured_windows = math.ceil(PROBE_MAX_DELAY_MS / window_ms)
        self._since_played = self._unmeasured_windows
        self._expected: float | None = None  # the present window's, for the record
        self._room: float | None = None
        self._restart_reach: float | None = None  # a canceller restart that waits for the speaker to play again

    @classmethod
    def from_config(cls, config: Config, *, window_ms: float = 32.0) -> DoubleTalkGate:
        canceller = config.frontend.aec_tail_ms if config.frontend.aec else 0.0
        return cls(canceller_ms=canceller, evidence_db=config.conversation.barge_in_evidence_db, window_ms=window_ms,
                   room_decay=not config.frontend.agc)

    def _span(self, canceller_ms: float) -> int:
        return max(1, math.ceil(canceller_ms / self._window_ms))

    def canceller_restarted(self, reach_ms: float) -> None:
        """The canceller started over at a new delay compensation (the measured delay was beyond its reach),
        reaching `reach_ms` into the echo (AudioFrontEnd.canceller_reach_ms): what was learnt of the old one's
        leaks and depth no longer holds. (The room's fades measured so far stay: against a reference that ran ahead
        of the echo they are slow at first, a bound on the safe side; dropped, a question asked a second after a
        short first reply was refused for 2 s as its echo.)"""
        # Trained on what it missed (FrontEnd.set_playback_delay), the new canceller starts converged: its leaks
        # are set where learning keeps them (QUANTILE), not low as a fresh one's, whose leaks only fall from there
        # (at their median, the replayed canceller's best windows set the echo model 20 dB too low: echo-only
        # turns at 200 ms). Those windows are the first reply's (the delay is measured after the greeting), judged
        # against a guess above the fresh start's: trained on the greeting alone, the new canceller left the echo
        # 15-17 dB above the reference in a loud room, and the first answer interrupted itself (bench bargein
        # --echo-delay-ms 200: false barge-ins 15 -> 12, missed 9 -> 6; 100 ms: missed 6 -> 5).
        # Once the speaker plays again: the echo that lingers now is the greeting's, whose level the old model knows
        # (the new canceller, trained on it, passes less of it). Measured as soon as the greeting is over, the
        # delay restarted the model on its tail: the guess lifted the expected echo by 18 dB there, and a user
        # who had answered the greeting at once was refused for half a second more.
        self._restart_reach = reach_ms
        if self.tail.windows < 0:
            self._restart_echo()

    def _restart_echo(self) -> None:
        assert self._restart_reach is not None
        self.echo.reach(self._span(self._restart_reach))
        self.echo.restart(QUANTILE, RESTART_LEAK_DB)
        self.depth.restart()
        self._restart_reach = None

    def _push_reference(self, reference_db: float) -> None:
        """The reference level of a new window into the echo model (restarted first if the speaker plays again)."""
        if self._restart_reach is not None and reference_db >= ACTIVE_DB:
            self._restart_echo()
        self.echo.push(reference_db)

    @property
    def voice_building(self) -> bool:
        """The last window was speech-like and evidence of a voice over our echo is left (windows lately stood
        above the expected echo by more than the drift): a voice the gate may take in a window or two."""
        return self._evidence > 0.0 and self._speech_like

    def user_turn_opened(self) -> None:
        """The listener took the user's speech (a barge-in, say): until the speaker plays again, a pause in it
        is theirs, not our echo's tail (measured: a user who barged in over an unconverged canceller was cut
        off at their first pause, the echo as the reply stopped having been louder than their voice)."""
        self._user_turn = True

    def probability(self, clean: np.ndarray, mic: np.ndarray, reference: np.ndarray, p: float, threshold: float,
                    *, delay_known: bool = True, reference_missing: bool = False) -> float:
        """`clean`: the window as the VAD got it; `mic`: the same window of the raw microphone; `reference`:
        what the speaker played then, delayed to line up with its echo in `mic` when `delay_known`.

        While the playback delay is being measured (the first seconds of playback after start-up: the greeting,
        or the first reply without one) the reference may run ahead of its echo by up to a second: with the echo
        100-200 ms late, the echo model took the first reply's own echo for the user, which barged in again and
        again. Until then, speech within that second of our playback is taken for our echo (no duck, no
        barge-in); the model learns as usual (the delay is mostly within its reach; when it is not, the canceller
        starts over and so does the model: `canceller_restarted`).

        `reference_missing`: part of the reference never arrived (CleanBlock.ref_missing): see `_unknown_echo`."""
        if reference_missing and self.echo.active:
            decided = self._unknown_echo(p, threshold)
        else:
            decided = self._decide(clean, mic, reference, p, threshold)
        self._speech_like = p >= threshold
        if not delay_known:
            self._since_played = 0 if self.echo.levels[0] >= ACTIVE_DB else self._since_played + 1  # just pushed
            if self._since_played < self._unmeasured_windows:
                self.gated += decided >= threshold
                decided = 0.0
            else:
                decided = p  # a second after our playback: nothing of ours can be left
        if self.record is not None:
            self.record.append(GateWindow(
                float(self.echo.levels[0]), level_db(mic), level_db(clean), p, self._expected, self._room,
                self.tail.windows, self._evidence, decided >= threshold,
            ))
        return decided

    def _unknown_echo(self, p: float, threshold: float) -> float:
        """A window while the speaker plays whose reference partly never arrived (two streams: the speaker stalled
        and played in bursts, DuplexBlock.ref_missing): its echo is uncancelled and of unknown level. Taken for our
        echo, and for as loud as the loudest we played lately, so that its tail is expected after it; nothing is
        learnt from it. (Through PulseAudio, a stall of 100-150 ms as a reply resumed left that much of its echo
        with no reference, 70 dB at the microphone, and it interrupted the reply.)"""
        self._push_reference(self.echo.loudest)
        self.gated += p >= threshold
        return 0.0

    def _decide(self, clean: np.ndarray, mic: np.ndarray, reference: np.ndarray, p: float, threshold: float
                ) -> float:
        self._push_reference(level_db(reference))
        echo = self.echo
        clean_db = level_db(clean)
        paused_for = self.tail.windows + 1  # windows the speaker had been quiet for (0: it was playing)
        self.tail.update(float(echo.levels[0]), echo.loudest, clean_db)
        self._since_pass += 1
        user_talking = self._since_pass <= 2  # one of the last two windows passed
        if self.tail.windows < 0:
            self._user_turn = self._user_at_stop = False
        elif self.tail.windows == 0:
            self._user_at_stop = user_talking
        predicted = echo.expected() if echo.active else -100.0
        self._expected = predicted if echo.active else None
        room = None
        mic_db = level_db(mic)
        if self.decay is not None:
            ours_db = mic_db
            if user_talking and clean_db >= predicted + CLEAR_DB:
                # The user's windows are passing and this one stands clear of our echo: the raw level is their
                # voice and our echo, and the cleaned one their voice, so our echo is the difference (and at
                # least what we expect the canceller to leave of it). As the speaker stops, it fades from that.
                ours_db = min(ours_db, max(power_minus_db(ours_db, clean_db), predicted))
            self.decay.update(self.tail.windows, ours_db, self._since_pass > HOLD_WINDOWS and not self._user_turn)
            room = self.decay.bound(self.tail.windows)
        self._room = room
        # (Not near silence: Silero, primed by the reply, scores a silent pause as speech.)
        above_room = room is not None and clean_db >= max(room + ROOM_MARGIN_DB, ACTIVE_DB)
        if self.tail.windows >= 0:
            if self.tail.windows == 0:
                self._evidence_at_stop = self._evidence if self._run_reached else 0.0
            self._pause_ours = (self._pause_ours or self.tail.windows == 0) and room is not None and not above_room
        elif paused_for >= 2 and self._pause_ours and self._since_pass > paused_for:
            # The reply resumes after a pause that was all our echo's by the room's measured fade, and in which
            # nobody passed: the evidence gathered in it, against a canceller letting go of the echo (the tail
            # check refused it), is dropped. Carried on, it passed the reply's next quiet syllable (every
            # echo-only duck in the seminar room).
            # (Not after a dip of one window, too short for the canceller to let go: a user's voice then stands
            # within the bound, which starts from their voice and our echo together, and their evidence runs on.
            # Nor what a voice gathered before the stop, once it reached the threshold: dropped, Silero still
            # scoring it low, it was learnt as echo and refused for 13 s, speechbrain_rir3 +0 dB.)
            self._evidence = min(self._evidence, self._evidence_at_stop)
            self._run_reached = self._evidence > 0
        if not echo.active:
            self._evidence, self._run_reached = 0.0, False
            if self._user_turn or above_room or not self.tail.lingers(clean_db):
                return p  # the speaker has been quiet: whatever the mic hears is not our echo
            self.gated += p >= threshold
            return 0.0
        if clean_db < ACTIVE_DB:
            # Silero's state, carried over from the reply, scored 0.6-0.7 on a pause this quiet, and a prediction
            # fading below it made that an excess of 25 dB (a barge-in on silence in the simulated rooms).
            self._evidence, self._run_reached = 0.0, False
            self.gated += p >= threshold
            if echo.calibrating and predicted > ACTIVE_DB:
                # Our echo is at most this loud here. A canceller trained on the greeting leaves most windows of the
                # first reply this quiet: calibrated on the others alone, the prediction stayed at the restart's
                # guess (88 dB over a residual of 10-30 dB in speechbrain_rir2) and the user was refused for 10 s.
                # (After calibration, learning from them too cost barge-ins: bench bargein missed 0 -> 1.)
                echo.learn(ACTIVE_DB - predicted, maybe_user=False)
            return 0.0
        # After a stop, the room's fade also bounds the echo (the prediction's own fade is the slowest room's).
        expected = predicted if room is None else min(predicted, room)
        self._expected = expected
        error = clean_db - expected
        self._evidence = min(max(0.0, self._evidence + error - DRIFT_DB), 2 * self.evidence_db)
        # A run of excess that reached the threshold may be the user until its evidence is back to zero: between
        # syllables it dips below the threshold, and learnt at the full step then, the voice lifted the prediction.
        self._run_reached = self._evidence >= self.evidence_db or (self._run_reached and self._evidence > 0)
        loud = self._evidence >= self.evidence_db or (self._since_pass <= HOLD_WINDOWS and error >= KEEP_DB)
        speech = p >= threshold
        # The voice that ducked the reply goes on: the tail check's anchor is that voice, not our echo.
        voice_goes_on = self._user_at_stop and error >= KEEP_DB
        if loud and speech and (error >= CLEAR_DB or above_room or voice_goes_on or self.tail.allows(clean_db)):
            self._since_pass = 0
            return p
        self.depth.add(mic_db - clean_db)
        maybe_user = self._run_reached or (
            # (A speech-like window just above the prediction of a converged canceller: its echo's swing, see above.)
            speech and not (clean_db - predicted < SMALL_EXCESS_DB and self.depth.converged)
        )
        # (A run within the room's measured fade after a stop is the canceller letting go of our echo.)
        echo.learn(clean_db - predicted, maybe_user, self._run_reached and (room is None or above_room))
        if speech:
            self.gated += 1
        return 0.0
