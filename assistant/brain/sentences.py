"""Streamed LLM text made speakable: markup dropped, cut into sentences as soon as each one is complete.

The language model streams token pieces; text-to-speech wants whole sentences (a voice phrases a sentence
as a unit) but as early as possible. `SentenceSplitter.feed` takes the pieces as they arrive and returns
every sentence that is complete; `flush` returns the rest at the end of the stream. The first clause of a
reply is released early (at a comma, semicolon, colon or dash after a few words), so speech starts
before the first sentence has been written out; after that, only whole sentences.

A cut is made only when the text after it has arrived and confirms it: "3." waits for the next character
(3.5 or the end of a sentence?), "Dr." and "e.g." never end a sentence. When in doubt the splitter does
not cut: two sentences spoken as one chunk sound fine, one sentence cut in two sounds broken.
Whatever the chunking of the stream, the pieces are the same, and joined with spaces they are exactly
`speakable(text)`.
"""

from __future__ import annotations

_DROPPED = frozenset("*`#")  # emphasis, code and heading marks: never spoken
_BULLETS = frozenset("•‣◦▪")  # always list markers when they start a line
_MAYBE_BULLETS = frozenset("-+")  # list markers only when a space follows ("- item", but "-5 degrees")
_TERMINATORS = ".!?"
_CJK_TERMINATORS = "。！？"  # end a sentence with no space after them
_CLOSERS = "\"'”’)]」』）"  # may follow a terminator and still belong to the sentence
_OPENERS = "\"'“‘(["
_CLAUSE_MARKS = ",;:"
_DASHES = "-–—"
# Abbreviations whose period never ends a sentence: titles before a name, and "approx." or "vs." before a word.
_TITLES = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "gen", "col", "capt", "lt", "sgt", "rev", "hon",
    "vs", "approx", "fig",
})


class _MarkupFilter:
    """Drops markup characters from a character stream, holding back a possible list marker for one char."""

    def __init__(self) -> None:
        self._line_start = True
        self._pending = ""  # a "-" or "+" at the start of a line, until the next character decides

    def feed(self, text: str) -> str:
        out: list[str] = []
        for ch in text:
            if self._pending:
                marker, self._pending = self._pending, ""
                if not ch.isspace():
                    out.append(marker)  # "-5 degrees": a sign, not a bullet
                    self._line_start = False
            if ch in _DROPPED:
                continue
            if ch == "\n":
                self._line_start = True
            elif self._line_start and not ch.isspace():
                if ch in _BULLETS:
                    continue
                if ch in _MAYBE_BULLETS:
                    self._pending = ch
                    continue
                self._line_start = False
            out.append(ch)
        return "".join(out)

    def flush(self) -> None:
        """End of stream: a list marker with nothing after it says nothing."""
        self._line_start = True
        self._pending = ""


def speakable(text: str) -> str:
    """The text as it will be spoken: markup dropped, whitespace collapsed to single spaces."""
    return " ".join(_MarkupFilter().feed(text).split())


class SentenceSplitter:
    """Cuts a stream of text pieces into speakable sentences, each released as soon as it is complete.

    `min_clause_words`: the first clause of the stream is released at a comma, semicolon, colon or dash
    once it has at least this many words; 0 turns early release off. After `flush` the splitter is ready
    for the next stream.
    """

    def __init__(self, *, min_clause_words: int = 4) -> None:
        if min_clause_words < 0:
            raise ValueError(f"min_clause_words must be >= 0, got {min_clause_words}")
        self.min_clause_words = min_clause_words
        self._filter = _MarkupFilter()
        self._text = ""  # markup-free text not yet released
        self._released_any = False

    def feed(self, piece: str) -> list[str]:
        """Add the next piece of the stream; returns the sentences it completed (often none)."""
        self._text += self._filter.feed(piece)
        return self._release()

    def flush(self) -> list[str]:
        """End of the stream: every sentence still held, the last one possibly without a terminator."""
        self._filter.flush()
        out = self._release()
        rest = " ".join(self._text.split())
        if rest:
            out.append(rest)
        self._text = ""
        self._released_any = False
        return out

    def _release(self) -> list[str]:
        out: list[str] = []
        while True:
            clause_words = 0 if self._released_any else self.min_clause_words
            cut = _next_cut(self._text, clause_words)
            if cut is None:
                return out
            sentence = " ".join(self._text[:cut].split())
            self._text = self._text[cut:]
            if sentence:
                out.append(sentence)
                self._released_any = True


def split_sentences(text: str, *, min_clause_words: int = 0) -> list[str]:
    """A whole text cut into speakable sentences (by default without early release of the first clause)."""
    splitter = SentenceSplitter(min_clause_words=min_clause_words)
    return splitter.feed(text) + splitter.flush()


# ------------------------------------------------------------------------------------------------ cutting


def _next_cut(text: str, clause_words: int) -> int | None:
    """Index just after the first confirmed sentence (or first clause) end, or None if none is confirmed yet.

    Scanning stops at the first place the text seen so far cannot decide: a later cut must never be made
    before an earlier one is known not to be a cut, or the pieces would depend on the chunking.
    """
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            return i + 1
        if ch in _TERMINATORS or ch in _CJK_TERMINATORS:
            end = _skip(text, _skip(text, i, _TERMINATORS + _CJK_TERMINATORS), _CLOSERS)
            if end == n:
                return None  # a closing quote, a digit or a space may still come
            verdict = _ends_sentence(text, i, end)
            if verdict is None:
                return None
            if verdict:
                return end
            i = end
            continue
        if clause_words and (ch in _CLAUSE_MARKS or ch in _DASHES):
            end = _skip(text, i, _DASHES) if ch in _DASHES else i + 1
            if _is_clause_mark(text, i, end) and len(text[:i].split()) >= clause_words:
                if end == n:
                    return None  # "1,000" or "well, ": the next character decides
                if text[end].isspace():
                    return end
            i = end
            continue
        i += 1
    return None


def _skip(text: str, i: int, chars: str) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _is_clause_mark(text: str, i: int, end: int) -> bool:
    """A comma/semicolon/colon, or a dash used as punctuation (" - ", "—"), not a hyphen ("well-known")."""
    if text[i] in _CLAUSE_MARKS:
        return True
    spaced_before = i > 0 and text[i - 1].isspace()
    return spaced_before or any(c in "–—" for c in text[i:end])


def _ends_sentence(text: str, i: int, end: int) -> bool | None:
    """Whether the terminators text[i:end] (closers included) end a sentence; None if the text after decides."""
    run = text[i:end].rstrip(_CLOSERS)
    if any(c in _CJK_TERMINATORS for c in run):
        return True
    if not text[end].isspace():
        return False  # example.com/a.b, 3.5, e.g.
    if "!" in run or "?" in run:
        return True
    if len(run) > 1:
        return False  # an ellipsis pauses, it does not end the sentence
    before = text[:i].split()
    word = before[-1].lstrip(_OPENERS) if before and not text[i - 1].isspace() else ""
    if _is_abbreviation(word):
        return False
    if word.isdigit() and (len(before) == 1 or before[-2].endswith(":")):
        return False  # a numbered list item: "1. Do this", "steps: 1. Do this"
    after = text[end:]
    following = after.lstrip()
    if "\n" in after[: len(after) - len(following)]:
        return True
    if not following:
        return None
    return not following[0].islower()  # "approx. ten", "vs. them": lower case continues the sentence


def _is_abbreviation(word: str) -> bool:
    if word.lower() in _TITLES:
        return True
    if "." in word:  # e.g, i.e, U.S, a.m, Ph.D (the final period is the one being judged)
        return all(1 <= len(part) <= 2 and part.isalpha() for part in word.split("."))
    return len(word) == 1 and word.isalpha() and word.isupper() and word != "I"  # an initial: J. Smith
