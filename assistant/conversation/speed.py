"""How fast the assistant speaks: "speak slower", "talk faster", "you're talking too fast", "slow down", "speak at
your normal speed", "how fast are you talking", "say that again more slowly".

A listener who is hard of hearing, or new to the language, needs a slower voice; one who has heard the same kind
of answer a hundred times, a quicker one. A language model can only say it will. Seven steps, STEP_RATIO apart,
from MIN_STEP (about 30 percent slower) to MAX_STEP (40 percent faster); step 0 is the voice as configured
(`tts.espeak_rate`, `tts.length_scale`). The step is the skills' (kept in skills.json with the volume); the
controller gives every sentence its speed (`Say.speed`) and the text-to-speech stage asks the engine for it:
espeak-ng's words per minute, Piper's length scale. Part of the speed skill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.conversation.phrases import ADDRESSING
from assistant.conversation.spoken import number_words

MIN_STEP = -3
MAX_STEP = 3
STEP_RATIO = 1.12  # one step: 12 percent faster or slower; three slower is 0.71 times the speed


def speed_factor(step: int) -> float:
    """How many times the configured speed step `step` speaks at (1.0 at step 0)."""
    return float(STEP_RATIO**step)


# How much: "much slower", "way too fast" are two steps; "a bit slower", "slower" one.
_MORE = r"(?:a lot |a good bit |much |way |a (?:bit|little)(?: bit)? |slightly |somewhat )?"
_TWO_STEPS = re.compile(r"\b(?:a lot|a good bit|much|way)\b")
_TALK = r"(?:speak|talk|read|go)"
_SLOWER = r"(?:slower|more slowly|slowly)"
_FASTER = r"(?:faster|quicker|more quickly|quickly)"
_SPEAKING = r"(?:(?:you are |your )?(?:talking|speaking|reading|going)|you (?:speak|talk|read)|your voice is)"
_NORMAL = r"(?:normal|usual|regular|default|original|standard)"
_RATE = r"(?:speaking |talking |voice )?(?:speed|pace|rate)"
_AGAIN = r"(?:say (?:that|it|this)(?: again)?|repeat(?: that| it| this| yourself| what you (?:just )?said)?|again)"
_ENDING = r"(?: (?:please|for me|now|then|from now on|jarvis|alexa|mycroft|computer|assistant))*$"
_REQUESTS = tuple((intent, re.compile(rf"^{ADDRESSING}(?:{pattern}){_ENDING}")) for intent, pattern in (
    ("speed_again_down", rf"{_AGAIN}(?: again)? (?:but )?{_MORE}{_SLOWER}"),
    ("speed_again_up", rf"{_AGAIN}(?: again)? (?:but )?{_MORE}{_FASTER}"),
    ("speed_down", rf"{_TALK} {_MORE}{_SLOWER}|{_MORE}slower"
                   r"|slow (?:it |yourself |your voice )?down(?: a bit| a little)?"
                   rf"|(?:{_SPEAKING} {_MORE}(?:too|so)|{_MORE}too) (?:fast|quickly|quick)"
                   r"|do not (?:talk|speak|go|read) so (?:fast|quickly|quick)"),
    ("speed_up", rf"{_TALK} {_MORE}{_FASTER}|{_MORE}(?:faster|quicker)|speed (?:it |yourself |your voice )?up"
                 rf"|(?:{_SPEAKING} {_MORE}(?:too|so)|{_MORE}too) (?:slow|slowly)"),
    ("speed_normal", rf"(?:(?:{_TALK}|go back to|back to|return to|use) )?(?:at )?(?:your |the |a )?{_NORMAL} {_RATE}"
                     rf"|{_TALK} normally|reset (?:your |the )?{_RATE}"),
    ("speed_ask", rf"how fast (?:are you|do you) (?:talking|speaking|talk|speak)|what is your {_RATE}"
                  r"|what is the (?:speaking|talking|voice) (?:speed|pace|rate)"
                  r"|what speed (?:are you|do you) (?:talking|speaking|talk|speak)(?: at)?"),
))


@dataclass(frozen=True)
class SpeedRequest:
    intent: str  # speed_down, speed_up, speed_normal, speed_ask; speed_again_down/_up also say the last reply
    steps: int = 0  # how far down (negative) or up


def parse_speed_request(normalized: str) -> SpeedRequest | None:
    """The speed request `normalized` (text_norm) makes, else None."""
    for intent, pattern in _REQUESTS:
        match = pattern.match(normalized)
        if match is None:
            continue
        steps = 2 if _TWO_STEPS.search(normalized) else 1
        return SpeedRequest(intent, -steps if intent.endswith("down") else steps if intent.endswith("up") else 0)
    return None


def act(request: SpeedRequest, step: int, last_reply: str) -> tuple[int, str]:
    """The step after `request` at `step`, and the reply (`last_reply`: said again, for "say that again slower")."""
    if request.intent == "speed_ask":
        return step, _told(step)
    if request.intent == "speed_normal":
        return 0, "I'm already speaking at my normal speed." if step == 0 else "Okay, back to my normal speed."
    new = min(max(step + request.steps, MIN_STEP), MAX_STEP)
    if request.intent.startswith("speed_again") and last_reply:
        return new, last_reply
    if new == step:
        return step, "That's as slowly as I speak." if request.steps < 0 else "That's as fast as I speak."
    return new, "Okay, I'll speak more slowly." if request.steps < 0 else "Okay, I'll speak faster."


def _told(step: int) -> str:
    if step == 0:
        return "I'm speaking at my normal speed."
    steps = "one step" if abs(step) == 1 else f"{number_words(abs(step))} steps"
    than = f"{steps} {'slower' if step < 0 else 'faster'} than my normal speed"
    if step in (MIN_STEP, MAX_STEP):
        return f"I'm speaking as {'slowly' if step < 0 else 'fast'} as I can, {than}."
    return f"I'm speaking {than}."
