"""Jokes for the brain without a language model: "tell me a joke" is among the first things people ask a voice
assistant, and without a model the answer was that it cannot. Short, clean, well-worn ones that read well aloud;
dealt from a shuffled deck, so none comes again before all the others have."""

from __future__ import annotations

import random

JOKES = (
    "Why did the scarecrow win an award? Because he was outstanding in his field.",
    "What do you call a fake noodle? An impasta.",
    "Why don't eggs tell jokes? They'd crack each other up.",
    "What do you call a bear with no teeth? A gummy bear.",
    "Why did the bicycle fall over? It was two tired.",
    "What do you call cheese that isn't yours? Nacho cheese.",
    "Why can't you trust stairs? They're always up to something.",
    "What did the ocean say to the beach? Nothing, it just waved.",
    "Why did the math book look sad? It had too many problems.",
    "How does a penguin build its house? Igloos it together.",
    "What do you call a sleeping dinosaur? A dino-snore.",
    "Why did the cookie go to the doctor? It was feeling crumby.",
    "What kind of tree fits in your hand? A palm tree.",
    "Why was the computer cold? It left its Windows open.",
    "I'm reading a book about anti-gravity. It's impossible to put down.",
    "Why did the golfer bring two pairs of pants? In case he got a hole in one.",
)


class JokeDeck:
    """The jokes in a shuffled order, dealt one by one and shuffled again when all are told."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()
        self._left: list[str] = []

    def deal(self) -> str:
        if not self._left:
            self._left = list(JOKES)
            self.rng.shuffle(self._left)
        return self._left.pop()
