"""Days of the calendar: "how many days until Christmas" (or weeks), "how long ago was Halloween", "what day of
the week is March 5th", "when is Thanksgiving", "what's the date next Friday", "what's the date in 3 weeks", "what
season is it", "how many days between March 1st and April 15th", "when is the next holiday".

A language model does not know today's date, so it cannot count the days to anything; these are answered from
the clock. A day is said as a holiday of fixed date or rule (Christmas, New Year's Day, Halloween, Thanksgiving,
Easter, ...), a date ("March 5th", "the 4th of July", with or without a year) or a day of the week ("Friday",
"next Friday"). Without a year, the next such day is meant (today's, if it is today); after "since" or "ago",
the last one. Read on normalized text
(text_norm: "fifth" is "5th", "Valentine's" is "valentine is").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta

from assistant.conversation.holidays import HOLIDAYS
from assistant.conversation.phrases import BEYOND_CALENDAR, DAY_NAMES, MONTH_NAMES, days_ahead, question_of
from assistant.conversation.sky import season_start
from assistant.conversation.spoken import WEEKDAYS, spoken_date

_MONTH = "|".join(MONTH_NAMES)
_DATE = re.compile(rf"^(?:the )?(?:(?P<month>{_MONTH}) (?:the )?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?"
                   rf"|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month2>{_MONTH}))(?: (?P<year>\d{{4}}))?$")
_WEEKDAY = re.compile(r"^(?P<next>next |this |on |this coming |the coming |coming |last )?"
                      rf"(?P<weekday>{'|'.join(DAY_NAMES)})(?P<week> next week)?$")
_FALLS_ON = re.compile(r" (?:fall|falls|land|lands|be)(?: on)?$| on$")
_WHICH_YEAR = re.compile(r" (?P<which>this|next) year$")


Found = tuple[str, date, bool]  # a day's name as said back, the day, whether a year was said


NamedDays = Mapping[str, tuple[str, str]]  # the user's own days: normalized name -> (name said back, day said)


def read_day(said: str, today: date, past: bool = False, named: NamedDays | None = None,
             southern: bool = False) -> Found | None:
    """The day `said` names, as (its name as said back, the day, whether a year was said), the next such day
    from `today` when no year was (the last one, `past`; "this year", "next year" choose one); else None.
    `named`: the user's own days ("my birthday": ("Your birthday", "march 5th"); notes)."""
    said = _FALLS_ON.sub("", said).removeprefix("on ")  # "what's the date on Christmas"
    which = _WHICH_YEAR.search(said)
    year = None
    if which is not None:
        said, year = _FALLS_ON.sub("", said[:which.start()]), today.year + (which["which"] == "next")
    if named and said in named:
        shown, day = named[said]
        found = _read_day(day, today, year, past, southern)
        return None if found is None else (shown, *found[1:])
    return _read_day(said, today, year, past, southern)


def _in_year(make: Callable[[int], date], year: int | None, today: date, past: bool) -> date | None:
    """`make`'s day in `year`, or when none was said the next one from `today` (the last one, `past`; a leap
    day's is up to 8 years away); None if there is no such day ("February 30th")."""
    years = [year] if year is not None else range(today.year, today.year - 9, -1) if past else range(
        today.year, today.year + 9)
    for candidate in years:
        day = _made(make, candidate)
        if day is not None and (year is not None or (day <= today if past else day >= today)):
            return day
    return None


def _made(make: Callable[[int], date], year: int) -> date | None:
    """`make`'s day in `year`, or None: there is none ("February 30th") or it is past the calendar's ends (a rule
    counting from a day in the next year, in 9999)."""
    try:
        return make(year)
    except (ValueError, OverflowError):
        return None


def _season(longitude: int) -> Callable[[int], date]:
    """The local day a season starts on in a year: its equinox or solstice (sky.season_start), in the system's zone."""
    return lambda year: season_start(year, longitude).astimezone().date()


# The seasons as the sky starts them (not holidays: "is today a holiday" skips them): the sun's ecliptic longitude
# at each season's start in the northern hemisphere; south of the equator each starts half a year on. "When does
# winter start", "how many weeks until summer" ("first" is "1st" in normalized text).
_SEASONS: tuple[tuple[str, str, int], ...] = (
    (r"(?:the )?(?:1st day of |start of |beginning of )?spring|(?:the )?(?:spring|vernal) equinox", "Spring", 0),
    (r"(?:the )?(?:1st day of |start of |beginning of )?summer|(?:the )?summer solstice|midsummer", "Summer", 90),
    (r"(?:the )?(?:1st day of |start of |beginning of )?(?:fall|autumn)|(?:the )?(?:fall|autumn|autumnal) equinox",
     "Fall", 180),
    (r"(?:the )?(?:1st day of |start of |beginning of )?winter|(?:the )?winter solstice"
     r"|the shortest day(?: of the year)?", "Winter", 270),
)


# The days read by name, north and south of the equator (True): the holidays, then the seasons.
_NAMED: dict[bool, tuple[tuple[str, str, Callable[[int], date]], ...]] = {
    south: (*HOLIDAYS, *((pattern, name, _season((longitude + 180 * south) % 360)) for pattern, name, longitude
                         in _SEASONS))
    for south in (False, True)
}


# Days said from today: "what day is the day after tomorrow" (tomorrow and yesterday are the clock's: skills).
_FROM_TODAY = re.compile(r"(?:the )?day (?P<which>after tomorrow|before yesterday)")


def _read_day(said: str, today: date, year: int | None, past: bool, southern: bool = False
              ) -> tuple[str, date, bool] | None:
    match = _FROM_TODAY.fullmatch(said)
    if match:
        which = match["which"]
        return None if year is not None else _off(f"The day {which}", today, 2 if which == "after tomorrow" else -2)
    for pattern, name, in_year in _NAMED[southern]:
        match = re.fullmatch(rf"(?:the )?(?:{pattern})(?: (?P<year>\d{{4}}))?", said)
        if match:
            day = _in_year(in_year, int(match["year"]) if match["year"] else year, today, past)
            return None if day is None else (name, day, bool(match["year"]))
    match = _DATE.match(said)
    if match:
        month = MONTH_NAMES.index(match["month"] or match["month2"]) + 1
        number = int(match["day"] or match["day2"])
        day = _in_year(lambda y: date(y, month, number), int(match["year"]) if match["year"] else year, today,
                       past)
        return None if day is None else (spoken_date(_at(day)).split(", ")[1], day, bool(match["year"]))
    match = _WEEKDAY.match(said)
    if match:
        name = WEEKDAYS[DAY_NAMES.index(match["weekday"])]
        if past or match["next"] == "last ":  # "since Friday", "last Friday": the last one before today
            back = (today.weekday() - DAY_NAMES.index(match["weekday"])) % 7 or 7
            return _off(("Last " + name if match["next"] else name), today, -back)
        next_week = match["next"] == "next " or bool(match["week"])
        which = "next" if next_week else "this" if match["next"] == "this " else ""
        ahead = days_ahead(today.weekday(), DAY_NAMES.index(match["weekday"]), which)
        return _off(("Next " + name if next_week else name), today, ahead)
    return None


def _off(name: str, today: date, days: int) -> Found | None:
    """The day `days` from `today` as found, or None past the calendar's ends (year 1 to 9999)."""
    try:
        return name, today + timedelta(days=days), False
    except OverflowError:
        return None


# "until", "between now and", "from today until": a count from today (days or weeks)
_FROM_TODAY_TO = (r"(?:is it |are there |are left |left )?(?:until|till|til|before|to|between (?:now|today) and"
                  r"|from (?:now|today) (?:until|till|til|to))")
_UNTIL = re.compile(rf"^(?:how many (?:more )?(?:days|sleeps) {_FROM_TODAY_TO}"
                    r"|how long (?:is it )?(?:until|till|til|before|to)|when is) (?P<day>.+)$"
                    r"|^when (?:does|will) (?P<day2>.+?) (?:start|begin|come)$")
_WEEKS_UNTIL = re.compile(rf"^how many (?:more )?weeks {_FROM_TODAY_TO} (?P<day>.+)$")
# "how many days between March 1st and April 15th", "how many weeks from Easter to Christmas"
_BETWEEN = re.compile(r"^(?:how many (?P<unit>days|weeks)|how long) (?:are there |is it |is there )?"
                      r"(?:between (?P<between>.+)|from (?P<from>.+))$")
_AND = {"between": re.compile(r" and "), "from": re.compile(r" (?:to|until|till|til|through) ")}
# Today and the days next to it as one of two days ("between yesterday and Friday"; alone they are the clock's)
_TODAY_SIDES = {"now": 0, "today": 0, "tomorrow": 1, "yesterday": -1}
_SINCE = re.compile(r"^(?:how many (?:days|sleeps) (?:has it been |have passed |is it |ago was it |was it )?since"
                    r"|how long (?:has it been |is it |was it )?since|how long ago was|how many days ago was)"
                    r" (?P<day>.+)$")
_WEEKDAY_OF = re.compile(r"^(?:what|which) day (?:of the week )?(?:(?:is|will be|was|does|did) (?P<day>.+)"
                         r"|will (?P<day2>.+) be)$")
# ("the date of" before "the date": "what is the date of Thanksgiving" is not the date "of Thanksgiving")
_DATE_OF = re.compile(r"^(?:what is the date (?:of|for)|what (?:is|was) the date|what date (?:is|was|will it be)"
                      r"|what (?:is|was)(?= the day (?:after|before) )) (?P<day>.+)$")  # "what is the day after ..."
# "is Christmas on a weekend", "does Thanksgiving fall on a Thursday"
_IS_ON = re.compile(rf"^(?:is|does|will) (?P<day>.+?) (?:fall |land |be )?on a (?P<weekday>weekend|weekday"
                    rf"|{'|'.join(DAY_NAMES)})(?: this year| next year)?$")


_FROM_NOW = re.compile(r"^(?:what is the date|what date is it|what date will it be|what day is it|what day will it"
                       r" be|what was the date|what day was it|what date was it)"
                       r" (?:(?:in|in another) (?P<count>\d+|an?) (?P<unit>day|week|month|year)s?"
                       r"(?: from (?:now|today))?"
                       r"|(?P<count2>\d+|an?) (?P<unit2>day|week|month|year)s? (?P<when>from now|from today|ago))$")


_HOLIDAY_TODAY = re.compile(r"^(?:is (?:it|today) a holiday(?: today)?|what holiday is (?:it|today)(?: today)?"
                            r"|is there a holiday today|what is today is holiday|what are we celebrating today)$")
_NEXT_HOLIDAY = re.compile(r"^(?:(?:when|what) is the next (?:public |national |federal |big )?holiday(?: coming up)?"
                           r"|what holiday is (?:coming up )?next|how (?:many (?:more )?days|long) (?:is it |are there "
                           r"|are left |left )?(?:until|till|til|before|to) the next (?:public |national |federal )?"
                           r"holiday)$")


# "what season is it", "is it winter yet"
_SEASON_NOW = re.compile(r"^(?:what|which) season (?:is it|is this|are we in)(?: now| right now| at the moment)?$"
                         r"|^is it (?P<season>spring|summer|fall|autumn|winter)(?: yet| now| already| at the moment)?$")


def request(normalized: str, today: date, named: NamedDays | None = None,
            southern: bool = False) -> Callable[[datetime], str] | None:
    """The answer, at a moment, to a question about a day in `normalized` asked `today`, else None. `named`: the
    user's own days, `southern`: the device is south of the equator (its seasons; read_day)."""
    read = functools.partial(read_day, named=named, southern=southern)
    asked = question_of(normalized)
    if _HOLIDAY_TODAY.match(asked):
        return _holiday_today
    if _NEXT_HOLIDAY.match(asked):
        return _next_holiday
    counted = _FROM_NOW.match(asked)
    if counted:
        said = counted["count"] or counted["count2"]
        count = 1 if said in ("a", "an") else int(said)
        if count <= 100_000:  # about 270 years of days
            back = counted["when"] == "ago"
            return lambda now: _counted_day(count, counted["unit"] or counted["unit2"], back, now)
    season = _SEASON_NOW.match(asked)
    if season:
        return lambda now: _season_now(season["season"], now, southern)
    is_on = _IS_ON.match(asked)
    if is_on is not None and read(is_on["day"], today) is not None:
        return lambda now: _is_on(_found(read, is_on["day"], now, False), is_on["weekday"], now)
    answers: tuple[tuple[re.Pattern[str], Callable[[Found, datetime], str], bool], ...] = (
        (_UNTIL, _how_far, False), (_WEEKS_UNTIL, _weeks_until, False), (_SINCE, _how_far, True),
        (_WEEKDAY_OF, _weekday_of, False), (_DATE_OF, _date_of, False))
    for pattern, answer, past in answers:
        match = pattern.match(asked)
        if match is None:
            continue
        said = match["day"] or match["day2"]
        if read(said, today, past) is not None:
            return lambda now, said=said, answer=answer, past=past: answer(_found(read, said, now, past), now)
    between = _BETWEEN.match(asked)
    if between is not None:
        form = "between" if between["between"] else "from"
        if _two_days(between[form], _AND[form], today, read) is not None:
            weeks = between["unit"] == "weeks"
            return lambda now: _between(_two_days(between[form], _AND[form], now.date(), read), weeks)
    return None


def _holiday_today(now: datetime) -> str:
    """"Today is Thanksgiving.", or which holiday comes next."""
    today = now.date()
    named, coming = _holidays(today)
    if named:
        return f"Today is {' and '.join(named)}."
    if coming is None:
        return "Today is no holiday I know of."
    day, names = coming
    days = (day - today).days
    return (f"Today is no holiday I know of. The next is {' and '.join(names)}, "
            f"{'tomorrow' if days == 1 else f'in {_count(days)}'}.")


def _next_holiday(now: datetime) -> str:
    """"The next holiday is Christmas Eve, on Thursday, December the 24th, in 28 days." (after today's, if any)."""
    today = now.date()
    named, coming = _holidays(today)
    said = f"Today is {' and '.join(named)}. " if named else ""
    if coming is None:
        return f"{said}{BEYOND_CALENDAR}"
    day, names = coming
    days = (day - today).days
    holiday = f"holiday is {names[0]}" if len(names) == 1 else f"holidays are {' and '.join(names)}"
    when = "tomorrow" if days == 1 else f"on {_spoken(day, ' and '.join(names), now)}, in {_count(days)}"
    return f"{said}The next {holiday}, {when}."


def _holidays(today: date) -> tuple[list[str], tuple[date, list[str]] | None]:
    """The names of `today`'s holidays, and the next day with holidays and theirs (None after New Year's Eve 9999)."""
    holidays = sorted((day, name) for _, name, make in HOLIDAYS if (day := _made(make, today.year)) is not None)
    if today.year < 9999:
        holidays.append((date(today.year + 1, 1, 1), "New Year's Day"))
    day = next((day for day, _ in holidays if day > today), None)
    return ([name for on, name in holidays if on == today],
            None if day is None else (day, [name for on, name in holidays if on == day]))


def _season_now(asked: str | None, now: datetime, southern: bool) -> str:
    """"It's fall. Winter starts in 25 days, on ...": the season begun last (one starts on its equinox or solstice
    day), and the next; "Yes, ..." or "No, ..." to `asked` ("is it winter")."""
    today = now.date()
    seasons = _NAMED[southern][len(HOLIDAYS):]
    names = [name for _, name, _ in seasons]
    begun = [(day, name) for _, name, make in seasons if (day := _in_year(make, None, today, True)) is not None]
    coming = sorted((day, name) for _, name, make in seasons
                    if (day := _in_year(make, None, today, False)) is not None and day > today)
    # the one before the next (in the year 1 none has begun yet), else the last begun (none comes after 9999)
    season = names[names.index(coming[0][1]) - 1] if coming else max(begun)[1]
    said = f"{season} starts today." if (today, season) in begun else f"It's {season.lower()}."
    if asked is not None:
        right = season == {"autumn": "Fall"}.get(asked, asked.capitalize())
        said = f"{'Yes' if right else 'No'}, {said[0].lower()}{said[1:]}"
    if not coming:
        return said
    day, name = coming[0]
    days = (day - today).days
    return f"{said} {name} starts {'tomorrow' if days == 1 else f'in {_count(days)}, on {_spoken(day, name, now)}'}."


def _two_days(said: str, middle: re.Pattern[str], today: date, read: Callable[..., Found | None]
              ) -> tuple[Found, Found] | None:
    """The two days `said` names either side of `middle` ("march 1st and april 15th"), else None. Without years the
    first is the next such day (read_day) and the second the first such on or after it; a second said with a
    year or from today ("now") is that day, and the first then the last such on or before it."""
    for split in middle.finditer(said):
        first, second = said[:split.start()], said[split.end():]
        from_today = _today_side(second, today)
        end = from_today or read(second, today)
        if end is None:
            continue
        fixed = from_today is not None or end[2]  # "between Halloween and now": the last Halloween
        start = _today_side(first, today) or read(first, end[1] if fixed else today, fixed)
        if start is not None and not fixed:
            end = read(second, start[1])
        if start is not None and end is not None:
            return start, end
    return None


def _today_side(said: str, today: date) -> Found | None:
    """Today or a day said from it ("now", "yesterday", "the day after tomorrow") as one of two days, else None."""
    if said in _TODAY_SIDES:
        return _off("today" if said == "now" else said, today, _TODAY_SIDES[said])
    return _read_day(said, today, None, False) if _FROM_TODAY.fullmatch(said) else None


def _between(days: tuple[Found, Found] | None, weeks: bool) -> str:
    """"From March the 1st to April the 15th is 45 days." (in weeks and days, `weeks`)."""
    assert days is not None  # (request read them)
    first, second = (_within(name) + (f", {day.year}" if year_said else "") for name, day, year_said in days)
    length = abs((days[1][1] - days[0][1]).days)
    if length == 0:
        return f"{first[0].upper()}{first[1:]} and {second} are the same day."
    return f"From {first} to {second} is {_weeks(length) if weeks else _count(length)}."


def _within(name: str) -> str:
    """A day's name as said within a sentence: "next Friday", "the day after tomorrow", but "Christmas"."""
    return name[0].lower() + name[1:] if name.startswith(("Next ", "Last ", "The day ")) else name


def _found(read: Callable[..., Found | None], said: str, now: datetime, past: bool) -> Found:
    found = read(said, now.date(), past)
    assert found is not None  # (request read it)
    return found


def _weeks_until(found: Found, now: datetime) -> str:
    """"Christmas is in 4 weeks and 1 day, on ..." (in days, under a week)."""
    name, day, _ = found
    days = (day - now.date()).days
    if days < 7:
        return _how_far(found, now)
    return f"{name} is in {_weeks(days)}, on {_spoken(day, name, now)}."


def _how_far(found: Found, now: datetime) -> str:
    """How far a day is from today, either way: "Christmas is in 29 days, on ...", "... was 3 days ago, on ..."."""
    name, day, _ = found
    days = (day - now.date()).days
    if days == 0:
        return f"{name} is today!"
    if abs(days) == 1:
        return f"{name} {'is tomorrow' if days > 0 else 'was yesterday'}."
    if days < 0:
        return f"{name} was {_count(-days)} ago, on {_spoken(day, name, now)}."
    on = WEEKDAYS[day.weekday()] if days < 7 else _spoken(day, name, now)
    if on == name.split()[-1]:  # "Saturday is in 2 days", not "..., on Saturday"
        return f"{name} is in {_count(days)}."
    return f"{name} is in {_count(days)}, on {on}."


def _counted_day(count: int, unit: str, back: bool, now: datetime) -> str:
    """"In 3 weeks it's Thursday, December the 17th.", "100 days ago it was ..."."""
    today = now.date()
    sign = -1 if back else 1
    if unit in ("day", "week"):
        try:
            day = today + timedelta(days=sign * count * (7 if unit == "week" else 1))
        except OverflowError:
            return BEYOND_CALENDAR
    else:
        months = today.year * 12 + today.month - 1 + sign * count * (12 if unit == "year" else 1)
        year, month = divmod(months, 12)
        if not 1 <= year <= 9999:
            return BEYOND_CALENDAR
        last = (date(year + month // 11, (month + 1) % 12 + 1, 1) - timedelta(days=1)).day
        day = date(year, month + 1, min(today.day, last))  # a month on from the 31st is the month's last day
    length = f"{count} {unit}s" if count != 1 else f"a {unit}"
    when = f"{length[0].upper()}{length[1:]} ago it was" if back else f"In {length} it's"
    return f"{when} {spoken_date(_at(day))}."


def _is_on(found: Found, weekday: str, now: datetime) -> str:
    """"Yes, Christmas is on a Friday this year." / "No, ..." for a day of the week, a weekend or a weekday."""
    on = found[1].weekday()
    yes = on >= 5 if weekday == "weekend" else on < 5 if weekday == "weekday" else on == DAY_NAMES.index(weekday)
    return f"{'Yes' if yes else 'No'}, {_within(_weekday_of(found, now))}"  # "No, next Friday is ..."


def _weekday_of(found: Found, now: datetime) -> str:
    name, day, year_said = found
    if name.split()[-1] in WEEKDAYS or _FROM_TODAY.fullmatch(name.lower()):  # "what day is next Thursday": its
        return _date_of(found, now)  # date, not "on a Thursday"
    verb = "was" if day < now.date() else "is"
    when = f" in {day.year}" if year_said else " this year" if day.year == now.year else " next year"
    return f"{name} {verb} on a {WEEKDAYS[day.weekday()]}{when}."


def _date_of(found: Found, now: datetime) -> str:
    name, day, _ = found
    today = "today, " if day == now.date() else "tomorrow, " if (day - now.date()).days == 1 else ""
    return f"{name} {'was' if day < now.date() else 'is'} {today}{_spoken(day, name, now)}."


def _spoken(day: date, name: str, now: datetime) -> str:
    """`day` said after `name`: "Friday, December the 25th"; "November the 27th" after "Friday" and "a Saturday"
    after "December the 5th" (not "Friday is Friday, ..."); the year only if it is not this one."""
    said = spoken_date(_at(day))
    if name.split()[-1] in WEEKDAYS:
        said = said.split(", ", 1)[1]
    elif name in said:  # "December the 5th is in 9 days, on a Saturday"
        return f"a {WEEKDAYS[day.weekday()]}"
    return said.removesuffix(f", {day.year}") if day.year == now.year else said


def _weeks(days: int) -> str:
    """"4 weeks and one day" (under a week, in days)."""
    weeks, rest = divmod(days, 7)
    if not weeks:
        return _count(days)
    return f"{weeks} week{'s' if weeks != 1 else ''}" + (f" and {_count(rest)}" if rest else "")


def _count(days: int) -> str:
    return "one day" if days == 1 else f"{days} days"


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)
