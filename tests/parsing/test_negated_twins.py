"""Every extractor, each positive example with its negated twin, as people type
(long sentences, typos such as 劳动和同, dialect such as 俺/额/木有/没得, particles).

A negated phrase never becomes its positive fact: it gives the negative value
where the fact has one, else nothing (see bot/parsing/choices.py).
"""
import datetime as dt

import pytest

from bot.parsing import (extract_facts, parse_answer, parse_employment, parse_housing, parse_nationality,
                         parse_study, parse_yes_no, read_by_proxy, read_disabled, read_employment,
                         read_housing, read_mobility_impaired)

TODAY = dt.date(2026, 11, 22)


def twins(*pairs):
    """(positive text, value, negated text, value) -> both as separate cases."""
    cases = []
    for positive, value, negated, negated_value in pairs:
        cases.append(pytest.param(positive, value, id=f"+{positive}"))
        cases.append(pytest.param(negated, negated_value, id=f"-{negated}"))
    return cases


@pytest.mark.parametrize("text, code", twins(
    ("有劳动合同", "labor_contract", "没有劳动合同", None),
    ("签了劳动和同的", "labor_contract", "劳动和同没签", None),
    ("俺在厂里干活", None, "俺现在没在厂里干活了", "none"),  # a job, kind not said (issue 17)
    ("在工地打工，老板给签了合同", "labor_contract", "在工地打工，老板没给签合同", "none"),
    ("有营业执照，开了个小饭馆", "business_license", "开了个小饭馆，营业执照还没办", "none"),
    ("我有营业执照哈", "business_license", "我也没有营业执照", None),
    ("摆摊的，执照有", "business_license", "摆摊的，木有执照", "none"),
    ("是个体户", "business_license", "不是个体户，在公司上班", None),
    ("在事业单位上班", "public_sector", "不是事业单位的，是私企，签了合同", "labor_contract"),
    ("上班呢", None, "没上班呢", "none"),
    ("在饭店打工的嘛", None, "现在不打工了", "none"),
    ("有工作", None, "没得工作", "none"),
))
def test_employment(text, code):
    assert parse_employment(text) == code


def test_employment_denials_are_kept():
    assert read_employment("没有劳动合同").denied == ("labor_contract",)
    assert read_employment("我也没有营业执照").denied == ("business_license",)
    assert read_employment("不是公务员").denied == ("public_sector",)
    assert read_employment("在厂里上班").assumed
    assert not read_employment("签了劳动合同").assumed


@pytest.mark.parametrize("text, code", twins(
    ("租的房子", "rented", "不是租的", None),
    ("在外头租房住", "rented", "没租房", None),
    ("房子是租的呀", "rented", "房子不是租的", None),
    ("是自己的房子", "owned", "不是自己的房子", None),
    ("自己买的房", "owned", "没买房，租的", "rented"),
    ("住公租房", "public_housing", "没申请到公租房，现在租的房", "rented"),
    ("住厂里宿舍", "employer_dorm", "不住厂里宿舍", None),
    ("孩子住校", "school_dorm", "孩子没住校", None),
    ("借住在亲戚家", "other", "不是借住的，房子是租的", "rented"),  # issue 17: as said, not "none"
    ("没地方住", "none", "不是没地方住，是租的", "rented"),
    ("租的房子没签租房合同", "rented", "不是租的房子，是老家的自建房", "owned"),
))
def test_housing(text, code):
    assert parse_housing(text) == code


def test_housing_denials_are_kept():
    assert read_housing("不是租的").denied == ("rented",)
    assert read_housing("我在这边没有房子").denied == ("owned",)
    assert read_housing("我在这边没有房子，租的").value == "rented"
    assert parse_housing("开出租车的") is None  # 出租车 is not housing


@pytest.mark.parametrize("text, code", twins(
    ("在上学", "full_time", "没在上学", "none"),
    ("孩子是学生", "full_time", "孩子不是学生了", "none"),
    ("有学籍，全日制的", "full_time", "没有学籍", "none"),
    ("读全日制大专", "full_time", "读的非全日制", "none"),
    ("在念初中", "full_time", "不念书了", "none"),
    ("还在读书", "full_time", "没读书了，出来打工", "none"),
))
def test_study(text, code):
    assert parse_study(text) == code


@pytest.mark.parametrize("text, code", twins(
    ("我是外国人", "foreign", "我不是外国人", None),
    ("香港来的", "hk", "不是香港的，是大陆的", "cn"),
    ("台湾的", "tw", "不是台湾人", None),
    ("中国人", "cn", "不是中国籍", None),
))
def test_nationality(text, code):
    assert parse_nationality(text) == code


@pytest.mark.parametrize("text, value", twins(
    ("是的", True, "不是的", False),
    ("有", True, "没有", False),
    ("对对对", True, "不对", False),
    ("可以", True, "不行", False),
    ("嗯", True, "没得", False),
))
def test_yes_no(text, value):
    assert parse_yes_no(text) is value


def test_yes_no_double_negation_is_neither():
    assert parse_yes_no("也不是没有") is None


@pytest.mark.parametrize("text, facts", twins(
    ("居住登记办了半年", {"registered_months": 6}, "居住登记一直没办", {"registered_months": None}),
    ("暂住证办了三个月", {"registered_months": 3}, "暂住证还没办呢", {"registered_months": None}),
    ("登记过了，一年多", {"registered_months": 12}, "从来没登记过", {"registered_months": None}),
    ("办了居住登记，住了八个月", {"lived_months": 8},
     "没办居住登记，住了八个月", {"lived_months": 8, "registered_months": None}),
))
def test_registration(text, facts):
    assert extract_facts(text, "liaocheng", TODAY) == facts


@pytest.mark.parametrize("text, value", twins(
    ("办了半年", 6, "还没办呢", None),
    ("登记了", "not understood", "没", None),
    ("不是没办，办了半年", 6, "没办过", None),
))
def test_registration_answers(text, value):
    if value == "not understood":
        with pytest.raises(ValueError):
            parse_answer("registered_months", text, "liaocheng", TODAY)
    else:
        assert parse_answer("registered_months", text, "liaocheng", TODAY) == value


@pytest.mark.parametrize("text, value", twins(
    ("帮俺娘办", True, "不是帮别人办，俺自己办", False),
    ("找人代办", True, "不用代办，我自己来", False),
    ("我自己来办", False, "不是我自己办，帮孩子办", True),
    ("想让儿子帮俺办", True, "不让别人代办", False),
))
def test_by_proxy(text, value):
    assert read_by_proxy(text).value is value
    assert extract_facts(text, "liaocheng", TODAY)["by_proxy"] is value


def test_by_proxy_answers():
    assert parse_answer("by_proxy", "不是我本人", "liaocheng", TODAY) is True
    assert parse_answer("by_proxy", "我本人", "liaocheng", TODAY) is False
    assert parse_answer("by_proxy", "不是帮别人", "liaocheng", TODAY) is False
    assert read_by_proxy("不是我自己办").value is None  # a free sentence: who, then?


@pytest.mark.parametrize("text, value", twins(
    ("我是残疾人", True, "我不是残疾人", False),
    ("有残疾", True, "不残疾", False),
    ("他耳聋", True, "他没有残疾", False),
    ("孩子有点智障", True, "孩子不是智障", False),
))
def test_disabled(text, value):
    assert read_disabled(text).value is value
    assert extract_facts(text, "liaocheng", TODAY)["disabled"] is value
    assert parse_answer("disabled", text, "liaocheng", TODAY) is value


def test_disabled_without_the_card_is_not_denied():
    assert read_disabled("没有残疾证").value is None
    assert read_disabled("残疾证没办，也不残疾").value is False
    assert parse_answer("disabled", "身体挺好的", "liaocheng", TODAY) is False
    assert "disabled" not in extract_facts("我身体挺好的", "liaocheng", TODAY)


@pytest.mark.parametrize("text, value", twins(
    ("行动不便", True, "没有行动不便", False),
    ("老人瘫痪了", True, "老人没瘫痪", False),
    ("腿脚不好", True, "腿脚挺好的", False),
    ("出门得坐轮椅", True, "不用坐轮椅", False),
    ("腿脚不方便", True, "不是腿脚不方便", False),
))
def test_mobility_impaired(text, value):
    assert read_mobility_impaired(text).value is value
    assert parse_answer("mobility_impaired", text, "liaocheng", TODAY) is value


def test_mobility_answers_are_not_yes_because_of_xing():
    assert parse_answer("mobility_impaired", "腿脚还行", "liaocheng", TODAY) is False
    assert parse_answer("mobility_impaired", "没有", "liaocheng", TODAY) is False
    assert parse_answer("mobility_impaired", "是的", "liaocheng", TODAY) is True


@pytest.mark.parametrize("text, facts", twins(
    ("现在住在东昌府", {"city": "liaocheng", "residence": {"county": "东昌府区"}},
     "不住东昌府了", {}),
    ("在聊城住", {"city": "liaocheng"}, "没在聊城住", {}),
    ("户口在河南", {"hukou": {"province": "河南省"}}, "户口不是河南的", {}),
    ("户口是聊城的", {"hukou": {"province": "山东省", "city": "聊城市"}},
     "户口不是聊城的", {"hukou": {"city": "外地"}}),
    ("俺是本地人", {"hukou": {"province": "山东省", "city": "聊城市"}}, "俺不是本地人", {"hukou": {"city": "外地"}}),
    ("户口不是河南的，是河北邯郸的", {"hukou": {"province": "河北省", "city": "邯郸市"}},
     "户口不在聊城，在河南", {"hukou": {"province": "河南省"}}),
))
def test_places(text, facts):
    assert extract_facts(text, "liaocheng", TODAY) == facts


def test_place_answers():
    assert parse_answer("residence.county", "住在茌平，不住东昌府", "liaocheng", TODAY) == "茌平区"
    with pytest.raises(ValueError):
        parse_answer("residence.county", "不住东昌府了", "liaocheng", TODAY)
    with pytest.raises(ValueError):
        parse_answer("hukou.city", "不是河南的", "liaocheng", TODAY)
    with pytest.raises(ValueError):
        parse_answer("residence.township", "不是古楼街道", "liaocheng", TODAY)
    assert parse_answer("residence.township", "不是古楼街道，是新区街道", "liaocheng", TODAY) == "新区街道"


@pytest.mark.parametrize("text, facts", twins(
    ("住了八个月", {"lived_months": 8}, "不是八个月，是九个月", {"lived_months": 9}),
    ("住了半年", {"lived_months": 6}, "没住满半年", {"lived_months": 5}),
    ("住了一年", {"lived_months": 12}, "住了还没有一年", {"lived_months": 11}),
    ("社保交了八个月", {"supplementary_proof_months": 8}, "社保没交", {}),
    ("今年68了", {"age": 68}, "不是68，是78岁", {"age": 78}),
))
def test_durations_and_ages(text, facts):
    assert extract_facts(text, "liaocheng", TODAY) == facts


def test_a_bounded_duration_is_approximate():
    found = extract_facts("没住满半年", "liaocheng", TODAY)
    assert found.approximate == {"lived_months": "没住满半年"}
    assert extract_facts("住了半年", "liaocheng", TODAY).approximate == {}


def test_open_questions_and_hypotheticals_give_nothing():
    for text in ("有没有劳动合同都能办吗", "如果没有劳动合同能办吗", "是不是租的房子才行", "要是租房的话要带什么"):
        found = extract_facts(text, "liaocheng", TODAY)
        assert "employment" not in found and "housing" not in found, text
    assert parse_employment("不是没有劳动合同") is None  # two negators: not said either way
