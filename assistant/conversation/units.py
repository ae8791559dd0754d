"""Units converted: "how many ounces in a pound", "5 miles in kilometers", "what is 350 degrees Fahrenheit in
Celsius", "how many milliliters is a cup", "convert 2 and a half cups to milliliters", "how tall is 180 cm in feet",
"what is 6 feet 2 inches in centimeters".

Kitchens and workshops ask these of an assistant all day, and a small language model gets the factors wrong.
Length, mass, volume (US cooking measures), temperature, speed and time, with the factors from their
definitions (an inch is 2.54 cm exactly, a pound 453.59237 g, a US cup half a US pint). "Ounces" is a fluid ounce
when the other unit is a volume. Results are rounded to three figures ("about 8.05 kilometers"); an exact one is
said exactly ("There are 16 ounces in a pound."). Something that needs a density ("how many grams in a cup of
flour") or a unit not here stays the language model's. A height is said as one is: a length the size of a person
put in feet, or any length asked "in feet and inches", in feet and whole inches ("180 centimeters is about 5 feet
11 inches."); "how many feet in a meter" still counts feet ("about 3.28").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.conversation.arithmetic import Term, Words, read_amount, request_words
from assistant.conversation.spoken import spoken_number


@dataclass(frozen=True)
class Unit:
    singular: str
    plural: str
    dimension: str
    factor: float  # to the dimension's base unit (meter, gram, milliliter, meter per second, second, kelvin)
    offset: float = 0.0  # temperatures: base = value * factor + offset

    def name(self, amount: float, said: str = "") -> str:
        """Its name after `amount` (said as `said`): "1 cup", "half a cup", "a quarter cup", "2 cups", "0.5 cups"."""
        words = said.split()
        fraction = amount < 1 and not _FRACTION_WORDS.isdisjoint(words)
        return self.singular if amount == 1 or fraction or words[-1:] in (["a"], ["an"]) else self.plural


_FRACTION_WORDS = frozenset({"half", "quarter", "quarters", "3rd", "3rds"})


_GALLON_ML = 3785.411784
_UNITS = {
    # length: meters
    ("millimeter", "millimeters", "mm"): ("length", 0.001),
    ("centimeter", "centimeters", "cm"): ("length", 0.01),
    ("meter", "meters", "metre", "metres", "m"): ("length", 1.0),
    ("kilometer", "kilometers", "kilometre", "kilometres", "km", "kms"): ("length", 1000.0),
    ("inch", "inches"): ("length", 0.0254),
    ("foot", "feet", "ft"): ("length", 0.3048),
    ("yard", "yards", "yd", "yds"): ("length", 0.9144),
    ("mile", "miles", "mi"): ("length", 1609.344),
    # mass: grams
    ("milligram", "milligrams", "mg"): ("mass", 0.001),
    ("gram", "grams", "g"): ("mass", 1.0),
    ("kilogram", "kilograms", "kg", "kgs", "kilo", "kilos"): ("mass", 1000.0),
    ("ounce", "ounces", "oz"): ("mass", 28.349523125),
    ("pound", "pounds", "lb", "lbs"): ("mass", 453.59237),
    ("stone", "stones"): ("mass", 6350.29318),
    ("tonne", "tonnes", "metric ton", "metric tons"): ("mass", 1e6),
    # volume: milliliters (US measures)
    ("milliliter", "milliliters", "millilitre", "millilitres", "ml"): ("volume", 1.0),
    ("centiliter", "centiliters", "centilitre", "centilitres", "cl"): ("volume", 10.0),
    ("deciliter", "deciliters", "decilitre", "decilitres", "dl"): ("volume", 100.0),
    ("liter", "liters", "litre", "litres", "l"): ("volume", 1000.0),
    ("teaspoon", "teaspoons", "tsp"): ("volume", _GALLON_ML / 768),
    ("tablespoon", "tablespoons", "tbsp"): ("volume", _GALLON_ML / 256),
    ("fluid ounce", "fluid ounces", "fl oz"): ("volume", _GALLON_ML / 128),
    ("cup", "cups"): ("volume", _GALLON_ML / 16),
    ("pint", "pints"): ("volume", _GALLON_ML / 8),
    ("quart", "quarts"): ("volume", _GALLON_ML / 4),
    ("gallon", "gallons"): ("volume", _GALLON_ML),
    # speed: meters per second
    ("meter per second", "meters per second", "metres per second"): ("speed", 1.0),
    ("kilometer per hour", "kilometers per hour", "kilometres per hour", "km per hour", "km h", "kmh", "kph"):
        ("speed", 1000 / 3600),
    ("mile per hour", "miles per hour", "mph"): ("speed", 1609.344 / 3600),
    ("knot", "knots"): ("speed", 1852 / 3600),
    # time: seconds
    ("second", "seconds", "sec", "secs"): ("time", 1.0),
    ("minute", "minutes", "min", "mins"): ("time", 60.0),
    ("hour", "hours", "hr", "hrs"): ("time", 3600.0),
    ("day", "days"): ("time", 86400.0),
    ("week", "weeks"): ("time", 604800.0),
}
_TEMPERATURES = {
    ("degree Celsius", "degrees Celsius", "celsius", "centigrade", "degrees centigrade", "degrees c", "c"):
        (1.0, 273.15),
    ("degree Fahrenheit", "degrees Fahrenheit", "fahrenheit", "degrees f", "f"): (5 / 9, 273.15 - 32 * 5 / 9),
    ("kelvin", "kelvin", "kelvins", "degrees kelvin"): (1.0, 0.0),
}


def _lookup() -> dict[str, Unit]:
    """Each unit by every name it may be said by (normalized: lower case); the first two are how it is said."""
    found: dict[str, Unit] = {}
    for names, (dimension, factor) in _UNITS.items():
        for name in names:
            found[name] = Unit(names[0], names[1], dimension, factor)
    for names, (factor, offset) in _TEMPERATURES.items():
        for name in names:
            found[name.lower()] = Unit(names[0], names[1], "temperature", factor, offset)
    return found


_BY_NAME = _lookup()
_NAME = "|".join(sorted((re.escape(n) for n in _BY_NAME), key=len, reverse=True))
_DEGREES = "degrees"  # said alone, the other temperature scale of Celsius and Fahrenheit is meant
_ANY_UNIT = rf"(?:{_NAME}|{_DEGREES})"
_LAST_WORDS = frozenset(name.split()[-1] for name in [*_BY_NAME, _DEGREES])
_FEET_AND_INCHES = "feet and inches"
_FOOT, _INCH = _BY_NAME["foot"], _BY_NAME["inch"]
_HEIGHTS_M = (0.5, 2.5)  # a length in this range put in feet is said as a person's height: feet and inches

# What is converted: "6 feet 2 inches", "5 foot 10", "5 feet and 10 and a half inches" (a height), else an amount
# and its unit ("5 miles", "half a cup", "a pound").
_SOURCE = (r"(?:(?P<feet>\d+) (?:feet|foot|ft) (?:and )?(?P<inches>\d[\d.]*(?: and an? \w+)?)(?: inches| inch)?"
           rf"|(?P<amount>.*?) ?(?P<from>{_ANY_UNIT}))")
# "how many ounces (are there) in a pound", "how many kilometers is 5 miles", "5 miles (is how many) in km"
_HOW_MANY_IN = re.compile(rf"^how (?:many|much) (?P<to>{_ANY_UNIT}) (?:are )?(?:there )?(?P<verb>in|is|are|make|equal)"
                          rf" (?P<article>an? )?{_SOURCE}$")
_CONVERT = re.compile(rf"^(?:convert |how tall is )?{_SOURCE} (?:is |are )?(?:in|to|into|as|in to|is how many"
                      rf"|are how many|equals how many) (?P<to>{_ANY_UNIT}|{_FEET_AND_INCHES})$")


def _unit(said: str, other: str) -> Unit | None:
    """The unit named `said`, given the `other` unit of the conversion (for "ounces", "degrees")."""
    if said == _DEGREES:
        scale = {"celsius": "fahrenheit", "fahrenheit": "celsius"}.get(
            _BY_NAME[other].singular.split()[-1].lower() if other in _BY_NAME else "")
        return _BY_NAME[scale] if scale else None
    unit = _BY_NAME[said]
    if unit.singular == "ounce" and other in _BY_NAME and _BY_NAME[other].dimension == "volume":
        return _BY_NAME["fluid ounce"]
    return unit


def answer(text: str) -> str | None:
    """The spoken answer to a conversion `text` asks for ("5 miles is about 8.05 kilometers."), else None."""
    return answer_words(request_words(text))


def answer_words(normalized: str) -> str | None:
    """answer() of what arithmetic.request_words() made of a text."""
    if normalized.rpartition(" ")[2] not in _LAST_WORDS:  # every conversion ends on a unit: most text stops here
        return None
    how_many = _HOW_MANY_IN.match(normalized)
    match = how_many or _CONVERT.match(normalized)
    if match is None:
        return None
    in_feet_and_inches = match["to"] == _FEET_AND_INCHES
    source = _INCH if match["feet"] else _unit(match["from"], match["to"])
    target = _FOOT if in_feet_and_inches else _unit(match["to"], match["from"] or _INCH.singular)
    if source is None or target is None or source.dimension != target.dimension or source == target:
        return None
    amount = _amount(match, source, how_many is not None)
    if amount is None:
        return None
    value, said = amount
    converted = (value * source.factor + source.offset - target.offset) / target.factor
    counting = how_many is not None and how_many["verb"] == "in"  # "how many feet in a meter": a count of feet
    as_height = in_feet_and_inches or (target == _FOOT and not counting and _is_height(value * source.factor))
    result = _said_result(converted, target, as_height)
    if result is None:
        return None
    said_result, exact = result
    about = "" if exact else "about "
    if counting:
        there = "There is" if exact and said_result == f"1 {target.singular}" else "There are"
        return f"{there} {about}{said_result} in {said}."
    sentence = f"{said} is {about}{said_result}."
    return sentence[0].upper() + sentence[1:]


def _said_result(converted: float, target: Unit, as_height: bool) -> tuple[str, bool] | None:
    """The result with its unit ("8.05 kilometers", "5 feet 11 inches" as a height) and whether that is exact;
    None for a negative height."""
    if as_height:
        return None if converted < 0 else _feet_and_inches(converted * 12)
    number, exact = spoken_number(converted, significant=3)
    return f"{number} {target.name(converted)}", exact


def _amount(match: re.Match[str], source: Unit, how_many: bool) -> tuple[float, str] | None:
    """The amount `match` converts, in `source` units, and how it is said back with its unit: "6 feet 2 inches"
    (in inches), "minus 40 degrees Celsius", "half a cup", "a pound" (of "how many ounces in a pound")."""
    if match["feet"]:
        feet, inches = int(match["feet"]), _whole_amount(Words(match["inches"].split()))
        if inches is None:
            return None
        said = f"{feet} {_FOOT.name(feet)} {inches.said} {_INCH.name(inches.value, inches.said)}"
        return feet * 12 + inches.value, said
    if match["amount"]:
        article = match.groupdict().get("article") or ""  # "how many ... in a quarter of a cup"
        words = Words(f"{article}{match['amount']}".split())
        negative = words.take("minus") or words.take("negative")
        amount = _whole_amount(words)
        if amount is None:
            return None
        value, said = (-amount.value, f"minus {amount.said}") if negative else (amount.value, amount.said)
    elif how_many:  # "how many ounces in a pound"
        value, said = 1.0, (match["article"] or "a ").strip()
    else:
        return None
    return value, f"{said} {source.name(value, said)}"


def _whole_amount(words: Words) -> Term | None:
    """The amount (read_amount) that is the rest of `words`, else None."""
    amount = read_amount(words)
    return amount if amount is not None and words.done() else None


def _is_height(meters: float) -> bool:
    return _HEIGHTS_M[0] <= meters <= _HEIGHTS_M[1]


def _feet_and_inches(inches: float) -> tuple[str, bool]:
    """A length in inches said as a height, to the whole inch: "5 feet 11 inches", "6 feet", "8 inches"; and
    whether that is exact."""
    whole = math.floor(inches + 0.5)  # half up, not to even: 70.5 inches is 5 feet 11
    feet, left = divmod(whole, 12)
    said = [f"{count} {unit.name(count)}" for count, unit in ((feet, _FOOT), (left, _INCH)) if count]
    return " ".join(said) or f"0 {_INCH.plural}", math.isclose(whole, inches, abs_tol=1e-9)
