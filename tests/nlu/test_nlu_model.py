"""The trained NLU model on messages it never saw.

tests/nlu/heldout.yml: written apart from data/nlu/, none within 80 % of a
training example (tests/nlu/test_nlu_data.py enforces it). The model must
get at least MIN_ACCURACY of their intents right: measured on the model of
this data, then set a little below (README "Figures" has the measurement).
KEY_MESSAGES, messy sentences as people type them (and also kept apart
from training, checked below), must give the entities the interview needs.

Loads the newest model in models/ through rasa.core.agent.Agent, as the
server does. Skipped (with the reason shown) when there is no trained model
yet: `make model` makes one.
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
# Measured 2026-12-01 on two trainings (data two examples apart): 137 and 139 of 149
# (91.9 %, 93.3 %); most misses are short answers (好滴，下回见 / 行，听你的)
# falling to the fallback or to a neighbour. With the rating, rescheduling and
# 签注 intents merged in: 133 of 149 (89.3 %) at 30 epochs, 134 (89.9 %) at 60.
# A few points below, for noise.
MIN_ACCURACY = 0.86

# message -> entities that must be among those extracted, as (type, value)
# after synonym mapping.
KEY_MESSAGES = {
    "俺在聊城租的房子，住了快八个月了": {("city", "liaocheng"), ("housing", "rented"), ("duration", "八个月")},
    "我是河南周口的，在东昌府一个厂里打工两年多了": {
        ("province", "河南省"), ("county", "东昌府区"), ("employment", "labor_contract"),
        ("duration", "两年多")},
    "俺家在麒麟区南宁街道那块": {("county", "麒麟区"), ("township", "南宁街道")},
    "现在住聊城经开区那边": {("city", "liaocheng"), ("county", "聊城经济技术开发区")},
    "户口就是本市的，东阿那边": {("county", "东阿县")},
    "自己开了个小店，有营业执照的": {("employment", "business_license")},
    "现在住在单位宿舍里": {("housing", "employer_dorm")},
    "我还在上学，是学生": {("study", "full_time")},
    "给孩子问的，孩子今年8岁": {("proxy_for", "child"), ("age", "8岁")},
    "本人是外国人，在这工作": {("nationality", "foreign")},
    "我是从香港过来的": {("nationality", "hk")},
    "俺是去年三月从老家出来打工的": {("duration", "去年三月")},
    "哎呀刚那个不对，住满九个月了": {("duration", "九个月")},
    "联系方式留一下：13812345678，白天都能接": {("phone", "13812345678")},
    "前天约的，系统给的码是K7M3QX": {("booking_code", "K7M3QX")},
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


def test_key_messages_are_not_training_examples():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("nlu_variants", ROOT / "scripts" / "nlu_variants.py")
    nv = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = nv
    spec.loader.exec_module(nv)
    norm = nv.Normaliser()
    training = [norm(e.text) for e in nv.load_examples(nv.training_files())]
    close = [t for t in KEY_MESSAGES if any(nv.too_similar(norm(t), k) for k in training)]
    assert not close, f"key messages too close to training examples: {close}"


@pytest.mark.parametrize("text", list(KEY_MESSAGES))
def test_key_entities(parsed, text):
    _, results = parsed
    got = {(e["entity"], e["value"]) for e in results[text]["entities"]}
    assert KEY_MESSAGES[text] <= got, f"{text}: got {sorted(got)}"
