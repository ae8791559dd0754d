"""Reminders for a part of the day instead of a clock time: "remind me tomorrow morning to call the bank" (9 AM),
"this evening" (6 PM), "tonight" (8 PM), "this afternoon" (2 PM), "tomorrow" alone (9 AM); today's part of the day
past its time asks when; alarms still ask for a time."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.audio.io import SAMPLE_RATE
from assistant.conversation.skills import SKILLS, Skills
from assistant.conversation.state_file import StateFile

S = SAMPLE_RATE
EARLY = datetime(2024, 3, 5, 8, 0)  # a Tuesday, before every part of the day's time
TUESDAY = datetime(2024, 3, 5, 15, 5)  # the afternoon: this morning is over, this afternoon's 2 PM has passed
LATE = datetime(2024, 3, 5, 21, 0)  # past tonight's 8 PM


def skills(at: datetime) -> Skills:
    return Skills(SKILLS, clock=lambda: at, follow_wall_clock=False)


def said(skill: Skills, text: str, now: int = 0) -> str | None:
    reply = skill.answer(text, now)
    return None if reply is None else reply.text


@pytest.mark.parametrize(
    ("clock", "text", "reply", "at"),
    [
        (TUESDAY, "remind me tomorrow morning to call the bank",
         "Okay, I'll remind you to call the bank at nine o'clock AM tomorrow.", datetime(2024, 3, 6, 9, 0)),
        (TUESDAY, "remind me this evening to take out the trash",
         "Okay, I'll remind you to take out the trash at six o'clock PM today.", datetime(2024, 3, 5, 18, 0)),
        (TUESDAY, "remind me tonight to lock the door",
         "Okay, I'll remind you to lock the door at eight o'clock PM today.", datetime(2024, 3, 5, 20, 0)),
        (EARLY, "remind me to call mom this afternoon",
         "Okay, I'll remind you to call mom at two o'clock PM today.", datetime(2024, 3, 5, 14, 0)),
        (EARLY, "remind me this morning to call the bank",
         "Okay, I'll remind you to call the bank at nine o'clock AM today.", datetime(2024, 3, 5, 9, 0)),
        # "in the morning": the next 9 AM, today's or tomorrow's
        (EARLY, "remind me in the morning to water the plants",
         "Okay, I'll remind you to water the plants at nine o'clock AM today.", datetime(2024, 3, 5, 9, 0)),
        (TUESDAY, "remind me in the morning to water the plants",
         "Okay, I'll remind you to water the plants at nine o'clock AM tomorrow.", datetime(2024, 3, 6, 9, 0)),
        (TUESDAY, "remind me to lock the door at night",
         "Okay, I'll remind you to lock the door at eight o'clock PM today.", datetime(2024, 3, 5, 20, 0)),
        (TUESDAY, "remind me on friday morning to pay rent",
         "Okay, I'll remind you to pay rent at nine o'clock AM on Friday.", datetime(2024, 3, 8, 9, 0)),
        # "next Friday" is next week's; a day a week or more away is said with its date
        (TUESDAY, "remind me next friday to pay rent",
         "Okay, I'll remind you to pay rent at nine o'clock AM on Friday, March the 15th.", datetime(2024, 3, 15, 9)),
        (TUESDAY, "remind me on friday next week to call mom",
         "Okay, I'll remind you to call mom at nine o'clock AM on Friday, March the 15th.", datetime(2024, 3, 15, 9)),
        (TUESDAY, "remind me this friday to pay rent",
         "Okay, I'll remind you to pay rent at nine o'clock AM on Friday.", datetime(2024, 3, 8, 9, 0)),
        (TUESDAY, "remind me tomorrow to buy milk",
         "Okay, I'll remind you to buy milk at nine o'clock AM tomorrow.", datetime(2024, 3, 6, 9, 0)),
        (TUESDAY, "set a reminder for tomorrow night to lock the door",
         "Okay, I'll remind you to lock the door at eight o'clock PM tomorrow.", datetime(2024, 3, 6, 20, 0)),
        (TUESDAY, "remind me about the meeting tomorrow afternoon",
         "Okay, I'll remind you about the meeting at two o'clock PM tomorrow.", datetime(2024, 3, 6, 14, 0)),
        (TUESDAY, "remind me tomorrow evening that I need to take my pills",
         "Okay, I'll remind you to take your pills at six o'clock PM tomorrow.", datetime(2024, 3, 6, 18, 0)),
        (EARLY, "remind me later this evening to call mom",
         "Okay, I'll remind you to call mom at six o'clock PM today.", datetime(2024, 3, 5, 18, 0)),
        # a clock time said with the part of the day is that time ("at 4" at 3 AM is not 4 AM: "this afternoon")
        (TUESDAY, "remind me tomorrow morning at 7 to call the bank",
         "Okay, I'll remind you to call the bank at seven o'clock AM tomorrow.", datetime(2024, 3, 6, 7, 0)),
        (datetime(2024, 3, 5, 3, 0), "remind me at 4 this afternoon to call mom",
         "Okay, I'll remind you to call mom at four o'clock PM today.", datetime(2024, 3, 5, 16, 0)),
    ],
)
def test_a_part_of_the_day_stands_for_a_time_that_is_said_back(clock: datetime, text: str, reply: str,
                                                               at: datetime) -> None:
    skill = skills(clock)
    assert said(skill, text, 10 * S) == reply
    (reminder,) = skill.timers
    assert (reminder.kind, reminder.at, reminder.weekdays) == ("reminder", at, ())
    assert reminder.due == 10 * S + round((at - clock).total_seconds()) * S


def test_every_morning_is_a_weekly_reminder_at_nine() -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me every morning to stretch") == (
        "Okay, I'll remind you to stretch at nine o'clock AM every day.")
    (reminder,) = skill.timers
    assert (reminder.name, reminder.at, reminder.weekdays) == (
        "to stretch", datetime(2024, 3, 6, 9, 0), (0, 1, 2, 3, 4, 5, 6))


def test_a_reminder_for_tomorrow_morning_rings_at_nine_with_what_it_is_about() -> None:
    skill = skills(TUESDAY)  # 3:05 PM
    skill.answer("remind me tomorrow morning to call the bank", 10 * S)
    (reminder,) = skill.timers
    ring = 10 * S + round((datetime(2024, 3, 6, 9, 0) - TUESDAY).total_seconds()) * S  # 17 h 55 min on
    assert reminder.due == ring
    assert skill.due(ring - 1) == []
    assert skill.due(ring) == [reminder]
    assert skill.done_sentence([reminder]) == "A reminder to call the bank."
    assert skill.timers == []


def test_this_morning_once_it_is_over_is_not_set_in_the_past_nor_tomorrow_it_asks_when() -> None:
    skill = skills(TUESDAY)  # 3:05 PM
    reply = skill.answer("remind me this morning to call the bank", 0)
    assert reply is not None and reply.intent == "reminder_ask"
    assert reply.text == "This morning is over. When should I remind you to call the bank?"
    assert skill.timers == []
    assert said(skill, "tomorrow morning") == "Okay, I'll remind you to call the bank at nine o'clock AM tomorrow."
    assert [t.at for t in skill.timers] == [datetime(2024, 3, 6, 9, 0)]


@pytest.mark.parametrize(
    ("clock", "text", "question", "answer", "reply", "at"),
    [
        (LATE, "remind me tonight to lock the door", "At what time tonight?", "at 10:30",
         "Okay, I'll remind you to lock the door at ten thirty PM today.", datetime(2024, 3, 5, 22, 30)),
        (TUESDAY, "remind me to call mom this afternoon", "At what time this afternoon?", "4",
         "Okay, I'll remind you to call mom at four o'clock PM today.", datetime(2024, 3, 5, 16, 0)),
        (datetime(2024, 3, 5, 19, 0), "remind me this evening to take out the trash", "At what time this evening?",
         "at 8", "Okay, I'll remind you to take out the trash at eight o'clock PM today.", datetime(2024, 3, 5, 20, 0)),
    ],
)
def test_todays_part_of_the_day_past_its_time_but_not_over_asks_at_what_time(
        clock: datetime, text: str, question: str, answer: str, reply: str, at: datetime) -> None:
    skill = skills(clock)
    assert said(skill, text) == question  # not an hour from now, nor tomorrow's
    assert skill.timers == []
    assert said(skill, answer) == reply
    assert [t.at for t in skill.timers] == [at]


def test_tonight_asked_again_past_its_time_asks_again_and_the_question_is_for_one_turn() -> None:
    skill = skills(LATE)  # 9 PM
    assert said(skill, "remind me tonight to lock the door") == "At what time tonight?"
    assert said(skill, "tonight") == "At what time tonight?"
    assert skill.answer("tell me a joke", 0) is None
    assert skill.answer("at 10:30", 0) is None  # that question was for one turn
    assert skill.timers == []


def test_tonight_said_after_midnight_is_the_coming_night() -> None:
    skill = skills(datetime(2024, 3, 6, 0, 30))
    assert said(skill, "remind me tonight to lock the door") == (
        "Okay, I'll remind you to lock the door at eight o'clock PM today.")
    assert [t.at for t in skill.timers] == [datetime(2024, 3, 6, 20, 0)]


def test_when_should_i_remind_you_takes_a_part_of_the_day_for_an_answer() -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me to water the plants") == "When should I remind you to water the plants?"
    assert said(skill, "tomorrow morning") == "Okay, I'll remind you to water the plants at nine o'clock AM tomorrow."
    assert said(skill, "remind me to feed the cat") == "When should I remind you to feed the cat?"
    assert skill.answer("what did I do this morning", 0) is None  # not an answer to it
    assert [t.name for t in skill.timers] == ["to water the plants"]


def test_today_alone_says_no_time_and_asks_when() -> None:
    assert said(skills(EARLY), "remind me today to buy milk") == "When should I remind you to buy milk?"


@pytest.mark.parametrize(
    "text", ["remind me what I said this morning", "what did I do this morning", "remind me what I said tonight",
             "remind me how to make pancakes in the morning", "what did I have for dinner tonight"],
)
def test_what_is_not_a_reminder_is_left_to_the_model_whatever_part_of_the_day_it_names(text: str) -> None:
    skill = skills(TUESDAY)
    assert skill.answer(text, 0) is None
    assert skill.timers == []


@pytest.mark.parametrize(
    ("text", "question"),
    [("remind me to buy the morning paper", "When should I remind you to buy the morning paper?"),
     ("remind me to speak at the evening class", "When should I remind you to speak at the evening class?")],
)
def test_a_part_of_the_day_naming_a_thing_is_part_of_what_to_remind_of(text: str, question: str) -> None:
    assert said(skills(EARLY), text) == question


@pytest.mark.parametrize("text", ["wake me up tomorrow morning", "set an alarm for tomorrow morning",
                                  "wake me up tonight"])
def test_an_alarm_for_a_part_of_the_day_still_asks_for_the_time(text: str) -> None:
    skill = skills(TUESDAY)
    reply = skill.answer(text, 0)
    assert reply is not None and (reply.intent, reply.text) == ("alarm_ask", "For what time?")
    assert skill.timers == []
    assert said(skill, "7 am") == "Okay, alarm for seven o'clock AM tomorrow."


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("don't let me forget to buy milk", "When should I remind you to buy milk?"),
        ("remember to take the chicken out at 6", "Okay, I'll remind you to take the chicken out at six o'clock PM "
                                                  "today."),
        ("do not let me forget to call mom tomorrow morning", "Okay, I'll remind you to call mom at nine o'clock AM "
                                                              "tomorrow."),
    ],
)
def test_dont_let_me_forget_and_remember_to_are_reminders(text: str, reply: str) -> None:
    assert said(skills(TUESDAY), text) == reply
    assert skills(TUESDAY).answer("remember that I parked on level 3", 0).intent == "note_add"  # type: ignore[union-attr]


def test_a_reminder_without_what_asks_what_and_takes_the_next_turn_with_the_time_said_first() -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me next friday") == "What should I remind you of?"
    assert said(skill, "to pay rent") == (
        "Okay, I'll remind you to pay rent at nine o'clock AM on Friday, March the 15th.")
    assert said(skill, "remind me in 10 minutes") == "What should I remind you of?"
    assert said(skill, "that the oven is on") == "Okay, I'll remind you that the oven is on in ten minutes."
    assert said(skill, "remind me tomorrow") == "What should I remind you of?"
    assert said(skill, "call my mom at 5 pm") == "Okay, I'll remind you to call your mom at five o'clock PM tomorrow."
    # the answer says what; when comes next, if nobody said it yet
    assert said(skill, "remind me") == (
        "What should I remind you of? Say, for example: remind me to call mom at five PM.")
    assert said(skill, "water the plants") == "When should I remind you to water the plants?"
    assert said(skill, "at 6") == "Okay, I'll remind you to water the plants at six o'clock PM today."
    assert [t.name for t in skill.timers] == [
        "that the oven is on", "to water the plants", "to call your mom", "to pay rent"]


@pytest.mark.parametrize("answer", ["nothing", "never mind", "what time is it", "no thanks"])
def test_what_should_i_remind_you_of_is_not_answered_by_no_or_another_question(answer: str) -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me tomorrow") == "What should I remind you of?"
    reply = skill.answer(answer, 0)
    assert reply is None or reply.intent == "time"
    assert skill.timers == []
    assert skill.answer("call mom", 0) is None or skill.timers == []  # the question was for one turn


def test_a_last_on_or_in_is_part_of_what_to_remind_of() -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me that the oven is on at 5") == (
        "Okay, I'll remind you that the oven is on at five o'clock PM today.")
    assert said(skill, "remind me to log in at 6") == "Okay, I'll remind you to log in at six o'clock PM today."
    assert said(skill, "remind me to call mom at 7 please") == (
        "Okay, I'll remind you to call mom at seven o'clock PM today.")
    assert said(skill, "remind me to pay rent by friday") == (
        "Okay, I'll remind you to pay rent at nine o'clock AM on Friday.")


@pytest.mark.parametrize(
    ("text", "reply", "at"),
    [
        ("remind me on march 20th to call grandma",
         "Okay, I'll remind you to call grandma at nine o'clock AM on Wednesday, March the 20th.",
         datetime(2024, 3, 20, 9)),
        ("remind me on the 5th of april at 8 am to renew the license",
         "Okay, I'll remind you to renew the license at eight o'clock AM on Friday, April the 5th.",
         datetime(2024, 4, 5, 8)),
        # a day of the month alone: this month's, else the next month's
        ("remind me on the 5th to pay the bill",  # today is the 5th, past 9 AM
         "Okay, I'll remind you to pay the bill at nine o'clock AM on Friday, April the 5th.", datetime(2024, 4, 5, 9)),
        ("remind me on the 5th at 6 pm to pay the bill",
         "Okay, I'll remind you to pay the bill at six o'clock PM today.", datetime(2024, 3, 5, 18)),
        ("remind me on the 31st to check the meter",
         "Okay, I'll remind you to check the meter at nine o'clock AM on Sunday, March the 31st.",
         datetime(2024, 3, 31, 9)),
        ("remind me on february 29th to celebrate",  # past this year's: the next one, 4 years on
         "Okay, I'll remind you to celebrate at nine o'clock AM on Tuesday, February the 29th, 2028.",
         datetime(2028, 2, 29, 9)),
        ("remind me in 3 days to water the plants",
         "Okay, I'll remind you to water the plants at nine o'clock AM on Friday.", datetime(2024, 3, 8, 9)),
        ("remind me in a week to check the tires",
         "Okay, I'll remind you to check the tires at nine o'clock AM on Tuesday, March the 12th.",
         datetime(2024, 3, 12, 9)),
        ("remind me 2 weeks from now at 10 am to book the car in",
         "Okay, I'll remind you to book the car in at ten o'clock AM on Tuesday, March the 19th.",
         datetime(2024, 3, 19, 10)),
        ("remind me the day after tomorrow to buy milk",
         "Okay, I'll remind you to buy milk at nine o'clock AM on Thursday.", datetime(2024, 3, 7, 9)),
        ("remind me this weekend to clean the garage",  # its Saturday
         "Okay, I'll remind you to clean the garage at nine o'clock AM on Saturday.", datetime(2024, 3, 9, 9)),
        ("remind me next weekend to visit grandma",
         "Okay, I'll remind you to visit grandma at nine o'clock AM on Saturday, March the 16th.",
         datetime(2024, 3, 16, 9)),
        ("remind me next week to call the plumber",  # next week's Monday
         "Okay, I'll remind you to call the plumber at nine o'clock AM on Monday.", datetime(2024, 3, 11, 9)),
    ],
)
def test_a_reminder_on_a_date_or_days_on_rings_that_day(text: str, reply: str, at: datetime) -> None:
    skill = skills(TUESDAY)
    assert said(skill, text) == reply
    (reminder,) = skill.timers
    assert (reminder.at, reminder.weekdays) == (at, ())
    assert reminder.due == round((at - TUESDAY).total_seconds()) * S


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("remind me on christmas eve to wrap the presents",
         "Okay, I'll remind you to wrap the presents at nine o'clock AM on Tuesday, December the 24th."),
        ("set a reminder for thanksgiving to call grandma",  # a rule's day: the 4th Thursday of November
         "Okay, I'll remind you to call grandma at nine o'clock AM on Thursday, November the 28th."),
        ("remind me march 20 at 6 pm to call grandma",  # a date first, without "on"
         "Okay, I'll remind you to call grandma at six o'clock PM on Wednesday, March the 20th."),
        ("remind me on monday the 18th to call the plumber",  # the date, said with its day
         "Okay, I'll remind you to call the plumber at nine o'clock AM on Monday, March the 18th."),
        ("remind me to buy a gift for christmas on march 20th",  # what it is for, not when
         "Okay, I'll remind you to buy a gift for christmas at nine o'clock AM on Wednesday, March the 20th."),
    ],
)
def test_a_holiday_or_a_date_said_first_is_the_day(text: str, reply: str) -> None:
    assert said(skills(TUESDAY), text) == reply


def test_a_date_answers_when_and_a_day_no_month_has_asks_when() -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me to call grandma") == "When should I remind you to call grandma?"
    assert said(skill, "on march 20th") == (
        "Okay, I'll remind you to call grandma at nine o'clock AM on Wednesday, March the 20th.")
    assert said(skill, "remind me on february 30th to party") == "When should I remind you to party?"
    assert said(skill, "set an alarm for march 24th at 6 am") == (
        "Okay, alarm for six o'clock AM on Sunday, March the 24th.")
    assert said(skill, "remind me to march 5 miles at 6 pm") == (  # a month's name that is no date
        "Okay, I'll remind you to march 5 miles at six o'clock PM today.")


def test_a_reminder_every_so_often_rings_on_its_beat_until_cancelled() -> None:
    now = [TUESDAY]
    skill = Skills(SKILLS, clock=lambda: now[0], follow_wall_clock=False)
    assert said(skill, "remind me every hour to drink water") == "Okay, I'll remind you to drink water every hour."
    assert said(skill, "what are my reminders") == (
        "You have a reminder to drink water every hour, next at four oh five PM today.")
    for hour in (1, 2, 3):
        now[0] = TUESDAY + timedelta(hours=hour)
        (rung,) = skill.due(hour * 3600 * S)
        assert skill.done_sentence([rung]) == "A reminder to drink water."
        (again,) = skill.timers  # set for the next hour, on the wall clock
        assert (again.at, again.due) == (TUESDAY + timedelta(hours=hour + 1), (hour + 1) * 3600 * S)
    assert said(skill, "cancel the reminder to drink water", 3 * 3600 * S) == (
        "Okay, I've cancelled the reminder to drink water.")
    assert skill.timers == []


@pytest.mark.parametrize(
    ("text", "reply", "every_s"),
    [
        ("remind me every 30 minutes to stretch", "Okay, I'll remind you to stretch every thirty minutes.", 1800),
        ("remind me to stand up every 2 hours", "Okay, I'll remind you to stand up every two hours.", 7200),
        ("remind me every half hour to check the oven", "Okay, I'll remind you to check the oven every thirty "
         "minutes.", 1800),
        ("remind me hourly to drink water", "Okay, I'll remind you to drink water every hour.", 3600),
        ("remind me every hour starting at 6 pm to stretch", "Okay, I'll remind you to stretch every hour, starting "
         "at six o'clock PM.", 3600),
    ],
)
def test_how_often_is_said_in_minutes_or_hours(text: str, reply: str, every_s: int) -> None:
    skill = skills(TUESDAY)
    assert said(skill, text) == reply
    (reminder,) = skill.timers
    assert reminder.every_s == every_s


@pytest.mark.parametrize(
    "text", ["remind me twice a day to take my pills", "remind me 3 times a week to go running"],
)
def test_a_repeat_not_kept_is_said_plainly_and_nothing_is_set(text: str) -> None:
    skill = skills(TUESDAY)
    reply = skill.answer(text, 0)
    assert reply is not None and reply.intent == "reminder_ask"
    assert reply.text.startswith("I can't repeat a reminder more than once a day, a week or a month.")
    assert skill.timers == []


@pytest.mark.parametrize(
    ("text", "reply", "first", "every_days"),
    [
        ("remind me every other day to water the plants", "Okay, I'll remind you to water the plants at nine o'clock "
         "AM every other day, starting tomorrow.", datetime(2024, 3, 6, 9), 2),
        ("remind me to call grandma every 3 days at 5", "Okay, I'll remind you to call grandma at five o'clock PM "
         "every three days, starting today.", datetime(2024, 3, 5, 17), 3),  # 5 without AM or PM: the afternoon's
        ("remind me every other thursday at 7 pm to take out the recycling", "Okay, I'll remind you to take out the "
         "recycling at seven o'clock PM every other Thursday, starting Thursday, March the 7th.",
         datetime(2024, 3, 7, 19), 14),
        ("remind me every two weeks on friday that i get paid", "Okay, I'll remind you that you get paid at nine "
         "o'clock AM every other Friday, starting Friday, March the 8th.", datetime(2024, 3, 8, 9), 14),
        ("remind me fortnightly to pay the cleaner", "Okay, I'll remind you to pay the cleaner at nine o'clock AM "
         "every other Wednesday, starting tomorrow.", datetime(2024, 3, 6, 9), 14),
        ("remind me about the meeting this evening every 10 days", "Okay, I'll remind you about the meeting at six "
         "o'clock PM every ten days, starting today.", datetime(2024, 3, 5, 18), 10),
        ("remind me every 3 weeks to change the water filter", "Okay, I'll remind you to change the water filter at "
         "nine o'clock AM every three weeks on Wednesday, starting tomorrow.", datetime(2024, 3, 6, 9), 21),
    ],
)
def test_a_reminder_every_few_days_or_weeks_starts_on_the_day_said(text: str, reply: str, first: datetime,
                                                                  every_days: int) -> None:
    skill = skills(TUESDAY)
    assert said(skill, text) == reply
    (reminder,) = skill.timers
    assert (reminder.at, reminder.every_days) == (first, every_days)


@pytest.mark.parametrize(
    ("text", "reply", "first", "month_day", "every_months"),
    [
        ("remind me every other month to change the filter", "Okay, I'll remind you to change the filter at nine "
         "o'clock AM on the 5th of every other month, starting Sunday, May the 5th.", datetime(2024, 5, 5, 9), 5, 2),
        # a day of the month said: its next, then every 3 months
        ("remind me every 3 months on the 1st to change the filter", "Okay, I'll remind you to change the filter "
         "at nine o'clock AM on the 1st every three months, starting Monday, April the 1st.",
         datetime(2024, 4, 1, 9), 1, 3),
        ("remind me every year on march 3rd at 8 to call mom", "Okay, I'll remind you to call mom at eight o'clock "
         "AM every year on March the 3rd.", datetime(2025, 3, 3, 8), 3, 12),
        ("remind me annually on april 15 to do the taxes", "Okay, I'll remind you to do the taxes at nine o'clock AM "
         "every year on April the 15th.", datetime(2024, 4, 15, 9), 15, 12),
        ("remind me every year to renew the passport", "Okay, I'll remind you to renew the passport at nine o'clock "
         "AM every year on March the 5th.", datetime(2025, 3, 5, 9), 5, 12),  # today's date, its time has passed
        ("remind me every 2 years to renew my license", "Okay, I'll remind you to renew your license at nine "
         "o'clock AM every other year on March the 5th.", datetime(2026, 3, 5, 9), 5, 24),
    ],
)
def test_a_reminder_every_few_months_or_years_keeps_its_day(text: str, reply: str, first: datetime, month_day: int,
                                                            every_months: int) -> None:
    skill = skills(TUESDAY)
    assert said(skill, text) == reply
    (reminder,) = skill.timers
    assert (reminder.at, reminder.month_day, reminder.every_months) == (first, month_day, every_months)


def _rings(skill: Skills, now: list[datetime], count: int) -> list[datetime]:
    """The wall-clock times the only reminder rings at, `count` times over (the clock set to each)."""
    rung = []
    for _ in range(count):
        (reminder,) = skill.timers
        now[0] = reminder.at
        (ringing,) = skill.due(reminder.due)
        rung.append(ringing.at)
    return rung


def test_reminders_on_the_calendar_ring_again_on_their_beat() -> None:
    now = [TUESDAY]
    every_other_day = Skills(SKILLS, clock=lambda: now[0], follow_wall_clock=False)
    every_other_day.answer("remind me every other day at 8 pm to water the plants", 0)
    assert _rings(every_other_day, now, 3) == [datetime(2024, 3, d, 20) for d in (5, 7, 9)]
    assert said(every_other_day, "what are my reminders", every_other_day.timers[0].due - S) == (
        "You have a reminder to water the plants at eight o'clock PM every other day, the next one on Monday.")
    now = [TUESDAY]
    thanksgiving = Skills(SKILLS, clock=lambda: now[0], follow_wall_clock=False)
    assert said(thanksgiving, "remind me every year on thanksgiving to call grandma") == (
        "Okay, I'll remind you to call grandma at nine o'clock AM every year on Thanksgiving.")
    assert _rings(thanksgiving, now, 3) == [datetime(2024, 11, 28, 9), datetime(2025, 11, 27, 9),
                                            datetime(2026, 11, 26, 9)]  # its date moves
    now = [TUESDAY]
    leap_day = Skills(SKILLS, clock=lambda: now[0], follow_wall_clock=False)
    leap_day.answer("remind me every year on february 29 to celebrate", 0)
    assert _rings(leap_day, now, 2) == [datetime(2028, 2, 29, 9), datetime(2029, 2, 28, 9)]
    assert said(leap_day, "what are my reminders", leap_day.timers[0].due - S) == (
        "You have a reminder to celebrate at nine o'clock AM every year on February the 29th.")


def test_reminders_on_the_calendar_are_kept_and_a_missed_one_set_for_its_next_beat(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "skills.json", "timers, alarms and volume", 1)
    before = Skills(SKILLS, clock=lambda: TUESDAY, follow_wall_clock=False, store=store)
    for text in ("remind me every other day at 8 pm to water the plants", "remind me every year on easter to call "
                 "the family", "remind me every 3 months on the 10th to pay the bill"):
        before.answer(text, 0)
    later = datetime(2024, 4, 11, 12)  # the assistant was off meanwhile
    kept = Skills(SKILLS, clock=lambda: later, follow_wall_clock=False, store=store).timers
    assert sorted((t.at, t.every_days, t.month_day, t.every_months, t.holiday) for t in kept) == [
        (datetime(2024, 4, 12, 20), 2, 0, 1, ""),  # March 5th, 7th, ... April 10th, 12th: on its beat
        (datetime(2024, 6, 10, 9), 0, 10, 3, ""),  # March 10th, then every 3 months
        (datetime(2025, 4, 20, 9), 0, 0, 12, "Easter"),  # 2024's was March 31st
    ]


@pytest.mark.parametrize(
    ("text", "reply", "first"),
    [
        ("remind me on the first of every month to pay rent", "Okay, I'll remind you to pay rent at nine o'clock AM "
         "on the 1st of every month, starting Monday, April the 1st.", datetime(2024, 4, 1, 9)),
        ("remind me monthly on the 15th at 6 pm to pay the card", "Okay, I'll remind you to pay the card at six "
         "o'clock PM on the 15th of every month, starting Friday, March the 15th.", datetime(2024, 3, 15, 18)),
        ("remind me every month to check the smoke alarm", "Okay, I'll remind you to check the smoke alarm at nine "
         "o'clock AM on the 5th of every month, starting Friday, April the 5th.", datetime(2024, 4, 5, 9)),  # today's
    ],
)
def test_a_reminder_every_month_is_on_its_day_of_the_month(text: str, reply: str, first: datetime) -> None:
    skill = skills(TUESDAY)
    assert said(skill, text) == reply
    (reminder,) = skill.timers
    assert reminder.at == first


def test_a_monthly_reminder_rings_again_next_month_on_the_last_day_of_a_shorter_one() -> None:
    now = [datetime(2024, 1, 20, 12, 0)]
    skill = Skills(SKILLS, clock=lambda: now[0], follow_wall_clock=False)
    assert said(skill, "remind me on the 31st of every month at 8 am to read the meter") == (
        "Okay, I'll remind you to read the meter at eight o'clock AM on the 31st of every month, starting Wednesday, "
        "January the 31st.")
    for at in (datetime(2024, 1, 31, 8), datetime(2024, 2, 29, 8), datetime(2024, 3, 31, 8)):
        now[0] = at
        due = skill.timers[0].due
        (rung,) = skill.due(due)
        assert rung.at == at
    assert skill.timers[0].at == datetime(2024, 4, 30, 8)  # April has 30 days
    assert said(skill, "what are my reminders", due) == (
        "You have a reminder to read the meter at eight o'clock AM on the 31st of every month.")


def test_this_weekend_said_on_a_saturday_afternoon_is_its_sunday() -> None:
    saturday = datetime(2024, 3, 9, 15, 0)
    assert said(skills(saturday), "remind me this weekend to clean the garage") == (
        "Okay, I'll remind you to clean the garage at nine o'clock AM tomorrow.")


def test_every_weekend_is_weekly() -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me every weekend to mow the lawn") == (
        "Okay, I'll remind you to mow the lawn at nine o'clock AM on weekends.")
    (reminder,) = skill.timers
    assert (reminder.at, reminder.weekdays) == (datetime(2024, 3, 9, 9), (5, 6))


def test_too_often_is_refused() -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me every 2 minutes to blink") == (
        "I can repeat a reminder every five minutes up to once a day.")
    assert skill.timers == []


def test_a_reminder_every_so_often_is_kept_and_missed_beats_are_skipped(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "skills.json", "timers, alarms and volume", 1)
    Skills(SKILLS, clock=lambda: TUESDAY, follow_wall_clock=False, store=store).answer(
        "remind me every hour to drink water", 0)
    later = TUESDAY + timedelta(hours=5, minutes=30)  # the assistant was off meanwhile
    (kept,) = Skills(SKILLS, clock=lambda: later, follow_wall_clock=False, store=store).timers
    assert (kept.every_s, kept.at) == (3600, TUESDAY + timedelta(hours=6))


@pytest.mark.parametrize(
    ("clock", "text", "at"),
    [
        # today's next such time when it is today; on another day, or every day, the waking day's
        (TUESDAY, "remind me at 8 to call dad", datetime(2024, 3, 5, 20)),
        (TUESDAY, "remind me tomorrow at 5 to call the bank", datetime(2024, 3, 6, 17)),
        (TUESDAY, "remind me tomorrow at 8 to take my pills", datetime(2024, 3, 6, 8)),
        (LATE, "remind me at 5 to call the bank", datetime(2024, 3, 6, 17)),  # 9 PM: 5 AM is no time to call
        (TUESDAY, "remind me every day at 8 to take my pills", datetime(2024, 3, 6, 8)),
    ],
)
def test_a_time_without_am_or_pm_on_another_day_is_the_waking_days(clock: datetime, text: str,
                                                                    at: datetime) -> None:
    skill = skills(clock)
    skill.answer(text, 0)
    (reminder,) = skill.timers
    assert reminder.at == at


def test_a_monthly_reminder_is_kept_and_a_missed_one_set_for_the_next_month(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "skills.json", "timers, alarms and volume", 1)
    Skills(SKILLS, clock=lambda: TUESDAY, follow_wall_clock=False, store=store).answer(
        "remind me on the 10th of every month to pay rent", 0)
    later = datetime(2024, 3, 12, 9)  # the assistant was off on the 10th
    (kept,) = Skills(SKILLS, clock=lambda: later, follow_wall_clock=False, store=store).timers
    assert (kept.month_day, kept.at) == (10, datetime(2024, 4, 10, 9))


def test_a_kept_reminder_on_a_holiday_the_calendar_does_not_know_is_not_read(tmp_path: Path,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "skills.json"
    festivus = {"name": "to air your grievances", "seconds": 0, "kind": "reminder", "at": "2024-12-23T09:00:00",
                "due_at": datetime(2024, 12, 23, 9).timestamp(), "paused_left_s": None, "every_months": 12,
                "holiday": "Festivus"}
    path.write_text(json.dumps({"version": 1, "volume": 5, "timers": [festivus]}))
    with caplog.at_level(logging.WARNING):
        skill = Skills(SKILLS, clock=lambda: TUESDAY, follow_wall_clock=False,
                       store=StateFile(path, "timers, alarms and volume", 1))
    assert skill.timers == [] and "timer 0 is not a timer" in caplog.text


def test_the_answer_to_what_completes_a_reminder_every_few_days() -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me every other day") == "What should I remind you of?"
    assert said(skill, "water the plants") == (
        "Okay, I'll remind you to water the plants at nine o'clock AM every other day, starting tomorrow.")


@pytest.mark.parametrize(
    ("text", "reply", "first", "rings"),
    [
        ("remind me on the last day of every month to pay rent", "Okay, I'll remind you to pay rent at nine o'clock "
         "AM on the last day of every month, starting Sunday, March the 31st.", datetime(2024, 3, 31, 9),
         [datetime(2024, 4, 30, 9), datetime(2024, 5, 31, 9)]),
        ("remind me every first monday of the month to check the smoke alarm", "Okay, I'll remind you to check the "
         "smoke alarm at nine o'clock AM on the first Monday of every month, starting Monday, April the 1st.",
         datetime(2024, 4, 1, 9), [datetime(2024, 5, 6, 9), datetime(2024, 6, 3, 9)]),
        ("remind me on the last friday of each month at 5 to pay the cleaner", "Okay, I'll remind you to pay the "
         "cleaner at five o'clock PM on the last Friday of every month, starting Friday, March the 29th.",
         datetime(2024, 3, 29, 17), [datetime(2024, 4, 26, 17), datetime(2024, 5, 31, 17)]),
        ("remind me on the third sunday of every second month about the book club", "Okay, I'll remind you about the "
         "book club at nine o'clock AM on the third Sunday of every other month, starting Sunday, March the 17th.",
         datetime(2024, 3, 17, 9), [datetime(2024, 5, 19, 9), datetime(2024, 7, 21, 9)]),
    ],
)
def test_a_monthly_reminder_on_a_day_said_by_its_place(text: str, reply: str, first: datetime,
                                                       rings: list[datetime]) -> None:
    now = [TUESDAY]
    skill = Skills(SKILLS, clock=lambda: now[0], follow_wall_clock=False)
    assert said(skill, text) == reply
    assert _rings(skill, now, 3) == [first, *rings]


def test_the_last_day_of_the_month_without_every_is_once() -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me on the last day of the month to pay rent") == (
        "Okay, I'll remind you to pay rent at nine o'clock AM on Sunday, March the 31st.")
    (reminder,) = skill.timers
    assert not reminder.repeats


def test_a_monthly_reminder_on_a_weekday_is_kept(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "skills.json", "timers, alarms and volume", 1)
    Skills(SKILLS, clock=lambda: TUESDAY, follow_wall_clock=False, store=store).answer(
        "remind me every first monday of the month to check the smoke alarm", 0)
    later = datetime(2024, 4, 2, 9)  # the assistant was off on April the 1st
    (kept,) = Skills(SKILLS, clock=lambda: later, follow_wall_clock=False, store=store).timers
    assert (kept.at, kept.monthly_on.said()) == (datetime(2024, 5, 6, 9), "the first Monday")


def test_a_reminder_not_understood_is_not_taken_for_an_alarm() -> None:
    # "smoke alarm" and "check" read as "check my alarms" when the reminder was not understood
    assert skills(TUESDAY).answer("remind me whenever the smoke alarm beeps to check it", 0) is None


@pytest.mark.parametrize(
    ("text", "what"),
    [("remind me to buy milk when i get to the store", "to buy milk"),
     ("remind me when i get home to call mom", "to call mom"),
     ("remind me next time i go to the pharmacy to get my prescription", "to get your prescription"),
     ("remind me when i get to moms house to give her the book", "to give her the book"),
     ("remind me when im at the bank that i need a new card", "that you need a new card")],
)
def test_a_reminder_at_a_place_says_the_device_cannot_tell_and_asks_for_a_time(text: str, what: str) -> None:
    skill = skills(TUESDAY)
    assert said(skill, text) == (
        f"I can't tell where you are, so I can't remind you there. When should I remind you {what}?")
    assert said(skill, "at 6") == f"Okay, I'll remind you {what} at six o'clock PM today."


def test_a_reminder_at_a_place_with_a_time_is_set_for_the_time() -> None:
    assert said(skills(TUESDAY), "remind me when i get home at 6 to feed the cat") == (
        "Okay, I'll remind you to feed the cat at six o'clock PM today.")


def test_what_to_remind_of_keeps_its_possessives() -> None:
    skill = skills(TUESDAY)
    assert said(skill, "remind me to buy dad\u2019s present tomorrow") == (
        "Okay, I'll remind you to buy dad's present at nine o'clock AM tomorrow.")  # not "dad is present"
    assert said(skill, "remind me that it's trash day tomorrow") == (
        "Okay, I'll remind you that it is trash day at nine o'clock AM tomorrow.")
    assert said(skill, "cancel the reminder to buy dad's present") == (
        "Okay, I've cancelled the reminder to buy dad's present.")
    # a day's own: "tomorrow's meeting" was "about is meeting" (normalize's "tomorrow is meeting")
    assert said(skill, "remind me about tomorrow's big meeting at 8") == (
        "Okay, I'll remind you about the big meeting at eight o'clock AM tomorrow.")
    assert said(skill, "remind me to check today's mail at 5") == (
        "Okay, I'll remind you to check the mail at five o'clock PM today.")


@pytest.mark.parametrize(
    ("text", "reply"),
    [("put lunch with sam on my calendar for tomorrow at noon", "I have no calendar here, but I'll remind you about "
      "lunch with sam at twelve o'clock PM tomorrow."),
     ("schedule a meeting tomorrow at 10", "I have no calendar here, but I'll remind you about a meeting at ten "
      "o'clock AM tomorrow."),
     ("add mom's birthday to my calendar", "I have no calendar here, but I can remind you. When should I remind you "
      "about mom's birthday?")],
)
def test_a_calendar_entry_becomes_a_reminder_said_as_one(text: str, reply: str) -> None:
    skill = skills(TUESDAY)
    assert said(skill, text) == reply
    assert skill.lists.lists == {}  # "put ... on my calendar" was added to the shopping list


def test_a_question_is_no_answer_to_what_to_remind_of_and_what_was_asked_lists_the_reminders() -> None:
    skill = skills(TUESDAY)
    skill.answer("remind me to call mom at 5", 0)
    assert said(skill, "remind me in an hour") == "What should I remind you of?"
    assert said(skill, "what did I ask you to remind me about") == (
        "You have a reminder to call mom at five o'clock PM today.")  # not "to what did you ask you to remind you"
    assert said(skill, "remind me tomorrow") == "What should I remind you of?"
    assert said(skill, "do the laundry") == "Okay, I'll remind you to do the laundry at nine o'clock AM tomorrow."
