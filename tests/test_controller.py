"""The controller on its own: the output gain it sets, and what it keeps over many turns (a weeks-long run)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.audio.room import RoomSetup, SimulatedRoom
from assistant.config import Config
from assistant.conversation.controller import STALE_TURNS, STOP_CHECK_HOLD, Controller
from assistant.conversation.messages import (
    Clock,
    Duck,
    Heard,
    OutputLevel,
    Prompt,
    Queued,
    Remember,
    StopHeard,
    TurnEnded,
    TurnStarted,
)
from assistant.conversation.trace import Trace
from assistant.conversation.turns import ListenState, Turns
from assistant.conversation.workers import Speaker
from assistant.speech.stt import Transcript


@pytest.fixture()
def controller() -> Controller:
    room = SimulatedRoom([], RoomSetup())
    turns = Turns()
    sent: list[Any] = []
    return Controller(
        Config(), room, Speaker(room, turns, max_ahead_s=None), turns=turns, state=ListenState(),
        trace=Trace(room.playback_position), to_brain=sent.append, to_tts=sent.append, wake_required=False,
        trace_audible=True,
    )


def _gain(controller: Controller) -> float:
    return controller.audio._gain  # type: ignore[attr-defined]  # what the room's speaker plays at


def test_a_lowered_output_level_holds_through_ducks_and_after_the_reply(controller: Controller) -> None:
    controller.handle(TurnStarted(controller.turns.open(), 0, 0, False))
    controller.current.phase = "speaking"  # type: ignore[union-attr]
    controller.state.speaking = True
    controller.handle(OutputLevel(-6.0, 100))
    assert _gain(controller) == pytest.approx(10 ** (-6 / 20))
    controller.handle(Duck(True, 200))
    assert _gain(controller) == pytest.approx(10 ** (-6 / 20) * controller.duck_gain)
    controller.handle(Duck(False, 300))
    assert _gain(controller) == pytest.approx(10 ** (-6 / 20))
    controller.handle(Duck(True, 400))
    controller._stop_speaking()  # the reply ended ducked: the level stays, the duck goes
    assert _gain(controller) == pytest.approx(10 ** (-6 / 20))
    assert [e["db"] for e in controller.trace.events if e["event"] == "output_level"] == [-6.0]


def test_superseded_turns_whose_transcript_never_comes_are_not_kept_forever(controller: Controller) -> None:
    # The user goes on speaking after each pause: every turn is superseded by the next before its transcript
    # arrives, and (a recognizer restarted meanwhile) none ever does.
    for _ in range(100):
        turn = controller.turns.open()
        controller.handle(TurnStarted(turn, turn * 100, turn * 100, False))
        controller.handle(TurnEnded(turn, turn * 100 + 50, turn * 100 + 40, "silence", 700))
    assert len(controller._old) <= STALE_TURNS + 1


# ------------------------------------------------------------------------------------------ stop phrases


def _replying(controller: Controller, user: str = "tell me a story") -> int:
    """A user turn whose reply is playing."""
    turn = controller.turns.open()
    controller.handle(TurnStarted(turn, 0, 0, False))
    assert controller.current is not None
    controller.current.user = user
    controller.current.phase = "speaking"
    controller.state.speaking = True
    return turn


def _sent(controller: Controller) -> list[Any]:
    return controller.to_brain.__self__  # type: ignore[attr-defined]  # the fixture's list


def test_a_sound_checked_for_a_stop_phrase_keeps_the_reply_down_until_the_answer(controller: Controller) -> None:
    turn = _replying(controller)
    controller.handle(Duck(True, 100))
    controller.handle(Duck(False, 200, checking=True))  # the listener lets go: the recognizer has the sound
    assert _gain(controller) == pytest.approx(controller.duck_gain)
    controller.handle(StopHeard(turn, None, 200))
    assert _gain(controller) == pytest.approx(1.0)
    assert controller.current is not None and controller.current.phase == "speaking"
    assert not _events(controller, "barge_in")


def test_a_new_duck_during_the_check_holds_the_reply_down_after_the_answer(controller: Controller) -> None:
    turn = _replying(controller)
    controller.handle(Duck(True, 100))
    controller.handle(Duck(False, 200, checking=True))
    controller.handle(Duck(True, 250))
    controller.handle(StopHeard(turn, None, 200))
    assert _gain(controller) == pytest.approx(controller.duck_gain)  # the listener still hears something


def test_a_stop_phrase_ends_the_reply_and_opens_no_turn(controller: Controller) -> None:
    turn = _replying(controller)
    controller.handle(Duck(True, 100))
    controller.handle(Duck(False, 200, checking=True))
    controller.handle(StopHeard(turn, "stop", 200))
    assert controller.current is not None and controller.current.phase == "done"
    assert not controller.turns.is_live(turn)  # the brain and the voice drop the rest of the reply
    assert not controller.state.speaking
    assert _gain(controller) == pytest.approx(1.0)  # the next reply is heard
    (barge_in,) = _events(controller, "barge_in")
    assert barge_in["turn"] == turn and barge_in["stop_phrase"] == "stop"
    assert _events(controller, "reply_heard")
    assert [m for m in _sent(controller) if isinstance(m, Remember)] == [Remember("tell me a story", "")]
    assert controller.turns.current == turn  # no new turn: "stop" is not answered


def test_a_stop_word_in_the_assistants_own_reply_is_not_the_user(controller: Controller) -> None:
    turn = _replying(controller)
    controller.echo.said("Wait for me, said the little fox.", 150)
    controller.handle(Duck(True, 100))
    controller.handle(Duck(False, 200, checking=True))
    controller.handle(StopHeard(turn, "wait", 200))
    assert controller.current is not None and controller.current.phase == "speaking"
    assert _gain(controller) == pytest.approx(1.0)


def test_a_slow_verdict_does_not_mute_the_reply_for_long_but_still_stops_it(controller: Controller) -> None:
    turn = _replying(controller)
    controller.handle(Duck(True, 100))
    controller.handle(Duck(False, 200, checking=True))
    controller.handle(Clock(200 + STOP_CHECK_HOLD // 2))
    assert _gain(controller) == pytest.approx(controller.duck_gain)
    controller.handle(Clock(201 + STOP_CHECK_HOLD))
    assert _gain(controller) == pytest.approx(1.0)  # the reply came back while the recognizer is still at it
    controller.handle(StopHeard(turn, "pause", 200))
    assert controller.current is not None and controller.current.phase == "done"
    assert [e["stop_phrase"] for e in _events(controller, "barge_in")] == ["pause"]


def test_a_turn_that_only_says_stop_gets_no_answer(controller: Controller) -> None:
    for text, answered in (("Stop.", False), ("okay, never mind", False), ("stop the music", True)):
        turn = controller.turns.open()
        controller.handle(TurnStarted(turn, 0, 0, False))
        controller.handle(TurnEnded(turn, 10, 5, "silence", 350))
        controller.handle(Heard(turn, Transcript(text, "en", (), 1.0, 0.1, "test"), 0.01))
        prompts = [m for m in _sent(controller) if isinstance(m, Prompt) and m.turn == turn]
        assert bool(prompts) == answered, text
        dropped = [e["reason"] for e in _events(controller, "turn_dropped") if e["turn"] == turn]
        assert dropped == ([] if answered else ["stop_phrase"]), text


def _events(controller: Controller, name: str) -> list[dict[str, Any]]:
    return [e for e in controller.trace.events if e["event"] == name]


def test_the_heap_is_trimmed_once_a_second_after_each_turn_and_never_during_one(controller: Controller) -> None:
    trims: list[int] = []
    controller.heap.trim = lambda: trims.append(controller.now) or 0.0  # type: ignore[method-assign]
    second = 16000
    turn = controller.turns.open()
    controller.handle(TurnStarted(turn, 0, 0, False))
    controller.handle(TurnEnded(turn, 10, 5, "silence", 350))
    controller.handle(Heard(turn, Transcript("Stop.", "en", (), 1.0, 0.1, "test"), 0.01))  # dropped: over
    controller.handle(Clock(second // 2))
    assert trims == []  # not at once: a follow-up often comes sooner
    controller.handle(Clock(second + 100))
    controller.handle(Clock(3 * second))
    assert trims == [second + 100]  # once per turn
    # due while the next turn is going on: after it
    turn = controller.turns.open()
    controller.handle(TurnStarted(turn, 4 * second, 4 * second, False))
    controller.handle(TurnEnded(turn, 4 * second + 10, 4 * second + 5, "silence", 350))
    controller.handle(Heard(turn, Transcript("Stop.", "en", (), 1.0, 0.1, "test"), 0.01))
    next_turn = controller.turns.open()
    controller.handle(TurnStarted(next_turn, 4 * second + 20, 4 * second + 20, False))
    controller.handle(Clock(6 * second))
    assert trims == [second + 100]
    controller.handle(TurnEnded(next_turn, 6 * second + 10, 6 * second + 5, "silence", 350))
    controller.handle(Heard(next_turn, Transcript("Stop.", "en", (), 1.0, 0.1, "test"), 0.01))
    controller.handle(Clock(8 * second))
    assert trims == [second + 100, 8 * second]


def test_the_pieces_of_one_sentence_are_heard_once_even_when_the_sound_card_places_them_apart(
    controller: Controller,
) -> None:
    # On a sound card the speaker's position and the queued reference are counted on two clocks: the next piece
    # of a sentence may be placed a few milliseconds after the last one ended. Its words are the same sentence's.
    turn = _replying(controller)
    controller.handle(Queued(turn, 0, "Anna is scared.", 0, 8000, True))
    controller.handle(Queued(turn, 0, "Anna is scared.", 8040, 14000, False, continued=True))
    controller.handle(Queued(turn, 1, "Anna is scared.", 14000, 20000, False))  # the same words again, said again
    assert controller.current is not None
    assert controller.current.heard(None) == "Anna is scared. Anna is scared."
    assert controller.current.heard(11000) == "Anna is"  # cut in the first sentence's second piece
