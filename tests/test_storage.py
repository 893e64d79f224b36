"""Storage basics on both databases: migrations reach every head, instants come back in UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect

from roster.storage import get_engine, open_session
from roster.storage.migrate import current_revisions, head_revisions
from roster.storage.models.people import Person
from roster.storage.models.shifts import AuditEntry


def test_schema_is_at_every_head(any_db_url: str) -> None:
    engine = get_engine(any_db_url)
    assert current_revisions(engine) == head_revisions()
    assert {"people", "shifts", "shift_assignments", "audit_log", "outbox"} <= set(inspect(engine).get_table_names())


def test_instants_round_trip_as_aware_utc(any_db_url: str) -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    with open_session(any_db_url) as s:
        s.add(AuditEntry(at=dt.datetime(2026, 1, 1, 8, 30, tzinfo=shanghai), actor="t", action="test"))
        s.commit()
    with open_session(any_db_url) as s:
        (entry,) = s.query(AuditEntry).all()
        assert entry.at == dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC)
        assert entry.at.utcoffset() == dt.timedelta(0)


def test_naive_datetime_is_refused(db_url: str) -> None:
    with open_session(db_url) as s:
        s.add(AuditEntry(at=dt.datetime(2026, 1, 1), actor="t", action="test"))
        with pytest.raises(Exception, match="naive datetime"):
            s.commit()


def test_json_columns_keep_unicode(any_db_url: str) -> None:
    with open_session(any_db_url) as s:
        s.add(Person(id="p1", name="张伟", phone="13812345678", roles=["duty_officer"], channels=[]))
        s.commit()
    with open_session(any_db_url) as s:
        assert s.get(Person, "p1").roles == ["duty_officer"]
        assert s.get(Person, "p1").name == "张伟"
