"""The engine finds, the wording catalogue speaks (issue 18): codes in the engine, Chinese in one place."""
from __future__ import annotations

import datetime as dt
import io
import re
import tokenize
from pathlib import Path

from bot.rules import assess_dict, evaluate, parse_facts
from bot.rules.wording import SENTENCES, say

ENGINE = Path(__file__).resolve().parents[2] / "bot" / "rules" / "engine.py"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def test_the_engine_holds_no_chinese_string():
    strings = [tok.string for tok in tokenize.generate_tokens(io.StringIO(ENGINE.read_text()).readline)
               if tok.type == tokenize.STRING and CJK.search(tok.string)]
    assert strings == []


def test_every_code_the_engine_uses_has_a_sentence():
    source = ENGINE.read_text()
    used = set(re.findall(r'"((?:scope|policy|duration|basis|proxy|materials|where|lifecycle)\.[a-z_.]+)"', source))
    assert used and used <= set(SENTENCES), used - set(SENTENCES)


def test_a_decision_carries_codes_and_the_contract_carries_their_sentences():
    facts = {"city": "liaocheng", "as_of": "2025-03-01", "hukou": {"province": "河北省"},
             "residence": {"county": "东昌府区"}, "lived_months": 5, "registered_months": 3,
             "employment": "labor_contract"}
    coded = evaluate(parse_facts(facts))
    worded = assess_dict(facts)
    assert coded["verdict"] == worded["verdict"] == "not_yet_eligible"
    assert [r["code"] for r in coded["reasons"]] == ["scope.from_elsewhere", "duration.not_met", "basis.met"]
    assert worded["reasons"][0] == {"text": "您的户口在河北省，不在聊城市，属于从外地来聊城市居住的人员，适用本办法。",
                                    "articles": coded["reasons"][0]["articles"]}
    assert "办理居住登记3个月，还不满足，预计2025年6月1日起可以申领" in worded["reasons"][1]["text"]
    assert worded["where"] == "东昌府区的" + coded["where"]["params"]["where"]


def test_months_and_dates_are_written_as_people_say_them():
    assert say("duration.met", {"lived": 12, "text": "X"}) == "您已在居住地居住1年，满足“X”的条件。"
    assert say("duration.met", {"lived": 6, "text": "X"}).startswith("您已在居住地居住半年")
    assert say("policy.not_yet", {"title": "T", "start": dt.date(2022, 3, 1), "article": "第三十条",
                                  "as_of": "2021-01-05"}).startswith("《T》自2022年3月1日起施行（第三十条），2021年1月5日尚未施行")
