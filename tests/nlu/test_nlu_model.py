"""The trained NLU model on messages it never saw (tests/nlu/heldout.yml).

Loads the newest model in models/ through rasa.core.agent.Agent, as the
server does, and wants >= 90% of the held-out intents right, and the
entities of a few key messages. Skipped (with the reason shown) when there
is no trained model yet: `make run` / `rasa train` makes one.
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
HELDOUT = Path(__file__).with_name("heldout.yml")
MIN_ACCURACY = 0.90

# message -> entities that must be among those extracted, as (type, value)
# after synonym mapping.
KEY_MESSAGES = {
    "我在聊城租房住了八个月": {("city", "liaocheng"), ("housing", "rented"), ("duration", "八个月")},
    "我在聊城租房住了八个月，在厂里上班": {
        ("city", "liaocheng"), ("housing", "rented"), ("duration", "八个月"),
        ("employment", "labor_contract")},
    "户口在河南周口，在东昌府打工两年了": {
        ("province", "河南省"), ("county", "东昌府区"), ("employment", "labor_contract"),
        ("duration", "两年")},
    "麒麟区南宁街道": {("county", "麒麟区"), ("township", "南宁街道")},
    "住在聊城经开区": {("city", "liaocheng"), ("county", "聊城经济技术开发区")},
    "户口是本市东阿的": {("county", "东阿县")},
    "个体户 有营业执照": {("employment", "business_license")},
    "住单位宿舍": {("housing", "employer_dorm")},
    "我是学生": {("study", "full_time")},
    "孩子8岁": {("proxy_for", "child"), ("age", "8岁")},
    "我是外国人": {("nationality", "foreign")},
    "香港的": {("nationality", "hk")},
    "去年三月来的": {("duration", "去年三月")},
    "不对，是九个月": {("duration", "九个月")},
    "13812345678": {("phone", "13812345678")},
    "预约码是K7M3QX": {("booking_code", "K7M3QX")},
}


def _latest_model() -> Path | None:
    models = sorted(MODELS.glob("*.tar.gz"), key=os.path.getmtime) if MODELS.is_dir() else []
    return models[-1] if models else None


def _heldout() -> list[tuple[str, str]]:
    data = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    return [(line.strip()[2:], e["intent"])
            for e in data["nlu"] for line in e["examples"].strip().splitlines()]


@pytest.fixture(scope="module")
def parsed():
    model = _latest_model()
    if model is None:
        pytest.skip("no trained model in models/ (run `rasa train` or `make run` first)")
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    texts = [t for t, _ in _heldout()] + list(KEY_MESSAGES)

    async def parse_all():
        return {t: await agent.parse_message(t) for t in texts}

    return model.name, asyncio.run(parse_all())


def test_heldout_intent_accuracy(parsed):
    model, results = parsed
    cases = _heldout()
    wrong = [(t, want, results[t]["intent"]["name"], round(results[t]["intent"]["confidence"], 2))
             for t, want in cases if results[t]["intent"]["name"] != want]
    accuracy = 1 - len(wrong) / len(cases)
    print(f"\n{model}: held-out intent accuracy {accuracy:.1%} ({len(cases) - len(wrong)}/{len(cases)})")
    for w in wrong:
        print("  wrong:", w)
    assert accuracy >= MIN_ACCURACY, f"{accuracy:.1%} < {MIN_ACCURACY:.0%}: {wrong}"


@pytest.mark.parametrize("text", list(KEY_MESSAGES))
def test_key_entities(parsed, text):
    _, results = parsed
    got = {(e["entity"], e["value"]) for e in results[text]["entities"]}
    assert KEY_MESSAGES[text] <= got, f"{text}: got {sorted(got)}"
