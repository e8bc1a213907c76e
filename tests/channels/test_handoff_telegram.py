"""Hand-offs on Telegram: while staff have a chat's conversation, its messages go
to staff and not to Rasa; staff replies and the closing note (with the rating
buttons) reach the chat through the fake Bot API; after close the assistant
answers again. The real store on SQLite, python-telegram-bot for real."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.platform.store import db
from bot.channels.telegram import sender_id
from bot.handoff import HandoffService
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.test_telegram import CHAT, TOKEN, FakeRasa, bridge, texts

NOW = dt.datetime(2026, 11, 24, 10, 0)


@pytest.fixture
async def telegram_api():
    fake = await FakeTelegram(TOKEN).start()
    yield fake
    await fake.stop()


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("TELEGRAM_HANDOFF_POLL_S", "0.2")
    service = HandoffService(f"sqlite:///{tmp_path / 'juzhu.db'}", clock=lambda: NOW)
    yield service
    db.dispose_engines()


@pytest.fixture
async def rasa(store):
    fake = await FakeRasa(handoffs=lambda: store).start()  # with Rasa's gate: the one hand-off check
    yield fake
    await fake.stop()


async def test_staff_have_the_chat_until_they_close(telegram_api, rasa, store, tmp_path):
    sender = sender_id(CHAT)
    async with bridge(telegram_api, rasa.url, tmp_path, handoff_store=lambda: store):
        telegram_api.user_says(CHAT, "你好")
        await telegram_api.wait_sent(CHAT, 1)
        assert rasa.messages(sender) == ["你好"]
        # The assistant opened a hand-off (as action_human_handoff does).
        case, _ = store.open(sender, reason="asked", city="liaocheng", facts={"city": "liaocheng"})
        store.staff_seen()  # on duty

        telegram_api.user_says(CHAT, "我在等人工，电话13812345678")
        await telegram_api.wait_sent(CHAT, 2)
        assert texts(telegram_api.sent(CHAT))[-1] == f"您的消息已转给工作人员（案件编号：{case['case_no']}），请稍候。"
        assert rasa.messages(sender) == ["你好"]  # nothing went to the assistant
        held = store.get(case["id"])["messages"]
        assert held[-1]["author"] == "applicant" and "13812345678" not in held[-1]["text"]

        store.reply(case["id"], "您好，我是王老师。请问您住了多久？")
        await telegram_api.wait_sent(CHAT, 3)
        assert texts(telegram_api.sent(CHAT))[-1] == "工作人员：您好，我是王老师。请问您住了多久？"

        telegram_api.user_says(CHAT, "一年多")  # staff are answering: kept for them, no "please wait"
        for _ in range(100):
            if store.get(case["id"])["messages"][-1]["text"] == "一年多":
                break
            await asyncio.sleep(0.05)
        assert store.get(case["id"])["messages"][-1]["text"] == "一年多"
        assert rasa.messages(sender) == ["你好"]

        store.close(case["id"])
        closing = (await telegram_api.wait_sent(CHAT, 4))[-1]
        assert "智能助手继续为您服务" in closing.params["text"]
        keys = [key["text"] for row in closing.params["reply_markup"]["inline_keyboard"] for key in row]
        assert keys == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]

        telegram_api.user_says(CHAT, "那我要带什么材料")
        await telegram_api.wait_sent(CHAT, 5)
        assert rasa.messages(sender) == ["你好", "那我要带什么材料"]  # the assistant answers again
