"""One answer to one question (``parse_answer``), or facts said unprompted (``extract_facts``)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Optional

from bot.rules.policy import City, city_ids, load_city

from ._text import normalise
from .choices import (parse_employment, parse_housing, parse_nationality, parse_study,
                      parse_yes_no)
from .durations import find_durations, parse_age, parse_months, parse_registered
from .places import clean, find_known_city, find_known_county, parse_place, township_at


class NotUnderstood(ValueError):
    """The answer could not be read; the message (Chinese) says what is expected."""

    def __init__(self, message: str, fact: Optional[str] = None):
        super().__init__(message)
        self.fact = fact


_MONTHS_HINT = "比如“八个月”“一年多”或“去年三月来的”"
EXPECTED = {
    "hukou.city": "请说户口所在的省和市，比如“河南周口”。",
    "hukou.county": "请说户口所在的县（市、区），比如“东阿县”。",
    "hukou.township": "请说户口所在的乡镇或街道，名称要带“镇”“乡”或“街道”，比如“古楼街道”。",
    "residence.county": "请说现在住在哪个县（市、区）。",
    "residence.township": "请说现在住在哪个乡镇或街道，名称要带“镇”“乡”或“街道”，比如“南宁街道”。",
    "lived_months": f"请说在这里住了多久，{_MONTHS_HINT}。",
    "registered_months": "请说办居住登记（暂住登记）多久了，比如“半年”；没办过就说“没办”。",
    "supplementary_proof_months": f"请说这些证明材料能证明多久，{_MONTHS_HINT}。",
    "housing": "请说住的是什么房子：自己的房子、租的房子、公租房、单位宿舍、学校宿舍，或者没有固定住处。",
    "employment": "请说工作情况：在单位上班（有劳动合同）、个体户（有营业执照）、公务员或事业单位，或者没有工作。",
    "study": "请说是否在全日制学校上学，比如“在读”或“不上学”。",
    "age": "请说年龄，比如“35岁”。",
    "disabled": "请回答“是”或“不是”。",
    "mobility_impaired": "请回答“是”或“不是”。",
    "nationality": "请说是中国大陆居民、香港居民、澳门居民、台湾居民，还是外国人。",
    "by_proxy": "请回答是本人办理，还是帮别人办理。",
}
FACTS = tuple(EXPECTED)
_NOT_READ = object()  # parse_registered's "not understood" (None means never registered)

# by_proxy: "帮我孩子办", "替老人申请", "代办".
_PROXY = re.compile(r"(?:帮|替|给|代)(?:我的?|家里的?)?(?:孩子|小孩|儿子|女儿|父母|爸|妈|老人|家人|老公|老婆|爱人"
                    r"|丈夫|妻子|亲戚|朋友|他|她|别人|家里人|爷爷|奶奶|外公|外婆|姥姥|姥爷)|代办|代为|代领|代理")
_SELF = re.compile(r"(?:我)?(?:自己|本人)(?:办|来|申请|去)|给自己|帮自己")
_DISABLED = re.compile(r"(?<!没有)(?<!不是)(?<!没)(?<!无)残疾")
_IMPAIRED = re.compile(r"行动不便|行动不方便|腿脚不便|腿脚不好|走不了路|走不动|瘫痪|卧床|坐轮椅|轮椅")
_CLAUSE = re.compile(r"[,;。；!！?？、]|(?<!\d)\.|\.(?!\d)")
_HUKOU = re.compile(r"户口|户籍|老家|籍贯|原籍|是[\u4e00-\u9fff]{2,12}人$")
_REGISTRATION = "(?:居住|暂住)登记|登记|暂住证"
# The word nearest a duration says what it measures: 登记了半年 / 住了八个月.
_CUE = re.compile(rf"(?P<registered>{_REGISTRATION})|(?P<lived>住|来|到|待|呆|搬)")
_NEVER_REGISTERED = re.compile(
    rf"(?:没|未|从没|从来没|还没)有?(?:办|办理|做|去|申报|申请)?过?(?:{_REGISTRATION})"
    rf"|(?:{_REGISTRATION})(?:还|也|都)?(?:没|未)(?!到|满)")


def _counties_hint(city: Optional[City]) -> str:
    if not city:
        return EXPECTED["residence.county"]
    names = "、".join(county.name for county in city.counties)
    return f"请说现在住在{city.name}的哪个县（市、区）：{names}。"


def _city(city_id: Optional[str]) -> Optional[City]:
    return load_city(city_id) if city_id in city_ids() else None


def _residence_county(text: str, city_id: Optional[str]) -> Optional[str]:
    known = find_known_county(clean(text), city_id)
    return known[1].name if known else None


def _answer(fact: str, text: str, city_id: Optional[str], today: Optional[dt.date]) -> object:
    if fact.startswith("hukou."):
        place = parse_place(text)
        level = fact.split(".", 1)[1]
        # Any place answers "which city" (a province elsewhere settles it);
        # county and township questions need that level.
        wanted = place if level == "city" else place.get(level)
        return place if wanted else None
    if fact == "residence.county":
        return _residence_county(text, city_id)
    if fact == "residence.township":
        return parse_place(text).get("township")
    if fact in ("lived_months", "supplementary_proof_months"):
        return parse_months(text, today)
    if fact == "registered_months":
        understood, months = parse_registered(text, today)
        return months if understood else _NOT_READ
    if fact == "age":
        return parse_age(text)
    if fact in ("disabled", "mobility_impaired"):
        return parse_yes_no(text)
    if fact == "by_proxy":
        plain = normalise(text)
        if re.search(r"自己|本人", plain):
            return False
        return True if _PROXY.search(plain) else parse_yes_no(plain)
    if fact == "nationality":
        return parse_nationality(text)
    parse = {"housing": parse_housing, "employment": parse_employment, "study": parse_study}[fact]
    value = parse(text)
    if value is None:
        # A plain yes or no, read with the question in mind: "没有" to "where
        # do you live / work" is none; "是" to "are you at school" is full_time.
        answer = parse_yes_no(text)
        if answer is False:
            value = "none"
        elif answer is True and fact == "study":
            value = "full_time"
    return value


def parse_answer(fact: str, text: str, city_id: Optional[str] = None,
                 today: Optional[dt.date] = None) -> object:
    """The value of ``fact`` in the answer ``text``; raises NotUnderstood otherwise.

    For "registered_months", None means never registered.
    """
    if not isinstance(fact, str) or fact not in EXPECTED:
        raise NotUnderstood(f"无法识别要回答的问题（{fact}）。", fact)
    city = _city(city_id)
    city_id = city.id if city else None  # an unknown id restricts nothing
    hint = _counties_hint(city) if fact == "residence.county" else EXPECTED[fact]
    if not isinstance(text, str) or not normalise(text):
        raise NotUnderstood("没有收到回答。" + hint, fact)
    try:
        value = _answer(fact, text, city_id, today)
    except Exception:  # a library failing on odd input is still "not understood"
        value = _NOT_READ
    if value is _NOT_READ or (value is None and fact != "registered_months"):
        raise NotUnderstood("没听明白，" + hint, fact)
    return value


def _clauses(text: str) -> list[str]:
    return [part for part in _CLAUSE.split(normalise(text)) if part]


def _durations_to_facts(text: str, today: Optional[dt.date]) -> dict:
    found = find_durations(text, today)
    said, facts = found.text, {}
    mentions_registration = re.search(_REGISTRATION, said) is not None
    bounds = [0] + [m.end() for m in _CLAUSE.finditer(said)] + [len(said) + 1]
    for index, span in enumerate(found.spans):
        clause_start = max(b for b in bounds if b <= span.start)
        clause_end = min(b for b in bounds if b > span.start) - 1
        left_limit = max([clause_start] + [s.end for s in found.spans[:index]])
        right_limit = min([clause_end] + [s.start for s in found.spans[index + 1:]])
        before = list(_CUE.finditer(said, left_limit, span.start))
        after = _CUE.search(said, span.end, right_limit)
        cue = before[-1] if before else after
        if cue:
            name = "registered_months" if cue.lastgroup == "registered" else "lived_months"
        else:
            name = "registered_months" if mentions_registration else "lived_months"
        facts.setdefault(name, span.months)
    if "lived_months" not in facts and found.just_arrived is not None and not found.spans:
        facts["lived_months"] = 0
    if "registered_months" not in facts and _NEVER_REGISTERED.search(said):
        facts["registered_months"] = None
    return facts


def _places_to_facts(text: str, city_id: Optional[str]) -> dict:
    facts: dict = {}
    here = []  # clauses about where one lives now
    for clause in _clauses(text):
        if not _HUKOU.search(clause):
            here.append(clean(clause))
        elif "hukou" not in facts:
            facts["hukou"] = parse_place(clause)
    if not facts.get("hukou"):
        facts.pop("hukou", None)
    named = [found[0] for found in map(find_known_city, here) if found]
    if named:
        facts["city"] = named[0].id
    # Without a known city, only unmistakable county names count (东昌府 yes,
    # 开发区 no: every city has one).
    city_id = city_id or facts.get("city")
    for words in here:
        known = find_known_county(words, city_id, distinctive_only=city_id is None)
        if known:
            facts.setdefault("residence", {}).setdefault("county", known[1].name)
            facts.setdefault("city", known[0].id)
        township = township_at(words[known[2].end:] if known else words)
        if township:
            facts.setdefault("residence", {}).setdefault("township", township)
    return facts


def extract_facts(text: str, city_id: Optional[str] = None, today: Optional[dt.date] = None) -> dict:
    """The facts said in one free sentence, as a partial CONTRACT facts dict."""
    plain = normalise(text)
    if not plain:
        return {}
    city = _city(city_id)
    city_id = city.id if city else None  # an unknown id restricts nothing
    facts: dict = {}
    try:
        facts.update(_places_to_facts(plain, city_id))
        facts.update(_durations_to_facts(plain, today))
    except Exception:  # a library failing on odd input: keep what the keywords give
        pass
    values = {
        "housing": parse_housing(plain),
        "employment": parse_employment(plain),
        "study": parse_study(plain),
        "nationality": parse_nationality(plain),
    }
    facts.update({name: value for name, value in values.items() if value is not None})
    age = parse_age(plain) if "岁" in plain else None  # a bare number is not an age here
    if age is not None:
        facts["age"] = age
    if _PROXY.search(plain):
        facts["by_proxy"] = True
    elif _SELF.search(plain):
        facts["by_proxy"] = False
    if _DISABLED.search(plain):
        facts["disabled"] = True
    if _IMPAIRED.search(plain):
        facts["mobility_impaired"] = True
    return facts
