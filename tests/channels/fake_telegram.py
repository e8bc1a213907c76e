"""A small fake Telegram Bot API server (aiohttp, 127.0.0.1) for the bridge's tests.

python-telegram-bot talks to it with ``base_url = fake.base_url``
(``http://127.0.0.1:<port>/bot``). It implements what the bridge uses —
getMe, getUpdates (long polling over queued updates), sendMessage,
sendPhoto, sendDocument, answerCallbackQuery, setMyCommands, deleteWebhook,
getWebhookInfo — and records every call in :attr:`FakeTelegram.calls`.
Any other method answers 404, like Telegram does for an unknown method.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from aiohttp import web

BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "居助", "username": "juzhu_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
JSON_PARAMS = ("reply_markup", "commands", "entities", "caption_entities", "allowed_updates")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name -> (filename, bytes)
    result: Any = None

    @property
    def chat_id(self) -> Optional[int]:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


class FakeTelegram:
    def __init__(self, token: str):
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.unauthorized = 0  # requests that came with another token
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: Optional[web.AppRunner] = None
        self.port = 0

    # -- server --

    async def start(self) -> "FakeTelegram":
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what a user does --

    def _user(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "测试", "language_code": "zh-hans"}

    def _queue(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        self.updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    @staticmethod
    def chat(chat_id: int, chat_type: str = "private") -> dict[str, Any]:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": "测试"}
        return {"id": chat_id, "type": chat_type, "title": "测试群"}

    def user_says(self, chat_id: int, text: str, chat_type: str = "private",
                  user_id: Optional[int] = None) -> dict[str, Any]:
        """A user writes ``text`` in chat ``chat_id`` (a group: ``chat_type="group"``, ``"supergroup"``)."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type),
            "from": self._user(user_id or abs(chat_id)), "text": text}
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._queue({"message": message})

    def channel_posts(self, chat_id: int, text: str) -> dict[str, Any]:
        """A post in a channel the bot was added to (a ``channel_post`` update, no sender)."""
        return self._queue({"channel_post": {"message_id": next(self._message_ids), "date": int(time.time()),
                                             "chat": {"id": chat_id, "type": "channel", "title": "测试频道"},
                                             "text": text}})

    def user_sends_sticker(self, chat_id: int) -> dict[str, Any]:
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "测试"},
                   "from": self._user(chat_id),
                   "sticker": {"file_id": "stk", "file_unique_id": "stk1", "width": 512, "height": 512,
                               "is_animated": False, "is_video": False, "type": "regular"}}
        return self._queue({"message": message})

    def user_taps(self, message_call: Call, title: str) -> dict[str, Any]:
        """Tap the button titled ``title`` on the message ``message_call`` sent."""
        message = message_call.result
        for row in message["reply_markup"]["inline_keyboard"]:
            for button in row:
                if button["text"] == title:
                    return self.user_taps_data(message, button["callback_data"])
        raise AssertionError(f"no button {title!r} on {message.get('text')!r}")

    def user_taps_data(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        chat_id = message["chat"]["id"]
        return self._queue({"callback_query": {
            "id": str(next(self._callback_ids)), "from": self._user(abs(chat_id)),
            "chat_instance": f"ci-{chat_id}", "message": message, "data": data}})

    # -- waiting for the bot --

    def sent(self, chat_id: Optional[int] = None, method: Optional[str] = None) -> list[Call]:
        methods = (method,) if method else ("sendMessage", "sendPhoto", "sendDocument")
        return [call for call in self.calls
                if call.method in methods and (chat_id is None or call.chat_id == chat_id)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting; calls so far: {self.describe()}")
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except asyncio.TimeoutError:
                    pass

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> list[Call]:
        """Wait until ``count`` messages (text, photo, document) went to ``chat_id``; return them all."""
        return await self.wait_for(
            lambda: (lambda sent: sent if len(sent) >= count else None)(self.sent(chat_id)), timeout)

    def describe(self) -> str:
        return "; ".join(f"{c.method}({c.params.get('text') or ''})" for c in self.calls)

    # -- the API --

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                else:
                    params[key] = value
        params.update(request.query)
        for key in JSON_PARAMS:
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        for key, value in list(params.items()):  # "attach://name" -> the uploaded file
            if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
                files[key] = files.pop(value[9:])
                params[key] = None
        return params, files

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "测试"},
                "from": BOT_USER, **content}

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            self.unauthorized += 1
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"},
                                     status=401)
        method = request.match_info["method"]
        params, files = await self._params(request)
        call = Call(method, params, files)
        if method == "getUpdates":
            return self._ok(await self._get_updates(params))
        self.calls.append(call)
        if method == "getMe":
            call.result = BOT_USER
        elif method in ("deleteWebhook", "setMyCommands", "answerCallbackQuery"):
            call.result = True
        elif method == "getWebhookInfo":
            call.result = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        elif method == "sendMessage":
            content: dict[str, Any] = {"text": params["text"]}
            if params.get("reply_markup"):
                content["reply_markup"] = params["reply_markup"]
            call.result = self._message(int(params["chat_id"]), **content)
        elif method == "sendPhoto":
            n = len(self.calls)
            call.result = self._message(int(params["chat_id"]), photo=[
                {"file_id": f"photo{n}", "file_unique_id": f"p{n}", "width": 200, "height": 200}])
        elif method == "sendDocument":
            n = len(self.calls)
            name = files["document"][0] if "document" in files else params.get("filename") or "file"
            call.result = self._message(int(params["chat_id"]), document={
                "file_id": f"doc{n}", "file_unique_id": f"d{n}", "file_name": name})
        else:
            self.calls.pop()
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"},
                                     status=404)
        await self._notify()
        return self._ok(call.result)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 1.0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed ones are gone
        if not self.updates and wait > 0:
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.updates)), wait)
                except asyncio.TimeoutError:
                    pass
        return [u for u in self.updates if u["update_id"] >= offset]
