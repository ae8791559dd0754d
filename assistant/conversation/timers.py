"""Timers, alarms and reminders: set, asked about, cancelled, rung and kept (the skills' part that runs on).

Timers: "set a (pasta) timer for five minutes", "a ten minute timer", "timer for an hour and a half";
"set a timer" alone asks "For how long?" and takes a bare "five minutes" as the next turn; "how much time is
left", "pause the timer", "resume the timer", "add 2 minutes to the pasta timer" ("5 more minutes" just after it
rang: it runs again), "cancel the pasta timer", "cancel all timers". Their deadlines are on the microphone's
sample clock (the controller's), so a simulated room rings them on its own clock. A timer that ran out is the
controller's to ring (`due`); "stop the timer" just after is answered "Okay."

Alarms: "wake me up at seven AM", "set an alarm for 6:30" (without AM or PM: the next such time, 6:30 PM at
3 PM; "wake me up at 7" is the morning's), "for half past six tomorrow", "at 8 on Friday", "wake me up in 20 minutes"
(at the time that comes), "when is my alarm",
"cancel the 6:30 alarm", "snooze" (nine minutes), "change my alarm to 8" / "move my 7 am alarm to 6:45" (on its own
day and, without AM or PM, in its own half of the day). Weekly: "wake me up at 7 every weekday", "on weekends", "every
Monday and Thursday", "every day"; when one rings it is set again for its next day, from the wall clock; "turn
off the alarm" as it rings leaves that, "cancel my weekday alarm" ends it. An alarm is a Timer of kind "alarm"
with its wall-clock time (`at`), due at the sample that many seconds on, and set again from the wall clock every
WALL_CHECK_S: the sound card's clock drifts from it (100 ppm is 9 s a day), and a board without a real-time clock
boots with the time it was shut down at until NTP sets it. (A simulated room in lockstep keeps alarms on its own
clock.)

Reminders (assistant.conversation.reminders reads them): "remind me to call my mom at 5 PM", "remind me in 20
minutes to check the oven", "every Monday at 7 PM", "tomorrow morning" (9 AM: a part of the day stands for a time),
"what are my reminders", "cancel the reminder to call mom"; a Timer of kind "reminder" named by what it is about ("to
call your mom"), kept and rung as alarms are. One without a time, or for today's part of the day once its time has
passed ("this morning" at 3 PM), asks when. Again and again: every so many minutes or hours (on its beat), days or
weeks ("every other Thursday": on the wall clock), months ("on the 1st of every month") or years ("every year on
March 3rd", "every year on Thanksgiving": its own day each year).

Kept across restarts (the skills' file): deadlines on the wall clock; one that ran out while the assistant was
down rings at once if that was within RING_LATE_S, else it is dropped with a line in the log (a seven o'clock
alarm is no use at noon; a weekly one is set for its next day); those whose skill `conversation.skills` now
leaves out are dropped, with a log line.
"""

from __future__ import annotations

import calendar
import dataclasses
import logging
import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from assistant.audio.io import SAMPLE_RATE
from assistant.conversation.holidays import HOLIDAYS, next_dates
from assistant.conversation.phrases import (
    CHATTER,
    DEFINITION,
    MORNING_HOUR,
    ClockTime,
    parse_clock_time,
    parse_days,
    parse_duration,
    same_name,
    when_spans,
    words_outside,
)
from assistant.conversation.reminders import MonthDay, parse_calendar_entry, parse_reminder, parse_when
from assistant.conversation.spoken import (
    MONTHS,
    WEEKDAYS,
    duration_name,
    indefinite_article,
    number_words,
    spoken_date,
    spoken_day,
    spoken_duration,
    spoken_every,
    spoken_list,
    spoken_month_day,
    spoken_time,
    spoken_weekdays,
    time_left,
)

log = logging.getLogger(__name__)

MAX_TIMER_S = 24 * 3600
MIN_REPEAT_S = 5 * 60  # a reminder every so often, at most this often: "every 10 seconds" would only nag
MAX_EVERY_DAYS = 366  # "every 500 days" is a date to say once
MAX_EVERY_MONTHS = 120
MAX_TIMERS = 20  # timers, alarms and reminders: a runaway "set a timer" must not fill a weeks-long run's memory
RECENTLY_RUNG_S = 120.0  # "stop the timer", "snooze" this soon after one ran out are about that one
SNOOZE_S = 540  # nine minutes, as alarm clocks do
RING_LATE_S = 600.0  # one that ran out while the assistant was not running still rings if this recent
WALL_CHECK_S = 10.0  # how often alarms are set again from the wall clock (the sound card's drift, a clock set)
WALL_MOVED_S = 30.0  # a correction this big is logged: the wall clock was set (by NTP after a boot, by hand)
MAX_WORDS = 16  # a request is said in fewer words; more is talk about timers (the language model's)
_SKILL_OF_KIND = {"timer": "timers", "alarm": "alarms", "reminder": "reminders"}
_HOLIDAY_NAMES = frozenset(name for _, name, _ in HOLIDAYS)

_TIMER_WORDS = frozenset({"timer", "timers"})
# "set a timer for 10" with no unit: minutes, as a kitchen timer's dial (up to three hours; said back, so a user
# who meant seconds hears it).
_BARE_MINUTES = re.compile(r"\btimer for (?P<count>\d+)(?: please)?$")
MAX_BARE_MINUTES = 180
_CANCEL_WORDS = frozenset({"cancel", "stop", "delete", "remove", "clear", "end", "kill", "dismiss", "silence"})
_PAUSE_WORDS = frozenset({"pause", "hold", "freeze"})
_RESUME_WORDS = frozenset({"resume", "continue", "unpause", "restart"})
_TURN_OFF = re.compile(r"\b(?:turn|switch|shut) (?:\w+ ){0,5}?off\b")  # "turn the timer off", not "goes off"
_ASK_WORDS = frozenset({"left", "remaining", "long", "much", "status", "check", "running", "have", "any", "which",
                        "what", "list", "when", "until"})
_SET_WORDS = frozenset({"set", "start", "create", "make", "add", "begin", "new", "put", "give", "run"})
# Words around a timer's name that are not the name: "set a pasta timer", "cancel my egg timer".
_NOT_NAME = _SET_WORDS | _CANCEL_WORDS | _ASK_WORDS | _TIMER_WORDS | _PAUSE_WORDS | _RESUME_WORDS | frozenset({
    "a", "an", "the", "my", "me", "for", "please", "can", "could", "would", "will", "you", "i", "hey", "okay", "on",
    "is", "how", "of", "and", "all", "timer", "another", "second", "2nd", "up", "there", "to", "jarvis", "alexa",
    "mycroft", "assistant", "computer", "minute", "hour", "turn", "switch", "shut", "off", "your",
})
_LEFT = re.compile(r"\bhow (?:much (?:time|longer)|long) (?:is |do i have )?(?:left|remaining|to go)\b"
                   r"|\bhow much longer\b")
# More time on a timer, not a new one: "add 2 minutes to the pasta timer", "extend the timer by 5 minutes",
# "give it 5 more minutes", "5 more minutes" (with a timer running or just rung).
_MORE_TIME = re.compile(r"\b(?:add|put)\b.* (?:to|on|onto) (?:\w+ ){0,3}timers?\b|\bextend\b|\bmore\b")
_ALARM_WORDS = frozenset({"alarm", "alarms"})
_REMINDER_WORDS = frozenset({"reminder", "reminders"})
# "change my alarm to 8", "move my 7 am alarm to 7 30", "push the alarm back to 7"
_CHANGE_ALARM = re.compile(r"\b(?:change|move|reschedule|push|switch|update|shift) (?P<which>(?:\S+ ){0,4}?alarm\b"
                           r".*?)(?: back| forward| up)? to (?P<to>.+)$")
_WAKE_ME = re.compile(r"\bwake me(?: up)?\b")
# Not the name in an answer to "Say which one ...": "the pasta one" ("1" in normalized text), "cancel the 7 am one".
_WHICH_FILLER = frozenset({"the", "one", "1", "ones", "timer", "alarm", "reminder", "please", "my", "that", "this",
                           "it", "cancel", "stop", "pause", "resume", "change", "move", "delete", "remove", "for",
                           "to"})
# Not a what, in answer to "What should I remind you of?": "nothing", "never mind", or a question of its own ("what
# did I ask you to remind me").
_NOTHING = re.compile(r"^(?:nothing|no|nope|none|forget it|no thanks|not now|never ?mind|cancel|stop|what|when|where"
                      r"|who|why|how|which|did|does|is|are|can|could|would|will|should)\b")  # ("do the laundry" is one)
# The reminders asked for without the word: "what did I ask you to remind me about".
_ASKED_REMINDERS = re.compile(r"^(?:what|when) (?:did|have) i (?:ask|asked|told|tell) you to remind me"
                              r"(?: about| of| to)?$|^what (?:are you|were you) (?:going|supposed) to remind me"
                              r"(?: about| of)?$")
_AGAIN = re.compile(r"^(?:please )?remind me (?:again|later|again later)(?: (?P<rest>.+))?$")


@dataclass
class Timer:
    """A timer, an alarm or a reminder (`kind`): all ring on the sample clock."""

    name: str  # what the user called it ("pasta"), else its length ("five minute"); an alarm's time; a
    # reminder's what ("to call your mom")
    seconds: float
    due: int  # microphone sample at which it rings (while it runs)
    paused_left: int | None = None  # samples it had left when paused; None: running
    kind: Literal["timer", "alarm", "reminder"] = "timer"
    at: datetime | None = None  # an alarm's or a reminder's wall-clock time
    weekdays: tuple[int, ...] = ()  # days of the week to ring again on (0 is Monday); empty: once
    every_s: int = 0  # a reminder that rings again this often ("every hour"); 0: once, or on its weekdays
    every_days: int = 0  # a reminder that rings again this many days on, on the wall clock ("every other day": 2)
    month_day: int = 0  # a reminder that rings again on this day of the month (the month's last, in a shorter one;
    # -1: the last day)
    month_week: int = 0  # or on the month's nth (1 to 4; -1: the last) month_weekday ("the first Monday")
    month_weekday: int = 0
    every_months: int = 1  # with month_day or month_week: this many months apart ("every 3 months"; "every year" 12)
    holiday: str = ""  # a reminder that rings again on this holiday each year (its date may move: Thanksgiving)

    @property
    def repeats(self) -> bool:
        """Whether it rings again after a time, days, months or a year (a weekly one goes by its weekdays)."""
        return bool(self.every_s or self.every_days or self.month_day or self.month_week or self.holiday)

    @property
    def monthly_on(self) -> MonthDay:
        """The day of the month it rings on, if it rings by the month."""
        return MonthDay(self.month_day, self.month_week, self.month_weekday)

    def when(self, moment: datetime) -> str:
        """An alarm's or reminder's time and days as said: "seven o'clock AM every weekday", "six thirty AM
        tomorrow"; a reminder every so often: "every hour, next at four oh five PM today"; every so many days:
        "nine o'clock AM every other day, the next one tomorrow"."""
        at = self.at or moment
        if self.every_s:
            return f"{spoken_every(self.every_s)}, next at {spoken_time(at)} {spoken_day(at, moment)}"
        if self.every_days:
            return f"{self.repeat_said(at)}, the next one {spoken_day(at, moment)}"
        if self.month_day or self.month_week or self.holiday:
            return self.repeat_said(at)
        days = spoken_weekdays(self.weekdays) if self.weekdays else spoken_day(at, moment)
        return f"{spoken_time(at)} {days}"

    def repeat_said(self, at: datetime) -> str:
        """A reminder's time (`at`, its next) and how it repeats on the calendar: "nine o'clock AM every other day",
        "... every other Thursday", "... on the 1st of every month", "... every year on March the 3rd", "... every
        year on Thanksgiving"."""
        if self.holiday:
            return f"{spoken_time(at)} every year on {self.holiday}"
        if self.every_days:
            return f"{spoken_time(at)} {_every_days_said(self.every_days, WEEKDAYS[at.weekday()])}"
        years, months = divmod(self.every_months, 12)
        if not months:
            often = ("every year" if years == 1 else "every other year" if years == 2
                     else f"every {number_words(years)} years")
            if self.month_week or self.month_day == -1:  # "every year on the last day of the month" said in March
                return f"{spoken_time(at)} {often} on {self.monthly_on.said()} of {MONTHS[at.month - 1]}"
            day = min(self.month_day, calendar.monthrange(2000, at.month)[1])  # February 29th; no November 31st
            return f"{spoken_time(at)} {often} on {spoken_month_day(at.month, day)}"
        often = ("of every month" if self.every_months == 1 else "of every other month" if self.every_months == 2
                 else f"every {number_words(self.every_months)} months")
        return f"{spoken_time(at)} on {self.monthly_on.said()} {often}"

    @property
    def called(self) -> str:
        return f"{self.name} {self.kind}"

    def left_s(self, now: int) -> float:
        left = max(self.due - now, 0) if self.paused_left is None else self.paused_left
        return left / SAMPLE_RATE


@dataclass(frozen=True)
class TimerRequest:
    intent: str  # timer_*, alarm_*, reminder_*
    seconds: float | None = None
    name: str = ""
    every: bool = False  # "cancel all timers"
    at: ClockTime | None = None  # an alarm's or reminder's time
    weekdays: tuple[int, ...] = ()  # "cancel my weekday alarm"
    when: str = ""  # the days or part of the day said with an alarm that asks for its time ("tomorrow morning");
    # a reminder's request as said (if it says no what, the answer to "What should I remind you of?" completes it)
    others: tuple[tuple[float, str], ...] = ()  # more timers set at once (length, name): "... and another for 5"
    every_s: int = 0  # a reminder asked for again and again: how often
    every_days: int = 0  # a reminder asked for every so many days ("every other day": 2)
    every_months: int = 0  # a reminder asked for every so many months ("every month": 1, "every year": 12)
    monthly_on: MonthDay | None = None  # a day of the month said by its place ("on the last day of the month")
    by_place: bool = False  # a reminder asked for at a place ("when I get home"), not a time
    for_calendar: bool = False  # a reminder for a calendar entry ("put lunch on my calendar"): there is no calendar
    changed: ClockTime | None = None  # alarm_change: the alarm to change as said ("my 7 am alarm"); None: the one

    @property
    def repeats(self) -> bool:
        """A reminder asked for again and again (which says when it starts, if nothing else does)."""
        return bool(self.every_s or self.every_days or self.every_months)


Snapshot = tuple[list[Timer], int | None, list[Timer]]  # the timers, when one last rang, which


class Timers:
    """The timers, alarms and reminders of the skills in `enabled`: read from requests, rung when due (`due`),
    kept by whoever `changed` tells. Owned by the controller's thread."""

    def __init__(
        self,
        enabled: Collection[str],
        clock: Callable[[], datetime],
        changed: Callable[[int], None],
        *,
        follow_wall_clock: bool = True,
        now: int = 0,
    ) -> None:
        """`changed(now)`: called after a change that is not an answer's (a ring, a clock set). `follow_wall_clock`:
        alarms and reminders are set again from `clock` every WALL_CHECK_S of samples (off where the sample clock
        runs apart from it on purpose: a simulated room in lockstep)."""
        self.enabled = frozenset(enabled)
        self.clock = clock
        self.changed = changed
        self.follow_wall_clock = follow_wall_clock
        self.timers: list[Timer] = []
        self._rung_at: int | None = None  # when a timer last ran out
        self._rung: list[Timer] = []  # the ones that did (snooze)
        self._asked_how_long: str | None = None  # "set a timer": its name, until the next turn says how long
        self._asked_when: str | None = None  # "remind me to call mom": what, until the next turn says when
        self._asked_what: str | None = None  # "remind me tomorrow", as said, until the next turn says what
        self._asked_which: TimerRequest | None = None  # a request that fit several, until the next turn says which
        self._asked_alarm: str | None = None  # "set an alarm" ("wake me up": "wake"), until the next turn says when
        self._asked_alarm_when = ""  # and when it was for ("for tomorrow morning"): the answer "7" is then 7 AM
        self._followed_at = now  # when alarms were last set from the wall clock

    def new_turn(self) -> None:
        """A question ("For how long?", "When should I remind you ...?") gets one turn's answer."""
        self._asked_how_long = self._asked_when = self._asked_alarm = self._asked_what = self._asked_which = None

    def snapshot(self) -> Snapshot:
        """What set_back() puts back: for an answer the user went on from unheard."""
        return [dataclasses.replace(t) for t in self.timers], self._rung_at, list(self._rung)

    def set_back(self, snapshot: Snapshot) -> None:
        self.timers, self._rung_at, self._rung = snapshot

    def request(self, normalized: str, words: list[str], seconds: float | None,
                others: list[str]) -> TimerRequest | None:
        """The alarm or timer request `normalized` makes (`seconds`: the length said, `others`: the words besides
        it), else None. Reminders are read apart (reminder_request), before the skills' guards."""
        if self._asked_alarm is not None and len(words) <= 6:  # the answer to "For what time?": "7 am"
            answer = f"{normalized} {self._asked_alarm_when}".strip()
            at = parse_clock_time(answer) or parse_clock_time("at " + answer)
            if at is not None:
                return TimerRequest("alarm_set", at=self._morning(at, self._asked_alarm == "wake"))
        if "alarms" in self.enabled and (_ALARM_WORDS & set(words) or _WAKE_ME.search(normalized) or "snooze" in words):
            alarm = self._alarm_request(normalized, words, seconds)
            if alarm is not None:
                return alarm
        if "timers" not in self.enabled:
            return None
        if not _TIMER_WORDS & set(words):
            if _LEFT.search(normalized):
                return TimerRequest("timer_left")
            more = _MORE_TIME.search(normalized) or "add" in others  # "add 5 minutes" just after a ring
            if seconds is not None and more and len(others) <= 4 and self._timers_to_extend():
                return TimerRequest("timer_more", seconds)
            # The answer to "For how long?": "five minutes", "for ten minutes please".
            if self._asked_how_long is not None and seconds is not None and len(others) <= 3:
                return TimerRequest("timer_set", seconds, self._asked_how_long)
            return None
        name = _timer_name(others)
        every = "all" in words or "timers" in words
        if _CANCEL_WORDS & set(words) or _TURN_OFF.search(normalized):
            return TimerRequest("timer_cancel", seconds, name, every=every)
        if _RESUME_WORDS & set(words):
            return TimerRequest("timer_resume", seconds, name, every=every)
        if _PAUSE_WORDS & set(words):
            return TimerRequest("timer_pause", seconds, name, every=every)
        if seconds is not None and _MORE_TIME.search(normalized) and self._timers_to_extend():
            return TimerRequest("timer_more", seconds, name, every=every)
        asks_left = _LEFT.search(normalized) or {"left", "remaining"} & set(words)
        if asks_left or (seconds is None and _ASK_WORDS & set(words)):
            return TimerRequest("timer_left", seconds, name)  # a length: "... left on the 1 minute timer"
        several = _several_timers(normalized)
        if several:
            (first, first_name), *others = several
            return TimerRequest("timer_set", first, first_name, others=tuple(others))
        bare = _BARE_MINUTES.search(normalized) if seconds is None else None
        if bare is not None and int(bare["count"]) <= MAX_BARE_MINUTES:  # "a timer for 10": kitchens mean minutes
            return TimerRequest("timer_set", 60.0 * int(bare["count"]), name)
        if seconds is not None or _SET_WORDS & set(words) or words in (["timer"], ["a", "timer"]):
            return TimerRequest("timer_set", seconds, name)
        return None

    def act(self, request: TimerRequest, now: int) -> tuple[str, str]:
        """Does what `request` asks: its reply (intent, text)."""
        if request.intent.startswith("alarm"):
            asks = request.intent == "alarm_set" and request.at is None and request.seconds is None  # "For what time?"
            return "alarm_ask" if asks else request.intent, self._alarm(request, now)
        if request.intent == "reminder_set":
            intent, said = self._set_reminder(request, now)
            if request.for_calendar and said.startswith("Okay, I'll remind you"):
                return intent, said.replace("Okay,", "I have no calendar here, but", 1)
            if request.for_calendar and intent == "reminder_ask":
                return intent, f"I have no calendar here, but I can remind you. {said}"
            return intent, said
        if request.intent == "reminder_unkept":
            return ("reminder_ask", "I can't repeat a reminder more than once a day, a week or a month. I can remind "
                                    "you every day, on days of the week, every so many minutes, hours, days, weeks, "
                                    "months or years, or once.")
        if request.intent.startswith("reminder"):
            return request.intent, self._reminders(request)
        if request.intent == "timer_set":
            return self._set(request, now)
        if request.intent == "timer_left":
            return request.intent, self._left(request, now)
        if request.intent in ("timer_pause", "timer_resume"):
            return request.intent, self._pause(request, now, request.intent == "timer_pause")
        if request.intent == "timer_more":
            return request.intent, self._more(request, now)
        return self._cancel(request, now)

    # ------------------------------------------------------------------------------------------ keeping

    def kept(self, now: int) -> list[dict[str, Any]]:
        """The timers as kept in the skills' file: deadlines on the wall clock."""
        wall = self.clock().timestamp()
        return [{
            "name": t.name, "seconds": t.seconds, "kind": t.kind, "at": t.at.isoformat() if t.at else None,
            "due_at": None if t.paused_left is not None else wall + (t.due - now) / SAMPLE_RATE,
            "paused_left_s": None if t.paused_left is None else t.paused_left / SAMPLE_RATE,
            "weekdays": list(t.weekdays),
            "every_s": t.every_s,
            "every_days": t.every_days,
            "month_day": t.month_day,
            "month_week": t.month_week,
            "month_weekday": t.month_weekday,
            "every_months": t.every_months,
            "holiday": t.holiday,
        } for t in self.timers]

    def restore(self, kept: list[dict[str, Any]], now: int) -> None:
        """The timers of the skills' file (parse_kept's), at sample `now`."""
        wall = self.clock().timestamp()
        for saved in kept:
            repeat = {key: saved[key] for key in ("every_s", "every_days", "month_day", "month_week", "month_weekday",
                                                  "every_months", "holiday")}
            timer = Timer(saved["name"], saved["seconds"], now, kind=saved["kind"], at=saved["at"],
                          weekdays=tuple(saved["weekdays"]), **repeat)
            if _SKILL_OF_KIND[timer.kind] not in self.enabled:
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
                elif left < -RING_LATE_S and timer.repeats:
                    timer = self._next_repeat(timer, now)
                elif left < -RING_LATE_S:
                    log.warning("%s ran out %.0f minutes ago while the assistant was not running: dropped",
                                timer.called, -left / 60)
                    continue
                else:
                    timer.due = now + round(max(left, 0.0) * SAMPLE_RATE)
            self._add(timer)
        if self.timers:
            log.info("%d timers, alarms and reminders kept from before the restart", len(self.timers))

    # ------------------------------------------------------------------------------------- running

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
                elif alarm.repeats:  # "every hour": again in an hour; monthly next month
                    self._add(self._next_repeat(alarm, now))
            self._rung_at, self._rung = now, done
            self.changed(now)
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
            elif alarm.repeats:
                followed.append(self._next_repeat(alarm, now))
            else:
                log.warning("%s: its time passed %.0f minutes ago as the clock was set: dropped", alarm.called,
                            (now - due) / SAMPLE_RATE / 60)
        moved = [t.at for t in followed] != [t.at for t in self.timers]  # dropped, or set for the next day
        self.timers = sorted(followed, key=lambda t: t.due)
        if moved:
            self.changed(now)

    def _next_repeat(self, reminder: Timer, now: int) -> Timer:
        """A reminder every so often, every so many days, months or years (rung, or missed) set for its next time
        after now, on its beat (days, months and years on the wall clock: the same time across a DST change)."""
        moment = self.clock()
        at = reminder.at or moment
        if reminder.holiday:
            at = _on_holiday(reminder.holiday, at, after=max(moment, at))
        elif reminder.month_day or reminder.month_week:
            at = _in_month(reminder.monthly_on, at, after=max(moment, at), every=reminder.every_months)
        elif reminder.every_days:
            steps = max(1, (max(moment, at).date() - at.date()).days // reminder.every_days)
            while (later := at + timedelta(days=steps * reminder.every_days)) <= max(moment, at):
                steps += 1
            at = later
        else:
            steps = max(1, math.floor((moment - at).total_seconds() / reminder.every_s) + 1)
            at += timedelta(seconds=steps * reminder.every_s)
        return dataclasses.replace(reminder, due=_due_at(at, moment, now), at=at)

    def _next_week_day(self, alarm: Timer, now: int) -> Timer:
        """A weekly `alarm` (rung, or missed) set for its next day after the one it was set for and after now."""
        moment = self.clock()
        at = alarm.at or moment
        while at <= moment or at == alarm.at:
            at = next(at + timedelta(days=d) for d in range(1, 8) if (at + timedelta(days=d)).weekday() in
                      alarm.weekdays)  # same time on the wall: across a DST change too
        return dataclasses.replace(alarm, due=_due_at(at, moment, now), at=at)

    def which_answer(self, normalized: str) -> TimerRequest | None:
        """The answer to "Say which one to cancel" (pause, resume, add time to, change), as the request it
        completes: "the pasta one", "rice", "the 10 minute one", "the 7 am one", "both"; else None."""
        asked, words = self._asked_which, normalized.split()
        if asked is None or len(words) > 6 or _NOTHING.match(normalized):
            return None
        if {"both", "all", "every", "each"} & set(words):
            return dataclasses.replace(asked, every=True)
        said = " ".join(w for w in words if w not in _WHICH_FILLER)
        if not said:
            return None
        if asked.intent.startswith("timer"):
            length = parse_duration(said)
            for timer in self._timers():
                if same_name(said, timer.name) or (length is not None and round(length.seconds) == timer.seconds):
                    return dataclasses.replace(asked, name=timer.name)
            return None
        if asked.intent.startswith("alarm"):
            at = parse_clock_time(f"at {said}") or parse_clock_time(said)
            if at is None:
                return None
            return dataclasses.replace(asked, changed=at) if asked.intent == "alarm_change" else (
                dataclasses.replace(asked, at=at))
        return dataclasses.replace(asked, name=said)  # a reminder, by what it is about

    def reminder_request(self, normalized: str, words: list[str]) -> TimerRequest | None:
        again = _AGAIN.match(normalized)
        if again and self._rung:  # just after a reminder rang: a snooze
            duration = parse_duration(again["rest"] or "")
            return TimerRequest("alarm_snooze", duration.seconds if duration else None)
        asked = parse_reminder(normalized) or parse_calendar_entry(normalized)
        if asked is not None and asked.unkept_repeat:
            return TimerRequest("reminder_unkept")
        if asked is not None:
            return TimerRequest("reminder_set", asked.seconds, asked.what, at=asked.at, when=normalized,
                                every_s=asked.every_s, every_days=asked.every_days, every_months=asked.every_months,
                                monthly_on=asked.monthly_on, by_place=asked.by_place, for_calendar=asked.for_calendar)
        if self._asked_what is not None and len(words) <= MAX_WORDS and not _NOTHING.match(normalized):
            # the answer to "What should I remind you of?" ("call mom", "to call mom at 5", "that the oven is on"),
            # read with the request it answers: "remind me tomorrow" then "call mom at 5" is 5 PM tomorrow
            said = self._asked_what
            told = parse_reminder(f"{said} {normalized}") or parse_reminder(f"{said} to {normalized}")
            if told is not None and told.what:
                return TimerRequest("reminder_set", told.seconds, told.what, at=told.at, every_s=told.every_s,
                                    every_days=told.every_days, every_months=told.every_months,
                                    monthly_on=told.monthly_on)
        if _ASKED_REMINDERS.match(normalized):
            return TimerRequest("reminder_list")
        talk = CHATTER - {"about"}  # "cancel the reminder about the dentist" is a request
        if (_REMINDER_WORDS & set(words) and len(words) <= MAX_WORDS and not DEFINITION.search(normalized)
                and not talk & set(words)):
            if _CANCEL_WORDS & set(words) or _TURN_OFF.search(normalized):
                about = re.search(r"\b(?:to|about|that) (?P<what>.+)$", normalized)
                return TimerRequest("reminder_cancel", name=about["what"] if about else "",
                                every="all" in words or "reminders" in words)
            if _ASK_WORDS & set(words):
                return TimerRequest("reminder_list")
        if self._asked_when is not None and len(words) <= 6:  # the answer to "When should I remind you ...?"
            at = parse_when(normalized)
            duration = parse_duration(normalized)
            if at is not None or duration is not None:
                return TimerRequest("reminder_set", duration.seconds if duration else None, self._asked_when, at=at)
        return None

    def _reminders(self, request: TimerRequest) -> str:
        """The reminders listed, or cancelled: by what they are about, or all."""
        moment = self.clock()
        reminders = [t for t in self.timers if t.kind == "reminder"]
        if not reminders:
            return "You have no reminders."
        if request.intent == "reminder_list":
            said = spoken_list([f"{t.name} {'' if t.every_s else 'at '}{t.when(moment)}" for t in reminders])
            return f"You have {'a reminder' if len(reminders) == 1 else 'reminders'} {said}."
        wanted = set(request.name.replace("my ", "your ").split()) - {"the", "a", "to", "about"}
        chosen = reminders if request.every else [t for t in reminders if wanted <= set(t.name.split())]
        if not chosen:
            return f"You have no such reminder. Your reminders are {spoken_list([t.name for t in reminders])}."
        if len(chosen) > 1 and not request.every:
            self._asked_which = request
            return _say_which(chosen, "reminders", "cancel")
        self.timers = [t for t in self.timers if t not in chosen]
        return (f"Okay, I've cancelled the reminder {chosen[0].name}." if len(chosen) == 1
                else f"Okay, I've cancelled your {number_words(len(chosen))} reminders.")

    def _set_reminder(self, request: TimerRequest, now: int) -> tuple[str, str]:
        moment = self.clock()
        if not request.name:
            self._asked_what = request.when
            if request.at is None and request.seconds is None and not request.repeats:
                # "remind me" alone: an example of it all in one go
                return ("reminder_ask", "What should I remind you of? Say, for example: remind me to call mom "
                                                  "at five PM.")
            return ("reminder_ask", "What should I remind you of?")
        question = _when_unknown(request, moment)
        if question is not None:
            self._asked_when = request.name
            return ("reminder_ask", question)
        if len(self.timers) >= MAX_TIMERS:
            return ("reminder_set", f"You already have {number_words(MAX_TIMERS)} timers, alarms and "
                                              "reminders. Cancel one first.")
        if request.every_days or request.every_months or request.monthly_on:
            return self._set_on_calendar(request, now)
        if request.every_s:
            if not MIN_REPEAT_S <= request.every_s <= MAX_TIMER_S:
                return ("reminder_ask", "I can repeat a reminder every five minutes up to once a day.")
            at = request.at.next_after(moment) if request.at else moment + timedelta(seconds=request.every_s)
            reminder = Timer(request.name, 0, _due_at(at, moment, now), kind="reminder", at=at,
                             every_s=request.every_s)
            self._add(reminder)
            first = f", starting at {spoken_time(at)}" if request.at else ""
            return ("reminder_set", f"Okay, I'll remind you {request.name} {spoken_every(request.every_s)}{first}.")
        if request.at is not None:
            at = _daytime(request.at, moment).next_after(moment)
            seconds = round(at.timestamp() - moment.timestamp())
            weekdays = tuple(sorted(request.at.weekdays)) if request.at.weekly else ()
        else:
            seconds = round(request.seconds or 0)
            if not 1 <= seconds <= MAX_TIMER_S:
                return ("reminder_set", "I can remind you from a second up to twenty-four hours ahead, or "
                                                  "at a time of day.")
            at, weekdays = moment + timedelta(seconds=seconds), ()
        reminder = Timer(request.name, 0, now + seconds * SAMPLE_RATE, kind="reminder", at=at, weekdays=weekdays)
        self._add(reminder)
        when = f"in {spoken_duration(seconds)}" if request.at is None else f"at {reminder.when(moment)}"
        return ("reminder_set", f"Okay, I'll remind you {request.name} {when}.")

    def _set_on_calendar(self, request: TimerRequest, now: int) -> tuple[str, str]:
        """A reminder every so many days ("every other day", "every other Thursday"), months ("on the 1st of every
        month", "every 3 months") or years ("every year on March 3rd", "every year on Thanksgiving"), at the time said
        (the waking day's, without AM or PM) or 9 AM. It starts on the day said, else today (if its time is still to
        come); a day of the month said alone ("on the 1st of every 3 months") is its next."""
        moment = self.clock()
        said = request.at
        if said is None:
            time = ClockTime(MORNING_HOUR, 0, "am")
        else:
            time = _daytime(dataclasses.replace(said, weekly=True), moment)
        on = said.on_date if said is not None else None
        every_months, holiday = request.every_months, ""
        if not 0 <= request.every_days <= MAX_EVERY_DAYS or not 0 <= every_months <= MAX_EVERY_MONTHS:
            return ("reminder_ask", "I can repeat a reminder every few days up to once a year, and every month up to "
                                    "every ten years.")
        monthly_on = request.monthly_on
        if request.every_days or (monthly_on is None and on is not None and (on.month or on.holiday)):
            at = time.next_after(moment)  # on the date, holiday or day of the week said, else today's or tomorrow's
            monthly_on = MonthDay(at.day)
            if on is not None and on.holiday and every_months == 12:
                holiday = on.holiday  # on its day each year, though that date moves
        else:
            said_day = monthly_on is not None or on is not None
            monthly_on = monthly_on or MonthDay(on.day if on is not None else moment.day)
            start = moment.replace(hour=time.hours[0], minute=time.minute, second=0, microsecond=0)
            at = _in_month(monthly_on, start, after=moment, every=1 if said_day else every_months)
        if not (request.every_days or every_months):  # "on the last day of the month": this month's, once
            reminder = Timer(request.name, 0, _due_at(at, moment, now), kind="reminder", at=at)
            self._add(reminder)
            return ("reminder_set", f"Okay, I'll remind you {request.name} at {reminder.when(moment)}.")
        by_month = not (request.every_days or holiday)
        reminder = Timer(request.name, 0, _due_at(at, moment, now), kind="reminder", at=at,
                         every_days=request.every_days, month_day=monthly_on.day if by_month else 0,
                         month_week=monthly_on.week if by_month else 0,
                         month_weekday=monthly_on.weekday if by_month else 0,
                         every_months=every_months or 1, holiday=holiday)
        self._add(reminder)
        if every_months and every_months % 12 == 0:  # the date said with it: no need to say when it starts
            return ("reminder_set", f"Okay, I'll remind you {request.name} at {reminder.repeat_said(at)}.")
        days = (at.date() - moment.date()).days
        date = spoken_date(at).removesuffix(f", {moment.year}")
        first = "today" if days == 0 else "tomorrow" if days == 1 else date  # the day in full: it may be weeks on
        return ("reminder_set",
                f"Okay, I'll remind you {request.name} at {reminder.repeat_said(at)}, starting {first}.")

    def _alarm_request(self, normalized: str, words: list[str], seconds: float | None) -> TimerRequest | None:
        if "snooze" in words:
            return TimerRequest("alarm_snooze", seconds)
        change = _CHANGE_ALARM.search(normalized)
        if change is not None:
            to = parse_clock_time("at " + change["to"]) or parse_clock_time(change["to"])
            weekdays, weekly = parse_days(change["which"])  # "my weekday alarm"
            return None if to is None else TimerRequest("alarm_change", at=to, changed=parse_clock_time(
                change["which"]), weekdays=tuple(sorted(weekdays)) if weekly else ())
        at = parse_clock_time(normalized)
        if at is not None:
            at = self._morning(at, bool(_WAKE_ME.search(normalized)) or at.weekly)  # a weekly one wakes too
        every = "all" in words or "alarms" in words
        if _CANCEL_WORDS & set(words) or _TURN_OFF.search(normalized):
            weekdays, weekly = parse_days(normalized)
            return TimerRequest("alarm_cancel", at=at, every=every, weekdays=tuple(sorted(weekdays)) if weekly else ())
        if at is not None:
            return TimerRequest("alarm_set", at=at)
        if seconds is not None:  # "wake me up in twenty minutes": an alarm at the time it comes
            return TimerRequest("alarm_set", seconds)
        if _ASK_WORDS & set(words):
            return TimerRequest("alarm_list")
        if _SET_WORDS & set(words) or _WAKE_ME.search(normalized):
            when = " ".join(normalized[start:end] for start, end in when_spans(normalized))
            return TimerRequest("alarm_set", name="wake" if _WAKE_ME.search(normalized) else "alarm", when=when)
        return None

    @staticmethod
    def _morning(at: ClockTime, wake: bool) -> ClockTime:
        """"Wake me up at 7" is the morning's, and so is a weekly alarm's 7 ("every weekday at 7", said in the
        afternoon, was 7 PM every weekday); "set an alarm for 7" is the next 7."""
        if wake and at.meridiem is None and 4 <= at.hour <= 11:
            return dataclasses.replace(at, meridiem="am")
        return at

    def _alarm(self, request: TimerRequest, now: int) -> str:
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
            reminders = all(t.kind == "reminder" for t in self._rung)
            self._rung_at, self._rung = None, []
            if reminders:
                return f"Okay, I'll remind you again in {spoken_duration(seconds)}."
            return f"Okay, snoozing for {spoken_duration(seconds)}."
        if request.intent == "alarm_set":
            if request.at is None and request.seconds is None:
                self._asked_alarm, self._asked_alarm_when = request.name, request.when
                return "For what time?"
            if len(self.timers) >= MAX_TIMERS:
                return f"You already have {number_words(MAX_TIMERS)} timers and alarms. Cancel one first."
            if request.at is not None:
                at = request.at.next_after(moment)
                weekdays = tuple(sorted(request.at.weekdays)) if request.at.weekly else ()
            elif 1 <= round(request.seconds or 0) <= MAX_TIMER_S:  # "in 20 minutes": at the time it comes
                at, weekdays = moment + timedelta(seconds=round(request.seconds or 0)), ()
            else:
                return "I can set an alarm up to twenty-four hours from now, or for a time of day."
            alarm = Timer(spoken_time(at), 0, _due_at(at, moment, now), kind="alarm", at=at, weekdays=weekdays)
            if any(t.at == at and t.weekdays == weekdays for t in alarms):
                return f"You already have an alarm for {alarm.when(moment)}."
            self._add(alarm)
            after = f", in {spoken_duration(request.seconds)}" if request.at is None and request.seconds else ""
            return f"Okay, alarm for {alarm.when(moment)}{after}."
        if request.intent == "alarm_change":
            return self._change_alarm(request, alarms, now)
        if request.intent == "alarm_list":
            if not alarms:
                return "You have no alarms set."
            when = spoken_list([t.when(moment) for t in alarms])
            first = alarms[0].at  # (soonest first) "how long until my alarm" is answered too
            left = "" if first is None else f"{', the first' if len(alarms) > 1 else ','} in " + spoken_duration(
                max(60, 60 * round((first - moment).total_seconds() / 60)))
            return f"You have {'an alarm' if len(alarms) == 1 else 'alarms'} for {when}{left}."
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
            self._asked_which = request
            return _say_which(chosen, "alarms", "cancel")
        self.timers = [t for t in self.timers if t not in chosen]
        return f"Okay, I've cancelled {_yours(chosen)}."

    def _change_alarm(self, request: TimerRequest, alarms: list[Timer], now: int) -> str:
        """Moves the alarm `request` names (or the only one) to its new time: on the alarm's own day, or days, unless
        others are said; in the alarm's half of the day unless AM or PM is said ("change my 7 am alarm to 8": 8 AM)."""
        if not alarms:
            return "You have no alarms set."
        moment = self.clock()
        changed = request.changed
        chosen = [t for t in alarms if (changed is None or (t.at is not None and changed.matches(t.at)))
                  and (not request.weekdays or t.weekdays == request.weekdays)]
        if not chosen:
            return f"You have no such alarm. Your alarms are for {_names(alarms)}."
        if len(chosen) > 1:
            self._asked_which = request
            return f"You have {number_words(len(chosen))} alarms: {_names(chosen)}. Say which one to change."
        (alarm,) = chosen
        new = request.at
        assert new is not None and alarm.at is not None  # (read with a time; alarms are set for one)
        if new.meridiem is None and 1 <= new.hour <= 12:
            new = dataclasses.replace(new, meridiem="pm" if alarm.at.hour >= 12 else "am")
        days_said = new.tomorrow or new.weekdays or new.on_date or new.days_later
        if alarm.weekdays and not days_said:
            new = dataclasses.replace(new, weekdays=frozenset(alarm.weekdays), weekly=True)
        at = new.next_after(moment)
        if not (days_said or alarm.weekdays):  # the alarm's own day, if that time is still to come
            own_day = datetime.combine(alarm.at.date(), at.time())
            at = own_day if own_day > moment else at
        weekdays = tuple(sorted(new.weekdays)) if new.weekly else ()
        if any(t.at == at and t.weekdays == weekdays for t in alarms if t is not alarm):
            return f"You already have an alarm for {spoken_time(at)}."
        self.timers.remove(alarm)
        moved = Timer(spoken_time(at), 0, _due_at(at, moment, now), kind="alarm", at=at, weekdays=weekdays)
        self._add(moved)
        return f"Okay, I've moved your {alarm.name} alarm to {moved.when(moment)}."

    def _add(self, timer: Timer) -> None:
        self.timers.append(timer)
        self.timers.sort(key=lambda t: t.due)

    def _set(self, request: TimerRequest, now: int) -> tuple[str, str]:
        if request.seconds is None:
            self._asked_how_long = request.name
            return ("timer_ask", "For how long?")
        lengths = [(round(request.seconds), request.name)] + [(round(s), n) for s, n in request.others]
        if not all(1 <= seconds <= MAX_TIMER_S for seconds, _ in lengths):
            return ("timer_set", "I can set timers from one second up to twenty-four hours.")
        if len(self.timers) + len(lengths) > MAX_TIMERS:
            return ("timer_set", f"You already have {number_words(len(self.timers))} timers. Cancel one first.")
        named = any(name for _, name in lengths)
        said = []
        for seconds, name in lengths:
            self._add(Timer(name or duration_name(seconds), seconds, now + seconds * SAMPLE_RATE))
            if len(lengths) == 1:  # "pasta timer for eight minutes", "eight minutes"
                said.append((f"{name} timer for " if name else "") + spoken_duration(seconds))
            elif named:  # "a timer for ten minutes and a pasta timer for eight minutes"
                kind = f"{name} timer" if name else "timer"
                said.append(f"{indefinite_article(kind)} {kind} for {spoken_duration(seconds)}")
            else:
                said.append(f"one for {spoken_duration(seconds)}")
        several = f"{number_words(len(said))} timers, " if len(lengths) > 1 and not named else ""
        return ("timer_set", f"Okay, {several}{spoken_list(said)}, starting now.")

    def _left(self, request: TimerRequest, now: int) -> str:
        running = self._timers()
        if not running:
            return "You have no timers running."
        timers = [t for t in running if (request.name and same_name(request.name, t.name)) or (
            not request.name and t.seconds == round(request.seconds or 0))] or running
        said = [f"your {t.name} timer {'is paused with' if t.paused_left is not None else 'has'} "
                f"{time_left(t.left_s(now))} left" for t in timers]
        text = spoken_list(said)
        return text[0].upper() + text[1:] + "."

    def _cancel(self, request: TimerRequest, now: int) -> tuple[str, str]:
        rang_lately = self._rung_at is not None and now - self._rung_at < RECENTLY_RUNG_S * SAMPLE_RATE
        if rang_lately and not (request.every or request.name or request.seconds is not None):
            self._rung_at = None  # the user has noticed; the one that rang is already off the list
            return ("timer_cancel", "Okay.")
        timers = self._pick(request, "cancel", self._timers())
        if isinstance(timers, str):
            return ("timer_cancel", timers)
        self.timers = [t for t in self.timers if t not in timers]
        return ("timer_cancel", f"Okay, I've cancelled {_yours(timers)}.")

    def _pause(self, request: TimerRequest, now: int, pause: bool) -> str:
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

    def _more(self, request: TimerRequest, now: int) -> str:
        """More time on running (or paused) timers; on one that just rang, it runs again for that long."""
        seconds = round(request.seconds or 0)
        rang_lately = self._rung_at is not None and now - self._rung_at < RECENTLY_RUNG_S * SAMPLE_RATE
        rung = [t for t in self._rung if t.kind == "timer"] if rang_lately else []
        if not self._timers() and rung and not request.name:
            for timer in rung:
                self._add(Timer(timer.name, seconds, now + seconds * SAMPLE_RATE))
            self._rung_at, self._rung = None, []
            return f"Okay, {_yours(rung)} {'is' if len(rung) == 1 else 'are'} back on for {spoken_duration(seconds)}."
        timers = self._pick(dataclasses.replace(request, seconds=None), "add time to", self._timers(), asked=request)
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

    def _pick(self, request: TimerRequest, verb: str, candidates: list[Timer],
              asked: TimerRequest | None = None) -> list[Timer] | str:
        """The timers among `candidates` that `request` names, or what to say when there are none or it is unclear
        which ("You have two timers: ..."; the answer completes `asked`, by default `request`)."""
        if not candidates:
            return "You have no paused timers." if verb == "resume" else "You have no timers running."
        if request.every:
            return candidates
        if request.name or request.seconds is not None:
            timers = [t for t in candidates
                      if same_name(request.name, t.name)
                      or (not request.name and t.seconds == round(request.seconds or 0))]
            return timers[:1] or f"You have no such timer. Your timers are {_names(self._timers())}."
        if len(candidates) == 1:
            return candidates
        self._asked_which = asked or request
        return _say_which(candidates, "timers", verb)

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


def parse_kept(kept: object) -> list[dict[str, Any]]:
    """The timers of a decoded skills file, checked; ValueError says what is wrong."""
    if not isinstance(kept, list):
        raise ValueError("no list of timers")
    out = []
    for index, saved in enumerate(kept):
        try:
            when = saved["due_at"], saved["paused_left_s"]
            ok = (isinstance(saved["name"], str) and isinstance(saved["seconds"], int | float)
                  and saved["kind"] in _SKILL_OF_KIND
                  and (saved["at"] is None or isinstance(saved["at"], str))
                  and sum(isinstance(w, int | float) for w in when) == 1 and None in when)
            at = datetime.fromisoformat(saved["at"]) if saved["at"] else None
            weekdays = saved.get("weekdays", [])  # not in files written before weekly alarms
            every_s = saved.get("every_s", 0)  # nor before reminders every so often
            month_day = saved.get("month_day", 0)  # nor before monthly ones
            every_days = saved.get("every_days", 0)  # nor before ones every so many days, months or years
            month_week, month_weekday = saved.get("month_week", 0), saved.get("month_weekday", 0)
            every_months = saved.get("every_months", 1)
            holiday = saved.get("holiday", "")
            ok = ok and isinstance(weekdays, list) and (not weekdays or at is not None) and all(
                isinstance(d, int) and 0 <= d <= 6 for d in weekdays)
            ok = ok and isinstance(every_s, int) and every_s >= 0 and (not every_s or at is not None)
            ok = ok and isinstance(month_day, int) and -1 <= month_day <= 31 and (not month_day or at is not None)
            ok = ok and month_week in (-1, 0, 1, 2, 3, 4) and month_weekday in range(7) and (
                not month_week or at is not None)
            ok = ok and isinstance(every_days, int) and 0 <= every_days <= MAX_EVERY_DAYS and (
                not every_days or at is not None)
            ok = ok and isinstance(every_months, int) and 1 <= every_months <= MAX_EVERY_MONTHS
            ok = ok and (holiday == "" or (holiday in _HOLIDAY_NAMES and at is not None))
        except (TypeError, KeyError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"timer {index} is not a timer")
        out.append({**saved, "at": at, "weekdays": sorted(set(weekdays)), "every_s": every_s, "every_days": every_days,
                    "month_day": month_day, "month_week": month_week, "month_weekday": month_weekday,
                    "every_months": every_months, "holiday": holiday})
    return out


def _every_days_said(every_days: int, weekday: str) -> str:
    """How often a reminder every so many days comes: "every other day", "every three days", "every Friday" (7),
    "every other Friday" (14), "every three weeks on Friday"."""
    weeks, days = divmod(every_days, 7)
    if days:
        return "every day" if every_days == 1 else "every other day" if every_days == 2 else \
            f"every {number_words(every_days)} days"
    return f"every {weekday}" if weeks == 1 else f"every other {weekday}" if weeks == 2 else \
        f"every {number_words(weeks)} weeks on {weekday}"


def _due_at(at: datetime, moment: datetime, now: int) -> int:
    """The sample at which wall-clock `at` comes, `moment` being sample `now` (by timestamps: local times, across a
    change to summer time too)."""
    return now + round(at.timestamp() - moment.timestamp()) * SAMPLE_RATE


def _in_month(day: MonthDay, at: datetime, after: datetime, every: int = 1) -> datetime:
    """The first `day` of a month at `at`'s time of day, in `at`'s month or every `every` months on, after
    `after`."""
    months = at.year * 12 + at.month - 1
    while True:
        year, month = divmod(months, 12)
        candidate = at.replace(year=year, month=month + 1, day=day.in_month(year, month + 1))
        if candidate > after:
            return candidate
        months += every


def _on_holiday(name: str, at: datetime, after: datetime) -> datetime:
    """The holiday named `name`'s first day whose `at`'s time of day is after `after`."""
    for day in next_dates(name, after.date()):
        candidate = at.replace(year=day.year, month=day.month, day=day.day)
        if candidate > after:
            return candidate
    raise ValueError(f"no {name} after {after}")  # next_dates gives two: the first can only be today


def _daytime(at: ClockTime, moment: datetime) -> ClockTime:
    """A reminder's time said without AM or PM: the next such time if that is today ("at 8" at 3 PM is 8 PM), but on
    another day, or every week, the waking day's: 6 to 11 the morning's, 12 to 5 the afternoon's ("remind me tomorrow
    at 5 to call the bank" is 5 PM, not 5 AM; "every day at 8 to take my pills" 8 AM)."""
    if at.meridiem is not None or at.part is not None or not 1 <= at.hour <= 12:
        return at
    if not at.weekly and at.next_after(moment).date() == moment.date():
        return at
    return dataclasses.replace(at, meridiem="am" if 6 <= at.hour <= 11 else "pm")


def _when_unknown(request: TimerRequest, moment: datetime) -> str | None:
    """What to ask when `request`, a reminder, says no time it can be set for at `moment`, else None: none said, or
    today's part of the day past its time ("this morning" at 3 PM, "tonight" at 9 PM: not the past, nor tomorrow's
    against the "this" said)."""
    if request.at is None and request.seconds is None and not request.repeats and request.monthly_on is None:
        if request.by_place:
            return f"I can't tell where you are, so I can't remind you there. When should I remind you {request.name}?"
        return f"When should I remind you {request.name}?"
    part = request.at.part if request.at else None
    if part is None or not part.passed(moment):
        return None
    if part.over(moment):
        return f"{part.said.capitalize()} is over. When should I remind you {request.name}?"
    return f"At what time {part.said}?"


def _say_which(timers: Sequence[Timer], kind: str, verb: str) -> str:
    """What to ask when a request fits several: "You have two alarms: seven o'clock AM and ... Say which one to
    cancel, or cancel all alarms."."""
    return (f"You have {number_words(len(timers))} {kind}: {_names(timers)}. Say which one to {verb}, or {verb} all "
            f"{kind}.")


def _names(timers: Sequence[Timer]) -> str:
    return spoken_list([t.name for t in timers])


def _yours(timers: Sequence[Timer]) -> str:
    return f"your {timers[0].called}" if len(timers) == 1 else f"your {number_words(len(timers))} {timers[0].kind}s"


# Where a request for several timers starts the next one: "... and another for 5 minutes", "... and 1 for 10
# minutes" (text_norm writes "one" as "1"), "... and a rice timer for 15 minutes", "... and a 10 minute timer".
# ("1 hour and 30 minutes", "an hour and a half" are one length; "10 minutes and 5 minutes" two, see _length_again.)
_NEXT_TIMER = re.compile(r"^(?:then |also )?(?:another|1 for|a second|a third|1 more|(?:a|an) (?:\S+ ){1,3}timer)\b")


def _several_timers(normalized: str) -> list[tuple[float, str]]:
    """The timers (length, name) a request for several sets at once, or [] for one or none."""
    pieces: list[str] = []
    for piece in re.split(r" and | (?=(?:then )?another\b)", normalized):  # (text_norm drops commas)
        if pieces and not _NEXT_TIMER.match(piece) and not _length_again(pieces[-1], piece):
            pieces[-1] += f" and {piece}"  # "1 hour and 30 minutes": the same timer's
        else:
            pieces.append(piece)
    lengths = [(parse_duration(piece), piece) for piece in pieces]
    if len(pieces) < 2 or not all(duration for duration, _ in lengths):
        return []
    return [(d.seconds, _timer_name(words_outside(piece, d.spans))) for d, piece in lengths if d is not None]


def _length_again(before: str, after: str) -> bool:
    """Whether `after`, said after "and", starts a length of its own: its first unit is no smaller than the last
    one before ("10 minutes and 5 minutes", "for 2 hours and for 1 hour"), as one length goes down its units ("1
    hour and 30 minutes")."""
    first, last = parse_duration(after), parse_duration(before)
    return first is not None and last is not None and first.units[0] >= last.units[-1]


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
