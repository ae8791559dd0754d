"""The sentence splitter cuts streamed LLM text where a voice should, as early as it safely can."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.brain.sentences import SentenceSplitter, speakable, split_sentences


def stream(text: str, pieces: list[int] | None = None, **options: int) -> list[str]:
    """Feed `text` cut at the given lengths (default: one character at a time); all outputs, flushed."""
    splitter = SentenceSplitter(**options)
    out: list[str] = []
    position = 0
    for length in pieces if pieces is not None else [1] * len(text):
        out += splitter.feed(text[position : position + length])
        position += length
    out += splitter.feed(text[position:])
    return out + splitter.flush()


# ---------------------------------------------------------------------------------- where it cuts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Smith is in. Mr. Jones is out.", ["Dr. Smith is in.", "Mr. Jones is out."]),
        ("Use fruit, e.g. apples. Or i.e. pears.", ["Use fruit, e.g. apples.", "Or i.e. pears."]),
        ("It costs 3.5 dollars. That is cheap.", ["It costs 3.5 dollars.", "That is cheap."]),
        ("I live in the U.S. and like it. Yes.", ["I live in the U.S. and like it.", "Yes."]),
        ("See example.com/a.b for more. Thanks!", ["See example.com/a.b for more.", "Thanks!"]),
        ("Well... I think so. Maybe.", ["Well... I think so.", "Maybe."]),
        ("Steps:\n1. Do this.\n2. Do that.", ["Steps:", "1. Do this.", "2. Do that."]),
        ("Two steps: 1. Open it. 2. Close it.", ["Two steps: 1. Open it.", "2. Close it."]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("Really?! Yes. It is approx. ten.", ["Really?!", "Yes.", "It is approx. ten."]),
        ("J. R. R. Tolkien wrote it. Nice.", ["J. R. R. Tolkien wrote it.", "Nice."]),
        ("Neither do I. Sorry.", ["Neither do I.", "Sorry."]),
        ("It is 10:30 now. Bye.", ["It is 10:30 now.", "Bye."]),
        ("你好。谢谢！再见", ["你好。", "谢谢！", "再见"]),
        ("No end punctuation", ["No end punctuation"]),
    ],
)
def test_cuts_sentences_where_they_end(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected
    assert stream(text, min_clause_words=0) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Weather\n**Sunny** and `warm` today.", ["Weather", "Sunny and warm today."]),
        ("- eggs\n- milk\n* bread\n+ tea\n• jam", ["eggs", "milk", "bread", "tea", "jam"]),
        ("It is -5 degrees.\n-3 tomorrow.", ["It is -5 degrees.", "-3 tomorrow."]),
        ("A well-known - and loved - place.", ["A well-known - and loved - place."]),
    ],
)
def test_markup_is_not_spoken(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_speakable_text_drops_markup_and_collapses_space() -> None:
    assert speakable("## Title\n\n- **one**  `two`\n") == "Title one two"


# ---------------------------------------------------------------------------------- when it releases


def test_each_sentence_is_released_as_soon_as_the_next_one_starts() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Hello there.") == []  # "." might still be "3.5" or "e.g."
    assert splitter.feed(" ") == []  # a lower-case word would continue the sentence
    assert splitter.feed("How") == ["Hello there."]
    assert splitter.feed(" are you?") == []
    assert splitter.feed(" Fine") == ["How are you?"]
    assert splitter.flush() == ["Fine"]


def test_the_first_clause_is_released_early_then_only_sentences() -> None:
    splitter = SentenceSplitter(min_clause_words=4)
    assert splitter.feed("The weather today is sunny,") == []
    assert splitter.feed(" and") == ["The weather today is sunny,"]
    assert splitter.feed(" warm. Tomorrow, I think, it rains,") == ["and warm."]
    assert splitter.feed(" so take an umbrella.") == []
    assert splitter.flush() == ["Tomorrow, I think, it rains, so take an umbrella."]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Yes, I can do that for you.", "Yes, I can do that for you."),  # too short a clause
        ("It costs about 1,000 dollars in total.", "It costs about 1,000 dollars in total."),
        ("We will meet at 10:30 in the hall.", "We will meet at 10:30 in the hall."),
        ("The meeting starts tomorrow; bring notes.", "The meeting starts tomorrow;"),
        ("Here is what you need: a pen.", "Here is what you need:"),
        ("The answer, I believe, is yes.", "The answer, I believe,"),
        ("It was a long day — but good.", "It was a long day —"),
        ("It was a long day - but good.", "It was a long day -"),
        ("It was a well-known day and good.", "It was a well-known day and good."),
    ],
)
def test_first_clause_needs_enough_words_and_real_punctuation(text: str, first: str) -> None:
    assert stream(text, min_clause_words=4)[0] == first


def test_flush_makes_the_splitter_ready_for_the_next_stream() -> None:
    splitter = SentenceSplitter(min_clause_words=2)
    assert splitter.feed("- one two, three") == ["one two,"]
    assert splitter.flush() == ["three"]
    assert splitter.feed("four five, six") == ["four five,"]  # early release again, no leftover text
    assert splitter.flush() == ["six"]


# ---------------------------------------------------------------------------------- nothing lost

_WORDS = ["Dr.", "Mr", "e.g.", "U.S.", "3.5", "1.", "10:30", "1,000", "example.com/a.b", "hello", "World",
          "I", "well-known", "it", "Yes", "-5", "J."]
_MARKS = [". ", "! ", "? ", "...", "…", ", ", "; ", ": ", " - ", " — ", '." ', "\n", "\n\n", "- ", "* ",
          "**", "`", "# ", " ", "  ", "\t", ".", "?!", "'"]
_CJK = ["你好", "。", "！", "谢谢"]
latin_text = st.lists(st.sampled_from(_WORDS + _MARKS), max_size=40).map("".join)
any_text = st.lists(st.sampled_from(_WORDS + _MARKS + _CJK), max_size=40).map("".join)
cuts = st.lists(st.integers(min_value=0, max_value=6), max_size=40)


@settings(max_examples=400, deadline=None)
@given(text=latin_text, pieces=cuts, clause=st.sampled_from([0, 1, 4]))
def test_joined_output_is_the_speakable_input_however_it_is_chunked(
    text: str, pieces: list[int], clause: int
) -> None:
    out = stream(text, pieces, min_clause_words=clause)
    assert " ".join(out) == speakable(text)
    assert all(piece and piece == piece.strip() and "  " not in piece for piece in out)


@settings(max_examples=400, deadline=None)
@given(text=any_text, pieces=cuts, clause=st.sampled_from([0, 1, 4]))
def test_sentences_do_not_depend_on_the_chunking(text: str, pieces: list[int], clause: int) -> None:
    whole = SentenceSplitter(min_clause_words=clause)
    assert stream(text, pieces, min_clause_words=clause) == whole.feed(text) + whole.flush()


def test_a_dangling_list_marker_at_the_end_says_nothing() -> None:
    assert stream("Done.\n- ") == ["Done."]
    assert stream("Done.\n-") == ["Done."]
