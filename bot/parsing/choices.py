"""Answers that name one of a few values: yes/no, housing, job, school, nationality.

Each table is ordered: the first matching row wins, so the narrower or negated
phrase comes before the word it contains (公租房 before 租, 没上班 before 上班).
Only specific phrases are listed; a bare "没有" is left to ``parse_answer``,
which knows the question, so that free sentences are not misread.
"""
from __future__ import annotations

import re
from typing import Optional

from ._text import normalise, without_denials

_UNSURE = re.compile(r"不知道|不清楚|不确定|不晓得|说不准|不一定|不好说|忘了")
_YES_DESPITE_NEGATION = re.compile(r"没错|没问题|不错")
_NO = re.compile(r"不是|没有|不用|不要|不需要|不对|不行|不会|不能|没|否|无|^不|^(?:no|nope|n)\b")
_YES = re.compile(r"是|对|有|嗯|恩|好|可以|行|要|需要|当然|确定|^(?:yes|yeah|yep|y|ok|okay|sure)\b")


def parse_yes_no(text: str) -> Optional[bool]:
    plain = normalise(text)
    if not plain or _UNSURE.search(plain):
        return None
    if _YES_DESPITE_NEGATION.search(plain):
        return True
    if _NO.search(plain):
        return False
    if _YES.search(plain):
        return True
    return None


def _first(table: tuple[tuple[str, str], ...], text: str) -> Optional[str]:
    plain = without_denials(normalise(text))
    for code, pattern in table:
        if re.search(pattern, plain):
            return code
    return None


# Edge cases decided here: 借住/住在亲戚或朋友家 is ``none`` (the regulation's
# 合法稳定住所 lists owned, public, rented and dormitory housing only, and a
# borrowed room is none of them); a bare 宿舍 is left unanswered (None) because
# it may be the employer's or the school's.
HOUSING = (
    ("public_housing", r"公租房|廉租房|保障房|保障性住房|人才公寓|经适房|经济适用房"),
    ("school_dorm", r"学校宿舍|学生宿舍|校内宿舍|住校|住学校|学校的宿舍"),
    ("employer_dorm", r"(?:单位|厂里?|工厂|公司|员工|职工|集体|工地|企业)的?宿舍|住(?:在)?(?:厂里|单位|公司|工地)"),
    ("rented", r"租"),
    ("none", r"没有?(?:房子?|地方)(?!产)|借住|寄住|住(?:在)?(?:朋友|亲戚|别人|同学|老乡)家|无处|露宿|流浪"),
    ("owned", r"自己的房|自己家的?房|自家的?房|自己买|买的房|买了房|买房|自有|房产证|产权|自建房|自己盖|商品房"
              r"|住(?:在)?自己家|房子是(?:我|自己)|按揭|贷款买"),
)

EMPLOYMENT = (
    ("none", r"没有?工作|无业|待业|失业|退休|没有?上班|不上班|没班上|家庭主妇|全职(?:妈妈|太太)|在?找工作|离职|在家带"),
    ("public_sector", r"公务员|事业单位|事业编|机关|公立|公办|政府部门|在编|编制内|参公"),
    ("business_license", r"个体|营业执照|开(?:了)?(?:个|家|间)?(?:店|公司|厂|饭馆|超市)|做生意|做买卖|小买卖|摆摊|经商|当老板|自己干|自营|网店"),
    ("labor_contract", r"上班|打工|劳动合同|厂里|工厂|进厂|公司|单位|务工|工作|员工|职员|工人|干活|外卖|快递|保安|保姆|服务员"
                       r"|司机|老师|医生|护士|合同工|劳务|雇"),
)


def parse_housing(text: str) -> Optional[str]:
    return _first(HOUSING, text)


def parse_employment(text: str) -> Optional[str]:
    # "住单位宿舍" says where one sleeps, not that one works there.
    return _first(EMPLOYMENT, re.sub(r"[\u4e00-\u9fff]{0,2}的?宿舍", "", normalise(text)))


# 幼儿园 is not schooling with 学籍 (聊城 第五条: 小学、中学、职业学校、高等学校).
STUDY = (
    ("none", r"不上学|没有?上学|没有?读书|不读书|不读了|毕业|辍学|退学|休学|没在读|不是学生|没有?念书|不念了|幼儿园"),
    ("full_time", r"在读|上学|读书|念书|学生|全日制|住校|[上读](?:小学|初中|高中|中学|大学|大专|中专|职高|技校|研)"
                  r"|研究生|本科|大专|中专|职高|技校|[初高][一二三]|[一二三四五六]年级"),
)


def parse_study(text: str) -> Optional[str]:
    return _first(STUDY, text)


NATIONALITY = (
    ("hk", r"香港|港人"),
    ("mo", r"澳门"),
    ("tw", r"台湾|台胞"),
    ("foreign", r"外国|外籍|老外|(?<![中本我])国(?:人|籍|公民)|无国籍"),
    ("cn", r"中国|大陆|内地|本国"),
)


def parse_nationality(text: str) -> Optional[str]:
    plain = without_denials(normalise(text))
    if re.search(r"港澳|澳台", plain):
        return None  # 港澳台: which one?
    return _first(NATIONALITY, plain)
