"""What the device cannot do, said plainly (assistant.conversation.limits), through the skills."""

from __future__ import annotations

import pytest

from assistant.conversation.skills import SKILLS, Skills

WEATHER = "I can't check the weather: I work without the internet, so nothing you say leaves this device."
DEVICES = "I can't control lights or other devices: I only listen and talk."
OFFLINE = "I work without the internet, so nothing you say leaves this device"
CALLS = "I can't make calls or send messages: I only listen and talk."
ACCOUNTS = f"I can't see your calendar or messages: {OFFLINE}."
MUSIC = "I can't play music: I only listen and talk."
CURRENCIES = f"I can't convert currencies: the rates change, and {OFFLINE}."


@pytest.mark.parametrize(
    ("text", "said"),
    [("how many pounds in a kilogram", "There are about 2.2 pounds in a kilogram."),
     ("convert 10 pounds to kilograms", "10 pounds is about 4.54 kilograms.")],
)
def test_pounds_by_weight_are_the_units_skills(text: str, said: str) -> None:
    answer = Skills(SKILLS).answer(text, 0)
    assert answer is not None and (answer.intent, answer.text) == ("units", said)


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("what's the weather like in New York", WEATHER),  # a shared recording's words
        ("what is the Outdoor Humidity", WEATHER),  # another
        ("will it rain tomorrow", WEATHER), ("is it going to rain today", WEATHER), ("do I need an umbrella", WEATHER),
        ("what's the forecast for the weekend", WEATHER), ("how cold is it outside", WEATHER),
        ("what's the temperature", WEATHER), ("how cold is it", WEATHER), ("is it raining", WEATHER),
        ("hey jarvis is it freezing outside", WEATHER), ("is it snowing right now", WEATHER),
        ("what's the news", "I can't get the news: I work without the internet, so nothing you say leaves this "
                            "device."),
        ("who won the game last night", "I can't look up scores or results: I work without the internet, so nothing "
                                        "you say leaves this device."),
        ("what's the stock price of apple", "I can't look up prices: I work without the internet, so nothing you say "
                                            "leaves this device."),
        ("how is the traffic", "I can't check the traffic: I work without the internet, so nothing you say leaves "
                               "this device."),
        # the shared recordings of home-automation commands
        ("turn off lights in the Office", DEVICES), ("turn on Standing Light", DEVICES),
        ("lock the Front Door", DEVICES), ("activate Mood Lighting", DEVICES),
        ("set Bed Light brightness to 50 percent", DEVICES), ("skip on TV", DEVICES),
        ("turn on the living room lamp", DEVICES),
        ("turn on the living room lan", DEVICES),  # pocketsphinx's "lamp" in the simulated room: the room tells it
        ("hey jarvis can you turn off the kitchen lights please", DEVICES), ("dim the bedroom lights", DEVICES),
        # what a model says it did, or makes up: the call, the meeting, the song, the order, the search, the hours
        ("call mom", CALLS), ("text my wife that I'm late", CALLS), ("send a message to John", CALLS),
        ("email me my shopping list", CALLS), ("send my list to my phone", CALLS),
        ("what's on my calendar today", ACCOUNTS), ("do I have any meetings today", ACCOUNTS),
        ("read my email", ACCOUNTS),
        ("play some jazz", MUSIC), ("play the radio", MUSIC), ("play Bohemian Rhapsody by Queen", MUSIC),
        ("order more paper towels", f"I can't order or buy things: {OFFLINE}."),
        ("search the web for pizza places", f"I can't search the web: {OFFLINE}."),
        ("when does the pharmacy close", f"I can't look up opening hours: {OFFLINE}."),
        ("is the post office open today", f"I can't look up opening hours: {OFFLINE}."),
        ("what's the air quality", WEATHER),
        ("navigate to the airport", f"I can't give directions: {OFFLINE}."),
        # a model makes a rate up
        ("what's 100 dollars in euros", CURRENCIES), ("convert 50 euros to pounds", CURRENCIES),
        ("how many yen in a dollar", CURRENCIES), ("how many dollars is a pound", CURRENCIES),
    ],
)
def test_what_needs_the_internet_or_another_device_is_said_plainly_not_made_up(text: str, reply: str) -> None:
    answer = Skills(SKILLS).answer(text, 0)
    assert answer is not None and (answer.intent, answer.text) == ("limits", reply)


@pytest.mark.parametrize(
    "text",
    ["tell me a story about the rain", "why is the sky blue", "what is the temperature of the sun",
     "what is a weather balloon", "how does the stock market work", "turn up the heat", "open the pod bay doors",
     "what's the temperature of the EcoBee", "explain how traffic lights work", "call me Bob", "let's play 20 "
     "questions", "play a game with me", "order of operations", "what is a calendar", "why does it snow in winter",
     "how do I search for a file", "what time does the movie start", "who is on the 20 dollar bill",
     "why is the pound called sterling", "how cold is it on Mars", "is it warm enough to go swimming",
     "what's the temperature in Celsius"],
)
def test_talk_about_them_is_left_to_the_model(text: str) -> None:
    assert Skills(SKILLS).answer(text, 0) is None


def test_the_plain_answers_can_be_left_to_the_model() -> None:
    assert Skills([s for s in SKILLS if s != "limits"]).answer("what's the weather like in New York", 0) is None
