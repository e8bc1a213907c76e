"""The domain and the action package agree, and follow CONTRACT.md and TRAPS.md."""
from __future__ import annotations

from pathlib import Path

from rasa_sdk.executor import ActionExecutor

from actions.facts import FACT_SLOTS, SLOT_OF_FACT
from actions.interview import ASKED_SLOTS

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
    for name, slot in domain["slots"].items():
        for mapping in slot["mappings"]:
            if mapping["type"] in ("from_text", "from_entity", "from_intent"):
                assert mapping.get("conditions"), f"{name}: {mapping['type']} mapping without conditions"


def test_the_form_holds_every_fact_slot_and_asks_only_facts(domain):
    required = domain["forms"]["eligibility_form"]["required_slots"]
    assert set(required) == set(FACT_SLOTS)
    assert set(SLOT_OF_FACT.values()) <= set(required)
    assert set(ASKED_SLOTS) <= set(required)


def test_button_payloads_fit_telegram(domain):
    for name, variants in domain["responses"].items():
        for variant in variants:
            for button in variant.get("buttons") or ():
                assert len(button["payload"].encode("utf-8")) <= 64, (name, button)


def test_the_action_endpoint_follows_action_port(monkeypatch):
    from rasa.core.utils import read_endpoints_from_path

    monkeypatch.setenv("ACTION_PORT", "6123")
    monkeypatch.setenv("ACTION_SECRET", "s3cret")  # set by `juzhu rasa` (bot/servers.py)
    endpoints = read_endpoints_from_path(str(ROOT / "endpoints.yml"))
    assert endpoints.action.url == "http://127.0.0.1:6123/webhook"
    assert endpoints.action.headers == {"X-Juzhu-Action-Secret": "s3cret"}
