"""Endpointing: a turn that reads as finished closes after a short silence, one that stops mid-phrase waits.

Real transcripts from the shared recordings (their MANIFEST.tsv labels): spoken commands without punctuation,
as pocketsphinx and Vosk give them, and read sentences with punctuation, as whisper gives them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.config import Config, ConversationConfig, VadConfig
from assistant.conversation.endpoint import EndpointPolicy, completeness


def english_labels(shared_audio: Path, recording_set: str) -> list[str]:
    with (shared_audio / recording_set / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [row["label"] for row in rows if row["lang"] == "en" and not row["label"].startswith("<")]


def test_every_english_spoken_command_is_complete_and_cut_mid_phrase_it_is_not(shared_audio: Path) -> None:
    commands = english_labels(shared_audio, "commands")
    assert len(commands) >= 20
    # "pause", "cancel timer", "ten of clubs": too short to tell, or not a question or command.
    too_short = [c for c in commands if len(c.split()) < 3]
    not_commands = {"ten of clubs", "four queen of clubs", "seven of clubs"}
    for command in commands:
        if command in too_short or command in not_commands:
            assert completeness(command) == "unknown", command
        else:
            assert completeness(command) == "complete", command
    # The same commands, heard up to a word that needs a continuation.
    for partial in ("set a timer for", "add apples to my", "what's the weather like in", "lock the",
                    "set a timer for 3 hours and", "what's the temperature of the", "turn off lights in"):
        assert any(c.startswith(partial) for c in commands), partial
        assert completeness(partial) == "incomplete", partial


def test_read_sentences_go_by_their_punctuation(shared_audio: Path) -> None:
    labels = english_labels(shared_audio, "asr")
    ends = {"complete": 0, "incomplete": 0}
    for label in labels:
        text = label.rstrip('"')
        if text.endswith((".", "?", "!")):
            assert completeness(label) == "complete", label
            ends["complete"] += 1
        elif text.endswith((",", ";")):
            assert completeness(label) == "incomplete", label
            ends["incomplete"] += 1
    assert ends["complete"] >= 5 and ends["incomplete"] >= 3  # the recordings hold both kinds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what time is it", "complete"),
        ("do you know what time it is", "complete"),
        ("what's the weather like", "complete"),
        ("please turn the lights on", "complete"),
        ("um turn off the kitchen light", "complete"),
        ("Hello.", "complete"),
        ("Is it going to rain tomorrow?", "complete"),
        ("and", "incomplete"),
        ("I went to the shop and", "incomplete"),
        ("tell me about the", "incomplete"),
        ("what is the capital of", "incomplete"),
        ("what can you", "incomplete"),
        ("could you", "incomplete"),
        ("so um", "incomplete"),
        ("So, um.", "incomplete"),  # a hesitation, whatever the punctuation
        ("I was thinking,", "incomplete"),
        ("Well, I was thinking...", "incomplete"),
        ("remind me to call my", "incomplete"),
        # an article after a whole request: pocketsphinx's stray "the", or a real pause; the plain hangover
        ("what time is it the", "unknown"),
        ("What time is it? The", "unknown"),
        ("remind me to call mom a", "unknown"),
        ("turn off the", "incomplete"),  # not a whole request without it
        ("set a timer for the", "incomplete"),
        ("what's the temperature of the", "incomplete"),
        ("what time is it and", "incomplete"),  # a conjunction carries on
        ("", "unknown"),
        ("   ", "unknown"),
        ("[BLANK_AUDIO]", "unknown"),
        ("hello", "unknown"),
        ("what is", "incomplete"),
        ("he was not an ill disposed young man", "unknown"),
    ],
)
def test_completeness(text: str, expected: str) -> None:
    assert completeness(text) == expected


@given(st.lists(st.sampled_from(["what", "time", "is", "it", "the", "lights", "turn", "off", "hello", "x"]),
                max_size=8))
def test_a_trailing_conjunction_or_comma_is_never_complete(words: list[str]) -> None:
    text = " ".join(words)
    assert completeness(text + " and") == "incomplete"
    assert completeness(text + ",") == ("incomplete" if words else "unknown")
    if words:
        assert completeness(text + "?") == "complete"


def test_the_policy_maps_completeness_to_the_configured_hangovers() -> None:
    config = Config(
        vad=VadConfig(hangover_ms=700),
        conversation=ConversationConfig(hangover_complete_ms=300, hangover_incomplete_ms=1500),
    )
    policy = EndpointPolicy(config)
    assert policy.hangover_ms("what time is it") == 300
    assert policy.hangover_ms("what time is it and") == 1500
    assert policy.hangover_ms("he was not an ill disposed young man") == 700
    assert policy.hangover_ms("") == 700
