"""The controller on its own: the output gain it sets, and what it keeps over many turns (a weeks-long run)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.audio.room import RoomSetup, SimulatedRoom
from assistant.config import Config
from assistant.conversation.controller import STALE_TURNS, Controller
from assistant.conversation.messages import Duck, OutputLevel, TurnEnded, TurnStarted
from assistant.conversation.trace import Trace
from assistant.conversation.turns import ListenState, Turns
from assistant.conversation.workers import Speaker


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
