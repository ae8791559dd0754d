"""What the device cannot do, said plainly: "what's the weather like in New York", "will it rain tomorrow", "what's
the news", "who won the game", "search the web for ...", "turn off the lights in the office", "lock the front door",
"call mom", "what's on my calendar", "play some jazz", "order more paper towels", "what's 100 dollars in euros".

The assistant never goes on the internet and controls no other device; asked for the weather, a language model
makes up a forecast ("sunny and 72 degrees"), and asked to turn the lights off or to call mom it says it did. Both
are worse than no answer: the user leaves without an umbrella, or with the lights on, or waits for the call. So
these get an honest reply from the device. Read on a request's normalized words after the skills' guard (talk
about them, "tell me a story about the rain", stays the language model's, as do "why is the sky blue" and "what is
the temperature of the sun").
"""

from __future__ import annotations

import re

_OFFLINE = "I work without the internet, so nothing you say leaves this device"
# Money of a country ("pounds" too: by weight, the units skill answers first).
# (Not "won", "real" or "rand": words and names more often than money.)
_MONEY = (r"(?:dollars?|bucks|euros?|pounds?(?: sterling)?|sterling|yen|yuan|renminbi|rupees?|pesos?|francs?"
          r"|rubles?|roubles?|kronor|kroner|krona|krone|zloty|bitcoins?|shekels?|lira|dinars?|dirhams?|baht|reais)")
_LIVE = (
    (re.compile(r"\b(?:weather|forecast)\b|\b(?:will|is|does|did) it (?:going to )?(?:rain|snow|be (?:sunny|cold|hot"
                r"|warm|windy|cloudy|rainy|snowy|nice))\b|\bdo i need (?:an umbrella|a coat|a jacket|sunscreen)\b"
                r"|\b(?:outdoor|outside) (?:temperature|humidity)\b|\b(?:temperature|humidity) (?:outside|today)\b"
                r"|\bhow (?:hot|cold|warm) is it (?:outside|today)\b"
                # asked alone, these are of the weather ("how cold is it on Mars" is not)
                r"|\b(?:what is the temperature|how (?:hot|cold|warm) is it|is it (?:raining|snowing|cold|hot|warm"
                r"|windy|sunny|cloudy|foggy|freezing))(?: outside| out there| out| today| right now| now)?$"),
     f"I can't check the weather: {_OFFLINE}."),
    (re.compile(r"\b(?:news|headlines)\b"), f"I can't get the news: {_OFFLINE}."),
    (re.compile(r"\bwho won (?:the |last night is |yesterday is )?(?:[a-z]+ )?(?:game|match|race|election)\b"
                r"|\bwhat is the score\b|\bscore of the\b"),
     f"I can't look up scores or results: {_OFFLINE}."),
    (re.compile(r"\bstock (?:price|market)\b|\bprice of (?:bitcoin|gold|oil)\b|\bexchange rate\b"),
     f"I can't look up prices: {_OFFLINE}."),
    (re.compile(rf"\b{_MONEY}\b.* (?:in|to|into|for|per|is|are|make) (?:a |an |1 )?(?:[a-z]+ )?{_MONEY}\b"
                r"|\b(?:currency|currencies)\b"),
     f"I can't convert currencies: the rates change, and {_OFFLINE}."),
    (re.compile(r"\btraffic\b"), f"I can't check the traffic: {_OFFLINE}."),
    (re.compile(r"\bair quality\b|\bpollen count\b|\buv index\b"), f"I can't check the weather: {_OFFLINE}."),
    (re.compile(r"^(?:search|google|look up) (?:the web |the internet |online )?for\b|\bsearch (?:the web|the internet"
                r"|online)\b|^google\b"),
     f"I can't search the web: {_OFFLINE}."),
    (re.compile(r"^(?:navigate|give me directions|get me directions|directions) to\b"),
     f"I can't give directions: {_OFFLINE}."),
    (re.compile(r"\b(?:when|what time) does (?:the )?(?:[a-z]+ ){1,3}(?:open|close)\b|\bopening hours\b"
                r"|\bis (?:the )?(?:[a-z]+ ){1,3}open (?:now|today|tomorrow)\b"),
     f"I can't look up opening hours: {_OFFLINE}."),
)
# What is the user's own elsewhere: calls, messages, calendar, email, music, orders.
_ACCOUNTS = (
    (re.compile(r"^(?:call|phone|dial|facetime|video call) (?!me\b|it\b)[a-z]+|^(?:text|message) [a-z]+"
                r"|^send (?:a |an )?(?:text|message|email|e mail|sms)\b|^(?:email|e mail) [a-z]+"
                r"|^send (?:it|this|that|them|me|my [a-z]+) to (?:me|my [a-z]+|[a-z]+)$"),
     "I can't make calls or send messages: I only listen and talk."),
    (re.compile(r"^(?:what is|whats|what do i have|read|check|read me|open|show me|do i have any)"
                r"(?: on| in)? (?:my |new |any )*(?:calendar|schedule|agenda|appointments|meetings|email|emails"
                r"|e mails|inbox|messages|texts)\b"),
     f"I can't see your calendar or messages: {_OFFLINE}."),
    (re.compile(r"^play (?:me |us )?(?:some |a |the |my )?(?:music|songs?|playlist|radio|podcast|audiobook"
                r"|jazz|rock|pop|classical|country|hip hop|rap|blues|christmas music|[a-z ]+ by [a-z]+)\b"),
     "I can't play music: I only listen and talk."),
    (re.compile(r"^(?:order|reorder|buy|purchase) (?:me |us )?(?:some|more|a|an|another|new|\d+) (?!of\b)[a-z]+"
                r"|^(?:order|reorder|buy) [a-z ]+ (?:online|on amazon|from amazon)$"),
     f"I can't order or buy things: {_OFFLINE}."),
)
_THING = (r"(?:lights?|lamps?|lighting|tv|television|fans?|heater|heating|ac|air conditioning|air conditioner"
          r"|plugs?|thermostat|radio|music|vacuum|kettle|oven|coffee maker)")
_ROOM = (r"(?:living room|bedroom|kitchen|bathroom|hallway|dining room|basement|nursery|guest room|kids room"
         r"|porch|patio|office|garage|upstairs|downstairs)")
_BEFORE = re.compile(r"^(?:(?:hey )?(?:jarvis|alexa|mycroft|computer|assistant) )?(?:please )?"
                     r"(?:(?:can|could|will|would) you )?(?:please )?")
_CONTROL = re.compile(
    rf"^(?:turn|switch|shut) (?:on |off )?(?:[a-z]+ ){{0,4}}{_THING}\b"  # "turn off lights in the office"
    rf"|^(?:turn|switch|shut) (?:on|off) (?:the |my )?{_ROOM}\b"  # "turn on the living room lamp", however misheard
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
    request = _BEFORE.sub("", normalized)
    if _CONTROL.search(request):
        return "I can't control lights or other devices: I only listen and talk."
    for pattern, reply in _ACCOUNTS:
        if pattern.search(request):
            return reply
    return None
