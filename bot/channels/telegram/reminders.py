"""The day-before reminder: its text and the clock it runs on."""
from __future__ import annotations

import datetime as dt
import logging


# What a reminder knows of a booking, and where it is looked up: shared with WeChat.
from bot.reminders import BookingInfo


from bot.platform.dates import month_day

log = logging.getLogger("juzhu.telegram")




def default_clock() -> dt.datetime:
    """Now, naive Shanghai wall-clock time (``JUZHU_NOW`` fixes it)."""
    from bot.platform.clock import env_clock, local_now

    return local_now(env_clock())


def reminder_text(booking: BookingInfo) -> str:
    text = (f"温馨提醒：明天（{month_day(booking.start)}）{booking.start:%H:%M} "
            f"您预约了{booking.station}办理居住证，预约码 {booking.code}。")
    if booking.address:
        text += f"\n地址：{booking.address}"
    text += "\n请带好身份证和相关材料按时前往。如需取消，请回复“取消预约”。"
    return text
