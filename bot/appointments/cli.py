"""`juzhu` commands of the appointment store (CONTRACT.md section 4).

    juzhu stations [--city C] [--json]
    juzhu stations import FILE.csv [--remove-samples]
    juzhu slots --station ID --date YYYY-MM-DD [--json]
    juzhu book --station ID --start 'YYYY-MM-DD HH:MM' --name N --phone P [--party N]
               [--member RELATION[:NAME] ...] [--json]     one visit for N applicants (N seats)
    juzhu cancel CODE --phone P [--json]
    juzhu booking CODE --phone P [--json]            look up (code + phone)
    juzhu booking --phone P [--json]                 how many active bookings P has
    juzhu reschedule CODE --phone P --start '…' [--station ID] [--json]
    juzhu bookings --station ID --date YYYY-MM-DD [--json | --csv]   staff view
    juzhu mark CODE attended|no_show [--json]        staff
    juzhu closed-day --date YYYY-MM-DD --reason R [--station ID]     staff

Exit codes: 0 done; 1 refused for a business reason (the Chinese reason on
stderr; with --json also ``{"refused": code, "reason": …}`` on stdout);
2 bad input (one English line per problem naming the argument).

``juzhu bookings`` shows applicants' phone numbers in full: it is the staff's
own tool (they call applicants about closures). Everything an applicant can
call (book, cancel, booking) shows phones masked, and logs always mask them;
a booking's details need its code and its phone, a phone alone gives only
the number of its active bookings.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from pathlib import Path
from typing import Any

from bot.platform.errors import EXIT_BAD_INPUT, EXIT_OK, BadInput, Refused

from .stations import StationFileError, read_station_file, remove_samples, upsert_stations

# Refusals that are bad input (exit 2), with the argument they concern.
_BAD_INPUT = {
    "bad_phone": "--phone: not a mainland China mobile number (e.g. 13812345678, +86 138 1234 5678)",
    "bad_name": "--name: give 1 to 20 characters, without control characters",
    "bad_code": "CODE: a booking code is 6 characters from 2-9 and A-Z without I, L, O",
    "bad_party": "--party/--member: 1 to 5 applicants; at most N-1 --member (spouse, child, parent, other)",
}
# --member RELATION[:NAME]: the relation in English or Chinese.
_RELATIONS = {"spouse": "spouse", "配偶": "spouse", "妻子": "spouse", "丈夫": "spouse",
              "child": "child", "子女": "child", "孩子": "child", "儿子": "child", "女儿": "child",
              "parent": "parent", "父母": "parent", "父亲": "parent", "母亲": "parent",
              "other": "other", "其他": "other"}
RELATION_ZH = {"spouse": "配偶", "child": "子女", "parent": "父母", "other": "其他亲属"}


def _party(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 5:
        raise argparse.ArgumentTypeError(f"expected a number of applicants from 1 to 5, got {text!r}")
    return int(text)


def _member(text: str) -> tuple[str, "str | None"]:
    relation, _, name = text.partition(":")
    key = _RELATIONS.get(relation.strip().lower())
    if key is None:
        raise argparse.ArgumentTypeError(
            f"expected RELATION[:NAME] with RELATION one of spouse, child, parent, other, got {text!r}")
    return key, (name.strip() or None)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _start(text: str) -> dt.datetime:
    from .results import parse_start

    try:
        return parse_start(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time 'YYYY-MM-DD HH:MM': {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("stations", help="list the stations (or: stations import FILE.csv)",
                              description="List the stations where one can book a visit.")
    p.add_argument("--city", help="a city id, e.g. liaocheng or qujing")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_stations)
    sub = p.add_subparsers(dest="stations_action", metavar="import")
    imp = sub.add_parser("import", help="load or update stations from a CSV file",
                         description="Load stations from a CSV file (columns: id,name,city,county,"
                                     "address,phone,hours[,slot_minutes,seats_per_slot,sample]). "
                                     "A bad row is reported by line number and nothing is imported; "
                                     "existing ids are updated.")
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument("--remove-samples", action="store_true",
                     help="also delete the sample stations that are not in the file "
                          "(those with bookings are kept and reported)")
    imp.add_argument("--json", action="store_true", help="print JSON")
    imp.set_defaults(handler=cmd_stations_import)

    p = subparsers.add_parser("slots", help="the slots of a day at a station")
    p.add_argument("--station", required=True, metavar="ID")
    p.add_argument("--date", required=True, type=_date, metavar="YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_slots)

    p = subparsers.add_parser("book", help="book one seat")
    p.add_argument("--station", required=True, metavar="ID")
    p.add_argument("--start", required=True, type=_start, metavar="'YYYY-MM-DD HH:MM'")
    p.add_argument("--name", required=True)
    p.add_argument("--phone", required=True)
    p.add_argument("--party", type=_party, default=None, metavar="N",
                   help="applicants of this visit, the booker included (1-5; default 1 + the --member count)")
    p.add_argument("--member", type=_member, action="append", default=[], metavar="RELATION[:NAME]",
                   help="a family member who comes along (spouse, child, parent, other; name optional)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_book)

    p = subparsers.add_parser("cancel", help="cancel a booking (code + phone)")
    p.add_argument("code", metavar="CODE")
    p.add_argument("--phone", required=True)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_cancel)

    p = subparsers.add_parser("booking", help="look up a booking (code + phone; a phone alone: how many)")
    p.add_argument("code", metavar="CODE", nargs="?")
    p.add_argument("--phone", required=True)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_booking)

    p = subparsers.add_parser("reschedule", help="move a booking to another time (code + phone)")
    p.add_argument("code", metavar="CODE")
    p.add_argument("--phone", required=True)
    p.add_argument("--start", required=True, type=_start, metavar="'YYYY-MM-DD HH:MM'")
    p.add_argument("--station", metavar="ID", help="another station (default: the same)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_reschedule)

    p = subparsers.add_parser("bookings", help="staff: the bookings of a day at a station")
    p.add_argument("--station", required=True, metavar="ID")
    p.add_argument("--date", required=True, type=_date, metavar="YYYY-MM-DD")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument("--csv", action="store_true", help="print CSV")
    p.set_defaults(handler=cmd_bookings)

    p = subparsers.add_parser("mark", help="staff: mark a booking attended or no_show")
    p.add_argument("code", metavar="CODE")
    p.add_argument("status", choices=("attended", "no_show"))
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_mark)

    p = subparsers.add_parser("closed-day", help="staff: close one station (or all) on a day")
    p.add_argument("--date", required=True, type=_date, metavar="YYYY-MM-DD")
    p.add_argument("--reason", required=True)
    p.add_argument("--station", metavar="ID", help="default: every station")
    p.set_defaults(handler=cmd_closed_day)


# --- helpers ----------------------------------------------------------------------------

def _service(*, seed: bool = True):
    """The service on DATABASE_URL (schema upgraded; the sample stations
    seeded when there are none, unless ``seed`` is False)."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.platform.clock import env_clock
    from .db import database_url, display_url, ensure_schema
    from .service import AppointmentService

    try:
        clock = env_clock()
    except ValueError as error:
        raise BadInput(str(error)) from None
    url = database_url()
    try:
        ensure_schema(url, seed=seed)
        return AppointmentService(url, clock=clock, ensure=False)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise BadInput(f"DATABASE_URL: cannot open the database {display_url(url)}: {reason}") from None


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _refuse(error, args: argparse.Namespace, station_arg: str = "--station") -> None:
    """A BookingRefused → BadInput (exit 2) or Refused (exit 1)."""
    if error.code == "unknown_station":
        value = getattr(args, "station", None) or ""
        raise BadInput(f"{station_arg}: unknown station {value!r} (list them with `juzhu stations`)")
    if error.code in _BAD_INPUT:
        raise BadInput(_BAD_INPUT[error.code])
    message = error.reason
    if error.alternatives:
        message += "\n最近的空闲时段：" + "、".join(slot.start.strftime("%m-%d %H:%M")
                                             for slot in error.alternatives)
    if getattr(args, "json", False):
        _print_json({"refused": error.code, "reason": error.reason,
                     "alternatives": [slot.to_dict() for slot in error.alternatives]})
    raise Refused(message)


def _booking_text(booking, title: str) -> str:
    from bot.platform.masking import mask_phone

    status = {"booked": "有效", "cancelled": "已取消", "attended": "已办理", "no_show": "未到场"}
    return "\n".join([
        title,
        f"预约码：{booking.code}",
        f"办理点：{booking.station_name}（{booking.station_id}）",
        f"地址：{booking.station_address}",
        f"电话：{booking.station_phone}",
        f"时间：{booking.label}–{booking.end:%H:%M}",
        f"姓名：{booking.name}　手机：{mask_phone(booking.phone)}",
        f"人数：{booking.party}" + ("（" + "、".join(
            RELATION_ZH.get(m.relation, m.relation) + (f" {m.name}" if m.name else "")
            for m in booking.members) + "）" if booking.members else ""),
        f"状态：{status.get(booking.status, booking.status)}",
    ])


# --- commands ----------------------------------------------------------------------------

def cmd_stations(args: argparse.Namespace) -> int:
    service = _service()
    if args.city:
        known = service.cities()
        if args.city not in known:
            raise BadInput(f"--city: unknown city {args.city!r} (one of {', '.join(known)})")
    stations = service.stations(city=args.city)
    if args.json:
        _print_json([station.to_dict() for station in stations])
        return EXIT_OK
    for station in stations:
        sample = "（示例数据）" if station.sample else ""
        print(f"{station.id}\t{station.name}{sample}\n\t{station.county}　{station.address}　"
              f"电话 {station.phone}\n\t{station.hours_text}，每{station.slot_minutes}分钟"
              f"{station.seats_per_slot}个名额")
    if not stations:
        print("没有办理点。", file=sys.stderr)
    return EXIT_OK


def cmd_stations_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise BadInput(f"FILE.csv: no such file: {args.file}")
    try:
        rows = read_station_file(path)
    except StationFileError as error:
        for problem in error.errors:
            print(f"juzhu stations import: {path.name} {problem}", file=sys.stderr)
        print(f"juzhu stations import: nothing imported ({len(error.errors)} problem(s))", file=sys.stderr)
        return EXIT_BAD_INPUT
    service = _service(seed=False)  # an imported list replaces the seed, it does not join it
    with service._write_engine.connect() as connection, connection.begin():
        inserted, updated = upsert_stations(connection, rows, service.now())
        removed, kept = (remove_samples(connection, keep={row.id for row in rows})
                         if args.remove_samples else ([], []))
    if args.json:
        _print_json({"imported": len(rows), "inserted": inserted, "updated": updated,
                     "removed_samples": removed, "kept_samples": kept})
    else:
        print(f"imported {len(rows)} station(s): {inserted} new, {updated} updated")
        if removed:
            print(f"removed {len(removed)} sample station(s): {', '.join(removed)}")
    if kept:
        print(f"kept sample station(s) that have bookings: {', '.join(kept)}", file=sys.stderr)
    return EXIT_OK


def cmd_slots(args: argparse.Namespace) -> int:
    from .validation import BookingRefused

    service = _service()
    try:
        station = service.station(args.station)
        slots = service.slots(station.id, args.date)
        closed = service.closed_reason(station.id, args.date)
    except BookingRefused as error:
        _refuse(error, args)
    if closed:
        print(f"{args.date.isoformat()} {station.name}不办理：{closed}", file=sys.stderr)
    if args.json:
        _print_json([slot.to_dict() for slot in slots])
        return EXIT_OK
    if slots:
        print(f"{station.name} {slots[0].label.split(' ')[0]}")
    for slot in slots:
        note = "" if slot.bookable else ("（已满）" if slot.remaining == 0 else "（不可预约）")
        print(f"{slot.start:%H:%M}-{slot.end:%H:%M}\t剩余 {slot.remaining}/{slot.capacity}{note}")
    return EXIT_OK


def cmd_book(args: argparse.Namespace) -> int:
    from .validation import BookingRefused

    service = _service()
    try:
        party = args.party if args.party is not None else 1 + len(args.member)
        booking = service.book(args.station, args.start, args.name, args.phone,
                               party=party, members=tuple(args.member))
    except BookingRefused as error:
        _refuse(error, args)
    if args.json:
        _print_json(booking.to_dict())
    else:
        print(_booking_text(booking, "预约成功"))
    return EXIT_OK


def cmd_cancel(args: argparse.Namespace) -> int:
    from .validation import BookingRefused

    service = _service()
    try:
        booking = service.cancel(args.code, args.phone)
    except BookingRefused as error:
        _refuse(error, args)
    if args.json:
        _print_json(booking.to_dict())
    else:
        print(_booking_text(booking, "预约已取消"))
    return EXIT_OK


def cmd_booking(args: argparse.Namespace) -> int:
    from .validation import BookingRefused

    service = _service()
    try:
        if args.code:
            booking = service.find(args.code, args.phone)
        else:
            count = service.count_active_by_phone(args.phone)
    except BookingRefused as error:
        _refuse(error, args)
    if args.code:
        if args.json:
            _print_json(booking.to_dict())
        else:
            print(_booking_text(booking, "预约信息"))
    elif args.json:
        _print_json({"active_bookings": count})
    elif count:
        print(f"该号码有{count}个有效预约，请提供预约码。")
    else:
        print("这个手机号码没有未办理的有效预约。")
    return EXIT_OK


def cmd_reschedule(args: argparse.Namespace) -> int:
    from .validation import BookingRefused

    service = _service()
    try:
        booking = service.reschedule(args.code, args.phone, args.start, station_id=args.station)
    except BookingRefused as error:
        _refuse(error, args)
    if args.json:
        _print_json(booking.to_dict())
    else:
        print(_booking_text(booking, "改约成功"))
    return EXIT_OK


BOOKING_COLUMNS = ("code", "start", "end", "name", "phone", "party", "members", "status", "created_at",
                   "changed_at")


def _members_cell(members: list[dict[str, Any]]) -> str:
    """配偶 李四；子女；子女 张小明 (CSV and text)."""
    return "；".join(RELATION_ZH.get(m["relation"], m["relation"]) + (f" {m['name']}" if m["name"] else "")
                    for m in members)


def cmd_bookings(args: argparse.Namespace) -> int:
    from .validation import BookingRefused

    service = _service()
    try:
        station = service.station(args.station)
        bookings = service.day_bookings(station.id, args.date)
    except BookingRefused as error:
        _refuse(error, args)
    rows = [{key: booking.to_dict(full_phone=True)[key] for key in BOOKING_COLUMNS}
            for booking in bookings]
    if args.json:
        _print_json(rows)
    elif args.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=BOOKING_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({**row, "members": _members_cell(row["members"])} for row in rows)
        sys.stdout.write(buffer.getvalue())
    else:
        status = {"booked": "已预约", "cancelled": "已取消", "attended": "已办理", "no_show": "未到场"}
        people = sum(booking.party for booking in bookings if booking.status != "cancelled")
        print(f"{station.name} {args.date.isoformat()}：{len(bookings)} 条预约，{people} 人")
        for booking, row in zip(bookings, rows):
            family = f"（{_members_cell(row['members'])}）" if booking.members else ""
            print(f"{booking.start:%H:%M}\t{booking.code}\t{booking.name}\t{booking.phone or ''}\t"
                  f"{booking.party}人{family}\t{status.get(booking.status, booking.status)}")
    return EXIT_OK


def cmd_mark(args: argparse.Namespace) -> int:
    from .validation import BookingRefused

    service = _service()
    try:
        booking = service.mark(args.code, args.status)
    except BookingRefused as error:
        _refuse(error, args)
    if args.json:
        _print_json(booking.to_dict(full_phone=True))
    else:
        print(f"{booking.code}：{args.status}")
    return EXIT_OK


def cmd_closed_day(args: argparse.Namespace) -> int:
    from .validation import BookingRefused

    service = _service()
    try:
        service.add_closed_day(args.date, args.reason, station_id=args.station)
    except BookingRefused as error:
        _refuse(error, args)
    target = args.station or "all stations"
    print(f"closed {target} on {args.date.isoformat()}: {args.reason}")
    if args.station:
        count = len([b for b in service.day_bookings(args.station, args.date) if b.status == "booked"])
        if count:
            print(f"{count} booking(s) already made for that day: see `juzhu bookings`", file=sys.stderr)
    return EXIT_OK

