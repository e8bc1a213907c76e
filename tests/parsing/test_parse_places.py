import pytest

from bot.parsing import normalise_city, parse_place
from bot.rules.policy import find_county


@pytest.mark.parametrize("text, place", [
    ("河南周口", {"province": "河南省", "city": "周口市"}),
    ("周口", {"province": "河南省", "city": "周口市"}),
    ("周口市", {"province": "河南省", "city": "周口市"}),
    ("河南", {"province": "河南省"}),
    ("河南省", {"province": "河南省"}),
    ("户口是河南的", {"province": "河南省"}),
    ("我是河南周口人", {"province": "河南省", "city": "周口市"}),
    ("广西", {"province": "广西壮族自治区"}),
    ("内蒙古", {"province": "内蒙古自治区"}),
    ("沈丘县", {"province": "河南省", "city": "周口市", "county": "沈丘县"}),
    ("信阳光山十里镇", {"province": "河南省", "city": "信阳市", "county": "光山县", "township": "十里镇"}),
    ("郑州经济开发区", {"province": "河南省", "city": "郑州市"}),  # not 聊城's 开发区
])
def test_places_elsewhere(text, place):
    assert parse_place(text) == place


@pytest.mark.parametrize("text, place", [
    ("山东省聊城市东阿县", {"province": "山东省", "city": "聊城市", "county": "东阿县"}),
    ("东昌府", {"province": "山东省", "city": "聊城市", "county": "东昌府区"}),  # jionlp says 吉林东昌区
    ("东昌府区", {"province": "山东省", "city": "聊城市", "county": "东昌府区"}),
    ("聊城", {"province": "山东省", "city": "聊城市"}),
    ("莘", {"province": "山东省", "city": "聊城市", "county": "莘县"}),
    ("麒麟区南宁街道", {"province": "云南省", "city": "曲靖市", "county": "麒麟区", "township": "南宁街道"}),
    ("东昌府区古楼街道办事处",
     {"province": "山东省", "city": "聊城市", "county": "东昌府区", "township": "古楼街道"}),
    ("户口在 东阿 ", {"province": "山东省", "city": "聊城市", "county": "东阿县"}),
])
def test_places_in_served_cities(text, place):
    assert parse_place(text) == place


def test_served_counties_agree_with_the_rules():
    city, county = find_county("东昌府")
    place = parse_place("东昌府")
    assert (place["city"], place["county"], place["province"]) == (city.name, county.name, city.province)


@pytest.mark.parametrize("text, place", [
    ("南宁街道", {"township": "南宁街道"}),
    ("住在古楼街道", {"township": "古楼街道"}),
    ("", {}), ("不知道", {}), ("在厂里上班", {}),
])
def test_townships_and_nothing(text, place):
    assert parse_place(text) == place


@pytest.mark.parametrize("text, city_id", [
    ("聊城", "liaocheng"), ("聊城市", "liaocheng"), ("liaocheng", "liaocheng"), ("曲靖", "qujing"),
    (" 曲靖市 ", "qujing"), ("我在聊城", "liaocheng"), ("北京", None), ("", None),
])
def test_normalise_city(text, city_id):
    assert normalise_city(text) == city_id


def _names_of_provinces() -> list[str]:
    from bot.parsing.places import PROVINCE_SUFFIXES, PROVINCES, strip_suffix

    return sorted({key for name in PROVINCES for key in (name, strip_suffix(name, PROVINCE_SUFFIXES))})


@pytest.mark.parametrize("said", _names_of_provinces())
def test_a_province_alone_reads_as_jionlp_reads_it(said, monkeypatch):
    """"河北" alone skips jionlp's 10 ms parse: the answer must be the one jionlp gives
    (a municipality or a special region keeps jionlp's city: 北京 -> 北京市, 北京市)."""
    from bot.parsing import places

    fast = parse_place(said)
    monkeypatch.setattr(places, "_only_a_province", lambda province, words: False)
    assert fast == parse_place(said)


def test_one_message_asks_jionlp_once_per_place():
    """Two readers of the same clause (is it the 户口's? which place?) share jionlp's answer."""
    from bot.parsing import extract_facts
    from bot.parsing import places

    asked = []
    real = places.jionlp().parse_location

    def counting(text, *args, **kwargs):
        asked.append(text)
        return real(text, *args, **kwargs)

    places.jionlp().parse_location = counting
    try:
        found = extract_facts("河南周口的", "liaocheng")
    finally:
        places.jionlp().parse_location = real
    assert found["hukou"] == {"province": "河南省", "city": "周口市"}
    assert asked == ["河南周口"]
