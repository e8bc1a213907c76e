"""One reading for typed and spoken words (issue 17).

Voice input (WeChat's ``Recognition``, a phone's dictation) gives the same
words as typing, without punctuation, with spaces and fillers (嗯、那个、然后),
sometimes in traditional characters or with full-width digits; people also
type province names in pinyin or English ("户口在Henan"). Every reader of
``bot.parsing`` works clause by clause, so this module turns such text into
the text a careful typist would have written:

- traditional -> simplified with OpenCC (the library, not a hand table);
- NFKC (full-width digits and punctuation become ASCII), lower case;
- romanised place names (henan, shandong, kunming, liaocheng…) -> Chinese;
- fillers and spaces become clause boundaries ("8 个月" stays one word);
- a run-on clause is cut where a new statement starts: after a place name
  and before what the person did there ("河南来聊城" -> "河南,来聊城"), before
  a date ("户口河南2025年3月来的" -> "户口河南,2025年3月来的"), before
  another topic after a finished phrase ("东阿县租房居住登记办了一年" ->
  "东阿县,租房,居住登记办了一年"). A negator and its word are never cut
  apart (没办居住登记, 没有租房), nor is a verb and its object.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.rules.policy import CITY_SUFFIXES, COUNTY_SUFFIXES, PROVINCE_SUFFIXES, city_ids, load_city, strip_suffix

HAN = "\u4e00-\u9fff"

# --- characters ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional characters written as simplified ones (OpenCC t2s)."""
    if all(ord(ch) < 0x3400 for ch in text):  # no CJK at all: nothing to convert
        return text
    return _t2s().convert(text)


# --- romanised place names ------------------------------------------------------------

_PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
              "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
              "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
# Where pinyin is ambiguous or not how people write it in Latin letters.
_LATIN_EXTRA = {"shaanxi": "陕西", "innermongolia": "内蒙古", "neimenggu": "内蒙古", "hongkong": "香港",
                "macau": "澳门", "macao": "澳门", "tibet": "西藏", "xizang": "西藏", "peking": "北京",
                "canton": "广州", "liaocheng": "聊城", "qujing": "曲靖"}


@lru_cache(maxsize=1)
def _latin_places() -> dict[str, str]:
    """"henan" -> 河南 for the provinces, their prefecture-level cities and the
    served cities' counties (pinyin from jionlp, built once, on first need)."""
    from ._text import jionlp

    names = set(_PROVINCES)
    try:
        for province, cities in jionlp().china_location_loader().items():
            for city in cities:
                if not city.startswith("_"):
                    names.add(strip_suffix(city, CITY_SUFFIXES + ("自治州", "地区", "盟")))
    except Exception:  # the table of cities is a convenience: provinces still work
        pass
    for city_id in city_ids():
        city = load_city(city_id)
        names.add(strip_suffix(city.name, CITY_SUFFIXES))
        for county in city.counties:
            names.add(strip_suffix(county.name, COUNTY_SUFFIXES))
    table: dict[str, str] = {}
    for name in sorted(names, key=len):
        if len(name) < 2:
            continue
        try:
            syllables = jionlp().pinyin(name, formater="simple")
        except Exception:
            continue
        key = "".join(re.sub(r"\d", "", s) for s in syllables)
        if key.isascii() and key.isalpha():
            # Provinces first (shanxi is 山西, not 陕西); a later city does not replace them.
            table.setdefault(key, name)
    for province in _PROVINCES:  # provinces win over a city with the same pinyin
        syllables = jionlp().pinyin(province, formater="simple")
        table["".join(re.sub(r"\d", "", s) for s in syllables)] = province
    table.update(_LATIN_EXTRA)
    return table


_LATIN_WORD = re.compile(r"[a-z]+(?:\s?[a-z]+)*")
_SUFFIX_WORDS = {"province": "省", "sheng": "省", "city": "市", "shi": "市", "county": "县", "xian": "县",
                 "district": "区", "qu": "区"}


def latin_places(text: str) -> str:
    """"户口在henan" -> "户口在河南"; other Latin words are left as they are."""
    if not re.search("[a-z]", text):
        return text

    def place(match: re.Match) -> str:
        words = match.group().split()
        out, i = [], 0
        table = _latin_places()
        while i < len(words):
            for j in range(len(words), i, -1):  # the longest run of words that is a place
                key = "".join(words[i:j])
                if key in table:
                    out.append(table[key])
                    i = j
                    break
                if key in _SUFFIX_WORDS and out and re.search(f"[{HAN}]$", out[-1]):
                    out.append(_SUFFIX_WORDS[key])
                    i = j
                    break
            else:
                out.append(words[i] if not out or not re.search(f"[{HAN}]$", out[-1]) else " " + words[i])
                i += 1
        return "".join(out)

    return _LATIN_WORD.sub(place, text)


# --- fillers and spaces ---------------------------------------------------------------

# Words that carry nothing in speech: they mark where one statement ends.
# 嗯 alone is an answer ("yes"): it is a filler only beside other words.
_FILLERS = re.compile(r"嗯+|呃+|唔+|然后呢?|接着|就是说|那个(?=[我俺户在是住就然嗯我老现])|还有就是|完了(?=[我在住户])")
_DIGIT_GAP = re.compile(r"(?<=\d)\s+(?=[\d个月年天岁周号点半多])")
_GAP = re.compile(r"\s+")


def boundaries(text: str) -> str:
    """Fillers and spaces as commas: "嗯 那个 我户口" -> ",,我户口" (commas collapse later)."""
    text = _DIGIT_GAP.sub("", text)
    stripped = _FILLERS.sub("", _GAP.sub("", text))
    if stripped and re.search(f"[{HAN}0-9a-z]", stripped):
        text = _FILLERS.sub(",", text)
    text = _GAP.sub(",", text.strip())
    return re.sub(r",{2,}", ",", text).strip(",")


# --- cutting run-on clauses -----------------------------------------------------------

@lru_cache(maxsize=1)
def _place_words() -> re.Pattern:
    """Place names a clause may end on before a new statement starts."""
    names = set(_PROVINCES) | {p + "省" for p in _PROVINCES}
    for city_id in city_ids():
        city = load_city(city_id)
        names |= {city.name, strip_suffix(city.name, CITY_SUFFIXES), *city.get("aliases", ())}
        for county in city.counties:
            stem = strip_suffix(county.name, COUNTY_SUFFIXES)
            names |= {county.name, *county.aliases}
            if len(stem) >= 2:
                names.add(stem)
    ordered = sorted((n for n in names if len(n) >= 2), key=len, reverse=True)
    general = rf"[{HAN}]{{1,4}}?(?:{'|'.join(PROVINCE_SUFFIXES + CITY_SUFFIXES + COUNTY_SUFFIXES)}|镇|乡|街道)"
    return re.compile("(?:" + "|".join(map(re.escape, ordered)) + "|" + general + ")")


# What starts a new statement after a place: a move, where one lives, a job, a date, the 户口.
_AFTER_PLACE = re.compile(r"(?:来|到|搬|过来|住|租|买|现在|目前|打工|上班|工作|干活|上学|读书|念书|居住登记|暂住登记|登记"
                          r"|户口|户籍|老家|社保|开店|做生意)(?!的$|人)")
_ORIGIN = re.compile(r"户口|户籍|老家|籍贯|原籍|^(?:我|俺|额|他|她)?(?:是|本是)$")
# A statement that starts after a finished phrase (a duration, a house, a job…).
_NEW_TOPIC = re.compile(r"居住登记|暂住登记|(?<![居暂])登记|户口(?![本簿])|户籍|老家|籍贯|租房|租的|租了|买了房|买的房|住了|住在"
                        r"|现在|目前|没有工作|没工作"
                        r"|有劳动合同|签了劳动合同|劳动合同|营业执照|社保|孩子|老人")
_PHRASE_END = re.compile(r"(?:房|房子|月|年|天|年了|月了|个月了|县|区|市|镇|乡|街道|省|班|工|书|学|同|照|宿舍|的)$")
_DATE = re.compile(r"\d{4}年|去年|前年|今年|上个?月|\d{1,2}月份?(?=\d|来|到|搬|过来|开始|就|初|底|中|份)")
_KEEP_BEFORE_DATE = re.compile(r"[从于在是自到至的,年]$|^$")
_NEGATORS = re.compile(r"(?:没有?|不是|不|未|无|还没|也没|都没|一直没|从没|别)$")
_VERB_BEFORE = re.compile(r"(?:办|办了|办过|做|做了|签|签了|签过|有|交|交了|去|来|在|也|还|都|已经|刚|才|就|要|想|能|会)$")


def _cut_points(clause: str) -> list[int]:
    cuts: set[int] = set()
    for match in _place_words().finditer(clause):
        end = match.end()
        after = _AFTER_PLACE.match(clause, end)
        # "从东昌府搬到开发区": the place moved from is not a statement of its own.
        # Only a place said as the 户口 ends a statement: "户口河南来聊城" is two,
        # "来麒麟区上班半年了" one (the half year is how long one has lived there).
        if after and end < len(clause) and _ORIGIN.search(clause[:match.start()]) \
                and not _NEGATORS.search(clause[:match.start()]):
            cuts.add(end)
    for match in _DATE.finditer(clause):
        before = clause[:match.start()]
        if before and not _KEEP_BEFORE_DATE.search(before) and not re.search(r"\d$", before):
            cuts.add(match.start())
    for match in _NEW_TOPIC.finditer(clause):
        before = clause[:match.start()]
        if before and _PHRASE_END.search(before) and not _NEGATORS.search(before) \
                and not _VERB_BEFORE.search(before):
            cuts.add(match.start())
    return sorted(at for at in cuts if 0 < at < len(clause))


_MARKS = re.compile(r"[,;。；!！?？、:：~…]")


def cut_runon(text: str) -> str:
    """Commas where a run-on clause holds several statements (see the module's doc)."""
    out, start = [], 0
    for mark in list(_MARKS.finditer(text)) + [None]:
        end = mark.start() if mark else len(text)
        clause = text[start:end]
        if len(clause) >= 6:
            pieces, last = [], 0
            for at in _cut_points(clause):
                pieces.append(clause[last:at])
                last = at
            pieces.append(clause[last:])
            clause = ",".join(piece for piece in pieces if piece)
        out.append(clause)
        if mark:
            out.append(mark.group())
            start = mark.end()
    return "".join(out)


@lru_cache(maxsize=8192)
def written(text: str) -> str:
    """The text as a careful typist writes it: simplified, half-width, lower case,
    romanised places in Chinese, fillers and spaces as commas, run-on clauses cut."""
    text = unicodedata.normalize("NFKC", simplified(text)).lower().strip()
    text = latin_places(text)
    text = boundaries(text)
    return cut_runon(text)
