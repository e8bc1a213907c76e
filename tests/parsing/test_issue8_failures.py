"""Issue 8: the misreadings seen on main, one test each, named after the failure."""
import datetime as dt

import pytest

from bot.parsing import extract_facts, parse_answer, read_answer
from bot.rules import assess_dict

TODAY = dt.date(2026, 11, 22)


def assess(facts, city):
    return assess_dict({**facts, "city": city, "as_of": TODAY.isoformat()})


@pytest.mark.parametrize("text", ["没有劳动合同", "我没有劳动合同", "额，俺没签劳动合同", "劳动合同没签",
                                  "我们老板没给签合同", "没有劳动和同"])
def test_no_labour_contract_is_not_a_labour_contract(text):
    found = extract_facts(text, "liaocheng", TODAY)
    assert found.get("employment") != "labor_contract"
    assert "labor_contract" in found.denied["employment"]
    # As the answer to the employment question, whose choices are the documents:
    assert parse_answer("employment", text, "liaocheng", TODAY) == "none"


def test_a_job_without_a_labour_contract_is_not_qualifying_employment():
    # 聊城 第五条: 合法稳定就业 is a job "并依法签订劳动合同".
    for text in ("在厂里上班，没签合同", "俺在工地干活，老板没给签劳动合同", "打工的，合同还没签呢"):
        assert extract_facts(text, "liaocheng", TODAY)["employment"] == "none", text


@pytest.mark.parametrize("text", ["我没有营业执照", "也没有营业执照", "营业执照还没办下来", "木有营业执照"])
def test_no_business_licence_is_not_a_business_licence(text):
    found = extract_facts(text, "liaocheng", TODAY)
    assert found.get("employment") != "business_license"
    assert "business_license" in found.denied["employment"]
    assert parse_answer("employment", text, "liaocheng", TODAY) == "none"


@pytest.mark.parametrize("text", ["不是租的", "没租房", "我们没有租房子", "房子不是租的", "没在外面租房"])
def test_denied_rental_is_not_renting(text):
    found = extract_facts(text, "liaocheng", TODAY)
    assert found.get("housing") != "rented"
    assert found.denied["housing"] == ["rented"]
    # "Not rented" says nothing of what it is: the housing question is asked again.
    with pytest.raises(ValueError):
        parse_answer("housing", text, "liaocheng", TODAY)


@pytest.mark.parametrize("text", [
    "户口河南的，在东昌府住了一年，居住登记也办了一年，没有工作，没租房",
    "俺是外地的，在这住了两年，登记了两年，我没有营业执照，不是租的房子",
    "户口河南的，在东昌府住了一年，登记了一年，没有劳动合同，也没有房子",
])
def test_no_job_and_no_home_is_never_told_eligible(text):
    facts = extract_facts(text, "liaocheng", TODAY)
    decision = assess(facts, "liaocheng")
    assert decision["verdict"] not in ("eligible", "eligible_after_review", "not_yet_eligible")
    # And with the questions the engine then asks, answered the same way:
    while decision["verdict"] == "undetermined":
        fact = decision["missing"][0]
        answer = {"employment": "没有工作", "housing": "没地方住，借住在朋友家", "study": "没上学",
                  "supplementary_proof_months": "没有"}[fact]
        facts[fact] = parse_answer(fact, answer, "liaocheng", TODAY)
        decision = assess(facts, "liaocheng")
    assert decision["verdict"] == "not_eligible"


def test_social_insurance_months_are_not_registration_months():
    found = extract_facts("居住登记一直没办，社保交了八个月", "liaocheng", TODAY)
    assert found == {"registered_months": None, "supplementary_proof_months": 8}
    # ... which is 聊城 第五条第二款's supplementary route once six months are lived.
    decision = assess({**found, "lived_months": 8, "hukou": {"province": "河南省"}, "housing": "rented"},
                      "liaocheng")
    assert decision["verdict"] == "eligible_after_review"
    # The same words answering one question give only what they say about it.
    assert parse_answer("registered_months", "居住登记一直没办，社保交了八个月", "liaocheng", TODAY) is None
    assert parse_answer("supplementary_proof_months", "居住登记一直没办，社保交了八个月", "liaocheng", TODAY) == 8
    with pytest.raises(ValueError):
        parse_answer("lived_months", "居住登记一直没办，社保交了八个月", "liaocheng", TODAY)


@pytest.mark.parametrize("city, text, hukou", [
    ("qujing", "外地的", {"city": "外地"}),
    ("liaocheng", "省外", {"province": "外省"}),
    ("qujing", "不是这边的", {"city": "外地"}),
    ("liaocheng", "外省的", {"province": "外省"}),
    ("qujing", "大理的", {"province": "云南省", "city": "大理白族自治州"}),
    ("qujing", "俺不是这边的人", {"city": "外地"}),
    ("liaocheng", "户口不在聊城", {"city": "外地"}),
    ("liaocheng", "本省其他城市的", {"province": "山东省", "city": "省内其他城市"}),
])
def test_vague_hukou_outside_the_city_is_understood(city, text, hukou):
    assert parse_answer("hukou.city", text, city, TODAY) == hukou
    assert extract_facts(text, city, TODAY)["hukou"] == hukou
    # The engine takes it as "from outside the city" (第二条): scope settled.
    decision = assess({"hukou": hukou}, city)
    assert "hukou.city" not in decision["missing"]
    assert decision["verdict"] == "undetermined" and decision["reasons"]


def test_vague_hukou_is_flagged_approximate():
    assert read_answer("hukou.city", "外地的", "qujing", TODAY).approximate == "外地的"
    assert read_answer("hukou.city", "大理的", "qujing", TODAY).approximate is None
    assert extract_facts("外地的", "qujing", TODAY).approximate == {"hukou": "外地的"}


@pytest.mark.parametrize("text, age", [("68了", 68), ("六十八了", 68), ("68了，腿脚不方便", 68),
                                       ("我妈今年68了", 68), ("都68啦", 68)])
def test_age_said_as_n_le(text, age):
    assert parse_answer("age", text, "liaocheng", TODAY) == age


def test_age_said_as_n_le_in_a_free_sentence_needs_whose():
    assert extract_facts("我妈68了，腿脚不方便", "liaocheng", TODAY) == {"age": 68, "mobility_impaired": True}
    # Alone, a number is not filed under a fact: it is returned unbound.
    found = extract_facts("68了", "liaocheng", TODAY)
    assert found == {}
    assert found.unbound == [{"text": "68了", "number": 68}]


@pytest.mark.parametrize("text", ["腿脚不方便", "腿脚不太方便", "他腿脚不好，走不了远路", "行动不便", "老人瘫痪在床"])
def test_legs_not_convenient_is_mobility_impaired(text):
    assert parse_answer("mobility_impaired", text, "liaocheng", TODAY) is True
    assert extract_facts(text, "liaocheng", TODAY)["mobility_impaired"] is True


def test_almost_half_a_year_is_flagged_approximate():
    answer = read_answer("lived_months", "快半年", "liaocheng", TODAY)
    assert answer.value == 5 and answer.approximate == "快半年"
    found = extract_facts("额，在这住了快半年了", "liaocheng", TODAY)
    assert found == {"lived_months": 5}
    assert found.approximate == {"lived_months": "在这住了快半年了"}
    assert read_answer("lived_months", "八个月", "liaocheng", TODAY).approximate is None


def test_last_national_day_counts_months_from_today():
    # 2025-10-01 to 2026-11-22: 13 whole months.
    assert parse_answer("lived_months", "去年国庆", "liaocheng", TODAY) == 13
    assert extract_facts("去年国庆来的聊城", None, TODAY) == {"city": "liaocheng", "lived_months": 13}
    assert parse_answer("lived_months", "去年国庆来的", "liaocheng", dt.date(2026, 3, 15)) == 5
    assert parse_answer("lived_months", "前年春节过来的", "qujing", TODAY) == 33  # 2024-02-10
