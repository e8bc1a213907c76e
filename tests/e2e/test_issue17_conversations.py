"""Issue 17 against the running assistant (Rasa REST, real servers): the read-back
before a verdict, corrections at it, people who already hold a permit, proxies,
foreign nationals and HK/Macao/Taiwan residents, side questions, "不知道",
starting over, much of it written as voice input gives it (no punctuation,
fillers, traditional characters, pinyin).

Messages are sent with ``confirm=False``: the read-back is answered (or not)
by each test, as the person would.
"""
from __future__ import annotations

import pytest

from conftest import is_readback  # tests/e2e has no package: pytest puts its conftest on the path


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def readback_of(replies: list[dict]) -> dict:
    found = [r["custom"]["readback"] for r in replies if isinstance(r.get("custom"), dict) and "readback" in r["custom"]]
    assert found, "no read-back in: " + " | ".join((r.get("text") or "")[:40] for r in replies)
    return found[-1]


def decision_of(replies: list[dict]) -> dict:
    found = [r["custom"]["decision"] for r in replies if isinstance(r.get("custom"), dict) and "decision" in r["custom"]]
    assert found, "no decision in: " + " | ".join((r.get("text") or "")[:40] for r in replies)
    return found[-1]


def holder_of(replies: list[dict]) -> dict:
    found = [r["custom"]["holder"] for r in replies if isinstance(r.get("custom"), dict) and "holder" in r["custom"]]
    assert found, "no holder answer in: " + " | ".join((r.get("text") or "")[:40] for r in replies)
    return found[-1]


def buttons(replies: list[dict]) -> list[str]:
    return [b["title"] for r in replies for b in r.get("buttons") or []]


@pytest.fixture
def say(chat):
    def send(text: str) -> list[dict]:
        return chat(text, confirm=False)
    return send


# --- the read-back --------------------------------------------------------------------------

@pytest.mark.parametrize("opener", [
    "户口河南 2025年3月来的聊城东阿县 租房 居住登记办了一年",
    "户口河南2025年3月来的聊城东阿县租房居住登记办了一年",
    "嗯 那个 户口是河南的 然后2025年3月来的聊城东阿县 租房 居住登记办了一年",
    "戶口河南 2025年3月來的聊城東阿縣 租房 居住登記辦了一年",
    "户口在Henan 2025年3月来的聊城东阿县 租房 居住登记办了一年",
])
def test_a_voice_style_opener_is_read_back_then_decided(say, opener):
    replies = say(opener)
    readback = readback_of(replies)
    assert readback["facts"]["hukou"] == {"province": "河南省"}
    assert readback["facts"]["residence"] == {"county": "东阿县"}
    assert "对吗？" in texts(replies) and buttons(replies)[-2:] == ["对", "有不对的，我改一下"]
    assert "结论：" not in texts(replies)  # no verdict before the person confirms
    decision = decision_of(say("对"))
    assert decision["verdict"] == "eligible"


def test_the_readback_button_payloads_work_like_tapping(say):
    say("我户口河南的在东昌府租房住了八个月居住登记也八个月")
    assert "哪一项不对" in texts(say("/deny"))
    assert decision_of(say("/affirm"))["verdict"] == "eligible"


def test_a_correction_at_the_readback_changes_only_what_it_names(say):
    replies = say("我户口河北的 在聊城东昌府租房住了五个月 登记也五个月")
    assert readback_of(replies)["facts"]["lived_months"] == 5
    replies = say("不对 是八个月 登记也是八个月")
    facts = readback_of(replies)["facts"]
    assert facts["lived_months"] == 8 and facts["registered_months"] == 8 and facts["hukou"] == {"province": "河北省"}
    assert "已更正" in texts(replies)
    assert decision_of(say("对"))["verdict"] == "eligible"  # on eight months, not five


def test_a_hukou_correction_changes_only_the_hukou(say):
    say("户口莘县 现在在东昌府租房住了一年 登记一年")
    replies = say("老家是河南的")
    facts = readback_of(replies)["facts"]
    assert facts["hukou"] == {"province": "河南省"} and facts["residence"] == {"county": "东昌府区"}
    assert "户口改为河南省" in texts(replies)


def test_a_repeated_county_in_a_hukou_answer_keeps_the_residence(say):
    say("我在聊城东昌府区租房住了一年 登记一年 本人办")
    replies = say("莘县的 老家莘县")
    facts = readback_of(replies)["facts"]
    assert facts["residence"] == {"county": "东昌府区"} and facts["hukou"]["county"] == "莘县"
    assert decision_of(say("对"))["verdict"] == "eligible"  # not "户口和住址都在莘县，不需要办理"


def test_a_job_word_is_asked_about_not_turned_into_a_contract(say):
    replies = say("我户口河南 在聊城东昌府住了一年 登记一年 在饭店打工 住亲戚家 本人办")
    assert "您现在的工作是什么情况" in texts(replies) and not is_readback(replies)
    replies = say("签了劳动合同")
    assert readback_of(replies)["facts"]["employment"] == "labor_contract"
    decision = decision_of(say("对"))
    assert decision["verdict"] == "eligible" and "employment_proof" in [m["code"] for m in decision["materials"]]


def test_start_over_forgets_the_previous_person(say):
    say("我户口河北的 在聊城东昌府租房住了八个月")
    assert "从头开始" in texts(say("重新来"))
    replies = say("我是曲靖的 户口在麒麟区南宁街道 现在住麒麟区建宁街道 本人")
    facts = readback_of(replies)["facts"]
    assert "housing" not in facts and facts["city"] == "qujing"


# --- people who already hold a permit ----------------------------------------------------------

@pytest.mark.parametrize("text, event, words", [
    ("我有聊城的居住证 上个月从东昌府区搬到了开发区", "move", "3日内"),
    ("我的居住证丢了 是曲靖的", "lost", "第十五条"),
    ("我有曲靖的居住证签注忘了办过期了", "endorsement", "使用功能中止"),
])
def test_a_holder_gets_the_article_never_the_interview(say, text, event, words):
    replies = say(text)
    assert holder_of(replies)["event"] == event and words in texts(replies)
    assert "结论：" not in texts(replies) and "您的户口" not in texts(replies)


def test_a_holder_moving_to_the_other_city_is_told_the_card_does_not_carry_over(say):
    replies = say("我有聊城的居住证 现在搬到曲靖了")
    said = texts(replies)
    assert "不能继续使用" in said and "5个工作日内" in said and "暂住登记" in said
    assert holder_of(replies)["to_city"] == "qujing"
    # The tap offered goes on with 曲靖's interview.
    replies = say('/inform{"city":"qujing"}')
    assert "曲靖" in texts(replies) or "本人" in texts(replies)


# --- proxies ----------------------------------------------------------------------------------

def test_a_seventeen_year_old_proxy_is_refused_with_the_applicants_own_checklist(say):
    replies = say("帮我儿子办 他17岁 户口河南 在聊城东昌府租房住了一年 登记一年 不是残疾人")
    assert readback_of(replies)["facts"]["by_proxy"] is True
    replies = say("对")
    decision = decision_of(replies)
    assert decision["proxy_allowed"] is False and "agent_id" not in [m["code"] for m in decision["materials"]]


def test_a_grid_worker_may_not_apply_for_an_old_woman(say):
    say("我是网格员 帮一位老人办 她七十多了 坐轮椅 户口河南 在东昌府住了三年 登记三年 住她自己家的房子")
    decision = decision_of(say("对"))
    assert decision["proxy_allowed"] is False
    assert any("监护人、近亲属" in reason["text"] for reason in decision["reasons"])


def test_impairment_said_in_the_opener_is_not_asked_again(say):
    replies = say("帮我妈办她72了走不了路户口河南周口的在东昌府跟我住了两年居住登记两年住我买的房子")
    assert "行动不便吗" not in texts(replies) and "多大年龄" not in texts(replies)
    decision = decision_of(say("对"))
    assert decision["proxy_allowed"] is True


# --- outside the scheme -----------------------------------------------------------------------

@pytest.mark.parametrize("text", ["我是缅甸人在曲靖打工", "我是越南籍的 在聊城住了八个月"])
def test_a_foreign_national_is_sent_to_the_exit_entry_office(say, text):
    replies = say(text)
    assert readback_of(replies)["facts"]["nationality"] == "foreign"
    replies = say("对")
    assert decision_of(replies)["verdict"] == "not_covered" and "出入境" in texts(replies)


def test_a_hong_kong_resident_is_a_citizen_not_a_foreigner(say):
    say("我是香港人 在曲靖麒麟区住了一年")
    replies = say("对")
    said = texts(replies)
    assert "中国公民" in said and "港澳台居民居住证" in said and "外国人不在本办法范围内" not in said


# --- side questions and not knowing ------------------------------------------------------------

def test_office_hours_mid_interview_are_answered_not_a_booking_lookup(say):
    say("我在聊城东昌府区租房住了一年 户口在河北")
    replies = say("派出所周末上班吗")
    said = texts(replies)
    assert "预约码" not in said and ("办公时间" in said or "工作日" in said)
    assert "居住登记多久了" in said or "本人" in said  # the interview goes on


def test_dont_know_to_a_duration_gets_help_to_estimate(say):
    say("我在聊城东昌府区租房住了一年 户口在河北 本人办")
    replies = say("不知道")
    said = texts(replies)
    assert "没听明白" not in said and "说个大概就行" in said or "凭证上有登记日期" in said
    assert "不清楚，跳过" in buttons(replies)
