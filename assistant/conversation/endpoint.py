"""Endpointing: how long a silence must last before the user's turn is closed, given what they said so far.

A fixed hangover is either slow (a finished question waits) or rude (a speaker who pauses after "and" is cut
off). The streaming transcript tells the two apart: a turn that already reads as complete (ends a sentence,
or is a whole question or command) gets the short `conversation.hangover_complete_ms`; one that stops
mid-phrase (on "and", "the", "to", "um", a comma) gets the long `conversation.hangover_incomplete_ms`; anything
else gets the VAD's own `vad.hangover_ms`.

Partials from pocketsphinx and Vosk carry no punctuation, so the words decide: a question ("what time is
it") or a command ("turn off the lights") of three words or more that does not end on a word that needs a
continuation is complete. When unsure the rules lean to "incomplete": waiting 0.5 s longer after a complete
question costs less than cutting the user off mid-sentence. "What are you talking about" is thus
incomplete (a stranded preposition reads like "what is the capital of"). English word lists.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from assistant.config import Config

Completeness = Literal["complete", "incomplete", "unknown"]

# Hesitations: the speaker is still thinking, whatever the punctuation says ("So, um.").
FILLERS = frozenset({"um", "umm", "uh", "uhm", "er", "erm", "ah", "hmm", "mm"})
# Words a phrase cannot end on: conjunctions, articles, possessives, prepositions. Particles of phrasal verbs
# ("turn it on", "turn the volume up", "log out") are left out: those end commands; so is "like", which ends
# "what's the weather like".
DANGLING = FILLERS | frozenset({
    # conjunctions
    "and", "but", "or", "nor", "so", "because", "cause", "if", "unless", "although", "whereas", "than",
    "whether", "while",
    # articles and determiners that need a noun
    "the", "a", "an", "every", "each", "another",
    # possessives ("her" is left out: "tell her")
    "my", "your", "our", "their", "its",
    # prepositions
    "to", "of", "in", "with", "for", "from", "at", "by", "about", "into", "onto", "between", "through",
    "during", "toward", "towards", "across", "against", "among", "without", "within", "as", "via",
    # verbs that need an object or a complement
    "is", "are", "was", "were",
})
# pocketsphinx often hears a short "the" that was never said after a finished question ("what time is it the";
# the final transcript drops it: phrases.without_hanging_word). A speaker rarely stops on an article after a
# whole request, but may ("remind me to call mom the... day after"): neither rule wins, the VAD's own hangover.
_ARTICLES = frozenset({"the", "a", "an"})
# "is" ends "do you know what time it is" and "where it is": a turn with such a tail after a question word
# is complete. Those two-word tails are checked before DANGLING.
_COMPLETE_TAILS = frozenset({("it", "is"), ("it", "was"), ("they", "are"), ("you", "are"), ("we", "are"),
                             ("i", "am"), ("that", "is"), ("this", "is"), ("there", "is"), ("there", "are")})
# An auxiliary followed by its subject at the very end: "what can you", "could you", "do i".
_AUXILIARIES = frozenset({"can", "could", "would", "will", "should", "shall", "do", "does", "did", "may", "might",
                          "must"})
_SUBJECTS = frozenset({"i", "you", "we", "he", "she", "they", "it"})

# A turn that starts with one of these is a question...
QUESTION_STARTS = frozenset({
    "what", "whats", "when", "where", "wheres", "who", "whos", "why", "how", "hows", "which", "whose",
    "is", "are", "was", "were", "am", "can", "could", "would", "will", "should", "shall", "do", "does", "did",
    "have", "has", "may", "might",
})
# ...or a command when it starts with an imperative verb (smart-home and assistant phrasing).
COMMAND_VERBS = frozenset({
    "turn", "switch", "set", "put", "play", "pause", "stop", "start", "resume", "skip", "cancel", "tell", "show",
    "give", "open", "close", "lock", "unlock", "activate", "deactivate", "add", "remove", "delete", "call",
    "remind", "read", "find", "search", "look", "dim", "brighten", "raise", "lower", "increase", "decrease",
    "mute", "unmute", "wake", "go", "let", "lets", "make", "send", "check", "count", "repeat", "say", "spell",
    "define", "explain", "describe", "forget", "clear", "help", "list", "name", "translate", "calculate",
})
# Words that may come before the question or command: politeness, a wake word's "hey", discourse markers.
_LEAD_INS = frozenset({"please", "hey", "hi", "okay", "ok", "so", "now", "and", "oh", "well", "alright"}) | FILLERS

_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\)|<[^>]*>")  # engine annotations: [BLANK_AUDIO], (music), <unk>
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_TERMINAL = re.compile(r"[.!?。！？]+[\"')\]”’]*$")
_TRAILING_OFF = re.compile(r"(?:,|;|:|-|–|—|\.\.\.|…)[\"')\]”’]*$")  # a comma, a dash, an ellipsis


def words(text: str) -> list[str]:
    """Lower-case words without punctuation or engine annotations; "what's" becomes "whats"."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("‘", "'")
    return [w.replace("'", "") for w in _WORD.findall(_BRACKETED.sub(" ", text))]


def completeness(text: str) -> Completeness:
    """Whether the (partial) transcript of a user turn reads as finished, as stopping mid-phrase, or neither."""
    tokens = words(text)
    if not tokens:
        return "unknown"
    if tokens[-1] in FILLERS:
        return "incomplete"
    stripped = _BRACKETED.sub(" ", text).rstrip()
    if _TRAILING_OFF.search(stripped):
        return "incomplete"
    if _TERMINAL.search(stripped):
        return "complete"
    if _ends_mid_phrase(tokens):
        if tokens[-1] in _ARTICLES and completeness(" ".join(tokens[:-1])) == "complete":
            return "unknown"  # a stray article after a whole request: see _ARTICLES
        return "incomplete"
    content = _without_lead_ins(tokens)
    if len(content) >= 3 and (content[0] in QUESTION_STARTS or content[0] in COMMAND_VERBS):
        return "complete"
    return "unknown"


def _ends_mid_phrase(tokens: list[str]) -> bool:
    tail = tuple(tokens[-2:])
    if tail in _COMPLETE_TAILS:
        return False
    if len(tail) == 2 and tail[0] in _AUXILIARIES and tail[1] in _SUBJECTS:
        return True
    return tokens[-1] in DANGLING


def _without_lead_ins(tokens: list[str]) -> list[str]:
    start = 0
    while start < len(tokens) - 1 and tokens[start] in _LEAD_INS:
        start += 1
    return tokens[start:]


class EndpointPolicy:
    """The silence that closes a turn, chosen from the partial transcript (see the module docstring)."""

    def __init__(self, config: Config) -> None:
        self._by_completeness: dict[Completeness, int] = {
            "complete": config.conversation.hangover_complete_ms,
            "incomplete": config.conversation.hangover_incomplete_ms,
            "unknown": config.vad.hangover_ms,
        }

    def hangover_ms(self, partial: str) -> int:
        return self._by_completeness[completeness(partial)]
