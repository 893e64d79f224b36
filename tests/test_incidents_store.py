"""Incidents against a real database: registering, reports through sign-off and the outbox, the alert tick,
severity changes, the month end across the handover, ordering of reports, bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roster.duty.facts import duty_settings
from roster.duty.handover import HandoverContext, boundary, open_items
from roster.incidents import escalation, ledger, reports
from roster.incidents.errors import IncidentError
from roster.incidents.stats import month_stats
from roster.incidents.view import incident_view
from roster.storage import open_session
from roster.storage.models.incidents import CLOSED, DRAFT, ENDED, SIGNED, Incident, IncidentEvent, IncidentLevel
from roster.storage.models.outbox import OutboxMessage
from tests.incidents_helpers import DAY, install, utc

pytest_plugins = ["tests.incidents_fixtures"]


@pytest.fixture
def db(incidents_db: Session) -> Session:
    return incidents_db


@pytest.fixture
def pg(any_db_url: str) -> Iterator[Session]:
    """The installed bureau on both databases, for the tests whose behaviour could differ between them."""
    session = open_session(any_db_url)
    install(session, DAY)
    yield session
    session.close()


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Incident)),
        session.scalar(select(func.count()).select_from(IncidentEvent)),
        session.scalar(select(func.count()).select_from(OutboxMessage)),
    )


def open_large(session: Session, received: dt.datetime, **extra) -> Incident:  # noqa: ANN003
    incident = ledger.open_incident(
        session,
        title="鹿城小区3号楼外墙脱落",
        severity=extra.pop("severity", "large"),
        received_at=received,
        now=received + dt.timedelta(minutes=8),
        source="群众来电",
        place="鹿城小区3号楼",
        category="房屋安全",
        facts="外墙瓷砖脱落，砸中2辆车",
        by="p10",
        **extra,
    )
    session.commit()
    return incident


def draft_sign_send(session: Session, incident: Incident, at: dt.datetime, signer: str, final: bool = False):  # noqa: ANN201
    report = reports.draft(session, incident.id, now=at, by="p10", final=final, measures="已设置警戒区")
    reports.sign(session, report.id, version=report.version, signer=signer, now=at + dt.timedelta(minutes=2))
    sent, messages = reports.send(session, report.id, now=at + dt.timedelta(minutes=4), by="p10")
    session.commit()
    return sent, messages


def test_incident_at_2350_on_the_last_day_of_the_month_across_the_handover(pg: Session) -> None:
    db = pg
    received = utc(2026, 11, 30, 15, 50)  # 23:50 Shanghai on 30 November; p04 leads until 08:30 on 1 December
    incident = open_large(db, received)
    assert incident.code == "2026-11-001" and incident.received_at == received  # the clocks' start, not 23:58

    # 00:50 local: the 首报 (1 h) is overdue; the alert reaches the night's leader on duty, p04
    summary = escalation.check(db, utc(2026, 11, 30, 16, 50))
    db.commit()
    assert summary.clocks_overdue == 2  # the phone report (30 min) and the 首报
    alerted = set(db.scalars(select(OutboxMessage.person_id).where(OutboxMessage.dedup_key.like("incident-alert|%"))))
    assert "p04" in alerted and "p05" not in alerted

    # the 首报 is drafted before the handover but p04 is gone by the time it is signed: only p05 may sign
    report = reports.draft(db, incident.id, now=utc(2026, 12, 1, 0, 20), by="p10")
    db.commit()
    # at the 08:30 handover the overdue 首报 is one of the open items both shifts sign for
    at_handover = utc(2026, 12, 1, 0, 25)
    outgoing, incoming = boundary(db, at_handover)
    items = open_items(HandoverContext(db, at_handover, duty_settings(db), outgoing, incoming))
    incident_items = [(i.key, i.title) for i in items if i.source == "incidents"]
    assert incident_items == [
        ("incident:2026-11-001:phone", "突发事件 2026-11-001 鹿城小区3号楼外墙脱落：电话报告已超时"),
        ("incident:2026-11-001:first", "突发事件 2026-11-001 鹿城小区3号楼外墙脱落：首报已超时"),
    ]
    with pytest.raises(IncidentError, match="signer: p04"):
        reports.sign(db, report.id, version=report.version, signer="p04", now=utc(2026, 12, 1, 0, 40))
    db.rollback()
    reports.sign(db, report.id, version=report.version, signer="p05", now=utc(2026, 12, 1, 0, 40))
    sent, messages = reports.send(db, report.id, now=utc(2026, 12, 1, 0, 45), by="p12")
    db.commit()
    assert sent.due_at == utc(2026, 11, 30, 16, 50) and sent.on_time is False and messages == 3
    assert "签发人：何华" in sent.text  # p05 signed it

    # the incident belongs to November's statistics, although its 首报 went out in December
    november, december = month_stats(db, "2026-11", "Asia/Shanghai"), month_stats(db, "2026-12", "Asia/Shanghai")
    assert (november.incidents, november.first_sent, november.first_on_time) == (1, 1, 0)
    assert december.incidents == 0
    # after the handover only the 续报 cadence (24 h after the 首报) is running
    clocks = incident_view(db, incident.code, utc(2026, 12, 1, 1, 0)).clocks
    assert [(c.key, c.due_at) for c in clocks] == [("followup-1", utc(2026, 12, 2, 0, 45))]


def test_repeated_and_missed_ticks_change_nothing(db: Session) -> None:
    open_large(db, utc(2026, 11, 29, 2, 0), severity="grave")
    # regular ticks every 5 min for 2 h, each run twice
    regular: set[tuple] = set()
    for minute in range(0, 125, 5):
        at = utc(2026, 11, 29, 2, 0) + dt.timedelta(minutes=minute)
        escalation.check(db, at)
        again = escalation.check(db, at)
        db.commit()
        assert again.messages_enqueued == 0 and again.events_recorded == 0
    for payload in db.scalars(select(OutboxMessage.payload).where(OutboxMessage.dedup_key.like("incident-alert|%"))):
        regular.add((payload["clock"], payload["step"]))
    assert {clock for clock, _ in regular} == {"phone", "first"}
    assert {step for _, step in regular} == {1, 2, 3}  # due soon, overdue (leader on duty), bureau head


def test_a_checker_that_was_down_catches_up_every_step_once(db: Session) -> None:
    incident = open_large(db, utc(2026, 11, 29, 2, 0), severity="grave")
    summary = escalation.check(db, utc(2026, 11, 29, 4, 0))  # down for 2 h
    db.commit()
    steps = {(p["clock"], p["step"]) for p in db.scalars(select(OutboxMessage.payload))}
    # "due soon" is pointless once overdue; the overdue step (newest repeat only) and the head's step fire
    assert steps == {("phone", 2), ("phone", 3), ("first", 2), ("first", 3)}
    assert summary.clocks_overdue == 2
    repeats = {p["repeat"] for p in db.scalars(select(OutboxMessage.payload)) if p["step"] == 2}
    assert repeats == {3}
    assert incident.status == "open"


def test_severity_raised_after_the_first_report(db: Session) -> None:
    incident = open_large(db, utc(2026, 11, 29, 2, 0))
    draft_sign_send(db, incident, utc(2026, 11, 29, 2, 30), signer="p03")
    before = incident_view(db, incident.id, utc(2026, 11, 29, 3, 0)).clocks
    assert [(c.key, c.due_at) for c in before] == [("followup-1", utc(2026, 11, 30, 2, 34))]  # 较大: every 24 h

    ledger.change_severity(db, incident.id, "grave", now=utc(2026, 11, 29, 4, 0), by="p03", reason="发现2人被困")
    db.commit()
    view = incident_view(db, incident.id, utc(2026, 11, 29, 4, 1))
    # 特别重大: a 续报 within 30 min of the change (sooner than its 2 h cadence from the 首报)
    assert [(c.key, c.due_at) for c in view.clocks] == [("followup-1", utc(2026, 11, 29, 4, 30))]
    assert [(lv.level_id, lv.changed_at) for lv in view.levels] == [
        ("large", utc(2026, 11, 29, 2, 0)),
        ("grave", utc(2026, 11, 29, 4, 0)),
    ]
    assert view.level_name == "特别重大"
    assert view.levels[0].level["followup_every"] == 24 * 60  # the old rules are kept as they were
    assert any(e["kind"] == "severity" and "large → grave" in e["summary"] for e in view.timeline)

    summary = escalation.check(db, utc(2026, 11, 29, 4, 31))
    db.commit()
    assert summary.clocks_overdue == 1
    due = {
        p["due_at"]
        for p in db.scalars(select(OutboxMessage.payload).where(OutboxMessage.dedup_key.like("incident-alert|%")))
    }
    assert due == {utc(2026, 11, 29, 4, 30).isoformat()}
    followup, _ = draft_sign_send(db, incident, utc(2026, 11, 29, 4, 20), signer="p03")
    assert (followup.kind, followup.seq, followup.on_time) == ("followup", 1, True)
    assert "事件级别：特别重大" in followup.text


def test_a_final_report_waits_for_a_followup_still_in_draft(db: Session) -> None:
    incident = open_large(db, utc(2026, 11, 29, 2, 0))
    draft_sign_send(db, incident, utc(2026, 11, 29, 2, 30), signer="p03")
    followup = reports.draft(db, incident.id, now=utc(2026, 11, 29, 6, 0), by="p10", measures="已转移住户")
    final = reports.draft(db, incident.id, now=utc(2026, 11, 29, 7, 0), by="p10", final=True)
    reports.sign(db, final.id, version=final.version, signer="p03", now=utc(2026, 11, 29, 7, 5))
    db.commit()
    assert (followup.kind, followup.seq, final.kind) == ("followup", 1, "final")
    before = counts(db)

    with pytest.raises(IncidentError, match="续报一仍是草稿") as refused:
        reports.send(db, final.id, now=utc(2026, 11, 29, 7, 10), by="p10")
    db.rollback()
    assert "Follow-up 1 is still draft" in str(refused.value)
    assert counts(db) == before and reports.get_report(db, final.id).status == SIGNED
    assert db.get(Incident, incident.id).status == "open"

    reports.sign(db, followup.id, version=followup.version, signer="p03", now=utc(2026, 11, 29, 7, 12))
    reports.send(db, followup.id, now=utc(2026, 11, 29, 7, 14), by="p10")
    reports.send(db, final.id, now=utc(2026, 11, 29, 7, 15), by="p10")
    db.commit()
    closed = db.get(Incident, incident.id)
    assert closed.status == CLOSED and closed.closed_at == utc(2026, 11, 29, 7, 15)
    assert escalation.check(db, utc(2026, 11, 30, 7, 0)).incidents_checked == 0
    stats = month_stats(db, "2026-11", "Asia/Shanghai")
    assert (stats.followups_sent, stats.finals_sent, stats.hours_to_final) == (1, 1, [5.25])


def test_ending_the_response_starts_the_final_clock_and_general_needs_none(db: Session) -> None:
    large = open_large(db, utc(2026, 11, 29, 2, 0))
    general = open_large(db, utc(2026, 11, 29, 2, 5), severity="general")
    for incident in (large, general):
        draft_sign_send(db, incident, utc(2026, 11, 29, 2, 30), signer="p03")
        ledger.end_incident(db, incident.id, now=utc(2026, 11, 29, 9, 0), by="p03")
    db.commit()
    assert (large.status, general.status) == (ENDED, CLOSED)
    clocks = incident_view(db, large.id, utc(2026, 11, 29, 9, 1)).clocks
    assert [(c.key, c.due_at) for c in clocks] == [("final", utc(2026, 12, 1, 9, 0))]  # 较大: 48 h


def test_bad_input_names_the_field_and_changes_nothing(db: Session) -> None:
    now = utc(2026, 11, 29, 3, 0)
    before = counts(db)
    cases = [
        (dict(severity="nope"), "severity"),
        (dict(title="  "), "title"),
        (dict(category="火星"), "category"),
        (dict(received_at=now + dt.timedelta(hours=1)), "received_at"),
        (dict(by="p99"), "by"),
    ]
    for override, field in cases:
        kwargs = dict(title="t", severity="large", received_at=now, now=now) | override
        with pytest.raises(IncidentError) as info:
            ledger.open_incident(db, **kwargs)
        db.rollback()
        assert info.value.field == field
    incident = open_large(db, now)
    before = counts(db)
    with pytest.raises(IncidentError, match="not signed off"):
        report = reports.draft(db, incident.id, now=now, by="p10")
        db.commit()
        reports.send(db, report.id, now=now)
    db.rollback()
    with pytest.raises(IncidentError, match="nope"):
        reports.edit(db, report.id, version=1, now=now, nope="x")
    db.rollback()
    with pytest.raises(IncidentError, match="already large"):
        ledger.change_severity(db, incident.id, "large", now=now)
    db.rollback()
    assert counts(db)[2] == before[2]
    assert db.scalar(select(func.count()).select_from(IncidentLevel)) == 1
    assert reports.get_report(db, report.id).status == DRAFT
