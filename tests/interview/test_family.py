"""Each person of a family visit gets the checklist of their own facts (bot.dialogue.eligibility.family)."""
from __future__ import annotations

import datetime as dt

from bot.dialogue.eligibility.family import family_checklists

TODAY = dt.date(2025, 3, 1)  # a day the regulations are in force


def test_what_the_family_message_says_about_the_children_is_not_the_mothers():
    """"我和两个孩子…一个8岁一个12岁，都在上学": the interview reads age and schooling from it;
    they are the children's, so the mother's own list has no school certificate and no proxy."""
    facts = {"city": "qujing", "hukou": {"province": "四川省"}, "residence": {"county": "麒麟区"},
             "lived_months": 12, "housing": "rented", "age": 8, "study": "full_time", "by_proxy": True}
    members = [{"relation": "child", "age": 8, "study": True}, {"relation": "child", "age": 12, "study": True}]
    mother, eight, twelve = family_checklists(facts, members, TODAY)
    assert "就读证明" not in mother and "代办人" not in mother
    for child in (eight, twelve):
        assert "就读证明" in child and "代办人" in child


def test_a_booker_alone_keeps_every_fact():
    facts = {"city": "qujing", "hukou": {"province": "四川省"}, "residence": {"county": "麒麟区"},
             "lived_months": 12, "housing": "school_dorm", "study": "full_time"}
    [me] = family_checklists(facts, [], TODAY)
    assert "就读证明" in me
