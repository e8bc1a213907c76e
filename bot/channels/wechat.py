"""The assistant on a WeChat Official Account (公众号): CONTRACT §8, issue 21.

Off unless ``WECHAT_TOKEN`` is set; then the web front serves ``GET`` and
``POST /wechat``. wechatpy does what is WeChat's own (signatures, the XML,
安全模式 crypto, the API client and its access token, refreshed a minute
before it expires and again on 40001); this module is the conversation:

- **One conversation per follower**, sender ``wx-`` + a keyed hash of the
  openid (never the openid in the conversation store or a log line); the
  message goes to Rasa's REST channel like every channel's, named as this
  relay's client for the rate limits (bot/channels/rest_gate.py).
- **Five seconds.** WeChat waits 5 s for the passive reply and then sends the
  same ``MsgId`` again (three times). The first reply goes back passively
  within ``passive_timeout_s`` (4.5); any further replies, and all of them
  when the assistant took longer, go out in order through the
  customer-service API. A ``MsgId`` is processed once: a retry is answered
  with WeChat's empty "success".
- **Buttons become numbered choices** ("回复数字：1 聊城市 2 曲靖市"); the number
  sent back works like the button. A verdict comes as a short card (verdict,
  why, what to bring, where, caveats) and "详细" sends the full text.
- **Voice**: WeChat's ``Recognition`` text is read as typed (issue 17's
  reading of run-on speech). Other kinds of message get a short note of what
  is understood; ``subscribe`` greets.
- **A booking's QR code** goes out as an image (media upload).
- **Hand-off**: while a person has the conversation the message is kept for
  staff (bot/handoff); staff replies reach the follower through the
  customer-service API. The openid the hand-off store needs for that is
  sealed with the data key (``bot.platform.conversations.seal``), never stored in clear.
- **Failures**: Rasa or the action server down → 系统繁忙 with the hotline;
  per-follower rate limit as on Telegram; API errors logged (masked) and
  retried only where wechatpy knows retrying is safe (a stale token).
"""
from __future__ import annotations

import asyncio
import collections
import io
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from aiohttp import web

from bot.channels.rasa_client import RasaClient, RasaUnavailable
from bot.handoff.hold import is_held
from bot.channels.texts import DEFAULT_HOTLINE, busy_text, too_many_messages_text
from bot.platform.ratelimit import RateLimiter
from bot.platform.secrets import keyed_hash

from .wechat_render import Out, numbered, render, split_text

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"
PASSIVE_TIMEOUT_S = 4.5
SEEN_TTL_S = 120  # WeChat retries a MsgId within 15 s
CHOICES_KEPT = 10_000
GREETING = ("您好！我是居住证办理助手，可以帮您：\n1. 看看能不能办居住证（聊城、曲靖）\n2. 列出要带的材料\n"
            "3. 预约到派出所办理，查询或取消预约\n直接打字或发语音告诉我您的情况就行，比如“我在聊城租房住了半年，能办吗”。")
NOT_UNDERSTOOD_KIND = "我现在能看懂文字和语音消息。请打字或发语音告诉我您的问题。"
VOICE_NOT_HEARD = "没有听清您的语音，请再说一遍，或者打字告诉我。"
FULL_TEXT_WORDS = ("详细", "详细说明", "完整说明", "依据", "看依据", "看详细")
NO_FULL_TEXT = "现在没有可以展开的说明。您可以直接问我问题。"


class WechatSettingsError(ValueError):
    """A WeChat setting that cannot be used (operator error, English)."""


@dataclass
class WechatSettings:
    token: str
    appid: str = ""
    secret: str = ""
    aes_key: Optional[str] = None
    api_base_url: str = DEFAULT_API_BASE_URL
    template_reminder: Optional[str] = None
    passive_timeout_s: float = PASSIVE_TIMEOUT_S
    handoff_poll_s: float = 2.0
    reminder_interval_s: float = 300.0
    # A cluster's web fronts share the access token and the MsgIds seen (WeChat retries may reach
    # another replica; each new token would invalidate the others'): WECHAT_REDIS_URL, else REDIS_URL.
    redis_url: Optional[str] = None

    @classmethod
    def from_env(cls, env: Any) -> Optional["WechatSettings"]:
        token = (env.get("WECHAT_TOKEN") or "").strip()
        if not token:
            return None
        if not re.fullmatch(r"[A-Za-z0-9]{3,32}", token):
            raise WechatSettingsError("WECHAT_TOKEN: 3-32 letters or digits, as set in the 公众号's server configuration")
        aes_key = (env.get("WECHAT_AES_KEY") or "").strip() or None
        if aes_key is not None and not re.fullmatch(r"[A-Za-z0-9]{43}", aes_key):
            raise WechatSettingsError("WECHAT_AES_KEY (EncodingAESKey): 43 letters or digits")
        base = (env.get("WECHAT_API_BASE_URL") or DEFAULT_API_BASE_URL).strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise WechatSettingsError(f"WECHAT_API_BASE_URL must start with http:// or https://, got {base!r}")
        appid, secret = (env.get("WECHAT_APPID") or "").strip(), (env.get("WECHAT_SECRET") or "").strip()
        if aes_key and not appid:
            raise WechatSettingsError("WECHAT_AES_KEY needs WECHAT_APPID (安全模式 checks the AppID in every message)")
        redis_url = (env.get("WECHAT_REDIS_URL") or env.get("REDIS_URL") or "").strip() or None
        if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise WechatSettingsError(f"WECHAT_REDIS_URL: expected redis://host:port/db, got {redis_url!r}")
        return cls(token=token, appid=appid, secret=secret, aes_key=aes_key, api_base_url=base,
                   template_reminder=(env.get("WECHAT_TEMPLATE_REMINDER") or "").strip() or None,
                   redis_url=redis_url)


def sender_of(openid: str) -> str:
    """The conversation of a follower: ``wx-`` and a keyed hash, never the openid itself."""
    return "wx-" + keyed_hash("wechat", openid)


# --- the WeChat API (wechatpy's client, pointed at WECHAT_API_BASE_URL) -------------------------

def make_client(settings: WechatSettings) -> Any:
    from wechatpy import WeChatClient

    class Client(WeChatClient):
        API_BASE_URL = settings.api_base_url + "/cgi-bin/"

        def fetch_access_token(self):  # wechatpy writes the official host here; the base URL is ours
            return self._fetch_access_token(url=settings.api_base_url + "/cgi-bin/token",
                                            params={"grant_type": "client_credential", "appid": self.appid,
                                                    "secret": self.secret})

    session = None
    if settings.redis_url:
        import redis
        from wechatpy.session.redisstorage import RedisStorage

        session = RedisStorage(redis.Redis.from_url(settings.redis_url), prefix="juzhu-wechat")
    return Client(settings.appid, settings.secret, timeout=10, session=session)


class WechatApi:
    """Customer-service messages and media, off the event loop (wechatpy is synchronous)."""

    def __init__(self, settings: WechatSettings, client: Any = None):
        self.settings = settings
        self._client = client

    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    async def send_text(self, openid: str, text: str) -> bool:
        return await self._call(lambda: self.client().message.send_text(openid, text))

    async def send_image(self, openid: str, png: bytes) -> bool:
        def upload_and_send() -> Any:
            uploaded = self.client().media.upload("image", ("qr.png", io.BytesIO(png), "image/png"))
            return self.client().message.send_image(openid, uploaded["media_id"])

        return await self._call(upload_and_send)

    async def send_template(self, openid: str, template_id: str, fields: dict[str, Any]) -> bool:
        """A subscription message (订阅通知) through the account's template."""
        return await self._call(lambda: self.client().post("message/subscribe/bizsend", data={
            "touser": openid, "template_id": template_id, "data": fields}))

    async def _call(self, call: Callable[[], Any]) -> bool:
        try:
            await asyncio.to_thread(call)
            return True
        except Exception as error:  # the error code only: WeChat's messages may quote the openid; not retried
            log.warning("WeChat API call failed: %s (errcode %s)", type(error).__name__,
                        getattr(error, "errcode", None))
            return False


class Remembered:
    """Small per-follower memories, bounded: the last numbered choices, the last full verdict text."""

    def __init__(self, size: int = CHOICES_KEPT):
        self.size = size
        self._items: collections.OrderedDict[str, Any] = collections.OrderedDict()

    def get(self, key: str) -> Any:
        return self._items.get(key)

    def put(self, key: str, value: Any) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


class Seen:
    """Which MsgIds were taken up in the last two minutes (WeChat's retries of one message): in this
    process, or in Redis for a cluster (``SET NX`` with the same expiry)."""

    def __init__(self, ttl_s: float = SEEN_TTL_S, redis_url: Optional[str] = None):
        self.ttl_s = ttl_s
        self._at: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=1)

    def first_time(self, key: str) -> bool:
        if self._redis is not None:
            try:
                return bool(self._redis.set("juzhu-wechat-seen:" + key, 1, nx=True, ex=int(self.ttl_s)))
            except Exception as error:  # Redis down: this process's memory, rather than answering twice
                log.warning("wechat: Redis unavailable for MsgIds: %s", type(error).__name__)
        now = time.monotonic()
        while self._at and next(iter(self._at.values())) < now - self.ttl_s:
            self._at.popitem(last=False)
        if key in self._at:
            return False
        self._at[key] = now
        return True


# --- followers: where a conversation's messages go (migration 0006) ------------------------------

def remember_follower(store: Any, sender: str, openid: str) -> None:
    """The openid of ``sender``, sealed with the data key, in the deployment's database."""
    from bot.platform.conversations import seal
    from bot.handoff.models import WechatFollower

    from .wechat_reminders import upsert

    upsert(store, WechatFollower.__table__, ("sender", sender),
           {"sealed_openid": seal(openid), "seen_at": store.now(), "unsubscribed_at": None})


def openid_of(store: Any, sender: str) -> Optional[str]:
    """The follower's openid, unless they unfollowed (or the data key changed)."""
    from sqlalchemy import select

    from bot.platform.conversations import unseal
    from bot.handoff.models import WechatFollower

    table = WechatFollower.__table__
    with store.engine.connect() as connection:
        sealed = connection.execute(select(table.c.sealed_openid).where(
            table.c.sender == sender, table.c.unsubscribed_at.is_(None))).scalar_one_or_none()
    return unseal(sealed) if sealed else None


def forget_follower(store: Any, sender: str) -> None:
    from sqlalchemy import update

    from bot.handoff.models import WechatFollower

    table = WechatFollower.__table__
    with store.writer.begin() as connection:
        connection.execute(update(table).where(table.c.sender == sender).values(
            sealed_openid="", unsubscribed_at=store.now()))


# --- the channel -------------------------------------------------------------------------------

class WechatChannel:
    """``GET``/``POST /wechat`` and what happens between a follower and the assistant."""

    def __init__(self, settings: WechatSettings, *, rasa: Callable[[], RasaClient], limiter: RateLimiter,
                 hotline: str = DEFAULT_HOTLINE, handoffs: Optional[Callable[[], Any]] = None,
                 api: Optional[WechatApi] = None):
        self.settings = settings
        self.limiter = limiter
        self.hotline = hotline
        self.handoffs = handoffs
        self.api = api or WechatApi(settings)
        self.rasa = rasa  # the web front's client of Rasa (bot/channels/rasa_client.py)
        self.seen = Seen(redis_url=settings.redis_url)
        self.choices = Remembered()
        self.full_texts = Remembered()
        self.locks = Remembered()
        self.tasks: set[asyncio.Task] = set()
        self.crypto = None
        if settings.aes_key:
            from wechatpy.crypto import WeChatCrypto

            self.crypto = WeChatCrypto(settings.token, settings.aes_key, settings.appid)

    # -- HTTP ------------------------------------------------------------------------------
    def signed(self, query: Any) -> bool:
        from wechatpy.exceptions import InvalidSignatureException
        from wechatpy.utils import check_signature

        try:
            check_signature(self.settings.token, query.get("signature", ""), query.get("timestamp", ""),
                            query.get("nonce", ""))
            return True
        except InvalidSignatureException:
            return False

    async def verify(self, request: web.Request) -> web.Response:
        """The 公众号 back end's server check: ``echostr`` back when the signature is the token's."""
        if not self.signed(request.query):
            return web.Response(status=403, text="invalid signature")
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        from wechatpy import parse_message
        from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

        query = request.query
        body = await request.read()
        try:
            if self.crypto is not None:  # 安全模式: msg_signature covers the encrypted body
                xml = self.crypto.decrypt_message(body, query.get("msg_signature", ""), query.get("timestamp", ""),
                                                  query.get("nonce", ""))
            elif self.signed(query):
                xml = body.decode("utf-8")
            else:
                raise InvalidSignatureException()
            message = parse_message(xml)
        except (InvalidSignatureException, InvalidAppIdException):
            log.warning("wechat: a message with a bad signature refused")
            return web.Response(status=403, text="invalid signature")
        except Exception as error:  # not WeChat's XML: nothing to answer
            log.warning("wechat: unreadable message refused: %s", type(error).__name__)
            return web.Response(status=400, text="bad message")
        text = await self.answer(message)
        if not text:
            return web.Response(text="success")  # WeChat's "nothing to say now"
        from wechatpy.replies import TextReply

        xml = TextReply(message=message, content=text).render()
        if self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, query.get("nonce", ""), query.get("timestamp", ""))
        return web.Response(text=xml, content_type="application/xml")

    # -- one message -----------------------------------------------------------------------
    async def answer(self, message: Any) -> Optional[str]:
        """The passive reply's text (None: "success"), after starting whatever goes out later."""
        openid = str(message.source)
        sender = sender_of(openid)
        if message.type == "event":
            event = str(getattr(message, "event", "")).lower()
            if event == "subscribe":
                return GREETING
            if event == "unsubscribe":  # nothing more goes to them
                self.choices.put(sender, None)
                self.full_texts.put(sender, None)
                if self.handoffs is not None:
                    from .wechat_reminders import forget_sender

                    try:
                        await asyncio.to_thread(forget_follower, self.handoffs(), sender)
                        await asyncio.to_thread(forget_sender, self.handoffs(), sender)
                    except Exception as error:
                        log.warning("wechat: follower store unavailable: %s", type(error).__name__)
            return None
        key = f"{sender}:{getattr(message, 'id', None) or getattr(message, 'create_time', '')}"
        if not self.seen.first_time(key):  # WeChat's retry of a message already taken up
            return None
        if message.type == "text":
            text = message.content or ""
        elif message.type == "voice":
            text = getattr(message, "recognition", None) or ""
            if not text.strip():
                return VOICE_NOT_HEARD
        else:
            return NOT_UNDERSTOOD_KIND
        text = text.strip()[:1000]
        if not text:
            return NOT_UNDERSTOOD_KIND
        if not self.limiter.hit("messages", "wechat", sender).allowed:
            return too_many_messages_text(self.hotline)
        if text in FULL_TEXT_WORDS:
            return await self.passively([Out(text=piece) for piece in split_text(self.full_texts.get(sender) or
                                                                                 NO_FULL_TEXT)], sender, openid)
        text = self.choice(sender, text)
        job = asyncio.ensure_future(self.converse(sender, openid, text))
        try:
            outs = await asyncio.wait_for(asyncio.shield(job), self.settings.passive_timeout_s)
        except asyncio.TimeoutError:  # too late for the passive reply: everything by the API, in order
            job.add_done_callback(lambda done: self.later(sender, openid, done.result()))
            return None
        return await self.passively(outs, sender, openid)

    def choice(self, sender: str, text: str) -> str:
        """A number sent back for the last numbered choices is that button's payload."""
        import unicodedata

        plain = unicodedata.normalize("NFKC", text).strip().rstrip(".。")
        choices = self.choices.get(sender) or []
        if plain.isdigit() and 1 <= int(plain) <= len(choices):
            return choices[int(plain) - 1]
        return text

    async def passively(self, outs: list[Out], sender: str, openid: str) -> Optional[str]:
        if not outs:
            return None
        if not self.settings.appid:  # no API to send more with: everything in the one passive reply
            return "\n\n".join(out.text for out in outs if out.text) or None
        first, rest = (outs[0].text, outs[1:]) if outs[0].text else (None, outs)
        if rest:
            self.later(sender, openid, rest)
        return first

    def later(self, sender: str, openid: str, outs: list[Out]) -> None:
        task = asyncio.ensure_future(self.deliver(sender, openid, outs))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, sender: str, openid: str, outs: list[Out]) -> None:
        """Through the customer-service API, in order: one follower's messages never overtake each other."""
        lock = self.locks.get(sender)
        if lock is None:
            lock = asyncio.Lock()
            self.locks.put(sender, lock)
        async with lock:
            for out in outs:
                if out.image is not None:
                    await self.api.send_image(openid, out.image)
                elif out.text:
                    await self.api.send_text(openid, out.text)

    async def converse(self, sender: str, openid: str, text: str) -> list[Out]:
        """Rasa's answer to one message, as WeChat messages; the busy text when Rasa cannot answer."""
        try:
            replies = await self.rasa().send(sender, text)
            if not replies:
                raise RasaUnavailable("no replies (is the action server down?)")
        except RasaUnavailable as error:
            log.warning("wechat: Rasa unavailable: %s", error)
            return [Out(text=busy_text(self.hotline))]
        rendered = render([r for r in replies if isinstance(r, dict)])
        self.choices.put(sender, rendered.choices)
        if rendered.full_text:
            self.full_texts.put(sender, rendered.full_text)
        wanted = any(isinstance(r.get("custom"), dict) and "handoff" in r["custom"] for r in replies
                     if isinstance(r, dict))
        if self.handoffs is not None and self.settings.template_reminder:
            from .wechat_reminders import handle_replies

            try:  # a booking's ticket, 到时提醒我 / 不用提醒了
                wanted = await asyncio.to_thread(handle_replies, self.handoffs(), sender,
                                                 [r for r in replies if isinstance(r, dict)]) or wanted
            except Exception as error:
                log.warning("wechat: reminder store unavailable: %s", type(error).__name__)
        if wanted:
            await self.bind(sender, openid)
        if any(is_held(reply) for reply in replies):  # kept for staff at Rasa's gate: the waiting note, or nothing while they answer
            return rendered.outs
        return rendered.outs or [Out(text=busy_text(self.hotline))]

    # -- hand-off --------------------------------------------------------------------------
    async def bind(self, sender: str, openid: str) -> None:
        """Where staff replies go: the follower's openid, sealed (``wechat_followers``, never in clear)."""
        if self.handoffs is None:
            return
        try:
            await asyncio.to_thread(remember_follower, self.handoffs(), sender, openid)
        except Exception as error:
            log.warning("wechat: hand-off store unavailable: %s", type(error).__name__)

    async def relay_staff_messages(self) -> int:
        """Staff messages for WeChat followers, out through the customer-service API; how many."""
        if self.handoffs is None:
            return 0
        store = self.handoffs()
        items = await asyncio.to_thread(lambda: store.outbox(channel="wechat"))
        for item in items:
            openid = await asyncio.to_thread(openid_of, store, item["sender"])
            if not openid:
                log.warning("wechat: a staff message for case %s has no follower to go to", item.get("case_no"))
                continue
            text = item.get("text") or ""
            buttons = [b for b in item.get("buttons") or () if isinstance(b, dict)]
            if buttons:
                listed, payloads = numbered(buttons)
                self.choices.put(item["sender"], payloads)
                text = f"{text}\n{listed}"
            await self.deliver(item["sender"], openid, [Out(text=piece) for piece in split_text(text)])
        return len(items)

    async def send_reminders(self, now: Optional[Any] = None,
                             lookup: Optional[Callable[[str], Any]] = None) -> int:
        """One pass of the reminders owed (bot/channels/wechat_reminders.py); how many went out."""
        if self.handoffs is None or not self.settings.template_reminder:
            return 0
        import functools

        from bot.platform import clock
        from bot.reminders import appointments_lookup

        from .wechat_reminders import send_due

        store = self.handoffs()

        async def send(sender: str, fields: dict[str, Any]) -> bool:
            openid = await asyncio.to_thread(openid_of, store, sender)
            return bool(openid) and await self.api.send_template(openid, self.settings.template_reminder, fields)

        return await send_due(store, send, lookup or functools.partial(appointments_lookup, url=store.url),
                              now or clock.local_now(clock.env_clock()))

    async def reminder_loop(self) -> None:
        while True:
            try:
                await self.send_reminders()
            except Exception as error:
                log.warning("wechat: reminder pass failed: %s", type(error).__name__)
            await asyncio.sleep(self.settings.reminder_interval_s)

    async def staff_relay_loop(self) -> None:
        while True:
            try:
                await self.relay_staff_messages()
            except Exception as error:
                log.warning("wechat: staff messages not relayed: %s", type(error).__name__)
            await asyncio.sleep(self.settings.handoff_poll_s)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()


WECHAT: web.AppKey[Optional[WechatChannel]] = web.AppKey("wechat", object)  # type: ignore[arg-type]


def setup(app: web.Application, channel: WechatChannel) -> None:
    """The two routes, and the loop that passes staff replies on (when the API is configured)."""
    app[WECHAT] = channel
    app.router.add_get("/wechat", channel.verify)
    app.router.add_post("/wechat", channel.receive)

    async def lifetime(app: web.Application):
        loops = [asyncio.ensure_future(channel.staff_relay_loop())] if channel.settings.appid else []
        if channel.settings.appid and channel.settings.template_reminder:
            loops.append(asyncio.ensure_future(channel.reminder_loop()))
        yield
        for loop in loops:
            loop.cancel()
        await channel.close()

    app.cleanup_ctx.append(lifetime)
