"""Skills: what the assistant answers on the device itself, at once and right, before any language model.

A language model cannot know the time (a small one makes it up with confidence), cannot ring in five minutes
and cannot turn the speaker down. So the time, the date, timers, alarms, the volume and "say that again" are
answered here, by rules, whichever brain is installed: the controller asks `Skills.answer` with each final
transcript before the brain sees it; the brain only gets the exchange for its history. Which skills are on is
`conversation.skills`.

Timers: "set a (pasta) timer for five minutes", "a ten minute timer", "timer for an hour and a half";
"set a timer" alone asks "For how long?" and takes a bare "five minutes" as the next turn; "how much time is
left", "pause the timer", "resume the timer", "add 2 minutes to the pasta timer" ("5 more minutes" just after it
rang: it runs again), "cancel the pasta timer", "cancel all timers". Their deadlines
are on the microphone's sample clock (the controller's), so a simulated room rings them on its own clock. A
timer that ran out is the controller's to ring (`due`); "stop the timer" just after is answered "Okay."

Alarms: "wake me up at seven AM", "set an alarm for 6:30" (without AM or PM: the next such time, 6:30 PM at
3 PM; "wake me up at 7" is the morning's), "for half past six tomorrow", "at 8 on Friday", "when is my alarm",
"cancel the 6:30 alarm", "snooze" (nine minutes). Weekly: "wake me up at 7 every weekday", "on weekends", "every
Monday and Thursday", "every day"; when one rings it is set again for its next day, from the wall clock; "turn
off the alarm" as it rings leaves that, "cancel my weekday alarm" ends it. An alarm is a Timer of kind "alarm"
with its wall-clock time (`at`), due at the sample that many seconds on, and set again from the wall clock every
WALL_CHECK_S: the sound card's clock drifts from it (100 ppm is 9 s a day), and a board without a real-time clock
boots with the time it was shut down at until NTP sets it. (A simulated room in lockstep keeps alarms on its own
clock.)

Reminders (assistant.conversation.reminders reads them): "remind me to call my mom at 5 PM", "remind me in 20
minutes to check the oven", "every Monday at 7 PM", "what are my reminders", "cancel the reminder to call mom"; a
Timer of kind "reminder" named by what it is about ("to call your mom"), kept and rung as alarms are.

Volume: "louder", "quieter", "turn it up", "volume down", "set the volume to 4", "volume 70 percent", "max
volume", "what's the volume": ten steps of 3 dB (10: as played, 1: 27 dB down), applied by the controller to
everything the speaker plays, and kept.

Sums ("what's 15 times 23") and units ("how many ounces in a pound") are worked out exactly by
assistant.conversation.arithmetic and assistant.conversation.units, which a small model gets wrong; days of the
calendar ("how many days until Christmas", "what day is March 5th") by assistant.conversation.days, with the
date skill; the time elsewhere ("what time is it in Tokyo") by assistant.conversation.world_clock, with the time
skill. Coins, dice and random numbers (assistant.conversation.chance) from the skills' own generator, and
spelling (assistant.conversation.spelling) of the word as the recognizer wrote it.

With `conversation.memory` on, timers, alarms and the volume are kept in `skills.json` in the state folder
(rewritten on every change; deadlines on the wall clock) and come back after a restart: a timer that ran out
while the assistant was down rings at once if that was within RING_LATE_S, else it is dropped with a line in the
log (a seven o'clock alarm is no use at noon; a weekly one is set for its next day). Timers or alarms kept while
their skill was on are dropped, with a log line, once `conversation.skills` leaves it out.

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
from typing import TYPE_CHECKING, Any, Literal

from assistant.audio.io import SAMPLE_RATE
from assistant.conversation import arithmetic, chance, days, spelling, units, world_clock
from assistant.conversation.phrases import (
    ClockTime,
    find_clock_time,
    match_phrase,
    parse_clock_time,
    parse_days,
    parse_duration,
    phrase_intents,
    words_outside,
)
from assistant.conversation.reminders import parse_reminder
from assistant.conversation.spoken import (
    WEEKDAYS,
    duration_name,
    number_words,
    spoken_date,
    spoken_day,
    spoken_duration,
    spoken_list,
    spoken_time,
    spoken_weekdays,
    time_left,
)
from assistant.conversation.state_file import StateFile, state_path
from assistant.text_norm import normalize

if TYPE_CHECKING:
    from assistant.config import Config

log = logging.getLogger(__name__)

SKILLS = ("time", "date", "timers", "alarms", "reminders", "volume", "repeat", "math", "units", "random", "spelling")
MAX_TIMER_S = 24 * 3600
MAX_TIMERS = 20  # timers and alarms: a runaway loop of "set a timer" must not fill a weeks-long run's memory
RECENTLY_RUNG_S = 120.0  # "stop the timer", "snooze" this soon after one ran out are about that one
SNOOZE_S = 540  # nine minutes, as alarm clocks do
RING_LATE_S = 600.0  # one that ran out while the assistant was not running still rings if this recent
WALL_CHECK_S = 10.0  # how often alarms are set again from the wall clock (the sound card's drift, a clock set)
WALL_MOVED_S = 30.0  # a correction this big is logged: the wall clock was set (by NTP after a boot, by hand)
VOLUME_STEP_DB = 3.0
MAX_VOLUME = 10
FILE_NAME = "skills.json"
VERSION = 1


def skills_file(config: Config, env: Mapping[str, str]) -> StateFile:
    """Where timers, alarms and the volume are kept across restarts: skills.json in the state folder."""
    return StateFile(state_path(config, env, FILE_NAME), "timers, alarms and volume", VERSION)


# ---------------------------------------------------------------------------------------- the clock

_CLOCK_INTENTS = phrase_intents(
    ("tomorrow", r"what (?:day|date) is (?:it )?tomorrow|what is (?:the date|the day) tomorrow"
                 r"|what is tomorrow(?: is)?(?: date| day)?",
     lambda now: f"Tomorrow is {spoken_date(now + timedelta(days=1))}."),
    ("time", r"time is it|what time it is|what is the (?:current )?time|(?:tell|give) me the time"
             r"|(?:know|have|got) the time|the time please",
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


# ------------------------------------------------------------------------------------------------ timers

_TIMER_WORDS = frozenset({"timer", "timers"})
_CANCEL_WORDS = frozenset({"cancel", "stop", "delete", "remove", "clear", "end", "kill", "dismiss", "silence"})
_PAUSE_WORDS = frozenset({"pause", "hold", "freeze"})
_RESUME_WORDS = frozenset({"resume", "continue", "unpause", "restart"})
_TURN_OFF = re.compile(r"\b(?:turn|switch|shut) (?:\w+ ){0,5}?off\b")  # "turn the timer off", not "goes off"
_ASK_WORDS = frozenset({"left", "remaining", "long", "much", "status", "check", "running", "have", "any", "which",
                        "what", "list", "when", "until"})
_SET_WORDS = frozenset({"set", "start", "create", "make", "add", "begin", "new", "put", "give", "run"})
# Words that make it talk about timers rather than a request (the language model answers).
_CHATTER = frozenset({"not", "story", "about", "joke", "poem", "why", "explain", "work", "works", "mean", "means",
                      "song", "if", "never"})
# Words around a timer's name that are not the name: "set a pasta timer", "cancel my egg timer".
_NOT_NAME = _SET_WORDS | _CANCEL_WORDS | _ASK_WORDS | _TIMER_WORDS | _PAUSE_WORDS | _RESUME_WORDS | frozenset({
    "a", "an", "the", "my", "me", "for", "please", "can", "could", "would", "will", "you", "i", "hey", "okay", "on",
    "is", "how", "of", "and", "all", "timer", "another", "second", "2nd", "up", "there", "to", "jarvis", "alexa",
    "mycroft", "assistant", "computer", "minute", "hour", "turn", "switch", "shut", "off", "your",
})
_MAX_WORDS = 16
_LEFT = re.compile(r"\bhow (?:much (?:time|longer)|long) (?:is |do i have )?(?:left|remaining|to go)\b"
                   r"|\bhow much longer\b")
# More time on a timer, not a new one: "add 2 minutes to the pasta timer", "extend the timer by 5 minutes",
# "give it 5 more minutes", "5 more minutes" (with a timer running or just rung).
_MORE_TIME = re.compile(r"\b(?:add|put)\b.* (?:to|on|onto) (?:\w+ ){0,3}timers?\b|\bextend\b|\bmore\b")


# ------------------------------------------------------------------------------------------------ alarms

_ALARM_WORDS = frozenset({"alarm", "alarms"})
_REMINDER_WORDS = frozenset({"reminder", "reminders"})
_WAKE_ME = re.compile(r"\bwake me(?: up)?\b")
_DEFINITION = re.compile(r"^(?:what|which) (?:is|are) an? ")  # "what is an alarm": the language model's

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
                        r"|\b(?P<maxed>max|maximum|full) volume\b")
_VOLUME_ASK = re.compile(r"\bwhat(?: is)? (?:the |your )?volume\b|\bhow loud are you\b")


@dataclass
class Timer:
    """A timer, or an alarm (`kind`): both ring on the sample clock."""

    name: str  # what the user called it ("pasta"), else its length ("five minute"); an alarm's time; a
    # reminder's what ("to call your mom")
    seconds: float
    due: int  # microphone sample at which it rings (while it runs)
    paused_left: int | None = None  # samples it had left when paused; None: running
    kind: Literal["timer", "alarm", "reminder"] = "timer"
    at: datetime | None = None  # an alarm's or a reminder's wall-clock time
    weekdays: tuple[int, ...] = ()  # days of the week to ring again on (0 is Monday); empty: once

    def when(self, moment: datetime) -> str:
        """An alarm's or reminder's time and days as said: "seven o'clock AM every weekday", "six thirty AM
        tomorrow"."""
        at = self.at or moment
        days = spoken_weekdays(self.weekdays) if self.weekdays else spoken_day(at, moment)
        return f"{spoken_time(at)} {days}"

    @property
    def called(self) -> str:
        return f"{self.name} {self.kind}"

    def left_s(self, now: int) -> float:
        left = max(self.due - now, 0) if self.paused_left is None else self.paused_left
        return left / SAMPLE_RATE


@dataclass(frozen=True)
class SkillReply:
    intent: str  # time, time_in, date, day, tomorrow, calendar, timer_*, alarm_*, reminder_*, volume_*, repeat, math,
    # units, random, spelling
    text: str
    # Undoes what answering did (a timer set, the volume changed), for a turn the user went on from unheard.
    take_back: Callable[[], None] = field(default=lambda: None, compare=False, repr=False)


@dataclass(frozen=True)
class _Request:
    intent: str
    seconds: float | None = None
    name: str = ""
    every: bool = False  # "cancel all timers"
    answer: Callable[[datetime], str] | None = None
    at: ClockTime | None = None  # an alarm's time
    amount: int = 0  # a volume level, or a step
    weekdays: tuple[int, ...] = ()  # "cancel my weekday alarm"


class Skills:
    """The skills in `enabled` (of SKILLS) and what they keep: the timers and alarms, the volume, the last reply.
    Owned by the controller's thread."""

    def __init__(
        self,
        enabled: Collection[str] = SKILLS,
        clock: Callable[[], datetime] = datetime.now,
        *,
        store: StateFile | None = None,
        now: int = 0,
        follow_wall_clock: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        """`store`: where timers, alarms and the volume are kept across restarts (read back now, at sample `now`).
        `follow_wall_clock`: alarms are set again from `clock` every WALL_CHECK_S of samples (off where the sample
        clock runs apart from it on purpose: a simulated room in lockstep). `rng`: coins and dice (seeded in tests)."""
        unknown = set(enabled) - set(SKILLS)
        if unknown:
            raise ValueError(f"unknown skills {sorted(unknown)} (known: {', '.join(SKILLS)})")
        self.enabled = frozenset(enabled)
        self.clock = clock
        self.store = store
        self.timers: list[Timer] = []
        self.volume = MAX_VOLUME
        self.last_reply = ""  # what the assistant said last, for "say that again" (the controller tells)
        if store is not None:
            self._restore(store.load(_parse_kept) or {"timers": [], "volume": MAX_VOLUME}, now)
        self._rung_at: int | None = None  # when a timer last ran out
        self._rung: list[Timer] = []  # the ones that did (snooze)
        self._asked_how_long: str | None = None  # "set a timer": its name, until the next turn says how long
        self._asked_when: str | None = None  # "remind me to call mom": what, until the next turn says when
        self.follow_wall_clock = follow_wall_clock
        self.rng = rng or random.Random()
        self._followed_at = now  # when alarms were last set from the wall clock
        if "time" in self.enabled:
            world_clock.places()

    def recognizes(self, text: str) -> bool:
        """Whether answer() would answer `text` (it changes nothing)."""
        return self._request(text) is not None

    def answer(self, text: str, now: int) -> SkillReply | None:
        """The reply to `text` if a skill answers it (doing what it asks, e.g. starting a timer), else None."""
        request = self._request(text)
        self._asked_how_long = self._asked_when = None  # a question gets one turn's answer
        if request is None:
            return None
        if request.answer is not None:
            return SkillReply(request.intent, request.answer(self.clock()))
        kept = [dataclasses.replace(t) for t in self.timers], self.volume, self._rung_at, list(self._rung)
        reply = self._act(request, now)
        if reply.intent in ("timer_left", "timer_ask", "alarm_list", "reminder_list", "reminder_ask", "volume_ask",
                            "repeat"):
            return reply

        def take_back() -> None:
            self.timers, self.volume, self._rung_at, self._rung = kept
            self._save(now)
            log.info("%s taken back: the user went on speaking before hearing the answer", request.intent)

        self._save(now)
        return dataclasses.replace(reply, take_back=take_back)

    @property
    def volume_db(self) -> float:
        """The user's volume as a gain in dB (0 at the top step)."""
        return (self.volume - MAX_VOLUME) * VOLUME_STEP_DB

    def _act(self, request: _Request, now: int) -> SkillReply:
        if request.intent == "repeat":
            return SkillReply("repeat", self.last_reply or "I haven't said anything yet.")
        if request.intent.startswith("volume"):
            return SkillReply(request.intent, self._set_volume(request))
        if request.intent.startswith("alarm"):
            return SkillReply(request.intent, self._alarm(request, now))
        if request.intent == "reminder_set":
            return self._set_reminder(request, now)
        if request.intent.startswith("reminder"):
            return SkillReply(request.intent, self._reminders(request))
        if request.intent == "timer_set":
            return self._set(request, now)
        if request.intent == "timer_left":
            return SkillReply(request.intent, self._left(request, now))
        if request.intent in ("timer_pause", "timer_resume"):
            return SkillReply(request.intent, self._pause(request, now, request.intent == "timer_pause"))
        if request.intent == "timer_more":
            return SkillReply(request.intent, self._more(request, now))
        return self._cancel(request, now)

    def due(self, now: int) -> list[Timer]:
        """The timers that ran out by `now`, taken off the running ones (the caller rings them)."""
        if self.follow_wall_clock and now - self._followed_at >= WALL_CHECK_S * SAMPLE_RATE:
            self._follow_wall_clock(now)
        done = [t for t in self.timers if t.paused_left is None and t.due <= now]
        if done:
            self.timers = [t for t in self.timers if t not in done]
            for alarm in done:
                if alarm.weekdays:  # a weekly alarm is set again for its next day, on the wall clock
                    self._add(self._next_week_day(alarm, now))
            self._rung_at, self._rung = now, done
            self._save(now)
        return done

    def _follow_wall_clock(self, now: int) -> None:
        """Alarms due when the wall clock says, not when the sound card's clock does: it drifts (100 ppm is 9 s a
        day), and a board without a real-time clock boots with the time it was shut down at until NTP sets it."""
        self._followed_at = now
        moment = self.clock()
        followed: list[Timer] = []
        for alarm in self.timers:
            if alarm.kind == "timer" or alarm.at is None:
                followed.append(alarm)
                continue
            due = now + round((alarm.at.timestamp() - moment.timestamp()) * SAMPLE_RATE)
            if abs(due - alarm.due) > WALL_MOVED_S * SAMPLE_RATE:
                log.warning("the wall clock moved %+.0f s against the sound card's (set at boot, or by hand): the %s "
                            "follows it", (alarm.due - due) / SAMPLE_RATE, alarm.called)
            if due >= now - RING_LATE_S * SAMPLE_RATE:
                followed.append(dataclasses.replace(alarm, due=due))
            elif alarm.weekdays:
                followed.append(self._next_week_day(alarm, now))
            else:
                log.warning("%s: its time passed %.0f minutes ago as the clock was set: dropped", alarm.called,
                            (now - due) / SAMPLE_RATE / 60)
        moved = [t.at for t in followed] != [t.at for t in self.timers]  # dropped, or set for the next day
        self.timers = sorted(followed, key=lambda t: t.due)
        if moved:
            self._save(now)

    def _next_week_day(self, alarm: Timer, now: int) -> Timer:
        """A weekly `alarm` (rung, or missed) set for its next day after the one it was set for and after now."""
        moment = self.clock()
        at = alarm.at or moment
        while at <= moment or at == alarm.at:
            at = next(at + timedelta(days=d) for d in range(1, 8) if (at + timedelta(days=d)).weekday() in
                      alarm.weekdays)  # same time on the wall: across a DST change too
        seconds = round(at.timestamp() - moment.timestamp())
        return dataclasses.replace(alarm, due=now + seconds * SAMPLE_RATE, at=at)

    # ------------------------------------------------------------------------------------------ keeping

    def _save(self, now: int) -> None:
        if self.store is None:
            return
        wall = self.clock().timestamp()
        kept = [{
            "name": t.name, "seconds": t.seconds, "kind": t.kind, "at": t.at.isoformat() if t.at else None,
            "due_at": None if t.paused_left is not None else wall + (t.due - now) / SAMPLE_RATE,
            "paused_left_s": None if t.paused_left is None else t.paused_left / SAMPLE_RATE,
            "weekdays": list(t.weekdays),
        } for t in self.timers]
        try:
            self.store.save({"timers": kept, "volume": self.volume})
        except OSError as exc:
            log.warning("could not keep the timers and the volume in %s (%s): they are lost on a restart; make its "
                        "folder writable or set general.state_dir", self.store.path, exc.strerror or exc)

    def _restore(self, kept: dict[str, Any], now: int) -> None:
        self.volume = kept["volume"]
        wall = self.clock().timestamp()
        for saved in kept["timers"]:
            timer = Timer(saved["name"], saved["seconds"], now, kind=saved["kind"], at=saved["at"],
                          weekdays=tuple(saved["weekdays"]))
            if {"timer": "timers", "alarm": "alarms", "reminder": "reminders"}[timer.kind] not in self.enabled:
                log.warning("%s kept from before is dropped: conversation.skills leaves %ss out", timer.called,
                            timer.kind)
                continue
            if saved["paused_left_s"] is not None:
                timer.paused_left = round(saved["paused_left_s"] * SAMPLE_RATE)
            else:
                left = saved["due_at"] - wall
                if left < -RING_LATE_S and timer.weekdays:
                    log.warning("%s was missed while the assistant was not running: set for its next day",
                                timer.called)
                    timer = self._next_week_day(timer, now)
                elif left < -RING_LATE_S:
                    log.warning("%s ran out %.0f minutes ago while the assistant was not running: dropped",
                                timer.called, -left / 60)
                    continue
                else:
                    timer.due = now + round(max(left, 0.0) * SAMPLE_RATE)
            self._add(timer)
        if self.timers:
            log.info("%d timers and alarms kept from before the restart", len(self.timers))

    # -------------------------------------------------------------------------------------- requests

    def _request(self, text: str) -> _Request | None:
        normalized = normalize(text)
        found = match_phrase(text, _CLOCK_INTENTS)
        if found is not None and _SKILL_OF_INTENT[found[0]] in self.enabled:
            return _Request(found[0], answer=found[1])
        if "repeat" in self.enabled and match_phrase(text, _REPEAT) is not None:
            return _Request("repeat")
        on_day = days.request(normalized, self.clock().date()) if "date" in self.enabled else None
        if on_day is not None:
            return _Request("calendar", answer=on_day)
        elsewhere = world_clock.request(normalized) if "time" in self.enabled else None
        if elsewhere is not None:
            return _Request("time_in", answer=elsewhere)
        asked = arithmetic.request_words(text, normalized) if {"math", "units", "random"} & self.enabled else ""
        answers: tuple[tuple[str, Callable[[], str | None]], ...] = (
            ("math", lambda: arithmetic.answer_words(asked)), ("units", lambda: units.answer_words(asked)),
            ("random", lambda: chance.answer(asked, self.rng)), ("spelling", lambda: spelling.answer(text)))
        for skill, answer in answers:
            said = answer() if skill in self.enabled else None
            if said is not None:
                return _Request(skill, answer=lambda now, said=said: said)
        words = normalized.split()
        if "reminders" in self.enabled:
            reminder = self._reminder_request(normalized, words)
            if reminder is not None:
                return reminder
        if not words or len(words) > _MAX_WORDS or _CHATTER & set(words) or _DEFINITION.search(normalized):
            return None
        duration = parse_duration(normalized)
        others = words_outside(normalized, duration.spans) if duration else words
        seconds = duration.seconds if duration else None
        if "volume" in self.enabled:
            volume = self._volume_request(normalized)
            if volume is not None:
                return volume
        if "alarms" in self.enabled and (_ALARM_WORDS & set(words) or _WAKE_ME.search(normalized) or "snooze" in words):
            alarm = self._alarm_request(normalized, words, seconds)
            if alarm is not None:
                return alarm
        if "timers" not in self.enabled:
            return None
        if not _TIMER_WORDS & set(words):
            if _LEFT.search(normalized):
                return _Request("timer_left")
            more = _MORE_TIME.search(normalized) or "add" in others  # "add 5 minutes" just after a ring
            if seconds is not None and more and len(others) <= 4 and self._timers_to_extend():
                return _Request("timer_more", seconds)
            # The answer to "For how long?": "five minutes", "for ten minutes please".
            if self._asked_how_long is not None and seconds is not None and len(others) <= 3:
                return _Request("timer_set", seconds, self._asked_how_long)
            return None
        name = _timer_name(others)
        every = "all" in words or "timers" in words
        if _CANCEL_WORDS & set(words) or _TURN_OFF.search(normalized):
            return _Request("timer_cancel", seconds, name, every=every)
        if _RESUME_WORDS & set(words):
            return _Request("timer_resume", seconds, name, every=every)
        if _PAUSE_WORDS & set(words):
            return _Request("timer_pause", seconds, name, every=every)
        if seconds is not None and _MORE_TIME.search(normalized) and self._timers_to_extend():
            return _Request("timer_more", seconds, name, every=every)
        if seconds is None and (_ASK_WORDS & set(words) or _LEFT.search(normalized)):
            return _Request("timer_left", None, name)
        if seconds is not None or _SET_WORDS & set(words) or words in (["timer"], ["a", "timer"]):
            return _Request("timer_set", seconds, name)
        return None

    def _reminder_request(self, normalized: str, words: list[str]) -> _Request | None:
        asked = parse_reminder(normalized)
        if asked is not None:
            return _Request("reminder_set", asked.seconds, asked.what, at=asked.at)
        if _REMINDER_WORDS & set(words) and len(words) <= _MAX_WORDS and not _DEFINITION.search(normalized):
            if _CANCEL_WORDS & set(words) or _TURN_OFF.search(normalized):
                about = re.search(r"\b(?:to|about|that) (?P<what>.+)$", normalized)
                return _Request("reminder_cancel", name=about["what"] if about else "",
                                every="all" in words or "reminders" in words)
            if _ASK_WORDS & set(words):
                return _Request("reminder_list")
        if self._asked_when is not None and len(words) <= 6:  # the answer to "When should I remind you ...?"
            at = find_clock_time(normalized) or find_clock_time("at " + normalized)
            duration = parse_duration(normalized)
            if at is not None or duration is not None:
                return _Request("reminder_set", duration.seconds if duration else None, self._asked_when, at=at)
        return None

    def _reminders(self, request: _Request) -> str:
        """The reminders listed, or cancelled: by what they are about, or all."""
        moment = self.clock()
        reminders = [t for t in self.timers if t.kind == "reminder"]
        if not reminders:
            return "You have no reminders."
        if request.intent == "reminder_list":
            said = spoken_list([f"{t.name} at {t.when(moment)}" for t in reminders])
            return f"You have {'a reminder' if len(reminders) == 1 else 'reminders'} {said}."
        wanted = set(request.name.replace("my ", "your ").split()) - {"the", "a", "to", "about"}
        chosen = reminders if request.every else [t for t in reminders if wanted <= set(t.name.split())]
        if not chosen:
            return f"You have no such reminder. Your reminders are {spoken_list([t.name for t in reminders])}."
        if len(chosen) > 1 and not request.every:
            return (f"You have {number_words(len(chosen))} reminders: {spoken_list([t.name for t in chosen])}. "
                    "Say which one to cancel, or cancel all reminders.")
        self.timers = [t for t in self.timers if t not in chosen]
        return (f"Okay, I've cancelled the reminder {chosen[0].name}." if len(chosen) == 1
                else f"Okay, I've cancelled your {number_words(len(chosen))} reminders.")

    def _set_reminder(self, request: _Request, now: int) -> SkillReply:
        moment = self.clock()
        if not request.name:
            return SkillReply("reminder_ask", "What should I remind you of? Say, for example: remind me to call mom "
                                              "at five PM.")
        if request.at is None and request.seconds is None:
            self._asked_when = request.name
            return SkillReply("reminder_ask", f"When should I remind you {request.name}?")
        if len(self.timers) >= MAX_TIMERS:
            return SkillReply("reminder_set", f"You already have {number_words(MAX_TIMERS)} timers, alarms and "
                                              "reminders. Cancel one first.")
        if request.at is not None:
            at = request.at.next_after(moment)
            seconds = round(at.timestamp() - moment.timestamp())
            weekdays = tuple(sorted(request.at.weekdays)) if request.at.weekly else ()
        else:
            seconds = round(request.seconds or 0)
            if not 1 <= seconds <= MAX_TIMER_S:
                return SkillReply("reminder_set", "I can remind you from a second up to twenty-four hours ahead, or "
                                                  "at a time of day.")
            at, weekdays = moment + timedelta(seconds=seconds), ()
        reminder = Timer(request.name, 0, now + seconds * SAMPLE_RATE, kind="reminder", at=at, weekdays=weekdays)
        self._add(reminder)
        when = f"in {spoken_duration(seconds)}" if request.at is None else f"at {reminder.when(moment)}"
        return SkillReply("reminder_set", f"Okay, I'll remind you {request.name} {when}.")

    def _volume_request(self, normalized: str) -> _Request | None:
        def alone(pattern: re.Pattern[str]) -> re.Match[str] | None:
            match = pattern.search(normalized)  # "what is the volume of a sphere" is not about the speaker
            return match if match and set(normalized[match.end():].split()) <= _VOLUME_AFTER else None

        if alone(_VOLUME_ASK):
            return _Request("volume_ask")
        to = alone(_VOLUME_TO)
        if to is not None:
            level = MAX_VOLUME if to["max"] or to["maxed"] else int(to["level"])
            return _Request("volume_set", amount=round(level / 10) if to["percent"] else level)
        if alone(_LOUDER):
            return _Request("volume_up", amount=1)
        if alone(_QUIETER):
            return _Request("volume_down", amount=-1)
        return None

    def _set_volume(self, request: _Request) -> str:
        if request.intent == "volume_ask":
            return f"The volume is {number_words(self.volume)}."
        wanted = request.amount if request.intent == "volume_set" else self.volume + request.amount
        if not 0 <= wanted <= MAX_VOLUME + 1:
            return "Say a volume from one to ten."
        level = min(max(wanted, 1), MAX_VOLUME)
        if level == self.volume and wanted != level:
            return "That's as loud as I go." if wanted > level else "That's as quiet as I go."
        self.volume = level
        return f"Okay, volume {number_words(level)}."

    def _alarm_request(self, normalized: str, words: list[str], seconds: float | None) -> _Request | None:
        if "snooze" in words:
            return _Request("alarm_snooze", seconds)
        at = parse_clock_time(normalized)
        if at is not None and at.meridiem is None and 4 <= at.hour <= 11 and _WAKE_ME.search(normalized):
            at = dataclasses.replace(at, meridiem="am")  # "wake me up at 7" is the morning's
        every = "all" in words or "alarms" in words
        if _CANCEL_WORDS & set(words) or _TURN_OFF.search(normalized):
            weekdays, weekly = parse_days(normalized)
            return _Request("alarm_cancel", at=at, every=every, weekdays=tuple(sorted(weekdays)) if weekly else ())
        if at is not None:
            return _Request("alarm_set", at=at)
        if seconds is not None:  # "wake me up in twenty minutes": a timer
            return _Request("timer_set", seconds) if "timers" in self.enabled else None
        if _ASK_WORDS & set(words):
            return _Request("alarm_list")
        if _SET_WORDS & set(words) or _WAKE_ME.search(normalized):
            return _Request("alarm_set")
        return None

    def _alarm(self, request: _Request, now: int) -> str:
        moment = self.clock()
        alarms = [t for t in self.timers if t.kind == "alarm"]
        if request.intent == "alarm_snooze":
            rang_lately = self._rung_at is not None and now - self._rung_at < RECENTLY_RUNG_S * SAMPLE_RATE
            if not (rang_lately and self._rung):
                return "There's nothing to snooze."
            seconds = min(max(round(request.seconds or SNOOZE_S), 1), MAX_TIMER_S)
            for rung in self._rung:  # once: a weekly alarm is already set for its next day
                at = self.clock() + timedelta(seconds=seconds) if rung.kind != "timer" else None
                name = spoken_time(at) if at and rung.kind == "alarm" else rung.name
                self._add(Timer(name, rung.seconds, now + seconds * SAMPLE_RATE, kind=rung.kind, at=at))
            self._rung_at, self._rung = None, []
            return f"Okay, snoozing for {spoken_duration(seconds)}."
        if request.intent == "alarm_set":
            if request.at is None:
                return "For what time? Say, for example: wake me up at seven AM."
            if len(self.timers) >= MAX_TIMERS:
                return f"You already have {number_words(MAX_TIMERS)} timers and alarms. Cancel one first."
            at = request.at.next_after(moment)
            seconds = round(at.timestamp() - moment.timestamp())  # local times: across a DST change too
            weekdays = tuple(sorted(request.at.weekdays)) if request.at.weekly else ()
            alarm = Timer(spoken_time(at), 0, now + seconds * SAMPLE_RATE, kind="alarm", at=at, weekdays=weekdays)
            if any(t.at == at and t.weekdays == weekdays for t in alarms):
                return f"You already have an alarm for {alarm.when(moment)}."
            self._add(alarm)
            return f"Okay, alarm for {alarm.when(moment)}."
        if request.intent == "alarm_list":
            if not alarms:
                return "You have no alarms set."
            when = spoken_list([t.when(moment) for t in alarms])
            return f"You have {'an alarm' if len(alarms) == 1 else 'alarms'} for {when}."
        rang_lately = self._rung_at is not None and now - self._rung_at < RECENTLY_RUNG_S * SAMPLE_RATE
        if rang_lately and not (request.every or request.at or request.weekdays):
            self._rung_at = None  # "turn off the alarm" as it rings: a weekly one still rings next time
            return "Okay."
        if not alarms:
            return "You have no alarms set."
        chosen = alarms if request.every else [
            t for t in alarms if (request.at is None or request.at.matches(t.at))
            and (not request.weekdays or t.weekdays == request.weekdays)]
        if not chosen:
            return f"You have no such alarm. Your alarms are for {_names(alarms)}."
        if len(chosen) > 1 and not request.every:
            return (f"You have {number_words(len(chosen))} alarms: {_names(chosen)}. Say which one "
                    "to cancel, or cancel all alarms.")
        self.timers = [t for t in self.timers if t not in chosen]
        return f"Okay, I've cancelled {_yours(chosen)}."

    def _add(self, timer: Timer) -> None:
        self.timers.append(timer)
        self.timers.sort(key=lambda t: t.due)

    def _set(self, request: _Request, now: int) -> SkillReply:
        if request.seconds is None:
            self._asked_how_long = request.name
            return SkillReply("timer_ask", "For how long?")
        seconds = round(request.seconds)
        if not 1 <= seconds <= MAX_TIMER_S:
            return SkillReply("timer_set", "I can set timers from one second up to twenty-four hours.")
        if len(self.timers) >= MAX_TIMERS:
            return SkillReply("timer_set", f"You already have {number_words(MAX_TIMERS)} timers. Cancel one first.")
        timer = Timer(request.name or duration_name(seconds), seconds, now + seconds * SAMPLE_RATE)
        self._add(timer)
        named = f"{timer.name} timer for " if request.name else ""
        return SkillReply("timer_set", f"Okay, {named}{spoken_duration(seconds)}, starting now.")

    def _left(self, request: _Request, now: int) -> str:
        running = self._timers()
        if not running:
            return "You have no timers running."
        timers = [t for t in running if request.name and t.name == request.name] or running
        said = [f"your {t.name} timer {'is paused with' if t.paused_left is not None else 'has'} "
                f"{time_left(t.left_s(now))} left" for t in timers]
        text = spoken_list(said)
        return text[0].upper() + text[1:] + "."

    def _cancel(self, request: _Request, now: int) -> SkillReply:
        rang_lately = self._rung_at is not None and now - self._rung_at < RECENTLY_RUNG_S * SAMPLE_RATE
        if rang_lately and not (request.every or request.name or request.seconds is not None):
            self._rung_at = None  # the user has noticed; the one that rang is already off the list
            return SkillReply("timer_cancel", "Okay.")
        timers = self._pick(request, "cancel", self._timers())
        if isinstance(timers, str):
            return SkillReply("timer_cancel", timers)
        self.timers = [t for t in self.timers if t not in timers]
        return SkillReply("timer_cancel", f"Okay, I've cancelled {_yours(timers)}.")

    def _pause(self, request: _Request, now: int, pause: bool) -> str:
        candidates = [t for t in self._timers() if (t.paused_left is None) == pause]
        timers = self._pick(request, "pause" if pause else "resume", candidates)
        if isinstance(timers, str):
            return timers
        for timer in timers:
            if pause:
                timer.paused_left = max(timer.due - now, 0)
            else:
                timer.due, timer.paused_left = now + (timer.paused_left or 0), None
        self.timers.sort(key=lambda t: t.due)
        are = "is" if len(timers) == 1 else "are"
        return f"Okay, {_yours(timers)} {are} {'paused' if pause else 'running again'}."

    def _timers_to_extend(self) -> bool:
        return bool(self._timers()) or any(t.kind == "timer" for t in self._rung)

    def _more(self, request: _Request, now: int) -> str:
        """More time on running (or paused) timers; on one that just rang, it runs again for that long."""
        seconds = round(request.seconds or 0)
        rang_lately = self._rung_at is not None and now - self._rung_at < RECENTLY_RUNG_S * SAMPLE_RATE
        rung = [t for t in self._rung if t.kind == "timer"] if rang_lately else []
        if not self._timers() and rung and not request.name:
            for timer in rung:
                self._add(Timer(timer.name, seconds, now + seconds * SAMPLE_RATE))
            self._rung_at, self._rung = None, []
            return f"Okay, {_yours(rung)} {'is' if len(rung) == 1 else 'are'} back on for {spoken_duration(seconds)}."
        timers = self._pick(dataclasses.replace(request, seconds=None), "add time to", self._timers())
        if isinstance(timers, str):
            return timers
        if any(t.left_s(now) + seconds > MAX_TIMER_S for t in timers):
            return "I can set timers up to twenty-four hours."
        for timer in timers:
            if timer.paused_left is None:
                timer.due += seconds * SAMPLE_RATE
            else:
                timer.paused_left += seconds * SAMPLE_RATE
        self.timers.sort(key=lambda t: t.due)
        if len(timers) > 1:
            return f"Okay, {spoken_duration(seconds)} more on {_yours(timers)}."
        return f"Okay, your {timers[0].name} timer has {time_left(timers[0].left_s(now))} left."

    def _pick(self, request: _Request, verb: str, candidates: list[Timer]) -> list[Timer] | str:
        """The timers among `candidates` that `request` names, or what to say when there are none or it is unclear
        which ("You have two timers: ...")."""
        if not candidates:
            return "You have no paused timers." if verb == "resume" else "You have no timers running."
        if request.every:
            return candidates
        if request.name or request.seconds is not None:
            timers = [t for t in candidates
                      if t.name == request.name or (not request.name and t.seconds == round(request.seconds or 0))]
            return timers[:1] or f"You have no such timer. Your timers are {_names(self._timers())}."
        if len(candidates) == 1:
            return candidates
        names = _names(candidates)
        return (f"You have {number_words(len(candidates))} timers: {names}. Say which one to {verb}, or {verb} all "
                "timers.")

    def _timers(self) -> list[Timer]:
        return [t for t in self.timers if t.kind == "timer"]

    def done_sentence(self, timers: Sequence[Timer]) -> str:
        """What is said when `timers` ring: "Your pasta timer is done.", "It's seven o'clock AM: your alarm.", "A
        reminder to call your mom."."""
        said = [f"It's {alarm.name}: your alarm." for alarm in timers if alarm.kind == "alarm"][:1]
        said += [f"A reminder {reminder.name}." for reminder in timers if reminder.kind == "reminder"]
        done = [t.name for t in timers if t.kind == "timer"]
        if done:
            said.append(f"Your {spoken_list(done)} timer{' is' if len(done) == 1 else 's are'} done.")
        return " ".join(said)


def describe(enabled: Collection[str]) -> str:
    """What the skills in `enabled` do, for a spoken list of what the assistant can do."""
    told = [what for skill, what in (("time", "the time"), ("date", "the date")) if skill in enabled]
    said = [f"tell you {' and '.join(told)}"] if told else []
    sets = [what for what in ("timers", "alarms", "reminders", "the volume") if what.split()[-1] in enabled]
    if sets:
        said.append(f"set {spoken_list(sets)}")
    said += [what for skill, what in (("math", "do sums"), ("units", "convert units"), ("random", "roll dice"),
                                      ("spelling", "spell words")) if skill in enabled]
    return spoken_list(said) if said else ""


def _parse_kept(data: dict[str, Any]) -> dict[str, Any]:
    """The timers and the volume of a decoded skills file, checked; ValueError says what is wrong."""
    kept, volume = data.get("timers"), data.get("volume")
    if not isinstance(kept, list):
        raise ValueError("no list of timers")
    if not (isinstance(volume, int) and 1 <= volume <= MAX_VOLUME):
        raise ValueError(f"volume {volume!r} is not 1 to {MAX_VOLUME}")
    out = []
    for index, saved in enumerate(kept):
        try:
            when = saved["due_at"], saved["paused_left_s"]
            ok = (isinstance(saved["name"], str) and isinstance(saved["seconds"], int | float)
                  and saved["kind"] in ("timer", "alarm", "reminder")
                  and (saved["at"] is None or isinstance(saved["at"], str))
                  and sum(isinstance(w, int | float) for w in when) == 1 and None in when)
            at = datetime.fromisoformat(saved["at"]) if saved["at"] else None
            weekdays = saved.get("weekdays", [])  # not in files written before weekly alarms
            ok = ok and isinstance(weekdays, list) and (not weekdays or at is not None) and all(
                isinstance(d, int) and 0 <= d <= 6 for d in weekdays)
        except (TypeError, KeyError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"timer {index} is not a timer")
        out.append({**saved, "at": at, "weekdays": sorted(set(weekdays))})
    return {"timers": out, "volume": volume}


def _names(timers: Sequence[Timer]) -> str:
    return spoken_list([t.name for t in timers])


def _yours(timers: Sequence[Timer]) -> str:
    return f"your {timers[0].called}" if len(timers) == 1 else f"your {number_words(len(timers))} {timers[0].kind}s"


def _timer_name(words: Sequence[str]) -> str:
    """The name the user gave a timer: the words right before "timer" that are not its length or a request word
    ("set a pasta timer for 8 minutes": "pasta"), after "called" / "named", or after "for the" ("set a timer
    for ten minutes for the pasta")."""
    for marker in ("called", "named"):
        if marker in words:
            after = [w for w in words[words.index(marker) + 1:] if w not in _NOT_NAME]
            return " ".join(after[:3])
    try:
        at = next(i for i, w in enumerate(words) if w in _TIMER_WORDS)
    except StopIteration:
        return ""
    name: list[str] = []
    for word in reversed(words[:at]):
        if word in _NOT_NAME or word.isdigit():
            break
        name.insert(0, word)
    tail = words[at + 1:]
    for i in range(len(tail) - 2):
        if not name and tail[i] == "for" and tail[i + 1] in ("the", "my") and tail[i + 2] not in _NOT_NAME:
            name = [tail[i + 2]]
    return " ".join(name[-3:])
