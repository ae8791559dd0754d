"""Coins, dice and numbers drawn by the device (assistant.conversation.chance), through the skills."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from assistant.conversation.skills import SKILLS, Skills


def skills(seed: int = 1) -> Skills:
    return Skills(SKILLS, rng=random.Random(seed))


def said(skill: Skills, text: str) -> str:
    reply = skill.answer(text, 0)
    assert reply is not None and reply.intent == "random", (text, reply)
    return reply.text


def test_a_coin_comes_up_heads_or_tails_about_evenly() -> None:
    skill = skills()
    tosses = Counter(said(skill, text) for text in ["flip a coin", "heads or tails", "toss a coin please"] * 200)
    assert set(tosses) == {"It's heads.", "It's tails."}
    assert 240 <= tosses["It's heads."] <= 360  # of 600: the generator's, not a model's favourite


@pytest.mark.parametrize(
    ("text", "count", "sides"),
    [("roll a die", 1, 6), ("roll the dice", 1, 6), ("roll two dice", 2, 6), ("roll a 20 sided die", 1, 20),
     ("hey jarvis roll a d20", 1, 20), ("roll 3 dice please", 3, 6), ("roll an 8-sided die", 1, 8)],
)
def test_dice_show_every_face_and_no_other(text: str, count: int, sides: int) -> None:
    skill = skills()
    faces: Counter[int] = Counter()
    for _ in range(100 * sides // count):
        reply = said(skill, text)
        rolled = [int(n) for n in re.findall(r"\d+", reply.split(":")[0].removeprefix("You rolled"))]
        assert len(rolled) == count, reply
        if count > 1:
            assert reply.endswith(f": {sum(rolled)} in all."), reply
        faces.update(rolled)
    assert set(faces) == set(range(1, sides + 1))


def test_a_number_is_drawn_from_the_range_either_way_round_and_bounds_are_said() -> None:
    skill = skills()
    drawn = {int(said(skill, "pick a number between 1 and 10").rstrip(".")) for _ in range(200)}
    assert drawn == set(range(1, 11))
    assert {int(said(skill, "pick a random number from 5 to 3").rstrip(".")) for _ in range(50)} == {3, 4, 5}
    assert {said(skill, "pick a random number") for _ in range(200)} == {  # no range said: one to ten, said so
        f"Between 1 and 10: {n}." for n in range(1, 11)}
    assert skill.answer("pick a number", 0) is None  # "... and I'll guess it": a game, the model's
    assert said(skill, "roll 50 dice") == "I can roll up to 10 dice of 2 to 1000 sides."
    assert said(skill, "roll an 8 sided die") in {f"You rolled {'an' if n == 8 else 'a'} {n}." for n in range(1, 9)}


def test_the_same_seed_gives_the_same_draws_and_talk_about_dice_is_the_models() -> None:
    assert [said(skills(7), "roll a die") for _ in range(5)] == [said(skills(7), "roll a die") for _ in range(5)]
    for text in ["tell me about dice games", "how do you flip a coin fairly", "what is a d20"]:
        assert skills().answer(text, 0) is None
    assert Skills([s for s in SKILLS if s != "random"]).answer("flip a coin", 0) is None
