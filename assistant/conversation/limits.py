"""What the device cannot do, said plainly: "what's the weather like in New York", "will it rain tomorrow", "what's
the news", "who won the game", "turn off the lights in the office", "lock the front door".

The assistant never goes on the internet and controls no other device; asked for the weather, a language model
makes up a forecast ("sunny and 72 degrees"), and asked to turn the lights off it says it did. Both are worse than
no answer: the user leaves without an umbrella, or with the lights on. So these get an honest reply from the
device. Read on a request's normalized words after the skills' guard (talk about them, "tell me a story about the
rain", stays the language model's, as do "why is the sky blue" and "what is the temperature of the sun").
"""

from __future__ import annotations

import re

_OFFLINE = "I work without the internet, so nothing you say leaves this device"
_LIVE = (
    (re.compile(r"\b(?:weather|forecast)\b|\b(?:will|is|does|did) it (?:going to )?(?:rain|snow|be (?:sunny|cold|hot"
                r"|warm|windy|cloudy|rainy|snowy|nice))\b|\bdo i need (?:an umbrella|a coat|a jacket|sunscreen)\b"
                r"|\b(?:outdoor|outside) (?:temperature|humidity)\b|\b(?:temperature|humidity) (?:outside|today)\b"
                r"|\bhow (?:hot|cold|warm) is it (?:outside|today)\b"),
     f"I can't check the weather: {_OFFLINE}."),
    (re.compile(r"\b(?:news|headlines)\b"), f"I can't get the news: {_OFFLINE}."),
    (re.compile(r"\bwho won (?:the |last night is |yesterday is )?(?:[a-z]+ )?(?:game|match|race|election)\b"
                r"|\bwhat is the score\b|\bscore of the\b"),
     f"I can't look up scores or results: {_OFFLINE}."),
    (re.compile(r"\bstock (?:price|market)\b|\bprice of (?:bitcoin|gold|oil)\b|\bexchange rate\b"),
     f"I can't look up prices: {_OFFLINE}."),
    (re.compile(r"\btraffic\b"), f"I can't check the traffic: {_OFFLINE}."),
)
_THING = (r"(?:lights?|lamps?|lighting|tv|television|fans?|heater|heating|ac|air conditioning|air conditioner"
          r"|plugs?|thermostat|radio|music|vacuum|kettle|oven|coffee maker)")
_BEFORE = re.compile(r"^(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant) )?(?:please )?"
                     r"(?:(?:can|could|will|would) you )?(?:please )?")
_CONTROL = re.compile(
    rf"^(?:turn|switch|shut) (?:on |off )?(?:[a-z]+ ){{0,4}}{_THING}\b"  # "turn off lights in the office"
    rf"|^(?:lock|unlock|open|close) (?:[a-z]+ ){{0,3}}(?:door|garage|blinds|curtains|windows?)\b"
    rf"|^(?:dim|brighten) (?:[a-z]+ ){{0,3}}{_THING}\b"
    rf"|^set (?:[a-z]+ ){{0,3}}(?:brightness|thermostat|heating)\b"
    rf"|^activate (?:[a-z]+ ){{0,3}}(?:lighting|scene|mode)\b"
    rf"|^skip (?:[a-z]+ ){{0,2}}on (?:the )?tv\b")


def answer(normalized: str) -> str | None:
    """The honest reply to a request for something the device cannot do (live information, other devices), else
    None."""
    for pattern, reply in _LIVE:
        if pattern.search(normalized):
            return reply
    if _CONTROL.search(_BEFORE.sub("", normalized)):
        return "I can't control lights or other devices: I only listen and talk."
    return None
