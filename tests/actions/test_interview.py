"""validate_eligibility_form, the ask actions and action_assess, from tracker fixtures."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.interview import (ASK_ACTIONS, ActionAssess, ValidateEligibilityForm, question,
                               turn_kind)
from bot.rules import labels, question_for

from tests.actions.action_trackers import (form_turn, message, payload_message, payloads_of, slot_events,
                                           texts_of, tracker_for)

# A 聊城 applicant from 河北 who has told everything but the registration.
HEBEI_RENTER = {"city": "liaocheng", "hukou_province": "河北省", "lived_months": 8.0,
                "housing": "rented", "employment": "labor_contract"}


async def validate(tracker, domain, dispatcher=None):
    dispatcher = dispatcher or CollectingDispatcher()
    events = await ValidateEligibilityForm().run(dispatcher, tracker, domain)
    return slot_events(events), dispatcher


# --- how the next question is chosen ------------------------------------------------

async def test_without_city_the_city_is_asked_first(domain):
    slots, dispatcher = await validate(form_turn(message("我能办居住证吗", "ask_eligibility"), kind="activation"),
                                       domain)
    assert slots == {"requested_slot": "city"}
    assert dispatcher.messages == []  # starting the form is not a wrong answer


async def test_unprompted_facts_fill_several_slots_at_once(domain):
    text = "我在聊城租房住了八个月，在厂里上班，能办居住证吗"
    slots, _ = await validate(form_turn(message(text, "ask_eligibility"), kind="activation"), domain)
    assert slots["city"] == "liaocheng"
    assert slots["lived_months"] == 8
    assert slots["housing"] == "rented"
    assert slots["employment"] == "labor_contract"
    # The engine's first missing fact: where the 户口 is.
    assert slots["requested_slot"] == "hukou_city"


async def test_the_answer_to_the_question_is_read_for_that_fact(domain):
    slots, _ = await validate(form_turn(message("河北石家庄"), {**HEBEI_RENTER, "hukou_province": None,
                                                             "requested_slot": "hukou_city"}), domain)
    assert slots["hukou_province"] == "河北省"
    assert slots["hukou_city"] == "石家庄市"
    assert slots["requested_slot"] == "registered_months"


async def test_engine_decides_so_the_form_ends(domain):
    slots, _ = await validate(form_turn(message("登记了八个月"), {**HEBEI_RENTER,
                                                            "requested_slot": "registered_months"}), domain)
    assert slots["registered_months"] == 8
    assert slots["never_registered"] is False
    assert slots["requested_slot"] is None


async def test_required_slots_is_the_first_missing_fact(domain):
    tracker = tracker_for(message("x"), HEBEI_RENTER)
    form = ValidateEligibilityForm()
    assert await form.required_slots([], CollectingDispatcher(), tracker, domain) == ["registered_months"]
    tracker = tracker_for(message("x"), {**HEBEI_RENTER, "registered_months": 8.0})
    assert await form.required_slots([], CollectingDispatcher(), tracker, domain) == []
    tracker = tracker_for(message("x"), {})
    assert await form.required_slots([], CollectingDispatcher(), tracker, domain) == ["city"]


async def test_a_foreigner_is_not_asked_about_housing(domain):
    slots, _ = await validate(form_turn(message("我是外国人"), {"city": "liaocheng",
                                                          "requested_slot": "hukou_city"}), domain)
    assert slots["nationality"] == "foreign"
    assert slots["requested_slot"] is None


async def test_a_local_in_the_exempt_districts_is_told_at_once(domain):
    slots, _ = await validate(form_turn(message("户口在东昌府区，现在住在茌平区", "inform"),
                                        {"city": "liaocheng", "requested_slot": "hukou_city"}), domain)
    assert slots["hukou_county"] == "东昌府区"
    assert slots["residence_county"] == "茌平区"
    assert slots["requested_slot"] is None


async def test_a_newcomer_never_registered_gets_a_verdict(domain):
    slots, _ = await validate(form_turn(message("没办过"), {**HEBEI_RENTER, "lived_months": 3.0,
                                                         "requested_slot": "registered_months"}), domain)
    assert slots["never_registered"] is True
    assert slots.get("registered_months") is None
    assert slots["requested_slot"] is None


async def test_hukou_in_this_province_asks_which_city():
    text, buttons = question("hukou_city", "liaocheng", {"hukou_province": "山东省"})
    assert text == "您的户口在山东省哪个市？"
    assert {b["payload"] for b in buttons} >= {'/inform{"city":"liaocheng"}', '/inform{"province":"other"}'}


# --- corrections -----------------------------------------------------------------------

async def test_a_correction_overwrites_the_previous_answer(domain):
    tracker = form_turn(message("不对，是九个月"), {**HEBEI_RENTER, "requested_slot": "registered_months"},
                        asked=("hukou_city", "lived_months", "registered_months"))
    slots, dispatcher = await validate(tracker, domain)
    assert slots["lived_months"] == 9
    assert "registered_months" not in slots
    assert texts_of(dispatcher) == ["好的，已按您说的更正。"]
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
    assert slots["requested_slot"] is None


async def test_a_new_city_clears_the_old_citys_places(domain):
    slots, _ = await validate(form_turn(message("说错了，我在曲靖"), {
        "city": "liaocheng", "residence_county": "东昌府区", "requested_slot": "hukou_city"}), domain)
    assert slots["city"] == "qujing"
    assert slots["residence_county"] is None


# --- answers that are not understood, and questions in the middle ----------------------

async def test_not_understood_gets_the_parsers_hint_and_the_question_again(domain):
    slots, dispatcher = await validate(form_turn(message("嗯嗯随便", "inform"), {
        **HEBEI_RENTER, "requested_slot": "registered_months"}), domain)
    assert slots == {"registered_months": None, "requested_slot": "registered_months"}
    assert "没办过就说“没办”" in texts_of(dispatcher)[0]


async def test_an_unserved_city_is_explained(domain):
    slots, dispatcher = await validate(form_turn(message("北京"), {"requested_slot": "city"}), domain)
    assert slots == {"city": None, "requested_slot": "city"}
    assert "聊城市" in texts_of(dispatcher)[0] and "曲靖市" in texts_of(dispatcher)[0]


async def test_a_question_is_left_to_the_rules(domain):
    # Nothing returned: the form rejects, the rules answer, the form resumes.
    tracker = form_turn(message("办居住证要钱吗", "ask_fee"), {**HEBEI_RENTER, "requested_slot": "registered_months"})
    events = await ValidateEligibilityForm().run(CollectingDispatcher(), tracker, domain)
    assert events == []


async def test_an_unsure_classification_that_answers_is_an_answer(domain):
    tracker = form_turn(message("八个月", "ask_processing_time", confidence=0.4),
                        {**HEBEI_RENTER, "requested_slot": "registered_months"})
    slots, _ = await validate(tracker, domain)
    assert slots["registered_months"] == 8


async def test_resuming_after_a_question_asks_again_without_reading_it(domain):
    tracker = form_turn(message("聊城办证要钱吗", "ask_fee"),
                        {**HEBEI_RENTER, "requested_slot": "registered_months"}, kind="resume")
    slots, dispatcher = await validate(tracker, domain)
    assert slots == {"requested_slot": "registered_months"}
    assert dispatcher.messages == []


async def test_a_pending_city_question_is_forgotten_in_the_interview(domain):
    tracker = form_turn(message("我能办吗", "ask_eligibility"), {"awaiting_city": True, "pending_topic": "fee"},
                        kind="activation")
    slots, _ = await validate(tracker, domain)
    assert slots["awaiting_city"] is False and slots["pending_topic"] is None


def test_turn_kind():
    assert turn_kind(form_turn(message("x"))) == "answer"
    assert turn_kind(form_turn(message("x"), kind="activation")) == "activation"
    assert turn_kind(form_turn(message("x"), kind="resume")) == "resume"


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


async def test_every_question_asked_has_an_ask_action_and_buttons_fit_telegram(domain):
    for slot, action_class in ASK_ACTIONS.items():
        assert f"action_ask_{slot}" in domain["actions"]
        for city in ("liaocheng", "qujing"):
            dispatcher = CollectingDispatcher()
            await action_class().run(dispatcher, tracker_for(message("x"), {"city": city}), domain)
            assert len(dispatcher.messages) == 1 and dispatcher.messages[0]["text"]
            for payload in payloads_of(dispatcher):
                assert len(payload.encode("utf-8")) <= 64, payload


async def test_questions_come_from_the_rules_with_their_choices(domain):
    dispatcher = CollectingDispatcher()
    await ASK_ACTIONS["housing"]().run(dispatcher, tracker_for(message("x"), {"city": "liaocheng"}), domain)
    assert texts_of(dispatcher) == [question_for("housing", "liaocheng")]
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == [label for _, label in labels.CHOICES["housing"]]
    dispatcher = CollectingDispatcher()
    await ASK_ACTIONS["residence_county"]().run(dispatcher, tracker_for(message("x"), {"city": "qujing"}), domain)
    assert '/inform{"county":"麒麟区"}' in payloads_of(dispatcher)
    dispatcher = CollectingDispatcher()
    await ASK_ACTIONS["disabled"]().run(dispatcher, tracker_for(message("x"), {"city": "qujing"}), domain)
    assert payloads_of(dispatcher) == ["/affirm", "/deny"]


async def test_duration_questions_offer_common_durations(domain):
    dispatcher = CollectingDispatcher()
    await ASK_ACTIONS["registered_months"]().run(dispatcher, tracker_for(message("x"), {"city": "liaocheng"}), domain)
    assert payloads_of(dispatcher) == ["/deny", '/inform{"duration":3}', '/inform{"duration":6}',
                                       '/inform{"duration":12}', '/inform{"duration":24}']


async def test_the_city_question_offers_the_cities(domain):
    dispatcher = CollectingDispatcher()
    await ASK_ACTIONS["city"]().run(dispatcher, tracker_for(message("x"), {}), domain)
    assert payloads_of(dispatcher) == ['/inform{"city":"liaocheng"}', '/inform{"city":"qujing"}']


# --- the verdict -------------------------------------------------------------------------

PERSONAS = {
    "liaocheng renter with a labour contract": (
        {**HEBEI_RENTER, "registered_months": 8.0}, "eligible",
        ["id_card", "address_proof", "employment_proof"], ["第二条", "第五条", "第七条"], "可以申领居住证"),
    "qujing student": (
        {"city": "qujing", "hukou_province": "四川省", "lived_months": 12.0, "study": "full_time"}, "eligible",
        ["id_card", "photos", "address_proof", "study_proof"], ["第十一条", "第十二条"], "本人证件照2张"),
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
    payloads = payloads_of(dispatcher)
    if verdict in ("eligible", "not_yet_eligible"):
        assert payloads[:2] == ["/book_appointment", "/ask_benefits"]
    else:
        assert "/book_appointment" not in payloads and "/request_human" in payloads


async def test_verdict_without_city_asks_for_it(domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAssess().run(dispatcher, tracker_for(message("x"), {}), domain)
    assert events == []
    assert '/inform{"city":"liaocheng"}' in payloads_of(dispatcher)


async def test_an_invalid_value_is_dropped_not_fatal(domain):
    dispatcher = CollectingDispatcher()
    slots = {**HEBEI_RENTER, "registered_months": 8.0, "residence_county": "麒麟区"}  # a 曲靖 district
    events = await ActionAssess().run(dispatcher, tracker_for(message("x"), slots), domain)
    found = slot_events(events)
    assert found["residence_county"] is None and found["decision"]["verdict"] == "eligible"
