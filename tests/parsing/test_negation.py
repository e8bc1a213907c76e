import pytest

from bot.parsing._text import jionlp, normalise
from bot.parsing.negation import AFFIRMED, DENIED, OPEN, clauses, is_negator, polarity


def sign(text, cue):
    text = normalise(text)
    at = text.index(cue)
    return polarity(text, at, at + len(cue))


@pytest.mark.parametrize("text, cue, expected", [
    ("有劳动合同", "劳动合同", AFFIRMED),
    ("没有劳动合同", "劳动合同", DENIED),
    ("我们厂没给签劳动合同", "劳动合同", DENIED),          # a few words between
    ("合同没签", "合同", DENIED),                          # negator after the cue
    ("居住登记一直没办", "登记", DENIED),
    ("营业执照还没办下来呢", "营业执照", DENIED),
    ("摆摊没有执照", "摆摊", AFFIRMED),                     # the 没有 is the 执照's
    ("不是租的是买的", "买", AFFIRMED),                     # a contrast ends the negation
    ("不是租的是买的", "租", DENIED),
    ("没签合同但有营业执照", "营业执照", AFFIRMED),
    ("以前没上班现在在厂里上班", "厂里", AFFIRMED),
    ("不是没有劳动合同", "劳动合同", OPEN),                 # two negators
    ("有没有劳动合同都行吗", "劳动合同", OPEN),             # A-not-A question
    ("是不是租的才行", "租", OPEN),
    ("如果没有劳动合同的话", "劳动合同", OPEN),             # hypothetical
    ("不清楚登记了没有", "登记", OPEN),                     # "V了没有" asks
    ("合同签了没", "合同", OPEN),
    ("登记还没有", "登记", DENIED),
    ("俺现在没在厂里干活了", "干活", DENIED),              # 现在没在 is not A-not-A
    ("登记还没到半年", "登记", AFFIRMED),                   # 没到 is a duration
    ("在厂里上班没几天", "上班", AFFIRMED),
    ("不好意思，我在厂里上班", "上班", AFFIRMED),
    ("差不多在厂里上班两年", "上班", AFFIRMED),
    ("别人的房子，租的", "租", AFFIRMED),
    ("特别想租房", "租", AFFIRMED),
    ("租的房子没有电梯", "租", AFFIRMED),
    ("腿脚不方便，租房住", "租", AFFIRMED),
    ("木有营业执照", "营业执照", DENIED),                  # dialect
    ("没得工作", "工作", DENIED),
    ("读的非全日制", "全日制", DENIED),
    ("无劳动合同", "劳动合同", DENIED),
    ("别算我租房", "租", DENIED),
])
def test_polarity(text, cue, expected):
    assert sign(text, cue) == expected


def test_clauses_keep_offsets():
    text = normalise("户口河南的，在东昌府住了一年。办了登记")
    parts = clauses(text)
    assert [p.text for p in parts] == ["户口河南的", "在东昌府住了一年", "办了登记"]
    assert all(text[p.start:p.end] == p.text for p in parts)
    assert [p.text for p in clauses("住了1.5年")] == ["住了1.5年"]  # a decimal point is not a full stop


# jionlp's list, less the words that do not deny what follows them.
NOT_DENIALS = {
    "不久", "不仅", "不仅仅", "不仅仅是", "不光", "不单", "不只", "不止", "不同", "不管",  # not only, regardless
    "不到", "不够", "不满", "不足", "不大",  # amounts: "不到半年" is a duration (bot/parsing/durations.py)
    "未必",  # "not necessarily": neither yes nor no
    "否定", "否认", "弗", "毋须", "难以",  # written language, not said in a chat
}


def test_negators_cover_jionlp_negative_words():
    words = jionlp().negative_words_loader()
    assert len(words) > 100
    missed = [word for word in words if word not in NOT_DENIALS and not is_negator(word)]
    assert missed == []
    assert not any(is_negator(word) for word in NOT_DENIALS - {"否定", "否认", "弗", "毋须", "难以"})


@pytest.mark.parametrize("word", ["不错", "没问题", "没多久", "未成年", "别人", "无锡", "非常", "不方便",
                                  "差不多", "对不起", "是不是", "有没有"])
def test_words_with_a_negator_that_deny_nothing(word):
    assert not is_negator(word)
