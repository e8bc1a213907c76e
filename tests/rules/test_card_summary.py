"""The short form of a decision every card, printout, read-aloud and the console's 现在告诉来电人 carry
(issue 20, items 3 and 4): why in one sentence with its article, caveats one sentence each, and a
place and time limit only for someone who will apply."""
from __future__ import annotations

import re

import pytest

from bot.rules import assess_dict
from bot.rules.render import card_summary

OUTSIDER = {"hukou": {"province": "河北省"}, "residence": {"county": "东昌府区"}}
CASES = {
    "not_required": {"city": "liaocheng", "lived_months": 8, "registered_months": 8, "housing": "rented",
                     "employment": "labor_contract", "residence": {"county": "东昌府区"},
                     "hukou": {"province": "山东省", "city": "聊城市", "county": "东昌府区"}},
    "not_eligible": {"city": "qujing", "lived_months": 12, "registered_months": 12, "housing": "none",
                     "employment": "none", "study": "none", "hukou": {"province": "河北省"}},
    "not_yet_eligible": {"city": "qujing", "lived_months": 2, "registered_months": 2, "housing": "rented",
                         "employment": "none", "study": "none", "hukou": {"province": "河北省"}},
    "not_covered": {"city": "liaocheng", "nationality": "foreign"},
    "undetermined": {"city": "liaocheng", "lived_months": 8, "registered_months": None, "housing": "rented",
                     "employment": "labor_contract", **OUTSIDER},
    "eligible": {"city": "liaocheng", "lived_months": 12, "registered_months": 12, "housing": "rented",
                 "employment": "labor_contract", **OUTSIDER},
}


@pytest.mark.parametrize("verdict", list(CASES))
@pytest.mark.parametrize("as_of, expired", [("2026-12-06", True), ("2024-12-06", False)])
def test_each_verdict_has_its_reason_caveats_and_place_only_when_applying(verdict, as_of, expired):
    decision = assess_dict({**CASES[verdict], "as_of": as_of})
    if decision["verdict"] != verdict:  # 曲靖's regulation had expired by 2024: its cases stay as they are
        pytest.skip(f"{verdict} on {as_of} is {decision['verdict']}")
    card = card_summary(decision)
    if verdict == "eligible":
        assert card["why"] is None
    else:
        assert card["why"] and card["why"].count("。") <= 2
        assert re.search(r"第[一二三四五六七八九十]+条", card["why"]) or card["why"].startswith("还需要了解")
    applies = verdict in ("eligible", "not_yet_eligible")
    assert bool(card["where"]) == applies and bool(card["processing"]) == applies
    policy_expired = not decision["policy"]["in_force"]
    assert any("到期" in note for note in card["notes"]) == policy_expired
    assert all(note.count("。") == 1 for note in card["notes"])  # one short sentence each
    if expired and decision["city"] == "liaocheng":
        assert policy_expired
