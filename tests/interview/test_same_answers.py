"""`juzhu interview`, the staff page API and the chat behave the same on the same answers.

The same answers go to the driver directly, to the terminal (``bot.cli.main``
with stdin), to the web front's ``POST /staff/api/assess`` (one turn per
answer) and to the chat (validate_eligibility_form and action_assess with the
tracker Rasa would send, turn after turn): each must ask the same questions
in the same order and reach the same decision.
"""
from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue.eligibility import Interview, Message

from .conftest import TODAY

SCENARIOS = {
    # 聊城, question by question, with a county at the city question, a failed answer,
    # a side question, a relative date and a correction.
    "liaocheng renter": ["聊城东昌府区", "本人", "嗯哼", "河北石家庄的", "要花多少钱", "去年国庆来的",
                         "登记了半年", "不对，住了两年了", "租房", "对"],
    # 曲靖, a child through a parent, a skipped question, a closed question answered in words.
    "qujing child": ["曲靖沾益区", "给孩子办", "户口四川的", "一年多", "不知道", "没有工作", "在上小学", "8岁", "对"],
}


def driver_run(answers: list[str]) -> tuple[list[str], dict[str, Any]]:
    driver = Interview(as_of=TODAY)
    reply = driver.start()
    questions = [reply.messages[-1].text]
    for answer in answers:
        reply = driver.handle(reply.state, Message.parse(answer))
        if reply.ended:
            break
        questions.append(reply.messages[-1].text)
    assert reply.ended == "verdict", reply.cases
    return questions, reply.decision


def terminal_run(answers: list[str], monkeypatch, capsys) -> tuple[list[str], dict[str, Any]]:
    from bot.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(answers) + "\n"))
    assert main(["interview", "--as-of", TODAY.isoformat(), "--json"]) == 0
    out = capsys.readouterr().out
    json_start = out.rindex("\n{\n")
    decision = json.loads(out[json_start:])
    prompts = [part for part in out[:json_start].split("\n> ")]
    # Each prompt: what was said since the last answer, the question last (numbered choices after it).
    questions = []
    for prompt in prompts:
        lines = [line for line in prompt.split("\n") if line.strip()]
        if lines and lines[-1][:1].isdigit() and ". " in lines[-1]:
            lines = lines[:-1]  # the numbered choices of a closed question
        if lines:
            questions.append(lines[-1])
    return questions, decision


async def web_run(answers: list[str]) -> tuple[list[str], dict[str, Any]]:
    from bot.channels.web.app import create_app

    token = "same-answers-staff-token"
    client = TestClient(TestServer(create_app("", token, cookie_secret="s" * 32)))
    await client.start_server()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async def turn(body):
            response = await client.post("/staff/api/assess", json={**body, "as_of": TODAY.isoformat()},
                                         headers=headers)
            assert response.status == 200, await response.text()
            return await response.json()

        data = await turn({"state": None, "message": None})
        questions = [data["next"]["question"]]
        for answer in answers:
            data = await turn({"state": data["state"], "message": answer})
            if data["ended"]:
                break
            questions.append(data["next"]["question"])
        assert data["ended"] == "verdict"
        return questions, data["decision"]
    finally:
        await client.close()


class Chat:
    """The trackers Rasa sends the action server during an interview, turn after turn."""

    def __init__(self, domain):
        self.domain = domain
        self.slots: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = [{"event": "action", "name": "action_listen"}]
        self.active = False

    def tracker(self, latest: dict[str, Any]) -> Tracker:
        events = self.events + [{"event": "slot", "name": "requested_slot", "value": self.slots.get("requested_slot")},
                                {"event": "action", "name": "eligibility_form"}]
        return Tracker(sender_id="same", slots=dict(self.slots), latest_message=latest, events=events, paused=False,
                       followup_action=None, active_loop={"name": "eligibility_form"},
                       latest_action_name="eligibility_form")

    async def say(self, text: str, intent: str = "inform") -> tuple[list[str], bool]:
        from actions.interview import ValidateEligibilityForm

        latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
                  "intent_ranking": [{"name": intent, "confidence": 0.9}]}
        self.events.append({"event": "user", "text": text, "parse_data": latest})
        dispatcher = CollectingDispatcher()
        events = await ValidateEligibilityForm().run(dispatcher, self.tracker(latest), self.domain)
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
                self.events.append(event)
        self.events.append({"event": "action", "name": "action_listen"})
        done = self.slots.get("requested_slot") is None
        return [m["text"] for m in dispatcher.messages], done

    async def verdict(self) -> dict[str, Any]:
        from actions.interview import ActionAssess

        tracker = Tracker(sender_id="same", slots=dict(self.slots), latest_message={}, events=self.events,
                          paused=False, followup_action=None, active_loop={}, latest_action_name="eligibility_form")
        dispatcher = CollectingDispatcher()
        events = await ActionAssess().run(dispatcher, tracker, self.domain)
        assert dispatcher.messages[0]["custom"]["decision"]["verdict"]
        return next(e["value"] for e in events if e["event"] == "slot" and e["name"] == "decision")


async def chat_run(answers: list[str], domain) -> tuple[list[str], dict[str, Any]]:
    chat = Chat(domain)
    said, done = await chat.say("我想办居住证", "ask_eligibility")
    questions = [said[-1]]
    for answer in answers:
        said, done = await chat.say(answer)
        if done:
            break
        questions.append(said[-1])
    assert done
    return questions, await chat.verdict()


@pytest.fixture
def domain():
    from pathlib import Path

    from rasa.shared.core.domain import Domain

    return Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml")).as_dict()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_terminal_staff_page_and_chat_behave_the_same(scenario, monkeypatch, capsys, domain):
    monkeypatch.setenv("JUZHU_TODAY", TODAY.isoformat())  # the chat's clock
    answers = SCENARIOS[scenario]
    questions, decision = driver_run(answers)
    assert len(questions) >= 6 and decision["verdict"] == "eligible"
    runs = {
        "terminal": terminal_run(answers, monkeypatch, capsys),
        "staff page": await web_run(answers),
        "chat": await chat_run(answers, domain),
    }
    for channel, (asked, decided) in runs.items():
        assert [q.split("\n")[-1] for q in asked] == [q.split("\n")[-1] for q in questions], channel
        assert decided == decision, channel
