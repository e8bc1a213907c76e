import datetime as dt

import pytest

from bot.parsing import NotUnderstood, extract_facts, parse_answer

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize("fact, text, city_id, value", [
    ("lived_months", "八个月", None, 8),
    ("lived_months", "去年三月来的", None, 20),
    ("supplementary_proof_months", "半年", None, 6),
    ("registered_months", "没办", None, None),
    ("registered_months", "一年多", None, 12),
    ("residence.county", "东昌府", "liaocheng", "东昌府区"),
    ("residence.county", "住在莘县", "liaocheng", "莘县"),
    ("residence.county", "麒麟", "qujing", "麒麟区"),
    ("residence.county", "开发区", "liaocheng", "聊城经济技术开发区"),
    ("residence.township", "南宁街道", "qujing", "南宁街道"),
    ("hukou.city", "河南周口", None, {"province": "河南省", "city": "周口市"}),
    ("hukou.city", "河南", None, {"province": "河南省"}),  # another province settles the question
    ("hukou.county", "东阿", "liaocheng", {"province": "山东省", "city": "聊城市", "county": "东阿县"}),
    ("hukou.township", "古楼街道", "liaocheng", {"township": "古楼街道"}),
    ("housing", "租的", None, "rented"),
    ("housing", "没有", None, "none"),  # no home; but "不是" says no kind (test_a_bare_no_is_no_kind_of_home)
    ("employment", "没有", None, "none"),
    ("employment", "个体户", None, "business_license"),
    ("study", "是", None, "full_time"),
    ("study", "不是", None, "none"),
    ("age", "三十五", None, 35),
    ("disabled", "有残疾证", None, True),
    ("mobility_impaired", "没有", None, False),
    ("nationality", "台湾", None, "tw"),
    ("by_proxy", "帮孩子办", None, True),
    ("by_proxy", "我自己", None, False),
    ("by_proxy", "是的", None, True),
])
def test_parse_answer(fact, text, city_id, value):
    assert parse_answer(fact, text, city_id, TODAY) == value


@pytest.mark.parametrize("fact, text, city_id", [
    ("lived_months", "不知道", None),
    ("registered_months", "嗯", None),
    ("residence.county", "周口", "liaocheng"),
    ("residence.county", "麒麟", "liaocheng"),  # a county, but of the other city
    ("residence.township", "东昌府", "liaocheng"),
    ("hukou.city", "不知道", None),
    ("hukou.county", "河南", None),
    ("housing", "宿舍", None),
    ("employment", "是", None),
    ("age", "200岁", None),
    ("disabled", "不清楚", None),
    ("nationality", "港澳台", None),
    ("lived_months", "", None),
    ("lived_months", None, None),
    ("no.such.fact", "八个月", None),
])
def test_not_understood(fact, text, city_id):
    with pytest.raises(NotUnderstood) as caught:
        parse_answer(fact, text, city_id, TODAY)
    assert isinstance(caught.value, ValueError)
    assert caught.value.fact == fact
    assert "请" in str(caught.value) or "无法" in str(caught.value)


def test_not_understood_messages_say_what_is_expected():
    with pytest.raises(NotUnderstood, match="住了多久.*八个月"):
        parse_answer("lived_months", "随便", today=TODAY)
    with pytest.raises(NotUnderstood) as caught:
        parse_answer("residence.county", "周口", "liaocheng")
    assert "东昌府区" in str(caught.value) and "茌平区" in str(caught.value)
    assert "麒麟区" not in str(caught.value)


def test_parse_answer_never_lets_library_errors_out():
    for fact in ("lived_months", "hukou.city", "age", "housing", "residence.county"):
        for text in ("\x00\x01", "９" * 200, "年年年月月月", "😀"):
            try:
                parse_answer(fact, text, "liaocheng", TODAY)
            except NotUnderstood:
                pass


@pytest.mark.parametrize("text, facts", [
    ("我在聊城租房住了八个月，在厂里上班",
     {"city": "liaocheng", "housing": "rented", "lived_months": 8}),
    ("户口是河南的，在东昌府住了一年多，办了居住登记半年",
     {"hukou": {"province": "河南省"}, "residence": {"county": "东昌府区"}, "city": "liaocheng",
      "lived_months": 12, "registered_months": 6}),
    ("我是曲靖师范学院的学生，住学校宿舍", {"city": "qujing", "study": "full_time", "housing": "school_dorm"}),
    ("帮我孩子办，孩子8岁", {"by_proxy": True, "age": 8, "agent": "relative"}),
    ("我是外国人", {"nationality": "foreign"}),
    ("没办过居住登记", {"registered_months": None}),
    ("不对，是九个月", {"lived_months": 9}),
])
def test_extract_facts_from_the_brief(text, facts):
    assert extract_facts(text, today=TODAY) == facts


@pytest.mark.parametrize("text, facts", [
    ("住了两年登记了一年", {"lived_months": 24, "registered_months": 12}),
    ("登记了一年，住了两年", {"lived_months": 24, "registered_months": 12}),
    ("暂住登记还没办，来了三个月", {"lived_months": 3, "registered_months": None}),
    ("办了登记，八个月", {"registered_months": 8}),
    ("去年三月来的曲靖，在麒麟区南宁街道租房",
     {"city": "qujing", "residence": {"county": "麒麟区", "township": "南宁街道"}, "lived_months": 20,
      "housing": "rented"}),
    ("户口是聊城东阿的，现在住在曲靖麒麟区",
     {"hukou": {"province": "山东省", "city": "聊城市", "county": "东阿县"}, "city": "qujing",
      "residence": {"county": "麒麟区"}}),
    ("在聊城住了不到半年", {"city": "liaocheng", "lived_months": 5}),
    ("我现在住东昌府，今天想问问", {"city": "liaocheng", "residence": {"county": "东昌府区"}}),
    ("我自己办，我是残疾人，行动不便", {"by_proxy": False, "disabled": True, "mobility_impaired": True}),
    ("在开发区开了个店", {"employment": "business_license"}),  # which city's 开发区?
    ("刚来，住厂里宿舍", {"lived_months": 0, "housing": "employer_dorm"}),
    ("在聊城住了８个月", {"city": "liaocheng", "lived_months": 8}),
    ("", {}),
])
def test_extract_facts(text, facts):
    assert extract_facts(text, today=TODAY) == facts


def test_extract_facts_with_a_known_city():
    assert extract_facts("在开发区租房", city_id="liaocheng", today=TODAY) == {
        "city": "liaocheng", "residence": {"county": "聊城经济技术开发区"}, "housing": "rented"}
    assert extract_facts("住在麒麟区", city_id="liaocheng", today=TODAY) == {}


def test_an_unknown_city_id_restricts_nothing():
    assert parse_answer("residence.county", "东昌府", "atlantis") == "东昌府区"
    assert extract_facts("住在东昌府", city_id="atlantis") == {"city": "liaocheng", "residence": {"county": "东昌府区"}}


@pytest.mark.parametrize("text", ["不是", "不", "不对"])
def test_a_bare_no_is_no_kind_of_home(text):
    """Issue 17: "不是" to "what kind of home" is no fact: the question is asked again, never "没有固定住所"."""
    with pytest.raises(NotUnderstood):
        parse_answer("housing", text, "liaocheng", TODAY)
