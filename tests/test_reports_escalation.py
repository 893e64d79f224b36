"""Escalation replayed against a clock: a tick every 5 minutes over a whole day, the catch-up after an outage,
unreachable steps, the leader on duty at the step's due time, acks and late reports stopping escalation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from reports_helpers import add_full_shift, install_bureau, replay_document, seed_bureau
from sqlalchemy import func, select

from roster.reports.escalation import check
from roster.reports.ledger import acknowledge, submit
from roster.storage import open_session
from roster.storage.models.outbox import OutboxMessage
from roster.storage.models.reports import EscalationEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 23)


def local(hh: int, mm: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI).astimezone(dt.UTC)


def _setup(session) -> None:  # noqa: ANN001
    install_bureau(session, seed_bureau(replay_document()), local(0))
    add_full_shift(session, DAY - dt.timedelta(days=1), "p05")
    add_full_shift(session, DAY, "p02")


def _sent(session) -> list[tuple]:  # noqa: ANN001
    """(local time, unit, step, repeat, recipient, kind) of every outbox message, in the order written."""
    out = []
    for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        p = m.payload
        who = m.person_id or m.address
        out.append(
            (
                m.created_at.astimezone(SHANGHAI).strftime("%H:%M"),
                p["unit"],
                p.get("step"),
                p.get("repeat"),
                who,
                p.get("kind", "alert"),
            )
        )
    return out


def _tick_range(session, start: dt.datetime, end: dt.datetime, actions=None) -> None:  # noqa: ANN001
    actions = actions or {}
    t = start
    while t <= end:
        if t in actions:
            actions[t](session, t)
            session.commit()
        check(session, t)
        session.commit()
        t += dt.timedelta(minutes=5)


def test_whole_day_replay_sends_exactly_the_expected_messages_in_order(db_url: str) -> None:
    actions = {
        local(11): lambda s, t: submit(s, unit_id="e-ontime", day=DAY, kind="zero", now=t),
        local(15, 40): lambda s, t: submit(s, unit_id="b-firm", day=DAY, kind="report", text="无异常", now=t),
        local(18, 10): lambda s, t: acknowledge(s, unit_id="a-group", day=DAY, by="p03", now=t),
        local(20): lambda s, t: submit(s, unit_id="a-group", day=DAY, kind="report", text="补报", now=t),
    }
    with open_session(db_url) as s:
        _setup(s)
        _tick_range(s, local(0), local(23, 55), actions)
        contact = "safety@jinxiu.example.cn"
        assert _sent(s) == [
            ("06:00", "c-night", 1, 0, "p15", "alert"),
            ("09:00", "c-night", 2, 0, "p02", "alert"),  # the leader on duty at 09:00, not at the 06:00 deadline
            ("10:00", "f-skip", 2, 0, "p07", "alert"),  # step 1 reaches nobody: step 2 fires at once
            ("15:00", "b-firm", 1, 0, contact, "alert"),
            ("15:40", "b-firm", None, None, contact, "resolved"),  # 已补报 to those already alerted
            ("16:00", "a-group", 1, 0, "p09", "alert"),
            ("16:30", "a-group", 1, 1, "p09", "alert"),
            ("17:00", "a-group", 1, 2, "p09", "alert"),
            ("17:00", "a-group", 2, 0, "p03", "alert"),
            ("18:00", "a-group", 3, 0, "p02", "alert"),
            # acked at 18:10 by p03: the bureau head (step 4, 19:00) is never told; the report comes in at
            # 20:00 and everyone alerted hears it (已补报), the bureau head still not
            ("20:00", "a-group", None, None, "p02", "resolved"),
            ("20:00", "a-group", None, None, "p03", "resolved"),
            ("20:00", "a-group", None, None, "p09", "resolved"),
        ]
        unreachable = s.scalars(select(EscalationEvent).where(EscalationEvent.kind == "unreachable")).all()
        assert [(e.unit_id, e.step, e.target) for e in unreachable] == [("f-skip", 1, "unit_contact")]
        resolved = s.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("%已补报%"))).all()
        assert len(resolved) == 4 and "锦绣物业" in resolved[0].subject
        # a second pass over the same day changes nothing
        before = s.scalar(select(func.count()).select_from(OutboxMessage))
        _tick_range(s, local(0), local(23, 55))
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_message_text_names_unit_date_deadline_state_step_and_link(db_url: str) -> None:
    with open_session(db_url) as s:
        _setup(s)
        check(s, local(17))
        s.commit()
        m = s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == "p03")).one()
        assert m.locale == "zh-CN"
        assert "建筑工地防控组" in m.body and "2026-11-23" in m.body and "16:00" in m.body
        assert "逾期未报" in m.body  # 17:00 is the end of the 1 h grace: missing
        assert "第 2/4 级" in m.body
        assert "https://duty.example.cn/ack/" in m.body
        contact = s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == "p09")).one()
        assert "宽限期内" in contact.body or "逾期未报" in contact.body


def test_catch_up_after_six_hours_down(db_url: str) -> None:
    with open_session(db_url) as s:
        _setup(s)
        _tick_range(s, local(0), local(11, 55))
        before = len(_sent(s))
        check(s, local(18))  # the checker was down from 12:00 to 18:00
        s.commit()
        caught_up = _sent(s)[before:]
        contact = "safety@jinxiu.example.cn"
        assert caught_up == [
            # e-ontime (12:00): the contact's repeats collapse to the newest (13:00); every step still fires
            ("18:00", "e-ontime", 1, 2, "p16", "alert"),
            ("18:00", "e-ontime", 2, 0, "p04", "alert"),
            ("18:00", "e-ontime", 3, 0, "p02", "alert"),
            ("18:00", "e-ontime", 4, 0, "p01", "alert"),
            ("18:00", "b-firm", 1, 0, contact, "alert"),
            ("18:00", "b-firm", 2, 0, "p08", "alert"),
            ("18:00", "b-firm", 2, 0, "p02", "alert"),
            ("18:00", "a-group", 1, 2, "p09", "alert"),
            ("18:00", "a-group", 2, 0, "p03", "alert"),
            ("18:00", "a-group", 3, 0, "p02", "alert"),
        ]
        english = s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == "p08")).one()
        assert english.locale == "en" and "has not filed its daily report" in english.body
        due = {
            (e.unit_id, e.step, e.repeat): e.due_at
            for e in s.scalars(select(EscalationEvent).where(EscalationEvent.kind == "notified"))
        }
        assert due[("e-ontime", 1, 2)] == local(13) and due[("a-group", 3, 0)] == local(18)
        assert check(s, local(18))["messages_enqueued"] == 0


def test_excused_and_submitted_units_are_never_chased(db_url: str) -> None:
    from roster.reports.ledger import excuse

    with open_session(db_url) as s:
        _setup(s)
        excuse(s, unit_id="a-group", day=DAY, by="p01", reason="停工", now=local(8))
        submit(s, unit_id="b-firm", day=DAY, kind="zero", now=local(14))
        s.commit()
        check(s, local(23, 59))
        s.commit()
        units = {m.payload["unit"] for m in s.scalars(select(OutboxMessage))}
        assert "a-group" not in units and "b-firm" not in units
        assert {"c-night", "e-ontime", "f-skip"} <= units


@pytest.mark.postgres
def test_two_concurrent_checkers_on_postgres_no_duplicates_none_missing(pg_database: str, db_url: str) -> None:
    """Two threads tick the same clock against PostgreSQL; the result equals one checker on SQLite."""
    import threading

    from conftest import _empty_postgres

    from roster.reports.jobs import check_reports

    doc = replay_document()
    units = doc["reports"]["units"]
    for i in range(60):  # more unit-days, so the checkers really overlap
        units.append(
            {
                "id": f"u{i:03d}",
                "name": f"单位{i}",
                "contact": f"p{10 + i % 30:02d}",
                "group": "construction",
                "deadline": f"{8 + i % 10:02d}:{(i * 5) % 60:02d}",
            }
        )
    ticks = [local(0) + dt.timedelta(minutes=15 * k) for k in range(96)]

    def prepare(url: str) -> None:
        with open_session(url) as s:
            install_bureau(s, seed_bureau(doc), local(0))
            add_full_shift(s, DAY - dt.timedelta(days=1), "p05")
            add_full_shift(s, DAY, "p02")

    prepare(db_url)
    for t in ticks:
        check_reports(t, database_url=db_url)
    with open_session(db_url) as s:
        expected = sorted(s.scalars(select(OutboxMessage.dedup_key)))

    _empty_postgres(pg_database)
    prepare(pg_database)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            for t in ticks:
                check_reports(t, database_url=pg_database)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with open_session(pg_database) as s:
        got = sorted(s.scalars(select(OutboxMessage.dedup_key)))
        events = s.scalar(select(func.count()).select_from(EscalationEvent).where(EscalationEvent.kind == "notified"))
    assert len(expected) > 200
    assert got == expected  # zero duplicates, zero missing
    assert events == len(expected)
