"""Tips and a bill's shares: "what's a 20 percent tip on 45", "what's 15 percent tip on 80 dollars", "the tip on
80 dollars at 20 percent", "split 120 dollars 4 ways", "split the bill of 90 between 3 people".

A small language model gets these sums wrong as it does any (assistant.conversation.arithmetic). Read on a
request's words (arithmetic.request_words, which says a written "$80" as "80 dollars" in a tip or a split).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from assistant.conversation.arithmetic import evaluate_words, request_words
from assistant.conversation.spoken import indefinite_article, spoken_money, spoken_number

# Money is counted in whole hundredths (cents), rounded half up in decimal: 15 percent of 33.33 is 4.9995, which a
# binary float holds as a little less, rounding down. It is said as money when its currency was said or its sign
# written, else as numbers with at most two places.
Currency = tuple[tuple[str, str], tuple[str, str]]  # the names of one and many units, and of hundredths
_DOLLARS: Currency = (("dollar", "dollars"), ("cent", "cents"))
_EUROS: Currency = (("euro", "euros"), ("cent", "cents"))
_POUNDS: Currency = (("pound", "pounds"), ("penny", "pence"))
_CURRENCIES = {"dollars": _DOLLARS, "dollar": _DOLLARS, "bucks": _DOLLARS, "buck": _DOLLARS, "euros": _EUROS,
               "euro": _EUROS, "pounds": _POUNDS, "pound": _POUNDS}

# "80", "a 90 dollar bill", "the bill of 62 dollars and 50 cents", "62 dollars 50"
_BILL = (r"(?:an? |the )?(?:(?:bill|check|tab) (?:of |for )?)?(?P<amount>\d+(?:\.\d+)?)"
         rf"(?: (?P<currency>{'|'.join(_CURRENCIES)})(?: (?:and )?(?P<cents>\d{{1,2}})(?: cents?| pence| penny)?)?)?"
         r"(?: bill| check| tab| meal)?")
_PERCENT = r"(?P<percent>\d+(?:\.\d+)?) percent"
_TIP = r"(?:tip|gratuity)"
_TIPS = (
    re.compile(rf"^(?:an? |the )?{_PERCENT} {_TIP} (?:on|for|of) {_BILL}$"),  # "a 20 percent tip on 45"
    # "the tip on 80 dollars at 20 percent", "how much should I tip on 80 at 20 percent"
    re.compile(rf"^(?:an? |the |how much (?:should|do|would|will) (?:i |we )?)?{_TIP} (?:on|for|of) {_BILL}"
               rf" (?:at|of|with) {_PERCENT}$"),
)
_SPLIT = re.compile(rf"^split {_BILL} (?:(?P<ways>\d+) ways|(?:between|among) (?P<people>\d+)"
                    r"(?: people| persons| of us| friends)?)$")


def _in_hundredths(value: Decimal) -> int:
    return int(value.to_integral_value(ROUND_HALF_UP))


def _bill_amount(bill: re.Match[str]) -> tuple[int, Currency | None]:
    """The bill `_BILL` matched, in hundredths, and its currency if one was said."""
    hundredths = Decimal(bill["amount"]) * 100 + Decimal(bill["cents"] or 0)
    return _in_hundredths(hundredths), _CURRENCIES.get(bill["currency"] or "")


def _say_amount(hundredths: int, currency: Currency | None) -> str:
    """An amount as money ("9 dollars and 38 cents") or, without a currency, as a number ("9.38")."""
    if currency is not None:
        return spoken_money(hundredths, *currency)
    return spoken_number(hundredths / 100, significant=2, min_decimals=2)[0]


def _said_bill(bill: re.Match[str], hundredths: int, currency: Currency | None) -> str:
    """The bill said back: as money with a currency, else the number as heard ("62.50")."""
    return bill["amount"] if currency is None else _say_amount(hundredths, currency)


def _tip_answer(tip: re.Match[str]) -> str:
    """"A 15 percent tip on 80 dollars is 12 dollars, 92 dollars in all." The tip is rounded to the cent (what is
    paid), so the total adds up as heard."""
    bill, currency = _bill_amount(tip)
    given = _in_hundredths(bill * Decimal(tip["percent"]) / 100)
    said = f"{tip['percent']} percent tip on {_said_bill(tip, bill, currency)}"
    article = indefinite_article(tip["percent"]).capitalize()
    return f"{article} {said} is {_say_amount(given, currency)}, {_say_amount(bill + given, currency)} in all."


def _split_answer(split: re.Match[str]) -> str | None:
    """"120 dollars split 4 ways is 30 dollars each.", "about" when the shares are rounded to the cent; None for
    fewer than two ways."""
    ways = int(split["ways"] or split["people"])
    if ways < 2:
        return None
    bill, currency = _bill_amount(split)
    share = _in_hundredths(Decimal(bill) / ways)
    about = "" if share * ways == bill else "about "
    said = f"{_said_bill(split, bill, currency)} split {ways} ways is {about}{_say_amount(share, currency)} each."
    return said[0].upper() + said[1:]


# A sum of money: "5 dollars plus 3 dollars", "20 euros divided by 3", "what's 12.50 dollars times 4" (not pounds: in a
# sum they are as often a weight).
_SUM_CURRENCIES = [name for name, currency in _CURRENCIES.items() if currency is not _POUNDS]
_IN_MONEY = re.compile(rf"(?<=\d) (?P<currency>{'|'.join(_SUM_CURRENCIES)})\b")
MAX_CENTS_SAID = 1e12  # a trillion: past it cents mean nothing and the digits are many
# Money times or over money is no money ("10 dollars divided by 2 dollars" is 5): left to the model.
_MONEY_BY_MONEY = re.compile(rf"(?:{'|'.join(_CURRENCIES)}) (?:times|multiplied by|x|divided by|over) "
                             rf"\d+(?:\.\d+)? (?:{'|'.join(_CURRENCIES)})\b")


def _money_sum(asked: str) -> str | None:
    """"5 plus 3 is 8 dollars.", "20 divided by 3 is 6 dollars and 67 cents."; None unless one currency is said."""
    currencies = {_CURRENCIES[found["currency"]] for found in _IN_MONEY.finditer(asked)}
    if len(currencies) != 1 or _MONEY_BY_MONEY.search(asked):
        return None
    term = evaluate_words(_IN_MONEY.sub("", asked))
    if term is None or term.error:
        return term and term.error
    currency = currencies.pop()
    if abs(term.value) >= MAX_CENTS_SAID:  # beyond cents: said as the number is
        number, exact = spoken_number(term.value, significant=4)
        return f"{term.said[0].upper()}{term.said[1:]} is {'' if exact else 'about '}{number} {currency[0][1]}."
    hundredths = _in_hundredths(Decimal(repr(term.value)) * 100)
    money = spoken_money(abs(hundredths), *currency)
    return f"{term.said[0].upper()}{term.said[1:]} is {'minus ' if hundredths < 0 else ''}{money}."


def answer_words(asked: str) -> str | None:
    """The answer to a tip, a bill split or a sum of money that `asked` (request_words) is, else None."""
    if "tip" not in asked and "gratuity" not in asked and not asked.startswith("split "):
        return _money_sum(asked) if _IN_MONEY.search(asked) else None  # most text stops here
    for pattern in _TIPS:
        tip = pattern.match(asked)
        if tip is not None:
            return _tip_answer(tip)
    split = _SPLIT.match(asked)
    return None if split is None else _split_answer(split)


def answer(text: str) -> str | None:
    """The spoken answer to the tip or split `text` asks for, else None."""
    return answer_words(request_words(text))
