"""Chinese place names -> canonical province / city / county / township.

Order of trust: the counties and cities of the cities we serve (from their
data files, via ``bot.rules.policy``) first, because jionlp misreads some of
them (东昌府 -> 吉林省通化市东昌区); then jionlp's address parser for the rest
of China; then a table of the 34 provincial-level units.

jionlp guesses from fragments, so a level it returns is kept only when its
name (with or without suffix) is actually in the text; its parents may be
implied (周口 -> 河南省).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Optional

from bot.rules.policy import (
    CITY_SUFFIXES,
    COUNTY_SUFFIXES,
    PROVINCE_SUFFIXES,
    City,
    County,
    city_ids,
    find_city,
    load_city,
    strip_suffix,
)

from ._text import jionlp, normalise
from .vocabulary import PEOPLES as _PEOPLES, PROVINCES
from .negation import AFFIRMED, DENIED, find, negators, polarity

# Wider than the rules' suffix lists: jionlp returns every kind of unit.
_CITY_SUFFIXES = CITY_SUFFIXES + ("自治州", "盟")
_COUNTY_SUFFIXES = COUNTY_SUFFIXES + ("新区", "自治县", "自治旗", "旗", "林区", "特区")

_PUNCTUATION = re.compile(r"[,，.。;；!！?？、:：\"'“”‘’()（）\[\]【】<>《》~\-]")
_LEADING = re.compile(
    r"^(?:我的|我|俺|本人|他的|他|她的|她|孩子的|孩子|户口本上|户口|户籍|老家|籍贯|原籍|家"
    r"|现在|目前|是|在|住在|住|属于|落在|登记在)+")
_TRAILING = re.compile(r"(?:的|人|那边|那儿|那里|这边|这里|户口|吧|呢|啊|呀|了|那块)+$")
_TOWNSHIP = re.compile(r"^(?:的|那个|里的?)?([\u4e00-\u9fff]{2,10}?)(街道办事处|街道办|街道|镇|乡)")


@dataclass(frozen=True)
class Hit:
    name: str  # canonical
    start: int
    end: int


def clean(text: str) -> str:
    """The place words of an answer: no punctuation, no "我户口是…的"."""
    plain = _PUNCTUATION.sub("", normalise(text))
    return _TRAILING.sub("", _LEADING.sub("", plain))


# The peoples in the names of autonomous prefectures and counties: 大理白族自治州
# is said 大理, 红河哈尼族彝族自治州 红河.


def _keys(name: str, suffixes: tuple[str, ...]) -> tuple[str, ...]:
    stem = strip_suffix(name, suffixes)
    if not _PEOPLES.search(name):
        return name, stem
    return name, stem, strip_suffix(_PEOPLES.sub("", name), suffixes)


def _locate(name: str, suffixes: tuple[str, ...], text: str) -> Optional[Hit]:
    """Where ``name`` or its suffix-less form is in ``text``."""
    for key in _keys(name, suffixes):
        at = text.find(key)
        if len(key) >= 2 and at >= 0:
            return Hit(name, at, at + len(key))
    return None


def _earliest(hits) -> Optional[Hit]:
    hits = [hit for hit in hits if hit]
    return min(hits, key=lambda hit: (hit.start, -hit.end)) if hits else None


def find_province(text: str) -> Optional[Hit]:
    return _earliest(_locate(name, PROVINCE_SUFFIXES, text) for name in PROVINCES)


def _cities() -> list[City]:
    return [load_city(city_id) for city_id in city_ids()]


@lru_cache(maxsize=None)
def _county_keys() -> tuple[tuple[str, str, str, bool], ...]:
    """(key, city id, county name, distinctive) for every name a served county goes by.

    One-character stems (莘, 冠) are left out: inside a sentence they are
    just characters (``find_county`` still takes them as a whole answer).
    A key is distinctive when it is the county's own name (东昌府, 茌平县) or
    carries its city's name (聊城经开区); 开发区 or 高新区 could be anywhere.
    """
    keys = []
    for city in _cities():
        city_stem = strip_suffix(city.name, CITY_SUFFIXES)
        for county in city.counties:
            stem = strip_suffix(county.name, COUNTY_SUFFIXES)
            for key in {county.name, stem, *county.aliases}:
                if len(key) >= 2:
                    distinctive = strip_suffix(key, COUNTY_SUFFIXES) == stem or city_stem in key
                    keys.append((key, city.id, county.name, distinctive))
    return tuple(keys)


def find_known_county(text: str, city_id: Optional[str] = None, distinctive_only: bool = False,
                      not_denied: bool = False) -> Optional[tuple[City, County, Hit]]:
    """The first county of a served city named in ``text`` (only ``city_id``'s
    if given); with ``not_denied``, not one denied ("不住东昌府了")."""
    hits = []
    for key, owner, county_name, distinctive in _county_keys():
        for found in re.finditer(re.escape(key), text):
            at = found.start()
            if city_id in (None, owner) and (distinctive or not distinctive_only):
                if not_denied and polarity(text, at, at + len(key)) == DENIED:
                    continue
                hits.append((owner, Hit(county_name, at, at + len(key))))
    if hits:
        owner, hit = min(hits, key=lambda pair: (pair[1].start, -pair[1].end))
        city = load_city(owner)
        return city, city.county(hit.name), hit
    if not_denied and negators(text):
        return None
    cities = [load_city(city_id)] if city_id else _cities()
    for city in cities:  # a whole answer that is a one-character stem
        county = city.county(text)
        if county:
            return city, county, Hit(county.name, 0, len(text))
    return None


def find_known_city(text: str, not_denied: bool = False) -> Optional[tuple[City, Hit]]:
    hits = []
    for city in _cities():
        for key in {city.name, strip_suffix(city.name, CITY_SUFFIXES), *city.get("aliases", ())}:
            at = text.find(key)
            if len(key) >= 2 and at >= 0:
                if not_denied and polarity(text, at, at + len(key)) == DENIED:
                    continue
                hits.append((city, Hit(city.name, at, at + len(key))))
    return min(hits, key=lambda pair: (pair[1].start, -pair[1].end)) if hits else None


def township_at(text: str) -> Optional[str]:
    """A township (街道/镇/乡) at the start of ``text``; 街道办(事处) -> 街道."""
    match = _TOWNSHIP.match(text)
    if not match:
        return None
    suffix = "街道" if match.group(2).startswith("街道") else match.group(2)
    return match.group(1) + suffix


def _same_place(hit: Hit, city: City) -> bool:
    return city.is_this_city(hit.name) or city.is_this_province(hit.name)


# jionlp's answers during the reading of one message (:func:`one_reading`): its parse takes
# 4-10 ms, and two readers of a clause (is it the 户口's? which place?) ask about the same words.
_READING: ContextVar[Optional[dict[str, dict]]] = ContextVar("places_reading", default=None)


@contextmanager
def one_reading() -> Iterator[None]:
    """While one message is read, each place text goes to jionlp once; nothing is kept after."""
    token = _READING.set({})
    try:
        yield
    finally:
        _READING.reset(token)


def _jionlp_location(text: str) -> dict:
    memo = _READING.get()
    if memo is not None and text in memo:
        return memo[text]
    try:
        raw = dict(jionlp().parse_location(text))
    except Exception:  # jionlp raises assorted errors on odd input
        raw = {}
    if memo is not None:
        memo[text] = raw
    return raw


def _from_jionlp(text: str) -> tuple[dict, int]:
    """jionlp's reading, levels kept only when named in the text; and where they end."""
    raw = _jionlp_location(text)
    hits = {}
    for level, suffixes in (("province", PROVINCE_SUFFIXES), ("city", _CITY_SUFFIXES),
                            ("county", _COUNTY_SUFFIXES)):
        if raw.get(level):
            hit = _locate(raw[level], suffixes, text)
            if hit:
                hits[level] = hit
    place = {}
    deepest = "county" if "county" in hits else "city" if "city" in hits else None
    if deepest:  # parents implied by a named city or county
        for level in ("province", "city", "county"):
            if raw.get(level):
                place[level] = raw[level]
            if level == deepest:
                break
    elif "province" in hits:
        place["province"] = raw["province"]
    return place, max((hit.end for hit in hits.values()), default=0)


def without_denied_places(text: str) -> tuple[str, list[str]]:
    """``text`` with each denied stretch ("不是河南的", "不在聊城") blanked out, and
    those stretches. A stretch runs from the negator to the next 是, 在, 但 or
    punctuation: "不是河南的是河北的" keeps 河北, "不在聊城在河南" keeps 河南."""
    plain = normalise(text)
    denied, kept = [], list(plain)
    for match in negators(plain):
        stretch = _DENIED_STRETCH.match(plain, match.end())
        end = stretch.end() if stretch else match.end()
        denied.append(plain[match.end():end])
        kept[match.start():end] = "·" * (end - match.start())
    return "".join(kept), denied


_DENIED_STRETCH = re.compile(r"(?:是|在|属于|住在|住)?[^,;。；!?！？是但在·]*")


def _only_a_province(province: Optional[Hit], words: str) -> bool:
    """The words are a province's name and nothing else. Not a municipality or a special
    region (北京, 香港): jionlp gives those a city as well."""
    return bool(province) and province.start == 0 and province.end == len(words) \
        and province.name.endswith(("省", "自治区"))


def parse_place(text: str) -> dict:
    """"河南周口" -> {"province": "河南省", "city": "周口市"}; {} when no place is
    found. A denied place ("不是河南的") is not found."""
    kept, _ = without_denied_places(text)
    words = clean(kept.replace("·", ""))
    if not words:
        return {}
    place, end = {}, 0
    province = find_province(words)
    known = find_known_county(words)
    if known:
        city, county, hit = known
        jl_place, _ = _from_jionlp(words)
        before = [h for h in (province, *(_locate(jl_place[k], s, words) for k, s in
                                          (("city", _CITY_SUFFIXES), ("province", PROVINCE_SUFFIXES))
                                          if k in jl_place))
                  if h and h.start < hit.start]
        # "郑州经济开发区" is not 聊城's 经济开发区: another place is named first.
        if all(_same_place(h, city) for h in before):
            place = {"province": city.province, "city": city.name, "county": county.name}
            end = hit.end
    if not place and _only_a_province(province, words):
        # "河北", "河北省" alone: what jionlp says (tests/parsing/test_places.py), without its 10 ms.
        place, end = {"province": province.name}, province.end
    if not place:
        place, end = _from_jionlp(words)
        if not place and province:
            place, end = {"province": province.name}, province.end
    served = find_city(place.get("city"))
    if served:  # canonical names from the city's data file
        place.update(province=served.province, city=served.name)
    township = township_at(words[end:])
    if township:
        place["township"] = township
    return place


def normalise_city(text: str) -> Optional[str]:
    """"聊城", "聊城市", "liaocheng", "我在聊城" -> the city id; None if not a served city."""
    words = clean(text)
    city = find_city(words) or (find_known_city(words) or (None,))[0]
    return city.id if city else None


# --- 户口 said vaguely --------------------------------------------------------------
#
# The rules only need to know whether the 户口 is in the city (第二条 of both
# regulations). "外地的", "省外", "不是这边的" settle that without naming a
# place; they are given as these values, which the engine takes for a place
# that is not the city (bot/rules/engine.py ``_scope``: a ``hukou.city`` other
# than the city's name, or a ``hukou.province`` other than its province, is
# "from outside"). The same words are what the dialogue's buttons store
# (bot/dialogue/eligibility/texts.py HUKOU_OTHER_CITY_VALUE, HUKOU_OTHER_PROVINCE_VALUE).
OUTSIDE_CITY = "外地"
OUTSIDE_PROVINCE = "外省"
OTHER_CITY_IN_PROVINCE = "省内其他城市"

_VAGUE = (
    ("province_city", r"(?:本省|省内|省里|咱省|我们省)(?:的)?(?:其他|其它|别的|外地|外市|外州)"),
    ("outside_province", r"外省|省外|(?:其他|其它|别的)(?:的)?省|外地省份"),
    ("outside_city", r"外地|外市|市外|外来|外乡|(?:其他|其它|别的)(?:的)?(?:城市|地方|市|州)|外面来|外头来|从外面"),
    ("here", r"本地|当地|本市|这边|这里|这儿|这块|此地|咱这|我们这|你们这|本城|(?<=[在是])这(?=$|的|人)"),
)
VAGUE = re.compile("|".join(pattern for _, pattern in _VAGUE))


def read_hukou(text: str, city_id: Optional[str] = None, vague_only: bool = False) -> tuple[dict, Optional[str]]:
    """The 户口 place said in ``text``, and the vague words it rests on (None
    when a place is named).

    Named places win ("外地的，河南周口" -> 河南省周口市). Otherwise, for the
    city ``city_id`` (the one the person lives in):
    本省其他城市 -> {"province": <its province>, "city": "省内其他城市"};
    外省, 省外, "户口不在山东" -> {"province": "外省"};
    外地, 市外, "不是这边的", "不是本地人", "户口不是聊城的" -> {"city": "外地"};
    本地, 这边 -> the city itself (county still to ask).
    Without ``city_id`` "这边" means nothing, and denying a served city by
    name says only that it is not that one. ``vague_only``: the places named
    in ``text`` are not the 户口's ("我是外地来聊城打工的").
    """
    plain = normalise(text)
    city = load_city(city_id) if city_id in city_ids() else None
    kept, denied = without_denied_places(plain)
    denied_city = denied_province = False
    for stretch in denied:
        place = parse_place(stretch) if stretch else {}
        if city and place.get("city") and city.is_this_city(place["city"]):
            denied_city = True
        elif city and place.get("province") and not place.get("city") and city.is_this_province(place["province"]):
            denied_province = True
    signs: dict[str, set[int]] = {}
    words: dict[str, str] = {}
    for kind, pattern in _VAGUE:
        for match, sign in find(re.compile(pattern), plain):
            signs.setdefault(kind, set()).add(sign)
            words.setdefault(kind, match.group())
    place = {} if vague_only else parse_place(VAGUE.sub(lambda m: "·" * len(m.group()), kept))
    if place:
        return place, None

    def said(kind: str, sign: int = AFFIRMED) -> bool:
        return sign in signs.get(kind, ())

    if said("province_city"):
        return ({"province": city.province, "city": OTHER_CITY_IN_PROVINCE} if city
                else {"city": OTHER_CITY_IN_PROVINCE}), plain
    if said("outside_province") or denied_province:
        return {"province": OUTSIDE_PROVINCE}, plain
    if said("outside_city") or said("here", DENIED) or denied_city:
        return {"city": OUTSIDE_CITY}, plain
    if said("here") and city:
        return {"province": city.province, "city": city.name}, plain
    return {}, None


def says_vaguely_outside(text: str) -> bool:
    """Whether ``text`` says "from outside" without naming a place (外地, 省外,
    不是这边的): such a clause is about the 户口."""
    plain = normalise(text)
    for kind, pattern in _VAGUE:
        for _, sign in find(re.compile(pattern), plain):
            if (kind != "here" and sign == AFFIRMED) or (kind == "here" and sign == DENIED):
                return True
    return False
