"""The one renderer: decisions and topic answers as Chinese text.

The chat, `juzhu assess`, `juzhu interview` and the staff console all speak
through these functions, so a wording is fixed in one place.
"""
from __future__ import annotations

from typing import Any, Optional

from . import labels
from .policy import load_city
from .wording import say
from bot.platform import clock
from bot.platform.dates import date_text

# Topics an applicant can ask about, and where each answer comes from.
TOPICS = ("fee", "processing", "where", "proxy", "materials", "endorsement", "replacement",
          "address_change", "benefits", "hukou", "registration", "eligibility", "privacy")


def articles_text(articles: list[str]) -> str:
    return "、".join(articles)


def processing_text(city_id: str) -> str:
    processing = load_city(city_id)["processing"]
    return f"{processing['text']}（{processing['article']}）"


def fee_text(city_id: str) -> str:
    fee = load_city(city_id)["fee"]
    return f"免费。{fee['text']}（{fee['article']}）"


def verdict_sentence(decision: dict[str, Any]) -> str:
    verdict = decision["verdict"]
    sentence = labels.VERDICT[verdict]
    if verdict == "not_yet_eligible" and decision.get("eligible_from"):
        sentence += f"，预计{date_text(decision['eligible_from'])}起可以申领"
    return f"结论：{sentence}。"


def question_for(fact: str, city_id: Optional[str] = None) -> str:
    """The question that asks for one missing fact, in Chinese."""
    city = load_city(city_id) if city_id else None
    return labels.QUESTION[fact].format(
        city=city.name if city else "",
        registration=city["registration"]["name"] if city else "居住登记",
    )


def render_decision(decision: dict[str, Any], *, citations: bool = True) -> str:
    """The decision as text an operator can read aloud, or a chat can show."""
    city = load_city(decision["city"])
    lines = [verdict_sentence(decision)]
    if decision["reasons"]:
        lines.append("理由：")
        for number, reason in enumerate(decision["reasons"], 1):
            lines.append(f"{number}. {reason['text']}（{articles_text(reason['articles'])}）")
    if decision["verdict"] == "undetermined" and decision["missing"]:
        lines.append("还需要了解：" + question_for(decision["missing"][0], city.id))
    if decision["proxy_allowed"] is not None:
        lines.append("代办：" + ("可以由监护人、近亲属代办。" if decision["proxy_allowed"] else "不能代办，需要本人申请。"))
    if decision["materials"]:
        lines.append("需要带的材料：")
        for item in decision["materials"]:
            lines.append(f"□ {item['text']}（{articles_text(item['articles'])}）")
    if decision["verdict"] in ("eligible", "eligible_after_review", "not_yet_eligible"):
        lines.append(f"办理地点：{decision['where']}")
        lines.append(f"办理时限：{processing_text(city.id)}")
        lines.append(f"费用：{fee_text(city.id)}")
    if decision["warnings"]:
        lines.append("请注意：")
        lines.extend(f"！{warning}" for warning in decision["warnings"])
    if decision["advice"]:
        lines.append("建议：")
        lines.extend(f"· {advice}" for advice in decision["advice"])
    if citations and decision["citations"]:
        lines.append(f"依据：《{city.source}》" + "、".join(c["article"] for c in decision["citations"]))
    return "\n".join(lines)


# Verdicts that are not a plain yes: their card says why, in one sentence with its article.
WHY_VERDICTS = ("not_eligible", "not_required", "not_covered", "not_yet_eligible", "undetermined",
                "eligible_after_review")
_NEGATIVE_MARKS = ("不", "未", "没有", "无", "尚", "须", "需")


def _first_sentence(text: str) -> str:
    """The first sentence, or the first two when the first is only a few words ("您是外国人。")."""
    parts = [part.strip() for part in text.split("。") if part.strip()]
    if not parts:
        return text.strip()
    return parts[0] if len(parts[0]) >= 12 or len(parts) == 1 else parts[0] + "。" + parts[1]


def _why(decision: dict[str, Any]) -> Optional[str]:
    """The reason that decides a verdict that is not a plain yes, as one sentence with its articles."""
    if decision["verdict"] not in WHY_VERDICTS:
        return None
    if decision["verdict"] == "undetermined" and decision["missing"]:
        return "还需要了解：" + question_for(decision["missing"][0], decision["city"])
    reasons = decision["reasons"] or []
    deciding = next((r for r in reversed(reasons) if any(mark in r["text"] for mark in _NEGATIVE_MARKS)),
                    reasons[-1] if reasons else None)
    if deciding is None:
        return None
    return f"{_first_sentence(deciding['text'])}（{articles_text(deciding['articles'])}）。"


def _short_expiry(decision: dict[str, Any]) -> Optional[str]:
    policy = decision.get("policy") or {}
    if policy.get("in_force", True):
        return None
    city = load_city(decision["city"])
    end = city.in_force_to
    if decision["as_of"] > end.isoformat():
        return (f"《{policy['title']}》已于{date_text(end)}到期（{city['policy']['article']}），"
                f"以下按原条文答复，以派出所的解释为准。")
    return f"《{policy['title']}》当时尚未施行（{city['policy']['article']}），以下按该办法条文答复。"


def card_summary(decision: dict[str, Any]) -> dict[str, Any]:
    """What every card, printout and read-aloud carries beside the verdict (issue 20):

    ``why``: for a verdict that is not a plain yes, the deciding reason in one
    sentence with its article (None for a yes); ``notes``: the caveats, one
    short sentence each: the regulation past its validity, the question still
    open (what proof of residence time, for someone who never registered),
    the open questions the regulation leaves; ``where`` and ``processing``:
    only for someone who will apply (no place or time limit otherwise).
    """
    notes = [note for note in (_short_expiry(decision),) if note]
    for question in decision.get("open_questions") or ():
        notes.append(_first_sentence(question) + "。")
    city = load_city(decision["city"])
    applies = decision["verdict"] in ("eligible", "eligible_after_review", "not_yet_eligible")
    return {
        "why": _why(decision),
        "notes": notes,
        "where": decision.get("where") if applies else None,
        "processing": processing_text(city.id) if applies else None,
    }


def policy_warning(city_id: str, as_of) -> Optional[str]:
    """The validity warning for a regulation on a day, if it is not in force."""
    city = load_city(city_id)
    if city.in_force_from <= as_of <= city.in_force_to:
        return None
    window = {"title": city["policy"]["title"], "end": city.in_force_to, "article": city["policy"]["article"]}
    return say("policy.expired.topic" if as_of > city.in_force_to else "policy.not_yet.topic", window)


def render_topic(city_id: str, topic: str, as_of=None) -> str:
    """The answer to one question about the regulation, with its articles."""
    if topic not in TOPICS:
        raise KeyError(topic)
    city = load_city(city_id)
    lines: list[str] = []
    if topic == "fee":
        lines.append(f"{city.name}办理居住证{fee_text(city_id)}")
    elif topic == "processing":
        lines.append(f"{city.name}：{processing_text(city_id)}")
        route = city["duration"].get("supplementary_route")
        if route:
            lines.append(f"走补充登记的，还须经{route['reviewer']}审核（{route['article']}），办法未规定审核时限。")
    elif topic == "where":
        where = city["where"]
        lines.append(f"{city.name}的居住证在{where['text']}申请（{articles_text(where['articles'])}）。")
        if where.get("doubt"):
            lines.append(where["doubt"])
    elif topic == "proxy":
        proxy = city["proxy"]
        agent = city["materials"]["agent_id"]
        lines.append(f"{proxy['text']}（{proxy['article']}）")
        lines.append(f"代办时要带：{agent['text']}（{agent['article']}）。其他成年人一般须本人申请。")
    elif topic == "materials":
        materials = city["materials"]
        lines.append(f"在{city.name}申领居住证要带：")
        lines.append(f"□ {materials['id_card']['text']}（{materials['id_card']['article']}）")
        if "photos" in materials:
            lines.append(f"□ {materials['photos']['text']}（{materials['photos']['article']}）")
        lines.append(f"□ {materials['address_proof']['default']}（{materials['address_proof']['article']}）")
        lines.append(f"□ 有工作的带就业证明：劳动合同、营业执照或用人单位出具的劳动关系证明"
                     f"（{materials['employment_proof']['article']}）")
        lines.append(f"□ 在读的带就读证明：{materials['study_proof']['text'].split('：', 1)[-1]}"
                     f"（{materials['study_proof']['article']}）")
        lines.append("告诉我您的住房、工作情况，我可以给您列出个人的材料清单。")
    elif topic == "eligibility":
        rule, basis = city["duration"], city["basis"]
        lines.append(f"在{city.name}申领居住证的条件：{rule['text']}（{rule['article']}），"
                     f"并且{basis['text']}（{basis['article']}）。")
        route = rule.get("supplementary_route")
        if route:
            lines.append(f"{route['text']}（{route['article']}）")
        lines.append(f"适用范围：{city['scope']['text']}（{city['scope']['article']}）")
    else:
        data = city.topic(topic)
        lines.append(f"{city.name}关于{data['title']}的规定：")
        lines.extend(f"· {item['text']}（{item['article']}）" for item in data["items"])
        lines.extend(f"！{warning}" for warning in data.get("warnings", ()))
    warning = policy_warning(city_id, as_of or clock.today())
    if warning:
        lines.append(f"！{warning}")
    return "\n".join(lines)


# --- side questions during an interview: the same answers, for the facts known so far ---

def render_materials(decision: dict[str, Any], as_of=None, known: tuple = ()) -> str:
    """What to bring, from a decision made on the facts known so far (any verdict).

    The general list of the city's data, with every item the facts already
    settle made personal (the address proof for the housing said, the
    agent's ID card when someone applies for another), and the items still
    open said as conditions ("有工作的带…"). ``known``: the names of the facts
    already given (employment, study, by_proxy…).
    """
    city = load_city(decision["city"])
    materials = city["materials"]
    codes = {item["code"] for item in decision.get("materials") or ()}
    lines = [f"在{city.name}申领居住证要带："]
    for item in decision.get("materials") or ():
        lines.append(f"□ {item['text']}（{articles_text(item['articles'])}）")
    if not decision.get("materials"):
        lines.append(f"□ {materials['id_card']['text']}（{materials['id_card']['article']}）")
        if "photos" in materials:
            lines.append(f"□ {materials['photos']['text']}（{materials['photos']['article']}）")
        lines.append(f"□ {materials['address_proof']['default']}（{materials['address_proof']['article']}）")
    if "employment_proof" not in codes and "employment" not in known:
        lines.append(f"□ 有工作的带就业证明：劳动合同、营业执照或用人单位出具的劳动关系证明"
                     f"（{materials['employment_proof']['article']}）")
    if "study_proof" not in codes and "study" not in known:
        lines.append(f"□ 在读的带就读证明：{materials['study_proof']['text'].split('：', 1)[-1]}"
                     f"（{materials['study_proof']['article']}）")
    if "agent_id" not in codes and "by_proxy" not in known:
        lines.append(f"□ 别人代办的，还要带{materials['agent_id']['text']}（{materials['agent_id']['article']}）")
    warning = policy_warning(city.id, as_of or clock.today())
    if warning:
        lines.append(f"！{warning}")
    return "\n".join(lines)


def render_proxy(decision: dict[str, Any], as_of=None) -> str:
    """Whether this applicant may send someone else, when the facts say so; else the rule."""
    if decision.get("proxy_allowed") is None:
        return render_topic(decision["city"], "proxy", as_of)
    city = load_city(decision["city"])
    proxy, agent = city["proxy"], city["materials"]["agent_id"]
    if decision["proxy_allowed"]:
        lines = [f"按您说的情况，可以由{proxy['agents']}代为申领（{proxy['article']}），"
                 f"代办时要带：{agent['text']}（{agent['article']}）。"]
    else:
        lines = [f"按您说的情况，需要本人申请：{proxy['text']}（{proxy['article']}）"]
    warning = policy_warning(city.id, as_of or clock.today())
    if warning:
        lines.append(f"！{warning}")
    return "\n".join(lines)


def render_where(decision: dict[str, Any], as_of=None) -> str:
    """Where to apply, with the county when it is known."""
    city = load_city(decision["city"])
    where = city["where"]
    lines = [f"{city.name}的居住证在{decision.get('where') or where['text']}申请"
             f"（{articles_text(where['articles'])}）。"]
    if where.get("doubt"):
        lines.append(where["doubt"])
    warning = policy_warning(city.id, as_of or clock.today())
    if warning:
        lines.append(f"！{warning}")
    return "\n".join(lines)


def render_topic_for(decision: Optional[dict[str, Any]], topic: str, city_id: str, as_of=None,
                     known: tuple = ()) -> str:
    """``render_topic``, made personal by a decision on the facts known so far when it has any."""
    if decision and decision.get("city") == city_id:
        if topic == "materials":
            return render_materials(decision, as_of, known)
        if topic == "proxy":
            return render_proxy(decision, as_of)
        if topic == "where" and decision.get("where") and "的" in decision["where"]:
            return render_where(decision, as_of)
    return render_topic(city_id, topic, as_of)


def question_reason(fact: str, city_id: str) -> Optional[str]:
    """Why the interview asks for ``fact``: the condition of the regulation behind it."""
    city = load_city(city_id)
    if fact.startswith("hukou."):
        return (f"办法是否适用于您，要看您的户口是不是在现在住的地方（{city['scope']['article']}），"
                "所以要先知道您的户口在哪里。")
    if fact.startswith("residence."):
        return f"办理地点和是否属于跨区居住，要看您现在住在{city.name}哪个县（市、区）（{city['scope']['article']}）。"
    if fact in ("lived_months", "registered_months"):
        rule = city["duration"]
        what = "住了多久" if fact == "lived_months" else f"{city['registration']['name']}办了多久"
        return f"申领条件之一是“{rule['text']}”（{rule['article']}），所以想知道您{what}，说个大概的范围就行。"
    if fact == "supplementary_proof_months":
        route = city["duration"].get("supplementary_route")
        if route:
            return f"{route['text'].rstrip('。')}（{route['article']}）。"
        return None
    if fact in ("housing", "employment", "study"):
        basis = city["basis"]
        return f"申领居住证须{basis['text']}（{basis['article']}），所以要了解您的住房、工作或上学情况。"
    if fact in ("age", "disabled", "mobility_impaired", "by_proxy"):
        proxy = city["proxy"]
        return f"{proxy['text'].rstrip('。')}（{proxy['article']}）。所以要了解办证人的情况。"
    return None


# --- the yearly 签注: when it is due, and the reminder ------------------------------------

def _cited(item: dict[str, Any]) -> str:
    return f"{item['text']}（{item['article']}）" if item.get("article") else item["text"]


def endorsement_bring(city_id: str) -> list[str]:
    """What to bring to the 签注, each with its article when the regulation names it."""
    return [_cited(item) for item in load_city(city_id)["endorsement_rule"]["bring"]]


def render_endorsement_due(city_id: str, last, today=None, *, month_only: bool = False) -> str:
    """When the next 签注 is due for a permit issued or last endorsed on ``last``, with the article."""
    from .engine import endorsement_dates

    city = load_city(city_id)
    rule = city["endorsement_rule"]
    today = today or clock.today()
    dates = endorsement_dates(city, last, today)
    lines = [f"按{date_text(last)}领证（或上次签注）计算"
             + ("（只说了月份，按当月1日算，宁早勿晚；记得具体日期可以告诉我）" if month_only else "") + "："]
    where = _cited(rule["where"])
    if int(rule["deadline_days_before"]) > 0:
        lines.append(f"{city.name}居住证每年签注1次，1年有效期在{date_text(dates['year_ends'])}届满，"
                     f"须在届满{rule['deadline_days_before']}日前办理签注（{rule['article']}），"
                     f"即最晚{date_text(dates['deadline'])}前到{where}办理。")
    else:
        lines.append(f"{city.name}居住证每年签注1次（{rule['article']}），下次签注最晚在"
                     f"{date_text(dates['deadline'])}（满一年）前到{where}办理。")
    if dates["status"] == "overdue":
        lines.append(f"！这个期限已经过了。{_cited(rule['lapse'])}请尽快去补办签注。")
    elif dates["status"] == "in_window":
        lines.append(f"距离期限只有{(dates['deadline'] - today).days}天了，建议尽快办理。")
    lines.append("签注时带：" + "；".join(endorsement_bring(city_id)) + "。")
    return "\n".join(lines)


def render_endorsement_reminder(city_id: str, deadline, today) -> str:
    """The Telegram reminder of the yearly 签注 (bot/reminders.py)."""
    city = load_city(city_id)
    rule = city["endorsement_rule"]
    days = (deadline - today).days
    lines = [f"温馨提醒：您在{city.name}的居住证需要办理年度签注，最晚{date_text(deadline)}前办理"
             f"（{rule['article']}），还有{days}天。",
             "请带：" + "；".join(endorsement_bring(city_id)) + "。",
             _cited(rule["lapse"]),
             "点“预约办理”可以约时间；不需要提醒了请回复“不用提醒了”。"]
    return "\n".join(lines)


# --- one visit for a family: each applicant's own checklist -------------------------------

def render_person_checklist(title: str, decision: dict[str, Any], said: tuple = ()) -> str:
    """One applicant's checklist in a family visit (``title``: 您本人, 孩子（8岁）…),
    from that applicant's own decision, with the articles; a proxy's documents
    when someone else applies for them."""
    city = load_city(decision["city"])
    lines = [f"【{title}】"]
    if decision["verdict"] in ("not_covered", "not_required", "not_eligible"):
        lines.append(verdict_sentence(decision))
    for item in decision.get("materials") or ():
        lines.append(f"□ {item['text']}（{articles_text(item['articles'])}）")
    proxy = city["proxy"]
    if decision.get("proxy_allowed"):
        lines.append(f"□ {proxy['relationship_proof']}")
        reason = next((r for r in decision["reasons"] if proxy["article"] in r["articles"]
                       and proxy["agents"] in r["text"]), None)
        if reason:
            lines.append(f"说明：{reason['text'].rstrip('。')}（{proxy['article']}）。")
    elif decision.get("proxy_allowed") is False:
        lines.append(f"！按{proxy['article']}，需要本人到场申请。")
    lines.extend(f"！{warning}" for warning in decision.get("warnings") or () if warning not in said)
    return "\n".join(lines)


# --- what the assistant understood (the read-back, CONTRACT §2) --------------------------

READBACK_ORDER = ("city", "nationality", "hukou", "residence", "lived_months", "registered_months",
                  "supplementary_proof_months", "housing", "employment", "study", "by_proxy", "age", "disabled",
                  "mobility_impaired", "agent")
READBACK_LABEL = {"city": "城市", "nationality": "身份", "hukou": "户口", "residence": "现在住", "lived_months": "在现住地住了",
                  "registered_months": "{registration}", "supplementary_proof_months": "其他居住证明",
                  "housing": "住房", "employment": "工作", "study": "上学", "by_proxy": "谁来申请", "age": "年龄",
                  "disabled": "残疾", "mobility_impaired": "行动不便", "agent": "代办人"}


def months_text(months: int) -> str:
    """8 -> 8个月, 12 -> 1年, 18 -> 1年6个月, 6 -> 半年."""
    if months == 6:
        return "半年"
    years, rest = divmod(int(months), 12)
    if not years:
        return f"{rest}个月"
    return f"{years}年" + (f"{rest}个月" if rest else "")


def _place_text(place: dict[str, Any]) -> str:
    return "".join(str(place[level]) for level in ("province", "city", "county", "township") if place.get(level))


def fact_value_text(name: str, value: Any, city_id: Optional[str] = None) -> str:
    """One fact's value as the read-back says it ("租房住", "8个月", "河南省周口市")."""
    if name == "city":
        return load_city(value).name if value else ""
    if name in ("hukou", "residence"):
        return _place_text(value or {})
    if name == "registered_months":
        return "没办过" if value is None else months_text(value)
    if name in ("lived_months", "supplementary_proof_months"):
        return months_text(value)
    if name == "nationality":
        return labels.NATIONALITY.get(value, str(value))
    if name == "housing":
        return labels.HOUSING.get(value, str(value))
    if name == "employment":
        return labels.EMPLOYMENT.get(value, str(value))
    if name == "study":
        return labels.STUDY.get(value, str(value))
    if name == "by_proxy":
        return "帮别人办（代办）" if value else "本人办理"
    if name == "age":
        return f"{value}岁"
    if name in ("disabled", "mobility_impaired"):
        return "是" if value else "不是"
    if name == "agent":
        return {"guardian": "监护人", "relative": "近亲属", "other": "不是监护人或近亲属"}.get(value, str(value))
    return str(value)


def fact_label(name: str, city_id: Optional[str] = None) -> str:
    registration = load_city(city_id)["registration"]["name"] if city_id else "居住登记"
    return READBACK_LABEL.get(name, name).format(registration=registration)


def readback_lines(facts: dict[str, Any]) -> list[str]:
    """One short line per known fact, in a fixed order: "户口：河南省"."""
    city_id = facts.get("city")
    lines = []
    for name in READBACK_ORDER:
        if name not in facts or (facts[name] is None and name != "registered_months"):
            continue
        if name in ("hukou", "residence") and not facts[name]:
            continue
        lines.append(f"{fact_label(name, city_id)}：{fact_value_text(name, facts[name], city_id)}")
    return lines


# --- people who already hold a permit (CONTRACT §2) ------------------------------------

def _topic_lines(city: Any, name: str) -> list[str]:
    data = city.topic(name)
    lines = [f"· {item['text']}（{item['article']}）" for item in data["items"]]
    return lines + [f"！{warning}" for warning in data.get("warnings", ())]


def render_holding(card_city: str, event: Optional[str], to_city: Optional[str] = None,
                   to_elsewhere: bool = False, as_of=None) -> str:
    """What a holder of ``card_city``'s permit does after ``event`` ("move", "lost",
    "damaged", "endorsement" or None), with the articles; never the new-applicant interview."""
    city = load_city(card_city)
    lines: list[str] = []
    moved_away = event == "move" and ((to_city and to_city != card_city) or to_elsewhere)
    if event == "move" and not moved_away:
        lines.append(f"您持有{city.name}的居住证，在{city.name}内搬家，不用重新申领，按规定办理住址变更：")
        lines += _topic_lines(city, "address_change")
    elif moved_away:
        card = city["card"]
        change = city.topic("address_change")["items"][0]["article"]
        lines.append(f"{city.name}的居住证是在{city.name}居住的证明（{card['article']}：{card['text']}），"
                     f"搬到别的城市后不能继续使用；{city.name}的住址变更（{change}）只适用于{city.name}内。")
        if to_city:
            new = load_city(to_city)
            registration, rule = new["registration"], new["duration"]
            arrival = registration["arrival"]
            when = f"{arrival['deadline']}" if arrival.get("deadline") else ""
            lines.append(f"到{new.name}后，请{when}到{registration['where']}办理{registration['name']}"
                         f"（《{new['policy']['title']}》{arrival['article']}）；{rule['text']}并符合条件的，"
                         f"可以按{new.name}的规定重新申领居住证（{rule['article']}）。")
            lines.append(f"告诉我您在{new.name}的住处、住了多久、工作或上学的情况，我帮您看能不能办。")
        else:
            lines.append("到新的居住地后，请按当地规定到公安派出所办理居住登记，再按当地规定申领居住证；"
                         "其他城市的规定我暂时解答不了，请咨询当地派出所或拨打12345。")
    elif event in ("lost", "damaged"):
        lines.append(f"您的{city.name}居住证{'丢了' if event == 'lost' else '损坏了'}，按规定补领、换领，不用重新申请：")
        lines += _topic_lines(city, "replacement")
    elif event == "endorsement":
        lapse = city["endorsement_rule"]["lapse"]
        lines.append(f"{city.name}的居住证没有按时签注：{lapse['text']}（{lapse['article']}）")
        lines.append("请尽快补办签注：")
        lines += [line for line in _topic_lines(city, "endorsement") if "使用功能中止" not in line]
    else:
        lines.append(f"您已经持有{city.name}的居住证，不需要再申请。持证以后要注意：")
        for name in ("endorsement", "address_change"):
            advice = city.topic(name)["advice"]
            lines.append(f"· {advice['text']}（{advice['article']}）")
        replacement = city.topic("replacement")["items"]
        lines.append(f"· 丢失或损坏的，办理补领、换领（{replacement[0]['article']}）。")
    warning = policy_warning(card_city, as_of or clock.today())
    if warning:
        lines.append(f"！{warning}")
    return "\n".join(lines)
