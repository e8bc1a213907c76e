"""The domain and the action package agree, and follow CONTRACT.md and TRAPS.md."""
from __future__ import annotations

from pathlib import Path

from rasa_sdk.executor import ActionExecutor

from bot.dialogue.memory import FACT_SLOTS, MEMO, SLOT_OF_FACT

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "request_human", "out_of_scope",
    "ask_eligibility", "ask_materials", "ask_processing_time", "ask_fee", "ask_where", "ask_proxy",
    "ask_endorsement", "ask_replacement", "ask_address_change", "ask_benefits", "ask_hukou",
    "ask_registration", "book_appointment", "cancel_appointment", "check_appointment", "inform",
}
ENTITIES = {"city", "county", "township", "province", "duration", "age", "housing", "employment", "study",
            "nationality", "proxy_for", "phone", "booking_code"}


def test_intents_and_entities_of_the_contract(domain):
    assert CONTRACT_INTENTS | {"nlu_fallback"} <= set(domain["intents"])
    assert ENTITIES <= set(domain["entities"])


def test_every_domain_action_is_served_by_the_action_package(domain):
    executor = ActionExecutor()
    executor.register_package("actions")
    served = set(executor.actions)
    custom = {name for name in domain["actions"]}
    assert custom <= served, custom - served
    assert served <= custom, served - custom


def test_no_slot_fills_itself_on_every_turn(domain):
    """TRAPS.md: a mapping without conditions fills its slot on every turn. Rasa's own
    slot extraction, run on a message carrying every entity the NLU knows, outside
    any form, must set no slot: only the actions (the interview driver) set them."""
    import asyncio

    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    rasa_domain = Domain.load(str(ROOT / "domain.yml"))
    values = {"city": "liaocheng", "county": "东昌府区", "township": "古楼街道", "province": "河北省",
              "duration": 8, "age": 30, "housing": "rented", "employment": "labor_contract",
              "study": "full_time", "nationality": "cn", "proxy_for": "child", "phone": "13812345678",
              "booking_code": "K7M3QX", "booking_station": "lc-dongchangfu", "booking_day": "2026-11-23",
              "booking_time": "09:00", "booking_change": "time", "rating": 4, "booking_party": 3}
    assert set(values) >= set(rasa_domain.entities)
    entities = [{"entity": name, "value": value, "start": 0, "end": 1} for name, value in values.items()]
    tracker = DialogueStateTracker.from_events("t", [
        ActionExecuted("action_listen"),
        UserUttered("我在聊城东昌府租房住了八个月", {"name": "inform", "confidence": 1.0}, entities)], rasa_domain.slots)
    events = asyncio.run(ActionExtractSlots(None).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(rasa_domain.responses), tracker, rasa_domain))
    assert [e for e in events if isinstance(e, SlotSet)] == []
    # And the domain says so: every mapping is custom, or conditioned on a form.
    for name, slot in domain["slots"].items():
        for mapping in slot["mappings"]:
            assert mapping["type"] == "custom" or mapping.get("conditions"), (name, mapping)


def test_the_form_holds_every_fact_slot_and_asks_itself(domain):
    required = domain["forms"]["eligibility_form"]["required_slots"]
    assert set(required) == set(FACT_SLOTS) | {"readback"}  # the read-back is asked, never filled
    assert set(SLOT_OF_FACT.values()) <= set(required)
    # The validator asks (the driver's question); an ask action would ask a second time.
    asks = [a for a in domain["actions"] if a.startswith("action_ask_") and not a.startswith(
        ("action_ask_booking", "action_ask_lookup", "action_ask_cancel", "action_ask_reschedule"))]
    assert asks == []
    assert domain["slots"][MEMO]["influence_conversation"] is False


def test_button_payloads_fit_telegram(domain):
    for name, variants in domain["responses"].items():
        for variant in variants:
            for button in variant.get("buttons") or ():
                assert len(button["payload"].encode("utf-8")) <= 64, (name, button)


def test_the_action_endpoint_follows_action_port(monkeypatch):
    from rasa.core.utils import read_endpoints_from_path

    monkeypatch.setenv("ACTION_PORT", "6123")
    monkeypatch.setenv("ACTION_SECRET", "s3cret")  # set by `juzhu rasa` (bot/processes/servers.py)
    endpoints = read_endpoints_from_path(str(ROOT / "endpoints.yml"))
    assert endpoints.action.url == "http://127.0.0.1:6123/webhook"
    assert endpoints.action.headers == {"X-Juzhu-Action-Secret": "s3cret"}
