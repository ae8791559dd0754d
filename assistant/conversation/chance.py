"""Chance: "flip a coin", "heads or tails", "roll a die", "roll two dice", "roll a 20-sided die", "roll a d20",
"pick a number between 1 and 100", "pick a random number" (1 to 10).

A language model is no die: at temperature 0 it gives the same toss every time, and a small one at any
temperature favours a few answers. The device draws them from its own random generator (the skills own one;
tests seed it). Read on a request's words (arithmetic.request_words: normalized, "please" and a wake word's name
taken off).
"""

from __future__ import annotations

import random
import re

from assistant.conversation.spoken import spoken_list

_COIN = re.compile(r"^(?:(?:flip|toss) (?:a |the |me a )?coin|heads or tails|coin (?:flip|toss))$")
_DICE = re.compile(r"^roll (?:a |an |the |me a |(?P<count>\d+) )?(?:(?P<sides>\d+) sided )?(?:die|dice|dices)$"
                   r"|^roll (?:a |an )?d(?P<d>\d+)$")
_NUMBER = re.compile(r"^(?:pick|choose|give me|tell me|think of|say) (?:me )?(?:a )?(?P<random>random )?number"
                     r"(?: (?:between|from) (?P<low>\d+) (?:and|to) (?P<high>\d+))?$")
DEFAULT_RANGE = (1, 10)  # "pick a random number", no range said: one to ten, said with it
MAX_DICE = 10
MAX_SIDES = 1000


def answer(asked: str, rng: random.Random) -> str | None:
    """A toss, a roll or a number for `asked` (arithmetic.request_words of a text), else None."""
    if _COIN.match(asked):
        return f"It's {rng.choice(('heads', 'tails'))}."
    dice = _DICE.match(asked)
    if dice:
        count = int(dice["count"] or 1)
        sides = int(dice["sides"] or dice["d"] or 6)
        if not (1 <= count <= MAX_DICE and 2 <= sides <= MAX_SIDES):
            return f"I can roll up to {MAX_DICE} dice of 2 to {MAX_SIDES} sides."
        rolled = [rng.randint(1, sides) for _ in range(count)]
        if count == 1:
            return f"You rolled {'an' if rolled[0] in (8, 11, 18) or 80 <= rolled[0] <= 89 else 'a'} {rolled[0]}."
        return f"You rolled {spoken_list([str(r) for r in rolled])}: {sum(rolled)} in all."
    number = _NUMBER.match(asked)
    if number and number["low"]:
        low, high = sorted((int(number["low"]), int(number["high"])))
        return f"{rng.randint(low, high)}."
    if number and number["random"]:  # "pick a number" alone may be the start of a game: the model's
        low, high = DEFAULT_RANGE
        return f"Between {low} and {high}: {rng.randint(low, high)}."
    return None
