"""Sums said aloud: "what's fifteen times twenty three", "what is 20 percent of 85", "the square root of 144",
"100 divided by 3", "2 to the power of 10", "add 5 and 7", "half of 70", "15 percent off 80", "80 minus 15
percent", "what percentage is 20 of 80", "5 factorial", "is 91 a prime number".

A small language model gets arithmetic wrong with confidence (stories260K cannot count; a 0.5B chat model
multiplies three-digit numbers wrong more often than right), so a sum is worked out here and said back with the
numbers as heard ("15 times 23 is 345."): the user hears what the recognizer made of the question.

Read on normalized text (text_norm: "fifteen" is "15", "what's" is "what is") after the written signs a
recognizer may put in ("15 × 23", "3 + 4", "2^10", "√144", "-4") are said in words. The usual order of
operations holds ("2 plus 3 times 4" is 14; powers from the right), but a spoken minus belongs to its number:
"minus 4 squared" is 16. The whole request must be the sum: "what is 1 direction", "what is 2 plus 2 in binary"
and "tell me a story about 2 plus 2" stay the language model's. A sum with no answer ("5 divided by 0") is
answered with why.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.conversation.spoken import spoken_number
from assistant.text_norm import normalize

# Written signs, said in words before normalizing (which drops them). ² and ³ go before NFKC makes digits of them.
_SIGNS = (
    # for units: 5'10" (found from its quote mark, which is quick; a function, as a template is slow to expand)
    (re.compile(r"['′’](?<=\b\d['′’])\s*(\d{1,2})(?:\s*(?:\"|″|”|''))?"), lambda feet: f" feet {feet[1]} inches "),
    (re.compile(r"√"), " square root of "),
    (re.compile(r"∛"), " cube root of "),
    (re.compile(r"²"), " squared "),
    (re.compile(r"³"), " cubed "),
    (re.compile(r"\^|\*\*"), " to the power of "),
    (re.compile(r"[×✕·*]|(?<=\d)\s*x\s*(?=\d)"), " times "),
    (re.compile(r"÷|(?<=\d)\s*/\s*(?=\d)"), " divided by "),
    (re.compile(r"\+"), " plus "),
    (re.compile(r"[−–]|(?<!\w)-(?=\s*\d)|(?<=\d)-(?=\d)|\s-\s"), " minus "),
    (re.compile(r"="), " equals "),
    (re.compile(r"°"), " degrees "),  # for units: "350°F"
    (re.compile(r"[()]"), " "),
)
_NAMES = r"(?:hey |okay |ok )?(?:jarvis|alexa|mycroft|computer|assistant)"
_BEFORE = re.compile(
    rf"^(?:{_NAMES} )?(?:please )?(?:(?:can|could|would|will) you (?:please )?)?(?:tell me |calculate |compute "
    r"|work out |figure out |solve |do you know )?(?:what is |whats |what are |how much is |how much are |what does "
    r"|what do |what )?(?:the answer to )?")
_AFTER = re.compile(rf"(?: (?:equal|equals|is|are|make|makes|come to|give|please|for me|exactly|{_NAMES}))+$")

Operator = tuple[str, str, Callable[[float, float], float]]  # as said, as said back, what it does
_ADDITIVE: tuple[Operator, ...] = (
    ("plus", "plus", lambda a, b: a + b), ("minus", "minus", lambda a, b: a - b),
    ("take away", "minus", lambda a, b: a - b),
)
_MULTIPLICATIVE: tuple[Operator, ...] = (
    ("multiplied by", "times", lambda a, b: a * b), ("times", "times", lambda a, b: a * b),
    ("x", "times", lambda a, b: a * b), ("divided by", "divided by", lambda a, b: a / b),
    ("over", "divided by", lambda a, b: a / b),
)
# "add 5 and 7", "subtract 3 from 10", "multiply 6 by 7", "divide 100 by 4", "the sum of 3 and 4"
_VERBS: tuple[tuple[re.Pattern[str], Operator], ...] = (
    (re.compile(r"^add (?P<a>.+?) (?:and|to|plus) (?P<b>.+)$"), _ADDITIVE[0]),
    (re.compile(r"^(?:the )?sum of (?P<a>.+?) and (?P<b>.+)$"), _ADDITIVE[0]),
    (re.compile(r"^(?:subtract|take) (?P<b>.+?) (?:from|away from) (?P<a>.+)$"), _ADDITIVE[1]),
    (re.compile(r"^multiply (?P<a>.+?) (?:by|and|times) (?P<b>.+)$"), _MULTIPLICATIVE[1]),
    (re.compile(r"^(?:the )?product of (?P<a>.+?) and (?P<b>.+)$"), _MULTIPLICATIVE[1]),
    (re.compile(r"^divide (?P<a>.+?) (?:by|into) (?P<b>.+)$"), _MULTIPLICATIVE[3]),
)
_FRACTIONS = {"half": 2, "halves": 2, "3rd": 3, "3rds": 3, "quarter": 4, "quarters": 4}
MAX_RESULT = 1e100
_TOO_BIG = "That number is too big for me to say."


@dataclass(frozen=True)
class Term:
    """A parsed number or sum: its value, how it is said back ("15 times 23"), and why it has no value if it has
    none ("Dividing by zero has no answer."), which is said only if the whole request turns out to be the sum."""

    value: float
    said: str
    operators: int = 0  # how many operations it holds (a number alone: 0)
    fraction: bool = False  # "a quarter", "3 quarters": may be "of" something
    percent: bool = False  # "15 percent" (its value 0.15): added to or taken from a number, a share of it
    error: str = ""


def _operation(said: str, compute: Callable[..., float], *operands: Term) -> Term:
    """`compute` applied to the operands' values, said as `said`; an operand's error, or this one's, is kept."""
    operators = sum(o.operators for o in operands) + 1
    error = next((o.error for o in operands if o.error), "")
    if not error:
        try:
            value = compute(*(o.value for o in operands))
        except ZeroDivisionError:
            error = "Dividing by zero has no answer."
        except OverflowError:
            error = _TOO_BIG
        except ValueError as exc:  # raised with what to say
            error = str(exc)
        else:
            if isinstance(value, complex):
                error = "That has no answer in real numbers."
            elif not math.isfinite(value) or abs(value) > MAX_RESULT:
                error = _TOO_BIG
            else:
                return Term(value, said, operators)
    return Term(math.nan, said, operators, error=error)


class Words:
    """A cursor over a request's words."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.at = 0

    def take(self, phrase: str) -> bool:
        """Move past `phrase` if it comes next."""
        said = phrase.split()
        if self.words[self.at:self.at + len(said)] == said:
            self.at += len(said)
            return True
        return False

    def done(self) -> bool:
        return self.at == len(self.words)


def read_amount(words: Words) -> Term | None:
    """A number as said: "15", "2.5", "1 and a half", "a half", "a 3rd", "3 quarters", "half a" (as in "half a
    cup"), "a" (one, as in "a cup"). Leaves the cursor after it."""
    start = words.at
    if not words.done() and re.fullmatch(r"\d+(?:\.\d+)?", words.words[words.at]):
        value = float(words.words[words.at])
        words.at += 1
        after = words.words[words.at:words.at + 3]
        if len(after) == 3 and after[:2] == ["and", "a"] and after[2] in ("half", "quarter", "3rd"):
            value += 1 / _FRACTIONS[after[2]]
            words.at += 3
        elif after and after[0] in _FRACTIONS and (after[0].endswith("s") or value == 1):  # "3 quarters", "1 3rd"
            words.at += 1
            _of_a(words)  # "3 quarters of a cup"
            return Term(value / _FRACTIONS[after[0]], " ".join(words.words[start:words.at]), fraction=True)
        return Term(value, " ".join(words.words[start:words.at]))
    if words.take("half a") or words.take("half an"):
        return Term(0.5, " ".join(words.words[start:words.at]))
    for article in ("a", "an"):
        for fraction in ("half", "3rd", "quarter"):
            if words.take(f"{article} {fraction}"):
                _of_a(words)  # "a quarter of a cup"
                return Term(1 / _FRACTIONS[fraction], " ".join(words.words[start:words.at]), fraction=True)
        if words.take(article):
            return Term(1.0, article)
    return None


def _of_a(words: Words) -> None:
    """Takes the "of a" of "a quarter of a cup" (not the "of" of "a quarter of 100")."""
    if words.words[words.at:words.at + 2] in (["of", "a"], ["of", "an"]):
        words.at += 2


def _factorial(value: float) -> float:
    if value != int(value) or value < 0:
        raise ValueError("Only a whole number from zero up has a factorial.")
    if value > 170:  # 171! is past a float's range
        raise ValueError(_TOO_BIG)
    return float(math.factorial(int(value)))


def _raise(base: float, exponent: float) -> float:
    if abs(exponent) * math.log10(max(abs(base), 2)) > 100:
        raise ValueError(_TOO_BIG)  # before Python works out a power far too big to say
    if base == 0 and exponent < 0:
        raise ValueError("Zero to a negative power has no answer.")
    return base**exponent


def _root(value: float, degree: int) -> float:
    if degree == 2 and value < 0:
        raise ValueError("A negative number has no square root in real numbers.")
    root = math.copysign(abs(value) ** (1 / degree), value)
    return round(root) if round(root) ** degree == value else root  # 27 ** (1/3) is 3.0000000000000004


def _ordinal_power(words: Words) -> Term | None:
    """The "5th power" of "2 to the 5th power" (text_norm writes the ordinal "5th")."""
    match = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", words.words[words.at]) if not words.done() else None
    if match is None or words.words[words.at + 1:words.at + 2] != ["power"]:
        return None
    words.at += 2
    return Term(float(match[1]), match[1])


def _power(words: Words) -> Term | None:
    base = _unary(words)
    while base is not None:
        if words.take("squared"):
            base = _operation(f"{base.said} squared", lambda b: b**2, base)
        elif words.take("cubed"):
            base = _operation(f"{base.said} cubed", lambda b: b**3, base)
        elif words.take("factorial"):
            base = _operation(f"{base.said} factorial", _factorial, base)
        elif words.take("to the power of") or words.take("raised to the power of") or words.take("to the"):
            exponent = _ordinal_power(words) or _power(words)  # 2 to the power of 3 to the power of 2: 2 ** 9
            if exponent is None:
                return None
            base = _operation(f"{base.said} to the power of {exponent.said}", _raise, base, exponent)
        else:
            return base
    return None


def _unary(words: Words) -> Term | None:
    if words.take("minus") or words.take("negative"):
        inner = _unary(words)
        return None if inner is None else dataclasses.replace(inner, value=-inner.value, said=f"minus {inner.said}")
    words.take("the")
    for root, degree in (("square root of", 2), ("cube root of", 3)):
        if words.take(root):
            inner = _unary(words)
            return None if inner is None else _operation(f"the {root} {inner.said}",
                                                         lambda v, d=degree: _root(v, d), inner)
    for word, factor in (("half of", 0.5), ("double", 2.0), ("twice", 2.0), ("triple", 3.0)):
        if words.take(word):
            inner = _unary(words)
            return None if inner is None else _operation(f"{word} {inner.said}", lambda v, f=factor: v * f, inner)
    amount = read_amount(words)
    if amount is None or amount.said in ("a", "an"):
        return None
    if words.take("percent of"):
        of = _unary(words)
        return None if of is None else _operation(f"{amount.said} percent of {of.said}", lambda a, b: a / 100 * b,
                                                  amount, of)
    if words.take("percent off"):  # a discount: "15 percent off 80"
        of = _unary(words)
        return None if of is None else _operation(f"{amount.said} percent off {of.said}",
                                                  lambda a, b: b * (1 - a / 100), amount, of)
    if words.take("percent"):  # "80 minus 15 percent" (of the 80), "4 times 25 percent"
        return Term(amount.value / 100, f"{amount.said} percent", percent=True)
    if amount.fraction and words.take("of"):  # "a quarter of 80", "3 quarters of 80"
        of = _unary(words)
        return None if of is None else _operation(f"{amount.said} of {of.said}", lambda a, b: a * b, amount, of)
    return amount


def _level(words: Words, operand: Callable[[Words], Term | None], operators: tuple[Operator, ...]) -> Term | None:
    left = operand(words)
    while left is not None:
        for phrase, said, apply in operators:
            if words.take(phrase):
                right = operand(words)
                if right is None:
                    return None
                if right.percent and operators is _ADDITIVE and not left.percent:  # "80 minus 15 percent": 68
                    left = _operation(f"{left.said} {said} {right.said}",
                                      lambda a, b, apply=apply: apply(a, a * b), left, right)
                else:
                    left = _operation(f"{left.said} {said} {right.said}", apply, left, right)
                break
        else:
            return left
    return None


def _product(words: Words) -> Term | None:
    return _level(words, _power, _MULTIPLICATIVE)


def _sum(words: Words) -> Term | None:
    return _level(words, _product, _ADDITIVE)


def _whole(text: str) -> Term | None:
    """`text` read entirely as one sum, else None."""
    words = Words(text.split())
    term = _sum(words)
    return term if term is not None and words.done() else None


# A currency sign is said as money in a tip or a bill's split (assistant.conversation.bills) only.
_CURRENCY_SIGN = re.compile(r"(?P<sign>[$€£])\s*(?P<amount>\d[\d,]*(?:\.\d+)?)")
_CURRENCY_SIGNS = {"$": "dollars", "€": "euros", "£": "pounds"}
_BILL_WORDS = re.compile(r"\b(?:tip|gratuity|split)\b", re.IGNORECASE)


def request_words(text: str, normalized: str | None = None) -> str:
    """What `text` asks, normalized, with its written signs in words and without what is said around a request
    ("hey jarvis what is", "please"). `normalized`: `text` normalized already, used if it has no signs."""
    signed = text
    if _CURRENCY_SIGN.search(text) and _BILL_WORDS.search(text):
        # "$80" said as money in a tip or a split only: in a sum the sign is dropped ("$5 + $3" is "5 plus 3")
        signed = _CURRENCY_SIGN.sub(lambda found: f" {found['amount']} {_CURRENCY_SIGNS[found['sign']]} ", signed)
    for sign, words in _SIGNS:
        signed = sign.sub(words, signed)
    if normalized is None or signed != text:
        normalized = normalize(signed)
    return _AFTER.sub("", _BEFORE.sub("", normalized))


def evaluate(text: str) -> Term | None:
    """The sum `text` asks for, with at least one operation (its `error` set if it has no answer), else None."""
    return evaluate_words(request_words(text))


def evaluate_words(normalized: str) -> Term | None:
    """evaluate() of what request_words() made of a text."""
    for pattern, (_, said, apply) in _VERBS:
        match = pattern.match(normalized)
        a, b = (_whole(match["a"]), _whole(match["b"])) if match else (None, None)
        if a is not None and b is not None:
            return _operation(f"{a.said} {said} {b.said}", apply, a, b)
    term = _whole(normalized)
    return term if term is not None and term.operators else None


def answer(text: str) -> str | None:
    """The spoken answer to the sum `text` asks for ("15 times 23 is 345.", "Dividing by zero has no answer."),
    else None."""
    return answer_words(request_words(text))


# "what percent(age) is 20 of 80" / "what percent of 80 is 20" / "20 is what percent of 80" / "20 as a percentage of
# 80" (as request_words leaves them: "what is" gone)
_SHARE = re.compile(r"^(?:percent|percentage) is (?P<a>.+?) of (?P<b>.+)$|^(?:percent|percentage) of (?P<b2>.+?) is"
                    r" (?P<a2>.+)$|^(?P<a3>.+?) is what (?:percent|percentage) of (?P<b3>.+)$"
                    r"|^(?P<a4>.+?) (?:as a (?:percent|percentage) of|out of) (?P<b4>.+?)"
                    r"(?: as a (?:percent|percentage)| in percent)?$")
_PRIME = re.compile(r"^is (?P<n>\d+) (?:a )?prime(?: number)?$")
MAX_PRIME_CHECK = 10**10  # trial division to 100000: 12 ms here at most


def _share(asked: str) -> str | None:
    """"20 is 25 percent of 80."."""
    match = _SHARE.match(asked)
    if match is None or ("out of" in asked and "percent" not in asked):
        return None
    part = _whole(next(g for g in match.group("a", "a2", "a3", "a4") if g))
    whole = _whole(next(g for g in match.group("b", "b2", "b3", "b4") if g))
    if part is None or whole is None:
        return None
    if whole.value == 0:
        return "Dividing by zero has no answer."
    result, exact = spoken_number(part.value / whole.value * 100, significant=4, min_decimals=2)
    return f"{part.said[0].upper()}{part.said[1:]} is {'' if exact else 'about '}{result} percent of {whole.said}."


def _prime(asked: str) -> str | None:
    """"Yes, 17 is a prime number." / "No, 91 is 7 times 13."."""
    match = _PRIME.match(asked)
    number = int(match["n"]) if match else 0
    if match is None or number > MAX_PRIME_CHECK:
        return None
    if number < 2:
        return f"No, {number} is not a prime number."
    factor = next((f for f in range(2, math.isqrt(number) + 1) if number % f == 0), None)
    if factor is None:
        return f"Yes, {number} is a prime number."
    return f"No, {number} is {factor} times {number // factor}."


def answer_words(asked: str) -> str | None:
    """answer() of what request_words() made of a text (the skills read it once for sums and units)."""
    told = _share(asked) or _prime(asked)
    if told is not None:
        return told
    term = evaluate_words(asked)
    if term is None or term.error:
        return term and term.error
    result, exact = spoken_number(term.value, significant=4, min_decimals=2)
    said = f"{term.said} is {'' if exact else 'about '}{result}."
    return said[0].upper() + said[1:]
