"""Negation and clauses: is this word said, denied, or neither?

Every extractor finds its cue words (租, 劳动合同, 上学, 残疾, 登记 …) and asks
``polarity`` whether the cue is affirmed (+1), denied (-1) or left open (0)
in its clause. The rule is deliberately small:

- A negator (没/没有/没得/木有/不是/不/未/无/非/别/莫 …, the core of
  ``jionlp.negative_words_loader``) shortly before the cue denies it:
  "没有劳动合同", "没签合同", "也没有营业执照", "不是自己的房子", "没在上学",
  "不残疾". Between the negator and the cue there may be a few characters
  ("没跟公司签合同"), but not a contrast that starts a new assertion
  ("不是租的是买的": 是, 但, 可是, 而是, 现在 …).
- A negator right after the cue, past adverbs only, also denies it:
  "合同没签", "营业执照还没办", "居住登记一直没办", "残疾证没有".
- Two negators ("不是没有合同"), an A-not-A question ("有没有合同",
  "是不是租的") or a hypothetical clause ("如果没有合同的话") leave the cue
  open: neither the fact nor its opposite was said.
- Words that contain a negator but deny nothing are not negators:
  不错, 没问题, 没多久, 不到/没满 (durations, read by ``durations``), 未成年,
  别人, 无锡, 非常, 不好意思, 不方便 (itself a cue of impairment) …

A denied cue never becomes its positive fact. What it becomes instead (the
negative value, or nothing) is for each extractor to say: see ``choices``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

AFFIRMED, DENIED, OPEN = 1, -1, 0

# Longest first: the alternation takes the first that matches.
_NEGATOR_WORDS = (
    "并没有", "从来没有", "从来没", "从来不", "根本没有", "压根没有", "根本没", "压根没", "根本不", "压根不",
    "没有", "没得", "莫得", "木有", "不是", "并非", "并不", "并未", "并无", "绝非", "决非", "毫无", "不曾",
    "从未", "从没", "从不", "未曾", "还没", "还未", "还不", "也没", "也不", "都没", "都不",
    "没", "不", "未", "无", "非", "别", "莫", "勿", "冇", "甭",
)
NEGATOR = re.compile("|".join(_NEGATOR_WORDS))
_CORE = re.compile("[没不未无非别莫勿冇甭]|木有")

# Words that start with a negator but deny nothing after them (checked at
# the negator's position).
_NOT_NEGATIONS = re.compile(
    r"不错|不少|不久|不过|不仅|不但|不光|不管|不论|不然|不如|不同|不知|不清楚|不确定|不一定|不好说|不好意思"
    r"|不到|不满|不足|不够|不超过|不多|不大|不太懂|不懂|不记得|不晓得|不客气|不用谢|不要紧|不方便|不便|不好使"
    r"|不灵便|不利索|不止|不单|不只"
    r"|没错|没问题|没多久|没几|没准|没关系|没事|没想到|没到|没满|没够|没超过|没过多久|没什么问题"
    r"|未来|未满|未成年|未婚|未必"
    r"|无锡|无论|无所谓|无聊|无为"
    r"|非常|非得|除非"
    r"|别人|别的|别处|别家|别墅|别地|别个")
# Words with a negator inside that deny nothing (差不多, 对不起, 特别 …).
_NOT_NEGATIONS_AROUND = re.compile(
    r"差不多|记不清|说不清|说不准|看不懂|分不清|对不起|了不起|要不然|要不|忍不住|来不及|免不了|少不了|用不着"
    r"|犯不着|[特区分个性告级类差识辨派离鉴判]别")
# A-not-A questions: 有没有, 是不是, 能不能, 签没签, 租不租 … but not 现在没在
# (the first 在 is 现在's).
_A_NOT_A = re.compile(r"(?<![现正存实好])([\u4e00-\u9fff])(?:没|不)\1|(?<=[现正存实好])(?!在)([\u4e00-\u9fff])(?:没|不)\2")
# A hypothetical or a condition asked about: 如果没有合同的话, 要有工作才能办.
_HYPOTHETICAL = re.compile(r"如果|要是|假如|假设|万一|的话|比如|例如|譬如|才(?:能|可以|行|算)")
# A contrast or a new assertion between a negator and a cue ends the negation:
# "不是租的是买的", "没签合同但有营业执照", "以前没上班现在在厂里".
_CONTRAST = re.compile(r"(?<![不没])是|但|可是|而|就是|只是|还是|现在|目前|后来|已经|如今|今年|改成|换成")
# After a cue: adverbs, a negator and at most a verb to the clause's end
# (合同还没签, 登记一直没办, 残疾证没有); "摆摊没有执照" denies the 执照, not 摆摊.
_POST = re.compile(
    r"(?:的|了|呢|啊|我|俺|他|她|也|还|都|就|一直|从来|压根|根本|并|暂时|目前|现在|到现在|至今|始终|一次|老板|单位|公司)*"
    r"(?P<neg>没有|没得|木有|没|未|无|不是)"
    r"(?:给|跟我|和我)?(?:有|签|办|交|缴|拿|领|弄|做|上|去|登记|办理|申请|申报|签订|开|租|买|读|念|参加)?"
    r"(?:过|了|下来|好|着|成)*(?:呢|啊|的|呀|吧|哦|啦|哈)*$")
PRE_WINDOW = 8


@dataclass(frozen=True)
class Clause:
    """A piece of a message between punctuation marks, with its offsets."""

    text: str
    start: int
    end: int


_CLAUSE_MARK = re.compile(r"[,;。；!！?？、:：~…]|(?<!\d)\.|\.(?!\d)")


def clauses(text: str) -> list[Clause]:
    """``text`` (already normalised) cut at punctuation; empty pieces dropped."""
    found, start = [], 0
    for mark in _CLAUSE_MARK.finditer(text):
        if mark.start() > start:
            found.append(Clause(text[start:mark.start()], start, mark.start()))
        start = mark.end()
    if start < len(text):
        found.append(Clause(text[start:], start, len(text)))
    return found


def clause_of(text: str, at: int) -> Clause:
    for clause in clauses(text):
        if clause.start <= at < clause.end:
            return clause
    return Clause(text, 0, len(text))


def _denies(text: str, at: int) -> bool:
    """Whether the negator at ``text[at]`` denies what follows."""
    core = _CORE.search(text, at)
    at = core.start() if core else at
    if _NOT_NEGATIONS.match(text, at):
        return False
    for around in _NOT_NEGATIONS_AROUND.finditer(text, max(0, at - 2), min(len(text), at + 3)):
        if around.start() <= at < around.end():
            return False
    return not (_A_NOT_A.match(text, max(0, at - 1)) or text.startswith("有没有", max(0, at - 1)))


def negators(text: str) -> list[re.Match]:
    """The negators in ``text`` that deny something (not 不错, 没问题, 别人 …)."""
    return [match for match in NEGATOR.finditer(text) if _denies(text, match.start())]


def is_negator(word: str) -> bool:
    """Whether ``word`` alone is read as a negation."""
    return bool(negators(word))


# After the cue: 合同有没有, 是不是租的 …, or "V了没有" (登记了没有, 合同签了没).
_ASKED_AFTER = re.compile(r"(?:的)?(?:有没有|是不是|签没签|办没办|交没交)"
                          r"|[\u4e00-\u9fff]{0,2}了没有?(?:呢|啊|呀)?$")


def _asked(clause: Clause, start: int, end: int) -> bool:
    """Whether the cue at [start, end) is itself asked about: 有没有合同, 是不是租的,
    签没签合同, 合同有没有, 是不是要有工作才能办; not "我没工作能不能办", where
    the question is about something else."""
    before = clause.text[:start - clause.start]
    if "是不是" in before or "是否" in before or _A_NOT_A.search(before[-4:]):
        return True
    return bool(_ASKED_AFTER.match(clause.text, end - clause.start))


def polarity(text: str, start: int, end: int) -> int:
    """AFFIRMED, DENIED or OPEN for the cue at ``text[start:end]`` (offsets in
    the normalised text), judged inside its clause."""
    clause = clause_of(text, start)
    if _HYPOTHETICAL.search(clause.text) or _asked(clause, start, end):
        return OPEN
    window_start = max(clause.start, start - PRE_WINDOW)
    if _CORE.match(text, start):
        # A cue that is itself a denial (没工作, 不上班) is denied only by a
        # negator right before it (不是没工作), not by one of an earlier
        # phrase ("没房子没工作").
        window_start = max(window_start, start - 2)
    contrasts = list(_CONTRAST.finditer(text, window_start, start))
    if contrasts:
        window_start = contrasts[-1].end()
    count = sum(1 for match in NEGATOR.finditer(text, window_start, start) if _denies(text, match.start()))
    post = _POST.match(text, end, clause.end)
    if post and _denies(text, post.start("neg")):
        count += 1
    if count == 0:
        return AFFIRMED
    return DENIED if count == 1 else OPEN


def find(pattern: re.Pattern, text: str) -> list[tuple[re.Match, int]]:
    """Every match of ``pattern`` in ``text`` with its polarity."""
    return [(match, polarity(text, match.start(), match.end())) for match in pattern.finditer(text)]


def affirmed(pattern: re.Pattern, text: str) -> bool:
    return any(sign == AFFIRMED for _, sign in find(pattern, text))


def denied(pattern: re.Pattern, text: str) -> bool:
    return any(sign == DENIED for _, sign in find(pattern, text))
