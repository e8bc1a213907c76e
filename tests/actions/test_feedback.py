"""Ratings (action_rate, action_feedback_comment), the rating question after a
verdict (once per conversation), and the hand-off for what the regulation's
text cannot decide (action_assess)."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionFeedbackComment, ActionRate
from actions.interview import ActionAssess
from bot.handoff import texts as handoff_texts

from tests.actions.action_trackers import message, payload_message, slot_events, texts_of, tracker_for
from tests.actions.test_interview import HEBEI_RENTER

RATING_PAYLOADS = [b["payload"] for b in handoff_texts.rating_buttons()]
# 45, mobility-impaired, not disabled, a relative applies: 第六条's "等" leaves it open.
PROXY_IN_DOUBT = {**HEBEI_RENTER, "registered_months": 8.0, "by_proxy": True, "age": 45.0,
                  "mobility_impaired": True, "disabled": False}


def rating_buttons_in(dispatcher) -> int:
    return sum(1 for m in dispatcher.messages if [b["payload"] for b in m.get("buttons") or []] == RATING_PAYLOADS)


async def test_a_verdict_asks_for_a_rating_once(domain):
    slots = {**HEBEI_RENTER, "registered_months": 8.0}
    first = CollectingDispatcher()
    events = await ActionAssess().run(first, tracker_for(message("x"), slots), domain)
    assert rating_buttons_in(first) == 1 and slot_events(events)["feedback_asked"] == "verdict"
    assert texts_of(first)[0].startswith("结论：")  # the verdict first, the question after it
    again = CollectingDispatcher()
    events = await ActionAssess().run(again, tracker_for(message("x"), {**slots, "feedback_asked": "verdict"}), domain)
    assert rating_buttons_in(again) == 0 and "feedback_asked" not in slot_events(events)


async def test_what_the_text_cannot_decide_goes_to_staff(domain, handoff_store):
    dispatcher = CollectingDispatcher()
    events = await ActionAssess().run(dispatcher, tracker_for(message("x"), PROXY_IN_DOUBT), domain)
    decision = slot_events(events)["decision"]
    assert decision["open_questions"] and "能否代办" in decision["open_questions"][0]
    [case] = handoff_store().queue()
    assert case["reason"] == "cannot_decide" and case["verdict"] == decision["verdict"]
    assert case["facts"]["mobility_impaired"] is True and case["facts"]["age"] == 45
    assert "需要工作人员判断" in texts_of(dispatcher)[-1] and case["case_no"] in texts_of(dispatcher)[-1]
    assert rating_buttons_in(dispatcher) == 0  # asked when staff close it
    assert slot_events(events)["feedback_asked"] == "handoff"


async def test_a_rating_button_is_stored_without_personal_data(domain, handoff_store):
    dispatcher = CollectingDispatcher()
    decision = {"city": "liaocheng", "verdict": "eligible"}
    events = await ActionRate().run(dispatcher, tracker_for(payload_message('/rate{"rating":4}'), {
        "decision": decision, "feedback_asked": "verdict", "city": "liaocheng"}), domain)
    assert texts_of(dispatcher)[0].startswith(handoff_texts.RATING_THANKS)
    [rating] = handoff_store().ratings()
    assert rating == {"created": rating["created"], "level": 4, "label": "满意", "city": "liaocheng",
                      "topic": "verdict", "verdict": "eligible", "channel": "rest", "comment": None}
    rating_id = slot_events(events)["feedback_rating"]
    # A second rating in the same conversation is not counted.
    again = CollectingDispatcher()
    await ActionRate().run(again, tracker_for(payload_message('/rate{"rating":1}'), {"feedback_rating": rating_id}),
                           domain)
    assert texts_of(again) == [handoff_texts.RATING_ALREADY] and len(handoff_store().ratings()) == 1
    # A comment after it joins the rating, masked.
    comment = CollectingDispatcher()
    await ActionFeedbackComment().run(comment, tracker_for(message("意见：能不能打电话13812345678通知我",
                                                                   "feedback_comment"),
                                                           {"feedback_rating": rating_id}), domain)
    assert texts_of(comment) == [handoff_texts.COMMENT_THANKS]
    assert handoff_store().ratings()[0]["comment"] == "能不能打电话138****5678通知我"


async def test_a_typed_rating_keeps_its_comment(domain, handoff_store):
    dispatcher = CollectingDispatcher()
    await ActionRate().run(dispatcher, tracker_for(message("不太满意，问题问得太多了", "rate")), domain)
    [rating] = handoff_store().ratings()
    assert (rating["level"], rating["comment"]) == (2, "问题问得太多了")
    assert handoff_texts.RATING_COMMENT_INVITE not in texts_of(dispatcher)[0]


async def test_a_rating_without_a_level_asks_with_the_buttons(domain, handoff_store):
    dispatcher = CollectingDispatcher()
    await ActionRate().run(dispatcher, tracker_for(message("评价一下", "rate")), domain)
    assert rating_buttons_in(dispatcher) == 1 and handoff_store().ratings() == []
