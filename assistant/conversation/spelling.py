"""Spelling: "how do you spell necessary", "spell rhythm", "how is Wednesday spelled".

The word is spelled as the recognizer wrote it (a language model would spell its own tokens, often wrongly), a
letter at a time with commas between, which every voice here reads as letter names. One word, as asked; numbers
are spelled as words ("how do you spell forty" is F, O, R, T, Y), so the request is read on lower-cased text
rather than text_norm's, which writes "forty" as "40".
"""

from __future__ import annotations

import re

_ASKED = re.compile(r"^(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant) )?(?:please )?(?:(?:can|could) you )?"
                    r"(?:tell me )?(?:how (?:do|would|does one) (?:you|i|one) spell|how to spell|spell|what is the "
                    r"spelling of|what's the spelling of|how is|how's) (?:the word )?(?P<word>[a-z][a-z'-]*)"
                    r"(?: spelled| spelt)?(?: please)?$")
_SAID = {"'": "apostrophe", "-": "hyphen"}


def answer(text: str) -> str | None:
    """The spelling of the word `text` asks about ("Rhythm is spelled R, H, Y, T, H, M."), else None."""
    words = re.sub(r"[^\w\s'-]|_", " ", text.lower().replace("\u2019", "'"))
    asked = _ASKED.match(" ".join(words.split()))
    if asked is None or asked["word"] in ("it", "that", "this", "them", "my", "your"):
        return None
    word = asked["word"].strip("'-")
    if not word or (asked.group(0).startswith(("how is", "how's")) and not re.search(r" spel(?:led|t)\b", words)):
        return None  # "how is Wednesday" is not about spelling
    letters = ", ".join(_SAID.get(c, c.upper()) for c in word)
    return f"{word.capitalize()} is spelled {letters}."
