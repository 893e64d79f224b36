"""Email through a real SMTP server (aiosmtpd on a random loopback port): recipient, subject, UTF-8 body."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from notifications.delivery import deliver
from notifications.outbox import enqueue
from notifications.settings import DeliveryPolicy, SmtpSettings
from roster.storage import open_session
from roster.storage.models.outbox import OutboxAttempt, OutboxMessage
from tests.notifications_helpers import smtp_server

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
POLICY = DeliveryPolicy(jitter=0)


def _smtp(port: int, **extra: str) -> SmtpSettings:
    env = {"DUTYFLOW_SMTP_HOST": "127.0.0.1", "DUTYFLOW_SMTP_PORT": str(port), "DUTYFLOW_SMTP_TLS": "none"}
    return SmtpSettings.from_env(env | extra)


def _enqueue_mail(s, *, to: str, subject: str, body: str, locale: str = "zh-CN", key: str = "k1") -> None:
    enqueue(
        s,
        key=key,
        source="escalation",
        channel="email",
        address=to,
        subject=subject,
        body=body,
        now=NOW,
        person_id="p01",
        locale=locale,
    )
    s.commit()


def test_chinese_mail_arrives_decoded(db_url: str) -> None:
    with smtp_server() as (port, mails), open_session(db_url) as s:
        _enqueue_mail(
            s,
            to="chao.xu01@cxzjj.gov.cn",
            subject="零报告提醒：物业小区组今日未报送",
            body="许超同志：物业小区组 2026年11月23日 的零报告尚未报送，截止时间 09:00 已过。\n请及时处理。",
        )
        summary = deliver(
            s, NOW, worker="mailer", policy=POLICY, smtp=_smtp(port, DUTYFLOW_SMTP_FROM="值班室 <duty@cxzjj.gov.cn>")
        )
        assert summary["sent"] == 1
        [mail] = mails
        assert mail.rcpt_tos == ["chao.xu01@cxzjj.gov.cn"]
        assert mail.mail_from == "duty@cxzjj.gov.cn"
        assert mail.subject == "零报告提醒：物业小区组今日未报送"
        assert "值班室" in str(mail.message["from"])
        text = mail.text
        assert "许超同志：物业小区组 2026年11月23日 的零报告尚未报送" in text
        assert "本邮件由 dutyflow 值班系统自动发送" in text  # the Chinese footer
        assert s.scalar(select(OutboxMessage.status)) == "sent"
        assert [a.ok for a in s.scalars(select(OutboxAttempt))] == [True]


def test_english_locale_gets_english_footer(db_url: str) -> None:
    with smtp_server() as (port, mails), open_session(db_url) as s:
        _enqueue_mail(
            s, to="duty@example.org", subject="Daily report overdue", body="Group water: overdue.", locale="en"
        )
        assert deliver(s, NOW, worker="mailer", policy=POLICY, smtp=_smtp(port))["sent"] == 1
        [mail] = mails
        assert mail.mail_from == "dutyflow@localhost"
        assert mail.message["x-application"] == "dutyflow"
        assert "Sent automatically by the dutyflow duty system." in mail.text


def test_unreachable_smtp_server_is_retried_not_lost(db_url: str) -> None:
    with smtp_server() as (port, mails), open_session(db_url) as s:
        _enqueue_mail(s, to="a@cxzjj.gov.cn", subject="测试", body="正文")
        summary = deliver(s, NOW, worker="mailer", policy=POLICY, smtp=_smtp(1))  # nothing listens on port 1
        assert summary["retrying"] == 1 and mails == []
        message = s.scalar(select(OutboxMessage))
        assert message.status == "pending" and message.attempts == 1
        # Once the right server is configured, the retry gets through.
        assert deliver(s, message.next_attempt_at, worker="mailer", policy=POLICY, smtp=_smtp(port))["sent"] == 1
        assert len(mails) == 1


def test_missing_smtp_host_is_a_permanent_error_without_retries(db_url: str) -> None:
    with open_session(db_url) as s:
        _enqueue_mail(s, to="a@cxzjj.gov.cn", subject="测试", body="正文")
        summary = deliver(s, NOW, worker="mailer", policy=POLICY, smtp=SmtpSettings.from_env({}))
        # No person row with other channels: a dead letter at once, with the reason.
        assert summary["dead"] == 1
        message = s.scalar(select(OutboxMessage).where(OutboxMessage.channel == "email"))
        assert message.status == "dead" and "DUTYFLOW_SMTP_HOST" in (message.last_error or "")


def test_a_repeat_after_a_crash_carries_the_same_message_id(db_url: str) -> None:
    """A worker that sent a message but died before recording it leaves a lease that expires; the message is
    sent again, and both copies carry one Message-ID derived from the dedup key, so clients drop the repeat."""
    from sqlalchemy import update

    with smtp_server() as (port, mails), open_session(db_url) as s:
        _enqueue_mail(s, to="a@cxzjj.gov.cn", subject="升级提醒 2", body="正文", key="escalation|u1|2026-11-23|2")
        _enqueue_mail(s, to="a@cxzjj.gov.cn", subject="升级提醒 3", body="正文", key="escalation|u1|2026-11-23|3")
        smtp = _smtp(port, DUTYFLOW_SMTP_FROM="duty@cxzjj.gov.cn")
        assert deliver(s, NOW, worker="first", policy=POLICY, smtp=smtp)["sent"] == 2
        # Simulate the crash: the first row is back in flight with a lapsed lease, as if never recorded.
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedup_key == "escalation|u1|2026-11-23|2")
            .values(status="sending", claimed_by="first", claimed_until=NOW)
        )
        s.commit()
        assert deliver(s, NOW + dt.timedelta(minutes=5), worker="second", policy=POLICY, smtp=smtp)["sent"] == 1
        # The first two were sent concurrently, in either order: match the copies by subject.
        ids = {}
        for mail in mails:
            assert len(mail.message.get_all("message-id")) == 1
            ids.setdefault(mail.subject, []).append(mail.message["message-id"])
        assert sorted(len(v) for v in ids.values()) == [1, 2]
        [first, repeat] = ids["升级提醒 2"]
        assert first == repeat, "the repeat must carry the first copy's Message-ID"
        assert ids["升级提醒 3"][0] != first, "different messages get different ids"
        assert first.endswith("@cxzjj.gov.cn>")
