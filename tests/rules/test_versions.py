"""A successor regulation beside an expired one (issue 18): each city file carries its validity
window, and an assessment uses the version in force on its day."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml

from bot.rules import assess_dict, policy

FACTS = {"city": "qujing", "hukou": {"province": "四川省"}, "residence": {"county": "麒麟区"},
         "lived_months": 8, "registered_months": None, "employment": "labor_contract"}


@pytest.fixture
def successor(tmp_path, monkeypatch):
    """曲靖 with a (made-up) successor text from 2022-10-09 that asks for a year."""
    for path in policy.CITIES_DIR.glob("*.yml"):
        shutil.copy(path, tmp_path / path.name)
    data = yaml.safe_load((tmp_path / "qujing.yml").read_text(encoding="utf-8"))
    data["policy"].update(title="曲靖市居住证管理实施办法（示例修订）", in_force_from=dt.date(2022, 10, 9),
                          in_force_to=dt.date(2027, 10, 8), issued=dt.date(2022, 9, 1))
    data["duration"].update(months=12, text="流动人口居住满一年以上")
    (tmp_path / "qujing@2022-10-09.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(policy, "CITIES_DIR", tmp_path)
    policy._city_ids.cache_clear()
    policy._versions.cache_clear()
    yield
    policy._city_ids.cache_clear()
    policy._versions.cache_clear()


def test_each_day_is_judged_by_the_text_in_force_that_day(successor):
    assert policy.city_ids() == ["liaocheng", "qujing"]  # a version is not a city
    old = assess_dict(dict(FACTS, as_of="2020-05-01"))
    new = assess_dict(dict(FACTS, as_of="2024-05-01"))
    assert old["verdict"] == "eligible" and old["policy"]["title"] == "曲靖市居住证管理实施办法"
    assert new["verdict"] == "not_yet_eligible" and new["policy"]["title"] == "曲靖市居住证管理实施办法（示例修订）"
    assert "满一年" in new["reasons"][1]["text"] and new["eligible_from"] == "2024-09-01"
    assert new["policy"]["in_force"] and not any("有效期" in warning for warning in new["warnings"])
    assert any("有效期" in warning for warning in old["warnings"]) is False  # 2020: the old text was in force


def test_a_day_before_any_text_uses_the_first_and_says_it_was_not_in_force(successor):
    early = assess_dict(dict(FACTS, as_of="2016-01-01"))
    assert early["policy"]["title"] == "曲靖市居住证管理实施办法" and early["policy"]["in_force"] is False


def test_one_file_per_city_today_is_its_only_version():
    assert [city.source for city in policy.versions("liaocheng")] == [policy.load_city("liaocheng").source]
