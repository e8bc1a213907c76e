"""One engine for every city: facts + the city's data -> a decision.

The decision is the JSON object of CONTRACT.md section 3. The engine holds
no city name and no article number: both come from the city's data file.
Verdict precedence (first match wins): not_covered, not_required,
undetermined, not_eligible, not_yet_eligible, eligible_after_review, eligible.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

import cn2an
from dateutil.relativedelta import relativedelta

from . import labels
from .facts import Facts

STREET_SUFFIX = "街道"
TOWNSHIP_SUFFIXES = ("民族乡", "街道办事处", "街道", "镇", "乡")


def article_number(article: str) -> int:
    """第十八条 -> 18, to order citations as the regulation does."""
    try:
        return int(cn2an.cn2an(article.strip("第条"), "smart"))
    except (ValueError, KeyError):
        return 10_000


def add_months(day: dt.date, months: int) -> dt.date:
    # Same day of the due month, or its last day when there is none
    # (民法典 第二百零三条 counts periods the same way).
    return day + relativedelta(months=months)


def township_key(name: str) -> str:
    name = name.strip()
    for suffix in TOWNSHIP_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def township_kind(name: str) -> Optional[str]:
    name = name.strip()
    if name.endswith(STREET_SUFFIX) or name.endswith("街道办事处"):
        return "street"
    if name.endswith(("镇", "乡")):
        return "town"
    return None


@dataclass
class _Assessment:
    """What one assessment collects on its way to a decision."""

    facts: Facts
    reasons: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # Warnings the regulation's text cannot settle: a person must judge (a hand-off to staff).
    open_questions: list[str] = field(default_factory=list)
    proxy_allowed: Optional[bool] = None

    def cite(self, *articles: str) -> list[str]:
        for article in articles:
            if article not in self.articles:
                self.articles.append(article)
        return list(articles)

    def reason(self, text: str, *articles: str) -> None:
        self.reasons.append({"text": text, "articles": self.cite(*articles)})

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def doubt(self, text: str) -> None:
        """A warning the text of the regulation leaves open: also an open question for staff."""
        self.warn(text)
        if text not in self.open_questions:
            self.open_questions.append(text)

    def need(self, *names: str) -> None:
        for name in names:
            if name not in self.missing and not self.facts.known(name):
                self.missing.append(name)


def assess(facts: Facts) -> dict[str, Any]:
    city = facts.city
    run = _Assessment(facts)
    policy = _policy(run)

    if facts.nationality != "cn":
        non_mainland = city["scope"]["non_mainland"]
        text = (non_mainland.get("text_for") or {}).get(facts.nationality, non_mainland["text"])
        run.reason(f"您是{labels.NATIONALITY[facts.nationality]}。{text}", non_mainland["article"])
        if facts.nationality in non_mainland.get("doubt_for", ()):
            run.doubt(non_mainland["doubt"])
        run.advice.append((non_mainland.get("advice") or {}).get(facts.nationality)
                          or "请向居住地公安机关咨询适用于您的居住登记和证件办理规定。")
        return _decision(run, "not_covered", policy, with_materials=False)

    scope = _scope(run)
    if scope == "out":
        run.advice.append("您不需要办理居住证；如有其他证件业务，可向居住地派出所咨询。")
        return _decision(run, "not_required", policy, with_materials=False)

    duration = _duration(run)
    basis = _basis(run)
    proxy_allowed = run.proxy_allowed = _proxy(run)

    if run.missing or scope is None or basis == "open":
        return _decision(run, "undetermined", policy, proxy_allowed=proxy_allowed)
    if basis == "no":
        return _decision(run, "not_eligible", policy, with_materials=False, proxy_allowed=proxy_allowed)
    if isinstance(duration, dt.date):
        return _decision(run, "not_yet_eligible", policy, eligible_from=duration, proxy_allowed=proxy_allowed)
    if duration == "review":
        return _decision(run, "eligible_after_review", policy, proxy_allowed=proxy_allowed)
    return _decision(run, "eligible", policy, proxy_allowed=proxy_allowed)


def _policy(run: _Assessment) -> dict[str, Any]:
    city, as_of = run.facts.city, run.facts.as_of
    data = city["policy"]
    in_force = city.in_force_from <= as_of <= city.in_force_to
    if as_of > city.in_force_to:
        run.warn(
            f"《{data['title']}》有效期为{_cn_date(city.in_force_from)}至{_cn_date(city.in_force_to)}"
            f"（{data['article']}），到{_cn_date(as_of)}已过有效期。以下按该办法条文答复，"
            "现行规定请以居住地公安派出所的解释为准。"
        )
        run.cite(data["article"])
    elif as_of < city.in_force_from:
        run.warn(
            f"《{data['title']}》自{_cn_date(city.in_force_from)}起施行（{data['article']}），"
            f"{_cn_date(as_of)}尚未施行。以下按该办法条文答复，当时适用的规定请向公安派出所确认。"
        )
        run.cite(data["article"])
    return {
        "title": data["title"],
        "in_force_from": city.in_force_from.isoformat(),
        "in_force_to": city.in_force_to.isoformat(),
        "in_force": in_force,
    }


def _scope(run: _Assessment) -> Optional[str]:
    """'in', 'out', or None when a fact is missing (then run.missing says which)."""
    facts, city = run.facts, run.facts.city
    scope = city["scope"]
    hukou = facts.hukou
    if hukou.get("city"):
        in_city = hukou["city"] == city.name
    elif hukou.get("province"):
        in_city = False if not city.is_this_province(hukou["province"]) else None
    elif hukou.get("county"):
        # A county this city does not have is somewhere else.
        in_city = False
    else:
        in_city = None
    if in_city is None:
        run.need("hukou.city")
        return None
    if not in_city:
        place = hukou.get("city") or hukou.get("province") or hukou.get("county")
        run.reason(f"您的户口在{place}，不在{city.name}，属于从外地来{city.name}居住的人员，适用本办法。",
                   scope["article"])
        return "in"

    run.need("hukou.county", "residence.county")
    if run.missing:
        return None
    home, here = city.county(hukou["county"]), city.county(facts.residence["county"])
    if home.name != here.name and scope["local_mover_unit"] == "county":
        for group in scope.get("exempt_county_groups", ()):
            if home.name in group["counties"] and here.name in group["counties"]:
                run.reason(f"您的户口在{home.name}，住在{here.name}。{group['text']}", group["article"])
                return "out"
        run.reason(f"您的户口在{home.name}，现住{here.name}，属于本市跨县（市、区）居住人员，适用本办法。",
                   scope["article"])
        return "in"
    if home.name != here.name:
        run.reason(f"您的户口在{home.name}，现住{here.name}，属于在本市跨县（市、区）居住的流动人口，适用本办法。",
                   scope["article"])
        return "in"
    if scope["local_mover_unit"] == "county":
        run.reason(f"您的户口和住址都在{here.name}，不属于本办法所称的跨县（市、区）居住人员，不需要办理居住证。",
                   scope["article"])
        return "out"

    run.need("hukou.township", "residence.township")
    if run.missing:
        return None
    home_town, here_town = hukou["township"], facts.residence["township"]
    if township_key(home_town) == township_key(here_town):
        run.reason(f"您的户口和住址都在{here.name}{here_town}，没有离开户籍所在地，不属于流动人口。",
                   scope["article"])
        return "out"
    kinds = township_kind(home_town), township_kind(here_town)
    exemption = scope.get("same_district_street_exemption")
    if exemption and kinds == ("street", "street"):
        run.reason(f"您的户口在{here.name}{home_town}，住在同一县（市、区）的{here_town}。{exemption['text']}",
                   exemption["article"])
        if here.kind not in exemption.get("certain_for_kinds", ()):
            run.warn(exemption["doubt"].format(county=here.name))
        return "out"
    if exemption and None in kinds:
        unclear = home_town if kinds[0] is None else here_town
        run.doubt(f"无法判断“{unclear}”是街道还是乡镇；同一城区跨街道居住的不属于流动人口（{exemption['article']}），"
                 "如属这种情况请向派出所确认。")
    run.reason(f"您在{here.name}内跨乡镇、街道居住（户口在{home_town}，现住{here_town}），属于流动人口，适用本办法。",
               scope["article"])
    return "in"


def _duration(run: _Assessment):
    """'met', 'review', the date it will be met, or None when facts are missing."""
    facts, city = run.facts, run.facts.city
    rule = city["duration"]
    required = rule["months"]
    run.need("lived_months")
    if rule["counts_registration"]:
        run.need("registered_months")
    if facts.lived_months is None or (rule["counts_registration"] and not facts.known("registered_months")):
        return None
    lived = facts.lived_months
    route = city["duration"].get("supplementary_route")

    if not rule["counts_registration"]:
        if facts.never_registered and rule.get("unregistered_doubt"):
            run.warn(rule["unregistered_doubt"])
        if lived >= required:
            run.reason(f"您已在居住地居住{_months_cn(lived)}，满足“{rule['text']}”的条件。", rule["article"])
            return "met"
        eligible_from = add_months(facts.as_of, required - lived)
        run.reason(f"您在居住地居住了{_months_cn(lived)}，不满{_months_cn(required)}（{rule['text']}），"
                   f"预计{_cn_date(eligible_from)}起可以申领。", rule["article"])
        return eligible_from

    registered = 0 if facts.never_registered else facts.registered_months
    if registered > lived:
        run.warn("居住登记时间比在现住处居住的时间还长，请核实；以下按较短的居住时间计算。")
        registered = lived
    registration = city["registration"]
    if lived >= required and registered >= required:
        run.reason(f"您已在居住地居住{_months_cn(lived)}，办理{registration['name']}{_months_cn(registered)}，"
                   f"满足“{rule['text']}”的条件。", rule["article"])
        return "met"
    if facts.never_registered:
        run.advice.append(f"请尽快到{registration['where']}办理{registration['name']}（"
                          f"{'、'.join(registration['articles'])}），登记本身免费。")
    else:
        run.advice.append(f"您的{registration['name']}满{_months_cn(required)}后即符合时间条件，请保留登记凭证。")

    remaining = max(required - lived, required - registered)
    review_remaining = None
    if route:
        if lived >= required:
            run.need("supplementary_proof_months")
            if facts.supplementary_proof_months is None:
                return None
        if facts.supplementary_proof_months is not None:
            review_remaining = max(0, route["months"] - lived, route["months"] - facts.supplementary_proof_months)
            if review_remaining == 0:
                run.reason(f"您的{registration['name']}不满{_months_cn(required)}，但能提供"
                           f"{_months_cn(facts.supplementary_proof_months)}的居住证明材料：{route['text']}",
                           route["article"])
                run.warn(f"补充登记须经{route['reviewer']}审核（{route['article']}），本办法未规定审核时限。")
                return "review"
    registered_text = "没有办理" + registration["name"] if facts.never_registered \
        else f"办理{registration['name']}{_months_cn(registered)}"
    soonest = min(remaining, review_remaining) if review_remaining is not None else remaining
    eligible_from = add_months(facts.as_of, soonest)
    run.reason(f"申领条件是“{rule['text']}”。您在居住地居住{_months_cn(lived)}，{registered_text}，"
               f"还不满足，预计{_cn_date(eligible_from)}起可以申领。", rule["article"])
    if review_remaining is not None and review_remaining < remaining:
        run.advice.append(f"到时可凭补充证明材料补充登记，经{route['reviewer']}审核后申领（{route['article']}）。")
    return eligible_from


def _basis(run: _Assessment) -> Optional[str]:
    """'yes', 'no', or None when facts are missing."""
    facts, city = run.facts, run.facts.city
    basis = city["basis"]
    label_of = {"housing": labels.HOUSING, "employment": labels.EMPLOYMENT, "study": labels.STUDY}
    qualifying, unknown = [], []
    for kind in ("housing", "employment", "study"):
        value = getattr(facts, kind)
        if value is None:
            unknown.append(kind)
        elif value in basis[kind]["qualifying"]:
            qualifying.append(kind)
            doubt = basis[kind].get("doubts", {}).get(value)
            if doubt:
                run.warn(doubt)
    if qualifying:
        said = "、".join(label_of[k][getattr(facts, k)] for k in qualifying)
        definitions = "".join(basis[k].get("definition", "") for k in qualifying)
        run.reason(f"您{said}，符合“{basis['text']}”的要求。{definitions}",
                   *dict.fromkeys(basis[k]["article"] for k in qualifying))
        if basis.get("undefined_terms"):
            run.warn(basis["undefined_terms"])
        return "yes"
    if unknown:
        run.need(*unknown)
        return None
    if facts.housing == "other":
        # The article's list of homes ends in 等: whether this one counts is not written.
        open_text = basis["housing"]["other_open"]
        run.reason(open_text, basis["housing"]["article"])
        run.doubt(open_text)
        return "open"
    run.reason(f"申领居住证须{basis['text']}；您目前没有符合条件的工作、住所或就读情况。"
               + "".join(basis[k].get("definition", "") for k in ("employment", "housing", "study")),
               basis["article"])
    run.advice.append("签订劳动合同、办理营业执照、租房并签订租赁合同或取得学籍后，可以再来咨询。")
    return "no"


def _proxy(run: _Assessment) -> Optional[bool]:
    """Whether someone else may apply for this person; None if not asked or unknown."""
    facts, city = run.facts, run.facts.city
    if not facts.by_proxy:
        return None
    rule = city["proxy"]
    if facts.age is None:
        run.need("age")
        return None
    age = facts.age
    if age < rule["minor_under_age"]:
        run.reason(f"办证人未满{rule['minor_under_age']}周岁，可以由{rule['agents']}代为申领。", rule["article"])
        return _agent(run, rule)
    if facts.disabled:
        run.reason(f"办证人是残疾人，可以由{rule['agents']}代为申领。", rule["article"])
        return _agent(run, rule)
    elderly = age >= rule["elderly_from_age"]
    if elderly and facts.mobility_impaired:
        run.reason(f"办证人是行动不便的老年人，可以由{rule['agents']}代为申领。", rule["article"])
        run.warn(rule["elderly_basis_note"])
        return _agent(run, rule)
    if elderly:
        run.need("mobility_impaired")
    run.need("disabled")
    if (elderly and facts.mobility_impaired is None) or facts.disabled is None:
        return None
    run.reason(f"{rule['text']}办证人不属于上述情形，应当本人申请。", rule["article"])
    run.warn(f"按{rule['article']}，这种情况不能由他人代办，需要本人到场申请。")
    if facts.mobility_impaired:
        run.doubt(f"{rule['article']}所列代办情形带“等”字，其他行动不便的情形能否代办，请向派出所确认。")
    return False


def _agent(run: _Assessment, rule: dict[str, Any]) -> bool:
    """The person may apply through someone: only through the article's agents."""
    if run.facts.agent == "other":
        run.reason(rule["agent_refused"].format(agents=rule["agents"]), rule["article"])
        run.warn(rule["agent_refused_warning"].format(agents=rule["agents"], article=rule["article"]))
        return False
    return True


def _materials(run: _Assessment, review: bool) -> list[dict[str, Any]]:
    facts, city = run.facts, run.facts.city
    data = city["materials"]
    items = []

    def add(code: str, text: str, article: str) -> None:
        items.append({"code": code, "text": text, "articles": run.cite(article)})

    add("id_card", data["id_card"]["text"], data["id_card"]["article"])
    if facts.age is not None and facts.age < 16:
        run.warn(f"办法要求提交居民身份证（{data['id_card']['article']}）；未满16周岁还没有身份证的，"
                 "可以用什么证件代替，请向派出所确认。")
    if "photos" in data:
        add("photos", data["photos"]["text"], data["photos"]["article"])
    address = data["address_proof"]
    add("address_proof", address["by_housing"].get(facts.housing, address["default"]), address["article"])
    employment = data["employment_proof"]
    if facts.employment in employment["by_employment"] and facts.employment in city["basis"]["employment"]["qualifying"]:
        add("employment_proof", employment["by_employment"][facts.employment], employment["article"])
    if facts.study in city["basis"]["study"]["qualifying"]:
        add("study_proof", data["study_proof"]["text"], data["study_proof"]["article"])
    if review and "supplementary_proof" in data:
        add("supplementary_proof", data["supplementary_proof"]["text"], data["supplementary_proof"]["article"])
    if facts.by_proxy and run.proxy_allowed is not False:  # a refused proxy: the applicant's own checklist
        add("agent_id", data["agent_id"]["text"], data["agent_id"]["article"])
    if facts.employment is None and facts.study is None:
        run.advice.append(f"如有劳动合同、营业执照或学生证等就业、就读证明，也请一并带上（{address['article']}）。")
    return items


NO_APPLICATION = ("not_required", "not_covered", "not_eligible")


def _decision(run: _Assessment, verdict: str, policy: dict[str, Any], *, with_materials: bool = True,
              eligible_from: Optional[dt.date] = None, proxy_allowed: Optional[bool] = None) -> dict[str, Any]:
    facts, city = run.facts, run.facts.city
    materials = _materials(run, review=verdict == "eligible_after_review") if with_materials else []
    processing = {"kind": city["processing"]["kind"]}
    if "days" in city["processing"]:
        processing["days"] = city["processing"]["days"]
    where = city["where"]["text"]
    if facts.residence.get("county"):
        where = f"{facts.residence['county']}的{where}"
    if verdict == "eligible_after_review":
        where += f"（补充登记后由{city['duration']['supplementary_route']['reviewer']}审核）"
    if verdict in ("eligible", "eligible_after_review", "not_yet_eligible", "undetermined"):
        run.cite(*city["where"]["articles"], city["processing"]["article"], city["fee"]["article"])
        if city["where"].get("doubt") and verdict != "undetermined":
            run.warn(city["where"]["doubt"])
    if verdict in ("eligible", "eligible_after_review", "not_yet_eligible"):
        _lifecycle_advice(run)
    decision: dict[str, Any] = {
        "city": city.id,
        "as_of": facts.as_of.isoformat(),
        "verdict": verdict,
        "missing": list(run.missing) if verdict == "undetermined" else [],
        "eligible_from": eligible_from.isoformat() if eligible_from else None,
        "reasons": run.reasons,
        "materials": materials,
        "proxy_allowed": proxy_allowed if facts.by_proxy else None,
        # No place or time limit for someone who need not, cannot or may not apply here.
        "where": None if verdict in NO_APPLICATION else where,
        "fee": city["fee"]["yuan"],
        "processing": None if verdict in NO_APPLICATION else processing,
        "citations": [{"source": city.source, "article": a}
                      for a in sorted(run.articles, key=article_number)],
        "policy": policy,
        "warnings": run.warnings,
        "advice": run.advice,
        "open_questions": run.open_questions,
    }
    return decision


def _lifecycle_advice(run: _Assessment) -> None:
    for topic in ("endorsement", "address_change"):
        advice = run.facts.city.topic(topic)["advice"]
        run.advice.append(f"{advice['text'].rstrip('。')}（{advice['article']}）。")
        run.cite(advice["article"])


def _months_cn(months: int) -> str:
    if months and months % 12 == 0:
        return f"{months // 12}年"
    if months == 6:
        return "半年"
    return f"{months}个月"


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- the yearly 签注: dates from the city's endorsement_rule ------------------------------

def endorsement_dates(city: Any, last: dt.date, today: dt.date) -> dict[str, Any]:
    """When the next 签注 is due, for a permit issued or last endorsed on ``last``.

    ``city`` is a loaded city (bot.rules.policy.City). From its
    ``endorsement_rule``: the permit's year ends ``interval_months`` after
    ``last`` (``year_ends``); the 签注 is due ``deadline_days_before`` days
    before that (``deadline``); the reminders go ``remind_days_before`` and
    ``remind_last_days_before`` days before the deadline. ``status``:
    ``upcoming``, ``in_window`` (the first reminder's day has come) or
    ``overdue`` (the deadline is past). Dates as ``datetime.date``.
    """
    rule = city["endorsement_rule"]
    year_ends = add_months(last, int(rule["interval_months"]))
    deadline = year_ends - dt.timedelta(days=int(rule["deadline_days_before"]))
    first = deadline - dt.timedelta(days=int(rule["remind_days_before"]))
    final = deadline - dt.timedelta(days=int(rule["remind_last_days_before"]))
    status = "overdue" if today > deadline else "in_window" if today >= first else "upcoming"
    return {"last": last, "year_ends": year_ends, "deadline": deadline, "first_reminder": first,
            "last_reminder": final, "status": status, "article": rule["article"]}
