"""The bridge: Telegram updates to Rasa's REST channel and back, reminders, hand-offs."""
from __future__ import annotations

import asyncio
import html
import base64
import binascii
import collections
import contextlib
import datetime as dt
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Iterable, Optional

from telegram import (BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update)
from telegram.constants import ChatType, MessageLimit
from telegram.error import Forbidden, TelegramError
from telegram.ext import (Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler,
                          ContextTypes, MessageHandler, TypeHandler, filters)

from bot.platform.ratelimit import RateLimiter, default_limiter
# What a reminder knows of a booking, and where it is looked up: shared with WeChat.
from bot.reminders import BookingLookup, Clock, TelegramBookings, appointments_lookup

from ..rasa_client import RasaClient, RasaUnavailable
from ..texts import PRIVATE_ONLY_TEXT, busy_text, too_many_messages_text

log = logging.getLogger("juzhu.telegram")
from .payloads import CallbackPayloads
from .reminders import default_clock, reminder_text
from .settings import Settings
from .texts import (BUTTONS_ONLY_TEXT, CHOSEN_TEXT, EXPIRED_BUTTON_TEXT, HELP_TEXT, NOT_TEXT, RESET_TEXT, RESTART,
                    START_TEXT, UNKNOWN_COMMAND_TEXT, sender_id)


# --- the bridge --------------------------------------------------------------------------

def _decode_base64(data: str) -> bytes:
    data = data.strip()
    if data.startswith("data:"):
        header, _, data = data.partition(",")
        if ";base64" not in header:
            from urllib.parse import unquote_to_bytes

            return unquote_to_bytes(data)
    return base64.b64decode("".join(data.split()), validate=True)


def _booking_code(value: Any) -> Optional[str]:
    """A booking code in its canonical form, or None when ``value`` is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        from bot.appointments.validation import BookingRefused, normalise_code
    except ImportError:  # pragma: no cover - the store is part of the project
        return value.strip().upper()
    try:
        return normalise_code(value)
    except BookingRefused:
        return None


def readback_cards(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the assistant understood (custom.readback, sent by Rasa as an element of its own
    after the text and buttons) as one card: a bold title, one line per fact, the buttons."""
    out: list[dict[str, Any]] = []
    for reply in replies:
        custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else {}
        readback = custom.get("readback") if isinstance(custom.get("readback"), dict) else None
        lines = readback.get("lines") if readback else None
        if isinstance(lines, list) and not reply.get("text") and out and out[-1].get("text") \
                and not out[-1].get("custom"):
            rows = []
            for line in lines:
                label, _, value = str(line).partition("：")
                rows.append(f"• {html.escape(label)}：<b>{html.escape(value)}</b>")
            card = "<b>请核对，我理解的是：</b>\n" + "\n".join(rows) + "\n对吗？"
            out[-1] = {**out[-1], "custom": custom, "html": card}
            continue
        out.append(reply)
    return out


def _split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line ends when possible."""
    pieces: list[str] = []
    text = text.strip("\n")
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip("\n"))
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return [piece for piece in pieces if piece.strip()]


# How many groups the bridge remembers having told to chat privately (the note goes once per group).
PRIVATE_NOTES_KEPT = 10_000


@dataclass
class TelegramBridge:
    settings: Settings
    lookup: BookingLookup = appointments_lookup
    clock: Clock = default_clock
    payloads: CallbackPayloads = field(default_factory=CallbackPayloads)
    limiter: Optional[RateLimiter] = None  # default: the process's bot.platform.ratelimit.default_limiter()
    handoff_store: Optional[Callable[[], Any]] = None  # default: bot.handoff.HandoffService on DATABASE_URL

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = default_limiter()
        self.rasa: Optional[RasaClient] = None
        # chat id -> time.monotonic() until which the chat has been told it is over the rate limit
        self._limited_until: dict[int, float] = {}
        self._told_private: "collections.OrderedDict[int, None]" = collections.OrderedDict()
        self.state = TelegramBookings()  # which chat booked which code (the one database)
        self._chat_locks: "weakref.WeakValueDictionary[int, asyncio.Lock]" = weakref.WeakValueDictionary()
        self._reminder_lock = asyncio.Lock()
        self._reminder_task: Optional[asyncio.Task] = None
        self._use_job_queue = True
        from .handoffs import TelegramHandoffs  # staff replies and held messages (issue 11)

        self.handoffs = TelegramHandoffs(self.handoff_store)
        self._handoff_task: Optional[asyncio.Task] = None
        self._endorsements: Any = None  # bot.reminders.EndorsementReminders, made on first use

    def endorsements(self) -> Any:
        """The yearly 签注 reminders (bot/reminders.py) on the appointments database."""
        if self._endorsements is None:
            from bot.reminders import EndorsementReminders

            self._endorsements = EndorsementReminders()
        return self._endorsements

    # -- wiring --

    def build_application(self, *, job_queue: bool = True) -> Application:
        builder = (Application.builder().token(self.settings.token)
                   .concurrent_updates(True)
                   .post_init(self.post_init).post_shutdown(self.post_shutdown))
        if self.settings.api_base_url:
            builder = builder.base_url(self.settings.api_base_url)
            if self.settings.api_base_file_url:
                builder = builder.base_file_url(self.settings.api_base_file_url)
        self._use_job_queue = job_queue
        if not job_queue:
            builder = builder.job_queue(None)
        app = builder.build()
        app.bot_data["juzhu_bridge"] = self
        # Before every other handler: private chats only, and the per-chat rate limit.
        app.add_handler(TypeHandler(Update, self.gate), group=-1)
        new = filters.UpdateType.MESSAGE  # edited messages are not sent again
        app.add_handler(CommandHandler("start", self.on_start, filters=new))
        app.add_handler(CommandHandler("help", self.on_help, filters=new))
        app.add_handler(CommandHandler("reset", self.on_reset, filters=new))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(new & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(new & ~filters.StatusUpdate.ALL, self.on_other))
        app.add_error_handler(self.on_error)
        return app

    async def post_init(self, app: Application) -> None:
        s = self.settings
        self.rasa = RasaClient(s.rasa_url, timeout=s.rasa_timeout, retries=s.rasa_retries, backoff=s.rasa_backoff)
        await asyncio.to_thread(self.state.open)
        try:
            await app.bot.set_my_commands([
                BotCommand("start", "介绍"), BotCommand("help", "我能做什么"),
                BotCommand("reset", "清除对话，重新开始")])
        except TelegramError as error:
            log.warning("could not set the command menu: %s", error)
        if self._use_job_queue and app.job_queue is not None:
            app.job_queue.run_repeating(self._reminder_job, interval=s.reminder_interval, first=0,
                                        name="juzhu-reminders")
            log.info("reminders: every %.0f s on the JobQueue", s.reminder_interval)
        else:
            self._reminder_task = asyncio.get_running_loop().create_task(self._reminder_loop(app))
            log.info("reminders: every %.0f s on an asyncio task", s.reminder_interval)

        self._handoff_task = asyncio.get_running_loop().create_task(
            self.handoffs.loop(lambda chat_id, reply: self.deliver(app.bot, chat_id, [reply])))

    async def post_shutdown(self, app: Application) -> None:
        if self._handoff_task is not None:
            self._handoff_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._handoff_task
            self._handoff_task = None
        if self._reminder_task is not None:
            self._reminder_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reminder_task
            self._reminder_task = None
        if self.rasa is not None:
            await self.rasa.close()
            self.rasa = None

    def _chat_lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self._chat_locks[chat_id] = lock
        return lock

    @property
    def busy_text(self) -> str:
        return busy_text(self.settings.hotline)

    # -- the gate: who may talk to the bridge, how often --

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before the handlers; raises ``ApplicationHandlerStop`` for an update that
        must go no further: one from a group or channel, or one over the chat's rate limit."""
        chat = update.effective_chat
        if chat is None:
            return
        if chat.type != ChatType.PRIVATE:
            await self._not_private(update, context.bot, chat)
            raise ApplicationHandlerStop
        decision = self.limiter.hit("messages", "telegram", str(chat.id))
        if not decision.allowed:
            await self._over_limit(update, context.bot, chat.id, decision.retry_after_s)
            raise ApplicationHandlerStop

    @staticmethod
    async def _answer_quietly(update: Update) -> None:
        """Stops the spinner of a button tap that is dropped."""
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()

    async def _not_private(self, update: Update, bot: Any, chat: Any) -> None:
        await self._answer_quietly(update)
        if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP) or chat.id in self._told_private:
            return  # a channel gets nothing; a group its one note
        self._told_private[chat.id] = None
        while len(self._told_private) > PRIVATE_NOTES_KEPT:
            self._told_private.popitem(last=False)
        log.info("a group wrote to the bot; not relayed, the group was asked to chat privately")
        with contextlib.suppress(TelegramError):
            await bot.send_message(chat.id, PRIVATE_ONLY_TEXT)

    async def _over_limit(self, update: Update, bot: Any, chat_id: int, retry_after_s: int) -> None:
        await self._answer_quietly(update)
        now = time.monotonic()
        if now < self._limited_until.get(chat_id, 0.0):
            return  # told already in this window: the rest of the flood is dropped silently
        for known, until in list(self._limited_until.items()):  # forget windows that are over
            if until <= now:
                del self._limited_until[known]
        self._limited_until[chat_id] = now + max(1, retry_after_s)
        log.info("a chat is over the message rate limit; not relayed for %d s", retry_after_s)
        with contextlib.suppress(TelegramError):
            await bot.send_message(chat_id, too_many_messages_text(self.settings.hotline))

    # -- handlers --

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(update.effective_chat.id, START_TEXT)

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(update.effective_chat.id, HELP_TEXT)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(update.effective_chat.id, UNKNOWN_COMMAND_TEXT)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is not None and update.effective_message is not None:
            await context.bot.send_message(update.effective_chat.id, NOT_TEXT)

    async def on_reset(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        async with self._chat_lock(chat_id):
            self.payloads.forget(chat_id)  # "/restart" also ends an open hand-off, at Rasa's gate
            try:
                replies = await self._rasa().send(sender_id(chat_id), "/restart")
            except RasaUnavailable as error:
                log.warning("reset for a chat failed: %s", error)
                await context.bot.send_message(chat_id, self.busy_text)
                return
            await context.bot.send_message(chat_id, RESET_TEXT)
            await self.deliver(context.bot, chat_id, replies)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        async with self._chat_lock(chat_id):
            await self.relay(context.bot, chat_id, update.effective_message.text)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat_id = query.message.chat.id if query.message else query.from_user.id
        data = query.data or ""
        payload = self.payloads.decode(chat_id, data)
        try:
            await query.answer()
        except TelegramError as error:  # too old to answer: the tap still counts
            log.info("could not answer a callback query: %s", error)
        if payload is None:
            await context.bot.send_message(chat_id, EXPIRED_BUTTON_TEXT)
            return
        title = self._button_title(query, data)
        async with self._chat_lock(chat_id):
            if title:
                await context.bot.send_message(chat_id, CHOSEN_TEXT.format(title=title))
            await self.relay(context.bot, chat_id, payload)

    @staticmethod
    def _button_title(query: Any, data: str) -> Optional[str]:
        markup = getattr(query.message, "reply_markup", None) if query.message else None
        for row in getattr(markup, "inline_keyboard", None) or ():
            for button in row:
                if button.callback_data == data:
                    return button.text
        return None

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if isinstance(error, TelegramError):  # Telegram itself failed: one line, nothing to send
            log.warning("Telegram error while handling an update: %s: %s", type(error).__name__, error)
            return
        log.error("error while handling an update: %s: %s", type(error).__name__, error, exc_info=error)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None:  # the user gets the busy line, never the error
            with contextlib.suppress(Exception):
                await context.bot.send_message(chat.id, self.busy_text)

    # -- Rasa <-> Telegram --

    def _rasa(self) -> RasaClient:
        if self.rasa is None:  # handlers used without post_init (e.g. process_update in tests)
            s = self.settings
            self.rasa = RasaClient(s.rasa_url, timeout=s.rasa_timeout, retries=s.rasa_retries,
                                   backoff=s.rasa_backoff)
        return self.rasa

    async def relay(self, bot: Any, chat_id: int, text: str) -> None:
        # While a person has the conversation, Rasa's gate keeps the message for staff (bot/handoff/hold.py).
        try:
            replies = await self._rasa().send(sender_id(chat_id), text)
        except RasaUnavailable as error:
            log.warning("Rasa unavailable, told the chat to retry later: %s", error)
            await bot.send_message(chat_id, self.busy_text)
            return
        if not replies and text != RESTART:
            # What Rasa 3.6 answers when the action server is down (it logs the failure, sends []).
            log.warning("Rasa answered nothing (is the action server down?); told the chat to retry later")
            await bot.send_message(chat_id, self.busy_text)
            return
        if any(isinstance(r.get("custom"), dict) and "handoff" in r["custom"] for r in replies):
            await self.handoffs.bind(sender_id(chat_id), chat_id)  # where staff replies go
        await self.deliver(bot, chat_id, replies)

    async def deliver(self, bot: Any, chat_id: int, replies: Iterable[dict[str, Any]]) -> None:
        for reply in readback_cards(list(replies)):
            try:
                await self._deliver_one(bot, chat_id, reply)
            except Forbidden:
                log.info("a chat blocked the bot; dropping the rest of the reply")
                return
            except TelegramError as error:
                log.warning("could not deliver a reply element to Telegram: %s", error)

    async def _deliver_one(self, bot: Any, chat_id: int, reply: dict[str, Any]) -> None:
        custom = reply.get("custom") if isinstance(reply.get("custom"), dict) else {}
        if isinstance(custom.get("readback"), dict) and reply.get("html"):
            markup = self.keyboard(chat_id, reply.get("buttons") or [])
            await bot.send_message(chat_id, reply["html"], parse_mode="HTML", reply_markup=markup)
            return
        # The kiosk's custom keys (text, buttons, qr/image, code, caption) work here too.
        text = reply.get("text") or (custom.get("text") if isinstance(custom.get("text"), str) else None)
        buttons = reply.get("buttons") or custom.get("buttons") or []
        markup = self.keyboard(chat_id, buttons) if isinstance(buttons, list) and buttons else None
        if text or markup:
            pieces = _split_text(str(text)) if text else []
            if not pieces and markup is not None:
                pieces = [BUTTONS_ONLY_TEXT]
            for index, piece in enumerate(pieces):
                last = index == len(pieces) - 1
                await bot.send_message(chat_id, piece, reply_markup=markup if last else None)
        image = reply.get("image") or custom.get("qr") or custom.get("image")
        photo_caption: Optional[str] = None
        if isinstance(image, str) and image.strip():
            code = _booking_code(custom.get("code"))
            caption = custom.get("caption")
            photo_caption = f"预约码：{code}" if code else str(caption) if caption else None
            await self._send_photo(bot, chat_id, image.strip(), photo_caption)
        attachment = reply.get("attachment")
        if isinstance(attachment, str) and attachment.startswith(("http://", "https://")):
            await bot.send_document(chat_id, attachment)
        if custom:
            await self._deliver_custom(bot, chat_id, custom, caption_used=photo_caption is not None)

    def keyboard(self, chat_id: int, buttons: list[Any]) -> Optional[InlineKeyboardMarkup]:
        keys: list[InlineKeyboardButton] = []
        for button in buttons:
            if not isinstance(button, dict):
                continue
            title = str(button.get("title") or button.get("payload") or "").strip()
            if not title:
                continue
            url = button.get("url")
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                keys.append(InlineKeyboardButton(title, url=url))
                continue
            payload = str(button.get("payload") or title)
            keys.append(InlineKeyboardButton(title, callback_data=self.payloads.encode(chat_id, payload)))
        if not keys:
            return None
        longest = max(len(key.text) for key in keys)
        per_row = 3 if longest <= 4 else 2 if longest <= 8 else 1
        rows = [keys[i:i + per_row] for i in range(0, len(keys), per_row)]
        return InlineKeyboardMarkup(rows)

    async def _send_photo(self, bot: Any, chat_id: int, image: str, caption: Optional[str] = None) -> None:
        caption = caption[:MessageLimit.CAPTION_LENGTH] if caption else None
        if image.startswith("data:"):
            try:
                photo: Any = _decode_base64(image)
            except (binascii.Error, ValueError):
                log.warning("an image in a Rasa reply is not valid base64; skipped")
                return
            await bot.send_photo(chat_id, photo, caption=caption, filename="image.png")
        elif image.startswith(("http://", "https://")):
            await bot.send_photo(chat_id, image, caption=caption)
        else:
            log.warning("an image in a Rasa reply is neither a URL nor a data: URL; skipped")

    async def _deliver_custom(self, bot: Any, chat_id: int, custom: dict[str, Any], *,
                              caption_used: bool = False) -> None:
        booking = custom.get("booking")
        code = _booking_code(booking.get("code") if isinstance(booking, dict) else custom.get("code"))
        if code:
            await asyncio.to_thread(self.state.remember, code, chat_id, self.clock())
            log.info("remembered a booking for reminders")
        if "endorsement_reminder" in custom:  # the 签注 reminder asked for, or "不用提醒了"
            done = await asyncio.to_thread(lambda: self.endorsements().handle_custom(chat_id, custom))
            log.info("endorsement reminder: %s", done)
        for key, default_name in (("ics", "juzhu.ics"), ("document", "document")):
            content = custom.get(key)
            if not isinstance(content, str) or not content.strip():
                continue
            filename = str(custom.get("filename") or default_name)
            caption = custom.get("caption") if not caption_used else None
            caption = str(caption)[:MessageLimit.CAPTION_LENGTH] if caption else None
            content = content.lstrip()
            if content.startswith(("http://", "https://")):
                await bot.send_document(chat_id, content.strip(), filename=filename, caption=caption)
                continue
            if content.startswith("BEGIN:"):  # the file itself, not base64: sent as it is
                data = content.encode("utf-8")
            else:
                try:
                    data = _decode_base64(content)
                except (binascii.Error, ValueError):
                    log.warning("a %s in a Rasa reply is not valid base64; skipped", key)
                    continue
            await bot.send_document(chat_id, data, filename=filename, caption=caption)

    # -- reminders --

    async def _reminder_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.send_reminders(context.bot)

    async def _reminder_loop(self, app: Application) -> None:
        while True:
            await self.send_reminders(app.bot)
            await asyncio.sleep(self.settings.reminder_interval)

    async def send_reminders(self, bot: Any) -> int:
        """One pass: remind every known chat of tomorrow's active booking,
        once. Returns how many reminders were sent. Never raises."""
        if self._reminder_lock.locked():
            return 0
        async with self._reminder_lock:
            sent = 0
            try:
                sent += await self._send_reminders(bot)
            except Exception as error:  # the store or the file failed: try next round
                log.warning("reminder pass failed: %s: %s", type(error).__name__, error)
            now = self.clock()
            if self.settings.reminder_hours[0] <= now.hour < self.settings.reminder_hours[1]:
                try:
                    from bot.reminders import send_due

                    sent += await send_due(self.endorsements(), bot, now, self.keyboard)
                except Exception as error:
                    log.warning("endorsement reminder pass failed: %s: %s", type(error).__name__, error)
            return sent

    async def _send_reminders(self, bot: Any) -> int:
        now = self.clock()
        tomorrow = now.date() + dt.timedelta(days=1)
        first_hour, last_hour = self.settings.reminder_hours
        in_hours = first_hour <= now.hour < last_hour
        sent = 0
        for code, chat_id, reminded_for in await asyncio.to_thread(self.state.known):
            booking = await asyncio.to_thread(self.lookup, code)
            if booking is None or not booking.active or booking.start.date() < now.date():
                await asyncio.to_thread(self.state.forget, code)
                continue
            if (booking.start.date() != tomorrow or not in_hours
                    or reminded_for == booking.start):
                continue
            try:
                await bot.send_message(chat_id, reminder_text(booking))
            except Forbidden:
                log.info("a chat blocked the bot; its reminder is dropped")
                await asyncio.to_thread(self.state.forget, code)
                continue
            except TelegramError as error:
                log.warning("could not send a reminder (will retry): %s", error)
                continue
            await asyncio.to_thread(self.state.mark_reminded, code, booking.start)
            sent += 1
        if sent:
            log.info("sent %d reminder(s)", sent)
        return sent


def build_application(settings: Settings, *, lookup: Optional[BookingLookup] = None,
                      clock: Optional[Clock] = None, job_queue: bool = True,
                      limiter: Optional[RateLimiter] = None,
                      handoff_store: Optional[Callable[[], Any]] = None) -> Application:
    """The bridge as a PTB ``Application``; ``run_polling()`` it, or use :func:`running`.
    ``limiter``: the rate limiter (default the process's :func:`bot.platform.ratelimit.default_limiter`)."""
    bridge = TelegramBridge(settings, lookup=lookup or appointments_lookup, clock=clock or default_clock,
                            limiter=limiter, handoff_store=handoff_store)
    return bridge.build_application(job_queue=job_queue)


@contextlib.asynccontextmanager
async def running(app: Application, *, poll_timeout: float = 10.0) -> AsyncIterator[Application]:
    """Runs ``app`` (long polling) inside an existing event loop, like
    ``run_polling`` does in its own: initialize, post_init, polling, start;
    and the reverse on exit."""
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.updater.start_polling(poll_interval=0.0, timeout=dt.timedelta(seconds=poll_timeout),
                                        allowed_updates=["message", "callback_query"])
        await app.start()
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
