"""`juzhu assess` and `juzhu interview` as a terminal user meets them."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

JUZHU = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parents[2]


def juzhu(*args, stdin=""):
    return subprocess.run([*JUZHU, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


def assess(facts, *flags):
    return juzhu("assess", *flags, stdin=facts if isinstance(facts, str) else json.dumps(facts, ensure_ascii=False))


@pytest.mark.parametrize("facts,verdict", [
    ({"city": "liaocheng", "as_of": "2026-11-22", "hukou": {"province": "河南"}, "lived_months": 8,
      "registered_months": 8, "housing": "rented"}, "eligible"),
    ({"city": "liaocheng", "as_of": "2026-11-22", "hukou": {"province": "河南"}, "lived_months": 8,
      "registered_months": 1, "supplementary_proof_months": 8, "housing": "rented"}, "eligible_after_review"),
    ({"city": "qujing", "as_of": "2026-11-22", "hukou": {"province": "贵州"}, "lived_months": 3,
      "housing": "rented"}, "not_yet_eligible"),
    ({"city": "qujing", "hukou": {"province": "贵州"}, "lived_months": 9, "housing": "none",
      "employment": "none", "study": "none"}, "not_eligible"),
    ({"city": "liaocheng", "hukou": {"county": "东昌府"}, "residence": {"county": "茌平"}}, "not_required"),
    ({"city": "qujing", "nationality": "foreign"}, "not_covered"),
    ({"city": "qujing"}, "undetermined"),
])
def test_assess_json_every_verdict(facts, verdict):
    result = assess(facts, "--json")
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["verdict"] == verdict
    assert set(decision) >= {"verdict", "missing", "eligible_from", "reasons", "materials", "proxy_allowed",
                             "where", "fee", "processing", "citations", "policy", "warnings", "advice"}
    assert (decision["eligible_from"] is not None) == (verdict == "not_yet_eligible")
    assert bool(decision["missing"]) == (verdict == "undetermined")


def test_assess_text_is_chinese_for_reading_aloud():
    result = assess({"city": "liaocheng", "hukou": {"province": "河南"}, "lived_months": 8,
                     "registered_months": 8, "housing": "rented"})
    assert result.returncode == 0
    out = result.stdout
    assert out.startswith("结论：可以申领居住证。")
    for part in ("理由：", "需要带的材料：", "□ 本人居民身份证（第七条）", "办理地点：", "办理时限：", "费用：免费",
                 "依据：《聊城市居住证实施办法》", "请注意："):
        assert part in out


@pytest.mark.parametrize("stdin,field", [
    ("", "facts"),
    ("{not json", "facts: malformed JSON"),
    ("[1, 2]", "facts"),
    ('{"as_of": "2026-01-01"}', "city: required"),
    ('{"city": "beijing"}', "city: unknown city 'beijing'; accepted: liaocheng, qujing"),
    ('{"city": "liaocheng", "lived_months": -1}', "lived_months"),
    ('{"city": "liaocheng", "lived_months": "8"}', "lived_months"),
    ('{"city": "liaocheng", "registered_months": 2.5}', "registered_months"),
    ('{"city": "liaocheng", "housing": "tent"}', "housing: unknown value 'tent'; accepted: owned, rented"),
    ('{"city": "liaocheng", "employment": "boss"}', "employment"),
    ('{"city": "liaocheng", "study": "part_time"}', "study"),
    ('{"city": "liaocheng", "nationality": "us"}', "nationality"),
    ('{"city": "liaocheng", "as_of": "2026-13-01"}', "as_of"),
    ('{"city": "liaocheng", "as_of": "22/11/2026"}', "as_of"),
    ('{"city": "liaocheng", "age": 200}', "age"),
    ('{"city": "liaocheng", "by_proxy": "yes"}', "by_proxy"),
    ('{"city": "liaocheng", "residence": {"county": "朝阳区"}}', "residence.county: '朝阳区' is not a county of 聊城市"),
    ('{"city": "liaocheng", "hukou": {"city": "聊城", "county": "朝阳区"}}', "hukou.county"),
    ('{"city": "liaocheng", "hukou": {"street": "x"}}', "hukou.street"),
    ('{"city": "liaocheng", "hukou": "河南"}', "hukou"),
    ('{"city": "liaocheng", "lived_month": 8}', "lived_month: not a known fact"),
])
def test_assess_bad_input_exits_2_with_one_line(stdin, field):
    result = assess(stdin, "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert field in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_subcommand_and_flag_are_one_line():
    for args in (["nonsense"], ["assess", "--jsn"]):
        result = juzhu(*args)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1


def test_assess_accepts_chinese_city_and_suffixless_names():
    result = assess({"city": "聊城", "hukou": {"city": "聊城市", "county": "东昌府"},
                     "residence": {"county": "江北水城旅游度假区"}}, "--json")
    decision = json.loads(result.stdout)
    assert decision["verdict"] == "not_required"


def test_juzhu_interview_help_says_what_it_does(capsys):
    """Issue 20 (8): the options alone did not tell a hotline operator what the command is."""
    from bot.cli import main

    with pytest.raises(SystemExit) as done:
        main(["interview", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "script aid" in out and "verdict" in out and "one question at a time" in out
