"""The moon's phases: "what's the moon phase", "is it a full moon tonight", "when is the next full moon", "how many
days until the new moon", "is the moon waxing or waning".

A language model knows neither the date nor the sky. The times of the principal phases (new moon, first quarter,
full moon, last quarter) are sky.phase_time's (Meeus, within a few minutes of the published times). The phase on a
day is the principal one falling on it (by the device's clock), else the crescent or gibbous between two; how much
of the moon is lit comes from its elongation, taken as growing evenly between the principal phases (a few percent
off, said as "about").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime

from assistant.conversation.phrases import asked_question, within_calendar
from assistant.conversation.sky import phases_around
from assistant.conversation.spoken import spoken_day
from assistant.conversation.sun import aware

PHASES = ("new moon", "first quarter moon", "full moon", "last quarter moon")  # a quarter of a lunation apart
_BETWEEN = ("waxing crescent moon", "waxing gibbous moon", "waning gibbous moon", "waning crescent moon")  # after each

def _phase_on(now: datetime) -> tuple[str, float, list[tuple[datetime, int]]]:
    """The phase's name on `now`'s day (aware, local), the part of the moon lit at `now` (0 to 1), and the principal
    phases after `now`."""
    around = phases_around(now)
    today = now.date()
    on_today = [phase for at, phase in around if at.astimezone(now.tzinfo).date() == today]
    last = max(i for i, (at, _) in enumerate(around) if at <= now)
    (before, phase), (after, _) = around[last], around[last + 1]
    elongation = math.pi / 2 * (phase + (now - before) / (after - before))
    lit = (1 - math.cos(elongation)) / 2
    name = PHASES[on_today[0]] if on_today else _BETWEEN[phase]
    return name, lit, around[last + 1:]


_QUARTERS = r"1st quarter|last quarter|3rd quarter"  # (text_norm writes "first" as "1st")
_PHASE = rf"(?:new|full|half|quarter|{_QUARTERS}|crescent|gibbous)"
_WHEN = r"(?: (?:today|tonight|right now|now|this evening))?"
_QUESTIONS = (  # (what is asked, its pattern on the question without its asking: question_of)
    ("phase", re.compile(rf"(?:what is|whats) (?:the )?(?:moon phase|moons phase|phase of the moon|moon like){_WHEN}"
                         rf"|what (?:phase|kind of moon|moon) is (?:the moon|it|there){_WHEN}"
                         rf"|what does the moon look like{_WHEN}|moon phase{_WHEN}|how full is the moon{_WHEN}"
                         rf"|is the moon (?:waxing or waning|waning or waxing|waxing|waning|getting bigger or smaller)"
                         rf"{_WHEN}")),
    ("is", re.compile(rf"is (?:it|there|tonight|today) (?:a |the )?(?P<phase>{_PHASE}) moon{_WHEN}"
                      rf"|is the moon (?P<phase2>full|new|half full|half){_WHEN}"
                      rf"|is (?:it|there|tonight|today) (?:a |the )?(?P<phase3>{_QUARTERS}){_WHEN}")),
    ("next", re.compile(rf"(?:when|what day) (?:is|will be|will there be|s) (?:the )?(?:next )?(?P<phase>{_PHASE}) "
                        r"moon(?: be)?"
                        rf"|(?:when|what day) (?:is|will be) (?:the )?(?:next )?(?P<phase2>{_QUARTERS})(?: moon)?"
                        r"|when (?:does|will) the moon (?:next )?be (?P<phase3>full|new)"
                        rf"|how (?:many days|long) (?:is it )?(?:until|till|to|before) (?:the )?(?:next )?"
                        rf"(?:(?P<phase4>{_PHASE}) moon|(?P<phase5>{_QUARTERS}))")),
)
# The principal phases a name said may be: a half moon is either quarter.
_NAMED = {"new": (0,), "1st quarter": (1,), "half": (1, 3), "half full": (1, 3), "quarter": (1, 3), "full": (2,),
          "last quarter": (3,), "3rd quarter": (3,)}


def request(normalized: str) -> Callable[[datetime], str] | None:
    """The answer, at a moment (local), to a question about the moon's phase in `normalized`, else None."""
    found = asked_question(normalized, _QUESTIONS)
    if found is None:
        return None
    kind, match = found
    said = next((value for name, value in match.groupdict().items() if value and name.startswith("phase")), "")
    if kind == "phase":
        return within_calendar(lambda now: _phase_answer(aware(now)))
    if kind == "is":
        return within_calendar(lambda now: _is_answer(aware(now), said))
    if said in ("crescent", "gibbous"):
        return None  # not one day: the language model's
    how_long = match.string.startswith("how")
    return within_calendar(lambda now: _next_answer(aware(now), _NAMED[said], how_long))


def _phase_answer(now: datetime) -> str:
    name, lit, ahead = _phase_on(now)
    if name in PHASES:
        return f"Today is the {name}{'' if name == 'new moon' else f', {_percent(lit)} lit'}."
    coming = next((at, phase) for at, phase in ahead if phase in (0, 2))  # the next new or full moon
    lit_said = "nearly full" if lit > 0.975 else "nearly new" if lit < 0.025 else f"about {_percent(lit)} lit"
    return f"It's a {name}, {lit_said}. The {PHASES[coming[1]]} is {spoken_day(coming[0].astimezone(now.tzinfo), now)}."


def _is_answer(now: datetime, said: str) -> str:
    name, _, ahead = _phase_on(now)
    article = "the" if name in PHASES else "a"
    if said in ("crescent", "gibbous"):
        return f"{'Yes' if said in name else 'No'}, it's {article} {name}."
    wanted = _NAMED[said]
    if name in (PHASES[phase] for phase in wanted):
        return f"Yes, it's {article} {name}."
    coming, phase = next((at, phase) for at, phase in ahead if phase in wanted)
    return f"No, it's {article} {name}; the {PHASES[phase]} is {spoken_day(coming.astimezone(now.tzinfo), now)}."


def _next_answer(now: datetime, phases: tuple[int, ...], how_long: bool) -> str:
    coming, phase = next((at.astimezone(now.tzinfo), p) for at, p in phases_around(now)
                         if p in phases and at.astimezone(now.tzinfo).date() >= now.date())
    days = (coming.date() - now.date()).days
    if days == 0:
        return f"The {PHASES[phase]} is today."
    if how_long:
        return f"The {PHASES[phase]} is in {days} day{'s' if days != 1 else ''}, {spoken_day(coming, now)}."
    return f"The {'next ' if phase in (0, 2) else ''}{PHASES[phase]} is {spoken_day(coming, now)}."


def _percent(lit: float) -> str:
    return f"{round(lit * 20) * 5} percent"  # to 5 percent: the evenly growing elongation is a few percent off
