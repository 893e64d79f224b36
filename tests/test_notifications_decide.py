"""``decide_exhausted``: what a message whose channel is used up becomes, without a database."""

from __future__ import annotations

import datetime as dt

from notifications.fallback import DEAD_LETTER_SOURCE, OPERATOR, decide_exhausted
from notifications.sender import SendOutcome
from roster.storage.models.outbox import DEAD, FALLEN_BACK, OutboxMessage
from roster.storage.models.people import Person

AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _row(**fields: object) -> OutboxMessage:
    values = dict(
        id=7, dedup_key="escalation|u1|2026-11-23|1|0|p01|email", source="escalation", person_id="p01",
        channel="email", address="p01@example.cn", locale="zh-CN", subject="迟报提醒", body="请尽快报送。",
        payload={"unit": "u1"}, fallback_of=None,
    )  # fmt: skip
    values.update(fields)
    return OutboxMessage(**values)


def test_falls_back_to_the_persons_next_channel_with_a_notice() -> None:
    row = _row()
    person = Person(
        id="p01", channels=[{"kind": "email", "target": "p01@example.cn"}, {"kind": "wecom", "target": "k"}]
    )
    status, follow_up = decide_exhausted(row, [row], person, SendOutcome(ok=False, error="550"), failures=3, at=AT)
    assert status == FALLEN_BACK and follow_up is not None
    assert (follow_up["channel"], follow_up["address"], follow_up["fallback_of"]) == ("wecom", "k", 7)
    assert follow_up["dedup_key"].startswith(row.dedup_key + "|fallback|wecom|")
    assert follow_up["body"].endswith("\n\n请尽快报送。") and "3" in follow_up["body"].split("\n")[0]
    assert follow_up["payload"] == {"unit": "u1", "fallback_from": 7}


def test_no_channel_left_is_a_dead_letter_told_to_the_operator_once() -> None:
    row = _row()
    status, notice = decide_exhausted(
        row, [row], None, SendOutcome(ok=False, error="550 no such user."), failures=3, at=AT
    )
    assert status == DEAD and notice is not None
    assert (notice["channel"], notice["address"], notice["source"]) == ("console", OPERATOR, DEAD_LETTER_SOURCE)
    assert notice["payload"] == {"dead_letter_of": 7} and "550 no such user" in notice["body"]
    dead_notice = _row(source=DEAD_LETTER_SOURCE, channel="console", address=OPERATOR, person_id=None)
    assert decide_exhausted(dead_notice, [dead_notice], None, SendOutcome(ok=False), failures=1, at=AT) == (DEAD, None)
