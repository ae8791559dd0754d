"""Lists: "add apples to my shopping list", "add milk, eggs and bread to the grocery list", "what's on my
shopping list", "remove eggs from the shopping list", "clear my shopping list", "add call the plumber to my to-do
list", "put sunscreen on the packing list", "is milk on my shopping list", "how many things are on my list", "what
lists do I have", "what do I need from the store"; "add eggs" alone goes on the list the turn before used (else the
shopping list), and just after adding, "and bread" too; "cross off eggs" takes it off that list. "Create a packing
list", "make a new list called camping" makes an empty one and asks what to put on it: the next turn's words alone
("sunscreen and a towel") are its first things. "We're out of milk", "I need to buy batteries" ask "Should I put
milk on your shopping list?", and "yes" does.

A list is named by the word or two before "list" ("grocery" is the shopping list, "todo" the to-do list; "the
list" alone is the shopping list) and
holds what was said, item by item (split at commas and "and", which the recognizer writes, but not inside a
thing named with an "and": "mac and cheese", "half and half"). The skills keep the lists in their file with the
timers and the volume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.conversation.phrases import ADDRESSING, plain_words, same_name
from assistant.conversation.spoken import indefinite_article, spoken_list

MAX_LISTS = 20
MAX_ITEMS = 100  # per list: a runaway loop must not fill a weeks-long run's memory
_NAMES = {"grocery": "shopping", "groceries": "shopping", "shopping": "shopping", "todo": "to-do", "to do": "to-do",
          "to-do": "to-do", "things to do": "to-do"}
# Not a list's name nor an item: "add it to the list" (which, and what?), "add eggs to my add list".
_NOT_NAMES = frozenset({"the", "my", "a", "an", "our", "your", "that", "this", "it", "them", "those", "these", "one",
                        "add", "put", "remove", "delete", "read", "clear", "is", "on", "to", "from", "what", "me"})
# A list without a name ("add milk to the list", "what's on my list") is the shopping list, as on phones.
_LIST = r"(?:(?:my|the|our) list|(?:my |the |our )?(?P<list>[a-z][a-z'-]*(?: [a-z][a-z'-]*)?) list)"
_REQUESTS = (
    ("list_add", re.compile(rf"^{ADDRESSING}(?:add|put|write down|write) (?P<items>.+?) (?:to|on|onto|in) {_LIST}$")),
    ("list_remove", re.compile(rf"^{ADDRESSING}(?:remove|delete|take|cross|cross off|scratch) (?P<items>.+?)"
                               rf" (?:from|off|off of) {_LIST}$")),
    ("list_read", re.compile(rf"^{ADDRESSING}(?:what is|what's|whats|what are|what do i have|what have i got|read me"
                             rf"|read|tell me|check|what else is)(?: on| in)? {_LIST}(?: please)?$")),
    ("list_clear", re.compile(rf"^{ADDRESSING}(?:clear|empty|delete|erase|wipe)(?: out)? {_LIST}(?: please)?$")),
    ("list_check", re.compile(rf"^{ADDRESSING}(?:is|are|do i have|have i got|did i put) (?P<items>.+?)"
                              rf" (?:on|in) {_LIST}(?: already)?$")),
    ("list_count", re.compile(rf"^{ADDRESSING}how many (?:things|items)(?: are| do i have| have i got)?"
                              rf" (?:on|in) {_LIST}$")),
)
# "create a packing list", "start a new grocery list", "make a list called camping"
_NAME = r"[a-z][a-z'-]*(?: [a-z][a-z'-]*)?"
_CREATE = re.compile(rf"^{ADDRESSING}(?:create|make|start|begin|set up)(?: me| us)? (?:a |an |my |the |our )?"
                     rf"(?:new )?(?:(?P<list>{_NAME}) list|list(?: (?:called|named) (?P<called>{_NAME}))?)"
                     r"(?: for me| please)?$")
# In answer to "What should I put on it?": its things alone ("sunscreen, a towel and a hat"), or nothing yet.
_FIRST_THINGS = re.compile(r"^(?:add |put )?(?P<items>[a-z' ,-]+?)(?: please)?$")
_NOTHING_YET = re.compile(r"^(?:nothing|no|nope|none|not yet|nothing yet|not now|later|i will tell you later"
                          r"|no thanks|no thank you)(?: yet| for now| right now| thanks)?$")
_NOT_THINGS = re.compile(r"^(?:what|when|where|who|why|how|which|did|does|do|is|are|can|could|would|will|should|i|we"
                         r"|you|it|tell|set|remind|turn|play|stop|cancel)\b")
_LISTS = re.compile(rf"^{ADDRESSING}(?:what lists do i have|what are my lists|which lists do i have|read my lists"
                    r"|what lists are there)(?: please)?$")
# "add eggs" (the list last used, else the shopping list, as on phones); just after one was added to, "and eggs",
# "also bread". Not a length, a number or another skill's thing: "add 5 minutes", "add an alarm".
_ADD_ALONE = re.compile(rf"^{ADDRESSING}(?:add|put|write down) (?P<items>[a-z' ,-]+?)(?: too| as well| please)?$")
_AND_ALSO = re.compile(r"^(?:oh )?(?:and|also|and also|plus) (?:add )?(?P<items>[a-z' ,-]+?)"
                       r"(?: too| as well| please)?$")
# "cross off apples", "check apples off", "tick off the eggs": off the list the turn before used, else the shopping
# list.
_OFF_ALONE = re.compile(rf"^{ADDRESSING}(?:(?:cross|check|tick|scratch) off (?P<items>[a-z' ,-]+?)"
                        r"|(?:cross|check|tick|scratch) (?P<items2>[a-z' ,-]+?) off)(?: please)?$")
# Bought, so off the shopping list: "I got the milk", "we picked up eggs and bread", "I just bought the coffee".
_BOUGHT = re.compile(r"^(?:okay |ok |so )?(?:i|we) (?:just |already )?(?:got|bought|picked up|grabbed|have got|have "
                     r"bought|have) (?P<items>[a-z' ,-]+?)(?: already| now| today)?$")
# Needed, so perhaps for the shopping list (asked first: "I need to buy a new car" is talk as often as not).
_NEEDED = re.compile(r"^(?:oh |so |well )?(?:(?:we are|we're|i am|i'm) (?:all |completely )?(?:out of|running low on"
                     r"|low on)|(?:we|i) (?:have |just )?(?:ran|run) out of|(?:we|i) need to (?:buy|pick up)"
                     r"|(?:we|i) need (?:some|more)|(?:we are|we're) going to need (?:some|more))"
                     r" (?P<items>[a-z' ,-]+?)(?: again| now| today)?$")
# What one is out of that no shop sells: "I'm out of ideas", "we're out of here".
_NOT_BOUGHT = frozenset({"ideas", "idea", "patience", "breath", "luck", "energy", "words", "options", "here", "there",
                         "town", "shape", "order", "control", "sight", "mind", "my mind", "bed", "work", "school",
                         "the house", "the office", "line", "the way", "practice", "steam", "space", "room"})
_YES = re.compile(r"^(?:yes|yeah|yep|yup|sure|please|yes please|ok|okay|do it|go ahead|please do|add it|add them"
                  r"|put it on|sure thing|of course)(?: please| thanks| thank you)?$")
_NO = re.compile(r"^(?:no|nope|no thanks|no thank you|do not|not now|no need|not yet)(?: thanks| thank you)?$")
# Where a bare add puts something, when that is not a list (which _REQUESTS reads): "on my calendar", "in the fridge".
_ELSEWHERE = re.compile(r"\b(?:to|on|in|onto|into) (?:my|the|our|your) ")
# What the shopping list is for: "what do I need from the store", "what do I need to buy".
_SHOPPING = re.compile(rf"^{ADDRESSING}what do (?:i|we) need (?:to (?:buy|get|pick up)|from the|at the)"
                       r"(?: (?:from|at) the)?(?: (?:store|shop|shops|supermarket|grocery store|market))?(?: please)?$")
_NOT_ITEMS = frozenset({"timer", "timers", "alarm", "alarms", "reminder", "reminders", "note", "notes", "minute",
                        "minutes", "hour", "hours", "second", "seconds", "list", "lists", "time", "volume", "event",
                        "appointment", "meeting", "that", "something", "more", "another", "up", "what", "how", "why",
                        "when", "where", "who", "then", "you", "i", "me", "so"})  # talk: "and then what happened"


@dataclass(frozen=True)
class ListRequest:
    intent: str  # list_add, list_remove, list_read, list_clear, list_check, list_count, list_names, list_create,
    # list_later (nothing to put on a list just made yet), list_offer (ask whether to add), list_declined
    name: str  # "shopping", "to-do", "packing"; "" for list_names
    items: tuple[str, ...] = ()


def parse_list_request(text: str, recent: str | None = None, just_added: bool = False,
                       filling: str | None = None, offered: tuple[str, ...] = ()) -> ListRequest | None:
    """The list request `text` makes, else None. Read from lower-cased text with its commas (they part items).
    `recent`: the list the turn before used (a bare "add eggs" goes on it, else on the shopping list);
    `just_added`: the turn before added to it ("and eggs"); `filling`: the turn before made this list and asked
    what to put on it; `offered`: the turn before asked whether to put these on the shopping list."""
    said = plain_words(text)
    if offered and _YES.match(said):
        return ListRequest("list_add", "shopping", offered)
    if offered and _NO.match(said):
        return ListRequest("list_declined", "shopping")
    if _LISTS.match(said):
        return ListRequest("list_names", "")
    create = _CREATE.match(said)
    if create is not None:
        named = create["list"] or create["called"]
        name = _NAMES.get(named, named) if named else "shopping"
        return None if set(name.split()) & _NOT_NAMES else ListRequest("list_create", name)
    if filling is not None:
        first = _first_things(said, filling)
        if first is not None:
            return first
    named = _named_list_request(said)
    if named is not None:
        return named
    if _SHOPPING.match(said):
        return ListRequest("list_read", "shopping")
    off = _OFF_ALONE.match(said)
    alone = _ADD_ALONE.match(said) or (_AND_ALSO.match(said) if just_added else None)
    if off is None and alone is None:
        return None
    if alone is not None and _ELSEWHERE.search(alone["items"]):
        return None  # "put lunch with Sam on my calendar": somewhere that is no list
    items = _things((off["items"] or off["items2"]) if off else alone["items"])
    if items is None:
        return None
    return ListRequest("list_remove" if off else "list_add", recent or "shopping", items)


def _named_list_request(said: str) -> ListRequest | None:
    for intent, pattern in _REQUESTS:
        match = pattern.match(said)
        if match is None:
            continue
        name = _NAMES.get(match["list"], match["list"]) if match["list"] else "shopping"
        items = tuple(_items(match["items"])) if "items" in pattern.groupindex else ()
        if set(name.split()) & _NOT_NAMES or ("items" in pattern.groupindex and (not items or set(items) & _NOT_NAMES)):
            return None
        return ListRequest(intent, name, items)
    return None


def _first_things(said: str, filling: str) -> ListRequest | None:
    """The answer to "What should I put on your packing list?" (`filling`): its things, or nothing yet; None if it
    is no such answer (a question, another request)."""
    if _NOTHING_YET.match(said):
        return ListRequest("list_later", filling)
    things = _FIRST_THINGS.match(said)
    if things is None or _NOT_THINGS.match(said) or _ELSEWHERE.search(said):
        return None
    items = _things(things["items"])
    if items is None or any(len(item.split()) > 5 for item in items):  # (talk, not things)
        return None
    return ListRequest("list_add", filling, items)


def _things(said: str) -> tuple[str, ...] | None:
    """The items `said` names, or None if it names none or something that is no item ("add 5 minutes", "it")."""
    items = tuple(_items(said))
    words = {w for item in items for w in item.split()}
    if not items or set(items) & _NOT_NAMES or words & _NOT_ITEMS:
        return None
    return items


# Things whose name has an "and" in it, bought as one ("bread and butter" is two).
_ONE_THING = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in (
    "mac and cheese", "macaroni and cheese", "half and half", "fish and chips", "peanut butter and jelly",
    "sweet and sour", "salt and vinegar", "pork and beans", "cookies and cream", "ben and jerry's", "ben and jerrys",
    "m and m's", "m and ms", "arts and crafts")) + r")\b")


def _items(said: str) -> list[str]:
    said = re.sub(r"(?:\s+and)+\s*$", "", said)  # "add milk and": the rest never came
    said = _ONE_THING.sub(lambda m: m[0].replace(" and ", " &and "), said)
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", said)
    return [p.removeprefix("some ").strip(" ,").replace("&and", "and") for p in parts if p.strip(" ,")]


class Lists:
    """The named lists and their items, in the order added. Owned by the controller's thread (through Skills)."""

    def __init__(self) -> None:
        self.lists: dict[str, list[str]] = {}
        self.recent: str | None = None  # the list the last turn used: "add eggs" goes on it
        self.just_added = False  # the last turn added to it: "and eggs" is more for it
        self.filling: str | None = None  # the last turn made this list: its things alone go on it
        self.offered: tuple[str, ...] = ()  # the last turn asked whether to put these on the shopping list

    def new_turn(self) -> None:
        """The list used, and added to, is the last turn's only."""
        self.recent, self.just_added, self.filling, self.offered = None, False, None, ()

    def act(self, request: ListRequest) -> tuple[str, str]:
        """Does what `request` asks: its reply (intent, text)."""
        if request.intent == "list_names":
            names = [f"{indefinite_article(name)} {name} list" for name in self.lists]
            return request.intent, f"You have {spoken_list(names)}." if names else "You have no lists."
        if request.intent != "list_clear":  # a list just cleared is done with
            self.recent, self.just_added = request.name, request.intent == "list_add"
        called = f"your {request.name} list"
        items = self.lists.get(request.name, [])
        if request.intent == "list_create":
            return request.intent, self._create(request.name, items)
        if request.intent == "list_later":
            return request.intent, f"Okay, {called} is there when you need it."
        if request.intent == "list_declined":
            return request.intent, "Okay."
        if request.intent == "list_offer":
            self.offered = request.items
            return request.intent, f"Should I put {spoken_list(list(request.items))} on {called}?"
        if request.intent == "list_check":
            found = [i for i in request.items if _find(i, items) is not None]
            missing = [i for i in request.items if i not in found]
            said = _are(found, f"on {called}") + _are(missing, f"not on {called}")
            if found and missing:
                return request.intent, " ".join(said)
            return request.intent, f"{'Yes' if found else 'No'}, {said[0][0].lower()}{said[0][1:]}"
        if request.intent == "list_count":
            if not items:
                return request.intent, f"{called.capitalize()} is empty."
            count = "one thing" if len(items) == 1 else f"{len(items)} things"
            return request.intent, f"{called.capitalize()} has {count}: {spoken_list(items)}."
        if request.intent == "list_read":
            if not items:
                return request.intent, f"{called.capitalize()} is empty."
            return request.intent, f"{called.capitalize()} has {spoken_list(items)}."
        if request.intent == "list_clear":
            self.lists.pop(request.name, None)
            return request.intent, f"Okay, {called} is empty."
        if request.intent == "list_remove":
            found = {i: _find(i, items) for i in request.items}  # "remove the eggs" takes "eggs" off
            gone = [kept for kept in found.values() if kept is not None]
            missing = [i for i, kept in found.items() if kept is None]
            self.lists[request.name] = [i for i in items if i not in gone]
            if not self.lists[request.name]:
                del self.lists[request.name]
            said = [f"Okay, I've taken {spoken_list(gone)} off {called}."] if gone else []
            return request.intent, " ".join(said + _are(missing, f"not on {called}"))
        if request.name not in self.lists and len(self.lists) >= MAX_LISTS:
            return request.intent, f"You already have {MAX_LISTS} lists. Clear one first."
        new = [i for i in dict.fromkeys(request.items) if _find(i, items) is None]
        there = [kept for i in request.items if (kept := _find(i, items)) is not None]
        if len(items) + len(new) > MAX_ITEMS:
            return request.intent, f"{called.capitalize()} is full: it holds {MAX_ITEMS} things."
        if new:
            self.lists[request.name] = items + new
        said = [f"Okay, I've added {spoken_list(new)} to {called}."] if new else []
        return request.intent, " ".join(said + _are(there, f"already on {called}"))

    def _create(self, name: str, items: list[str]) -> str:
        """Make the list `name` (empty) unless there is one, and ask what to put on it."""
        if name not in self.lists and len(self.lists) >= MAX_LISTS:
            return f"You already have {MAX_LISTS} lists. Clear one first."
        self.filling = name
        a_list = f"{indefinite_article(name)} {name} list"
        if items:
            return f"You already have {a_list}, with {spoken_list(items)}. What should I add to it?"
        if name in self.lists:
            return f"You already have {a_list}. What should I put on it?"
        self.lists[name] = []
        return f"Okay, I've made you {a_list}. What should I put on it?"

    def needed(self, text: str) -> ListRequest | None:
        """"We're out of milk", "I need to buy batteries": whether to put them on the shopping list is asked (those
        on it already are said to be); None if it names no things."""
        said = _NEEDED.match(plain_words(text))
        items = _things(said["items"]) if said else None
        if items is None or set(items) & _NOT_BOUGHT:
            return None
        kept = self.lists.get("shopping", [])
        if all(_find(item, kept) is not None for item in items):
            return ListRequest("list_check", "shopping", items)  # "Yes, milk is on your shopping list."
        return ListRequest("list_offer", "shopping", tuple(i for i in items if _find(i, kept) is None))

    def bought(self, text: str) -> ListRequest | None:
        """"I got the milk", "we bought eggs and bread": those of them on the shopping list come off it; None if
        none is (it is talk, the model's)."""
        said = _BOUGHT.match(plain_words(text))
        items = self.lists.get("shopping", [])
        if said is None or not items:
            return None
        on_list = tuple(item for item in _items(said["items"]) if _find(item, items) is not None)
        return ListRequest("list_remove", "shopping", on_list) if on_list else None

    def kept(self) -> dict[str, list[str]]:
        return {name: list(items) for name, items in self.lists.items()}

    def restore(self, kept: dict[str, list[str]]) -> None:
        self.lists = {name: list(items) for name, items in kept.items()}


def _find(item: str, items: list[str]) -> str | None:
    """The item of `items` that `item` names, "the" or "a" before it or not."""
    bare = _ARTICLE.sub("", item)
    return next((kept for kept in items if same_name(bare, _ARTICLE.sub("", kept))), None)


_ARTICLE = re.compile(r"^(?:the|a|an|my|our) ")


def _are(items: list[str], where: str) -> list[str]:
    """["Milk and eggs are already on your shopping list."], or [] for no items."""
    if not items:
        return []
    said = spoken_list(items)
    many = len(items) > 1 or (items[0].endswith("s") and not items[0].endswith("ss"))  # "eggs are", "glass is"
    return [f"{said[0].upper()}{said[1:]} {'are' if many else 'is'} {where}."]


def parse_kept(kept: object) -> dict[str, list[str]]:
    """The lists of a decoded skills file (none in files written before lists), checked; ValueError says what is
    wrong."""
    if kept is None:
        return {}
    if not (isinstance(kept, dict) and all(isinstance(n, str) and isinstance(i, list) and all(
            isinstance(x, str) for x in i) for n, i in kept.items())):
        raise ValueError("the lists are not lists of words")
    return kept
