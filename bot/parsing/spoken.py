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

from .vocabulary import KIN  # "我老公是四川的…": where a relative is from starts a statement too

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

def _province_stems() -> tuple[str, ...]:
    from .vocabulary import PROVINCES

    return tuple(strip_suffix(name, PROVINCE_SUFFIXES) for name in PROVINCES)


# Where pinyin is ambiguous or not how people write it in Latin letters.
_LATIN_EXTRA = {"shanxi": "山西", "shaanxi": "陕西", "innermongolia": "内蒙古", "neimenggu": "内蒙古", "hongkong": "香港",
                "macau": "澳门", "macao": "澳门", "tibet": "西藏", "xizang": "西藏", "peking": "北京",
                "canton": "广州", "liaocheng": "聊城", "qujing": "曲靖"}


@lru_cache(maxsize=1)
def _latin_places() -> dict[str, str]:
    """"henan" -> 河南 for the provinces, their prefecture-level cities and the
    served cities' counties (pinyin from jionlp, built once, on first need)."""
    from .libraries import jionlp

    provinces = _province_stems()
    names = set(provinces)
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
    for province in provinces:  # provinces win over a city with the same pinyin
        syllables = jionlp().pinyin(province, formater="simple")
        table["".join(re.sub(r"\d", "", s) for s in syllables)] = province
    table.update(_LATIN_EXTRA)
    return table


# A run of Latin words, not inside a booking code (K7HEZE); the space before it goes with it.
_LATIN_WORD = re.compile(r"\s?(?<![0-9a-z])[a-z]+(?:\s?[a-z]+)*(?![0-9a-z])")
_SUFFIX_WORDS = {"province": "省", "sheng": "省", "city": "市", "shi": "市", "county": "县", "xian": "县",
                 "district": "区", "qu": "区"}


def latin_places(text: str) -> str:
    """"户口在henan" -> "户口在河南"; other Latin words are left as they are."""
    if not re.search("[a-z]", text):
        return text

    def place(match: re.Match) -> str:
        words = match.group().split()
        if not any("".join(words[i:j]) in _latin_places() for i in range(len(words))
                   for j in range(i + 1, len(words) + 1)):
            return match.group()
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
_FILLERS = re.compile(r"嗯+|呃+|唔+|然后呢?|接着|就是说|那个(?=[\s,，。]*[我俺户在是住就然嗯老现租买没有])|还有就是"
                      r"|完了(?=[我在住户])")
# A filler standing alone between two clauses ("在河南, 那个, 现在在东昌府").
_LONE_FILLER = re.compile(r"(?:^|(?<=,))(?:那个|这个|就是|嗯|额|呃)(?=,|$)")
_DIGIT_GAP = re.compile(r"(?<=[\d零一二两三四五六七八九十百年月个半])\s+(?=[\d零一二两三四五六七八九十百个月年天岁周号点半多])")
_GAP = re.compile(r"\s+")


def boundaries(text: str) -> str:
    """Fillers and spaces as commas: "嗯 那个 我户口" -> ",,我户口" (commas collapse later)."""
    text = _DIGIT_GAP.sub("", text)
    stripped = _FILLERS.sub("", _GAP.sub("", text))
    if stripped and re.search(f"[{HAN}0-9a-z]", stripped):
        text = _FILLERS.sub(",", text)
    text = _GAP.sub(",", text.strip())
    without = re.sub(r",{2,}", ",", _LONE_FILLER.sub("", text)).strip(",")
    return without if without else re.sub(r",{2,}", ",", text).strip(",")  # "嗯" alone is an answer


# --- cutting run-on clauses -----------------------------------------------------------

@lru_cache(maxsize=1)
def _place_words() -> re.Pattern:
    """Place names a clause may end on before a new statement starts: the provinces,
    their prefecture-level cities (jionlp's table) and the served cities' counties."""
    from .libraries import jionlp
    from .vocabulary import PEOPLES as _PEOPLES

    names = set(_province_stems()) | {p + "省" for p in _province_stems()}
    try:
        for cities in jionlp().china_location_loader().values():
            for city in cities:
                if not city.startswith("_"):
                    stem = strip_suffix(city, CITY_SUFFIXES + ("自治州", "地区", "盟"))
                    names |= {city, stem, strip_suffix(_PEOPLES.sub("", city), ("自治州",))}
    except Exception:  # the table is a convenience: provinces and the served cities still cut
        pass
    for city_id in city_ids():
        city = load_city(city_id)
        names |= {city.name, strip_suffix(city.name, CITY_SUFFIXES), *city.get("aliases", ())}
        for county in city.counties:
            stem = strip_suffix(county.name, COUNTY_SUFFIXES)
            names |= {county.name, *county.aliases}
            if len(stem) >= 2:
                names.add(stem)
    ordered = sorted((n for n in names if len(n) >= 2), key=len, reverse=True)
    # Any other name with a suffix (…县, …镇); it does not start on a function word ("口在贵州").
    general = (rf"(?:(?![在是住来到的了口户我俺他她从和跟去])[{HAN}]){{1,4}}?"
               rf"(?:{'|'.join(PROVINCE_SUFFIXES + CITY_SUFFIXES + COUNTY_SUFFIXES)}|镇|乡|街道)")
    return re.compile("(?:" + "|".join(map(re.escape, ordered)) + "|" + general + ")")


# What starts a new statement after a place said as the 户口 (with 的/人 between, or not):
# a move, where one lives, a job, the 户口 again ("户口河南来聊城", "我是辽宁人在聊城读大学").
_AFTER_PLACE = re.compile(r"(?P<tail>的|人|那边的?|那里的?)?(?=(?:来|到|搬|过来|刚|住|租|买|房|我|俺|现在|目前|打工|上班|工作|干活|上学|读书|念书|执照|营业执照|劳动合同|合同|没|有|孩子|儿子|女儿|闺女|老人|[也还都](?=没|不|有|在|住)"
                          r"|居住登记|暂住登记|登记|户口|户籍|老家|社保|开店|做生意|在[\u4e00-\u9fff]{2})(?!的$|人))")
_ORIGIN = re.compile(rf"户口|户籍|老家|籍贯|原籍|^(?:我|俺|额|他|她)?(?:家)?(?:的)?(?:{KIN})?(?:也|本|原来)?是")
# "户口不在聊城在河南": a denied place, then the one meant.
_DENIED_PLACE = re.compile(r"(?:不在|不是|不属于)$")
# The 户口 starts a statement of its own, unless a subject or a negator comes right before it.
_HUKOU_CUE = re.compile(r"户口(?![本簿])|户籍|老家|籍贯|原籍")
_KEEP_BEFORE_HUKOU = re.compile(r"(?:[我俺额咱的他她你是本也都]|孩子|没有?|不是)$")
# A job or its papers said after something else ("居住登记没办有营业执照一年").
_PAPERS = re.compile(r"(?:有|没有|没)(?:签过?|办过?)?(?:营业执照|劳动合同|执照|工作)")
_KEEP_BEFORE_PAPERS = re.compile(r"[也还都并就才我俺是他她又木有没冇,]$")
_NOW = re.compile(r"现在|目前")
# The question after the facts ("…居住登记也没办过这样能办居住证吗"): a statement of its own, so
# that a negation before it does not reach into it.
_QUESTION = re.compile(r"(?:这样|那样?|这种(?:情况)?)(?:的话)?(?:能|可以|要|需要|还能|是不是)|(?:能不能|可不可以|能|可以)(?:办|申请|领|申领)居住证"
                       r"|请问|想问一下|要多少钱|要多久|要带什么")
# The speaker starting a statement of their own ("…送外卖我户口河南的", "…做生意我是陕西人").
_SPEAKER = re.compile(r"(?:我|俺|额)(?:是|的?户口|在|住|租|买)")
_KEEP_BEFORE_SPEAKER = re.compile(r"[,也都就还又说让叫帮替给和跟同与对是]$")
# A statement that starts after a finished phrase (a duration, a house, a job…).
_REGISTRATION = re.compile(r"居住登记|暂住登记|(?<![居暂])登记")
_NEW_TOPIC = re.compile(r"居住登记|暂住登记|(?<![居暂])登记|租房|租的|租了|买了房|买的房|住了|住在"
                        r"|住(?:在)?(?:我|俺)?(?:的)?(?:表|堂)?(?:亲戚|朋友|姐|哥|弟|妹|老乡|同学)|借住"
                        r"|现在|目前|没有工作|没工作|个税|五险|社保|是(?:自己|买|自家|租|单位|公司|学校)"
                        r"|走不了|走不动|坐轮椅|拄拐|瘫痪|卧床|腿脚|行动不便|在(?=[\u4e00-\u9fff]{2})"
                        r"|来了(?=\d|[一二两三四五六七八九十半])|房子(?=是|租|买)"
                        r"|住(?=[\u4e00-\u9fff]{0,3}宿舍|自己|单位|厂|公司|工地|学校|公租房|校)"
                        r"|签了劳动合同|劳动合同|营业执照|孩子|老人")
_PHRASE_END = re.compile(r"(?:房|房子|月|年|天|年了|月了|个月了|县|区|市|镇|乡|街道|省|班|工|书|学|同|照|宿舍|的|过|记|家|作|住|弄|办"
                         r"|\d了|岁|好|便|年了|月了|人)$")
_SIGNED_PAPER = re.compile(r"签了劳动合同|劳动合同|营业执照")
_DATE = re.compile(r"\d{4}年|去年|前年|今年|上个?月|\d{1,2}月份?(?=\d|来|到|搬|过来|开始|就|初|底|中|份)")
_KEEP_BEFORE_DATE = re.compile(r"[从于在是自到至,]$|(?:\d|去|今|前|明)年$|^$")
_NEGATORS = re.compile(r"(?:没有?|不是|不|未|无|还没|也没|都没|一直没|从没|别)$")
_VERB_BEFORE = re.compile(r"(?:办|办了|办过|做|做了|签|签了|签过|有|交|交了|去|来|在|也|还|都|已经|刚|才|就|要|想|能|会)$")


def _cut_points(clause: str) -> list[int]:
    cuts: set[int] = set()
    for match in _HUKOU_CUE.finditer(clause):
        if not _KEEP_BEFORE_HUKOU.search(clause[:match.start()]):
            cuts.add(match.start())
    # Only a place said as the 户口 ends a statement: "户口河南来聊城" is two,
    # "来麒麟区上班半年了" one (the half year is how long one has lived there);
    # "从东昌府搬到开发区" one (the place moved from is no statement of its own).
    statement = 0
    for match in _place_words().finditer(clause):
        if any(statement < cut <= match.start() for cut in cuts):
            statement = max(cut for cut in cuts if cut <= match.start())
        before = clause[statement:match.start()]
        after = _AFTER_PLACE.match(clause, match.end())
        if after and _ORIGIN.search(before) and not _NEGATORS.search(before):
            cuts.add(after.end())
            statement = after.end()
        elif _DENIED_PLACE.search(before) and re.match(rf"[在是][{HAN}]{{2}}", clause[match.end():]):
            cuts.add(match.end())
    for match in _DATE.finditer(clause):
        before = clause[:match.start()]
        if before and not _KEEP_BEFORE_DATE.search(before) and not re.search(r"\d$", before):
            cuts.add(match.start())
    for match in _NOW.finditer(clause):  # "在河南现在在东昌府": where one is now is a statement of its own
        before = clause[:match.start()]
        if before and not _KEEP_BEFORE_PAPERS.search(before) and not _NEGATORS.search(before):
            cuts.add(match.start())
    for match in _SPEAKER.finditer(clause):
        before = clause[:match.start()]
        if before and not _KEEP_BEFORE_SPEAKER.search(before) and not _NEGATORS.search(before):
            cuts.add(match.start())
    for match in _PAPERS.finditer(clause):
        before = clause[:match.start()]
        if before and not _KEEP_BEFORE_PAPERS.search(before) and not _NEGATORS.search(before):
            cuts.add(match.start())
    for match in _QUESTION.finditer(clause):
        before = clause[:match.start()]
        if before and _PHRASE_END.search(before) and not _NEGATORS.search(before):
            cuts.add(match.start())
    for match in _NEW_TOPIC.finditer(clause):
        before = clause[:match.start()]
        # "办了居住登记" is one statement; "居住登记从来没办过租房" two.
        # "合同没签住了八个月": a signing said (or denied) ends a phrase, unless what follows is its paper.
        ended = _PHRASE_END.search(before) or (before.endswith("签") and not _SIGNED_PAPER.match(match.group()))
        if before and ended and not _NEGATORS.search(before) \
                and not (_REGISTRATION.fullmatch(match.group()) and _VERB_BEFORE.search(before)):
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


# "俺是河南滴", "住厂里滴": 滴 for the particle 的 (northern and southwestern speech), at a clause's end.
_DIALECT_DE = re.compile(r"(?<=[\u4e00-\u9fff])(?<!滴)滴(?=$|[\s,，。.!！?？~～、]|[啊呀哦哈嘛])")


@lru_cache(maxsize=8192)
def written(text: str) -> str:
    """The text as a careful typist writes it: simplified, half-width, lower case,
    romanised places in Chinese, fillers and spaces as commas, run-on clauses cut."""
    text = unicodedata.normalize("NFKC", simplified(text)).lower().strip()
    text = _DIALECT_DE.sub("的", text)
    text = latin_places(text)
    text = boundaries(text)
    return cut_runon(text)
