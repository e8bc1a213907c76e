"""What one message says: facts, the answer to the question asked, and what
else the person wants (a side question, to start over, to stop, to hear the
last message again, to skip the question, small talk).

Free text goes through the shared parser (``bot.parsing``): ``extract_facts``
for everything the sentence says (unprompted facts, corrections), then
``read_answer`` for the fact that was asked when the sentence alone did not
give it. A button payload (``/inform{"housing":"rented"}``, ``/affirm``)
carries its value in entities; a value whose meaning depends on the question
(a county, a duration, yes/no) is read for the fact asked.

What the person wants is read from the words here, so the hotline terminal
and the staff page (which have no NLU) understand "重来一遍" as the chat
does; an NLU intent, when the caller has one (Rasa), is a second opinion.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from bot.rules.facts import EMPLOYMENTS, HOUSINGS, NATIONALITIES, STUDIES
from bot.rules.policy import city_ids, load_city

from .. import repair
from ..message import Message
from . import texts
from .facts import DURATIONS, city_id_of

logger = logging.getLogger(__name__)

# Place buttons carry short codes (Telegram's callback_data is 64 bytes):
# {"city":"other"} under the 户口 question is "another city of this
# province", {"province":"other"} "another province".
OTHER = "other"
YES_NO = ("disabled", "mobility_impaired", "by_proxy")
CODED = {"housing": HOUSINGS, "employment": EMPLOYMENTS, "study": STUDIES, "nationality": NATIONALITIES}
PROXY_FOR = {"self": False, "child": True, "elderly": True, "disabled": True, "other": True}


# --- what the person wants --------------------------------------------------------

_plain = repair.plain


def command(message: Message) -> Optional[str]:
    """'restart', 'stop', 'repeat' or 'skip' when the message asks for it, else None."""
    plain = _plain(message.text)
    if message.button:
        return {"start_over": "restart", "restart": "restart", "stop": "stop", "repeat": "repeat",
                "skip": "skip"}.get(message.intent or "")
    if repair.wants_restart(plain):
        return "restart"
    if plain and repair.STOP_INTERVIEW.match(plain):
        return "stop"
    if repair.wants_repeat(plain):
        return "repeat"
    if plain and repair.wants_to_skip(plain):
        return "skip"
    by_intent = {"start_over": "restart", "stop": "stop", "repeat": "repeat", "skip": "skip"}
    if message.nlu(*by_intent) and message.confidence >= 0.8:
        return by_intent[message.intent]  # type: ignore[index]
    return None


# Questions about the regulation (and the stations' hours) asked in passing.
TOPIC_OF_INTENT = {
    "ask_fee": "fee",
    "ask_processing_time": "processing",
    "ask_where": "where",
    "ask_proxy": "proxy",
    "ask_endorsement": "endorsement",
    "ask_replacement": "replacement",
    "ask_address_change": "address_change",
    "ask_benefits": "benefits",
    "ask_hukou": "hukou",
    "ask_registration": "registration",
    "ask_materials": "materials",
}
_QUESTION = re.compile(r"[吗嘛呢？?]|多少|几点|几天|多久|多长|哪里|哪儿|哪个|在哪|去哪|怎么|怎样|如何|什么|啥|要不要|用不用|需不需要|"
                       r"能不能|可不可以|可以吗|是否|是不是|有没有")
_TOPIC_WORDS = (
    ("hours", re.compile(r"几点|上班时间|下班|开门|关门|办公时间|工作时间|周末|星期六|星期天|礼拜|节假日")),
    ("fee", re.compile(r"钱|费用|收费|免费|花费|交费|缴费|工本费")),
    ("materials", re.compile(r"材料|带什么|准备什么|要带|带啥|资料|复印件|证件照|照片")),
    ("proxy", re.compile(r"代办|代领|代理|本人去|本人到场|本人来|亲自去|亲自到|本人吗|本人办|本人到|自己去吗|替我|找人办|"
                         r"别人帮|家人帮|家里人帮|亲戚帮|委托")),
    ("processing", re.compile(r"多久能|多长时间|几天|多少天|几个工作日|当场|什么时候能拿|什么时候拿|多久拿|多久办好|多久下来|"
                              r"要多久|需要多久|时限|办好要")),
    ("where", re.compile(r"在哪办|在哪儿办|在哪里办|去哪办|去哪里办|哪里办|哪办|什么地方办|地点|地址|哪个派出所|在哪里申请|去哪儿")),
    ("endorsement", re.compile(r"签注")),
    ("replacement", re.compile(r"补办|补领|丢了|丢失|换领|损坏|坏了")),
    ("address_change", re.compile(r"搬家|住址变|变更地址|换地址|地址变")),
    ("benefits", re.compile(r"有什么用|啥用|好处|权益|待遇|享受|福利")),
    ("hukou", re.compile(r"落户|迁户口|户口迁|户口能迁|入户")),
)


_AFTER_REGISTRATION = re.compile(r"(?:登记|来了|住了|住满|搬来).{0,6}(?:多久|多长时间|几个月|多少天|多少个月).{0,4}(?:能|才|可以|就能)"
                                 r"|(?:多久|多长时间|几个月).{0,4}(?:才能|就能|能|可以)(?:办|申请|申领)")


def topic(message: Message) -> Optional[str]:
    """The topic of a question asked in passing ("要花多少钱" -> fee), or None."""
    plain = _plain(message.text) if not message.button else ""
    # No intent means "opening hours" (the classifier files 几点下班 under ask_where): the words decide first.
    if plain and _QUESTION.search(message.text or "") and _TOPIC_WORDS[0][1].search(plain):
        return "hours"
    if plain and _QUESTION.search(message.text or "") and _AFTER_REGISTRATION.search(plain):
        return "eligibility"  # "登记以后多久能办": the time the regulation asks for, not the processing time
    if message.nlu(*TOPIC_OF_INTENT) and (message.button or _QUESTION.search(message.text or "")):
        return TOPIC_OF_INTENT[message.intent]  # type: ignore[index]
    if message.button:
        return TOPIC_OF_INTENT.get(message.intent or "")
    if not plain or not _QUESTION.search(message.text):
        return None
    for name, words in _TOPIC_WORDS:
        if words.search(plain):
            return name
    if re.search(r"(?:居住|暂住)登记", plain) and re.search(r"怎么|在哪|哪里|是什么|啥|要不要|需要", plain):
        return "registration"
    return None


_CAN_I = re.compile(r"能(?:不能)?办|可以办|可不可以办|能不能申请|够不够条件|符合条件|办得了|能办下来|核对个人清单|个人清单|"
                    r"帮我(?:看看|判断|查查)")


def asks_eligibility(message: Message) -> bool:
    """"能办吗？" while being asked something: the interview is the answer."""
    if message.button:
        return message.intent == "ask_eligibility"
    return message.nlu("ask_eligibility") or bool(_CAN_I.search(_plain(message.text)))


SMALL_TALK_INTENTS = {"greet": "greet", "thank": "thank", "bot_challenge": "bot", "out_of_scope": "chitchat",
                      "chitchat": "chitchat"}
_SMALL_TALK = (
    ("bot", re.compile(r"机器人|真人|人工智能|\bAI\b|你是人|是不是人", re.I)),
    ("thank", re.compile(r"^(?:好的)?(?:谢谢|多谢|感谢|谢啦|辛苦了|3q)", re.I)),
    ("greet", re.compile(r"^(?:你好|您好|嗨|哈喽|在吗|在不在|hello|hi)(?:啊|呀|呢)?$", re.I)),
    ("chitchat", re.compile(r"吃饭|吃了吗|天气|下雨|无聊|笑话|唱歌|你几岁|你多大|你叫什么|你是谁|喜欢|好玩|心情|睡觉|早上好|晚上好")),
)


def small_talk(message: Message) -> Optional[str]:
    """'greet', 'thank', 'bot' or 'chitchat' for small talk, else None."""
    plain = _plain(message.text)
    for kind, words in _SMALL_TALK:
        if plain and words.search(plain):
            return kind
    # Greetings and thanks are formulaic: the words above find them. The NLU's
    # opinion counts for the rest (a "哈哈" it takes for a greeting is no answer).
    if message.nlu("bot_challenge", "out_of_scope", "chitchat"):
        return SMALL_TALK_INTENTS[message.intent]  # type: ignore[index]
    return None


# Leaving the interview for something the driver does not do itself.
LEAVE_INTENTS = ("request_human", "goodbye", "book_appointment", "check_appointment", "cancel_appointment")
_GOODBYE = re.compile(r"^(?:好的|那)?(?:再见|拜拜|88|byebye|bye)(?:了|啦|吧)?$", re.I)
# "…，帮我预约": a request to book, whatever facts come with it (not "能预约吗", a question).
_BOOK = re.compile(r"(?:帮|给)(?:我|我们|忙)?(?:预约|约一?个?(?:时间|号)|约一?下)|(?<![不没别])(?:要|想)预约(?!吗|不|么)|预约一下|"
                   r"先预约|约个(?:时间|号)")


def leave(message: Message, answered: bool = False) -> Optional[str]:
    """The intent of a request the interview hands over (转人工, 再见, 预约…), or None.

    Said in words, it is taken even with an answer ("户口在河北，帮我转人工");
    from the NLU alone, only when the message answered nothing (an answer
    the NLU took for "我要预约" stays an answer)."""
    plain = _plain(message.text)
    if plain and repair.HUMAN.search(plain):
        return "request_human"
    if plain and _GOODBYE.match(plain):
        return "goodbye"
    if plain and _BOOK.search(plain):
        return "book_appointment"
    if not answered and message.nlu(*LEAVE_INTENTS) and (message.button or message.confidence >= 0.7):
        return message.intent
    return None


# --- facts ----------------------------------------------------------------------------

@dataclass
class Reading:
    """What a message says about the facts."""

    found: dict[str, Any] = field(default_factory=dict)  # CONTRACT facts, partial
    answered: bool = False  # the asked fact is among them
    hint: Optional[str] = None  # the parser's Chinese explanation when the answer was not understood
    approximate: dict[str, str] = field(default_factory=dict)  # fact -> the vague words it came from
    city_switch: bool = False  # the message moves the interview to another city
    unbound: list[dict[str, Any]] = field(default_factory=list)  # durations said for no fact ("是八个月")


def _entity(message: Message, name: str) -> Any:
    return message.entities.get(name)


def _int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def read_button(message: Message, asked: Optional[str], city: Optional[str]) -> Reading:
    """Facts from a button payload such as /inform{"county":"东昌府区"} or /deny."""
    found: dict[str, Any] = {}
    intent = message.intent
    if intent in ("affirm", "deny"):
        yes = intent == "affirm"
        if asked in YES_NO:
            found[asked] = yes
        elif asked == "study":
            found["study"] = "full_time" if yes else "none"
        elif asked == "registered_months" and not yes:
            found["registered_months"] = None
        elif asked == "supplementary_proof_months" and not yes:
            found["supplementary_proof_months"] = 0
    for name, codes in CODED.items():
        if _entity(message, name) in codes:
            found[name] = _entity(message, name)
    if _entity(message, "proxy_for") in PROXY_FOR:
        found["by_proxy"] = PROXY_FOR[_entity(message, "proxy_for")]
    if _entity(message, "by_proxy") in (True, False):
        found["by_proxy"] = _entity(message, "by_proxy")
    value = _entity(message, "city")
    if value is not None:
        if asked and asked.startswith("hukou."):
            here = city_id_of(value)
            if value == OTHER and city:
                found["hukou"] = {"province": load_city(city).province, "city": texts.HUKOU_OTHER_CITY_VALUE}
            else:
                found["hukou"] = {"city": load_city(here).name if here else str(value)}
        elif city_id_of(value):
            found["city"] = city_id_of(value)
    value = _entity(message, "province")
    if value is not None:
        found.setdefault("hukou", {})["province"] = texts.HUKOU_OTHER_PROVINCE_VALUE if value == OTHER else value
    for place in ("county", "township"):
        value = _entity(message, place)
        if value:
            group = "hukou" if asked == f"hukou.{place}" else "residence"
            found.setdefault(group, {})[place] = value
            if group == "residence" and place == "county" and not city:
                here = city_id_of(value)
                if here:
                    found["city"] = here
    months = _int(_entity(message, "duration"))
    if months is not None and asked in DURATIONS:
        found[asked] = months
    age = _int(_entity(message, "age"))
    if age is not None:
        found["age"] = age
    return Reading(found=found, answered=_answers(found, asked))


def _answers(found: dict[str, Any], asked: Optional[str]) -> bool:
    if asked is None:
        return False
    if "." in asked:
        group, key = asked.split(".", 1)
        place = found.get(group) or {}
        # Any 户口 place answers "which city": a province elsewhere settles it.
        return bool(place.get(key) or (asked == "hukou.city" and place))
    if asked == "registered_months":
        return asked in found
    return found.get(asked) is not None


# A duration said without saying what it measures ("八个月") answers the
# question asked, or, in a correction ("不对，是九个月"), the previous one.
_CORRECTION = re.compile(r"^(?:不对|不是|错了|说错|搞错|弄错|更正|纠正|改一下|改成|应该是|其实是|我是说)")
_CUES = {"lived_months": re.compile(r"住|来|到|待|呆|搬"), "registered_months": re.compile(r"登记|暂住证"),
         "supplementary_proof_months": re.compile(r"证明|执照|个税|社保|五险|学籍|合同")}
_LIVES_HERE = re.compile(r"住|现在|目前|租|上班|工作|打工|上学|读书|来了|搬|我在|人在")
# Words that ask about another city rather than answering where the 户口 is.
_SWITCH = re.compile(r"^(?:那|那么|如果|要是)|呢$|的话|换成|改成|改为|换到|我说的是|我问的是|我要在|想在|打算在|我在|我住|住在|"
                     r"现在在|人在|不是.{1,8}是|搬到|搬去|问问|问一下|说错|搞错|弄错|不对")


_BARE_YES_NO = re.compile(r"^(?:嗯+|恩+|是的?|对的?|好的?|行|可以|没错|不是|不对|没有|不|否|ok)(?:啊|呀|吧|呢|了)*$", re.I)


def _durations(found: dict[str, Any]) -> list[str]:
    return [name for name in DURATIONS if name in found]


def read_text(text: str, asked: Optional[str], previous: Optional[str], city: Optional[str],
              as_of: dt.date) -> Reading:
    """Facts from free text: every fact the sentence gives, then the asked one.

    ``previous`` is the fact asked before ``asked``: a correction of a bare
    duration goes there.
    """
    from bot.parsing import NotUnderstood, extract_facts, read_answer
    from bot.parsing.durations import vague_months

    found = _safe(extract_facts, text, city, as_of)
    found_dict: dict[str, Any] = dict(found or {})
    approximate: dict[str, str] = dict(getattr(found, "approximate", {}) or {})
    named = city_id_of(found_dict.get("city")) if found_dict.get("city") else None
    switch = bool(named and city and named != city)
    if switch:
        # Read again with the city named: its counties, not the old city's.
        again = _safe(extract_facts, text, named, as_of)
        if again is not None:
            found_dict = dict(again)
            approximate = dict(getattr(again, "approximate", {}) or {})
        if asked and asked.startswith("hukou.") and not _SWITCH.search(_plain(text)):
            # "曲靖" to "where is your 户口": the 户口, not a change of city.
            answer = _safe(read_answer, asked, text, city, as_of)
            if answer is not None and isinstance(answer.value, dict):
                found_dict.pop("city", None)
                found_dict.pop("residence", None)
                found_dict["hukou"] = answer.value
                return Reading(found=found_dict, answered=True, approximate=approximate)
    if asked and asked.startswith("hukou.") and not switch and "hukou" not in found_dict \
            and (found_dict.get("residence") or found_dict.get("city")) and set(found_dict) <= {"city", "residence"} \
            and not _LIVES_HERE.search(_plain(text)):
        # "东阿县" to "where is your 户口": the 户口, not where one lives.
        answer = _safe(read_answer, asked, text, city, as_of)
        if answer is not None and isinstance(answer.value, dict):
            found_dict.pop("residence", None)
            if city_id_of(found_dict.get("city")) == city:
                found_dict.pop("city", None)
            found_dict["hukou"] = answer.value
            return Reading(found=found_dict, answered=True, approximate=approximate)
    reading = Reading(found=found_dict, approximate=approximate, city_switch=switch,
                      unbound=list(getattr(found, "unbound", ()) or ()))
    durations = _durations(found_dict)
    bare = [name for name in durations if not _CUES[name].search(text)]
    if _CORRECTION.search(text.strip()) and previous in DURATIONS and len(durations) == 1 and bare:
        if bare[0] != previous:
            found_dict[previous] = found_dict.pop(bare[0])
            if bare[0] in approximate:
                approximate[previous] = approximate.pop(bare[0])
        reading.answered = _answers(found_dict, asked)
        return reading
    if asked == "city" and not found_dict.get("city"):
        from bot.parsing import normalise_city

        here = _safe(normalise_city, text)
        if here:
            found_dict["city"] = here
    if asked is None or switch:
        reading.answered = _answers(found_dict, asked)
        return reading
    if _answers(found_dict, asked):
        reading.answered = True
        return reading
    if asked == "city":
        reading.hint = texts.CITY_NOT_SERVED.format(cities="、".join(load_city(c).name for c in city_ids()))
        return reading
    if asked in DURATIONS and len(durations) == 1 and bare:
        # extract_facts filed a bare duration under its default; it answers the question.
        found_dict[asked] = found_dict.pop(bare[0])
        if bare[0] in approximate:
            approximate[asked] = approximate.pop(bare[0])
        reading.answered = True
        return reading
    if asked in DURATIONS and durations:
        return reading  # durations said for other facts; the question is asked again
    if asked.startswith("hukou.") and (found_dict.get("residence") or found_dict.get("city")):
        return reading  # the places said are where one lives ("在麒麟区上初中"): the 户口 is asked again
    fact_city = city_id_of(found_dict.get("city")) or city
    if asked == "by_proxy" and _BARE_YES_NO.match(_plain(text)):
        return reading  # "嗯" to "yourself, or someone else?" answers neither
    try:
        answer = read_answer(asked, text, fact_city, as_of)
    except NotUnderstood as error:
        vague = vague_months(text) if asked in ("lived_months", "registered_months") else None
        if vague is not None:
            found_dict[asked] = vague
            approximate[asked] = text.strip()
            reading.answered = True
            return reading
        origin = _origin_alone(text) if not asked.startswith(("hukou.", "residence.")) else None
        if origin:  # "四川" under "本人还是代办": said for the 户口, as "四川的" is
            found_dict["hukou"] = origin
            return reading
        reading.hint = str(error) or texts.NOT_UNDERSTOOD
        return reading
    except Exception:  # the parser must never silence the assistant
        logger.exception("read_answer(%r) failed", asked)
        reading.hint = texts.NOT_UNDERSTOOD
        return reading
    _set_answer(found_dict, asked, answer.value)
    if answer.approximate:
        approximate[asked.split(".", 1)[0]] = answer.approximate
    reading.answered = True
    return reading


def _origin_alone(text: str) -> Optional[dict[str, Any]]:
    """A message that is only a place outside the served cities ("四川", "河南周口"): where the
    person is from (one lives in a served city to ask here); None for anything else."""
    from bot.parsing.places import clean, find_known_city, find_known_county, parse_place

    words = clean(text)
    if not words or len(words) > 8 or find_known_city(words) or find_known_county(words):
        return None
    place = _safe(parse_place, words) or {}
    named = "".join(str(place.get(level) or "") for level in ("province", "city", "county"))
    if not place.get("province") or not named:
        return None
    # Nothing but the place: every character of the words is in its names (河南周口 ⊂ 河南省周口市).
    return {k: v for k, v in place.items() if k in ("province", "city")} if set(words) <= set(named) else None


def _set_answer(found: dict[str, Any], fact: str, value: Any) -> None:
    if "." in fact:
        group, key = fact.split(".", 1)
        if isinstance(value, dict):
            found[group] = {**(found.get(group) or {}), **{k: v for k, v in value.items() if v}}
        else:
            found.setdefault(group, {})[key] = value
    else:
        found[fact] = value


def _safe(function, *args):
    try:
        return function(*args)
    except Exception as error:  # NotUnderstood or a parser bug: treat as nothing found
        if type(error).__name__ != "NotUnderstood":
            logger.exception("%s failed", getattr(function, "__name__", function))
        return None


def read(message: Message, asked: Optional[str], previous: Optional[str], city: Optional[str],
         as_of: dt.date) -> Reading:
    """Everything the message says about the facts, whatever else it wants."""
    if message.button:
        return read_button(message, asked, city)
    text = (message.text or "").strip()
    if not text:
        return Reading(hint=texts.NOT_UNDERSTOOD)
    return read_text(text, asked, previous, city, as_of)


# "我在聊城租房住了八个月…": the person speaks of themselves. (A reader for
# bot.parsing's by_proxy; kept here until the parser says "self" on its own.)
_FIRST_PERSON = re.compile(r"我|俺|本人|咱")
_SOMEONE_ELSE = re.compile(r"孩子|儿子|女儿|闺女|娃|小孩|宝宝|老人|父亲|母亲|爸|妈|爷爷|奶奶|姥姥|姥爷|外公|外婆|老公|媳妇|"
                           r"老婆|老伴|丈夫|妻子|爱人|家人|家里人|亲戚|朋友|他|她|别人|代办|帮人")


def speaks_for_self(text: str) -> bool:
    """The sentence tells the speaker's own case (and nobody else's)."""
    from bot.parsing._text import normalise

    text = normalise(text)  # 親戚, 閨女: the same words in traditional characters
    return bool(text) and bool(_FIRST_PERSON.search(text)) and not _SOMEONE_ELSE.search(text)
