"""Self-echo guard: what the assistant just said, heard back through the microphone, is not the user's turn.

The assistant's sentences are real read sentences from the shared recordings (their MANIFEST.tsv labels);
the transcripts of their echo carry the kind of errors a recognizer makes on them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from assistant.conversation.echo_guard import EchoGuard, match_similarity

RATE = 16000
SAID = [
    "Many people don't think about them as dinosaurs because they have feathers and can fly.",
    "The cabbage juice changes color depending on how acidic or basic the chemical is.",
]


def said_at(seconds: float, guard: EchoGuard | None = None, sentences: list[str] = SAID) -> EchoGuard:
    """A guard that heard `sentences` end one second apart, the last at `seconds`."""
    guard = guard or EchoGuard()
    for i, sentence in enumerate(sentences):
        guard.said(sentence, round((seconds - len(sentences) + 1 + i) * RATE))
    return guard


def test_the_echo_of_a_recent_sentence_is_recognized_despite_recognition_errors() -> None:
    guard = said_at(10.0)
    now = 11 * RATE
    assert guard.is_echo("many people don't think about them as dinosaurs", now)
    assert guard.is_echo("many people don't think about them is dinosaurs because they have fathers", now)  # 2 errors
    assert guard.is_echo("The cabbage juice changes colour depending on how acidic", now)  # 1 error
    # Across the end of one sentence into the next.
    assert guard.is_echo("feathers and can fly the cabbage juice changes", now)


def test_the_users_own_words_are_not_echo() -> None:
    guard = said_at(10.0)
    now = 11 * RATE
    for transcript in ("what time is it", "turn off lights in the office", "tell me about dinosaurs",
                       "why do they have feathers", "is the chemical basic or acidic"):
        assert not guard.is_echo(transcript, now), transcript


def test_words_of_the_reply_out_of_order_or_scattered_are_not_echo() -> None:
    guard = said_at(10.0)
    now = 11 * RATE
    assert not guard.is_echo("fly can and feathers have they", now)
    # Every word occurs in the reply, in order, but far apart: a question, not an echo.
    assert not guard.is_echo("people think they can change the chemical", now)


def test_a_single_word_must_be_a_word_of_the_reply_and_an_empty_transcript_is_never_echo() -> None:
    guard = said_at(10.0)
    now = 11 * RATE
    assert guard.is_echo("have feathers and", now)
    assert not guard.is_echo("have fathers and", now)  # three words or fewer: exactly
    assert guard.is_echo("Dinosaurs.", now)
    assert not guard.is_echo("dinosaur", now)
    assert not guard.is_echo("yes", now)
    assert not guard.is_echo("", now)
    assert not guard.is_echo("  [BLANK_AUDIO] ", now)


def test_numbers_match_however_they_are_written() -> None:
    guard = EchoGuard()
    guard.said("I set a timer for 25 minutes.", 5 * RATE)
    assert guard.is_echo("set a timer for twenty five minutes", 6 * RATE)


def test_sentences_older_than_the_window_are_forgotten() -> None:
    guard = EchoGuard(window_s=8.0)
    guard.said(SAID[0], 10 * RATE)
    assert guard.is_echo("think about them as dinosaurs", 17 * RATE)
    assert guard.is_echo("think about them as dinosaurs", 18 * RATE)  # exactly at the edge
    assert not guard.is_echo("think about them as dinosaurs", 18 * RATE + 1)
    assert len(guard) == 0


def test_a_sentence_told_before_it_has_played_does_not_push_out_earlier_ones() -> None:
    guard = EchoGuard(window_s=2.0)
    guard.said(SAID[0], 10 * RATE)
    guard.said(SAID[1], 30 * RATE)  # queued, to end far ahead of now
    assert guard.is_echo("think about them as dinosaurs", 11 * RATE)
    assert guard.is_echo("the cabbage juice changes color", 11 * RATE)


def test_memory_stays_bounded_over_a_long_conversation(shared_audio: Path) -> None:
    with (shared_audio / "asr" / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        sentences = [row["label"] for row in csv.DictReader(handle, delimiter="\t") if row["lang"] == "en"]
    guard = EchoGuard(window_s=8.0)
    for i in range(500):
        guard.said(sentences[i % len(sentences)], i * 2 * RATE)
        guard.is_echo("what time is it", i * 2 * RATE)
    assert len(guard) <= 5  # 8 s of sentences ending every 2 s
    last = sentences[499 % len(sentences)]
    assert guard.is_echo(last, 499 * 2 * RATE)


def test_similarity_is_a_local_alignment() -> None:
    reply = list("abcdefgh")
    assert match_similarity(list("cde"), reply) == 1.0
    assert match_similarity(list("cxe"), reply) == pytest.approx(2 / 3)
    assert match_similarity(list("cdxe"), reply) == pytest.approx(3 / 4)  # an inserted word
    assert match_similarity(list("cef"), reply) == pytest.approx(2 / 3)  # a word not heard
    # In order but far apart: the best stretch is one word with one error, not the 100% of a subsequence.
    assert match_similarity(list("ah"), reply) == 0.5
    assert match_similarity([], reply) == 0.0
    assert match_similarity(["a"], []) == 0.0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="window_s"):
        EchoGuard(window_s=0)
    with pytest.raises(ValueError, match="min_similarity"):
        EchoGuard(min_similarity=1.5)
