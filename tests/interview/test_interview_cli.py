"""`juzhu interview`: the hotline script aid reaches a verdict in few questions.

The terminal runs the interview driver (bot.dialogue.eligibility) as the chat does;
tests/interview/test_same_answers.py checks that both, and the staff page,
ask the same questions and reach the same decision on the same answers."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

from bot.dialogue.eligibility.cli import Interview

TODAY = dt.date(2026, 11, 22)


def interview(answers, city=None):
    asked, said = [], []
    pending = list(answers)

    def ask(question):
        asked.append(question)
        return pending.pop(0) if pending else None

    decision = Interview(ask, said.append, city=city, as_of=TODAY).run()
    return decision, asked, said


def test_liaocheng_renter_in_few_questions():
    decision, asked, _ = interview(["聊城", "本人", "河南周口的", "八个月", "办了半年", "2"])
    assert decision["verdict"] == "eligible"
    assert len(asked) <= 10
    assert "租赁合同" in " ".join(m["text"] for m in decision["materials"])


def test_qujing_student_in_few_questions():
    decision, asked, _ = interview(["曲靖", "本人", "贵州六盘水", "一年多", "住学校宿舍", "对"])
    assert decision["verdict"] == "eligible"
    assert len(asked) <= 10
    assert [m["code"] for m in decision["materials"]][:2] == ["id_card", "photos"]


def test_unprompted_facts_skip_their_questions():
    decision, asked, _ = interview(["我户口在河南，在东昌府租房住了八个月，居住登记也办了八个月，在厂里上班", "对"],
                                   city="liaocheng")
    assert decision["verdict"] == "eligible"
    # The first question (who applies, answered with the whole case), then what was understood, read back.
    assert len(asked) == 2 and "对吗？" in asked[1] and "· 户口：河南省" in asked[1]


def test_local_in_exempt_districts_told_at_once():
    decision, asked, _ = interview(["户口是东昌府区的，现在住在高新区", "对"], city="liaocheng")
    assert decision["verdict"] == "not_required"
    assert len(asked) == 2  # the read-back, then the verdict


def test_not_understood_answer_is_explained_and_asked_again():
    decision, asked, said = interview(["本人", "河南", "嗯哼", "十个月", "没办", "6", "租房"], city="liaocheng")
    assert "住了多久" in said[0]
    assert asked[2] == asked[3]  # the duration question again
    assert decision["verdict"] == "eligible_after_review"


def test_never_the_same_question_a_third_time():
    decision, asked, said = interview(["本人", "河南", "嗯哼", "哈哈", "4", "没办", "6", "租房"], city="liaocheng")
    assert asked[2] == asked[3] != asked[4]  # the third time is a choice with the reason
    assert "第五条" in asked[4] and "1. 不到3个月" in asked[4]
    assert decision["verdict"] == "eligible_after_review"  # "4": 一年到两年, 12 months


def test_city_with_its_county_at_the_terminal_prompt():
    """Issue 8.7: "曲靖沾益区" at the city prompt: the city, and the county kept."""
    decision, asked, _ = interview(["曲靖沾益区", "本人", "贵州", "一年", "租房", "对"])
    assert decision["verdict"] == "eligible"
    assert decision["where"].startswith("沾益区的")
    assert not any("哪个县" in question for question in asked)


def test_question_by_question_asks_who_applies():
    """Issue 8.7: the terminal asks who applies, so a child gets 第十二条's proxy and documents."""
    decision, asked, _ = interview(["曲靖", "2", "四川", "一年多", "租房", "8", "1"])
    assert "本人" in asked[1] and "2. 给孩子办" in asked[1]
    assert decision["verdict"] == "eligible" and decision["proxy_allowed"] is True
    assert "agent_id" in [m["code"] for m in decision["materials"]]


def test_end_of_input_stops_without_a_verdict():
    decision, _, _ = interview(["聊城", "本人"])
    assert decision is None


def test_typed_restart_and_stop_at_the_terminal():
    decision, asked, said = interview(["聊城", "本人", "重来一遍", "曲靖", "本人", "算了"])
    assert "从头开始" in said[0] and asked[3] == asked[0]
    assert decision is None


def test_interview_runs_in_a_terminal_without_rasa():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "interview", "--city", "qujing", "--as-of", "2026-11-22"],
                            input="\n贵州\n三个月\n租房\n", capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert "结论：暂时还不能申领居住证，预计2027年2月22日起可以申领。" in result.stdout
    assert "Traceback" not in result.stderr


def test_interview_bad_city_flag_is_one_line():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "interview", "--city", "beijing"],
                            capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["juzhu interview: --city: unknown city 'beijing'; accepted: liaocheng, qujing"]
