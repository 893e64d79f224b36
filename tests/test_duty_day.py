"""A whole duty day replayed on the clock: check-ins (on time, late, missing), two roll calls (one answered by
everybody, one not by p23), a handover completed and one left open, and exactly the expected messages."""

from __future__ import annotations

import datetime as dt

from duty_helpers import DAY, install, local
from sqlalchemy import select

from roster.duty.checkin import check_in
from roster.duty.facts import duty_settings
from roster.duty.handover import sign, view
from roster.duty.jobs import check_duty
from roster.duty.rollcall import answer
from roster.duty.views import rollcall_ledger
from roster.storage import open_session, session_scope
from roster.storage.models.duty import DutyRollcall, DutyRollcallTarget
from roster.storage.models.outbox import OutboxMessage

PREV, NEXT = DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1)


def _act(db_url: str, fn) -> object:  # noqa: ANN001
    with session_scope(db_url) as s:
        return fn(s)


def _keys(db_url: str) -> list[tuple[str, str, str]]:
    with open_session(db_url) as s:
        rows = s.execute(select(OutboxMessage.source, OutboxMessage.person_id, OutboxMessage.dedup_key)).all()
    return sorted((r.source, r.person_id, r.dedup_key) for r in rows)


def test_whole_day_replay(db_url: str) -> None:
    with open_session(db_url) as s:
        install(s)
    # Yesterday's shift checked in on time, so its people do not show up below.
    for person in ("p05", "p20", "p21"):
        _act(db_url, lambda s, p=person: check_in(s, p, local(PREV, 8, 10), via="cli"))

    check_duty(local(DAY, 8, 0), database_url=db_url)  # stores the night's two roll calls
    with open_session(db_url) as s:
        calls = s.scalars(select(DutyRollcall).where(DutyRollcall.shift_uid == f"{DAY:%Y%m%d}-full@dutyflow")).all()
        first, second = sorted(c.scheduled_at for c in calls)
    assert len(calls) == 2 and local(DAY, 22) <= first < second < local(NEXT, 6)

    # The handover into today: outgoing p20 writes the note at 08:20, incoming p22 signs at 08:35.
    settings = lambda s: duty_settings(s)  # noqa: E731
    events = {
        local(DAY, 8, 10): lambda s: check_in(s, "p22", local(DAY, 8, 10), via="web", address="10.20.0.7"),
        local(DAY, 8, 20): lambda s: sign(s, settings(s), local(DAY, 8, 20), by="p20", note="夜间无事。"),
        local(DAY, 8, 35): lambda s: sign(s, settings(s), local(DAY, 8, 35), by="p22", ack_all=True),
        local(DAY, 9, 5): lambda s: check_in(s, "p23", local(DAY, 9, 5), via="cli"),  # late; p02 never does
        local(NEXT, 8, 20): lambda s: [check_in(s, p, local(NEXT, 8, 20), via="cli") for p in ("p03", "p24", "p25")],
    }
    for call_at, who in ((first, ("p02", "p22", "p23")), (second, ("p02", "p22"))):
        at = call_at + dt.timedelta(minutes=2)
        events[at] = lambda s, who=who, at=at, t=call_at: [_answer(s, p, t, at) for p in who]
    ticks = sorted({local(DAY, 8) + dt.timedelta(minutes=30 * k) for k in range(51)} | {first, second})
    for tick in ticks:
        for at in [a for a in sorted(events) if a <= tick]:
            _act(db_url, events.pop(at))
        check_duty(tick, database_url=db_url)
        check_duty(tick, database_url=db_url)  # a repeated tick changes nothing
    assert not events

    got = _keys(db_url)
    by_source: dict[str, list[tuple[str, str]]] = {}
    for source, person, key in got:
        by_source.setdefault(source, []).append((person, key.split("|")[2] if source != "duty-rollcall" else ""))
    assert sorted(p for p, _ in by_source["duty-rollcall"]) == ["p02", "p02", "p22", "p22", "p23", "p23"]
    # Missed check-ins: p23 (late, so missing at 08:45) → leader p02 and the office; p02 → the office only.
    assert sorted(by_source["duty-checkin-missed"]) == [("p02", "p23"), ("p44", "p02"), ("p44", "p23")]
    assert by_source["duty-rollcall-unanswered"] == [("p02", "p23")]
    assert by_source["duty-handover-open"] == [("p03", "-")]  # tomorrow's 08:30 handover, nobody signed
    assert len(got) == 6 + 3 + 1 + 1

    with open_session(db_url) as s:
        ledger = rollcall_ledger(s, duty_settings(s), DAY, NEXT, local(NEXT, 9, 30))
        done = view(s, duty_settings(s), local(DAY, 8, 40))
    states = [[(t["person"], t["state"]) for t in c["targets"]] for c in ledger if c["shift"].startswith("20261123")]
    assert states == [
        [("p02", "answered"), ("p22", "answered"), ("p23", "answered")],
        [("p02", "answered"), ("p22", "answered"), ("p23", "unanswered")],
    ]
    assert done.complete and done.outgoing_by == "p20" and done.incoming_by == "p22"


def _answer(session, person: str, call_at: dt.datetime, at: dt.datetime) -> None:  # noqa: ANN001
    code = session.scalars(
        select(DutyRollcallTarget.code)
        .join(DutyRollcall, DutyRollcall.id == DutyRollcallTarget.rollcall_id)
        .where(DutyRollcall.scheduled_at == call_at, DutyRollcallTarget.person_id == person)
    ).one()
    result = answer(session, duty_settings(session), code, at, person_id=person, via="web", address="10.20.0.7")
    assert result.outcome == "answered" and result.on_site is True
