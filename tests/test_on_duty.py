"""Who is on duty at an instant: the covering shift's people, leader first; nobody between plans."""

from __future__ import annotations

import datetime as dt

from roster.on_duty import on_duty_at, on_duty_plain, people_on_duty_on
from roster.storage import open_session
from roster.storage.models.people import Person
from roster.storage.models.shifts import Shift, ShiftAssignment
from roster.storage.plain import connect_plain

UTC = dt.UTC


def test_on_duty_at_instant(any_db_url: str) -> None:
    with open_session(any_db_url) as s:
        s.add_all(
            [
                Person(id="p1", name="徐超", phone="15082760689", roles=["leader_on_duty"], channels=[]),
                Person(id="p2", name="马永红", phone="13952885511", roles=["duty_officer"], channels=[]),
            ]
        )
        start = dt.datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 08:30 Shanghai
        shift = Shift(
            uid="20261123-full@dutyflow",
            duty_date=dt.date(2026, 11, 23),
            slot="full",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=24),
            changed_at=start,
        )
        shift.assignments = [
            ShiftAssignment(role="duty_officer", seat=0, person_id="p2"),
            ShiftAssignment(role="leader_on_duty", seat=0, person_id="p1"),
        ]
        s.add(shift)
        s.commit()
        now = on_duty_at(s, start + dt.timedelta(hours=23, minutes=59))
        assert now.leader_on_duty.name == "徐超"
        assert [o.person_id for o in now.officers] == ["p2"]
        assert on_duty_at(s, start + dt.timedelta(hours=24)).people == []  # end is exclusive
        assert on_duty_at(s, start - dt.timedelta(seconds=1)).shift_uid is None
        assert people_on_duty_on(s, dt.date(2026, 11, 23)) == {"p1", "p2"}
        # The plain DB-API reader (`dutyflow now`) runs the same statement and agrees, instants included.
        with connect_plain(any_db_url) as connection:
            for at in (start, start + dt.timedelta(hours=23, minutes=59), start + dt.timedelta(hours=24)):
                assert on_duty_plain(connection, at) == on_duty_at(s, at)
        assert on_duty_at(s, start).starts_at == start and on_duty_at(s, start).starts_at.tzinfo is not None


def test_a_shift_without_seats_is_planned_but_empty(db_url: str) -> None:
    with open_session(db_url) as s:
        start = dt.datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
        end = start + dt.timedelta(hours=24)
        s.add(Shift(uid="v", duty_date=start.date(), slot="full", starts_at=start, ends_at=end, changed_at=start))
        s.commit()
        empty = on_duty_at(s, start + dt.timedelta(hours=1))
        assert empty.shift_uid == "v" and empty.people == [] and empty.leader_on_duty is None
