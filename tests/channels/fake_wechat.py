"""A fake of WeChat's API for the tests (like fake_telegram.py): the access token, customer-service
messages and media upload, on 127.0.0.1. ``expire_next`` makes the next send answer 40001 (an
access token WeChat no longer accepts), as WeChat does."""
from __future__ import annotations

import asyncio
import json
import itertools
from typing import Any, Optional

from aiohttp import web


class FakeWechat:
    def __init__(self, appid: str, secret: str):
        self.appid, self.secret = appid, secret
        self.tokens: list[str] = []
        self.sent: list[dict[str, Any]] = []
        self.uploads: list[bytes] = []
        self.templates: list[dict[str, Any]] = []
        self.expire_next = False
        self.bad_token_calls = 0
        self._ids = itertools.count(1)
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.send)
        app.router.add_post("/cgi-bin/media/upload", self.upload)
        app.router.add_post("/cgi-bin/message/subscribe/bizsend", self.subscribe_send)
        return app

    async def subscribe_send(self, request: web.Request) -> web.Response:
        refused = self._valid(request)
        if refused is not None:
            return refused
        self.templates.append(json.loads(await request.text()))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def token(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("appid") != self.appid or query.get("secret") != self.secret:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        token = f"token-{len(self.tokens) + 1}"
        self.tokens.append(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    def _valid(self, request: web.Request) -> Optional[web.Response]:
        if self.expire_next:
            self.expire_next = False
            self.bad_token_calls += 1
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if not self.tokens or request.query.get("access_token") != self.tokens[-1]:
            self.bad_token_calls += 1
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return None

    async def send(self, request: web.Request) -> web.Response:
        refused = self._valid(request)
        if refused is not None:
            return refused
        self.sent.append(json.loads(await request.text()))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def upload(self, request: web.Request) -> web.Response:
        refused = self._valid(request)
        if refused is not None:
            return refused
        reader = await request.multipart()
        part = await reader.next()
        self.uploads.append(await part.read())
        return web.json_response({"type": request.query.get("type"), "media_id": f"media-{next(self._ids)}",
                                  "created_at": 1})

    async def wait_sent(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        for _ in range(int(timeout / 0.05)):
            if len(self.sent) >= count:
                return self.sent
            await asyncio.sleep(0.05)
        raise AssertionError(f"expected {count} customer-service messages, got {self.sent}")
