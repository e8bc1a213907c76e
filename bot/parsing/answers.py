"""One answer to one question (``parse_answer``, ``read_answer``), or facts
said unprompted (``extract_facts``).

``extract_facts(text, city_id, today)`` returns a partial CONTRACT facts dict,
exactly as before: callers merge it into the facts they pass to the engine,
which rejects unknown keys, so nothing else is put *in* the dict. What the
parser knows beyond the facts is on the returned object, an
``ExtractedFacts`` (a ``dict`` subclass), as attributes:

``approximate``  {fact: the clause it came from} for values read from vague
                 words: 快半年 -> lived_months 5, 七十多了 -> age 70, 去年三月
                 (the day matters), 外地的 -> hukou {"city": "外地"}. Say
                 "按约…计算" or ask for the exact value.
``unbound``      [{"text": clause, "months": n} | {"text": clause, "number": n}]:
                 numbers said but tied to no fact ("上班两年", "68了" with no
                 question). Never filed under a fact; the caller may ask what
                 they measure, or read them as the answer to its question
                 (``parse_answer`` does).
``denied``       {fact: [values]} the text rules out, whether or not it settles
                 the fact: "我没有营业执照" -> {"employment": ["business_license"]}
                 (employment unknown), "不是租的" -> {"housing": ["rented"]},
                 "没签合同，在厂里上班" -> employment none and
                 {"employment": ["labor_contract"]}.
``assumed``      [facts] mentioned without their kind: employment when a
                 job word is said without a contract or licence
                 ("在厂里上班"); the fact stays unknown, ask which kind.

``notes()`` gives these four as one JSON-able dict (empty ones left out).
``read_answer`` is ``parse_answer`` with the same notes (``Answer``).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Optional

from bot.rules.policy import City, city_ids, load_city

from ._text import normalise
from .choices import (KIN, has_denial, parse_yes_no, read_agent, read_by_proxy, read_disabled, read_employment, read_housing,
                      read_mobility_impaired, read_nationality, read_study)
from .durations import MAX_MONTHS, find_durations, vague_months
from .numbers import parse_age
from .negation import AFFIRMED, DENIED, clauses, find, negators
from .numbers import LIVED, PROOF, REGISTERED, bare_numbers, bind_durations, find_age
from .places import (VAGUE, clean, one_reading, find_known_city, find_known_county, parse_place, read_hukou,
                     says_vaguely_outside, township_at, without_denied_places)


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
_NOT_READ = object()  # "not understood" (None is a value: never registered)


@dataclass(frozen=True)
class Answer:
    """``read_answer``'s result: the value and what the parser noticed.

    ``approximate``: the words, when the value is a reading of vague words
    (快半年, 七十多, 外地); ``denied``: values ruled out; ``assumed``: the value
    rests on an inference (see ``ExtractedFacts``).
    """

    value: object
    approximate: Optional[str] = None
    denied: tuple = ()
    assumed: bool = False


class ExtractedFacts(dict):
    """``extract_facts``' result: the facts (a plain dict to compare, merge and
    serialise), and the parser's notes as attributes (see the module's doc)."""

    def __init__(self, facts=(), approximate=None, unbound=(), denied=None, assumed=()):
        super().__init__(facts)
        self.approximate: dict = dict(approximate or {})
        self.unbound: list = list(unbound)
        self.denied: dict = dict(denied or {})
        self.assumed: tuple = tuple(assumed)

    def notes(self) -> dict:
        notes = {"approximate": self.approximate, "unbound": self.unbound,
                 "denied": self.denied, "assumed": list(self.assumed)}
        return {key: value for key, value in notes.items() if value}


def _counties_hint(city: Optional[City]) -> str:
    if not city:
        return EXPECTED["residence.county"]
    names = "、".join(county.name for county in city.counties)
    return f"请说现在住在{city.name}的哪个县（市、区）：{names}。"


def _city(city_id: Optional[str]) -> Optional[City]:
    return load_city(city_id) if city_id in city_ids() else None


def _residence_county(text: str, city_id: Optional[str]) -> Optional[str]:
    known = find_known_county(clean(text), city_id, not_denied=True)
    return known[1].name if known else None


# --- answers to one question --------------------------------------------------------

_HAS_NONE = re.compile(r"(?:还|都|也|根本|压根)?(?:没有|没得|木有|没|无)(?:呢|啊|呀|的|了)*")
_BARE_DENIAL = re.compile(r"(?:还|都|也|根本|压根|从来)?(?:没有|没得|木有|没|未|无|不|否|不是)(?:有|呢|过|办|交|缴)*"
                          r"(?:呢|啊|呀|的|了)*")
_REGISTRATION_ANSWER = re.compile(r"(?:居住|暂住)登记|登记|暂住证|办|弄|报|做")


def _months_answer(fact: str, text: str, today: Optional[dt.date]) -> object:
    plain = normalise(text)
    if re.fullmatch(r"\d+", plain):  # the question asked for months
        return Answer(int(plain)) if int(plain) <= MAX_MONTHS else None
    bound = bind_durations(plain, today)
    usable = [d for d in bound.durations if d.fact == fact] or \
             [d for d in bound.durations if d.fact is None and d.how in ("none", "other") or d.how == "default"]
    if usable:
        chosen = usable[0]
        return Answer(chosen.months, chosen.clause if chosen.approximate else None)
    if bound.durations:
        return None  # durations said, but of other facts: ask again
    found = find_durations(plain, today)
    if fact == LIVED and found.just_arrived is not None:
        return Answer(0)
    if fact == PROOF and _BARE_DENIAL.fullmatch(plain) or fact == PROOF and _denies_any(plain):
        return Answer(0)  # no proof at all
    return None


def _denies_any(plain: str) -> bool:
    """Every clause of ``plain`` is a denial (社保没交，个税也没有)."""
    parts = clauses(plain)
    return bool(parts) and all(negators(part.text) for part in parts) and not find_durations(plain).spans


def read_registered(text: str, today: Optional[dt.date] = None) -> tuple[bool, Optional[int], Optional[str]]:
    """(understood, months or None for never, the approximate words or None)."""
    plain = normalise(text).replace("没多久", "")
    signs = [sign for _, sign in find(_REGISTRATION_ANSWER, plain)]
    if DENIED in signs and AFFIRMED not in signs:
        return True, None, None
    bound = bind_durations(plain, today)
    if bound.facts.get(REGISTERED, 0) is None and AFFIRMED not in signs:
        return True, None, None
    usable = [d for d in bound.durations if d.fact == REGISTERED] or \
             [d for d in bound.durations if d.fact is None and d.how in ("none", "other") or d.how == "default"]
    if usable:
        return True, usable[0].months, usable[0].clause if usable[0].approximate else None
    if bound.durations:
        return False, None, None
    if re.search(r"刚刚?(?:办|登记)", plain):
        return True, 0, None
    if plain and _BARE_DENIAL.fullmatch(plain):  # 没, 还没, 不, 否
        return True, None, None
    return False, None, None


def _age_answer(text: str) -> object:
    age = find_age(text)
    if age is not None:
        return Answer(age.years, age.clause if age.approximate else None)
    years = parse_age(text)
    if years is None:
        return None
    vague = re.search(r"多|来|几|快|大概|差不多|左右", normalise(text))
    return Answer(years, normalise(text) if vague else None)


def _choice_answer(fact: str, text: str) -> object:
    reader = {"housing": read_housing, "employment": read_employment, "study": read_study,
              "nationality": read_nationality}[fact]
    reading = reader(text)
    if reading.value is not None:
        return Answer(reading.value, denied=reading.denied, assumed=reading.assumed)
    if fact == "employment" and {"labor_contract", "business_license"} & set(reading.denied):
        # The question offers exactly these documents (or 公务员/事业单位, or
        # no job): saying one is missing is saying the work does not qualify.
        return Answer("none", denied=reading.denied)
    if reading.denied or fact == "nationality":
        return None  # "不是租的": which kind, then?
    # A plain yes or no, read with the question in mind: "没有" to "where do
    # you live / work" is none; "是" to "are you at school" is full_time.
    plain = normalise(text)
    if has_denial(plain) and not _BARE_DENIAL.fullmatch(plain):
        return None  # a denial of something this question has no word for
    answer = parse_yes_no(plain)
    if answer is False and fact == "housing" and not _HAS_NONE.fullmatch(plain):
        return None  # "不是" to "what kind of home": which kind is not said (only "没有" says none)
    if answer is False:
        return Answer("none")
    if answer is True and fact == "study":
        return Answer("full_time")
    return None


def _answer(fact: str, text: str, city_id: Optional[str], today: Optional[dt.date]) -> object:
    if fact.startswith("hukou."):
        place, vague = read_hukou(text, city_id)
        level = fact.split(".", 1)[1]
        # Any place answers "which city" (a province elsewhere settles it);
        # county and township questions need that level.
        wanted = place if level == "city" else place.get(level)
        return Answer(place, vague) if wanted else None
    if fact == "residence.county":
        county = _residence_county(text, city_id)
        return Answer(county) if county else None
    if fact == "residence.township":
        kept, _ = without_denied_places(text)
        township = parse_place(kept.replace("·", "")).get("township")
        return Answer(township) if township else None
    if fact in (LIVED, PROOF):
        return _months_answer(fact, text, today)
    if fact == REGISTERED:
        understood, months, vague = read_registered(text, today)
        return Answer(months, vague) if understood else _NOT_READ
    if fact == "age":
        return _age_answer(text)
    if fact in ("disabled", "mobility_impaired", "by_proxy"):
        reader = {"disabled": read_disabled, "mobility_impaired": read_mobility_impaired,
                  "by_proxy": read_by_proxy}[fact]
        reading = reader(text, answer=True)
        return Answer(reading.value) if reading.value is not None else None
    return _choice_answer(fact, text)


def read_answer(fact: str, text: str, city_id: Optional[str] = None,
                today: Optional[dt.date] = None) -> Answer:
    """``parse_answer`` with the parser's notes; raises NotUnderstood likewise."""
    if not isinstance(fact, str) or fact not in EXPECTED:
        raise NotUnderstood(f"无法识别要回答的问题（{fact}）。", fact)
    city = _city(city_id)
    city_id = city.id if city else None  # an unknown id restricts nothing
    hint = _counties_hint(city) if fact == "residence.county" else EXPECTED[fact]
    if not isinstance(text, str) or not normalise(text):
        raise NotUnderstood("没有收到回答。" + hint, fact)
    try:
        answer = _answer(fact, text, city_id, today)
    except Exception:  # a library failing on odd input is still "not understood"
        answer = _NOT_READ
    if answer is _NOT_READ or answer is None:
        raise NotUnderstood("没听明白，" + hint, fact)
    return answer


def parse_answer(fact: str, text: str, city_id: Optional[str] = None,
                 today: Optional[dt.date] = None) -> object:
    """The value of ``fact`` in the answer ``text``; raises NotUnderstood otherwise.

    For "registered_months", None means never registered. A denial gives the
    negative value where the question has one ("没在上学" -> study none,
    "不残疾" -> False, "没有劳动合同" -> employment none) and is not
    understood where it has none ("不是租的" to the housing question).
    """
    return read_answer(fact, text, city_id, today).value


def parse_registered(text: str, today: Optional[dt.date] = None) -> tuple[bool, Optional[int]]:
    """(True, None) never registered; (True, n) n months; (False, None) not understood."""
    understood, months, _ = read_registered(text, today)
    return understood, months


# --- facts said unprompted ----------------------------------------------------------

_HUKOU = re.compile(r"户口|户籍|老家|籍贯|原籍")
_REGISTERED_CUE = re.compile(r"登记|暂住证")
_LIVED_CUE = re.compile(r"住|来|待|呆|搬")
# "我是河南的", "俺是周口人", "我不是聊城的": where one is from.
_FROM = re.compile(r"(?:^|我|俺|额|咱|他|她|孩子|人家)(?:也|都)?(?:不)?是(?P<x>[\u4e00-\u9fff]{2,10}?)(?:的|人)$")
# "我老公是四川的": where the one applied for is from, when the speaker applies for them.
_KIN_FROM = re.compile(rf"^(?:我|俺)?(?:家)?(?:的)?{KIN}(?:也|都)?是(?P<x>[\u4e00-\u9fff]{{2,10}}?)(?:的|人)$")
_BARE_PLACE = re.compile(r"(?:我|俺|额|他|她)?(?P<x>[\u4e00-\u9fff]{2,10}?)(?:的|人|那边的|那里的)")
_PEOPLE_OF = re.compile(r"^(?:我|俺|额)?(?P<x>[\u4e00-\u9fff]{2,8}?)人$")
_NOT_A_PLACE = re.compile(r"在|住|租|买|来|房|厂|公司|学|班|工|宿舍|残疾|本人|老|外国|中国|香港|澳门|台湾|办|能|吗|要|想|问"
                          r"|可|证|呢|吧|啊|不|没")
# Where a clause about the 户口 goes on about where one lives now:
# "我是外地的在聊城打工", "户口河南的现在住东昌府".
_THEN_HERE = re.compile(r"(?:(?<=的)|(?<=人)|(?<=外地)|(?<=外省)|(?<=省外))(?:现在|目前)?(?=在|住|来)")
_HOME_IN = re.compile(r"(?<!老)家(?:在|是)")
_GOING_ON = re.compile(r"(?:在|是|落在|属于)?(?P<x>[\u4e00-\u9fff]{2,12}?)(?:的|那边|那里)?")
_LIVES_ELSEWHERE = re.compile(r"(?:住|在|去|到)(?:在)?(?:外地|外省|省外)")


def _is_hukou_clause(clause: str, for_other: bool = False) -> Optional[str]:
    """"named" for a clause about the 户口 (户口在河南, 我是河南的, 大理的),
    "vague" for one that says only "from outside" (我是外地来打工的: the
    places it names are where one lives now), None otherwise."""
    if _HUKOU.search(clause):
        return "named"
    match = _FROM.search(clause) or _PEOPLE_OF.match(clause) or (_KIN_FROM.match(clause) if for_other else None)
    if match and not _NOT_A_PLACE.search(match.group("x")):
        x = match.group("x")
        if parse_place(VAGUE.sub("", x)) or find_known_city(x):
            return "named"  # 我是河南的, 我是本地东阿的
        if VAGUE.search(x):
            return "vague"
    # "大理的" alone: a place that is none of the served cities' is where one is from.
    match = _BARE_PLACE.fullmatch(clause)
    if match and _only_a_place_elsewhere(match.group("x")):
        return "named"
    if says_vaguely_outside(clause) and not _LIVES_ELSEWHERE.search(clause):
        return "vague"
    return None


_LIVING = re.compile(r"住|在|来|到|租|买|搬|现在|目前|上班|工作|打工|上学|读书|念书|干活")


def _same_county(words: str, hukou_words: str) -> bool:
    known, hukou = find_known_county(words), find_known_county(hukou_words)
    return bool(known and hukou) and known[1].name == hukou[1].name


def _only_a_place_elsewhere(words: str) -> bool:
    """``words`` name a place and nothing else, and not a served city or county."""
    place = parse_place(words) if not _NOT_A_PLACE.search(words) else {}
    return bool(place.get("province") or place.get("city")) and not find_known_city(words) \
        and not find_known_county(words)


# "户口是山东济南的 不对 户口是河北的": the place after a correction replaces the one before.
_CORRECTION = re.compile(r"(?:不对|不是不是|说错了|我说错了|错了|哦不|噢不|更正一下|应该是)[,，。.!！]?")


def _places_to_facts(text: str, city_id: Optional[str], for_other: bool = False) -> tuple[dict, dict]:
    facts: dict = {}
    approximate: dict = {}
    hukou_clauses, here = [], []  # (clause, vague only?) about the 户口; clauses about where one lives now
    said: list = []  # the clauses of ``here`` as said (clean() drops 住/现在)

    def lives(clause: str) -> None:
        here.append(clean(clause))
        said.append(clause)

    previous_was_hukou = False
    corrections: set[int] = set()  # the hukou_clauses said right after a correction
    correcting = False
    for part in clauses(text):
        clause = part.text
        if _CORRECTION.fullmatch(clause):
            correcting = True
            continue
        if correcting or _CORRECTION.match(clause):
            corrections.add(len(hukou_clauses))  # the next 户口 clause, if this is one
            marker = _CORRECTION.match(clause)
            rest = clause[marker.end():] if marker else clause
            if previous_was_hukou and rest and _only_a_place_elsewhere(rest):  # "…济南的 不对应该是河北的"
                hukou_clauses.append((rest, False))
                correcting = False
                continue
        correcting = False
        # "户口不在聊城，在河南": the second clause goes on about the 户口.
        going_on = _GOING_ON.fullmatch(clause)
        if previous_was_hukou and going_on and _only_a_place_elsewhere(going_on.group("x")):
            hukou_clauses.append((clause, False))
            continue
        if _HOME_IN.search(clause) and not _HUKOU.search(clause):
            previous_was_hukou = False
            continue  # "我家在宣威": the family home, or where one lives? Not said.
        kind = _is_hukou_clause(clause, for_other)
        previous_was_hukou = kind is not None
        if kind == "vague":
            hukou_clauses.append((clause, True))
            lives(clause)
        elif kind == "named":
            split = _THEN_HERE.search(clause)
            if split and split.start() > 0:
                hukou_clauses.append((clause[:split.start()], False))
                lives(clause[split.start():])
            else:
                hukou_clauses.append((clause, False))
        else:
            lives(clause)
    if hukou_clauses:
        # "莘县的，老家莘县": a bare place beside a 户口 clause that names it goes on about
        # the 户口; only words of living (住, 在, 来, 租…) make it where one lives.
        hukou_words = "".join(clause for clause, _ in hukou_clauses)
        here = [words for words, raw in zip(here, said)
                if _LIVING.search(raw) or not _same_county(words, hukou_words)]
    named = [found[0] for found in (find_known_city(words, not_denied=True) for words in here) if found]
    if named:
        facts["city"] = named[0].id
    # Without a known city, only unmistakable county names count (东昌府 yes,
    # 开发区 no: every city has one).
    city_id = city_id or facts.get("city")
    for words in here:
        known = find_known_county(words, city_id, distinctive_only=city_id is None, not_denied=True)
        if known:
            facts.setdefault("residence", {}).setdefault("county", known[1].name)
            facts.setdefault("city", known[0].id)
        township = township_at(words[known[2].end:] if known else words)
        if township and not negators(words[:known[2].end] if known else ""):
            facts.setdefault("residence", {}).setdefault("township", township)
    city_id = city_id or facts.get("city")
    # The first place named; vague words ("外地", "本地人") only when none is.
    readings = [(clause, *read_hukou(clause, city_id, vague_only=vague_only))
                for clause, vague_only in hukou_clauses]
    named = [(index, place) for index, (clause, place, vague) in enumerate(readings) if place and not vague]
    vague = [(clause, place) for clause, place, words in readings if place and words]
    if named:
        # The first place named, made finer by later ones that agree with it
        # ("我是曲靖的，户口在麒麟区南宁街道": 曲靖市麒麟区南宁街道), replaced by one said
        # as a correction ("…济南的 不对 户口是河北的").
        hukou = dict(named[0][1])
        for index, place in named[1:]:
            if index in corrections:
                hukou = dict(place)
            elif all(hukou.get(level) in (None, value) for level, value in place.items()):
                hukou.update(place)
        facts["hukou"] = hukou
    elif vague:
        facts["hukou"] = vague[0][1]
        approximate["hukou"] = vague[0][0]
    return facts, approximate


# "孩子在这上学": someone else's schooling is not the applicant's (unless one applies for them).
_OTHER_PERSON = re.compile(rf"^(?:我|俺|我家|俺家|我们)?(?:的)?{KIN}")


def _own_clauses(plain: str) -> str:
    """``plain`` without the clauses that speak of another person, unless the speaker
    applies for someone (then that person is the applicant)."""
    if read_by_proxy(plain).value:
        return plain
    return ",".join(part.text for part in clauses(plain) if not _OTHER_PERSON.search(part.text))


def extract_facts(text: str, city_id: Optional[str] = None, today: Optional[dt.date] = None) -> ExtractedFacts:
    """The facts said in one free sentence, as a partial CONTRACT facts dict
    (an ``ExtractedFacts``: see the module's doc for its notes)."""
    plain = normalise(text)
    if not plain:
        return ExtractedFacts()
    city = _city(city_id)
    city_id = city.id if city else None  # an unknown id restricts nothing
    facts: dict = {}
    approximate: dict = {}
    unbound: list = []
    taken: list = []
    try:
        with one_reading():
            places, vague = _places_to_facts(plain, city_id, for_other=bool(read_by_proxy(plain).value))
        facts.update(places)
        approximate.update(vague)
    except Exception:  # a library failing on odd input: keep what the keywords give
        pass
    try:
        bound = bind_durations(plain, today)
        facts.update(bound.facts)
        approximate.update(bound.approximate)
        unbound += [item.as_dict() for item in bound.unbound]
    except Exception:
        pass
    for part in clauses(plain):  # "住了好几年了", "登记也大半年了": vague, flagged
        months = vague_months(part.text)
        fact = REGISTERED if _REGISTERED_CUE.search(part.text) else LIVED if _LIVED_CUE.search(part.text) else None
        if months is not None and fact and fact not in facts and not negators(part.text):
            facts[fact] = months
            approximate[fact] = part.text
    denied: dict = {}
    assumed = []
    readers = {"housing": read_housing, "employment": read_employment, "study": read_study,
               "nationality": read_nationality}
    for name, reader in readers.items():
        reading = reader(_own_clauses(plain) if name == "study" else plain)
        if reading.value is not None:
            facts[name] = reading.value
        if reading.denied:
            denied[name] = list(reading.denied)
        if reading.assumed:
            assumed.append(name)
    age = find_age(plain)
    if age is not None:
        facts["age"] = age.years
        taken.append(age.clause)
        if age.approximate:
            approximate["age"] = age.clause
    unbound += [item.as_dict() for item in bare_numbers(plain, tuple(taken))]
    for name, reader in (("by_proxy", read_by_proxy), ("disabled", read_disabled),
                         ("mobility_impaired", read_mobility_impaired)):
        value = reader(plain).value
        if value is not None:
            facts[name] = value
    agent = read_agent(plain).value
    if agent == "other" or (agent and facts.get("by_proxy")):
        facts["agent"] = agent
        if agent == "other" and facts.get("by_proxy") is None:
            facts["by_proxy"] = True  # 网格员、邻居 speak for someone else
    return ExtractedFacts(facts, approximate, unbound, denied, assumed)
