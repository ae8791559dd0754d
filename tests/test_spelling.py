"""Words spelled by the device (assistant.conversation.spelling), through the skills."""

from __future__ import annotations

import pytest

from assistant.conversation.skills import SKILLS, Skills


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("how do you spell necessary", "Necessary is spelled N, E, C, E, S, S, A, R, Y."),
        ("Spell rhythm.", "Rhythm is spelled R, H, Y, T, H, M."),
        ("How is Wednesday spelled?", "Wednesday is spelled W, E, D, N, E, S, D, A, Y."),
        ("how do you spell forty", "Forty is spelled F, O, R, T, Y."),  # not "40"
        ("what's the spelling of don't", "Don't is spelled D, O, N, apostrophe, T."),
        ("how do you spell self-esteem", "Self-esteem is spelled S, E, L, F, hyphen, E, S, T, E, E, M."),
        ("hey jarvis how do you spell definitely please", "Definitely is spelled D, E, F, I, N, I, T, E, L, Y."),
    ],
)
def test_a_word_is_spelled_a_letter_at_a_time(text: str, reply: str) -> None:
    answer = Skills(SKILLS).answer(text, 0)
    assert answer is not None and (answer.intent, answer.text) == ("spelling", reply)


@pytest.mark.parametrize(
    "text", ["how is Wednesday", "how do you spell it", "spell it", "how do you spell my name",
             "how do you spell success in business", "what is a spelling bee"],
)
def test_what_is_not_one_word_to_spell_is_left_to_the_model(text: str) -> None:
    assert Skills(SKILLS).answer(text, 0) is None
    assert Skills([s for s in SKILLS if s != "spelling"]).answer("spell rhythm", 0) is None
