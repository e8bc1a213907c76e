"""Issue 17: never a verdict on a guess. One test per class of wrong answer seen on
main, each with its varied or negated twins, through the interview driver (what
the chat, the hotline terminal and the staff page all run)."""
from __future__ import annotations

import pytest

from bot.dialogue.eligibility import Interview, Message, State

from .conftest import TODAY, Talk


def codes(decision):
    return [item["code"] for item in decision["materials"]]


def verdict_after_readback(chat: Talk) -> dict:
    chat.confirm()
    assert chat.last.ended == "verdict"
    return chat.last.decision


# --- 1. speech-style text does not move the 户口 onto the county where one lives ----------

@pytest.mark.parametrize("text", [
    "户口河南 2025年3月来的聊城东阿县 租房 居住登记办了一年",
    "户口河南2025年3月来的聊城东阿县租房居住登记办了一年",
    "户口河南，2025年3月来的聊城东阿县，租房，居住登记办了一年",
    "户口在Henan 2025年3月来的聊城东阿县 租房 居住登记办了一年",
    "嗯 户口河南的 然后 2025年3月来的聊城东阿县 那个 租房 居住登记办了一年",
    "戶口河南 2025年3月來的聊城東阿縣 租房 居住登記辦了一年",
])
def test_1_spoken_text_keeps_the_hukou_where_it_was_said(talk, text):
    chat = talk(text)
    assert chat.facts["hukou"] == {"province": "河南省"}
    assert chat.facts["residence"] == {"county": "东阿县"}
    readback = chat.last.messages[-1]
    assert "· 户口：河南省" in readback.text and "· 现在住：东阿县" in readback.text
    decision = verdict_after_readback(chat)
    assert decision["verdict"] == "eligible"  # not "不需要办理: 户口和住址都在东阿县"


# --- 2. a county said twice in an answer about the 户口 does not overwrite the residence ----

@pytest.mark.parametrize("answer", ["莘县的 老家莘县", "莘县的，老家莘县", "老家莘县 莘县的", "莘县"])
def test_2_a_repeated_county_about_the_hukou_is_the_hukou(talk, answer):
    chat = talk("我在聊城东昌府区租房住了一年，居住登记一年，本人办")
    assert chat.last.next == "hukou.city"
    chat.say(answer)
    assert chat.facts["hukou"]["county"] == "莘县"
    assert chat.facts["residence"] == {"county": "东昌府区"}


def test_2_twin_where_one_lives_said_with_its_verb_is_the_residence(talk):
    chat = talk("我在聊城，户口莘县，本人办")
    chat.say("现在住在东昌府区，租房")
    assert chat.facts["residence"] == {"county": "东昌府区"} and chat.facts["hukou"]["county"] == "莘县"


# --- 3. a correction is applied, and says what it changed --------------------------------

@pytest.mark.parametrize("correction, lived, registered", [
    ("不对 是八个月 登记也是八个月", 8, 8),
    ("不对，是八个月，登记也是八个月", 8, 8),
    ("登记是三个月", 5, 3),
    ("住了八个月，登记也八个月", 8, 8),
])
def test_3_a_correction_at_the_readback_changes_exactly_what_it_names(talk, correction, lived, registered):
    chat = talk("我户口河北的 在聊城东昌府租房住了五个月 登记也五个月")
    assert chat.last.next == "readback"
    chat.say(correction)
    assert chat.facts["lived_months"] == lived and chat.facts["registered_months"] == registered
    assert chat.texts[0].startswith("好的，已更正：") and "correction" in chat.last.cases
    assert chat.last.next == "readback"  # read back again
    decision = verdict_after_readback(chat)
    assert decision["verdict"] == ("eligible" if min(lived, registered) >= 6 else "not_yet_eligible")


def test_3_twin_no_alone_asks_which_one(talk):
    chat = talk("我户口河北的 在聊城东昌府租房住了五个月 登记也五个月")
    chat.say("有不对的，我改一下")
    assert "哪一项不对" in chat.texts[0] and chat.last.next == "readback" and chat.last.verdict is None
    chat.say("户口是河南的")
    assert chat.facts["hukou"] == {"province": "河南省"} and "户口改为河南省" in chat.texts[0]


# --- 4. no invented facts: a job word is no contract, a lease no labour contract -------------

@pytest.mark.parametrize("job", ["在饭店打工", "工地干活", "送外卖", "厂里上班", "跑车的"])
def test_4_a_job_without_its_kind_leaves_employment_open(talk, job):
    chat = talk(f"我户口河南 在聊城东昌府住了一年 登记一年 {job} 住亲戚家 本人办")
    assert "employment" not in chat.facts
    assert chat.facts["housing"] == "other"  # recorded as said, not "没有固定住所"
    assert chat.last.next == "employment"  # which kind of work is asked
    chat.say("没签合同")
    decision = chat.last.decision
    assert "labor_contract" not in str(chat.facts) and "employment_proof" not in codes(decision)


@pytest.mark.parametrize("text", ["派出所周末上班吗", "租房八个月了 合同在", "沒有工作"])
def test_4_twins_no_contract_from_a_question_a_lease_or_a_traditional_negation(driver, text):
    facts = driver.read_facts(text, "liaocheng")
    assert facts.get("employment") in (None, "none")


def test_4_a_home_the_article_does_not_list_is_an_open_question(talk):
    chat = talk("我户口河南 在聊城东昌府住了一年 登记一年 没工作 住亲戚家 本人办")
    chat.say("没上学")
    decision = verdict_after_readback(chat)
    assert decision["verdict"] == "undetermined" and decision["open_questions"]
    assert "等" in decision["open_questions"][0]


# --- 5. proxies by the article -------------------------------------------------------------

@pytest.mark.parametrize("age", [16, 17])
def test_5_a_refused_proxy_has_the_applicants_own_checklist(talk, age):
    chat = talk(f"帮我儿子办 他{age}岁 户口河南 在聊城东昌府租房住了一年 登记一年 不是残疾人")
    decision = verdict_after_readback(chat)
    assert decision["proxy_allowed"] is False and "agent_id" not in codes(decision)
    assert "不能代办" in chat.last.verdict.text and "委托人" not in chat.last.verdict.text


@pytest.mark.parametrize("words", ["走不了路", "坐轮椅", "腿脚不好"])
def test_5_twin_impairment_said_in_the_opener_is_not_asked_again(talk, words):
    chat = talk(f"帮我妈办 她72了 {words} 户口河南 在聊城东昌府跟我住了两年 居住登记两年")
    assert chat.facts["mobility_impaired"] is True
    asked = [reply.next for reply in chat.replies]
    assert "mobility_impaired" not in asked and "age" not in asked


def test_5_a_stand_in_who_is_no_relative_may_not_apply(talk):
    chat = talk("我是网格员 帮一位老人办 她七十多了 坐轮椅 户口河南 在东昌府住了三年 登记三年 住自己家房子")
    assert chat.facts["agent"] == "other"
    decision = verdict_after_readback(chat)
    assert decision["proxy_allowed"] is False and "agent_id" not in codes(decision)
    assert any("监护人、近亲属" in reason["text"] for reason in decision["reasons"])


def test_5_twin_a_child_said_as_my_second_is_five(driver):
    facts = driver.read_facts("帮我家老二办 他5岁 户口贵州的 在曲靖麒麟区 我们租房住了一年")
    assert facts["age"] == 5 and facts["by_proxy"] is True and facts["agent"] == "relative"


# --- 6. "重新来" forgets everything ------------------------------------------------------------

@pytest.mark.parametrize("words", ["重新来", "重来", "重新开始", "换个人问", "重新来吧"])
def test_6_start_over_clears_every_fact(talk, words):
    chat = talk("我户口河北的 在聊城东昌府租房住了八个月")
    chat.say(words)
    assert chat.last.ended == "restart" and chat.facts == {}
    chat.say("我在曲靖")
    assert "housing" not in chat.facts and "hukou" not in chat.facts


# --- 7. people who already hold a permit ---------------------------------------------------

@pytest.mark.parametrize("text, article, words", [
    ("我有聊城的居住证 上个月从东昌府区搬到了开发区", "第十条", "3日内"),
    ("我有曲靖的居住证 从麒麟区搬到沾益区了", "第十六条", "换证"),
    ("我的聊城居住证丢了", "第十条", "补领"),
    ("曲靖的居住证洗衣服洗坏了 我的", "第十五条", "原办证机关"),
    ("我有曲靖的居住证 签注忘了办 过期了", "第十四条", "使用功能中止"),
])
def test_7_a_holder_is_never_interviewed_as_a_new_applicant(talk, text, article, words):
    chat = talk(text)
    assert chat.last.ended == "holder" and chat.last.verdict is None and chat.last.next is None
    assert article in chat.texts[0] and words in chat.texts[0]
    assert "暂时还不能申领" not in chat.texts[0]


@pytest.mark.parametrize("text, old, new, registration", [
    ("我有聊城的居住证 现在搬到曲靖了", "聊城市", "曲靖市", "5个工作日内"),
    ("我在曲靖办了居住证 现在去聊城了", "曲靖市", "聊城市", "居住登记"),
])
def test_7_a_holder_moving_to_the_other_city_registers_there(talk, text, old, new, registration):
    chat = talk(text)
    said = chat.texts[0]
    assert f"{old}的居住证" in said and "不能继续使用" in said and registration in said and new in said
    assert [c.payload() for c in chat.last.messages[0].choices][0].startswith('/inform{"city"')


@pytest.mark.parametrize("other, named, article", [("曲靖", "聊城", "第十条"), ("聊城", '/inform{"city":"qujing"}', "第十六条")])
def test_7_a_holder_who_names_the_city_afterwards_is_still_not_interviewed(talk, other, named, article):
    """"我已经有居住证了 搬家了怎么办" is answered for every city; "聊城" (typed or its button) then
    gets 聊城's answer for that case, not the first question of a new application (found typing as a user)."""
    chat = talk("我已经有居住证了 搬家了怎么办")
    assert chat.last.ended == "holder" and "第十条" in chat.texts[0] and "第十六条" in chat.texts[0]
    chat.say(named)
    assert chat.last.ended == "holder" and chat.last.next is None and article in chat.texts[0]
    assert other not in chat.texts[0]  # that city's answer only
    assert chat.state.holding is None and chat.facts["city"] in ("liaocheng", "qujing")
    # Only the very next message: afterwards a city with a case is a new question, interviewed as usual.
    chat.say("我在聊城租房住了一年能办吗")
    assert chat.last.ended != "holder"


def test_a_place_said_alone_under_another_question_is_the_hukou_and_read_back(talk):
    """"四川" said to "本人还是代办" is where the person is from (as "四川的" is), not lost; like every
    fact from words it is read back before the verdict (found typing as a user)."""
    chat = talk("曲靖沾益 住三个月了 能办吗")
    assert chat.last.next == "by_proxy"
    chat.say("四川")
    assert chat.facts["hukou"] == {"province": "四川省"} and chat.last.next != "hukou.city"
    chat.say("买的房子")
    assert chat.last.next == "readback" and "户口：四川省" in chat.texts[-1]


def test_dialect_di_for_de(talk):
    """"俺是河南滴": 滴 is the particle 的 in northern and southwestern speech."""
    chat = talk("俺在聊城茌平打工 来了大半年了 俺是河南滴 住厂里宿舍 厂里给签了合同 中不中")
    assert chat.facts["hukou"] == {"province": "河南省"} and chat.facts["housing"] == "employer_dorm"


# --- 8. other people outside the scheme ------------------------------------------------------

@pytest.mark.parametrize("text", ["我是缅甸人 在曲靖打工", "我是越南籍的 在聊城住了八个月", "我是美国人 在聊城教英语"])
def test_8_any_foreign_nationality_is_not_covered_and_told_where_to_go(talk, text):
    chat = talk(text)
    assert chat.facts["nationality"] == "foreign"
    decision = verdict_after_readback(chat)
    assert decision["verdict"] == "not_covered" and "出入境" in chat.last.verdict.text


@pytest.mark.parametrize("text, who", [("我是香港人 在曲靖住了一年", "香港"), ("我是台湾人 在聊城做生意", "台湾"),
                                       ("我是澳门居民 在曲靖沾益区住了半年", "澳门")])
def test_8_hk_macao_taiwan_residents_are_citizens_not_foreigners(talk, text, who):
    chat = talk(text)
    decision = verdict_after_readback(chat)
    said = chat.last.verdict.text
    assert decision["verdict"] == "not_covered" and "中国公民" in said and "港澳台居民居住证" in said
    assert f"您是{who}" in said and "外国人不在本办法范围内" not in said


# --- 9. questions that look like facts, facts that look like questions -------------------------

@pytest.mark.parametrize("question", ["派出所周末上班吗", "派出所几点下班", "要带啥", "要钱吗"])
def test_9_a_side_question_is_answered_and_the_interview_resumes(talk, question):
    chat = talk("我在聊城东昌府区租房住了一年 户口在河北")
    asked = chat.last.next
    chat.say(question)
    assert "side_question" in chat.last.cases and chat.last.next == asked
    assert "预约码" not in " ".join(chat.texts) and "employment" not in chat.facts


@pytest.mark.parametrize("words", ["不知道", "记不清了", "不清楚"])
def test_9_dont_know_to_a_duration_gets_help_never_not_understood(talk, words):
    chat = talk("我在聊城东昌府区租房住了一年 户口在河北 本人办")
    assert chat.last.next == "registered_months"
    chat.say(words)
    assert "没听明白" not in " ".join(chat.texts) and chat.last.cases == ["estimate"]
    assert [c.title for c in chat.last.messages[-1].choices][-1] == "不清楚，跳过"
    chat.say(words)
    assert "registered_months" in chat.state.skipped and "没听明白" not in " ".join(chat.texts)


# --- the read-back itself -------------------------------------------------------------------------

def test_no_readback_when_every_fact_was_a_direct_answer_or_a_button(driver):
    reply = driver.start()
    for message in ['/inform{"city":"liaocheng"}', '/inform{"proxy_for":"self"}', '/inform{"province":"other"}',
                    "八个月", "八个月", '/inform{"housing":"rented"}']:
        reply = driver.handle(reply.state, Message.parse(message))
    assert reply.ended == "verdict" and "readback" not in [reply.next]
    assert not any("先核对一下" in text for text in reply.texts)


def test_the_readback_carries_the_facts_for_channels_to_draw(talk):
    chat = talk("我户口河南的 在东昌府租房住了八个月 居住登记八个月")
    readback = chat.last.messages[-1]
    assert readback.custom["readback"]["facts"] == chat.facts
    assert [c.payload() for c in readback.choices] == ["/affirm", "/deny"]
    assert readback.text.startswith("先核对一下") and readback.text.endswith("对吗？")


def test_a_fact_said_in_passing_after_a_readback_is_read_back_again(talk):
    chat = talk("我户口河南的 在东昌府租房住了八个月 居住登记八个月")
    chat.confirm()
    assert chat.last.ended == "verdict"
    state = State.from_dict(chat.state.to_dict())
    assert state.guessed() == []  # everything confirmed, kept across turns as JSON


def test_the_state_with_sources_survives_json(talk):
    chat = talk("我户口河南 在东昌府租房住了八个月")
    assert chat.last.next == "registered_months"
    again = State.from_dict(chat.state.to_dict())
    assert again.sources == chat.state.sources and set(again.guessed()) == set(chat.state.guessed())
    reply = Interview(as_of=TODAY).handle(again, Message.parse("八个月"))
    assert reply.state.facts["registered_months"] == 8 and reply.state.sources["registered_months"]["how"] == "answer"


@pytest.mark.parametrize("question, words", [("登记以后多久能办居住证", "满半年"), ("来了多久才能办", "满半年"),
                                             ("办好要多久", "10个工作日"), ("多久能拿到证", "10个工作日")])
def test_9_how_long_after_registration_is_the_rule_not_the_processing_time(talk, question, words):
    chat = talk("我在聊城东昌府区租房住了一年 户口在河北 本人办")
    asked = chat.last.next
    chat.say(question)
    assert words in chat.texts[0] and chat.last.next == asked


@pytest.mark.parametrize("text", ["我户口是聊城冠县的，现在住在高新区，租房一年了", "户口聊城东阿的 现在住高新区",
                                  "现在住在高新区，户口是聊城冠县的"])
def test_a_zone_said_for_the_residence_is_kept_when_the_city_is_named_only_with_the_hukou(text):
    """Issue 20 (10): "现在住在高新区" was lost when 聊城 was named only with the 户口."""
    from bot.dialogue.eligibility import Interview

    facts = Interview().read_facts(text, None)
    assert facts["city"] == "liaocheng" and facts["residence"]["county"] == "聊城高新技术产业开发区"
    assert facts["hukou"]["city"] == "聊城市"


@pytest.mark.parametrize("text", [
    "我户口是河南周口的，在聊城冠县租房住了快两年了，没签劳动合同，在工地打零工，居住登记也没办过，这样能办居住证吗，要多少钱",
    "我户口是河南周口的在聊城冠县租房住了快两年了没签劳动合同在工地打零工居住登记也没办过这样能办居住证吗要多少钱",
])
def test_a_never_registered_applicant_is_read_the_same_typed_or_spoken(text):
    """Found typing as a user: without punctuation "居住登记也没办过这样能办居住证吗" lost the 没办过
    (the question after it was read into the negation), and the registration was asked again."""
    from bot.dialogue.eligibility import Interview

    facts = Interview().read_facts(text, None)
    assert facts["registered_months"] is None and facts["lived_months"] == 23
    assert facts["residence"]["county"] == "冠县" and facts["housing"] == "rented"
    assert "employment" not in facts  # 没签劳动合同, 打零工: not said to be qualifying, asked if needed


@pytest.mark.parametrize("text", ["我在聊城东昌府区租房住了一年多了 登记了一年 签了劳动合同 户口是山东济南的 不对 户口是河北的 能办吗",
                                  "户口是山东济南的，不对，户口是河北的", "户口山东济南的 不对应该是河北的",
                                  "户口山东济南的 不对 河北的"])
def test_a_hukou_corrected_in_the_same_message_is_the_corrected_one(text):
    """Found typing as a user: the place said after 不对 was dropped and the first one read back."""
    from bot.dialogue.eligibility import Interview

    assert Interview().read_facts(text, None)["hukou"] == {"province": "河北省"}
