"""Sums said aloud (assistant.conversation.arithmetic) and how results are said (spoken.spoken_number)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.conversation import arithmetic, bills
from assistant.conversation.skills import SKILLS, Skills
from assistant.conversation.spoken import indefinite_article, number_words, spoken_money, spoken_number


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        # as a streaming recognizer writes it (words) and as whisper does (digits, signs)
        ("what is fifteen times twenty three", "15 times 23 is 345."),
        ("What's 15 x 23?", "15 times 23 is 345."),
        ("What is 15 × 23?", "15 times 23 is 345."),
        ("15*23", "15 times 23 is 345."),
        ("how much is seven times eight", "7 times 8 is 56."),
        ("what's 20% of 85", "20 percent of 85 is 17."),
        ("what is twenty percent of eighty five", "20 percent of 85 is 17."),
        ("what is the square root of 144", "The square root of 144 is 12."),
        ("square root of two", "The square root of 2 is about 1.414."),
        ("√81", "The square root of 81 is 9."),
        ("the cube root of 27", "The cube root of 27 is 3."),
        ("a hundred divided by three", "100 divided by 3 is about 33.33."),
        ("what's 1/3", "1 divided by 3 is about 0.3333."),
        ("12 over 4", "12 divided by 4 is 3."),
        ("2 to the power of 10", "2 to the power of 10 is 1024."),
        ("two to the tenth power", "2 to the power of 10 is 1024."),
        ("2^8", "2 to the power of 8 is 256."),
        ("seven squared", "7 squared is 49."),
        ("3³", "3 cubed is 27."),
        ("what is 2 plus 3 times 4", "2 plus 3 times 4 is 14."),  # the usual order of operations
        ("10 minus 2 minus 3", "10 minus 2 minus 3 is 5."),  # from the left
        ("minus four plus two", "Minus 4 plus 2 is minus 2."),
        ("minus four squared", "Minus 4 squared is 16."),  # a spoken minus belongs to its number
        ("2 to the power of 3 to the power of 2", "2 to the power of 3 to the power of 2 is 512."),
        ("-4 + 2", "Minus 4 plus 2 is minus 2."),
        ("10-3", "10 minus 3 is 7."),
        ("5 times negative 3", "5 times minus 3 is minus 15."),
        ("two point five plus three point five", "2.5 plus 3.5 is 6."),
        ("0.1 plus 0.2", "0.1 plus 0.2 is 0.3."),
        ("1,000 divided by 8", "1000 divided by 8 is 125."),
        ("one and a half times four", "1 and a half times 4 is 6."),
        ("half of seventy", "Half of 70 is 35."),
        ("a quarter of eighty", "A quarter of 80 is 20."),
        ("three quarters of eighty", "3 quarters of 80 is 60."),
        ("double thirty five", "Double 35 is 70."),
        ("add five and seven", "5 plus 7 is 12."),
        ("add 5 to 7", "5 plus 7 is 12."),
        ("subtract three from ten", "10 minus 3 is 7."),
        ("multiply six by seven", "6 times 7 is 42."),
        ("divide 100 by 4", "100 divided by 4 is 25."),
        ("what is the sum of 3 and 4", "3 plus 4 is 7."),
        ("what does five plus three equal", "5 plus 3 is 8."),
        ("hey jarvis what is twelve times twelve please", "12 times 12 is 144."),
        ("can you tell me what 99 times 99 is", "99 times 99 is 9801."),
        ("calculate 17 times 3", "17 times 3 is 51."),
        ("add 1000 to 2.5", "1000 plus 2.5 is 1002.5."),  # two places at least, whatever the whole part
        ("1234.5678 times 1", "1234.5678 times 1 is about 1234.57."),
        ("what is 2 to the power of 100", "2 to the power of 100 is about 1.268 times 10 to the power of 30."),
        # percentages: a discount, a share, a percent added or taken off
        ("what's fifteen percent off eighty", "15 percent off 80 is 68."),
        ("what is 80 minus 15 percent", "80 minus 15 percent is 68."),
        ("what is 50 plus 20 percent", "50 plus 20 percent is 60."),
        ("what is 4 times 25 percent", "4 times 25 percent is 1."),
        ("what percentage is 20 of 80", "20 is 25 percent of 80."),
        ("what percent of 80 is 20", "20 is 25 percent of 80."),
        ("30 is what percent of 90", "30 is about 33.33 percent of 90."),
        ("what is 20 out of 80 as a percentage", "20 is 25 percent of 80."),
        # factorials and primes
        ("what's five factorial", "5 factorial is 120."),
        ("what is 0 factorial", "0 factorial is 1."),
        ("is 17 a prime number", "Yes, 17 is a prime number."),
        ("is 91 prime", "No, 91 is 7 times 13."),
        ("is 1 a prime number", "No, 1 is not a prime number."),
        ("is 9999999967 a prime number", "Yes, 9999999967 is a prime number."),
        # no answer, said so
        ("what's five divided by zero", "Dividing by zero has no answer."),
        ("what is 3.5 factorial", "Only a whole number from zero up has a factorial."),
        ("what percentage is 5 of 0", "Dividing by zero has no answer."),
        ("1 over 0", "Dividing by zero has no answer."),
        ("divide 3 by 0", "Dividing by zero has no answer."),
        ("the square root of minus four", "A negative number has no square root in real numbers."),
        ("10 to the power of 1000", "That number is too big for me to say."),
        ("0 to the power of minus 1", "Zero to a negative power has no answer."),
    ],
)
def test_a_sum_is_worked_out_exactly_and_said_back_as_heard(text: str, reply: str) -> None:
    assert arithmetic.answer(text) == reply
    skill = Skills(SKILLS).answer(text, 0)
    assert skill is not None and (skill.intent, skill.text) == ("math", reply)


@pytest.mark.parametrize(
    "text",
    [
        "what is 1 direction", "what is 2 plus 2 in binary", "tell me a story about 2 plus 2", "what is 5",
        "what is 20 percent", "what is 1 plus", "plus 2", "what is 2 times", "times", "what is the time",
        "set a timer for 5 minutes", "I have 2 dogs and 3 cats", "what is half", "take 2 pills", "add apples",
        "how many times have I asked", "what is the square root", "one more time", "add a to b",
        "what is 20 out of 80", "is 17 a lucky number", "is 99999999977 a prime number", "what percent is it",
    ],
)
def test_what_is_not_a_sum_is_left_to_the_language_model(text: str) -> None:
    assert arithmetic.answer(text) is None
    reply = Skills(SKILLS).answer(text, 0)
    assert reply is None or reply.intent != "math"


def test_sums_can_be_left_to_the_model() -> None:
    assert Skills([s for s in SKILLS if s != "math"]).answer("what is 2 plus 2", 0) is None


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("what's a 20 percent tip on 45", "A 20 percent tip on 45 is 9, 54 in all."),
        ("what's 15 percent tip on 80 dollars", "A 15 percent tip on 80 dollars is 12 dollars, 92 dollars in all."),
        ("calculate a 15% tip for 80", "A 15 percent tip on 80 is 12, 92 in all."),
        ("what's the tip on 80 dollars at 20 percent",
         "A 20 percent tip on 80 dollars is 16 dollars, 96 dollars in all."),
        ("how much should I tip on 80 bucks at 20 percent",
         "A 20 percent tip on 80 dollars is 16 dollars, 96 dollars in all."),
        # "$" written is money; cents said as people say them; "an 18"
        ("how much is a 18 percent tip on $62.50",
         "An 18 percent tip on 62 dollars and 50 cents is 11 dollars and 25 cents, 73 dollars and 75 cents in all."),
        ("what is eighteen percent tip on sixty two dollars and fifty cents",
         "An 18 percent tip on 62 dollars and 50 cents is 11 dollars and 25 cents, 73 dollars and 75 cents in all."),
        ("What's a 15% tip on a $62 bill?",
         "A 15 percent tip on 62 dollars is 9 dollars and 30 cents, 71 dollars and 30 cents in all."),
        # rounded half up to the cent in decimal (4.9995 is a little less as a binary float), the total adding up
        ("What is 15% tip on $33.33?",
         "A 15 percent tip on 33 dollars and 33 cents is 5 dollars, 38 dollars and 33 cents in all."),
        ("a 15 percent tip on 45.55", "A 15 percent tip on 45.55 is 6.83, 52.38 in all."),
        ("what's 20% tip on £45.10",
         "A 20 percent tip on 45 pounds and 10 pence is 9 pounds and 2 pence, 54 pounds and 12 pence in all."),
        ("an 8 percent gratuity on 10 euros",
         "An 8 percent tip on 10 euros is 80 cents, 10 euros and 80 cents in all."),
        # a bill's shares: "about" when rounded to the cent
        ("split 120 dollars 4 ways", "120 dollars split 4 ways is 30 dollars each."),
        ("split the bill of 90 between 3 people", "90 split 3 ways is 30 each."),
        ("split $100 3 ways", "100 dollars split 3 ways is about 33 dollars and 33 cents each."),
    ],
)
def test_a_tip_or_a_share_of_a_bill_is_said_in_money_to_the_cent(text: str, reply: str) -> None:
    assert bills.answer(text) == reply
    skill = Skills(SKILLS).answer(text, 0)
    assert skill is not None and (skill.intent, skill.text) == ("math", reply)


@pytest.mark.parametrize(
    "text",
    [
        "give me a tip", "any tips for cooking", "what is a good tip", "tip of the day", "how much should I tip",
        "how much should I tip on 80 dollars", "what is a 20 percent tip", "split the bill 3 ways",
        "split the difference", "split 90 between 1 person", "tip the waiter 5 dollars",
    ],
)
def test_what_is_not_a_tip_is_left_to_the_language_model(text: str) -> None:
    assert bills.answer(text) is None
    reply = Skills(SKILLS).answer(text, 0)
    assert reply is None or reply.intent != "math"


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("what is 5 dollars plus 3 dollars", "5 plus 3 is 8 dollars."),
        ("what's 20 euros divided by 3", "20 divided by 3 is 6 euros and 67 cents."),
        ("how much is 100 dollars minus 37.25", "100 minus 37.25 is 62 dollars and 75 cents."),
        ("what's 0.1 dollars plus 0.2 dollars", "0.1 plus 0.2 is 30 cents."),
        ("what is 1 dollar minus 2 dollars", "1 minus 2 is minus 1 dollar."),
    ],
)
def test_a_sum_of_money_is_said_in_money(text: str, reply: str) -> None:
    skill = Skills(SKILLS).answer(text, 0)
    assert skill is not None and (skill.intent, skill.text) == ("math", reply)


@pytest.mark.parametrize("text", ["what is 5 dollars plus 3 euros", "10 dollars divided by 2 dollars",
                                  "what's 5 pounds plus 3 pounds", "what's 7 dollars"])
def test_money_of_two_kinds_or_by_money_or_pounds_is_no_sum_of_money(text: str) -> None:
    reply = Skills(SKILLS).answer(text, 0)
    assert reply is None or reply.intent != "math"


def test_a_dollar_sign_is_dropped_in_a_sum_as_before() -> None:
    assert arithmetic.answer("what is 20% of $85") == "20 percent of 85 is 17."
    assert arithmetic.answer("$5 + $3") == "5 plus 3 is 8."


@pytest.mark.parametrize(
    ("cents", "said"),
    [(1200, "12 dollars"), (938, "9 dollars and 38 cents"), (50, "50 cents"), (101, "1 dollar and 1 cent"),
     (0, "0 dollars")],
)
def test_money_is_said_as_people_say_it(cents: int, said: str) -> None:
    assert spoken_money(cents, ("dollar", "dollars"), ("cent", "cents")) == said


@pytest.mark.parametrize(
    ("number", "article"),
    [("8", "an"), ("18", "an"), ("11", "an"), ("80", "an"), ("800", "an"), ("18.5", "an"), ("11000", "an"),
     ("1", "a"), ("15", "a"), ("110", "a"), ("1800", "a"), ("1 and a half", "a"),
     ("egg timer", "an"), ("to-do list", "a")],  # a word: by its first letter
)
def test_a_number_takes_the_article_it_is_read_with(number: str, article: str) -> None:
    assert indefinite_article(number) == article


@pytest.mark.parametrize(
    ("value", "significant", "said", "exact"),
    [
        (345.0, 4, "345", True),
        (100 / 3, 4, "33.33", False),
        (1 / 3, 4, "0.3333", False),
        (1234.5678, 4, "1235", False),  # the whole part is never rounded away
        (1234567.0, 3, "1234567", True),
        (-2.0, 4, "minus 2", True),
        (8.04672, 3, "8.05", False),
        (0.30000000000000004, 4, "0.3", True),
        (2.0**100, 4, "1.268 times 10 to the power of 30", False),
        (0.0, 4, "0", True),
        (0.000123456, 3, "0.000123", False),
        (2.54, 3, "2.54", True),
    ],
)
def test_results_are_said_in_digits_rounded_and_marked_exact_or_not(
    value: float, significant: int, said: str, exact: bool
) -> None:
    assert spoken_number(value, significant) == (said, exact)


_OPERATORS = {"plus": "+", "minus": "-", "times": "*", "divided by": "/"}


@given(
    st.lists(st.integers(0, 999), min_size=2, max_size=5),
    st.lists(st.sampled_from(sorted(_OPERATORS)), min_size=4, max_size=4),
    st.booleans(),
    st.booleans(),
)
def test_any_sum_of_whole_numbers_comes_out_as_python_works_it_out(
    numbers: list[int], operators: list[str], in_words: bool, negative: bool
) -> None:
    """Said with numbers in digits or words (up to 99: text_norm reads them back), the first one maybe negative,
    the value is Python's with the same order of operations, or the answer says there is none (a division by
    zero)."""
    def said(n: int) -> str:
        return number_words(n) if in_words and n < 100 else str(n)

    minus = "minus " if negative else ""
    text, digits = minus + said(numbers[0]), minus + str(numbers[0])
    python = f"(-{numbers[0]})" if negative else str(numbers[0])
    for number, operator in zip(numbers[1:], operators, strict=False):
        text += f" {operator} {said(number)}"
        digits += f" {operator} {number}"
        python += f" {_OPERATORS[operator]} {number}"
    try:
        expected = eval(python)  # digits and + - * / only, built above
    except ZeroDivisionError:
        assert arithmetic.answer(f"what is {text}") == "Dividing by zero has no answer."
        return
    term = arithmetic.evaluate(f"what is {text}")
    assert term is not None
    assert math.isclose(term.value, expected, rel_tol=1e-9, abs_tol=1e-9)
    assert term.said == digits
