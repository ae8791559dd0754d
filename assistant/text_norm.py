"""Word error rate (WER) of a transcript, after a standard English text normalization.

A transcript and its reference rarely agree on form: "What's the date?" and "what is the date", "25" and
"twenty five", "forty-two" and "forty two", "Mr." and "mister". `normalize` maps both sides to one form, in
the spirit of Whisper's English normalizer (the one published WER figures use): lower case; annotations in
brackets dropped ("[BLANK_AUDIO]", "(music)"); accents, punctuation and hyphens removed; contractions
expanded; titles spelled out; filler sounds dropped; and numbers written as digits whether they were spoken
("nineteen eighty four", "one hundred and five", "twenty first") or written ("1,984", "21st").
`word_errors` then aligns the two word lists by edit distance.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# ------------------------------------------------------------------------------------------- word forms

_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\)|<[^>]*>")
# Whole-word replacements, applied before the general contraction rules below.
_SPECIAL = {
    r"\bwon't\b": "will not",
    r"\bcan't\b": "can not",
    r"\bcannot\b": "can not",
    r"\bshan't\b": "shall not",
    r"\blet's\b": "let us",
    r"\by'all\b": "you all",
    r"\bgonna\b": "going to",
    r"\bwanna\b": "want to",
    r"\bgotta\b": "got to",
    r"\bmr\b\.?": "mister",
    r"\bmrs\b\.?": "missus",
    r"\bms\b\.?": "miss",
    r"\bdr\b\.?": "doctor",
    r"\bok\b": "okay",
    r"\bper cent\b": "percent",
    # contractions typed without their apostrophe ("whats the time" in a chat); only those that are no other word
    r"\b(what|where|who|how|that)s\b": r"\1 is",
    r"\b(do|does|did|is|are|was|were|could|should|would|have|has|had)nt\b": r"\1 not",
    r"\b(you|they)re\b": r"\1 are",
    r"\b(i|you|we|they)ve\b": r"\1 have",
}
# "'s" may be "is", "has" or a possessive; like Whisper's normalizer we read it as "is" on both sides.
_CONTRACTIONS = {
    r"n't\b": " not",
    r"'re\b": " are",
    r"'s\b": " is",
    r"'d\b": " would",
    r"'ll\b": " will",
    r"'ve\b": " have",
    r"'m\b": " am",
}
_FILLERS = frozenset({"uh", "um", "umm", "hm", "hmm", "mm", "mmm", "mhm", "er", "erm"})

# ------------------------------------------------------------------------------------------------ numbers

_ONES = {w: i for i, w in enumerate(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))}
_TEENS = {
    w: 10 + i
    for i, w in enumerate(
        ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
    )
}
_TENS = {
    w: 20 + 10 * i
    for i, w in enumerate(("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"))
}
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_IRREGULAR_ORDINALS = {
    "first": "one", "second": "two", "third": "three", "fifth": "five", "eighth": "eight", "ninth": "nine",
    "twelfth": "twelve",
}
_DIGIT_WORDS = {**_ONES, "oh": 0, "o": 0}  # digits after "point", and the "oh" of "nineteen oh five"

# Which kind of number word may follow which: "twenty" + "five", "five" + "hundred", "hundred" + "and" ...
_FOLLOWS = {
    None: {"ones", "teen", "tens"},
    "ones": {"hundred", "scale"},
    "teen": {"hundred", "scale"},
    "tens": {"ones", "hundred", "scale"},
    "hundred": {"ones", "teen", "tens", "scale", "and"},
    "scale": {"ones", "teen", "tens", "and"},
    "and": {"ones", "teen", "tens"},
}


def _ordinal_cardinal(word: str) -> str | None:
    """The cardinal of an ordinal word ("twentieth" -> "twenty", "fourth" -> "four"), else None."""
    if word in _IRREGULAR_ORDINALS:
        return _IRREGULAR_ORDINALS[word]
    if word.endswith("ieth") and word[:-4] + "y" in _TENS:
        return word[:-4] + "y"
    if word.endswith("th") and (word[:-2] in _ONES or word[:-2] in _TEENS or word[:-2] in _SCALES
                                or word[:-2] == "hundred"):
        return word[:-2]
    return None


def _kind(word: str) -> tuple[str, int] | None:
    if word in _ONES:
        return "ones", _ONES[word]
    if word in _TEENS:
        return "teen", _TEENS[word]
    if word in _TENS:
        return "tens", _TENS[word]
    if word == "hundred":
        return "hundred", 100
    if word in _SCALES:
        return "scale", _SCALES[word]
    return None


@dataclass(frozen=True)
class _Number:
    value: int
    end: int  # index of the first token after the number
    suffix: str  # "st", "nd", "rd", "th" for an ordinal, else ""
    two_digit: bool  # 10..99 from "ten".."ninety-nine" alone: may pair into a year ("nineteen eighty")


def _read_number(tokens: Sequence[str], start: int) -> _Number | None:
    """The spelled-out number that begins at tokens[start], if one does."""
    total = group = 0
    last: str | None = None
    last_scale = 10**15
    kinds: list[str] = []
    suffix = ""
    i = start
    while i < len(tokens):
        word = tokens[i]
        if word == "and":
            following = _kind(tokens[i + 1]) if i + 1 < len(tokens) else None
            if "and" not in _FOLLOWS[last] or following is None or following[0] not in _FOLLOWS["and"]:
                break
            last, i = "and", i + 1
            continue
        cardinal = _ordinal_cardinal(word)
        found = _kind(cardinal or word)
        if word == "a" and last is None and i + 1 < len(tokens) and tokens[i + 1] in ("hundred", *_SCALES):
            found = ("ones", 1)  # "a hundred", "a thousand"
        if found is None or found[0] not in _FOLLOWS[last]:
            break
        kind, value = found
        if kind == "ones" and value == 0 and last is not None:
            break  # "twenty zero", "hundred zero": zero only stands alone
        if kind == "hundred":
            if not 0 < group < 100:
                break
            group *= 100
        elif kind == "scale":
            if value >= last_scale or group == 0:
                break
            total, group, last_scale = total + group * value, 0, value
        else:
            group += value
        kinds.append(kind)
        last, i = kind, i + 1
        if cardinal is not None:  # an ordinal ends the number: "twenty first"
            suffix = {"one": "st", "two": "nd", "three": "rd"}.get(cardinal, "th")
            break
        if kind == "ones" and value == 0:
            break
    if not kinds:
        return None
    value = total + group
    two_digit = not suffix and kinds[0] in ("teen", "tens") and set(kinds) <= {"teen", "tens", "ones"}
    return _Number(value, i, suffix, two_digit)


def _numbers_to_digits(tokens: list[str]) -> list[str]:
    """Spelled-out numbers as digits: "twenty five" -> "25", "nineteen oh five" -> "1905", "third" -> "3rd"."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        number = _read_number(tokens, i)
        # "second" is a unit of time more often than an ordinal: only "the second" and "twenty second" count.
        if number is None or (tokens[i] == "second" and number.end == i + 1 and (not out or out[-1] != "the")):
            out.append(tokens[i])
            i += 1
            continue
        value, i, decimals = number.value, number.end, ""
        following = _read_number(tokens, i) if number.two_digit else None
        if following is not None and following.two_digit:  # "nineteen eighty four", "twenty twenty"
            value, i = value * 100 + following.value, following.end
        elif number.two_digit and i + 1 < len(tokens) and tokens[i] in ("oh", "o") and _ONES.get(tokens[i + 1]):
            value, i = value * 100 + _ONES[tokens[i + 1]], i + 2  # "nineteen oh five"
        elif not number.suffix and i + 1 < len(tokens) and tokens[i] == "point" and tokens[i + 1] in _DIGIT_WORDS:
            i += 1
            while i < len(tokens) and tokens[i] in _DIGIT_WORDS:
                decimals += str(_DIGIT_WORDS[tokens[i]])
                i += 1
            decimals = "." + decimals
        out.append(f"{value}{decimals}{number.suffix}")
    return out


# ---------------------------------------------------------------------------------------------- normalize


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalize(text: str) -> str:
    """`text` in the normalized form WER is computed on: lower-case words and digits, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    # An underscore ends a word like any punctuation, before the whole-word rules ("mr_" is "mister").
    text = text.replace("_", " ").replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = _BRACKETED.sub(" ", text)
    text = _strip_accents(text)
    for pattern, replacement in _SPECIAL.items():
        text = re.sub(pattern, replacement, text)
    for pattern, replacement in _CONTRACTIONS.items():
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
    text = text.replace("%", " percent ")
    text = re.sub(r"(?<=\d):(?=\d\d\b)", "", text)  # 10:30 -> 1030, like "ten thirty" below
    text = text.replace("'", "")  # o'clock, students': the rest of the apostrophes join their word
    text = re.sub(r"[^\w.]|_", " ", text)  # punctuation and hyphens, except points...
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)  # ...that sit between digits (3.5)
    tokens = [t for t in text.split() if t not in _FILLERS]
    return " ".join(_numbers_to_digits(tokens))


# After these "'s" is "is" (or "has"), never a possessive: "it's late", "what's on", "there's time".
_NOT_POSSESSIVE = frozenset({"it", "that", "this", "what", "where", "who", "how", "when", "why", "there", "here",
                             "he", "she", "let", "everyone", "everything", "nothing", "something", "someone",
                             "somebody", "nobody", "anyone", "anything", "one", "today", "tomorrow"})
_POSSESSIVE = re.compile(r"\b([a-z]+)'s\b")


_DAY_OWNS = re.compile(r"\b(today|tomorrow|tonight|yesterday)(?:'|\u2019)s ([a-z]+(?: (?!(?:at|on|in|for|to|with|by|and"
                       r"|or|is|are|was|from|about|please)\b)[a-z]+)?)\b", re.IGNORECASE)


def days_owning(text: str) -> str:
    """`text` with a day's possessive said as the day after its thing: "tomorrow's meeting" is "the meeting
    tomorrow" (normalize would read "tomorrow is meeting")."""
    return _DAY_OWNS.sub(lambda m: f"the {m[2]} {m[1]}", text)


def with_possessives(normalized: str, original: str) -> str:
    """`normalized` (a part of normalize(`original`)) with the possessives `original` wrote put back: normalize
    reads "dad's" as "dad is", which a reminder said back should not ("to buy dad's present")."""
    written = unicodedata.normalize("NFKC", original).lower().replace("\u2019", "'")
    owners = {word for word in _POSSESSIVE.findall(written) if word not in _NOT_POSSESSIVE}
    if not owners:
        return normalized
    return re.sub(rf"\b({'|'.join(sorted(owners))}) is\b", r"\1's", normalized)


def normalized_words(text: str) -> list[str]:
    return normalize(text).split()


# ---------------------------------------------------------------------------------------------- word errors


@dataclass(frozen=True)
class WordErrors:
    """Edit-distance alignment of a hypothesis against a reference; add them up for a corpus WER."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    reference_words: int = 0

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """Errors per reference word. An empty reference scores 0 if the hypothesis is empty too, else 1."""
        if self.reference_words == 0:
            return 0.0 if self.errors == 0 else 1.0
        return self.errors / self.reference_words

    def __add__(self, other: WordErrors) -> WordErrors:
        return WordErrors(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.reference_words + other.reference_words,
        )


def align(reference: Sequence[str], hypothesis: Sequence[str]) -> WordErrors:
    """Fewest substitutions + deletions + insertions turning `reference` into `hypothesis` (Levenshtein)."""
    # Each cell holds (errors, substitutions, deletions, insertions) of the best path to it; ties prefer a
    # substitution, as sclite and jiwer count them.
    previous = [(j, 0, 0, j) for j in range(len(hypothesis) + 1)]
    for i, ref_word in enumerate(reference, start=1):
        current = [(i, 0, i, 0)]
        for j, hyp_word in enumerate(hypothesis, start=1):
            diagonal = previous[j - 1]
            same = ref_word == hyp_word
            best = diagonal if same else (diagonal[0] + 1, diagonal[1] + 1, diagonal[2], diagonal[3])
            up, left = previous[j], current[j - 1]
            if up[0] + 1 < best[0]:
                best = (up[0] + 1, up[1], up[2] + 1, up[3])
            if left[0] + 1 < best[0]:
                best = (left[0] + 1, left[1], left[2], left[3] + 1)
            current.append(best)
        previous = current
    _, substitutions, deletions, insertions = previous[-1]
    return WordErrors(substitutions, deletions, insertions, len(reference))


def word_errors(reference: str, hypothesis: str) -> WordErrors:
    """The errors of `hypothesis` against `reference`, both normalized first."""
    return align(normalized_words(reference), normalized_words(hypothesis))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of one hypothesis (0 is perfect; above 1 is possible with many insertions)."""
    return word_errors(reference, hypothesis).rate
