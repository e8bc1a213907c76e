"""action_answer_topic, action_human_handoff, action_clarify, action_default_fallback.

(The booking actions of actions/booking.py have their own tests.)"""
from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.answers
import bot.dialogue.stations
from bot.dialogue import texts
from bot.dialogue.eligibility import TOPIC_OF_INTENT
from actions.answers import (ActionAnswerTopic, ActionClarify, ActionDefaultFallback,
                             ActionHumanHandoff, ActionReadFacts, ActionRepeat, ActionStartOver, ActionStop)
from bot.dialogue.memory import city_in_message
from bot.dialogue.eligibility import texts as interview_texts
from bot.rules import assess_dict, render_topic
from bot.rules.render import render_materials

from tests.actions.action_trackers import (TODAY, message, payload_message, payloads_of, slot_events,
                                           texts_of, tracker_for)

ANSWERED = {"awaiting_city": False, "pending_topic": None}
CITY_PAYLOADS = ['/inform{"city":"liaocheng"}', '/inform{"city":"qujing"}']


async def answer(tracker, domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerTopic().run(dispatcher, tracker, domain)
    return slot_events(events), dispatcher


@pytest.mark.parametrize("intent, topic", sorted(TOPIC_OF_INTENT.items()))
@pytest.mark.parametrize("city", ["liaocheng", "qujing"])
async def test_every_topic_is_answered_from_the_citys_data(domain, intent, topic, city):
    slots, dispatcher = await answer(tracker_for(message("问一下", intent), {"city": city}), domain)
    if topic == "materials":
        # Issue 8.8: the city's list at once (from the data, with articles), then the short check offered.
        decision = assess_dict({"city": city, "as_of": TODAY.isoformat()})
        assert texts_of(dispatcher) == [render_materials(decision, TODAY) + "\n" + interview_texts.MY_MATERIALS_OFFER]
        assert payloads_of(dispatcher)[0] == "/ask_eligibility"
    else:
        assert texts_of(dispatcher) == [render_topic(city, topic, TODAY)]
    assert "第" in texts_of(dispatcher)[0] and "条" in texts_of(dispatcher)[0]  # cites its article
    assert slots == ANSWERED


async def test_unknown_city_is_asked_with_buttons_and_the_question_waits(domain):
    slots, dispatcher = await answer(tracker_for(message("办居住证要钱吗", "ask_fee")), domain)
    assert payloads_of(dispatcher) == CITY_PAYLOADS
    assert slots == {"awaiting_city": True, "pending_topic": "fee"}


async def test_the_city_answer_gets_the_waiting_question_answered(domain):
    waiting = {"awaiting_city": True, "pending_topic": "fee"}
    slots, dispatcher = await answer(tracker_for(payload_message('/inform{"city":"qujing"}'), waiting), domain)
    assert texts_of(dispatcher) == [render_topic("qujing", "fee", TODAY)]
    assert slots == {"city": "qujing", "awaiting_city": False, "pending_topic": None}
    slots, dispatcher = await answer(tracker_for(message("聊城"), waiting), domain)
    assert texts_of(dispatcher) == [render_topic("liaocheng", "fee", TODAY)]
    assert slots["city"] == "liaocheng"


async def test_a_city_answer_that_is_no_city_is_explained(domain):
    slots, dispatcher = await answer(tracker_for(message("北京"), {"awaiting_city": True, "pending_topic": "fee"}),
                                     domain)
    assert "聊城市、曲靖市" in texts_of(dispatcher)[0]
    assert payloads_of(dispatcher) == CITY_PAYLOADS
    assert slots == {"awaiting_city": True, "pending_topic": "fee"}  # still waiting


async def test_the_city_named_in_the_question_is_used_and_kept(domain):
    slots, dispatcher = await answer(tracker_for(message("曲靖办居住证要多久", "ask_processing_time"),
                                                 {"city": "liaocheng"}), domain)
    assert texts_of(dispatcher) == [render_topic("qujing", "processing", TODAY)]
    assert slots == {"city": "qujing", **ANSWERED}
    slots, dispatcher = await answer(tracker_for(message("东昌府区在哪里办", "ask_where")), domain)
    # The county named is where the applicant lives: the answer names it.
    assert texts_of(dispatcher)[0].startswith("聊城市的居住证在东昌府区的居住地公安派出所")


async def test_in_the_interview_without_city_every_city_is_answered(domain):
    tracker = tracker_for(message("要钱吗", "ask_fee"), {"requested_slot": "city"}, active_loop="eligibility_form")
    slots, dispatcher = await answer(tracker, domain)
    text = texts_of(dispatcher)[0]
    assert render_topic("liaocheng", "fee", TODAY) in text and render_topic("qujing", "fee", TODAY) in text
    assert slots == ANSWERED and payloads_of(dispatcher) == []


async def test_materials_after_a_verdict_are_the_personal_checklist(domain):
    decision = {"city": "qujing", "materials": [
        {"code": "id_card", "text": "本人居民身份证", "articles": ["第十二条"]},
        {"code": "study_proof", "text": "就读证明：学生证", "articles": ["第十二条"]}]}
    _, dispatcher = await answer(tracker_for(message("要带什么", "ask_materials"),
                                             {"city": "qujing", "decision": decision}), domain)
    text = texts_of(dispatcher)[0]
    assert "□ 本人居民身份证（第十二条）" in text and "□ 就读证明：学生证（第十二条）" in text
    # without a decision: the city's list, with the short check offered
    _, dispatcher = await answer(tracker_for(message("要带什么", "ask_materials"), {"city": "qujing"}), domain)
    assert texts_of(dispatcher)[0].startswith("在曲靖市申领居住证要带：\n□ 本人居民身份证（第十二条）")
    assert interview_texts.MY_MATERIALS_OFFER in texts_of(dispatcher)[0]


async def test_answers_offer_follow_up_questions(domain):
    _, dispatcher = await answer(tracker_for(message("签注", "ask_endorsement"), {"city": "liaocheng"}), domain)
    assert "/ask_replacement" in payloads_of(dispatcher)


def test_city_in_message():
    assert city_in_message(message("聊城")) == "liaocheng"
    assert city_in_message(message("我在临清")) == "liaocheng"
    assert city_in_message(message("在宣威办证")) == "qujing"
    assert city_in_message(payload_message('/inform{"city":"qujing"}')) == "qujing"
    assert city_in_message(message("办证要钱吗")) is None
    assert city_in_message(message("我户口在聊城，在曲靖办证要多久")) == "qujing"  # where one lives, not the 户口
    assert city_in_message(message("开发区的派出所在哪")) is None  # every city has one


# --- hand-off ------------------------------------------------------------------------------

async def test_handoff_opens_a_case_with_the_facts(domain, caplog, handoff_store):
    dispatcher = CollectingDispatcher()
    earlier = [{"event": "user", "text": "我户口在河北，在聊城租房，电话13812345678"},
               {"event": "bot", "text": "您在现在的住处住了多久？"}]
    with caplog.at_level(logging.INFO):
        events = await ActionHumanHandoff().run(dispatcher, tracker_for(
            message("帮我转人工", "request_human"), {"city": "liaocheng", "housing": "rented"}, events=earlier), domain)
    assert slot_events(events) == {"handoff": True, "feedback_asked": "handoff"}
    [case] = handoff_store().queue()
    assert case["facts"]["housing"] == "rented" and case["city"] == "liaocheng" and case["reason"] == "asked"
    assert [line["text"] for line in case["transcript"]][0] == "我户口在河北，在聊城租房，电话138****5678"
    text = texts_of(dispatcher)[0]
    assert f"案件编号：{case['case_no']}" in text
    # No one at the console: the staff's hours and the hotline.
    assert "工作人员上班时间" in text and "12345" in text
    assert dispatcher.messages[0]["custom"] == {"handoff": {"case_no": case["case_no"], "status": "open", "on_duty": False}}
    records = [r.getMessage() for r in caplog.records if r.name.startswith(("actions", "bot.handoff"))]
    assert any("hand-off" in r for r in records) and not any("test" in r for r in records)  # no sender id


async def test_handoff_with_staff_on_duty_says_wait(domain, handoff_store):
    handoff_store().staff_seen()
    dispatcher = CollectingDispatcher()
    await ActionHumanHandoff().run(dispatcher, tracker_for(message("人工", "request_human")), domain)
    assert texts_of(dispatcher)[0].endswith("请稍候，工作人员马上回复您。")
    again = CollectingDispatcher()  # asked again while it is open: the same case
    await ActionHumanHandoff().run(again, tracker_for(message("人工", "request_human")), domain)
    assert len(handoff_store().queue()) == 1 and "已转给工作人员" in texts_of(again)[0]


async def test_handoff_without_a_store_lists_the_stations_phone_numbers(domain, monkeypatch):
    import bot.dialogue.stores

    station = SimpleNamespace(name="古楼派出所", county="东昌府区", phone="0635-1234567", address="东昌中路1号",
                              sample=False)
    seen = {}

    def stations_of(city, county=None):
        seen.update(city=city, county=county)
        return [station]

    def no_store():
        raise OSError("database down")

    monkeypatch.setattr(bot.dialogue.stations, "stations_of", stations_of)
    monkeypatch.setattr(bot.dialogue.stores, "handoffs", no_store)
    dispatcher = CollectingDispatcher()
    events = await ActionHumanHandoff().run(dispatcher, tracker_for(
        message("人工", "request_human"), {"city": "liaocheng", "residence_county": "东昌府区"}), domain)
    assert seen == {"city": "liaocheng", "county": "东昌府区"}
    assert "0635-1234567" in texts_of(dispatcher)[0]
    assert "示例" not in texts_of(dispatcher)[0]
    assert slot_events(events)["handoff"] is True


async def test_second_not_understood_in_a_row_hands_over(domain, handoff_store):
    first = CollectingDispatcher()
    await ActionClarify().run(first, tracker_for(message("嗯嗯那个啥", "nlu_fallback", 0.2)), domain)
    assert texts_of(first)[0] == texts.CLARIFY and handoff_store().queue() == []
    earlier = [{"event": "user", "text": "嗯嗯那个啥"}, {"event": "bot", "text": texts.CLARIFY}]
    second = CollectingDispatcher()
    events = await ActionClarify().run(second, tracker_for(message("就是那个呗", "nlu_fallback", 0.2),
                                                           events=earlier), domain)
    assert "没能理解" in texts_of(second)[0] and "案件编号" in texts_of(second)[0]
    assert handoff_store().queue()[0]["reason"] == "not_understood" and slot_events(events)["handoff"] is True


def test_stations_of_without_a_store_is_empty(monkeypatch):
    monkeypatch.undo()  # the real stations_of, not the autouse fixture's stand-in
    monkeypatch.setenv("DATABASE_URL", "notadialect://nowhere")
    assert bot.dialogue.stations.stations_of("liaocheng") == []


# --- clarification ---------------------------------------------------------------------

async def test_clarify_offers_the_likely_topics(domain):
    latest = message("那个证的事", "nlu_fallback", 0.3,
                     ranking=[("nlu_fallback", 0.3), ("ask_fee", 0.25), ("greet", 0.2), ("ask_where", 0.1)])
    dispatcher = CollectingDispatcher()
    events = await ActionClarify().run(dispatcher, tracker_for(latest), domain)
    assert events == []
    assert texts_of(dispatcher)[0]
    assert payloads_of(dispatcher) == ["/ask_fee", "/ask_where", "/ask_eligibility"]


async def test_clarify_never_leaves_the_user_without_buttons(domain):
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker_for(message("？？", "nlu_fallback", 0.1, ranking=[])), domain)
    assert len(payloads_of(dispatcher)) == 3


async def test_core_fallback_asks_back_and_forgets_the_message(domain):
    dispatcher = CollectingDispatcher()
    events = await ActionDefaultFallback().run(dispatcher, tracker_for(message("嗯那个", "inform", 0.9)), domain)
    assert events == [{"event": "rewind", "timestamp": None}]
    assert texts_of(dispatcher)[0] and len(payloads_of(dispatcher)) == 3


# --- issue 8: facts are read from every message, whatever the intent --------------------

async def test_facts_in_a_fallback_sentence_are_kept(domain):
    """Issue 8.1: a parent's long message the NLU could not place starts the interview
    (which reads every fact of it) instead of "您是想问下面哪一项？"."""
    text = "我儿子今年8岁，在曲靖麒麟区上小学，户口是四川的，能给他办吗"
    for action in (ActionClarify(), ActionDefaultFallback()):
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker_for(message(text, "nlu_fallback", 0.3)), domain)
        assert dispatcher.messages == []
        assert events == [{"event": "followup", "timestamp": None, "name": "eligibility_form"}]


async def test_materials_are_answered_at_once_for_what_is_known(domain):
    """Issue 8.8: "要带什么材料" after saying one rents: the list at once, the rented
    address proof in it, the check offered; the facts kept."""
    slots, dispatcher = await answer(tracker_for(message("我在东昌府租房住，要带什么材料", "ask_materials")), domain)
    text = texts_of(dispatcher)[0]
    assert text.startswith("在聊城市申领居住证要带：")
    assert "房屋租赁合同（或房屋出租人出具的住宿证明）（第七条）" in text
    assert slots["city"] == "liaocheng" and slots["housing"] == "rented"


async def test_a_question_that_tells_a_case_goes_on_with_the_interview(domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerTopic().run(dispatcher, tracker_for(
        message("我想给我妈办，她68了腿脚不方便，需要她本人去吗", "ask_proxy"), {"city": "liaocheng"}), domain)
    text = texts_of(dispatcher)[0]
    assert "可以由监护人、近亲属代为申领（第六条）" in text  # for her, not the rule in general
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "eligibility_form"}
    found = slot_events(events)
    assert found["by_proxy"] is True and found["age"] == 68 and found["mobility_impaired"] is True
    assert found["interview"]["seen"] == 1  # the form only asks its next question


async def test_a_greeting_that_tells_a_case_starts_the_interview(domain):
    dispatcher = CollectingDispatcher()
    events = await ActionReadFacts().run(dispatcher, tracker_for(message("你好，我在聊城租房住了一年", "greet")), domain)
    assert events == [{"event": "followup", "timestamp": None, "name": "eligibility_form"}]
    events = await ActionReadFacts().run(dispatcher, tracker_for(message("你好", "greet")), domain)
    assert events == [] and dispatcher.messages == []


# --- repair anywhere -----------------------------------------------------------------------

async def test_start_over_forgets_the_conversation(domain):
    dispatcher = CollectingDispatcher()
    events = await ActionStartOver().run(dispatcher, tracker_for(message("从头开始吧", "start_over"),
                                                                 {"city": "qujing"}), domain)
    assert events == [{"event": "restart", "timestamp": None}]
    assert "从头开始" in texts_of(dispatcher)[0]
    assert '/inform{"city":"liaocheng"}' in payloads_of(dispatcher)


async def test_stop_says_so_and_offers_what_else(domain):
    dispatcher = CollectingDispatcher()
    events = await ActionStop().run(dispatcher, tracker_for(message("不问这个了", "stop"), {"city": "qujing"}), domain)
    assert texts_of(dispatcher) == ["好的，不问了。还有什么可以帮您？"]
    assert "/ask_eligibility" in payloads_of(dispatcher)
    assert slot_events(events)["interview"]["asked"] is None


async def test_repeat_outside_a_form_says_the_last_turn_again(domain):
    bot = {"event": "bot", "text": "曲靖市办理居住证免费。", "data": {"buttons": [{"title": "签注", "payload": "/x"}]}}
    events = [{"event": "action", "name": "action_listen"},
              {"event": "user", "text": "要钱吗", "parse_data": message("要钱吗", "ask_fee")}, bot,
              {"event": "action", "name": "action_listen"}]
    dispatcher = CollectingDispatcher()
    await ActionRepeat().run(dispatcher, tracker_for(message("再说一遍", "repeat"), events=events), domain)
    assert texts_of(dispatcher) == ["曲靖市办理居住证免费。"] and payloads_of(dispatcher) == ["/x"]
    # Inside a form, the form asks again by itself.
    dispatcher = CollectingDispatcher()
    await ActionRepeat().run(dispatcher, tracker_for(message("再说一遍", "repeat"), events=events,
                                                     active_loop="booking_form"), domain)
    assert dispatcher.messages == []


async def test_a_holder_asking_what_the_permit_is_for_gets_the_benefits(domain):
    """"聊城的居住证办好了能干啥" asks about the benefits: their answer, not the holder's reminders
    (found typing as a user); a holder's own case still gets the holder's answer."""
    slots, dispatcher = await answer(tracker_for(message("聊城的居住证办好了能干啥", "ask_benefits")), domain)
    assert texts_of(dispatcher)[0].startswith(render_topic("liaocheng", "benefits", TODAY).split("\n")[0])
    slots, dispatcher = await answer(tracker_for(message("我的聊城居住证丢了能干啥", "ask_replacement")), domain)
    assert "补领" in texts_of(dispatcher)[0]


async def test_a_third_hm_in_a_row_is_not_asked_anything_else_a_third_time(domain):
    """"嗯", "嗯嗯", "哦": "还有什么可以帮您？" twice, then what the assistant can do and a person."""
    def turn(text: str, answered: bool) -> list[dict]:
        said = [{"event": "bot", "text": "好的。还有什么可以帮您？", "metadata": {"utter_action": "utter_anything_else"}}]
        return [{"event": "user", "text": text, "parse_data": message(text, "affirm")},
                {"event": "action", "name": "action_anything_else"}, *(said if answered else [])]

    async def reply(history: list[dict]) -> CollectingDispatcher:
        dispatcher = CollectingDispatcher()
        await actions.answers.ActionAnythingElse().run(dispatcher, tracker_for(message("哦", "affirm"), events=history),
                                                      domain)
        return dispatcher

    assert (await reply(turn("嗯", True))).messages[0]["response"] == "utter_anything_else"
    third = await reply(turn("嗯", True) + turn("嗯嗯", True))
    assert texts_of(third) == [texts.WHAT_I_CAN_DO] and "/request_human" in payloads_of(third)
    # Something else in between starts the count again.
    again = await reply(turn("嗯", True) + turn("要钱吗", False) + turn("嗯嗯", True))
    assert again.messages[0]["response"] == "utter_anything_else"


async def test_a_side_question_in_another_form_is_answered_for_every_city(domain):
    tracker = tracker_for(message("要钱吗", "ask_fee"), {}, active_loop="booking_form")
    slots, dispatcher = await answer(tracker, domain)
    assert "聊城市" in texts_of(dispatcher)[0] and "曲靖市" in texts_of(dispatcher)[0]
    assert slots == ANSWERED


async def test_a_repair_request_the_nlu_missed_is_still_done(domain):
    dispatcher = CollectingDispatcher()
    events = await ActionClarify().run(dispatcher, tracker_for(message("从头开始吧", "nlu_fallback", 0.3)), domain)
    assert events == [{"event": "restart", "timestamp": None}] and "从头开始" in texts_of(dispatcher)[0]
    dispatcher = CollectingDispatcher()
    events = await ActionDefaultFallback().run(dispatcher, tracker_for(message("不问这个了", "inform", 0.4)), domain)
    assert texts_of(dispatcher) == ["好的，不问了。还有什么可以帮您？"] and events


async def test_a_plain_question_the_nlu_missed_is_answered(domain):
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker_for(message("派出所几点下班", "nlu_fallback", 0.4)), domain)
    assert "办公时间" in texts_of(dispatcher)[0]
    dispatcher = CollectingDispatcher()
    events = await ActionClarify().run(dispatcher, tracker_for(message("帮我核对个人清单", "nlu_fallback", 0.4)),
                                       domain)
    assert events == [{"event": "followup", "timestamp": None, "name": "eligibility_form"}]


async def test_no_more_reminders_the_nlu_was_unsure_of_is_still_heard(domain):
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, tracker_for(message("不用提醒了", "nlu_fallback", 0.5)), domain)
    assert "不提醒" in texts_of(dispatcher)[0]


async def test_opening_hours_filed_under_ask_where_get_the_hours(domain):
    """The classifier has no intent for opening hours and files 几点下班 under ask_where."""
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic().run(dispatcher, tracker_for(message("派出所几点下班啊", "ask_where", 0.65)), domain)
    assert "办公时间" in texts_of(dispatcher)[0]
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic().run(dispatcher, tracker_for(message("在哪办居住证", "ask_where", 0.9)), domain)
    assert "办公时间" not in texts_of(dispatcher)[0]


async def test_the_other_city_taken_for_a_yes_goes_to_the_interview(domain):
    dispatcher = CollectingDispatcher()
    events = await ActionReadFacts().run(dispatcher, tracker_for(message("那聊城呢", "affirm", 0.56),
                                                                 {"city": "qujing"}), domain)
    assert events == [{"event": "followup", "timestamp": None, "name": "eligibility_form"}]


async def test_staff_see_the_whole_conversation_from_its_first_sentence(domain, handoff_store):
    """Issue 20 (7): with the last 8 messages only, "住亲戚家" said first never reached staff."""
    earlier = [{"event": "user", "text": "我住亲戚家，在聊城打工，能办居住证吗"}]
    for n in range(12):
        earlier += [{"event": "bot", "text": f"第{n + 1}个问题？"}, {"event": "user", "text": f"回答{n + 1}"}]
    await ActionHumanHandoff().run(CollectingDispatcher(), tracker_for(
        message("我想找个工作人员问问", "request_human"), {"city": "liaocheng"}, events=earlier), domain)
    [case] = handoff_store().queue()
    said = [line["text"] for line in case["transcript"]]
    assert said[0] == "我住亲戚家，在聊城打工，能办居住证吗" and said[-2:] == ["回答12", "我想找个工作人员问问"]
    assert len(said) == 26


async def test_handoffs_opened_through_rest_are_limited_per_client_address(domain, handoff_store):
    """Issue 19 (8): fresh sender ids opened hand-offs without limit; now 5 an hour per address."""
    from bot.platform.ratelimit import TOO_MANY_HANDOFFS_TEXT

    said = []
    for n in range(7):
        latest = {**message("转人工", "request_human"), "metadata": {"client": "198.51.100.9"}}
        tracker = tracker_for(latest, {"city": "liaocheng"})
        tracker.sender_id = f"rest-flood-{n}"  # a fresh conversation each time, from one address
        dispatcher = CollectingDispatcher()
        await ActionHumanHandoff().run(dispatcher, tracker, domain)
        said.append(texts_of(dispatcher)[0])
    assert len(handoff_store().queue()) == 5
    assert all("案件编号" in text for text in said[:5])
    assert said[5] == said[6] == TOO_MANY_HANDOFFS_TEXT.format(hotline="12345")
    # Another address still reaches a person.
    latest = {**message("转人工", "request_human"), "metadata": {"client": "203.0.113.5"}}
    tracker = tracker_for(latest, {"city": "liaocheng"})
    tracker.sender_id = "rest-other-address"
    dispatcher = CollectingDispatcher()
    await ActionHumanHandoff().run(dispatcher, tracker, domain)
    assert "案件编号" in texts_of(dispatcher)[0]
