"""Whole messages as people send them: every fact where it belongs, nothing misread."""
import datetime as dt

import pytest

from bot.parsing import extract_facts

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize("text, city, facts", [
    ("我是外地来聊城打工的", None,
     {"city": "liaocheng", "hukou": {"city": "外地"}}),
    ("户口在外省，在曲靖能办居住证吗", None, {"city": "qujing", "hukou": {"province": "外省"}}),
    ("我是外地人，在聊城住了一年，能办不", None,
     {"city": "liaocheng", "hukou": {"city": "外地"}, "lived_months": 12}),
    ("俺是河南的，在聊城打工，能办个居住证不", None,
     {"city": "liaocheng", "hukou": {"province": "河南省"}}),
    ("我是本地东阿的，现在在东昌府区住", None,
     {"city": "liaocheng", "hukou": {"province": "山东省", "city": "聊城市", "county": "东阿县"},
      "residence": {"county": "东昌府区"}}),
    ("我家在宣威，来麒麟区上班半年了", "qujing",  # 家在: the family's home, or one's own? Not said.
     {"city": "qujing", "residence": {"county": "麒麟区"}, "lived_months": 6}),
    ("曲靖麒麟区，租房，一年多", None,
     {"city": "qujing", "residence": {"county": "麒麟区"}, "housing": "rented", "lived_months": 12}),
    ("我在曲靖租的房，半年了，还没办暂住登记", None,
     {"city": "qujing", "housing": "rented", "lived_months": 6, "registered_months": None}),
    ("柳园街道的", None, {"residence": {"township": "柳园街道"}}),
    ("聊城居住证怎么才能办下来", None, {"city": "liaocheng"}),
    ("老师，没有劳动合同能办居住证吗", None, {}),             # 老师 addresses the operator
    ("老师，住满半年了，能办了吧", None, {"lived_months": 6}),
    ("我今年22岁，在曲靖读大学，住学校宿舍", None,
     {"city": "qujing", "age": 22, "study": "full_time", "housing": "school_dorm"}),
    ("合同签了两年", None, {"employment": "labor_contract"}),  # two years of contract, not of residence
    ("在陆良县做小生意，有营业执照，三年了", "qujing",
     {"city": "qujing", "residence": {"county": "陆良县"}, "employment": "business_license",
      "supplementary_proof_months": 36}),
    ("不是东昌府区，是茌平区", None, {"city": "liaocheng", "residence": {"county": "茌平区"}}),
    ("不是聊城，是曲靖", None, {"city": "qujing"}),
    ("没房子没工作能办吗", None, {"employment": "none"}),    # 没房子: not owning one, not homeless
    ("俺今年六十八了，腿脚不好，想让儿子帮俺办", "liaocheng",
     {"age": 68, "mobility_impaired": True, "by_proxy": True}),
    # "本人来不了" is the opposite of "本人来": someone else applies (heard typing as a user).
    ("他是本人来不了 腿脚不好", "qujing", {"by_proxy": True, "mobility_impaired": True}),
    ("本人没法到场", None, {"by_proxy": True}),
    ("我本人来办", None, {"by_proxy": False}),
    ("帮我妈办，她七十多了，行动不便，户口是河南周口的，在东昌府跟我住了两年", "liaocheng",
     {"by_proxy": True, "age": 70, "mobility_impaired": True, "hukou": {"province": "河南省", "city": "周口市"},
      "city": "liaocheng", "residence": {"county": "东昌府区"}, "lived_months": 24, "agent": "relative"}),
    ("额是陕西的，在冠县开了个小饭馆，营业执照办了一年多，房子租的，居住登记还没弄", "liaocheng",
     {"hukou": {"province": "陕西省"}, "city": "liaocheng", "residence": {"county": "冠县"},
      "employment": "business_license",
      "supplementary_proof_months": 12, "housing": "rented", "registered_months": None}),
])
def test_messages(text, city, facts):
    assert extract_facts(text, city, TODAY) == facts
