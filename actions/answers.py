"""Everything outside the interview's form: questions about the regulation,
the hand-off, clarification, and the conversation-repair actions the rules
run anywhere (start over, stop, repeat, facts said in passing).

Each hands the message to the interview driver (``bot.dialogue.eligibility``), which
reads the facts in it whatever the intent, so nothing a person says is lost:
a question that also tells a case ("我在聊城租房，要带什么材料") is answered
for that case and the interview goes on; a message the NLU could not place
but that tells a case starts the interview instead of a "您是想问…？".
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, Restarted, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.dialogue.eligibility import TOPIC_OF_INTENT, Out, personal
from bot.dialogue.eligibility.reading import asks_eligibility, command, topic
from bot.dialogue.eligibility import texts as interview_texts

from bot.dialogue.checklists import personal_materials

from bot.dialogue import texts
from .facts import all_city_ids, city_id_of, city_name, interview, state_events, state_of
from .guard import GuardedAction
from .interview import FORM, button, city_buttons, say
from .understanding import message_key, message_of

logger = logging.getLogger(__name__)

# Related questions offered under an answer (at most three buttons).
FOLLOW_UPS = {
    "fee": ("ask_materials", "ask_processing_time", "ask_eligibility"),
    "processing": ("ask_materials", "ask_where", "ask_eligibility"),
    "where": ("ask_materials", "ask_processing_time", "book_appointment"),
    "proxy": ("ask_materials", "ask_where", "ask_eligibility"),
    "endorsement": ("ask_replacement", "ask_address_change", "ask_benefits"),
    "replacement": ("ask_endorsement", "ask_address_change", "ask_where"),
    "address_change": ("ask_endorsement", "ask_replacement", "ask_where"),
    "benefits": ("ask_hukou", "ask_eligibility", "ask_endorsement"),
    "hukou": ("ask_benefits", "ask_eligibility", "request_human"),
    "registration": ("ask_eligibility", "ask_where", "ask_fee"),
    "materials": ("ask_eligibility", "ask_where", "book_appointment"),
}


def topic_button(intent: str) -> dict[str, str]:
    return button(texts.TOPIC_TITLES[intent], intent)


def active_form(tracker: Tracker) -> Optional[str]:
    return (tracker.active_loop or {}).get("name") or None


class ActionAnswerTopic(GuardedAction):
    """Answers fee, processing, where, proxy, materials, 签注, … from the city's data, with articles,
    for the facts known so far.

    Always sets ``awaiting_city`` (the rules rely on it): false when it
    answered, true when the question waits for the city. A question that
    also tells a case starts (or goes on with) the interview after the answer.
    """

    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        message = message_of(tracker)
        # "派出所几点下班" comes as ask_where: the words say it asks the opening hours.
        asked = "hours" if topic(message) == "hours" else TOPIC_OF_INTENT.get(message.intent or "")
        return answer_topic(dispatcher, tracker, asked or tracker.get_slot("pending_topic"))


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, topic: Optional[str]) -> list[EventType]:
    """The answer to a question about ``topic`` for the facts known (see ActionAnswerTopic)."""
    message = message_of(tracker)
    answered = [SlotSet("awaiting_city", False), SlotSet("pending_topic", None)]
    if topic is None:
        logger.warning("action_answer_topic without a topic (intent %s)", message.intent)
        dispatcher.utter_message(response="utter_anything_else")
        return answered
    driver = interview(tracker)
    before = state_of(tracker)
    holder = driver.holder_reply(message, before)
    if holder:  # "我的居住证丢了": a holder's case, not the general rule (CONTRACT §2)
        say(dispatcher, [holder])
        return answered
    state, reading, changed = driver.absorb(before, message)
    city = state.city
    form = active_form(tracker)

    if topic == "hours" or (city is None and form):
        # Office hours need no city; a form going on: answer for every city rather than ask.
        say(dispatcher, [driver.answer_topic(topic, state)])
        return state_events(tracker, state, memo=False) + answered
    if city is None:
        if tracker.get_slot("awaiting_city") and message.intent == "inform":
            names = "、".join(city_name(c) for c in all_city_ids())
            dispatcher.utter_message(text=texts.CITY_NOT_SERVED.format(cities=names), buttons=city_buttons())
        else:
            dispatcher.utter_message(text=texts.ASK_CITY_FOR_TOPIC, buttons=city_buttons())
        # The facts of the question are kept ("我想给我闺女办…": someone applies for a child).
        return state_events(tracker, state, memo=False) + [SlotSet("awaiting_city", True),
                                                           SlotSet("pending_topic", topic)]

    decision = tracker.get_slot("decision")
    personal_list = personal_materials(decision) if topic == "materials" and decision and \
        decision.get("city") == city and not changed else None
    out = Out(personal_list) if personal_list else driver.answer_topic(topic, state)
    buttons: list[dict[str, str]] = []
    if not form:
        buttons = [topic_button(i) for i in FOLLOW_UPS[topic]]
        if topic == "materials" and not personal_list:
            buttons = [button(interview_texts.CHECK_PERSONAL, "ask_eligibility")] + buttons[1:]
            out.text += "\n" + interview_texts.MY_MATERIALS_OFFER
    dispatcher.utter_message(text=out.text, buttons=buttons)
    # A case told with the question (or with the question that waited for the city) goes on.
    waited = bool(tracker.get_slot("awaiting_city")) and personal(state.facts)
    goes_on = not form and (personal(reading.found) or waited)
    events = state_events(tracker, state, seen=message_key(tracker), memo=goes_on)
    if goes_on:
        # The message told a case: the interview goes on from it.
        return events + answered + [FollowupAction(FORM)]
    return events + answered


class ActionHumanHandoff(GuardedAction):
    """转人工: a hand-off to staff with the case attached (actions/handoff.py)."""

    def name(self) -> str:
        return "action_human_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        # The facts said with the request are kept for when the conversation goes on.
        state, _, _ = interview(tracker).absorb(state_of(tracker), message_of(tracker))
        from .handoff import open_handoff  # the case goes to staff (bot.handoff)

        logger.info("handoff requested city=%s in_form=%s", state.city or "-", bool(active_form(tracker)))
        return state_events(tracker, state, memo=False) + open_handoff(dispatcher, tracker, "asked", state)


def _tells_a_case(tracker: Tracker) -> bool:
    """The latest message gives facts (beyond a bare city): the interview should hear it."""
    if active_form(tracker):
        return False
    state = state_of(tracker)
    _, reading, _ = interview(tracker).absorb(state, message_of(tracker))
    found = reading.found
    named = city_id_of(found.get("city"))
    # A case, an address, or a city other than the one spoken of ("那曲靖呢" after a verdict).
    return personal(found) or bool(found.get("residence")) or (bool(named) and named != state.city)


class ActionClarify(GuardedAction):
    """Low NLU confidence: a message that tells a case starts the interview; anything
    else is asked back with buttons of the likely topics, never silence."""

    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        wants = command(message_of(tracker))
        if wants in REPAIR and not active_form(tracker):
            # "重来一遍" the NLU could not place: the same as when it could.
            return await REPAIR[wants]().run(dispatcher, tracker, domain)
        if not active_form(tracker):
            message = message_of(tracker)
            from bot.reminders import wants_no_reminder

            if wants_no_reminder(message.text or ""):  # 不用提醒了: close to 到时提醒我 for the classifier
                from .endorsement import ActionStopReminder

                return await ActionStopReminder().run(dispatcher, tracker, domain)
            side = topic(message)
            if side:  # "派出所几点下班": a question the words make plain
                return answer_topic(dispatcher, tracker, side)
            if _tells_a_case(tracker) or asks_eligibility(message):
                return [FollowupAction(FORM)]
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        likely = [item["name"] for item in ranking if item.get("name") in texts.TOPIC_TITLES][:3]
        for default in ("ask_eligibility", "ask_materials", "request_human"):
            if len(likely) >= 3:
                break
            if default not in likely:
                likely.append(default)
        from .handoff import open_handoff, second_not_understood

        if second_not_understood(tracker, texts.CLARIFY):  # twice in a row: a person takes over
            return open_handoff(dispatcher, tracker, "not_understood")
        dispatcher.utter_message(text=texts.CLARIFY, buttons=[topic_button(i) for i in likely])
        return []


class ActionDefaultFallback(ActionClarify):
    """Rasa's core fallback (no policy is sure what to do): ask back instead of
    Rasa's default, which is silent without an utter_default response. Like
    the default, it reverts the user's message so the dialogue state stays
    clean; unless the message tells a case, which starts the interview."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        return events or [UserUtteranceReverted()]


class ActionReadFacts(GuardedAction):
    """Small talk that also tells a case ("你好，我在聊城租房住了一年") or names the other
    city ("那聊城呢", taken for a yes): the interview hears it instead of the small-talk
    answer. Otherwise silent."""

    def name(self) -> str:
        return "action_read_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if active_form(tracker):
            return []
        state = state_of(tracker)
        _, reading, _ = interview(tracker).absorb(state, message_of(tracker))
        named = city_id_of(reading.found.get("city"))
        changes_city = bool(named and state.city and named != state.city)  # "那聊城呢" after a verdict
        return [FollowupAction(FORM)] if personal(reading.found) or changes_city else []


class ActionStartOver(GuardedAction):
    """"重来一遍", "从头开始": like the kiosk's 重新开始 button, the conversation is forgotten."""

    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        say(dispatcher, interview(tracker).restart().messages)
        return [Restarted()]


class ActionStop(GuardedAction):
    """"算了", "不问了": whatever was going on stops (the rules end the form first)."""

    def name(self) -> str:
        return "action_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        reply = interview(tracker).stop(state_of(tracker))
        say(dispatcher, reply.messages)
        return state_events(tracker, reply.state, seen=message_key(tracker))


class ActionRepeat(GuardedAction):
    """"再说一遍": the assistant's last turn again (inside a form, the form asks again)."""

    def name(self) -> str:
        return "action_repeat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if active_form(tracker):
            return []  # the form comes back and asks its question again
        last = last_bot_turn(tracker)
        if not last:
            dispatcher.utter_message(text=interview_texts.REPEAT_NOTHING)
            return []
        for event in last:
            data = event.get("data") or {}
            kwargs: dict[str, Any] = {"text": event.get("text"), "buttons": data.get("buttons") or []}
            if data.get("custom") is not None:
                kwargs["json_message"] = data["custom"]
            if data.get("image"):
                kwargs["image"] = data["image"]
            dispatcher.utter_message(**kwargs)
        return []


def last_bot_turn(tracker: Tracker) -> list[dict[str, Any]]:
    """The bot messages between the two latest user messages."""
    events = list(tracker.events)
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if len(users) < 2:
        return [] if not users else [e for e in events[:users[-1]] if e.get("event") == "bot"]
    return [e for e in events[users[-2] + 1:users[-1]] if e.get("event") == "bot"]


# What action_clarify does when the NLU missed a repair request the words make plain.
REPAIR = {"restart": ActionStartOver, "stop": ActionStop, "repeat": ActionRepeat}
