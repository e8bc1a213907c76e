"""WeChat against the running assistant (issue 21): a follower's words, typed or spoken, reach the
real conversation and come back as WeChat messages; the openid is in neither the conversation
store nor the servers' logs."""
from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from wechatpy import parse_message

from bot.channels.web.app import create_app
from bot.channels.wechat import WechatSettings, sender_of
from bot.platform.ratelimit import RateLimiter
from tests.channels.test_wechat import APPID, SECRET, TOKEN, signature, text_xml, voice_xml


async def test_a_follower_talks_to_the_real_assistant_and_the_openid_is_kept_out(assistant, tmp_path):
    openid = "oRealFollower" + uuid.uuid4().hex[:14]
    servers = assistant.get("servers")
    logs = sorted(Path(servers.log_dir).glob("*.log")) if servers else []
    offsets = {path: path.stat().st_size for path in logs}
    settings = WechatSettings(token=TOKEN, appid="", secret="")  # no API: everything in the passive reply
    app = create_app(assistant["url"], None, limiter=RateLimiter("memory://"), cookie_secret="c" * 24,
                     relay_token=assistant.get("token"), wechat=settings)
    client = TestClient(TestServer(app))
    await client.start_server()
    ids = iter(range(50_000_000, 50_001_000))

    async def post(xml: str) -> str:
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:8]
        response = await client.post("/wechat", data=xml.encode(), params={
            "timestamp": timestamp, "nonce": nonce, "signature": signature(TOKEN, timestamp, nonce)})
        assert response.status == 200
        return parse_message(await response.text()).content

    try:
        said = await post(voice_xml("我户口在河北 在聊城东昌府区租房住了一年多 签了劳动合同 居住登记也办了一年了 能办居住证吗",
                                    next(ids)).replace("oPenIdOfAFollower0123456789", openid))
        assert "回复数字：" in said  # the read-back's 对 / 有不对的, as numbers
        verdict = await post(text_xml("1", next(ids), openid=openid))  # 1: 对
        assert verdict.startswith("【") and "要带：" in verdict
    finally:
        await client.close()
    if assistant.get("conversations_db"):
        with sqlite3.connect(assistant["conversations_db"]) as connection:
            rows = connection.execute("SELECT sender_id, data FROM events WHERE sender_id = ?",
                                      (sender_of(openid),)).fetchall()
            assert rows and not connection.execute("SELECT 1 FROM events WHERE data LIKE ? OR sender_id LIKE ?",
                                                   (f"%{openid}%", f"%{openid}%")).fetchall()
    for path in logs:
        with open(path, "rb") as handle:
            handle.seek(offsets[path])
            assert openid.encode() not in handle.read()
