"""Shopping, to-do and other lists kept by the device (assistant.conversation.lists), through the skills."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.conversation.lists import MAX_ITEMS, parse_list_request
from assistant.conversation.skills import SKILLS, Skills
from assistant.conversation.state_file import StateFile


def said(skill: Skills, text: str) -> str:
    reply = skill.answer(text, 0)
    assert reply is not None and reply.intent.startswith("list_"), (text, reply)
    return reply.text


def test_the_recorded_request_adds_to_the_shopping_list_and_it_is_read_back(shared_audio: Path) -> None:
    skill = Skills(SKILLS)
    assert "add apples to my Shopping List" in (shared_audio / "commands" / "MANIFEST.tsv").read_text()  # recorded
    assert said(skill, "add apples to my Shopping List") == "Okay, I've added apples to your shopping list."
    assert said(skill, "Add milk, eggs and bread to the grocery list.") == (
        "Okay, I've added milk, eggs and bread to your shopping list.")  # the grocery list is the shopping list
    assert said(skill, "add milk and butter to my shopping list") == (
        "Okay, I've added butter to your shopping list. Milk is already on your shopping list.")
    assert said(skill, "what's on my shopping list") == "Your shopping list has apples, milk, eggs, bread and butter."
    assert said(skill, "remove eggs and cheese from the shopping list") == (
        "Okay, I've taken eggs off your shopping list. Cheese is not on your shopping list.")
    assert said(skill, "read me my shopping list") == "Your shopping list has apples, milk, bread and butter."
    assert said(skill, "clear my shopping list") == "Okay, your shopping list is empty."
    assert said(skill, "what is on my shopping list") == "Your shopping list is empty."


def test_lists_are_named_by_the_words_before_list() -> None:
    skill = Skills(SKILLS)
    assert said(skill, "add call the plumber to my to-do list") == (
        "Okay, I've added call the plumber to your to-do list.")
    assert said(skill, "put sunscreen on the packing list") == "Okay, I've added sunscreen to your packing list."
    assert said(skill, "what's on my todo list") == "Your to-do list has call the plumber."
    assert said(skill, "add a joke book to my shopping list") == "Okay, I've added a joke book to your shopping list."
    assert skill.lists.lists == {"to-do": ["call the plumber"], "packing": ["sunscreen"], "shopping": ["a joke book"]}


def test_a_list_without_a_name_is_the_shopping_list() -> None:
    skill = Skills(SKILLS)
    assert said(skill, "put milk on the list") == "Okay, I've added milk to your shopping list."
    assert said(skill, "add eggs to my list") == "Okay, I've added eggs to your shopping list."
    assert said(skill, "read me my list") == "Your shopping list has milk and eggs."
    assert said(skill, "what's on the list") == "Your shopping list has milk and eggs."
    assert said(skill, "remove milk from the list") == "Okay, I've taken milk off your shopping list."


def test_a_thing_named_with_an_and_is_one_item() -> None:
    skill = Skills(SKILLS)
    assert said(skill, "add mac and cheese, half and half and eggs to my shopping list") == (
        "Okay, I've added mac and cheese, half and half and eggs to your shopping list.")
    assert said(skill, "add bread and butter to my shopping list") == (
        "Okay, I've added bread and butter to your shopping list.")
    assert skill.lists.lists == {"shopping": ["mac and cheese", "half and half", "eggs", "bread", "butter"]}
    assert said(skill, "remove the mac and cheese and the eggs from my shopping list") == (
        "Okay, I've taken mac and cheese and eggs off your shopping list.")  # "the" or not, it is the same thing
    assert said(skill, "add the bread to my shopping list") == "Bread is already on your shopping list."
    assert said(skill, "add tomatoes to my shopping list") == "Okay, I've added tomatoes to your shopping list."
    assert said(skill, "remove tomato from my shopping list") == (
        "Okay, I've taken tomatoes off your shopping list.")  # one or many, the same thing


def test_a_list_is_asked_about_item_by_item_counted_and_named() -> None:
    skill = Skills(SKILLS)
    assert said(skill, "what lists do I have") == "You have no lists."
    skill.answer("add milk, eggs and bread to my shopping list", 0)
    skill.answer("add call the plumber to my to do list", 0)
    assert said(skill, "is milk on my shopping list") == "Yes, milk is on your shopping list."
    assert said(skill, "are eggs and bread on the list") == "Yes, eggs and bread are on your shopping list."
    assert said(skill, "is cheese on my shopping list") == "No, cheese is not on your shopping list."
    assert said(skill, "is milk and cheese on my shopping list") == (
        "Milk is on your shopping list. Cheese is not on your shopping list.")
    assert said(skill, "how many things are on my shopping list") == (
        "Your shopping list has 3 things: milk, eggs and bread.")
    assert said(skill, "how many items are on my packing list") == "Your packing list is empty."
    assert said(skill, "what lists do I have") == "You have a shopping list and a to-do list."
    assert said(skill, "add eggs to my shopping list") == "Eggs are already on your shopping list."


def test_add_alone_goes_on_the_list_just_used_else_the_shopping_list_and_just_after_so_does_and() -> None:
    skill = Skills(SKILLS)
    assert said(skill, "add milk and") == "Okay, I've added milk to your shopping list."  # the rest never came
    assert said(skill, "and eggs") == "Okay, I've added eggs to your shopping list."
    assert said(skill, "also bread please") == "Okay, I've added bread to your shopping list."
    assert said(skill, "add call the plumber to my to do list") == (
        "Okay, I've added call the plumber to your to-do list.")
    assert said(skill, "add water the plants") == "Okay, I've added water the plants to your to-do list."
    assert skill.answer("what time is it", 0) is not None
    assert said(skill, "add cat food") == "Okay, I've added cat food to your shopping list."  # not just after
    assert skill.answer("what time is it", 0) is not None
    assert skill.answer("and cheese", 0) is None  # "and" follows an add only just after it
    skill.answer("add milk to my shopping list", 0)
    assert skill.answer("and then what happened", 0) is None
    assert skill.lists.lists == {"shopping": ["milk", "eggs", "bread", "cat food"],
                                 "to-do": ["call the plumber", "water the plants"]}
    for other in ("add 5 minutes", "add an alarm", "add it", "add a reminder"):
        reply = skill.answer(other, 0)
        assert reply is None or not reply.intent.startswith("list_"), other


def test_cross_off_takes_an_item_off_the_list_just_used_and_the_store_reads_the_shopping_list() -> None:
    skill = Skills(SKILLS)
    skill.answer("add bananas and apples to my grocery list", 0)
    assert said(skill, "what do I need from the store") == "Your shopping list has bananas and apples."
    assert said(skill, "cross off apples") == "Okay, I've taken apples off your shopping list."
    assert said(skill, "check the bananas off") == "Okay, I've taken bananas off your shopping list."
    skill.answer("add fix the door to my to do list", 0)
    assert said(skill, "tick off fix the door") == "Okay, I've taken fix the door off your to-do list."
    assert skill.lists.lists == {}  # (an emptied list is dropped)
    for other in ("cross it off", "check off my alarm", "what do i need"):
        reply = skill.answer(other, 0)
        assert reply is None or not reply.intent.startswith("list_"), other


def test_what_was_bought_comes_off_the_shopping_list() -> None:
    skill = Skills(SKILLS)
    skill.answer("add milk, eggs and bread to my shopping list", 0)
    assert said(skill, "I got the milk") == "Okay, I've taken milk off your shopping list."
    assert said(skill, "we bought eggs and bread") == "Okay, I've taken eggs and bread off your shopping list."
    skill.answer("add coffee", 0)
    for talk in ("I got the job", "I have a question", "we bought a house"):  # not on the list: the model's
        assert skill.answer(talk, 0) is None, talk
    assert skill.lists.lists == {"shopping": ["coffee"]}


def test_a_list_is_made_on_request_and_the_answer_to_what_to_put_on_it_goes_on_it() -> None:
    skill = Skills(SKILLS)
    assert said(skill, "create a packing list") == "Okay, I've made you a packing list. What should I put on it?"
    assert said(skill, "sunscreen, a towel and a hat") == (
        "Okay, I've added sunscreen, a towel and a hat to your packing list.")
    assert skill.answer("a toothbrush", 0) is None  # only the turn just after
    assert said(skill, "make a new list called camping") == (
        "Okay, I've made you a camping list. What should I put on it?")
    assert said(skill, "what lists do I have") == "You have a packing list and a camping list."  # empty, but there
    assert said(skill, "hey jarvis start a grocery list") == (
        "Okay, I've made you a shopping list. What should I put on it?")
    assert said(skill, "not yet") == "Okay, your shopping list is there when you need it."
    assert said(skill, "create a packing list please") == (
        "You already have a packing list, with sunscreen, a towel and a hat. What should I add to it?")
    for other in ("what time is it", "tell me a joke", "I need a new phone", "set a timer for 5 minutes"):
        skill.answer("create a packing list", 0)
        reply = skill.answer(other, 0)  # a question or another request, not things for the list
        assert reply is None or not reply.intent.startswith("list_"), other
    assert skill.lists.lists["packing"] == ["sunscreen", "a towel", "a hat"]
    said(skill, "create a to-do list")
    assert skill.answer("cancel that", 0) is not None and "to-do" not in skill.lists.lists


def test_what_has_run_out_is_offered_for_the_shopping_list_and_yes_puts_it_on() -> None:
    skill = Skills(SKILLS)
    assert said(skill, "we're out of milk") == "Should I put milk on your shopping list?"
    assert said(skill, "yes") == "Okay, I've added milk to your shopping list."
    assert said(skill, "I need to buy batteries and toilet paper") == (
        "Should I put batteries and toilet paper on your shopping list?")
    assert said(skill, "no thanks") == "Okay."
    assert said(skill, "we're running low on milk") == "Yes, milk is on your shopping list."
    assert said(skill, "we need more coffee") == "Should I put coffee on your shopping list?"
    assert skill.answer("what time is it", 0) is not None
    assert skill.answer("yes", 0) is None  # only just after the question
    for talk in ("I'm out of ideas", "we need to talk", "we need a plan", "I need to get going", "we're out of time",
                 "I'm out of here"):
        assert skill.answer(talk, 0) is None, talk
    assert skill.lists.lists == {"shopping": ["milk"]}


@pytest.mark.parametrize(
    "text", ["add it to the list", "add 5 minutes to the timer", "make a list of fruits", "what is a shopping list",
             "tell me about lists", "remove that from my list",
             "open my shopping list", "make a list of things to do"],
)
def test_what_is_not_a_list_request_is_left_to_others(text: str) -> None:
    assert parse_list_request(text) is None


def test_lists_are_kept_across_a_restart_bounded_and_taken_back_unheard(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "skills.json", "timers, alarms and volume", 1)
    Skills(SKILLS, store=store).answer("add apples and pears to my shopping list", 0)
    assert Skills(SKILLS, store=store).lists.lists == {"shopping": ["apples", "pears"]}
    kept = json.loads((tmp_path / "skills.json").read_text())
    del kept["lists"]  # a file from before lists
    (tmp_path / "skills.json").write_text(json.dumps(kept))
    assert Skills(SKILLS, store=store).lists.lists == {}
    skill = Skills(SKILLS)
    reply = skill.answer("add apples to my shopping list", 0)
    assert reply is not None
    reply.take_back()  # the user went on speaking before hearing it
    assert skill.lists.lists == {}
    items = ", ".join(f"thing {n}" for n in range(MAX_ITEMS + 1))
    assert said(skill, f"add {items} to my shopping list") == (
        f"Your shopping list is full: it holds {MAX_ITEMS} things.")
    assert Skills([s for s in SKILLS if s != "lists"]).answer("add apples to my shopping list", 0) is None
