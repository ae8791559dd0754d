"""What the user asks the device to remember (assistant.conversation.notes), through the skills: kept word for
word, asked about, listed, forgotten, kept across a restart."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from assistant.conversation.notes import MAX_NOTES
from assistant.conversation.skills import SKILLS, Skills
from assistant.conversation.state_file import StateFile


def said(skill: Skills, text: str) -> str:
    reply = skill.answer(text, 0)
    assert reply is not None and reply.intent.startswith("note_"), (text, reply)
    return reply.text


def noted(*notes: str) -> Skills:
    skill = Skills(SKILLS)
    for note in notes:
        skill.answer(note, 0)
    return skill


def test_a_note_is_kept_and_answers_the_question_it_is_about() -> None:
    skill = Skills(SKILLS)
    assert said(skill, "Remember that I parked on level 3.") == "Okay, I'll remember that you parked on level 3."
    assert said(skill, "remember my wifi password is tiger 42") == (
        "Okay, I'll remember that your wifi password is tiger 42.")
    assert said(skill, "Hey Jarvis, remember, the spare key is under the blue pot") == (
        "Okay, I'll remember that the spare key is under the blue pot.")
    assert said(skill, "make a note that my glasses are on the piano") == (
        "Okay, I'll remember that your glasses are on the piano.")
    assert said(skill, "Where did I park?") == "You told me you parked on level 3."
    assert said(skill, "where did I park the car") == "You told me you parked on level 3."  # "parked" is "park"
    assert said(skill, "what's my wifi password") == "You told me your wifi password is tiger 42."
    assert said(skill, "where are my keys") == "You told me the spare key is under the blue pot."
    assert said(skill, "where is the spare key") == "You told me the spare key is under the blue pot."
    assert said(skill, "where are my glasses") == "You told me your glasses are on the piano."
    assert said(skill, "what do you know about me").startswith("You asked me to remember that you parked")
    assert said(skill, "what did I tell you").startswith("You asked me to remember that you parked")
    assert Skills(SKILLS).answer("what do you know about me", 0) is None  # no notes: the conversation's, the model's
    assert Skills(SKILLS).answer("what did I tell you", 0) is None
    assert skill.answer("what did I just tell you", 0) is None  # the conversation's
    assert said(skill, "what did I ask you to remember") == (
        "You asked me to remember that you parked on level 3, that your wifi password is tiger 42, that the spare "
        "key is under the blue pot and that your glasses are on the piano.")


@pytest.mark.parametrize(
    "text",
    ["where is the key",  # not personal, and not every word of it noted
     "where is paris", "what is the capital of france", "where is the blue whale", "what did I do yesterday",
     "what is my name",  # no note: the model's, which may have heard it in the conversation
     "remember when we went to the beach", "do you remember my name", "remember to buy milk", "remember me",
     "remember this", "what do you think I should remember"],
)
def test_what_no_note_answers_and_what_is_no_note_is_left_to_others(text: str) -> None:
    skill = noted("remember that I parked on level 3", "remember the spare key is under the blue pot")
    reply = skill.answer(text, 0)
    assert reply is None or not reply.intent.startswith("note_"), reply


def test_a_note_that_does_not_say_what_is_asked_of_a_thing_is_no_answer() -> None:
    skill = noted("remember that my sister lives in paris", "remember that my locker code is 1234")
    assert skill.answer("what is my sister's name", 0) is None  # the note is on her, without her name
    assert said(skill, "where does my sister live") == "You told me your sister lives in paris."
    assert said(skill, "what is my locker code") == "You told me your locker code is 1234."


def test_notes_are_forgotten_one_or_all() -> None:
    skill = noted("remember that I parked on level 3", "remember my wifi password is tiger 42")
    assert said(skill, "forget that I parked on level 3") == "Okay, I've forgotten that you parked on level 3."
    assert skill.answer("where did I park", 0) is None
    assert said(skill, "forget the note about the wifi") == "Okay, I've forgotten that your wifi password is tiger 42."
    assert said(skill, "forget the note about the moon") == "You haven't asked me to remember anything."
    skill = noted("remember that I parked on level 3", "remember my wifi password is tiger 42")
    assert said(skill, "forget the note about the moon") == "I don't have a note about that."
    assert said(skill, "forget everything I asked you to remember") == (
        "Okay, I've forgotten the two things you asked me to remember.")
    assert said(skill, "what do you remember") == "You haven't asked me to remember anything."


def test_a_note_is_forgotten_by_what_it_is_about_only_when_there_is_one() -> None:
    skill = noted("remember that I parked on level 3", "remember my locker number is 42")
    assert skill.answer("forget my keys", 0) is None  # no note on them: the model's (it may be a turn of phrase)
    assert said(skill, "forget my locker number") == "Okay, I've forgotten that your locker number is 42."
    assert said(skill, "hey jarvis please forget where I parked") == "Okay, I've forgotten that you parked on level 3."
    assert skill.answer("forget where I parked", 0) is None


def test_notes_are_kept_across_a_restart_bounded_and_taken_back_unheard(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "skills.json", "timers, alarms and volume", 1)
    Skills(SKILLS, store=store).answer("remember that I parked on level 3", 0)
    assert said(Skills(SKILLS, store=store), "where did I park") == "You told me you parked on level 3."
    kept = json.loads((tmp_path / "skills.json").read_text())
    del kept["notes"]  # a file from before notes
    (tmp_path / "skills.json").write_text(json.dumps(kept))
    assert Skills(SKILLS, store=store).notes.notes == []
    skill = Skills(SKILLS)
    reply = skill.answer("remember that I parked on level 3", 0)
    assert reply is not None
    reply.take_back()  # the user went on speaking before hearing it
    assert skill.notes.notes == []
    for n in range(MAX_NOTES):
        skill.answer(f"remember that locker {n} is mine", 0)
    assert said(skill, "remember that I parked on level 3") == (
        "I already remember fifty things. Ask me to forget one.")
    assert Skills([s for s in SKILLS if s != "notes"]).answer("remember that I parked on level 3", 0) is None


def test_a_day_noted_is_one_the_calendar_counts_to() -> None:
    thanksgiving = datetime(2026, 11, 26, 11, 6)
    skill = Skills(SKILLS, clock=lambda: thanksgiving, follow_wall_clock=False)
    skill.answer("remember that my birthday is March fifth", 0)
    skill.answer("remember my wife's birthday is june 3rd", 0)
    skill.answer("remember our anniversary is on the 12th of december", 0)
    for text, reply in [
        ("how many days until my birthday", "Your birthday is in 99 days, on Friday, March the 5th, 2027."),
        ("how many days until my wife's birthday", "Your wife's birthday is in 189 days, on Thursday, June the 3rd, "
                                                   "2027."),
        ("how many weeks until our anniversary", "Your anniversary is in 2 weeks and 2 days, on Saturday, December "
                                                 "the 12th."),
        ("what day is my birthday next year", "Your birthday is on a Friday next year."),
        ("how many days since my birthday", "Your birthday was 266 days ago, on Thursday, March the 5th."),
    ]:
        reply_now = skill.answer(text, 0)
        assert reply_now is not None and (reply_now.intent, reply_now.text) == ("calendar", reply), text
    assert skill.answer("how many days until my party", 0) is None  # not noted: the model's


def test_did_i_is_answered_with_when_the_note_was_taken(tmp_path: Path) -> None:
    now = [datetime(2026, 11, 26, 8, 5)]  # a Thursday
    store = StateFile(tmp_path / "skills.json", "timers, alarms and volume", 1)
    skill = Skills(SKILLS, clock=lambda: now[0], follow_wall_clock=False, store=store)
    said(skill, "remember that I took my pills")
    assert said(skill, "did I take my pills") == "You told me at eight oh five AM today that you took your pills."
    now[0] = datetime(2026, 11, 27, 9, 0)  # the next morning: yesterday's note is no answer for today
    again = Skills(SKILLS, clock=lambda: now[0], follow_wall_clock=False, store=store)  # kept with its time
    assert said(again, "did I take my pills") == (
        "You told me yesterday at eight oh five AM that you took your pills.")
    now[0] = datetime(2026, 11, 30, 9, 0)
    assert said(again, "did I take my pills") == "You told me on Thursday at eight oh five AM that you took your pills."
    now[0] = datetime(2026, 12, 10, 9, 0)
    assert said(again, "did I take my pills") == "You told me on Thursday, November the 26th that you took your pills."
    assert said(again, "where did I put my pills") == "You told me you took your pills."  # where: not when
    assert again.answer("did I win the lottery", 0) is None  # no note on it: the model's
    said(again, "remember that I fed the cat")
    assert said(again, "have I fed the cat") == "You told me at nine o'clock AM today that you fed the cat."
    assert said(again, "has anyone fed the cat") == "You told me at nine o'clock AM today that you fed the cat."


def test_notes_from_a_file_written_before_their_times_were_kept_are_read(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "skills.json", "timers, alarms and volume", 1)
    Skills(SKILLS, store=store).answer("remember that I parked on level 3", 0)
    kept = json.loads((tmp_path / "skills.json").read_text())
    kept["notes"] = ["i parked on level 3"]  # words alone, as written before
    (tmp_path / "skills.json").write_text(json.dumps(kept))
    skill = Skills(SKILLS, store=store)
    assert skill.notes.notes == ["i parked on level 3"] and skill.notes.noted_at == {}
    assert said(skill, "did I park on level 3") == "You told me you parked on level 3."  # when: not known
