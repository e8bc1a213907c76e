"""Everything outside the interview's form: questions about the regulation, the hand-off,
clarification, and the conversation-repair turns the rules run anywhere (start over, stop,
repeat, facts said in passing).

Each hands the message to the interview driver (``bot.dialogue.eligibility``),
which reads the facts in it whatever the intent, so nothing a person says is
lost: a question that also tells a case ("我在聊城租房，要带什么材料") is
answered for that case and the interview goes on; a message the NLU could
not place but that tells a case starts the interview instead of a
"您是想问…？".
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from bot.rules.policy import city_ids, load_city

from . import endorsement, handoff, memory, texts
from .checklists import personal_materials
from .conversation import Conversation
from .eligibility import TOPIC_OF_INTENT, Out, personal, reading
from .eligibility import texts as interview_texts
from .interview import FORM, city_buttons, says
from .outcome import FORGET, REVERT, Outcome, button, run

logger = logging.getLogger(__name__)

ANYTHING_ELSE = "utter_anything_else"  # the domain's "好的。还有什么可以帮您？"

# Questions whose answer is the same for someone who holds a permit: asked by a holder with no
# case of their own (moved, lost, 签注), they get the answer, not the holder's reminders.
ANSWERED_FOR_HOLDERS = ("benefits", "fee", "hukou", "where", "processing", "proxy", "hours")
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


def question(conversation: Conversation) -> Outcome:
    """A question about fee, processing, where, proxy, materials, 签注, …: the topic its intent names
    ("派出所几点下班" comes as ask_where: the words say it asks the opening hours), else the one
    waiting for the city."""
    message = conversation.message()
    asked = "hours" if reading.topic(message) == "hours" else TOPIC_OF_INTENT.get(message.intent or "")
    return answer_topic(conversation, asked or conversation.slot("pending_topic"))


def answer_topic(conversation: Conversation, topic: Optional[str]) -> Outcome:
    """The answer about ``topic`` from the city's data, with articles, for the facts known so far.

    Always sets ``awaiting_city`` (the rules rely on it): false when it
    answered, true when the question waits for the city. A question that also
    tells a case starts (or goes on with) the interview after the answer."""
    message = conversation.message()
    answered = {"awaiting_city": False, "pending_topic": None}
    if topic is None:
        logger.warning("action_answer_topic without a topic (intent %s)", message.intent)
        return Outcome([{"response": ANYTHING_ELSE}], answered)
    driver = memory.driver()
    before = memory.state_of(conversation)
    holder = driver.holder_reply(message, before)
    if holder and not ((holder.custom or {}).get("holder") or {}).get("event") and topic in ANSWERED_FOR_HOLDERS:
        holder = None  # "聊城的居住证办好了能干啥": a question whose answer is the same for a holder
    if holder:  # "我的居住证丢了": a holder's case, not the general rule (CONTRACT §2)
        # Outside a form the case is remembered: answered for every city, the city named next gets it.
        kept = {} if conversation.form else memory.state_values(conversation, before)
        return Outcome(says([holder]), {**kept, **answered})
    state, read, changed = driver.absorb(before, message)
    city = state.city
    form = conversation.form

    if topic == "hours" or (city is None and form):
        # Office hours need no city; a form going on: answer for every city rather than ask.
        out = Outcome(says([driver.answer_topic(topic, state)]), memory.state_values(conversation, state, memo=False))
        return out.set(**answered)
    if city is None:
        if conversation.slot("awaiting_city") and message.intent == "inform":
            names = "、".join(load_city(c).name for c in city_ids())
            out = Outcome().say(texts.CITY_NOT_SERVED.format(cities=names), city_buttons())
        else:
            out = Outcome().say(texts.ASK_CITY_FOR_TOPIC, city_buttons())
        # The facts of the question are kept ("我想给我闺女办…": someone applies for a child).
        return out.set(**memory.state_values(conversation, state, memo=False)).set(awaiting_city=True,
                                                                                   pending_topic=topic)

    decision = conversation.slot("decision")
    personal_list = personal_materials(decision) if topic == "materials" and decision and \
        decision.get("city") == city and not changed else None
    said = Out(personal_list) if personal_list else driver.answer_topic(topic, state)
    buttons: list[dict[str, str]] = []
    if not form:
        buttons = [topic_button(i) for i in FOLLOW_UPS[topic]]
        if topic == "materials" and not personal_list:
            buttons = [button(interview_texts.CHECK_PERSONAL, "ask_eligibility")] + buttons[1:]
            said.text += "\n" + interview_texts.MY_MATERIALS_OFFER
    out = Outcome().say(said.text, buttons)
    # A case told with the question (or with the question that waited for the city) goes on.
    waited = bool(conversation.slot("awaiting_city")) and personal(state.facts)
    goes_on = not form and (personal(read.found) or waited)
    out.set(**memory.state_values(conversation, state, seen=conversation.message_key(), memo=goes_on))
    out.set(**answered)
    return out.next(run(FORM)) if goes_on else out


def human(conversation: Conversation) -> Outcome:
    """转人工: a hand-off to staff with the case attached; the facts said with the request are kept
    for when the conversation goes on."""
    state, _, _ = memory.driver().absorb(memory.state_of(conversation), conversation.message())
    logger.info("handoff requested city=%s in_form=%s", state.city or "-", bool(conversation.form))
    return Outcome(values=memory.state_values(conversation, state, memo=False)) + \
        handoff.open_for(conversation, "asked", state)


def _tells_a_case(conversation: Conversation) -> bool:
    """The latest message gives facts (beyond a bare city): the interview should hear it."""
    if conversation.form:
        return False
    state = memory.state_of(conversation)
    _, read, _ = memory.driver().absorb(state, conversation.message())
    found = read.found
    named = memory.city_id_of(found.get("city"))
    # A case, an address, or a city other than the one spoken of ("那曲靖呢" after a verdict).
    return personal(found) or bool(found.get("residence")) or (bool(named) and named != state.city)


def clarify(conversation: Conversation) -> Outcome:
    """Low NLU confidence: a message that tells a case starts the interview; anything else is asked
    back with buttons of the likely topics, never silence; the second time in a row, a person."""
    if not conversation.form:
        message = conversation.message()
        wants = reading.command(message)
        if wants in REPAIR:  # "重来一遍" the NLU could not place: the same as when it could
            return REPAIR[wants](conversation)
        if endorsement.wants_no_reminder(message.text or ""):  # 不用提醒了: close to 到时提醒我 for the classifier
            return endorsement.unsubscribe(conversation)
        side = reading.topic(message)
        if side:  # "派出所几点下班": a question the words make plain
            return answer_topic(conversation, side)
        if _tells_a_case(conversation) or reading.asks_eligibility(message):
            return Outcome().next(run(FORM))
    ranking = conversation.latest.get("intent_ranking") or []
    likely = [item["name"] for item in ranking if item.get("name") in texts.TOPIC_TITLES][:3]
    for default in ("ask_eligibility", "ask_materials", "request_human"):
        if len(likely) >= 3:
            break
        if default not in likely:
            likely.append(default)
    if conversation.asked_back(texts.CLARIFY):  # twice in a row: a person takes over
        return handoff.open_for(conversation, "not_understood")
    return Outcome().say(texts.CLARIFY, [topic_button(i) for i in likely])


def fallback(conversation: Conversation) -> Outcome:
    """Rasa's core fallback (no policy is sure what to do): asked back like :func:`clarify`
    instead of Rasa's silent default. Like the default, the message is dropped from the
    dialogue state, unless it tells a case, which starts the interview."""
    out = clarify(conversation)
    return out if out.values or out.then else out.next(REVERT)


def read_facts(conversation: Conversation) -> Outcome:
    """Small talk that also tells a case ("你好，我在聊城租房住了一年") or names the other city
    ("那聊城呢", taken for a yes): the interview hears it instead of the small-talk answer.
    Otherwise silent."""
    if conversation.form:
        return Outcome()
    state = memory.state_of(conversation)
    _, read, _ = memory.driver().absorb(state, conversation.message())
    named = memory.city_id_of(read.found.get("city"))
    changes_city = bool(named and state.city and named != state.city)  # "那聊城呢" after a verdict
    return Outcome().next(run(FORM)) if personal(read.found) or changes_city else Outcome()


def anything_else(conversation: Conversation) -> Outcome:
    """A yes, a no or a "嗯" with no question open: "还有什么可以帮您？". The third time in a row,
    what the assistant can do and a person instead, never the same question a third time."""
    if conversation.answered_with(ANYTHING_ELSE, 2):
        return Outcome().say(texts.WHAT_I_CAN_DO, [topic_button(i) for i in ("ask_eligibility", "ask_materials",
                                                                             "book_appointment", "request_human")])
    return Outcome([{"response": ANYTHING_ELSE}])


def start_over(conversation: Conversation) -> Outcome:
    """"重来一遍", "从头开始": like the kiosk's 重新开始 button, the conversation is forgotten."""
    return Outcome(says(memory.driver().restart().messages)).next(FORGET)


def stop(conversation: Conversation) -> Outcome:
    """"算了", "不问了": whatever was going on stops (the rules end the form first)."""
    reply = memory.driver().stop(memory.state_of(conversation))
    return Outcome(says(reply.messages), memory.state_values(conversation, reply.state,
                                                             seen=conversation.message_key()))


def repeat(conversation: Conversation) -> Outcome:
    """"再说一遍": the assistant's last turn again (inside a form, the form asks again)."""
    if conversation.form:
        return Outcome()  # the form comes back and asks its question again
    last = conversation.last_bot_turn()
    if not last:
        return Outcome().say(interview_texts.REPEAT_NOTHING)
    messages: list[dict[str, Any]] = []
    for event in last:
        data = event.get("data") or {}
        messages.append({"text": event.get("text"), "buttons": data.get("buttons") or [],
                         "custom": data.get("custom"), "image": data.get("image")})
    return Outcome(messages)


# What clarify does when the NLU missed a repair request the words make plain.
REPAIR = {"restart": start_over, "stop": stop, "repeat": repeat}
