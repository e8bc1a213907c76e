"""One engine for every city: facts + the city's data -> a decision.

The decision is CONTRACT.md section 3's object with each finding (reason,
warning, advice) as a code, its parameters and its articles; wording.py
says them in Chinese. The engine holds no city name, no article number and
no sentence: all come from the city's data file or the wording catalogue.
Verdict precedence (first match wins): not_covered, not_required,
undetermined, not_eligible, not_yet_eligible, eligible_after_review, eligible.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

from dateutil.relativedelta import relativedelta

from .facts import Facts
from .townships import article_number, township_key, township_kind


def add_months(day: dt.date, months: int) -> dt.date:
    # Same day of the due month, or its last day when there is none
    # (民法典 第二百零三条 counts periods the same way).
    return day + relativedelta(months=months)


@dataclass
class _Assessment:
    """What one assessment collects on its way to a decision."""

    facts: Facts
    reasons: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    advice: list[dict[str, Any]] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # Warnings the regulation's text cannot settle: a person must judge (a hand-off to staff).
    open_questions: list[dict[str, Any]] = field(default_factory=list)
    proxy_allowed: Optional[bool] = None

    def cite(self, *articles: str) -> list[str]:
        for article in articles:
            if article not in self.articles:
                self.articles.append(article)
        return list(articles)

    def reason(self, code: str, params: dict[str, Any], *articles: str) -> None:
        self.reasons.append({"code": code, "params": params, "articles": self.cite(*articles)})

    def warn(self, code: str, **params: Any) -> None:
        finding = {"code": code, "params": params}
        if finding not in self.warnings:
            self.warnings.append(finding)

    def doubt(self, code: str, **params: Any) -> None:
        """A warning the text of the regulation leaves open: also an open question for staff."""
        self.warn(code, **params)
        finding = {"code": code, "params": params}
        if finding not in self.open_questions:
            self.open_questions.append(finding)

    def advise(self, code: str, **params: Any) -> None:
        self.advice.append({"code": code, "params": params})

    def need(self, *names: str) -> None:
        for name in names:
            if name not in self.missing and not self.facts.known(name):
                self.missing.append(name)


def evaluate(facts: Facts) -> dict[str, Any]:
    """The decision, its findings as codes (bot.rules.assess gives it in words)."""
    city = facts.city
    run = _Assessment(facts)
    policy = _policy(run)

    if facts.nationality != "cn":
        non_mainland = city["scope"]["non_mainland"]
        text = (non_mainland.get("text_for") or {}).get(facts.nationality, non_mainland["text"])
        run.reason("scope.not_mainland", {"nationality": facts.nationality, "text": text}, non_mainland["article"])
        if facts.nationality in non_mainland.get("doubt_for", ()):
            run.doubt(CITY_TEXT, text=non_mainland["doubt"])
        advice = (non_mainland.get("advice") or {}).get(facts.nationality)
        if advice:
            run.advise(CITY_TEXT, text=advice)
        else:
            run.advise("scope.not_mainland.advice")
        return _decision(run, "not_covered", policy, with_materials=False)

    scope = _scope(run)
    if scope == "out":
        run.advise("scope.out.advice")
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


# A finding in the city's own words (its data file), said as written.
CITY_TEXT = "city.text"


def _policy(run: _Assessment) -> dict[str, Any]:
    city, as_of = run.facts.city, run.facts.as_of
    data = city["policy"]
    in_force = city.in_force_from <= as_of <= city.in_force_to
    window = {"title": data["title"], "start": city.in_force_from, "end": city.in_force_to,
              "article": data["article"], "as_of": as_of}
    if as_of > city.in_force_to:
        run.warn("policy.expired", **window)
        run.cite(data["article"])
    elif as_of < city.in_force_from:
        run.warn("policy.not_yet", **window)
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
        run.reason("scope.from_elsewhere", {"place": place, "city": city.name}, scope["article"])
        return "in"

    run.need("hukou.county", "residence.county")
    if run.missing:
        return None
    home, here = city.county(hukou["county"]), city.county(facts.residence["county"])
    counties = {"home": home.name, "here": here.name}
    if home.name != here.name and scope["local_mover_unit"] == "county":
        for group in scope.get("exempt_county_groups", ()):
            if home.name in group["counties"] and here.name in group["counties"]:
                run.reason("scope.exempt_counties", dict(counties, text=group["text"]), group["article"])
                return "out"
        run.reason("scope.across_counties", counties, scope["article"])
        return "in"
    if home.name != here.name:
        run.reason("scope.across_counties.mover", counties, scope["article"])
        return "in"
    if scope["local_mover_unit"] == "county":
        run.reason("scope.same_county", {"here": here.name}, scope["article"])
        return "out"

    run.need("hukou.township", "residence.township")
    if run.missing:
        return None
    home_town, here_town = hukou["township"], facts.residence["township"]
    towns = {"here": here.name, "home_town": home_town, "here_town": here_town}
    if township_key(home_town) == township_key(here_town):
        run.reason("scope.same_township", {"here": here.name, "town": here_town}, scope["article"])
        return "out"
    kinds = township_kind(home_town), township_kind(here_town)
    exemption = scope.get("same_district_street_exemption")
    if exemption and kinds == ("street", "street"):
        run.reason("scope.same_district_streets", dict(towns, text=exemption["text"]), exemption["article"])
        if here.kind not in exemption.get("certain_for_kinds", ()):
            run.warn(CITY_TEXT, text=exemption["doubt"].format(county=here.name))
        return "out"
    if exemption and None in kinds:
        unclear = home_town if kinds[0] is None else here_town
        run.doubt("scope.township_kind_unclear", unclear=unclear, article=exemption["article"])
    run.reason("scope.across_townships", towns, scope["article"])
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
            run.warn(CITY_TEXT, text=rule["unregistered_doubt"])
        if lived >= required:
            run.reason("duration.met", {"lived": lived, "text": rule["text"]}, rule["article"])
            return "met"
        eligible_from = add_months(facts.as_of, required - lived)
        run.reason("duration.short", {"lived": lived, "required": required, "text": rule["text"],
                                      "eligible_from": eligible_from}, rule["article"])
        return eligible_from

    registered = 0 if facts.never_registered else facts.registered_months
    if registered > lived:
        run.warn("duration.registered_longer")
        registered = lived
    registration = city["registration"]
    if lived >= required and registered >= required:
        run.reason("duration.met_registered", {"lived": lived, "registered": registered, "text": rule["text"],
                                               "registration": registration["name"]}, rule["article"])
        return "met"
    if facts.never_registered:
        run.advise("duration.register_now", where=registration["where"], registration=registration["name"],
                   articles=list(registration["articles"]))
    else:
        run.advise("duration.keep_registering", registration=registration["name"], required=required)

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
                run.reason("duration.supplementary", {"registration": registration["name"], "required": required,
                                                      "proof": facts.supplementary_proof_months,
                                                      "text": route["text"]}, route["article"])
                run.warn("duration.supplementary.review", reviewer=route["reviewer"], article=route["article"])
                return "review"
    soonest = min(remaining, review_remaining) if review_remaining is not None else remaining
    eligible_from = add_months(facts.as_of, soonest)
    run.reason("duration.not_met", {"text": rule["text"], "lived": lived, "registration": registration["name"],
                                    "registered": None if facts.never_registered else registered,
                                    "eligible_from": eligible_from}, rule["article"])
    if review_remaining is not None and review_remaining < remaining:
        run.advise("duration.supplementary.later", reviewer=route["reviewer"], article=route["article"])
    return eligible_from


def _basis(run: _Assessment) -> Optional[str]:
    """'yes', 'no', or None when facts are missing."""
    facts, city = run.facts, run.facts.city
    basis = city["basis"]
    qualifying, unknown = [], []
    for kind in ("housing", "employment", "study"):
        value = getattr(facts, kind)
        if value is None:
            unknown.append(kind)
        elif value in basis[kind]["qualifying"]:
            qualifying.append(kind)
            doubt = basis[kind].get("doubts", {}).get(value)
            if doubt:
                run.warn(CITY_TEXT, text=doubt)
    if qualifying:
        said = [[kind, getattr(facts, kind)] for kind in qualifying]
        definitions = "".join(basis[k].get("definition", "") for k in qualifying)
        run.reason("basis.met", {"said": said, "text": basis["text"], "definitions": definitions},
                   *dict.fromkeys(basis[k]["article"] for k in qualifying))
        if basis.get("undefined_terms"):
            run.warn(CITY_TEXT, text=basis["undefined_terms"])
        return "yes"
    if unknown:
        run.need(*unknown)
        return None
    if facts.housing == "other":
        # The article's list of homes ends in 等: whether this one counts is not written.
        open_text = basis["housing"]["other_open"]
        run.reason(CITY_TEXT, {"text": open_text}, basis["housing"]["article"])
        run.doubt(CITY_TEXT, text=open_text)
        return "open"
    definitions = "".join(basis[k].get("definition", "") for k in ("employment", "housing", "study"))
    run.reason("basis.not_met", {"text": basis["text"], "definitions": definitions}, basis["article"])
    run.advise("basis.not_met.advice")
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
        run.reason("proxy.minor", {"age": rule["minor_under_age"], "agents": rule["agents"]}, rule["article"])
        return _agent(run, rule)
    if facts.disabled:
        run.reason("proxy.disabled", {"agents": rule["agents"]}, rule["article"])
        return _agent(run, rule)
    elderly = age >= rule["elderly_from_age"]
    if elderly and facts.mobility_impaired:
        run.reason("proxy.elderly", {"agents": rule["agents"]}, rule["article"])
        run.warn(CITY_TEXT, text=rule["elderly_basis_note"])
        return _agent(run, rule)
    if elderly:
        run.need("mobility_impaired")
    run.need("disabled")
    if (elderly and facts.mobility_impaired is None) or facts.disabled is None:
        return None
    run.reason("proxy.not_allowed", {"text": rule["text"]}, rule["article"])
    run.warn("proxy.not_allowed.warning", article=rule["article"])
    if facts.mobility_impaired:
        run.doubt("proxy.other_impairment", article=rule["article"])
    return False


def _agent(run: _Assessment, rule: dict[str, Any]) -> bool:
    """The person may apply through someone: only through the article's agents."""
    if run.facts.agent == "other":
        run.reason(CITY_TEXT, {"text": rule["agent_refused"].format(agents=rule["agents"])}, rule["article"])
        run.warn(CITY_TEXT, text=rule["agent_refused_warning"].format(agents=rule["agents"], article=rule["article"]))
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
        run.warn("materials.no_id_card_yet", article=data["id_card"]["article"])
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
        run.advise("materials.bring_proofs", article=address["article"])
    return items


NO_APPLICATION = ("not_required", "not_covered", "not_eligible")


def _decision(run: _Assessment, verdict: str, policy: dict[str, Any], *, with_materials: bool = True,
              eligible_from: Optional[dt.date] = None, proxy_allowed: Optional[bool] = None) -> dict[str, Any]:
    facts, city = run.facts, run.facts.city
    materials = _materials(run, review=verdict == "eligible_after_review") if with_materials else []
    processing = {"kind": city["processing"]["kind"]}
    if "days" in city["processing"]:
        processing["days"] = city["processing"]["days"]
    where = {"code": CITY_TEXT, "params": {"text": city["where"]["text"]}}
    if facts.residence.get("county"):
        where = {"code": "where.in_county", "params": {"county": facts.residence["county"],
                                                        "where": city["where"]["text"]}}
    if verdict == "eligible_after_review":
        where = {"code": "where.after_review", "params": {
            "where": where, "reviewer": city["duration"]["supplementary_route"]["reviewer"]}}
    if verdict in ("eligible", "eligible_after_review", "not_yet_eligible", "undetermined"):
        run.cite(*city["where"]["articles"], city["processing"]["article"], city["fee"]["article"])
        if city["where"].get("doubt") and verdict != "undetermined":
            run.warn(CITY_TEXT, text=city["where"]["doubt"])
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
        run.advise("lifecycle.advice", text=advice["text"], article=advice["article"])
        run.cite(advice["article"])


# --- the yearly endorsement: dates from the city's endorsement_rule ------------------------------

def endorsement_dates(city: Any, last: dt.date, today: dt.date) -> dict[str, Any]:
    """When the next endorsement is due, for a permit issued or last endorsed on ``last``.

    ``city`` is a loaded city (bot.rules.policy.City). From its
    ``endorsement_rule``: the permit's year ends ``interval_months`` after
    ``last`` (``year_ends``); it is due ``deadline_days_before`` days
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
