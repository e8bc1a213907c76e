"""`juzhu interview`: the hotline script aid reaches a verdict in few questions."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

from bot.rules.cli import Interview

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
    decision, asked, _ = interview(["聊城", "", "河南周口的", "八个月", "办了半年", "2"])
    assert decision["verdict"] == "eligible"
    assert len(asked) <= 10
    assert "租赁合同" in " ".join(m["text"] for m in decision["materials"])


def test_qujing_student_in_few_questions():
    decision, asked, _ = interview(["曲靖", "", "贵州六盘水", "一年多", "住学校宿舍"])
    assert decision["verdict"] == "eligible"
    assert len(asked) <= 10
    assert [m["code"] for m in decision["materials"]][:2] == ["id_card", "photos"]


def test_unprompted_facts_skip_their_questions():
    decision, asked, _ = interview(["我户口在河南，在东昌府租房住了八个月，居住登记也办了八个月，在厂里上班"],
                                   city="liaocheng")
    assert decision["verdict"] == "eligible"
    assert len(asked) == 1  # the opening question only


def test_local_in_exempt_districts_told_at_once():
    decision, asked, _ = interview(["户口是东昌府区的，现在住在高新区"], city="liaocheng")
    assert decision["verdict"] == "not_required"
    assert len(asked) == 1


def test_not_understood_answer_is_explained_and_asked_again():
    decision, asked, said = interview(["", "河南", "很久很久", "十个月", "没办", "6", "租房"], city="liaocheng")
    assert said and "住了多久" in said[0] or "多久" in said[0]
    assert asked[2] == asked[3]  # the duration question again
    assert decision["verdict"] == "eligible_after_review"


def test_end_of_input_stops_without_a_verdict():
    decision, _, _ = interview(["聊城", ""])
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
