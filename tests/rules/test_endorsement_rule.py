"""The yearly 签注 as city data: the due date under each city's article."""
from __future__ import annotations

import datetime as dt

from bot.rules import load_city
from bot.rules.engine import endorsement_dates
from bot.rules.render import render_endorsement_due, render_endorsement_reminder

TODAY = dt.date(2026, 1, 10)


def test_qujing_is_due_thirty_days_before_the_year_ends():
    dates = endorsement_dates(load_city("qujing"), dt.date(2025, 5, 1), TODAY)
    assert dates["year_ends"] == dt.date(2026, 5, 1) and dates["deadline"] == dt.date(2026, 4, 1)
    assert dates["first_reminder"] == dt.date(2026, 3, 2) and dates["last_reminder"] == dt.date(2026, 3, 25)
    assert dates["article"] == "第十四条" and dates["status"] == "upcoming"


def test_liaocheng_is_due_by_the_anniversary():
    dates = endorsement_dates(load_city("liaocheng"), dt.date(2025, 2, 1), TODAY)
    assert dates["deadline"] == dates["year_ends"] == dt.date(2026, 2, 1)
    assert dates["article"] == "第九条" and dates["status"] == "in_window"  # the first reminder was 2026-01-02
    assert endorsement_dates(load_city("liaocheng"), dt.date(2024, 12, 1), TODAY)["status"] == "overdue"


def test_the_rule_is_data_a_third_city_needs_no_code():
    import copy

    from bot.rules.policy import City

    data = copy.deepcopy(load_city("qujing").data)
    data["endorsement_rule"].update(article="第八条", interval_months=24, deadline_days_before=60)
    dates = endorsement_dates(City(data), dt.date(2025, 5, 1), TODAY)
    assert dates["deadline"] == dt.date(2027, 3, 2) and dates["article"] == "第八条"


def test_what_is_said():
    text = render_endorsement_due("qujing", dt.date(2025, 5, 1), TODAY, month_only=True)
    assert "最晚2026年4月1日前" in text and "届满30日前办理签注（第十四条）" in text and "按当月1日算" in text
    assert "本人居民身份证（第十四条）" in text
    late = render_endorsement_due("liaocheng", dt.date(2024, 5, 1), TODAY)
    assert "已经过了" in late and "使用功能中止" in late and "（第九条）" in late
    reminder = render_endorsement_reminder("liaocheng", dt.date(2026, 2, 1), dt.date(2026, 1, 25))
    assert "还有7天" in reminder and "2026年2月1日前办理（第九条）" in reminder and "不用提醒了" in reminder
