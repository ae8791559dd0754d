"""Skills: what the assistant answers on the device itself, at once and right, before any language model.

A language model cannot know the time (a small one makes it up with confidence), cannot ring in five minutes,
cannot turn the speaker down, gets sums and conversion factors wrong and tosses the same coin every time. So
these are answered here, by rules, whichever brain is installed: the controller asks `Skills.answer` with each
final transcript before the brain sees it; the brain only gets the exchange for its history. Which skills are
on is `conversation.skills`:

- time: "what time is it"; elsewhere, "what time is it in Tokyo" (world_clock); "what time will it be in 3 hours",
  "how long until 5 PM" (clock_math); "when is sunset" (sun); "is it daylight saving time" (zones)
- date: "what's the date", "what day is tomorrow"; "how many days until Christmas" (days); "what year is it", "is
  it a leap year" (calendar_facts); "how old am I if I was born in 1990" (years); "when is the next full moon" (moon)
- timers, alarms, reminders: set, asked about, cancelled, rung and kept (timers; reminders reads a reminder); a
  stopwatch (stopwatch)
- lists: "add apples to my shopping list", "what's on my to-do list" (lists)
- notes: "remember that I parked on level 3", "where did I park" (notes)
- volume: "louder", "quieter", "set the volume to 4", "what's the volume": ten steps of 3 dB (10: as played,
  1: 27 dB down), applied by the controller to everything the speaker plays
- speed: "speak slower", "talk faster", "normal speed", "say that again more slowly" (speed): the pace of every
  sentence the voice says
- repeat: "say that again": the last reply, whole; "cancel that" just after an answer that did something takes it
  back (any skill's)
- math: "what's 15 times 23" (arithmetic), "a 20 percent tip on 45" (bills); units: "how many ounces in a pound"
  (units)
- random: "flip a coin", "roll two dice" (chance, from the skills' own generator); spelling: "how do you spell
  necessary" (spelling)
- limits: "what's the weather", "turn off the lights": said plainly that the device cannot (limits), where a
  model would make up a forecast or say the lights are off

With `conversation.memory` on, timers, alarms, reminders, lists, notes, the volume and the speed are kept in
`skills.json` in the state folder (rewritten on every change) and come back after a restart.

Requests are read on normalized text (assistant.conversation.phrases: "five" is "5", "what's" is "what is"),
in English, and answered in words (assistant.conversation.spoken). A skill's phrase must be (nearly) the whole
utterance: "what time is it in Narnia", "don't set a timer" and "tell me a story about a timer" are the language
model's.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from assistant.conversation import (
    arithmetic,
    bills,
    calendar_facts,
    chance,
    clock_math,
    days,
    limits,
    lists,
    moon,
    notes,
    speed,
    spelling,
    sun,
    units,
    world_clock,
    years,
    zones,
)
from assistant.conversation.lists import ListRequest, Lists, parse_list_request
from assistant.conversation.notes import NoteRequest, Notes
from assistant.conversation.phrases import (
    CHATTER,
    DEFINITION,
    match_phrase,
    parse_duration,
    phrase_intents,
    words_outside,
)
from assistant.conversation.reminders import asks_for_reminder
from assistant.conversation.speed import SpeedRequest, parse_speed_request
from assistant.conversation.spoken import (
    WEEKDAYS,
    number_words,
    spoken_date,
    spoken_list,
    spoken_time,
)
from assistant.conversation.state_file import StateFile, state_path
from assistant.conversation.stopwatch import Stopwatch, StopwatchRequest, parse_stopwatch_request
from assistant.conversation.timers import MAX_WORDS, Timer, TimerRequest, Timers, parse_kept
from assistant.text_norm import days_owning, normalize, with_possessives

if TYPE_CHECKING:
    from assistant.config import Config

log = logging.getLogger(__name__)

SKILLS = ("time", "date", "timers", "alarms", "reminders", "lists", "notes", "volume", "speed", "repeat", "math",
          "units", "random", "spelling", "limits")
VOLUME_STEP_DB = 3.0
MAX_VOLUME = 10
FILE_NAME = "skills.json"
VERSION = 1


def skills_file(config: Config, env: Mapping[str, str]) -> StateFile:
    """Where timers, alarms, reminders and the volume are kept across restarts: skills.json in the state folder."""
    return StateFile(state_path(config, env, FILE_NAME), "timers, alarms and volume", VERSION)


# ---------------------------------------------------------------------------------------- the clock

_CLOCK_INTENTS = phrase_intents(
    ("tomorrow", r"what (?:day|date) is (?:it )?tomorrow|what is (?:the date|the day) tomorrow"
                 r"|what is tomorrow(?: is)?(?: date| day)?",
     lambda now: f"Tomorrow is {spoken_date(now + timedelta(days=1))}."),
    ("time", r"time is it|what time it is|what is the (?:current )?time|(?:tell|give) me the time"
             r"|(?:know|have|got) the time|(?:the )?time please|the time",
     lambda now: f"It's {spoken_time(now)}."),
    ("date", r"what is (?:the |today is |todays )?date|what date is (?:it|today)|(?:tell|give) me the date"
             r"|(?:know|have|got) the date|the date please|what is today",
     lambda now: f"Today is {spoken_date(now)}."),
    ("day", r"what day is (?:it|today)|what day of the week|which day is (?:it|today)|what is the day",
     lambda now: f"Today is {WEEKDAYS[now.weekday()]}."),
)
_SKILL_OF_INTENT = {"time": "time", "date": "date", "day": "date", "tomorrow": "date"}
_REPEAT = phrase_intents(
    ("repeat", r"repeat (?:that|it|yourself|the (?:last )?answer|what you said)|repeat|say (?:that|it) again"
               r"|what did you (?:just )?say|come again|pardon(?: me)?|i did not (?:catch|hear|get) (?:that|it|you)"
               r"|sorry what",
     lambda now: ""),
)


# ------------------------------------------------------------------------------------------------ volume

_SOUND = r"(?:it|yourself|the volume|the sound|your voice)"
_LOUDER = re.compile(rf"\b(?:louder|speak up|(?:turn|crank) (?:{_SOUND} up|up {_SOUND})|volume up|turn up"
                     r"|(?:raise|increase) (?:the )?volume|more volume)\b")
_QUIETER = re.compile(rf"\b(?:quieter|softer|turn (?:{_SOUND} down|down {_SOUND})|volume down|turn down"
                      r"|(?:lower|decrease|reduce) (?:the )?volume|less volume)\b"
                      r"|^(?:please )?(?:you are |it is |that is )?"
                      r"(?:way |a bit |a little |much )?too loud\b")
# Only these may follow a volume request: "turn it up a bit please"; "turn up the heat" is something else.
_VOLUME_AFTER = frozenset({"please", "a", "bit", "little", "lot", "more", "now", "again", "then", "some", "notch",
                           "one", "step", "for", "me", "jarvis", "alexa", "mycroft", "assistant", "computer"})
_VOLUME_TO = re.compile(r"\bvolume (?:to |at |on )?(?:level )?(?P<level>\d+)(?P<percent> percent)?\b"
                        r"|\bvolume (?:to )?(?P<max>max|maximum|full|the max|the maximum)\b"
                        r"|\b(?P<maxed>max|maximum|full) volume\b"
                        r"|\b(?:volume (?:to |at )?half|half volume)\b(?P<half>)"
                        rf"|\b(?:turn|crank|put) {_SOUND} all the way (?P<way>up|down)\b")
# Steps said after "louder" or "volume down": "volume down 3", "turn it up by 2 notches"
_VOLUME_STEPS = re.compile(r"^(?:by )?(?P<steps>\d+)(?: (?:steps?|notch|notches|levels?))?\b")
_VOLUME_ASK = re.compile(r"\bwhat(?: is)? (?:the |your |my )?volume\b|\bhow loud are you\b")


@dataclass(frozen=True)
class SkillReply:
    intent: str  # time, time_in, time_zone, time_sum, sun, moon, date, day, tomorrow, calendar, timer_*, alarm_*,
    # reminder_*, stopwatch_*, list_*, note_*, volume_*, speed_*, repeat, undo, math, units, random, spelling, limits
    text: str
    # Undoes what answering did (a timer set, the volume changed), for a turn the user went on from unheard.
    take_back: Callable[[], None] = field(default=lambda: None, compare=False, repr=False)


# the timers' snapshot, the volume, the lists, the notes, the stopwatch, the speed step
_State = tuple[Any, int, Any, Any, Any, int]


@dataclass(frozen=True)
class _Done:
    """What an answer did: its intent and what the skills kept before and after it."""

    intent: str
    before: _State
    after: _State


# "Cancel that", "undo that", "no, scratch that", "that's wrong": take back what the answer just before did.
# ("Cancel that" after a cancel is no undo: the user says it again, or of something else.)
_UNDO = re.compile(r"^(?:no |oh |oops |wait |sorry |actually )?(?:please )?(?:(?P<cancel>cancel|scratch|delete|remove"
                   r"|forget)|undo|take back|reverse) (?:that|it|this|what you just did|the last one)(?: please)?$"
                   r"|^undo$|^(?:no )?(?:that is|that was) (?:wrong|a mistake|not what i (?:said|meant|asked for))$")
_REMOVALS = ("timer_cancel", "alarm_cancel", "reminder_cancel", "list_remove", "list_clear", "note_forget",
             "note_clear")
# What was taken back, said after "Okay, ".
_UNDONE = {
    "timer_set": "I've cancelled that timer", "alarm_set": "I've cancelled that alarm",
    "reminder_set": "I've cancelled that reminder", "list_add": "I've taken that off the list",
    "list_create": "I've deleted that list",
    "list_remove": "I've put that back on the list", "list_clear": "I've put the list back",
    "note_add": "I've forgotten that", "note_forget": "I remember it again", "note_clear": "I remember it all again",
    "alarm_change": "your alarm is as it was", "timer_cancel": "it's back", "alarm_cancel": "it's back",
    "reminder_cancel": "it's back",
}


@dataclass(frozen=True)
class _Request:
    intent: str
    answer: Callable[[datetime], str] | None = None  # the reply at a moment, for a request that changes nothing
    amount: int = 0  # a volume level, or a step


Request = _Request | TimerRequest | ListRequest | NoteRequest | StopwatchRequest | SpeedRequest


class Skills:
    """The skills in `enabled` (of SKILLS) and what they keep: the timers, alarms and reminders (`book`), the
    volume, the speed, the last reply. Owned by the controller's thread."""

    def __init__(
        self,
        enabled: Collection[str] = SKILLS,
        clock: Callable[[], datetime] = datetime.now,
        *,
        store: StateFile | None = None,
        now: int = 0,
        follow_wall_clock: bool = True,
        rng: random.Random | None = None,
        location: Sequence[float] = (),
    ) -> None:
        """`store`: where timers, alarms and the volume are kept across restarts (read back now, at sample `now`).
        `follow_wall_clock`: see Timers. `rng`: coins and dice (seeded in tests). `location`: general.location."""
        unknown = set(enabled) - set(SKILLS)
        if unknown:
            raise ValueError(f"unknown skills {sorted(unknown)} (known: {', '.join(SKILLS)})")
        self.enabled = frozenset(enabled)
        self.clock = clock
        self.store = store
        # (the clock through self, so that a clock set on the skills is the timers' too)
        self.book = Timers(self.enabled, lambda: self.clock(), self._save, follow_wall_clock=follow_wall_clock,
                           now=now)
        self.lists = Lists()
        self.notes = Notes(lambda: self.clock())
        self.stopwatch = Stopwatch()
        self.volume = MAX_VOLUME
        self.speed_step = 0  # how much slower (below 0) or faster the voice speaks (speed.py)
        self.last_reply = ""  # what the assistant said last, for "say that again" (the controller tells)
        self._last_done: _Done | None = None  # what the turn before did, for "cancel that" in this one
        self.rng = rng or random.Random()
        if store is not None:
            kept = store.load(_parse_kept) or {"timers": [], "volume": MAX_VOLUME, "speed": 0, "lists": {}, "notes": []}
            self.volume = kept["volume"]
            self.speed_step = kept["speed"]
            self.lists.restore(kept["lists"])
            self.notes.restore(kept["notes"])
            self.book.restore(kept["timers"], now)
        self.place = sun.place_of(list(location)) if "time" in self.enabled else None
        if "time" in self.enabled:
            world_clock.places()

    @property
    def timers(self) -> list[Timer]:
        """The timers, alarms and reminders set, soonest first."""
        return self.book.timers

    def due(self, now: int) -> list[Timer]:
        """The timers, alarms and reminders that ran out by `now` (the caller rings them)."""
        return self.book.due(now)

    def done_sentence(self, timers: Sequence[Timer]) -> str:
        """What is said when `timers` ring."""
        return self.book.done_sentence(timers)

    def recognizes(self, text: str) -> bool:
        """Whether answer() would answer `text` (it changes nothing)."""
        return self._request(text) is not None

    def answer(self, text: str, now: int) -> SkillReply | None:
        """The reply to `text` if a skill answers it (doing what it asks, e.g. starting a timer), else None."""
        request = self._request(text)
        done, self._last_done = self._last_done, None
        self.book.new_turn()
        self.lists.new_turn()
        if request is None:
            return None
        if isinstance(request, _Request) and request.intent == "undo" and done is not None:
            return SkillReply("undo", self._undo(done, now))
        if isinstance(request, _Request) and request.answer is not None:
            return SkillReply(request.intent, request.answer(self.clock()))
        kept = self._state()
        reply = self._act(request, now)
        if reply.intent in ("timer_left", "timer_ask", "alarm_list", "alarm_ask", "reminder_list", "reminder_ask",
                            "volume_ask", "repeat", "list_read", "list_check", "list_count", "list_names", "note_ask",
                            "note_list", "stopwatch_read", "speed_ask"):
            return reply

        def take_back() -> None:
            self._set_back(kept, now)
            log.info("%s taken back: the user went on speaking before hearing the answer", request.intent)

        self._save(now)
        after = self._state()
        self._last_done = _Done(reply.intent, kept, after) if after != kept else None  # (it may have changed nothing)
        return dataclasses.replace(reply, take_back=take_back)

    def _state(self) -> _State:
        """What the skills keep, as it is now: for taking an answer back."""
        return (self.book.snapshot(), self.volume, self.lists.kept(), self.notes.kept(), self.stopwatch.kept(),
                self.speed_step)

    def _set_back(self, kept: _State, now: int) -> None:
        self.book.set_back(kept[0])
        self.volume = kept[1]
        self.lists.restore(kept[2])
        self.notes.restore(kept[3])
        self.stopwatch.restore(kept[4])
        self.speed_step = kept[5]
        self._save(now)

    def _undo(self, done: _Done, now: int) -> str:
        """"Cancel that" just after an answer that did something: it is taken back, unless something else (a timer
        that rang) changed since."""
        state = self._state()
        if state != done.after:
            rung_at = state[0][1]
            if rung_at is not None and rung_at != done.after[0][1]:
                return "Okay."  # a timer rang since: "cancel that" is of it, and it stopped as the user spoke
            return "I can't take that back now: something changed since."
        self._set_back(done.before, now)
        log.info("%s taken back: the user said to cancel it", done.intent)
        if done.intent.startswith("volume"):
            return f"Okay, the volume is back to {number_words(self.volume)}."
        if done.intent.startswith("speed"):
            return "Okay, I'll speak as fast as I did before."
        return f"Okay, {_UNDONE.get(done.intent, 'that is undone')}."

    @property
    def volume_db(self) -> float:
        """The user's volume as a gain in dB (0 at the top step)."""
        return volume_db(self.volume)

    @property
    def speaking_speed(self) -> float:
        """How many times the configured speed the voice speaks at (1.0: as configured)."""
        return speed.speed_factor(self.speed_step)

    def _act(self, request: Request, now: int) -> SkillReply:
        if isinstance(request, TimerRequest):
            return SkillReply(*self.book.act(request, now))
        if isinstance(request, ListRequest):
            return SkillReply(*self.lists.act(request))
        if isinstance(request, NoteRequest):
            return SkillReply(*self.notes.act(request))
        if isinstance(request, StopwatchRequest):
            return SkillReply(*self.stopwatch.act(request, now))
        if isinstance(request, SpeedRequest):
            self.speed_step, text = speed.act(request, self.speed_step, self.last_reply)
            return SkillReply(request.intent, text)
        if request.intent == "repeat":
            return SkillReply("repeat", self.last_reply or "I haven't said anything yet.")
        return SkillReply(request.intent, self._set_volume(request))

    # ------------------------------------------------------------------------------------------ keeping

    def _save(self, now: int) -> None:
        if self.store is None:
            return
        try:
            self.store.save({"timers": self.book.kept(now), "volume": self.volume, "speed": self.speed_step,
                             "lists": self.lists.kept(), "notes": self.notes.kept()})
        except OSError as exc:
            log.warning("could not keep the timers and the volume in %s (%s): they are lost on a restart; make its "
                        "folder writable or set general.state_dir", self.store.path, exc.strerror or exc)

    # -------------------------------------------------------------------------------------- requests

    def _request(self, text: str) -> Request | None:
        normalized = normalize(days_owning(text))
        found = match_phrase(normalized, _CLOCK_INTENTS)
        if found is not None and _SKILL_OF_INTENT[found[0]] in self.enabled:
            return _Request(found[0], answer=found[1])
        pace = parse_speed_request(normalized) if "speed" in self.enabled else None
        if pace is not None:  # (before "repeat": "say that again more slowly" is both)
            return pace
        if "repeat" in self.enabled and match_phrase(normalized, _REPEAT) is not None:
            return _Request("repeat")
        undo = _UNDO.match(normalized) if self._last_done is not None else None
        if undo is not None and not (undo["cancel"] and self._last_done and self._last_done.intent in _REMOVALS):
            return _Request("undo")
        own_days = self.notes.named_days() if "notes" in self.enabled else None
        southern = self.place is not None and self.place.latitude < 0
        on_day = days.request(normalized, self.clock().date(), own_days, southern) if "date" in self.enabled else None
        if on_day is not None:
            return _Request("calendar", answer=on_day)
        own_zone = zones.request(normalized) if "time" in self.enabled else None
        if own_zone is not None:
            return _Request("time_zone", answer=own_zone)
        elsewhere = world_clock.request(normalized) if "time" in self.enabled else None
        if elsewhere is not None:
            return _Request("time_in", answer=elsewhere)
        shifted = clock_math.request(normalized) if "time" in self.enabled else None
        if shifted is not None:
            return _Request("time_sum", answer=shifted)
        sun_asked = sun.request(normalized, self.place) if "time" in self.enabled else None
        if sun_asked is not None:
            return _Request("sun", answer=sun_asked)
        moon_asked = moon.request(normalized) if "date" in self.enabled else None
        if moon_asked is not None:
            return _Request("moon", answer=moon_asked)
        fact = calendar_facts.request(normalized) if "date" in self.enabled else None
        if fact is not None:
            return _Request("calendar", answer=fact)
        in_years = years.request(normalized) if "date" in self.enabled else None
        if in_years is not None:
            return _Request("calendar", answer=in_years)
        asked = arithmetic.request_words(text, normalized) if {"math", "units", "random"} & self.enabled else ""
        answers: tuple[tuple[str, Callable[[], str | None]], ...] = (
            ("math", lambda: bills.answer_words(asked)), ("math", lambda: arithmetic.answer_words(asked)),
            ("units", lambda: units.answer_words(asked)),
            ("random", lambda: chance.answer(asked, self.rng)), ("spelling", lambda: spelling.answer(text)))
        for skill, answer in answers:
            said = answer() if skill in self.enabled else None
            if said is not None:
                return _Request(skill, answer=lambda now, said=said: said)
        which = self.book.which_answer(normalized)  # "Say which one to cancel": "the pasta one"
        if which is not None:
            return which
        lists_on = "lists" in self.enabled
        on_list = parse_list_request(text, self.lists.recent, self.lists.just_added, self.lists.filling,
                                     self.lists.offered) if lists_on else None
        if on_list is not None:
            return on_list
        bought_or_needed = (self.lists.bought(text) or self.lists.needed(text)) if lists_on else None
        if bought_or_needed is not None:
            return bought_or_needed
        on_notes = self.notes.request(text) if "notes" in self.enabled else None
        if on_notes is not None:
            return on_notes
        on_stopwatch = parse_stopwatch_request(normalized, self.stopwatch.running) if "timers" in self.enabled else None
        if on_stopwatch is not None:
            return on_stopwatch
        words = normalized.split()
        if "reminders" in self.enabled:
            reminder = self.book.reminder_request(normalized, words)
            if reminder is not None:  # what to remind of, as said back and rung, with its possessives
                return dataclasses.replace(reminder, name=with_possessives(reminder.name, text))
            if asks_for_reminder(normalized):
                return None  # a reminder not understood is no alarm ("... to check the smoke alarm"): the model's
        if not words or len(words) > MAX_WORDS or CHATTER & set(words) or DEFINITION.search(normalized):
            return None
        duration = parse_duration(normalized)
        others = words_outside(normalized, duration.spans) if duration else words
        seconds = duration.seconds if duration else None
        if "volume" in self.enabled:
            volume = self._volume_request(normalized)
            if volume is not None:
                return volume
        timer = self.book.request(normalized, words, seconds, others) if {"alarms", "timers"} & self.enabled else None
        if timer is not None:
            return timer
        cannot = limits.answer(normalized) if "limits" in self.enabled else None
        return None if cannot is None else _Request("limits", answer=lambda now: cannot)

    def _volume_request(self, normalized: str) -> _Request | None:
        steps = 1

        def alone(pattern: re.Pattern[str], stepped: bool = False) -> re.Match[str] | None:
            nonlocal steps
            match = pattern.search(normalized)  # "what is the volume of a sphere" is not about the speaker
            if match is None:
                return None
            rest = normalized[match.end():].strip()
            counted = _VOLUME_STEPS.match(rest) if stepped else None
            if counted is not None:
                steps, rest = min(int(counted["steps"]), MAX_VOLUME), rest[counted.end():]
            return match if set(rest.split()) <= _VOLUME_AFTER else None

        if alone(_VOLUME_ASK):
            return _Request("volume_ask")
        to = alone(_VOLUME_TO)
        if to is not None:
            if to["way"] or to["half"] is not None:
                level = MAX_VOLUME // 2 if to["half"] is not None else MAX_VOLUME if to["way"] == "up" else 1
            else:
                level = MAX_VOLUME if to["max"] or to["maxed"] else int(to["level"])
                level = round(level / 10) if to["percent"] else level
            return _Request("volume_set", amount=level)
        if alone(_LOUDER, stepped=True):
            return _Request("volume_up", amount=steps)
        if alone(_QUIETER, stepped=True):
            return _Request("volume_down", amount=-steps)
        return None

    def _set_volume(self, request: _Request) -> str:
        if request.intent == "volume_ask":
            return f"The volume is {number_words(self.volume)}."
        if request.intent == "volume_set":
            wanted = request.amount
            if not 0 <= wanted <= MAX_VOLUME + 1:
                return "Say a volume from one to ten."
        else:  # steps up or down: as far as they go ("volume down 3" at two is one)
            wanted = min(max(self.volume + request.amount, 0), MAX_VOLUME + 1)
        level = min(max(wanted, 1), MAX_VOLUME)
        if level == self.volume and wanted != level:
            return "That's as loud as I go." if wanted > level else "That's as quiet as I go."
        self.volume = level
        return f"Okay, volume {number_words(level)}."


def volume_db(volume: int) -> float:
    """A volume step (1 to MAX_VOLUME) as a gain in dB (0 at the top step)."""
    return (volume - MAX_VOLUME) * VOLUME_STEP_DB


def describe(enabled: Collection[str]) -> str:
    """What the skills in `enabled` do, for a spoken list of what the assistant can do."""
    told = [what for skill, what in (("time", "the time"), ("date", "the date")) if skill in enabled]
    said = [f"tell you {' and '.join(told)}"] if told else []
    sets = [what for what in ("timers", "alarms", "reminders", "the volume") if what.split()[-1] in enabled]
    if sets:
        said.append(f"set {spoken_list(sets)}")
    if "speed" in enabled:
        said.append("speak slower or faster")
    said += [what for skill, what in (("lists", "keep lists"), ("notes", "remember things for you"),
                                      ("math", "do sums"), ("units", "convert units"),
                                      ("random", "roll dice"), ("spelling", "spell words")) if skill in enabled]
    return spoken_list(said) if said else ""


def _parse_kept(data: dict[str, Any]) -> dict[str, Any]:
    """The timers, the volume and the rest of a decoded skills file, checked; ValueError says what is wrong."""
    volume = data.get("volume")
    step = data.get("speed", 0)  # (files written before the speed skill have none)
    timers = parse_kept(data.get("timers"))
    if not (isinstance(volume, int) and 1 <= volume <= MAX_VOLUME):
        raise ValueError(f"volume {volume!r} is not 1 to {MAX_VOLUME}")
    if not (isinstance(step, int) and not isinstance(step, bool) and speed.MIN_STEP <= step <= speed.MAX_STEP):
        raise ValueError(f"speed {step!r} is not {speed.MIN_STEP} to {speed.MAX_STEP}")
    return {"timers": timers, "volume": volume, "speed": step, "lists": lists.parse_kept(data.get("lists")),
            "notes": notes.parse_kept(data.get("notes"))}
