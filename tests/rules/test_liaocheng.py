"""聊城市居住证实施办法 (2022), article by article."""
import pytest

from .helpers import articles, codes, reason_articles

OUTSIDER = {"city": "liaocheng", "hukou": {"province": "河南省", "city": "周口市"}}
RENTER = {**OUTSIDER, "residence": {"county": "东昌府区"}, "lived_months": 8, "registered_months": 8,
          "housing": "rented", "employment": "labor_contract"}


# 第二条: scope --------------------------------------------------------------

def test_art2_outsider_is_in_scope(decide):
    decision = decide(**RENTER)
    assert decision["verdict"] == "eligible"
    assert "第二条" in reason_articles(decision)


@pytest.mark.parametrize("home,here", [
    ("东昌府区", "聊城高新技术产业开发区"),
    ("茌平", "东昌府"),
    ("经济技术开发区", "江北水城旅游度假区"),
    ("高新区", "茌平区"),
])
def test_art2_five_district_exemption(decide, home, here):
    decision = decide(city="liaocheng", hukou={"county": home}, residence={"county": here})
    assert decision["verdict"] == "not_required"
    assert "5区" in decision["reasons"][0]["text"]
    assert decision["materials"] == []


def test_art2_five_district_resident_moving_to_a_county_is_in_scope(decide):
    decision = decide(city="liaocheng", hukou={"county": "东昌府区"}, residence={"county": "阳谷县"},
                      lived_months=7, registered_months=7, housing="owned")
    assert decision["verdict"] == "eligible"
    assert "跨县" in decision["reasons"][0]["text"]


def test_art2_cross_county_resident_from_a_county_into_the_five_districts(decide):
    decision = decide(city="liaocheng", hukou={"city": "聊城", "county": "冠县"}, residence={"county": "东昌府"},
                      lived_months=6, registered_months=6, housing="rented")
    assert decision["verdict"] == "eligible"


def test_art2_same_county_is_not_required(decide):
    decision = decide(city="liaocheng", hukou={"county": "莘县"}, residence={"county": "莘县"})
    assert decision["verdict"] == "not_required"
    assert reason_articles(decision) == ["第二条"]


def test_art2_local_hukou_needs_both_counties(decide):
    decision = decide(city="liaocheng", hukou={"city": "聊城市"})
    assert decision["verdict"] == "undetermined"
    assert decision["missing"][:2] == ["hukou.county", "residence.county"]


def test_art2_hukou_elsewhere_in_shandong_is_outsider(decide):
    decision = decide(city="liaocheng", hukou={"province": "山东", "city": "济南"}, lived_months=6,
                      registered_months=6, housing="rented")
    assert decision["verdict"] == "eligible"


def test_art2_province_shandong_alone_asks_the_city(decide):
    decision = decide(city="liaocheng", hukou={"province": "山东省"})
    assert decision["missing"][0] == "hukou.city"


def test_art17_non_mainland_not_covered(decide):
    for nationality in ("foreign", "hk", "mo", "tw"):
        decision = decide(city="liaocheng", nationality=nationality, lived_months=12, housing="rented")
        assert decision["verdict"] == "not_covered"
        assert reason_articles(decision) == ["第十七条"]
        assert decision["missing"] == []


# 第五条: duration, basis, supplementary route --------------------------------

def test_art5_exactly_six_months_lived_and_registered(decide):
    decision = decide(**{**RENTER, "lived_months": 6, "registered_months": 6})
    assert decision["verdict"] == "eligible"


def test_art5_registration_short_asks_for_supplementary_proof(decide):
    decision = decide(**{**RENTER, "registered_months": 2})
    assert decision["verdict"] == "undetermined"
    assert decision["missing"] == ["supplementary_proof_months"]


def test_art5_supplementary_route_with_county_review(decide):
    decision = decide(**{**RENTER, "registered_months": 2, "supplementary_proof_months": 6})
    assert decision["verdict"] == "eligible_after_review"
    assert "supplementary_proof" in codes(decision)
    assert "县级公安机关" in decision["where"]
    assert any("审核" in w for w in decision["warnings"])


def test_art5_never_registered_with_supplementary_proof(decide):
    decision = decide(**{**RENTER, "registered_months": None, "supplementary_proof_months": 9})
    assert decision["verdict"] == "eligible_after_review"
    assert any("居住登记" in a for a in decision["advice"])


def test_art5_never_registered_without_proof_waits_six_months_from_registration(decide):
    decision = decide(**{**RENTER, "registered_months": None, "supplementary_proof_months": 0})
    assert decision["verdict"] == "not_yet_eligible"
    assert decision["eligible_from"] == "2027-05-22"
    assert any("尽快" in a and "居住登记" in a for a in decision["advice"])


def test_art5_newcomer_not_yet(decide):
    decision = decide(**{**RENTER, "lived_months": 3, "registered_months": 3})
    assert decision["verdict"] == "not_yet_eligible"
    assert decision["eligible_from"] == "2027-02-22"
    assert "第五条" in reason_articles(decision)
    # They will need the same papers when the time comes.
    assert codes(decision) == ["id_card", "address_proof", "employment_proof"]


def test_art5_registration_is_the_binding_constraint(decide):
    decision = decide(**{**RENTER, "lived_months": 10, "registered_months": 4, "supplementary_proof_months": 2})
    assert decision["verdict"] == "not_yet_eligible"
    # Supplementary proof reaches six months in 4 months, registration in 2.
    assert decision["eligible_from"] == "2027-01-22"


def test_art5_supplementary_route_can_be_sooner(decide):
    decision = decide(**{**RENTER, "lived_months": 4, "registered_months": 1, "supplementary_proof_months": 4})
    assert decision["verdict"] == "not_yet_eligible"
    assert decision["eligible_from"] == "2027-01-22"
    assert any("补充登记" in a for a in decision["advice"])


@pytest.mark.parametrize("basis", [
    {"housing": "owned"}, {"housing": "public_housing"}, {"housing": "employer_dorm"},
    {"housing": "school_dorm"}, {"housing": "none", "employment": "business_license"},
    {"housing": "none", "employment": "public_sector"},
    {"housing": "none", "employment": "none", "study": "full_time"},
])
def test_art5_each_qualifying_basis(decide, basis):
    facts = {**OUTSIDER, "lived_months": 7, "registered_months": 7, **basis}
    assert decide(**facts)["verdict"] == "eligible"


def test_art5_no_qualifying_basis(decide):
    decision = decide(**{**OUTSIDER, "lived_months": 12, "registered_months": 12,
                         "housing": "none", "employment": "none", "study": "none"})
    assert decision["verdict"] == "not_eligible"
    assert "第五条" in reason_articles(decision)
    assert decision["materials"] == []


def test_art5_no_basis_beats_not_yet(decide):
    decision = decide(**{**OUTSIDER, "lived_months": 2, "registered_months": 2,
                         "housing": "none", "employment": "none", "study": "none"})
    assert decision["verdict"] == "not_eligible"


def test_art5_one_basis_is_enough_so_others_are_not_asked(decide):
    decision = decide(**{**OUTSIDER, "lived_months": 7, "registered_months": 7, "housing": "rented"})
    assert decision["verdict"] == "eligible"
    assert decision["missing"] == []


def test_missing_facts_most_useful_first(decide):
    decision = decide(city="liaocheng")
    assert decision["verdict"] == "undetermined"
    assert decision["missing"] == ["hukou.city", "lived_months", "registered_months",
                                   "housing", "employment", "study"]


# 第六条: proxy ----------------------------------------------------------------

@pytest.mark.parametrize("person,allowed", [
    ({"age": 8}, True),
    ({"age": 15}, True),
    ({"age": 16, "disabled": False}, False),
    ({"age": 40, "disabled": True}, True),
    ({"age": 70, "mobility_impaired": True}, True),
    ({"age": 70, "mobility_impaired": False, "disabled": False}, False),
    ({"age": 35, "disabled": False, "mobility_impaired": True}, False),
])
def test_art6_proxy(decide, person, allowed):
    decision = decide(**{**RENTER, "by_proxy": True, **person})
    assert decision["verdict"] == "eligible"
    assert decision["proxy_allowed"] is allowed
    # A refused proxy: the applicant's own checklist, never the agent's papers (issue 17).
    assert ("agent_id" in codes(decision)) is allowed
    assert "第六条" in articles(decision)
    if not allowed:
        assert any("本人" in w for w in decision["warnings"])


def test_art6_proxy_asks_age_then_disability(decide):
    assert decide(**{**RENTER, "by_proxy": True})["missing"] == ["age"]
    assert decide(**{**RENTER, "by_proxy": True, "age": 30})["missing"] == ["disabled"]
    assert decide(**{**RENTER, "by_proxy": True, "age": 75})["missing"] == ["mobility_impaired", "disabled"]


@pytest.mark.parametrize("agent, allowed", [("relative", True), ("guardian", True), ("other", False)])
def test_art6_only_guardians_and_close_relatives_may_apply(decide, agent, allowed):
    """第六条: 由其监护人、近亲属代为申领 (a neighbour, a volunteer or a 网格员 may not)."""
    decision = decide(**{**RENTER, "by_proxy": True, "age": 8, "agent": agent})
    assert decision["verdict"] == "eligible" and decision["proxy_allowed"] is allowed
    assert ("agent_id" in codes(decision)) is allowed
    if not allowed:
        assert any("监护人、近亲属" in r["text"] and "第六条" in r["articles"] for r in decision["reasons"])


def test_no_proxy_question_without_proxy(decide):
    decision = decide(**RENTER)
    assert decision["proxy_allowed"] is None
    assert "agent_id" not in codes(decision)


# 第七条: materials ------------------------------------------------------------

def test_art7_materials_follow_the_facts(decide):
    decision = decide(**RENTER)
    texts = {m["code"]: m["text"] for m in decision["materials"]}
    assert list(texts) == ["id_card", "address_proof", "employment_proof"]
    assert "居民身份证" in texts["id_card"]
    assert "租赁合同" in texts["address_proof"]
    assert "劳动合同" in texts["employment_proof"]
    assert all(m["articles"] == ["第七条"] for m in decision["materials"])
    assert "photos" not in texts  # 聊城 asks for no photos


@pytest.mark.parametrize("housing,document", [
    ("owned", "房屋产权证明"), ("employer_dorm", "用人单位出具的住宿证明"), ("school_dorm", "就读学校出具的住宿证明"),
])
def test_art7_address_proof_by_housing(decide, housing, document):
    decision = decide(**{**RENTER, "housing": housing})
    address = next(m for m in decision["materials"] if m["code"] == "address_proof")
    assert document in address["text"]


def test_art7_study_proof(decide):
    decision = decide(**{**OUTSIDER, "lived_months": 9, "registered_months": 9, "housing": "school_dorm",
                         "study": "full_time"})
    assert "study_proof" in codes(decision)


def test_under_16_id_card_doubt_is_flagged(decide):
    decision = decide(**{**RENTER, "by_proxy": True, "age": 10})
    assert any("未满16周岁" in w for w in decision["warnings"])


# 第四条, 第八条: fee, processing, where -------------------------------------------

def test_art4_art8_fee_processing_where(decide):
    decision = decide(**RENTER)
    assert decision["fee"] == 0
    assert decision["processing"] == {"kind": "working_days", "days": 10}
    assert "派出所" in decision["where"] and decision["where"].startswith("东昌府区")
    assert {"第四条", "第八条"} <= set(articles(decision))


# 第九条, 第十条: advice ----------------------------------------------------------

def test_art9_art10_advice_on_endorsement_and_moving(decide):
    decision = decide(**RENTER)
    advice = " ".join(decision["advice"])
    assert "每年签注1次" in advice and "3日内" in advice
    assert {"第九条", "第十条"} <= set(articles(decision))


# 第十八条: validity -------------------------------------------------------------

def test_art18_expired_on_today(decide):
    decision = decide(**RENTER)
    assert decision["policy"] == {"title": "聊城市居住证实施办法", "in_force_from": "2022-08-01",
                                  "in_force_to": "2025-07-31", "in_force": False}
    assert any("有效期" in w and "2025年7月31日" in w for w in decision["warnings"])
    assert "第十八条" in articles(decision)


@pytest.mark.parametrize("day,in_force", [("2022-07-31", False), ("2022-08-01", True),
                                          ("2025-07-31", True), ("2025-08-01", False)])
def test_art18_in_force_window_edges(decide, day, in_force):
    decision = decide(**{**RENTER, "as_of": day})
    assert decision["policy"]["in_force"] is in_force
    assert bool(decision["warnings"]) is not in_force
    if day == "2022-07-31":
        assert "尚未施行" in decision["warnings"][0]


def test_citations_are_sorted_and_name_the_source(decide):
    decision = decide(**RENTER)
    numbers = [c["article"] for c in decision["citations"]]
    assert numbers == sorted(numbers, key=lambda a: ["第二条", "第四条", "第五条", "第七条", "第八条",
                                                    "第九条", "第十条", "第十八条"].index(a))
    assert {c["source"] for c in decision["citations"]} == {"聊城市居住证实施办法"}
