"""Units converted on the device (assistant.conversation.units)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.conversation import units
from assistant.conversation.skills import SKILLS, Skills


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        # exact by definition: said exactly
        ("how many ounces in a pound", "There are 16 ounces in a pound."),
        ("How many ounces are there in a pound?", "There are 16 ounces in a pound."),
        ("how many teaspoons in a tablespoon", "There are 3 teaspoons in a tablespoon."),
        ("how many cups are in a quart", "There are 4 cups in a quart."),
        ("how many feet in a mile", "There are 5280 feet in a mile."),
        ("how many inches in a foot please", "There are 12 inches in a foot."),
        ("how many seconds in an hour", "There are 3600 seconds in an hour."),
        ("how many grams in a kilogram", "There are 1000 grams in a kilogram."),
        ("what is one inch in centimeters", "1 inch is 2.54 centimeters."),
        ("half a cup in tablespoons", "Half a cup is 8 tablespoons."),
        # a fraction of a unit is said with the unit one: "a quarter cup", "3 quarters of a cup"
        ("how many tablespoons in a quarter cup", "There are 4 tablespoons in a quarter cup."),
        ("how many tablespoons in a quarter of a cup", "There are 4 tablespoons in a quarter of a cup."),
        ("how many tablespoons in three quarters of a cup", "There are 12 tablespoons in 3 quarters of a cup."),
        ("convert a quarter cup to tablespoons", "A quarter cup is 4 tablespoons."),
        ("minus forty celsius in fahrenheit", "Minus 40 degrees Celsius is minus 40 degrees Fahrenheit."),
        ("what is 100 degrees celsius in fahrenheit", "100 degrees Celsius is 212 degrees Fahrenheit."),
        # rounded to three figures: "about"
        ("five miles in kilometers", "5 miles is about 8.05 kilometers."),
        ("how many kilometers is 5 miles", "5 miles is about 8.05 kilometers."),
        ("What is 350 degrees Fahrenheit in Celsius?", "350 degrees Fahrenheit is about 177 degrees Celsius."),
        ("what's 350°F in celsius", "350 degrees Fahrenheit is about 177 degrees Celsius."),
        ("what is 180 degrees in fahrenheit", "180 degrees Celsius is 356 degrees Fahrenheit."),  # the other scale
        ("how many ounces in a cup", "There are 8 fluid ounces in a cup."),  # a volume's ounce
        ("how many milliliters is a cup", "A cup is about 237 milliliters."),
        ("convert two and a half cups to milliliters", "2 and a half cups is about 591 milliliters."),
        ("how many liters in a gallon", "There are about 3.79 liters in a gallon."),
        ("how many pounds is 70 kg", "70 kilograms is about 154 pounds."),
        ("what is 6 feet in meters", "6 feet is about 1.83 meters."),
        ("100 km/h in mph", "100 kilometers per hour is about 62.1 miles per hour."),
        ("convert 1 liter into cups", "1 liter is about 4.23 cups."),
        ("hey jarvis how many grams in an ounce", "There are about 28.3 grams in an ounce."),
    ],
)
def test_a_conversion_is_said_exactly_or_about_three_figures(text: str, reply: str) -> None:
    assert units.answer(text) == reply
    skill = Skills(SKILLS).answer(text, 0)
    assert skill is not None and (skill.intent, skill.text) == ("units", reply)


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        # a person-sized length put in feet, or asked in feet and inches: feet and whole inches
        ("how tall is 180 cm in feet", "180 centimeters is about 5 feet 11 inches."),
        ("180 centimeters in feet and inches", "180 centimeters is about 5 feet 11 inches."),
        ("how many feet is 1.8 meters", "1.8 meters is about 5 feet 11 inches."),
        ("70 inches in feet", "70 inches is 5 feet 10 inches."),
        ("182.88 cm in feet", "182.88 centimeters is 6 feet."),
        ("10 meters in feet and inches", "10 meters is about 32 feet 10 inches."),
        # feet and inches converted
        ("what is 6 feet 2 inches in centimeters", "6 feet 2 inches is about 188 centimeters."),
        ("5 foot 10 in cm", "5 feet 10 inches is about 178 centimeters."),
        ("how many centimeters is 5 feet 8 inches", "5 feet 8 inches is about 173 centimeters."),
        ("what's 5'10\" in meters", "5 feet 10 inches is about 1.78 meters."),
        ("1 foot 1 inch in centimeters", "1 foot 1 inch is about 33 centimeters."),
        # not a height: feet as before
        ("3 meters in feet", "3 meters is about 9.84 feet."),
        ("how many feet in a meter", "There are about 3.28 feet in a meter."),
    ],
)
def test_a_height_is_said_in_feet_and_inches(text: str, reply: str) -> None:
    assert units.answer(text) == reply
    skill = Skills(SKILLS).answer(text, 0)
    assert skill is not None and (skill.intent, skill.text) == ("units", reply)


@pytest.mark.parametrize(
    "text",
    [
        "how many grams in a cup of flour",  # needs a density
        "convert 1 mile to kilograms",  # not the same kind
        "how many days in a year", "how many weeks in a month",  # not fixed lengths
        "how many miles in a mile", "what is 5 miles", "how far is 5 miles", "5 miles in a row",
        "how many people live in paris", "what is the temperature", "how many tablespoons in a stick of butter",
        "how many cups of coffee is too many", "what is the weather in boston",
        "how tall is 5 foot 10", "how tall am I", "how tall is the eiffel tower in feet", "6 feet in feet and inches",
        "minus 2 meters in feet and inches", "5 feet 10 in kilograms",
    ],
)
def test_what_is_not_a_conversion_is_left_to_the_language_model(text: str) -> None:
    assert units.answer(text) is None
    reply = Skills(SKILLS).answer(text, 0)
    assert reply is None or reply.intent != "units"


def test_conversions_can_be_left_to_the_model() -> None:
    assert Skills([s for s in SKILLS if s != "units"]).answer("how many ounces in a pound", 0) is None


_SAME_KIND = [
    ("miles", "kilometers"), ("feet", "meters"), ("inches", "centimeters"), ("yards", "meters"),
    ("pounds", "kilograms"), ("ounces", "grams"), ("stones", "kilograms"), ("cups", "milliliters"),
    ("gallons", "liters"), ("tablespoons", "teaspoons"), ("pints", "fluid ounces"), ("quarts", "liters"),
    ("degrees fahrenheit", "degrees celsius"), ("degrees celsius", "kelvin"), ("miles per hour", "knots"),
    ("hours", "minutes"), ("weeks", "days"),
]


def _result(reply: str | None) -> float:
    found = re.search(r" is (?:about )?(minus )?([\d.]+) (?:feet? (\d+) inch)?", reply or "")
    assert found is not None, reply
    value = float(found[2]) + int(found[3] or 0) / 12  # "6 feet 7 inches": a height, in feet
    return -value if found[1] else value


@given(st.sampled_from(_SAME_KIND), st.booleans(), st.integers(1, 5000))
def test_a_conversion_and_back_returns_the_amount_to_three_figures(
    pair: tuple[str, str], backwards: bool, amount: int
) -> None:
    source, target = reversed(pair) if backwards else pair
    there = units.answer(f"convert {amount} {source} to {target}")
    value = _result(there)
    back = units.answer(f"convert {value} {target} to {source}")  # "-272.0" as whisper would write it
    returned = _result(back)
    # Two roundings to three figures; a temperature's offset can take up to its whole part's rounding.
    assert math.isclose(returned, amount, rel_tol=0.011, abs_tol=1.0), (there, back)
