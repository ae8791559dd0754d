"""Notes: "remember that I parked on level 3", "where did I park", "what did I ask you to remember", "forget that I
parked on level 3", "forget where I parked", "forget everything I asked you to remember".

The conversation's history fades (a token budget) and a small language model, asked where the car is, makes up a
place. What the user asks the device to remember is kept word for word with the timers and lists, and a question
about the user's own things ("where did I park", "what's my wifi password", "where are my keys") is answered from
the note that shares most of its words, said back to the user ("You told me you parked on level 3."). A question
no note answers is left to the language model (it may have heard it in the conversation). "Remember when we...",
"do you remember ..." and "remember to buy milk" are not notes. A note that names a day ("my birthday is March
5th") makes it one the calendar knows: "how many days until my birthday". A note is kept with when it was said, and
"did I take my pills" is answered with it ("You told me yesterday at eight oh five AM that you took your pills."):
a note from yesterday is no answer for today.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from assistant.conversation.days import NamedDays
from assistant.conversation.phrases import ADDRESSING, plain_words, second_person
from assistant.conversation.spoken import WEEKDAYS, number_words, spoken_date, spoken_list, spoken_time
from assistant.text_norm import normalize

MAX_NOTES = 50  # a runaway loop must not fill a weeks-long run's memory
MAX_NOTE_CHARS = 300

_ADD = re.compile(rf"^{ADDRESSING}(?:please )?(?:remember|make a note|take a note|note)(?: that|:|,)? (?P<note>.+)$")
_NOT_A_NOTE = re.compile(r"^(?:when|to|me|us|this|that|what|how|why|who|if|the time|the day)\b|^it$")
_LIST = re.compile(rf"^{ADDRESSING}(?:what (?:did|have) i (?:asked|ask|told|tell) you to remember|what do you remember"
                   r"|what are my notes|read (?:me )?my notes|what notes do i have|what have you remembered)$")
# The notes' only when there are some: else the model's, which has the conversation ("what did I just tell you"
# always is).
_ABOUT_ME = re.compile(rf"^{ADDRESSING}(?:what do you (?:know|remember) about me"
                       r"|what (?:did|have) i (?:told|tell) you)$")
_CLEAR = re.compile(rf"^{ADDRESSING}(?:forget|delete|clear|erase) (?:everything |all )?(?:(?:that |what )?i "
                    r"(?:asked|told) you to remember|(?:all )?(?:my |the )?notes)$")
_FORGET = re.compile(rf"^{ADDRESSING}(?:forget|delete|remove) (?:the note (?:about|that) |that )(?P<note>.+)$")
# "Forget my locker number", "forget where I parked": a note's only when a note is about it.
_FORGET_OWN = re.compile(rf"^{ADDRESSING}(?:forget|delete|remove|erase) (?:about )?(?P<note>(?:my|our|where i|where we)"
                         r" .+)$")
# A question a note may answer: about the user's own things ("where did I park", "what's my wifi password") on one
# word in common; any other ("where is the spare key") only on all its words, two at least.
_QUESTION = re.compile(r"^(?:where|what|when|who|which|how many|how much)\b")
# Did it happen: "did I take my pills", "did we lock the door", "have I fed the cat"; answered with when it was
# noted. ("Have I got any alarms" is the alarms'.)
_DID = re.compile(r"^(?:did|have|has) (?:i|we|someone|anyone|anybody|somebody)\b(?! got\b)")
_PERSONAL = re.compile(r"\b(?:i|my|me|mine)\b")
_FUNCTION_WORDS = ("a an the is are was were be been am do does did i my me mine you your it its to of in on at for "
                   "and or where what when who which how many much that this there here put left leave keep kept have "
                   "has had i'm what's where's remember told tell asked ask please again anyone someone anybody "
                   "somebody")
_NOT_CONTENT = frozenset(_FUNCTION_WORDS.split())
# What a question asks for of a thing; a note that answers it says it.
_ATTRIBUTES = frozenset({"name", "number", "address", "password", "code", "pin", "phone", "email", "age", "size",
                         "birthday", "combination", "username", "plate"})


# A note that names a day of the user's: "my birthday is march fifth", "our anniversary is on june 12th".
_NAMED_DAY = re.compile(r"^(?P<name>(?:my|our) [a-z' ]{2,40}?) (?:is|falls) (?:on )?(?P<day>.+)$")


@dataclass(frozen=True)
class NoteRequest:
    intent: str  # note_add, note_ask, note_list, note_forget, note_clear
    note: str = ""  # the note to add or to forget, as the user said it; the one that answers a question
    since: bool = False  # a question whether something happened ("did I ..."): answered with when it was noted


class Notes:
    """What the user asked the device to remember, oldest first. Owned by the controller's thread (through
    Skills)."""

    def __init__(self, clock: Callable[[], datetime] = datetime.now) -> None:
        self.clock = clock
        self.notes: list[str] = []
        self.noted_at: dict[str, datetime] = {}  # when each was said (not known for notes from before it was kept)
        self._named_days: NamedDays | None = None  # read from the notes when first asked for after a change

    def request(self, text: str) -> NoteRequest | None:
        """The notes request `text` makes, else None; a question only if one of the notes answers it."""
        said = plain_words(text)
        if _LIST.match(said) or (self.notes and _ABOUT_ME.match(said)):
            return NoteRequest("note_list")
        if _CLEAR.match(said):
            return NoteRequest("note_clear")
        forget = _FORGET.match(said)
        if forget:
            return NoteRequest("note_forget", forget["note"])
        own = _FORGET_OWN.match(said)
        if own and self._best(own["note"]) is not None:
            return NoteRequest("note_forget", own["note"])
        add = _ADD.match(said)
        if add:
            note = add["note"].strip(" ,:")
            return None if _NOT_A_NOTE.match(note) else NoteRequest("note_add", note[:MAX_NOTE_CHARS])
        if _QUESTION.match(said) or _DID.match(said):
            found = self._best(said, everything=not _PERSONAL.search(said))
            return None if found is None else NoteRequest("note_ask", found, since=bool(_DID.match(said)))
        return None

    def act(self, request: NoteRequest) -> tuple[str, str]:
        """Does what `request` asks: its reply (intent, text)."""
        self._named_days = None
        if request.intent == "note_add":
            if len(self.notes) >= MAX_NOTES and request.note not in self.notes:
                return request.intent, f"I already remember {number_words(MAX_NOTES)} things. Ask me to forget one."
            if request.note not in self.notes:
                self.notes.append(request.note)
            self.noted_at[request.note] = self.clock()
            return request.intent, f"Okay, I'll remember {_that(request.note)}."
        if request.intent == "note_ask":
            noted = self.noted_at.get(request.note)
            if request.since and noted is not None:  # "did I take my pills": yesterday's note is no answer for today
                return request.intent, f"You told me {_when(noted, self.clock())} {_that(request.note)}."
            return request.intent, f"You told me {second_person(request.note)}."
        if not self.notes:
            return request.intent, "You haven't asked me to remember anything."
        if request.intent == "note_list":
            said = spoken_list([_that(n) for n in self.notes])
            return request.intent, f"You asked me to remember {said}."
        if request.intent == "note_clear":
            count = len(self.notes)
            self.notes, self.noted_at = [], {}
            things = "the one thing" if count == 1 else f"the {number_words(count)} things"
            return request.intent, f"Okay, I've forgotten {things} you asked me to remember."
        found = self._best(request.note)
        if found is None:
            return request.intent, "I don't have a note about that."
        self.notes.remove(found)
        self.noted_at.pop(found, None)
        return request.intent, f"Okay, I've forgotten {_that(found)}."

    def named_days(self) -> NamedDays:
        """The user's own days the notes give ("my birthday is march fifth"), for the calendar (days.read_day):
        normalized name -> (the name said back, "Your birthday"; the day, normalized)."""
        if self._named_days is None:  # (asked on every transcript: read once per change of the notes)
            days: dict[str, tuple[str, str]] = {}
            for note in self.notes:
                match = _NAMED_DAY.match(note)
                if match is not None:
                    shown = second_person(match["name"])
                    days[normalize(match["name"])] = (shown[0].upper() + shown[1:], normalize(match["day"]))
            self._named_days = days
        return self._named_days

    def kept(self) -> list[dict[str, str | None]]:
        return [{"note": note, "at": self.noted_at[note].isoformat() if note in self.noted_at else None}
                for note in self.notes]

    def restore(self, kept: list[dict[str, str | None]]) -> None:
        self.notes = [str(entry["note"]) for entry in kept]
        self.noted_at = {str(e["note"]): datetime.fromisoformat(e["at"]) for e in kept if e["at"] is not None}
        self._named_days = None

    def _best(self, said: str, everything: bool = False) -> str | None:
        """The note sharing most content words with `said` (one at least, or with `everything` all of them and two
        at least; of equals the one with fewest other words, then the newest), else None."""
        asked = _content(said)
        wanted = asked & _ATTRIBUTES  # "what is my sister's name": a note on the sister without her name is no answer
        noted = [(i, note, _content(note)) for i, note in enumerate(self.notes)]
        scored = [(_shared(asked, words), -len(words), i, note) for i, note, words in noted
                  if _shared(wanted, words) == len(wanted)]
        shared, _, _, note = max(scored, default=(0, 0, 0, ""))
        enough = shared == len(asked) >= 2 if everything else shared >= 1
        return note if enough else None


def _when(noted: datetime, now: datetime) -> str:
    """When a note was said, as heard from `now`: "at eight oh five AM today", "yesterday at nine o'clock PM", "on
    Tuesday at ...", "on March the 3rd"."""
    days = (now.date() - noted.date()).days
    if days == 0:
        return f"at {spoken_time(noted)} today"
    if days == 1:
        return f"yesterday at {spoken_time(noted)}"
    if days < 7:
        return f"on {WEEKDAYS[noted.weekday()]} at {spoken_time(noted)}"
    said = spoken_date(noted)
    return "on " + (said.removesuffix(f", {now.year}") if noted.year == now.year else said)


def _that(note: str) -> str:
    """A note as said back: "that you parked on level 3"."""
    return f"that {second_person(note)}"


def _content(said: str) -> set[str]:
    """The words of `said` that carry its meaning."""
    return {word for word in said.replace("'s", "").replace(",", "").split() if word not in _NOT_CONTENT}


def _shared(asked: set[str], noted: set[str]) -> int:
    """How many of the words `asked` are in `noted`, a word and its endings as one ("park", "parked"; "key",
    "keys"; "glass", "glasses")."""
    def same(a: str, b: str) -> bool:
        short, long = sorted((a, b), key=len)
        return short == long or (len(short) >= 3 and long.startswith(short) and len(long) - len(short) <= 3)

    return sum(any(same(word, noted_word) for noted_word in noted) for word in asked)


def parse_kept(kept: object) -> list[dict[str, str | None]]:
    """The notes of a decoded skills file (none in files written before notes; words alone, without when each was
    said, in files written before that), checked; ValueError says what is wrong."""
    if kept is None:
        return []
    if not isinstance(kept, list):
        raise ValueError("the notes are not a list")
    out: list[dict[str, str | None]] = []
    for entry in kept:
        note, at = (entry, None) if isinstance(entry, str) else (
            (entry.get("note"), entry.get("at")) if isinstance(entry, dict) else (None, None))
        if not isinstance(note, str) or not (at is None or isinstance(at, str)):
            raise ValueError("a note is not words")
        try:
            if at is not None:
                datetime.fromisoformat(at)
        except ValueError:
            raise ValueError(f"a note's time is not a time: {at!r}") from None
        out.append({"note": note, "at": at})
    return out
