"""Urgent messages are handed to delivery by the tick that wrote them: a real SMTP server has the mails
when the tick returns, with no delivery run; the outbox rows are the same rows the scheduled delivery uses."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from notifications.delivery import deliver
from notifications.outbox import enqueue
from notifications.urgent import URGENT_SOURCES, enabled, hand_off, urgent_keys
from roster.admin.apply import apply_file
from roster.reports.jobs import check_reports
from roster.storage import open_session
from roster.storage.models.outbox import OutboxMessage
from tests.notifications_helpers import smtp_server

SEED = Path(__file__).resolve().parent.parent / "examples" / "chuxiong.yaml"
APPLIED = dt.datetime(2026, 11, 22, 16, 0, tzinfo=dt.UTC)
EVENING = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def mail_env(monkeypatch: pytest.MonkeyPatch):
    with smtp_server() as (port, mails):
        monkeypatch.setenv("DUTYFLOW_URGENT_HANDOFF", "1")
        monkeypatch.setenv("DUTYFLOW_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DUTYFLOW_SMTP_PORT", str(port))
        monkeypatch.setenv("DUTYFLOW_SMTP_TLS", "none")
        yield mails


def test_the_tick_delivers_its_escalations_before_returning(db_url: str, mail_env) -> None:
    apply_file(SEED, APPLIED, db_url)
    summary = check_reports(EVENING, db_url)
    assert summary["messages_enqueued"] > 0
    with open_session(db_url) as s:
        rows = s.scalars(select(OutboxMessage)).all()
        emails = [m.address for m in rows if m.channel == "email"]
        assert emails and Counter(a for mail in mail_env for a in mail.rcpt_tos) == Counter(emails)
        assert {m.status for m in rows if m.source in URGENT_SOURCES} <= {"sent", "fallen_back"}
        assert summary["delivered_at_once"] == sum(1 for m in rows if m.status == "sent")
        # The scheduled delivery, the safety net, finds nothing left; a repeated tick sends nothing twice.
        assert deliver(s, EVENING)["claimed"] == 0
    count = len(mail_env)
    check_reports(EVENING, db_url)
    assert len(mail_env) == count


def test_only_urgent_messages_added_by_this_session_are_handed_off(db_url: str, mail_env) -> None:
    with open_session(db_url) as s:
        common = dict(channel="email", address="a@cxzjj.gov.cn", subject="s", body="b", now=EVENING)
        enqueue(s, key="old", source="escalation", **common)
        s.commit()
    with open_session(db_url) as s:
        assert enqueue(s, key="old", source="escalation", **common) is False  # not new: not this session's
        enqueue(s, key="new", source="escalation", **common)
        enqueue(s, key="list", source="inspection", **common)
        assert urgent_keys(s) == ["new"]
        s.commit()
    assert hand_off(["new"], EVENING, db_url)["sent"] == 1
    with open_session(db_url) as s:
        status = dict(s.execute(select(OutboxMessage.dedup_key, OutboxMessage.status)).all())
    assert status == {"old": "pending", "new": "sent", "list": "pending"}


def test_switch_and_failure_leave_messages_to_the_scheduled_delivery(db_url: str, monkeypatch) -> None:
    assert enabled({}) and not enabled({"DUTYFLOW_URGENT_HANDOFF": "off"})
    monkeypatch.setenv("DUTYFLOW_URGENT_HANDOFF", "1")
    assert hand_off([], EVENING, db_url) is None
    assert hand_off(["k"], EVENING, "postgresql+psycopg://nobody@127.0.0.1:1/none") is None  # never raises


def test_a_replayed_tick_leases_on_the_real_clock(db_url: str, monkeypatch) -> None:
    """A tick replayed at a past instant must not stamp a lease that is already over for every other worker."""
    import notifications.urgent as urgent

    seen = []
    monkeypatch.setenv("DUTYFLOW_URGENT_HANDOFF", "1")
    monkeypatch.setattr("notifications.delivery.deliver", lambda session, at, keys: seen.append(at) or {"sent": 0})
    before = dt.datetime.now(dt.UTC)
    urgent.hand_off(["k"], EVENING, db_url)
    assert seen and seen[0] >= before > EVENING
