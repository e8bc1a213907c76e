"""The words of the engine's findings: one sentence per code.

The engine (engine.py) says *what* it found as a code with parameters and
articles; this catalogue says it in the contract's Chinese. Parameters are
raw values: ``{x:months}`` writes a number of months as 一年 / 半年 / 5个月,
``{x:date}`` a date as 2025年3月1日, ``{x:list}`` a list joined with 、.
The city's own wording (the article's text, its exemptions) arrives as a
parameter from the city's data file.
"""
from __future__ import annotations

import string
from typing import Any

from bot.platform.dates import date_text

from . import labels

SENTENCES: dict[str, str] = {
    # scope
    "scope.not_mainland": "您是{nationality:nationality}。{text}",
    "scope.not_mainland.advice": "请向居住地公安机关咨询适用于您的居住登记和证件办理规定。",
    "scope.out.advice": "您不需要办理居住证；如有其他证件业务，可向居住地派出所咨询。",
    "scope.from_elsewhere": "您的户口在{place}，不在{city}，属于从外地来{city}居住的人员，适用本办法。",
    "scope.exempt_counties": "您的户口在{home}，住在{here}。{text}",
    "scope.across_counties": "您的户口在{home}，现住{here}，属于本市跨县（市、区）居住人员，适用本办法。",
    "scope.across_counties.mover": "您的户口在{home}，现住{here}，属于在本市跨县（市、区）居住的流动人口，适用本办法。",
    "scope.same_county": "您的户口和住址都在{here}，不属于本办法所称的跨县（市、区）居住人员，不需要办理居住证。",
    "scope.same_township": "您的户口和住址都在{here}{town}，没有离开户籍所在地，不属于流动人口。",
    "scope.same_district_streets": "您的户口在{here}{home_town}，住在同一县（市、区）的{here_town}。{text}",
    "scope.township_kind_unclear": "无法判断“{unclear}”是街道还是乡镇；同一城区跨街道居住的不属于流动人口（{article}），"
                                   "如属这种情况请向派出所确认。",
    "scope.across_townships": "您在{here}内跨乡镇、街道居住（户口在{home_town}，现住{here_town}），属于流动人口，适用本办法。",
    # the regulation's own validity
    "policy.expired": "《{title}》有效期为{start:date}至{end:date}（{article}），到{as_of:date}已过有效期。"
                      "以下按该办法条文答复，现行规定请以居住地公安派出所的解释为准。",
    "policy.not_yet": "《{title}》自{start:date}起施行（{article}），{as_of:date}尚未施行。"
                      "以下按该办法条文答复，当时适用的规定请向公安派出所确认。",
    "policy.expired.topic": "《{title}》有效期至{end:date}（{article}），已过有效期，以下按该办法条文答复，"
                            "现行规定请以派出所解释为准。",
    "policy.not_yet.topic": "《{title}》当时尚未施行（{article}），以下按该办法条文答复。",
    # duration
    "duration.met": "您已在居住地居住{lived:months}，满足“{text}”的条件。",
    "duration.short": "您在居住地居住了{lived:months}，不满{required:months}（{text}），预计{eligible_from:date}起可以申领。",
    "duration.registered_longer": "居住登记时间比在现住处居住的时间还长，请核实；以下按较短的居住时间计算。",
    "duration.met_registered": "您已在居住地居住{lived:months}，办理{registration}{registered:months}，满足“{text}”的条件。",
    "duration.register_now": "请尽快到{where}办理{registration}（{articles:list}），登记本身免费。",
    "duration.keep_registering": "您的{registration}满{required:months}后即符合时间条件，请保留登记凭证。",
    "duration.supplementary": "您的{registration}不满{required:months}，但能提供{proof:months}的居住证明材料：{text}",
    "duration.supplementary.review": "补充登记须经{reviewer}审核（{article}），本办法未规定审核时限。",
    "duration.not_met": "申领条件是“{text}”。您在居住地居住{lived:months}，{registered_text}，还不满足，"
                        "预计{eligible_from:date}起可以申领。",
    "duration.never_registered": "没有办理{registration}",
    "duration.registered_for": "办理{registration}{registered:months}",
    "duration.supplementary.later": "到时可凭补充证明材料补充登记，经{reviewer}审核后申领（{article}）。",
    # job, home or school
    "basis.met": "您{said:said}，符合“{text}”的要求。{definitions}",
    "basis.not_met": "申领居住证须{text}；您目前没有符合条件的工作、住所或就读情况。{definitions}",
    "basis.not_met.advice": "签订劳动合同、办理营业执照、租房并签订租赁合同或取得学籍后，可以再来咨询。",
    # someone else applies
    "proxy.minor": "办证人未满{age}周岁，可以由{agents}代为申领。",
    "proxy.disabled": "办证人是残疾人，可以由{agents}代为申领。",
    "proxy.elderly": "办证人是行动不便的老年人，可以由{agents}代为申领。",
    "proxy.not_allowed": "{text}办证人不属于上述情形，应当本人申请。",
    "proxy.not_allowed.warning": "按{article}，这种情况不能由他人代办，需要本人到场申请。",
    "proxy.other_impairment": "{article}所列代办情形带“等”字，其他行动不便的情形能否代办，请向派出所确认。",
    # materials and where
    "materials.no_id_card_yet": "办法要求提交居民身份证（{article}）；未满16周岁还没有身份证的，可以用什么证件代替，请向派出所确认。",
    "materials.bring_proofs": "如有劳动合同、营业执照或学生证等就业、就读证明，也请一并带上（{article}）。",
    "where.in_county": "{county}的{where}",
    "where.after_review": "{where}（补充登记后由{reviewer}审核）",
    "lifecycle.advice": "{text:bare}（{article}）。",
}


def months_text(months: int) -> str:
    if months and months % 12 == 0:
        return f"{months // 12}年"
    if months == 6:
        return "半年"
    return f"{months}个月"


class _Words(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, dict) and "code" in value:  # a finding inside a finding
            return say(value["code"], value["params"])
        if format_spec == "bare":  # a sentence of the city's, its full stop left for ours
            return str(value).rstrip("。")
        if format_spec == "months":
            return months_text(int(value))
        if format_spec == "date":
            return date_text(value)
        if format_spec == "list":
            return "、".join(value)
        if format_spec == "said":  # [[kind, value], …] of the qualifying job, home or school
            return "、".join(labels.BASIS_LABELS[kind][code] for kind, code in value)
        if format_spec == "nationality":
            return labels.NATIONALITY[value]
        return super().format_field(value, format_spec)


_WORDS = _Words()


def say(code: str, params: dict[str, Any] | None = None) -> str:
    """The sentence for one finding; a code without a sentence here is the city's own text (``params['text']``)."""
    params = params or {}
    if code not in SENTENCES:
        return params["text"]
    if code == "duration.not_met":
        params = dict(params, registered_text=say(
            "duration.never_registered" if params["registered"] is None else "duration.registered_for", params))
    return _WORDS.format(SENTENCES[code], **params)


def in_words(coded: dict[str, Any]) -> dict[str, Any]:
    """The engine's decision (findings as codes) as CONTRACT §3's decision (findings as sentences)."""
    decision = dict(coded)
    decision["reasons"] = [{"text": say(r["code"], r["params"]), "articles": r["articles"]} for r in coded["reasons"]]
    for key in ("warnings", "advice", "open_questions"):
        decision[key] = [say(finding["code"], finding["params"]) for finding in coded[key]]
    if coded["where"] is not None:
        decision["where"] = say(coded["where"]["code"], coded["where"]["params"])
    return decision
