"""Questions answered from the regulation data, the hand-off, clarification.

The answers themselves (with their article numbers) come from
``bot.rules.render_topic``; this module only works out the topic and the
city, asks for the city when it is needed and unknown, and picks buttons.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.rules import render_topic

from . import texts
from .facts import all_city_ids, city_id_of, city_name, today
from .guard import GuardedAction
from .interview import FORM, button, city_buttons
from .understanding import is_payload

logger = logging.getLogger(__name__)

TOPIC_OF_INTENT = {
    "ask_fee": "fee",
    "ask_processing_time": "processing",
    "ask_where": "where",
    "ask_proxy": "proxy",
    "ask_endorsement": "endorsement",
    "ask_replacement": "replacement",
    "ask_address_change": "address_change",
    "ask_benefits": "benefits",
    "ask_hukou": "hukou",
    "ask_registration": "registration",
    "ask_materials": "materials",
}
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


def city_in_message(message: dict[str, Any]) -> Optional[str]:
    """A city named in the message: a button's city, or a city or county where the
    applicant lives named in the text (not the 户口's: the parser tells them apart).
    The NLU's entities are not used for free text: the shared parser reads it."""
    text = message.get("text") or ""
    if is_payload(text):
        for entity in message.get("entities") or ():
            if entity.get("entity") in ("city", "county"):
                city = city_id_of(str(entity.get("value")))
                if city:
                    return city
        return None
    if not text.strip():
        return None
    try:
        from bot.parsing import extract_facts

        return city_id_of(extract_facts(text, None, today()).get("city"))
    except Exception:  # the parser must never silence the answer
        logger.exception("extract_facts failed on a question")
        return None


def personal_materials(decision: dict[str, Any]) -> Optional[str]:
    """The checklist of an earlier decision, if it has one."""
    if not decision or not decision.get("materials"):
        return None
    lines = [texts.MY_MATERIALS.format(city=city_name(decision["city"]))]
    lines += [f"□ {item['text']}（{'、'.join(item['articles'])}）" for item in decision["materials"]]
    return "\n".join(lines)


class ActionAnswerTopic(GuardedAction):
    """Answers fee, processing, where, proxy, 签注, … from the city's data, with articles.

    Always sets ``awaiting_city`` (the rules rely on it): false when it
    answered, true when the question waits for the city.
    """

    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        topic = TOPIC_OF_INTENT.get(intent) or tracker.get_slot("pending_topic")
        answered = [SlotSet("awaiting_city", False), SlotSet("pending_topic", None)]
        if topic is None:
            logger.warning("action_answer_topic without a topic (intent %s)", intent)
            dispatcher.utter_message(response="utter_anything_else")
            return answered
        named = city_in_message(message)
        city = named or city_id_of(tracker.get_slot("city"))
        as_of = today()
        in_interview = bool(tracker.active_loop) and tracker.active_loop.get("name") == FORM

        if city is None and in_interview:
            # The interview asks for the city next; answer for every city now.
            parts = [texts.EVERY_CITY] + [render_topic(c, topic, as_of) for c in all_city_ids()]
            dispatcher.utter_message(text="\n\n".join(parts))
            return answered
        if city is None:
            if tracker.get_slot("awaiting_city") and intent == "inform":
                names = "、".join(city_name(c) for c in all_city_ids())
                dispatcher.utter_message(text=texts.CITY_NOT_SERVED.format(cities=names), buttons=city_buttons())
            else:
                dispatcher.utter_message(text=texts.ASK_CITY_FOR_TOPIC, buttons=city_buttons())
            return [SlotSet("awaiting_city", True), SlotSet("pending_topic", topic)]

        events: list[EventType] = []
        if named and named != city_id_of(tracker.get_slot("city")) and not in_interview:
            events.append(SlotSet("city", named))
        decision = tracker.get_slot("decision")
        personal = personal_materials(decision) if topic == "materials" and decision and \
            decision.get("city") == city else None
        text = personal or render_topic(city, topic, as_of)
        buttons = [] if in_interview else [topic_button(i) for i in FOLLOW_UPS[topic]]
        dispatcher.utter_message(text=text, buttons=buttons)
        return events + answered


class ActionHumanHandoff(GuardedAction):
    """转人工: the stations' phone numbers (or the general route), and a hand-off record."""

    def name(self) -> str:
        return "action_human_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        city = city_id_of(tracker.get_slot("city")) or city_in_message(tracker.latest_message or {})
        stations = stations_of(city, tracker.get_slot("residence_county")) if city else []
        if stations:
            lines = [texts.HANDOFF_STATIONS.format(city=city_name(city))]
            lines += [texts.HANDOFF_STATION_LINE.format(name=s.name, county=s.county, phone=s.phone,
                                                        address=s.address) for s in stations[:3]]
            if any(s.sample for s in stations[:3]):
                lines.append(texts.HANDOFF_SAMPLE)
            lines.append(texts.HANDOFF_HOTLINE)
        else:
            lines = [texts.HANDOFF_GENERAL]
        lines.append(texts.HANDOFF_MORE)
        dispatcher.utter_message(text="\n".join(lines))
        # The record: no sender id, no text, no personal facts.
        logger.info("handoff requested city=%s stations=%d in_interview=%s", city or "-", len(stations),
                    bool(tracker.active_loop))
        return [SlotSet("handoff", True)]


def stations_of(city: str, county: Optional[str] = None) -> list[Any]:
    """The stations of a city from the appointment store; [] when it is not available."""
    try:
        from bot.appointments.service import AppointmentService

        return AppointmentService().stations(city=city, county=county)
    except Exception:  # no store yet, or no database: the general advice is given instead
        logger.warning("appointment store not available for the hand-off", exc_info=True)
        return []


class ActionClarify(GuardedAction):
    """Low NLU confidence: ask back with buttons of the likely topics, never silence."""

    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        likely = [item["name"] for item in ranking if item.get("name") in texts.TOPIC_TITLES][:3]
        for default in ("ask_eligibility", "ask_materials", "request_human"):
            if len(likely) >= 3:
                break
            if default not in likely:
                likely.append(default)
        dispatcher.utter_message(text=texts.CLARIFY, buttons=[topic_button(i) for i in likely])
        return []


class ActionDefaultFallback(ActionClarify):
    """Rasa's core fallback (no policy is sure what to do): ask back instead of
    Rasa's default, which is silent without an utter_default response. Like
    the default, it reverts the user's message so the dialogue state stays clean."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        await super().run(dispatcher, tracker, domain)
        return [UserUtteranceReverted()]
