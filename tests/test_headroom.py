"""EchoHeadroom: the output level goes down while the reply's echo clips the microphone, and slowly back up."""

from __future__ import annotations

from assistant.audio.frontend import CLIP_LEVEL
from assistant.conversation.headroom import RECOVER_AFTER_S, RECOVER_PEAK, SETTLE_S, STEP_DB, EchoHeadroom

BLOCK = 320  # 20 ms
LOUD_REF = 20000


def play(headroom: EchoHeadroom, mic_peak: int, seconds: float, start: int = 0, *, echo_only: bool = True,
         ref_peak: int = LOUD_REF) -> tuple[list[float], int]:
    """Blocks of a reply with this microphone peak; the levels asked for, and the next block's sample."""
    levels, now = [], start
    for _ in range(round(seconds * 16000 / BLOCK)):
        now += BLOCK
        level = headroom.observe(mic_peak, ref_peak, BLOCK, speaking=True, echo_only=echo_only, now=now)
        if level is not None:
            levels.append(level)
    return levels, now


def end_reply(headroom: EchoHeadroom, now: int) -> float | None:
    return headroom.observe(0, 0, BLOCK, speaking=False, echo_only=True, now=now + BLOCK)


def test_clipping_echo_steps_the_level_down_once_per_settle_time_to_the_floor() -> None:
    headroom = EchoHeadroom(floor_db=-9.0)
    levels, _ = play(headroom, 32767, 2.0)
    assert levels == [-STEP_DB, -2 * STEP_DB, -9.0]
    # the steps are SETTLE_S apart: the first at the first clipped block
    headroom = EchoHeadroom(floor_db=-40.0)
    levels, _ = play(headroom, 32767, SETTLE_S * 2.5)
    assert len(levels) == 3


def test_no_step_below_full_scale_nor_while_the_user_may_be_speaking() -> None:
    headroom = EchoHeadroom(floor_db=-18.0)
    assert play(headroom, CLIP_LEVEL - 1, 2.0)[0] == []
    assert play(headroom, 32767, 2.0, echo_only=False)[0] == []  # ducked or a user turn open
    assert headroom.observe(32767, LOUD_REF, BLOCK, speaking=False, echo_only=True, now=BLOCK) is None


def test_a_floor_of_zero_never_turns_down() -> None:
    assert play(EchoHeadroom(floor_db=0.0), 32767, 2.0)[0] == []


def test_a_long_reply_with_room_to_spare_brings_it_up_one_db_per_reply() -> None:
    headroom = EchoHeadroom(floor_db=-18.0)
    _, now = play(headroom, 32767, 0.02)  # one clipped block
    assert headroom.level_db == -STEP_DB
    _, now = play(headroom, RECOVER_PEAK, RECOVER_AFTER_S + 0.1, now)
    assert end_reply(headroom, now) == -STEP_DB + 1.0
    _, now = play(headroom, RECOVER_PEAK, RECOVER_AFTER_S + 0.1, now + BLOCK)
    assert end_reply(headroom, now) == -STEP_DB + 2.0


def test_no_recovery_after_a_short_reply_a_loud_echo_or_a_silent_speaker() -> None:
    headroom = EchoHeadroom(floor_db=-18.0)
    _, now = play(headroom, 32767, 0.02)  # one clipped block
    _, now = play(headroom, RECOVER_PEAK, RECOVER_AFTER_S / 2, now)  # short
    assert end_reply(headroom, now) is None
    _, now = play(headroom, RECOVER_PEAK + 1, RECOVER_AFTER_S + 0.1, now + BLOCK)  # not enough room
    assert end_reply(headroom, now) is None
    _, now = play(headroom, 100, RECOVER_AFTER_S + 0.1, now + BLOCK, ref_peak=0)  # queued, not yet playing
    assert end_reply(headroom, now) is None
    assert headroom.level_db == -STEP_DB


def test_the_blocks_before_a_step_do_not_count_for_recovery() -> None:
    headroom = EchoHeadroom(floor_db=-18.0)
    _, now = play(headroom, RECOVER_PEAK, RECOVER_AFTER_S + 0.1)
    _, now = play(headroom, 32767, 0.02, now)  # clipped at the very end
    _, now = play(headroom, RECOVER_PEAK, 0.5, now)
    assert end_reply(headroom, now) is None
    assert headroom.level_db == -STEP_DB
