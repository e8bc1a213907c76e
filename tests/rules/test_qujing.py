"""曲靖市居住证管理实施办法 (2017), article by article."""
import pytest

from .helpers import articles, codes, reason_articles

STUDENT = {"city": "qujing", "hukou": {"province": "贵州省", "city": "六盘水市"}, "residence": {"county": "麒麟区"},
           "lived_months": 9, "housing": "school_dorm", "study": "full_time"}


# 第二条: scope ----------------------------------------------------------------

def test_art2_from_another_prefecture_of_yunnan_is_in_scope(decide):
    decision = decide(city="qujing", hukou={"province": "云南", "city": "昆明"}, lived_months=7, housing="rented")
    assert decision["verdict"] == "eligible"
    assert "第二条" in reason_articles(decision)


def test_art2_cross_county_within_qujing_is_in_scope(decide):
    decision = decide(city="qujing", hukou={"county": "会泽"}, residence={"county": "麒麟区"},
                      lived_months=7, housing="rented")
    assert decision["verdict"] == "eligible"


def test_art2_same_district_street_exemption(decide):
    decision = decide(city="qujing", hukou={"county": "麒麟区", "township": "南宁街道"},
                      residence={"county": "麒麟区", "township": "白石江街道"})
    assert decision["verdict"] == "not_required"
    assert "同一城区跨街道" in decision["reasons"][0]["text"]
    assert not any("城区" in w for w in decision["warnings"])


def test_art2_street_exemption_in_a_county_is_flagged_as_doubtful(decide):
    decision = decide(city="qujing", hukou={"county": "陆良县", "township": "中枢街道"},
                      residence={"county": "陆良", "township": "同乐街道"})
    assert decision["verdict"] == "not_required"
    assert any("未界定“城区”" in w for w in decision["warnings"])


def test_art2_town_to_street_in_same_county_is_in_scope(decide):
    decision = decide(city="qujing", hukou={"county": "麒麟区", "township": "越州镇"},
                      residence={"county": "麒麟区", "township": "南宁街道"}, lived_months=8, housing="rented")
    assert decision["verdict"] == "eligible"
    assert "跨乡镇、街道" in decision["reasons"][0]["text"]


def test_art2_same_township_is_not_required(decide):
    decision = decide(city="qujing", hukou={"county": "宣威", "township": "板桥街道"},
                      residence={"county": "宣威市", "township": "板桥"})
    assert decision["verdict"] == "not_required"


def test_art2_same_county_asks_for_townships(decide):
    decision = decide(city="qujing", hukou={"county": "罗平县"}, residence={"county": "罗平县"})
    assert decision["verdict"] == "undetermined"
    assert decision["missing"][:2] == ["hukou.township", "residence.township"]


def test_art2_unclassifiable_township_is_flagged(decide):
    decision = decide(city="qujing", hukou={"county": "富源县", "township": "中安"},
                      residence={"county": "富源县", "township": "胜境街道"}, lived_months=8, housing="rented")
    assert decision["verdict"] == "eligible"
    assert any("无法判断“中安”" in w for w in decision["warnings"])


def test_art2_foreigner_not_covered(decide):
    decision = decide(city="qujing", nationality="foreign", housing="rented")
    assert decision["verdict"] == "not_covered"
    assert reason_articles(decision) == ["第二条"]


@pytest.mark.parametrize("nationality", ["hk", "mo", "tw"])
def test_art2_hk_mo_tw_not_covered_with_doubt(decide, nationality):
    decision = decide(city="qujing", nationality=nationality)
    assert decision["verdict"] == "not_covered"
    assert any("港澳台居民" in w for w in decision["warnings"])


# 第十一条: duration and basis ---------------------------------------------------

def test_art11_student_eligible(decide):
    decision = decide(**STUDENT)
    assert decision["verdict"] == "eligible"
    assert "第十一条" in reason_articles(decision)


def test_art11_registration_is_not_a_condition(decide):
    decision = decide(city="qujing", hukou={"province": "四川"}, lived_months=6, housing="rented")
    assert decision["verdict"] == "eligible"
    assert "registered_months" not in decision["missing"]


def test_art11_unregistered_is_warned(decide):
    decision = decide(city="qujing", hukou={"province": "四川"}, lived_months=6, housing="rented",
                      registered_months=None)
    assert decision["verdict"] == "eligible"
    assert any("暂住登记" in w for w in decision["warnings"])


def test_art11_five_months_is_not_yet(decide):
    decision = decide(**{**STUDENT, "lived_months": 5})
    assert decision["verdict"] == "not_yet_eligible"
    assert decision["eligible_from"] == "2026-12-22"


def test_art11_no_basis(decide):
    decision = decide(city="qujing", hukou={"province": "四川"}, lived_months=8, housing="none",
                      employment="none", study="none")
    assert decision["verdict"] == "not_eligible"


def test_art11_public_housing_is_flagged(decide):
    decision = decide(city="qujing", hukou={"province": "四川"}, lived_months=8, housing="public_housing")
    assert decision["verdict"] == "eligible"
    assert any("保障性住房" in w for w in decision["warnings"])


def test_student_needs_at_most_three_facts(decide):
    decision = decide(city="qujing")
    assert decision["missing"] == ["hukou.city", "lived_months", "housing", "employment", "study"]


# 第十二条: materials and proxy ------------------------------------------------------

def test_art12_materials_include_two_photos(decide):
    decision = decide(**STUDENT)
    assert codes(decision) == ["id_card", "photos", "address_proof", "study_proof"]
    photos = next(m for m in decision["materials"] if m["code"] == "photos")
    assert "2张" in photos["text"] and photos["articles"] == ["第十二条"]


def test_art12_business_license_is_called_gongshang(decide):
    decision = decide(city="qujing", hukou={"province": "四川"}, lived_months=8, housing="rented",
                      employment="business_license")
    proof = next(m for m in decision["materials"] if m["code"] == "employment_proof")
    assert "工商营业执照" in proof["text"]


@pytest.mark.parametrize("person,allowed", [({"age": 12}, True), ({"age": 30, "disabled": False}, False),
                                            ({"age": 66, "mobility_impaired": True}, True)])
def test_art12_proxy(decide, person, allowed):
    decision = decide(**{**STUDENT, "by_proxy": True, **person})
    assert decision["proxy_allowed"] is allowed
    assert ("agent_id" in codes(decision)) is allowed  # a refused proxy: the applicant's own checklist
    assert "第十二条" in reason_articles(decision)


# 第五条, 第六条, 第十三条: where, fee, processing -----------------------------------------

def test_art5_art6_art13_where_fee_processing(decide):
    decision = decide(**STUDENT)
    assert decision["fee"] == 0
    assert decision["processing"] == {"kind": "on_the_spot"}
    assert {"第五条", "第六条", "第十三条"} <= set(articles(decision))
    assert any("未具体指定受理窗口" in w for w in decision["warnings"])


# 第十四条, 第十六条: advice ------------------------------------------------------------

def test_art14_art16_advice(decide):
    decision = decide(**STUDENT)
    advice = " ".join(decision["advice"])
    assert "三十日前" in advice and "换证" in advice


# 第二十三条: validity -----------------------------------------------------------

@pytest.mark.parametrize("day,in_force", [("2017-10-08", False), ("2017-10-09", True),
                                          ("2022-10-08", True), ("2022-10-09", False)])
def test_art23_in_force_window(decide, day, in_force):
    decision = decide(**{**STUDENT, "as_of": day})
    assert decision["policy"]["in_force"] is in_force
    assert decision["policy"]["in_force_to"] == "2022-10-08"
    assert ("第二十三条" in articles(decision)) is not in_force


def test_eligible_from_across_month_ends(decide):
    from bot.rules import assess_dict
    jan31 = assess_dict({**STUDENT, "lived_months": 5, "as_of": "2027-01-31"})
    assert jan31["eligible_from"] == "2027-02-28"
    leap = assess_dict({**STUDENT, "lived_months": 5, "as_of": "2028-01-31"})
    assert leap["eligible_from"] == "2028-02-29"
    dec31 = assess_dict({**STUDENT, "lived_months": 2, "as_of": "2026-12-31"})
    assert dec31["eligible_from"] == "2027-04-30"
