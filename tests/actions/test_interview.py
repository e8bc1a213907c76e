"""validate_eligibility_form and action_assess, from tracker fixtures: the Rasa
adapter of the interview driver (tracker in, driver, events out).

The driver's own behaviour is tested in tests/interview; here: that each
repair case reaches Rasa the right way (slots, messages, the end of the form,
rejection, follow-up actions).
"""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.interview import ActionAssess, ValidateEligibilityForm
from bot.rules import question_for
from bot.rules.render import card_summary

from tests.actions.action_trackers import (form_turn, message, payload_message, payloads_of, slot_events,
                                           texts_of, tracker_for)

# A 聊城 applicant from 河北 who applies for themselves and has told everything but the registration.
HEBEI_RENTER = {"city": "liaocheng", "hukou_province": "河北省", "lived_months": 8.0,
                "housing": "rented", "employment": "labor_contract", "by_proxy": False}


async def validate(tracker, domain, dispatcher=None):
    dispatcher = dispatcher or CollectingDispatcher()
    events = await ValidateEligibilityForm().run(dispatcher, tracker, domain)
    return slot_events(events), dispatcher


async def run_form(tracker, domain):
    dispatcher = CollectingDispatcher()
    events = await ValidateEligibilityForm().run(dispatcher, tracker, domain)
    return events, dispatcher


def event_kinds(events):
    return [e["event"] for e in events]


# --- how the next question is chosen ------------------------------------------------

async def test_without_city_the_city_is_asked_first(domain):
    slots, dispatcher = await validate(form_turn(message("我能办居住证吗", "ask_eligibility"), kind="activation"),
                                       domain)
    assert slots["requested_slot"] == "city"
    # The validator asks (there are no ask actions): the city question with its buttons.
    assert texts_of(dispatcher) == ["您现在住在哪个城市？目前我能解答聊城市、曲靖市的居住证问题。"]
    assert payloads_of(dispatcher) == ['/inform{"city":"liaocheng"}', '/inform{"city":"qujing"}']


async def test_unprompted_facts_fill_several_slots_at_once(domain):
    text = "我在聊城租房住了八个月，在厂里上班，能办居住证吗"
    slots, dispatcher = await validate(form_turn(message(text, "ask_eligibility"), kind="activation"), domain)
    assert slots["city"] == "liaocheng"
    assert slots["lived_months"] == 8
    assert slots["housing"] == "rented"
    assert "employment" not in slots  # 在厂里上班: a job, its kind not said (issue 17)
    assert slots["by_proxy"] is False  # "我在…": for oneself
    # The engine's first missing fact: where the 户口 is.
    assert slots["requested_slot"] == "hukou_city"
    assert texts_of(dispatcher)[-1] == question_for("hukou.city", "liaocheng")


async def test_the_answer_to_the_question_is_read_for_that_fact(domain):
    slots, _ = await validate(form_turn(message("河北石家庄"), {**HEBEI_RENTER, "hukou_province": None,
                                                             "requested_slot": "hukou_city"}), domain)
    assert slots["hukou_province"] == "河北省"
    assert slots["hukou_city"] == "石家庄市"
    assert slots["requested_slot"] == "registered_months"


async def test_engine_decides_so_the_form_ends_and_action_assess_says_it(domain):
    events, dispatcher = await run_form(form_turn(message("登记了八个月"), {
        **HEBEI_RENTER, "requested_slot": "registered_months"}), domain)
    slots = slot_events(events)
    assert slots["registered_months"] == 8
    assert slots["never_registered"] is False
    assert slots["requested_slot"] is None
    assert "followup" not in event_kinds(events)  # the rules run action_assess
    assert not any(t.startswith("结论") for t in texts_of(dispatcher))


async def test_required_slots_is_the_next_question(domain):
    form = ValidateEligibilityForm()
    tracker = tracker_for(message("x"), HEBEI_RENTER)
    assert await form.required_slots([], CollectingDispatcher(), tracker, domain) == ["registered_months"]
    tracker = tracker_for(message("x"), {**HEBEI_RENTER, "registered_months": 8.0})
    assert await form.required_slots([], CollectingDispatcher(), tracker, domain) == []
    tracker = tracker_for(message("x"), {})
    assert await form.required_slots([], CollectingDispatcher(), tracker, domain) == ["city"]


async def test_who_applies_is_asked_once_after_the_city(domain):
    slots, dispatcher = await validate(form_turn(message("聊城"), {"requested_slot": "city"}), domain)
    assert slots["requested_slot"] == "by_proxy"
    assert payloads_of(dispatcher) == ['/inform{"proxy_for":"self"}', '/inform{"proxy_for":"child"}',
                                       '/inform{"proxy_for":"elderly"}', '/inform{"proxy_for":"other"}']
    slots, _ = await validate(form_turn(payload_message('/inform{"proxy_for":"elderly"}'),
                                        {"city": "liaocheng", "requested_slot": "by_proxy"}), domain)
    assert slots["by_proxy"] is True and slots["requested_slot"] == "hukou_city"


async def test_a_foreigner_is_not_asked_about_housing(domain):
    slots, _ = await validate(form_turn(message("我是外国人"), {"city": "liaocheng",
                                                          "requested_slot": "hukou_city"}), domain)
    assert slots["nationality"] == "foreign"
    assert slots["requested_slot"] == "readback"  # said in words: read back before the verdict


async def test_a_local_in_the_exempt_districts_is_told_at_once(domain):
    slots, _ = await validate(form_turn(message("户口在东昌府区，现在住在茌平区", "inform"),
                                        {"city": "liaocheng", "requested_slot": "hukou_city"}), domain)
    assert slots["hukou_county"] == "东昌府区"
    assert slots["residence_county"] == "茌平区"
    assert slots["requested_slot"] == "readback"


async def test_a_newcomer_never_registered_gets_a_verdict(domain):
    slots, _ = await validate(form_turn(message("没办过"), {**HEBEI_RENTER, "lived_months": 3.0,
                                                         "requested_slot": "registered_months"}), domain)
    assert slots["never_registered"] is True
    assert slots.get("registered_months") is None
    assert slots["requested_slot"] is None


async def test_hukou_in_this_province_asks_which_city(domain):
    _, dispatcher = await validate(form_turn(message("山东的"), {"city": "liaocheng", "by_proxy": False,
                                                              "requested_slot": "hukou_city"}), domain)
    assert texts_of(dispatcher)[-1] == "您的户口在山东省哪个市？"
    assert {'/inform{"city":"liaocheng"}', '/inform{"province":"other"}'} <= set(payloads_of(dispatcher))


# --- corrections -----------------------------------------------------------------------

async def test_a_correction_overwrites_the_previous_answer(domain):
    tracker = form_turn(message("不对，是九个月"), {**HEBEI_RENTER, "requested_slot": "registered_months"},
                        asked=("hukou_city", "lived_months", "registered_months"))
    slots, dispatcher = await validate(tracker, domain)
    assert slots["lived_months"] == 9
    assert "registered_months" not in slots
    assert texts_of(dispatcher)[0] == "好的，已按您说的更正。"
    assert slots["requested_slot"] == "registered_months"  # still missing, asked again


async def test_a_bare_duration_answers_the_question_asked(domain):
    tracker = form_turn(message("八个月"), {**HEBEI_RENTER, "requested_slot": "registered_months"},
                        asked=("lived_months", "registered_months"))
    slots, _ = await validate(tracker, domain)
    assert slots["registered_months"] == 8 and "lived_months" not in slots


async def test_a_duration_said_for_another_fact_is_filed_there(domain):
    tracker = form_turn(message("我住了一年了"), {**HEBEI_RENTER, "requested_slot": "registered_months"},
                        asked=("lived_months", "registered_months"))
    slots, _ = await validate(tracker, domain)
    assert slots["lived_months"] == 12 and "registered_months" not in slots
    assert slots["requested_slot"] == "registered_months"


async def test_a_correction_after_the_verdict_reopens_the_decision(domain):
    done = {**HEBEI_RENTER, "lived_months": 3.0, "registered_months": 3.0}
    tracker = form_turn(message("不对，我住了九个月，登记了也是九个月"), done, kind="activation",
                        asked=("lived_months", "registered_months"))
    slots, _ = await validate(tracker, domain)
    assert slots["lived_months"] == 9 and slots["registered_months"] == 9
    assert slots["requested_slot"] == "readback"


async def test_a_new_city_clears_the_old_citys_places(domain):
    slots, dispatcher = await validate(form_turn(message("说错了，我在曲靖"), {
        "city": "liaocheng", "residence_county": "东昌府区", "requested_slot": "hukou_city"}), domain)
    assert slots["city"] == "qujing"
    assert slots["residence_county"] is None
    assert "好的，改为按曲靖市的规定来看。" in texts_of(dispatcher)


async def test_change_of_city_is_not_a_hukou_answer(domain):
    # Issue 8.6: "那曲靖呢" to the 户口 question moved the 户口 to 那曲 (西藏).
    slots, _ = await validate(form_turn(message("那曲靖呢"), {**HEBEI_RENTER, "hukou_province": None,
                                                           "requested_slot": "hukou_city"}), domain)
    assert slots["city"] == "qujing"
    assert "hukou_city" not in slots and "hukou_province" not in slots


# --- answers that are not understood, and the other repair cases --------------------------

async def test_not_understood_gets_the_parsers_hint_and_the_question_again(domain):
    slots, dispatcher = await validate(form_turn(message("嗯嗯随便", "inform"), {
        **HEBEI_RENTER, "requested_slot": "registered_months"}), domain)
    assert slots["requested_slot"] == "registered_months"
    assert "interview" in slots  # a slot other than requested_slot: the form does not reject
    assert "没办过就说“没办”" in texts_of(dispatcher)[0]
    assert texts_of(dispatcher)[1] == question_for("registered_months", "liaocheng")


async def test_vague_answers_never_loop_the_same_question_three_times(domain):
    # Issue 8.3: after two failed answers, the reason and a choice; never a third time.
    slots = {**HEBEI_RENTER, "requested_slot": "registered_months",
             "interview": {"asked": "registered_months", "tries": 1}}
    found, dispatcher = await validate(form_turn(message("差不多吧"), slots), domain)
    assert found["interview"]["tries"] == 2
    assert "第五条" in texts_of(dispatcher)[-1] and "/skip" in payloads_of(dispatcher)
    assert question_for("registered_months", "liaocheng") not in texts_of(dispatcher)
    slots["interview"] = {**found["interview"], "seen": None}  # the next message is a new one
    found, dispatcher = await validate(form_turn(message("反正挺那个的"), slots), domain)
    assert "registered_months" in found["interview"]["skipped"]
    assert found["requested_slot"] != "registered_months"


async def test_an_unserved_city_is_explained(domain):
    slots, dispatcher = await validate(form_turn(message("北京"), {"requested_slot": "city"}), domain)
    assert slots["requested_slot"] == "city"
    assert "聊城市" in texts_of(dispatcher)[0] and "曲靖市" in texts_of(dispatcher)[0]


async def test_a_side_question_is_answered_and_the_interview_goes_on(domain):
    # Issue 8.4: answered from the renderer, then the same question; no rejection.
    tracker = form_turn(message("要花多少钱", "ask_fee"), {**HEBEI_RENTER, "requested_slot": "registered_months"})
    events, dispatcher = await run_form(tracker, domain)
    assert "action_execution_rejected" not in event_kinds(events)
    assert "免费" in texts_of(dispatcher)[0] and "第四条" in texts_of(dispatcher)[0]
    assert texts_of(dispatcher)[-1] == question_for("registered_months", "liaocheng")
    assert slot_events(events)["requested_slot"] == "registered_months"


async def test_chitchat_gets_a_word_then_the_question(domain):
    # Issue 8.5.
    _, dispatcher = await validate(form_turn(message("你吃饭了吗", "out_of_scope"), {
        **HEBEI_RENTER, "requested_slot": "registered_months"}), domain)
    assert "居住证" in texts_of(dispatcher)[0]
    assert texts_of(dispatcher)[-1] == question_for("registered_months", "liaocheng")


async def test_repeat_says_the_last_reply_again(domain):
    last = [{"text": "您在现住地办理居住登记多久了？", "role": "question"}]
    _, dispatcher = await validate(form_turn(message("再说一遍", "repeat"), {
        **HEBEI_RENTER, "requested_slot": "registered_months",
        "interview": {"asked": "registered_months", "last": last}}), domain)
    assert texts_of(dispatcher) == ["您在现住地办理居住登记多久了？"]


async def test_skip_moves_on(domain):
    slots, dispatcher = await validate(form_turn(payload_message("/skip"), {
        **HEBEI_RENTER, "requested_slot": "registered_months"}), domain)
    assert "registered_months" in slots["interview"]["skipped"]
    assert texts_of(dispatcher)[0] == "好的，这个先跳过。"


async def test_typed_restart_works_like_the_button(domain):
    # Issue 8.6: "重来一遍" forgets the conversation (Rasa's action_restart).
    events, dispatcher = await run_form(form_turn(message("重来一遍", "inform"), {
        **HEBEI_RENTER, "requested_slot": "registered_months"}), domain)
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_restart"}
    assert slot_events(events)["requested_slot"] is None
    assert "从头开始" in texts_of(dispatcher)[0]


async def test_stop_ends_the_interview_without_a_verdict(domain):
    events, dispatcher = await run_form(form_turn(message("算了", "deny"), {
        **HEBEI_RENTER, "requested_slot": "registered_months"}), domain)
    assert slot_events(events)["requested_slot"] is None
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "action_listen"
    assert "不问了" in texts_of(dispatcher)[0]


async def test_a_hand_off_is_left_to_the_rules_with_the_facts_kept(domain):
    events, dispatcher = await run_form(form_turn(message("户口在河北，帮我转人工", "request_human"), {
        "city": "liaocheng", "requested_slot": "hukou_city"}), domain)
    assert events[-1]["event"] == "action_execution_rejected"
    assert slot_events(events)["hukou_province"] == "河北省"
    assert dispatcher.messages == []


async def test_a_hand_off_the_nlu_missed_is_given_by_the_form(domain):
    events, dispatcher = await run_form(form_turn(message("转人工", "inform"), {
        **HEBEI_RENTER, "requested_slot": "registered_months"}), domain)
    assert "12345" in texts_of(dispatcher)[0]
    assert slot_events(events)["handoff"] is True and slot_events(events)["requested_slot"] is None


async def test_booking_in_the_middle_is_left_to_the_rules(domain):
    events, _ = await run_form(form_turn(message("我要预约", "book_appointment"), {
        **HEBEI_RENTER, "requested_slot": "registered_months"}), domain)
    assert events[-1]["event"] == "action_execution_rejected"


async def test_resuming_after_another_action_read_the_message_asks_again(domain):
    tracker = form_turn(message("聊城办证要钱吗", "ask_fee"),
                        {**HEBEI_RENTER, "requested_slot": "registered_months",
                         "interview": {"asked": "registered_months", "seen": 1}}, kind="resume")
    slots, dispatcher = await validate(tracker, domain)
    assert slots["requested_slot"] == "registered_months"
    assert texts_of(dispatcher) == [question_for("registered_months", "liaocheng")]


async def test_a_pending_city_question_is_forgotten_in_the_interview(domain):
    tracker = form_turn(message("我能办吗", "ask_eligibility"), {"awaiting_city": True, "pending_topic": "fee"},
                        kind="activation")
    slots, _ = await validate(tracker, domain)
    assert slots["awaiting_city"] is False and slots["pending_topic"] is None


async def test_an_internal_error_answers_busy_and_ends_the_form(domain, monkeypatch):
    import bot.dialogue.memory

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(bot.dialogue.memory, "driver", broken)
    events, dispatcher = await run_form(form_turn(message("八个月"), {
        **HEBEI_RENTER, "requested_slot": "registered_months"}), domain)
    assert "系统繁忙" in texts_of(dispatcher)[0]
    assert slot_events(events)["requested_slot"] is None


# --- buttons ---------------------------------------------------------------------------

@pytest.mark.parametrize("payload, requested, expected", [
    ('/inform{"city":"qujing"}', "city", {"city": "qujing"}),
    ('/inform{"housing":"rented"}', "housing", {"housing": "rented"}),
    ('/inform{"employment":"business_license"}', "employment", {"employment": "business_license"}),
    ('/inform{"study":"full_time"}', "study", {"study": "full_time"}),
    ('/inform{"county":"东阿县"}', "hukou_county", {"hukou_county": "东阿县"}),
    ('/inform{"county":"临清市"}', "residence_county", {"residence_county": "临清市"}),
    ('/inform{"city":"liaocheng"}', "hukou_city", {"hukou_city": "聊城市"}),
    ('/inform{"city":"other"}', "hukou_city", {"hukou_city": "省内其他城市"}),
    ('/inform{"province":"other"}', "hukou_city", {"hukou_province": "外省"}),
    ('/inform{"duration":6}', "lived_months", {"lived_months": 6}),
    ('/inform{"duration":0}', "lived_months", {"lived_months": 0}),
    ('/inform{"duration":12}', "registered_months", {"registered_months": 12, "never_registered": False}),
    ("/deny", "registered_months", {"never_registered": True}),
    ("/deny", "supplementary_proof_months", {"supplementary_proof_months": 0}),
    ("/affirm", "disabled", {"disabled": True}),
    ("/deny", "mobility_impaired", {"mobility_impaired": False}),
    ('/inform{"proxy_for":"self"}', "by_proxy", {"by_proxy": False}),
])
async def test_button_payloads(domain, payload, requested, expected):
    slots = {"city": "liaocheng", "hukou_province": "河北省", "requested_slot": requested}
    if requested in ("hukou_county", "residence_county"):
        slots = {"city": "liaocheng", "hukou_city": "聊城市", "requested_slot": requested}
    if requested == "hukou_city" or requested == "city":
        slots = {"city": "liaocheng" if requested != "city" else None, "requested_slot": requested}
    found, _ = await validate(form_turn(payload_message(payload), slots), domain)
    for name, value in expected.items():
        assert found[name] == value


async def test_every_question_fits_telegram(domain):
    from bot.dialogue.eligibility import Interview, State
    from bot.dialogue.eligibility.facts import flatten

    driver = Interview()
    for city in ("liaocheng", "qujing"):
        for fact in ("city", "by_proxy", "hukou.city", "hukou.county", "hukou.township", "residence.county",
                     "residence.township", "lived_months", "registered_months", "supplementary_proof_months",
                     "housing", "employment", "study", "age", "disabled", "mobility_impaired"):
            state = State(facts={"city": city})
            for out in (driver.question(fact, state), driver.explain(fact, state)):
                assert out.text
                for choice in out.choices:
                    assert len(choice.payload().encode("utf-8")) <= 64, choice.payload()
    assert flatten({"hukou": {"city": "x"}}) == {"hukou.city": "x"}


# --- the verdict -------------------------------------------------------------------------

PERSONAS = {
    "liaocheng renter with a labour contract": (
        {**HEBEI_RENTER, "registered_months": 8.0}, "eligible",
        ["id_card", "address_proof", "employment_proof"], ["第二条", "第五条", "第七条"], "可以申领居住证"),
    "qujing student": (
        {"city": "qujing", "hukou_province": "四川省", "lived_months": 12.0, "study": "full_time"}, "eligible",
        ["id_card", "photos", "address_proof", "study_proof"], ["第十一条", "第十二条"], "本人证件照2张"),
    "qujing child through a parent": (
        {"city": "qujing", "hukou_province": "四川省", "lived_months": 12.0, "study": "full_time",
         "by_proxy": True, "age": 8.0}, "eligible",
        ["id_card", "photos", "address_proof", "study_proof", "agent_id"], ["第十二条"], "监护人、近亲属"),
    "local in liaocheng's exempt districts": (
        {"city": "liaocheng", "hukou_city": "聊城市", "hukou_county": "东昌府区", "residence_county": "茌平区"},
        "not_required", [], ["第二条"], "不需要办理居住证"),
    "newcomer of three months": (
        {**HEBEI_RENTER, "lived_months": 3.0, "never_registered": True}, "not_yet_eligible",
        ["id_card", "address_proof", "employment_proof"], ["第五条"], "2027年5月22日"),
    "foreigner": ({"city": "liaocheng", "nationality": "foreign"}, "not_covered", [], ["第十七条"], "外国人"),
}


@pytest.mark.parametrize("persona", list(PERSONAS))
async def test_verdict_for_each_persona(domain, persona):
    slots, verdict, materials, articles, phrase = PERSONAS[persona]
    dispatcher = CollectingDispatcher()
    events = await ActionAssess().run(dispatcher, tracker_for(message("x"), slots), domain)
    decision = slot_events(events)["decision"]
    assert decision["verdict"] == verdict
    assert [m["code"] for m in decision["materials"]] == materials
    text = texts_of(dispatcher)[0]
    assert text.startswith("结论：") and phrase in text
    for article in articles:
        assert article in text
    assert "已过有效期" in text  # both regulations had expired by 2026-11-22
    # The structured decision beside the text, for the kiosk to draw.
    assert dispatcher.messages[0]["custom"] == {"decision": decision, "card": card_summary(decision)}
    payloads = payloads_of(dispatcher)
    if verdict in ("eligible", "not_yet_eligible"):
        assert payloads[:2] == ["/book_appointment", "/ask_benefits"]
    else:
        assert "/book_appointment" not in payloads and "/request_human" in payloads


async def test_verdict_without_city_asks_for_it(domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAssess().run(dispatcher, tracker_for(message("x"), {}), domain)
    assert "decision" not in slot_events(events)
    assert '/inform{"city":"liaocheng"}' in payloads_of(dispatcher)


async def test_an_invalid_value_is_dropped_not_fatal(domain):
    dispatcher = CollectingDispatcher()
    slots = {**HEBEI_RENTER, "registered_months": 8.0, "residence_county": "麒麟区"}  # a 曲靖 district
    events = await ActionAssess().run(dispatcher, tracker_for(message("x"), slots), domain)
    found = slot_events(events)
    assert found["residence_county"] is None and found["decision"]["verdict"] == "eligible"
