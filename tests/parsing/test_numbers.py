"""Numbers bound to the cue of their own clause (bot/parsing/numbers.py)."""
import datetime as dt
import json

import pytest

from bot.parsing import ExtractedFacts, bind_durations, extract_facts, find_age, parse_answer, read_answer
from bot.rules import assess_dict

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize("text, facts", [
    ("居住登记一直没办，社保交了八个月", {"registered_months": None, "supplementary_proof_months": 8}),
    ("社保交了八个月，居住登记一直没办", {"registered_months": None, "supplementary_proof_months": 8}),
    ("住了两年，暂住证办了半年，五险交了一年", {"lived_months": 24, "registered_months": 6,
                                              "supplementary_proof_months": 12}),
    ("个税交了三个月，营业执照办了十个月", {"supplementary_proof_months": 10}),  # the longest proof
    ("来聊城一年多了，登记的话也就三个月", {"lived_months": 12, "registered_months": 3}),
    ("办了登记，八个月", {"registered_months": 8}),          # the clause goes on from the one before
    ("在这边两年了", {"lived_months": 24}),
    ("去年三月来的，登记是今年五月", {"lived_months": 20, "registered_months": 6}),
])
def test_each_number_goes_with_its_own_cue(text, facts):
    assert bind_durations(text, TODAY).facts == facts


@pytest.mark.parametrize("text, unbound", [
    ("在厂里上班两年了", [{"text": "在厂里上班两年了", "months": 24}]),  # work, not residence
    ("居住登记没办，八个月", [{"text": "八个月", "months": 8}]),            # eight months of what?
    ("劳动合同签了一年，住厂里", [{"text": "劳动合同签了一年", "months": 12}]),
    ("68了", [{"text": "68了", "number": 68}]),
    ("住了两年，登记了，就6", [{"text": "就6", "number": 6}]),
])
def test_numbers_without_a_cue_are_unbound_not_guessed(text, unbound):
    found = extract_facts(text, "liaocheng", TODAY)
    assert found.unbound == unbound
    for item in unbound:
        assert item.get("months") not in [v for k, v in found.items() if k.endswith("_months")] or \
            text.startswith("住了两年")


def test_a_bare_duration_alone_keeps_its_old_default():
    # Callers file it under the question they asked (the interview driver).
    assert extract_facts("八个月", "liaocheng", TODAY) == {"lived_months": 8}
    assert extract_facts("不对，是九个月", "liaocheng", TODAY) == {"lived_months": 9}


def test_an_unbound_duration_answers_the_question_asked():
    assert parse_answer("lived_months", "来这边打工两年了", "liaocheng", TODAY) == 24
    assert parse_answer("supplementary_proof_months", "社保交了八个月", "liaocheng", TODAY) == 8
    assert parse_answer("supplementary_proof_months", "社保没交，个税也没有", "liaocheng", TODAY) == 0
    with pytest.raises(ValueError):  # a duration of another fact does not answer this one
        parse_answer("registered_months", "住了八个月", "liaocheng", TODAY)


@pytest.mark.parametrize("text, months, approximate", [
    ("快半年", 5, True), ("将近一年", 11, True), ("差不多半年", 6, True), ("半年左右", 6, True),
    ("大概八个月吧", 8, True), ("一年多", 12, True), ("两三年", 24, True), ("十来个月", 10, True),
    ("不到三个月", 2, True), ("没住满半年", 5, True),
    ("去年三月来的", 20, True),   # from 1 March 20 months, from 31 March 19: the day matters
    ("今年五月", 6, True),
    ("八个月", 8, False), ("两年半", 30, False), ("2025年11月22日", 12, False), ("两年前来的", 24, False),
    ("去年国庆来的", 13, False),
])
def test_approximate_durations_are_flagged(text, months, approximate):
    answer = read_answer("lived_months", text, "liaocheng", TODAY)
    assert answer.value == months
    assert (answer.approximate is not None) is approximate


@pytest.mark.parametrize("text, years, approximate", [
    ("今年三十五", 35, False), ("35岁", 35, False), ("我妈68了", 68, False), ("年纪六十", 60, False),
    ("老人七十多了", 70, True), ("快六十岁了", 59, True), ("不满16岁", 15, True), ("大概五十岁", 50, True),
])
def test_ages_with_their_cue(text, years, approximate):
    age = find_age(text)
    assert (age.years, age.approximate) == (years, approximate)


@pytest.mark.parametrize("text", ["今年1月来的", "住了68个月", "3号楼", "68", "不是68"])
def test_not_ages_in_a_free_sentence(text):
    assert find_age(text) is None


def test_this_year_before_an_age_is_not_a_start_date():
    assert extract_facts("俺今年六十八了，腿脚不好", "liaocheng", TODAY) == {"age": 68, "mobility_impaired": True}
    assert extract_facts("今年来的", "liaocheng", TODAY) == {"lived_months": 10}


def test_extracted_facts_are_the_facts_dict_callers_know():
    found = extract_facts("俺是外地的，在这住了快半年，在厂里干活，没有营业执照，上班三年了", "liaocheng", TODAY)
    assert isinstance(found, dict) and isinstance(found, ExtractedFacts)
    assert found == {"hukou": {"city": "外地"}, "lived_months": 5}
    assert json.loads(json.dumps(found, ensure_ascii=False)) == dict(found)  # the staff API returns it as is
    assert found.notes() == {
        "approximate": {"hukou": "俺是外地的", "lived_months": "在这住了快半年"},
        "unbound": [{"text": "上班三年了", "months": 36}],
        "denied": {"employment": ["business_license"]},
        "assumed": ["employment"],
    }
    # Merged into a facts object as the interview CLI and the fake Rasa do, the engine accepts it.
    decision = assess_dict({"city": "liaocheng", "as_of": TODAY.isoformat(), **found})
    assert decision["verdict"] == "undetermined"
    assert extract_facts("", "liaocheng", TODAY).notes() == {}
