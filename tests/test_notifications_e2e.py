"""End to end with the seed bureau: the escalation checker writes the outbox, delivery mails a real SMTP server;
with the SMTP server down, people with a second channel are reached there and the rest become dead letters."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from notifications.delivery import deliver
from notifications.settings import DeliveryPolicy, SmtpSettings
from roster.admin.apply import apply_file
from roster.reports.jobs import check_reports
from roster.storage import open_session
from roster.storage.models.outbox import OutboxMessage
from tests.notifications_helpers import smtp_server

SEED = Path(__file__).resolve().parent.parent / "examples" / "chuxiong.yaml"
APPLIED = dt.datetime(2026, 11, 22, 16, 0, tzinfo=dt.UTC)
NOON = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)  # 12:00 in Chuxiong: morning reports are overdue
EVENING = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
POLICY = DeliveryPolicy(max_attempts=2, backoff=dt.timedelta(seconds=10), jitter=0)


def _smtp(port: int) -> SmtpSettings:
    return SmtpSettings.from_env(
        {
            "DUTYFLOW_SMTP_HOST": "127.0.0.1",
            "DUTYFLOW_SMTP_PORT": str(port),
            "DUTYFLOW_SMTP_TLS": "none",
            "DUTYFLOW_SMTP_FROM": "值班室 <duty@cxzjj.gov.cn>",
        }
    )


def test_escalations_reach_every_recipient_exactly_once(db_url: str) -> None:
    apply_file(SEED, APPLIED, db_url)
    assert check_reports(EVENING, db_url)["messages_enqueued"] > 0
    with smtp_server() as (port, mails), open_session(db_url) as s:
        emails = s.scalars(select(OutboxMessage.address).where(OutboxMessage.channel == "email")).all()
        summary = deliver(s, EVENING, worker="e2e", policy=POLICY, smtp=_smtp(port))
        assert summary["dead"] == 0 and summary["retrying"] == 0
        received = Counter(addr for mail in mails for addr in mail.rcpt_tos)
        assert received == Counter(emails)
        assert all(mail.subject for mail in mails)
        assert any("未报送" in mail.subject for mail in mails)  # Chinese subjects survive the trip
        assert s.scalar(select(OutboxMessage).where(OutboxMessage.status != "sent")) is None
        # A second tick and a second delivery add nothing.
        check_reports(EVENING, db_url)
        assert deliver(s, EVENING, worker="e2e", policy=POLICY, smtp=_smtp(port))["claimed"] == 0


def test_smtp_outage_falls_back_to_console_or_dead_letters(db_url: str) -> None:
    apply_file(SEED, APPLIED, db_url)
    check_reports(EVENING, db_url)
    with open_session(db_url) as s:
        at = EVENING
        for _ in range(6):  # rounds of delivery at the instants retries fall due; port 1: nobody listens
            deliver(s, at, worker="e2e", policy=POLICY, smtp=_smtp(1))
            at += dt.timedelta(minutes=1)
        rows = s.scalars(select(OutboxMessage).execution_options(populate_existing=True)).all()
        by_status = Counter(m.status for m in rows)
        assert by_status["pending"] == by_status["sending"] == 0  # everything reached an end state
        for m in rows:
            if m.status == "fallen_back":
                [child] = [c for c in rows if c.fallback_of == m.id]
                assert child.channel == "console" and child.status == "sent"
                assert child.body.startswith("【改由控制台发送】") or child.body.startswith("[Sent by console]")
            if m.status == "dead":
                assert m.channel == "email" and m.attempts == 2
                notices = [n for n in rows if n.source == "dead_letter" and n.payload.get("dead_letter_of") == m.id]
                assert len(notices) == 1 and notices[0].status == "sent"
        assert by_status["fallen_back"] > 0 and by_status["dead"] > 0
