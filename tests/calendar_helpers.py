"""Test fixtures for calendar feeds: the seed bureau in the database and a planned roster built directly."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from icaljs_helpers import icaljs
from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.current import document_of
from roster.admin.schema import BureauFile
from roster.shifts import generate_slots
from roster.storage.models.people import BureauConfig, Group, GroupMembership, Person
from roster.storage.models.shifts import Shift, ShiftAssignment
from tests.admin_helpers import seed_data

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "chuxiong.yaml"
UTC = dt.UTC


def load_example(**calendar: object) -> BureauFile:
    raw = seed_data()
    if calendar:
        raw["calendar"] = {**(raw.get("calendar") or {}), **calendar}
    return BureauFile.model_validate(raw)


def apply_bureau(session: Session, bureau: BureauFile, now: dt.datetime) -> None:
    """What the admin apply does for our purposes: people, groups, memberships and the config row."""
    for p in bureau.people:
        person = session.get(Person, p.id) or Person(id=p.id)
        person.name, person.phone, person.email, person.rank = p.name, p.phone, p.email, p.rank
        person.roles, person.locale = list(p.roles), p.locale or bureau.bureau.locale
        person.calendar_reminder_minutes, person.channels, person.active = p.calendar_reminder_minutes, [], True
        session.merge(person)
    session.flush()
    for g in bureau.groups:
        session.merge(Group(id=g.id, name=g.name, sector=g.sector, leader_id=g.leader, active=True))
    session.flush()
    existing = set(session.execute(select(GroupMembership.group_id, GroupMembership.person_id)).tuples())
    for p in bureau.people:
        for gid in p.groups:
            if (gid, p.id) not in existing:
                session.add(GroupMembership(group_id=gid, person_id=p.id))
    document = document_of(bureau)
    sha = hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    session.add(BureauConfig(applied_at=now, sha256=sha, document=document))
    session.flush()


def plan(session: Session, bureau: BureauFile, start: dt.date, days: int, changed_at: dt.datetime) -> list[Shift]:
    """A simple rotation: leader p01..p08 and two officers p09..p44 per shift."""
    leaders = [p.id for p in bureau.people if "leader_on_duty" in p.roles]
    officers = [p.id for p in bureau.people if "duty_officer" in p.roles]
    shifts = []
    for i, slot in enumerate(generate_slots(start, days, bureau.shift_pattern, bureau.bureau.timezone)):
        shift = Shift(
            uid=slot.uid,
            duty_date=slot.duty_date,
            slot=slot.slot,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            changed_at=changed_at,
            revision=1,
        )
        shift.assignments = [
            ShiftAssignment(role="leader_on_duty", seat=0, person_id=leaders[i % len(leaders)]),
            ShiftAssignment(role="duty_officer", seat=0, person_id=officers[(2 * i) % len(officers)]),
            ShiftAssignment(role="duty_officer", seat=1, person_id=officers[(2 * i + 1) % len(officers)]),
        ]
        session.add(shift)
        shifts.append(shift)
    session.flush()
    return shifts


def reassign(session: Session, uid: str, role: str, seat: int, person_id: str, now: dt.datetime) -> Shift:
    """A re-plan of one seat, the way the planner records it: new person, revision + 1, changed_at = now."""
    shift = session.scalars(select(Shift).where(Shift.uid == uid)).one()
    assignment = next(a for a in shift.assignments if a.role == role and a.seat == seat)
    assignment.person_id = person_id
    shift.revision += 1
    shift.changed_at = now
    session.flush()
    return shift


def seat_holder(session: Session, uid: str, role: str, seat: int) -> str:
    shift = session.scalars(select(Shift).where(Shift.uid == uid)).one()
    return next(a.person_id for a in shift.assignments if a.role == role and a.seat == seat)


def parse_with_ics(text: str):  # noqa: ANN201
    """``ics.Calendar(text)`` with ics 0.7's content-line parser built with ``colorize=False``.

    ics 0.7.3 on tatsu 5.x calls ``colorama.init()`` on every content line it parses, wrapping
    sys.stdout/stderr once more each time; after ~250 lines the wrappers' ``isatty`` recursion kills the
    interpreter (see franc6/ics_calendar#193). Same grammar, same parser, just no colouring.
    """
    import ics
    import ics.grammar.parse as ics_parse
    from ics.grammar.contentline import contentlineParser

    if not getattr(ics_parse.GRAMMAR, "_dutyflow_plain", False):
        ics_parse.GRAMMAR = contentlineParser(colorize=False)
        ics_parse.GRAMMAR._dutyflow_plain = True
    return ics.Calendar(text)


def assert_valid_feed(body: bytes) -> dict[str, object]:
    """The RFC 5545 checks every feed must pass, and its events as icalendar parsed them (by UID)."""
    import icalendar
    import vobject

    text = body.decode("utf-8")
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"") and b"\r" not in body.replace(b"\r\n", b""), "bare CR or LF"
    for line in body.split(b"\r\n"):
        assert len(line) <= 75, f"line longer than 75 octets: {line!r}"
        line.decode("utf-8")  # folding never splits a UTF-8 sequence
    calendar = icalendar.Calendar.from_ical(text)
    events = calendar.walk("VEVENT")
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids)), "duplicate UIDs"
    tzids = {e["DTSTART"].params.get("TZID") for e in events} | {e["DTEND"].params.get("TZID") for e in events}
    tzids.discard(None)  # a UTC DATE-TIME (an ambiguous local time is written so) needs no VTIMEZONE
    declared = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert tzids <= declared, f"TZID without VTIMEZONE: {tzids - declared}"
    assert str(calendar["METHOD"]) == "PUBLISH" and calendar["VERSION"] == "2.0" and calendar.get("PRODID")
    assert calendar.get("X-WR-CALNAME") and calendar.get("NAME") and calendar.get("X-PUBLISHED-TTL")
    assert calendar["REFRESH-INTERVAL"].params.get("VALUE") == "DURATION"

    assert calendar.subcomponents, "RFC 5545: a VCALENDAR holds at least one component"
    parsed = vobject.readOne(text, validate=True)
    assert len(getattr(parsed, "vevent_list", [])) == len(events)
    assert sorted(str(e.uid.value) for e in getattr(parsed, "vevent_list", [])) == sorted(uids)
    starts = {str(e["UID"]): e["DTSTART"].dt for e in events}
    for vevent in getattr(parsed, "vevent_list", []):  # vobject resolves TZIDs through the VTIMEZONE itself
        assert vevent.dtstart.value == starts[str(vevent.uid.value)], vevent.uid.value

    js = icaljs().parse(text)  # Thunderbird's parser, also through the VTIMEZONE
    assert js["components"], "RFC 5545: a VCALENDAR holds at least one component"
    assert {"refresh-interval", "x-published-ttl"} <= set(js["properties"])
    assert sorted(e["uid"] for e in js["events"]) == sorted(uids)
    for twin in js["events"]:
        assert twin["start"] == starts[twin["uid"]].timestamp() * 1000, twin["uid"]

    other = parse_with_ics(text)
    assert sorted(e.uid for e in other.events) == sorted(uids)
    by_uid = {e.uid: e for e in other.events}
    for event in events:
        twin = by_uid[str(event["UID"])]
        assert twin.begin.datetime == event["DTSTART"].dt  # the same instant in all parsers
        assert twin.name == str(event["SUMMARY"]) and twin.description == str(event["DESCRIPTION"])
    return {str(e["UID"]): e for e in events}


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def serve(database_url: str, clock: Clock) -> Iterator[str]:
    """The real app under uvicorn on a kernel-chosen loopback port, in a thread; yields its base URL."""
    import uvicorn

    from roster.web.app import create_app

    app = create_app(database_url)
    app.state.calendar_clock = clock
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port chosen by the kernel
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
