"""The pure decisions of the reports feature, without a database: who may acknowledge, what a submission is,
and how attachment names are made safe."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import pytest

from roster.reports.ack import ALLOWED, NOT_ABOVE, OWN_UNIT, UNKNOWN, AckFacts, decide_ack
from roster.reports.filenames import safe_filename
from roster.reports.submission import (
    Attachment,
    IdempotencyConflict,
    ReportError,
    SubmissionFacts,
    decide_submission,
    validate_submission,
)

DAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
FACTS = AckFacts(
    unit_id="grp-water",
    unit_name="供水组",
    contact_person_id="p14",
    day=DAY,
    person_id="p03",
    person_name="张三",
    later_step_recipient=False,
    leader_on_duty=False,
    bureau_head=False,
    admin=False,
    acked_by=None,
    acked_at=None,
    first_received_at=None,
    excused=False,
)


def test_only_people_above_the_unit_may_acknowledge() -> None:
    assert decide_ack(FACTS).outcome == NOT_ABOVE
    for role in ("later_step_recipient", "leader_on_duty", "bureau_head", "admin"):
        decision = decide_ack(replace(FACTS, **{role: True}))
        assert decision.outcome == ALLOWED and decision.allowed and len(decision.roles) == 1
    # the unit's own contact never, whatever else they are
    own = replace(FACTS, person_id="p14", leader_on_duty=True, later_step_recipient=True)
    assert decide_ack(own).outcome == OWN_UNIT and not decide_ack(own).roles
    assert decide_ack(replace(FACTS, unit_name=None, admin=True)).outcome == UNKNOWN
    assert decide_ack(replace(FACTS, person_name=None, admin=True)).outcome == UNKNOWN


def _request(**kw):  # noqa: ANN003, ANN202
    args = {"day": DAY, "kind": "report", "text": " 正文 ", "attachments": [], "idempotency_key": None}
    return validate_submission(**(args | kw), attachment_limit=1000)


def test_validation_normalises_and_names_the_field() -> None:
    request = _request(attachments=[Attachment("../a.txt", "text/plain", b"1"), Attachment("A.TXT", "", b"2")])
    assert request.text == "正文" and [a.filename for a in request.attachments] == ["a.txt", "A (2).TXT"]
    assert request.attachments[1].content_type == "application/octet-stream"
    for kw, field in (
        ({"kind": "weekly"}, "kind"),
        ({"text": "  "}, "text"),
        ({"text": "a\x00"}, "text"),
        ({"idempotency_key": "k\x1b"}, "idempotency_key"),
        ({"attachments": [Attachment("a", "x", b"1" * 1001)]}, "attachments[0]"),
        ({"attachments": [Attachment("a", "x", b"1")] * 11}, "attachments"),
    ):
        with pytest.raises(ReportError) as err:
            _request(**kw)
        assert err.value.field == field


def test_decision_replay_conflict_or_next_revision() -> None:
    request = _request()
    facts = SubmissionFacts(deadline_at=NOW, first_received_at=None, same_key=None, last_revision=0)
    first = decide_submission(facts, request, NOW)
    assert (first.replay_of, first.revision, first.late, first.first_report) == (None, 1, False, True)
    late = decide_submission(replace(facts, last_revision=2, first_received_at=NOW), request, NOW + dt.timedelta(1))
    assert (late.revision, late.late, late.first_report) == (3, True, False)
    earlier = SimpleNamespace(content_sha256=request.content_sha256, day=DAY, revision=1, late=False)
    assert decide_submission(replace(facts, same_key=earlier), request, NOW).replay_of is earlier
    with pytest.raises(IdempotencyConflict):
        decide_submission(replace(facts, same_key=replace_ns(earlier, content_sha256="other")), request, NOW)


def replace_ns(ns: SimpleNamespace, **kw) -> SimpleNamespace:  # noqa: ANN003
    return SimpleNamespace(**(vars(ns) | kw))


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("..", "attachment"),
        (".", "attachment"),
        ("", "attachment"),
        ("C:\\Users\\x\\报告.docx", "报告.docx"),
        ("a/b/c.pdf", "c.pdf"),
        ("nul", "_nul"),
        ("LPT1.txt", "_LPT1.txt"),
        ('a<b>:"c|?*.txt', "a_b___c___.txt"),
        ("trailing. . ", "trailing"),
        ("x" * 300, "x" * 120),
    ],
)
def test_safe_filenames(name: str, safe: str) -> None:
    assert safe_filename(name) == safe
    taken: set[str] = set()
    names = [safe_filename(name, taken) for _ in range(3)]
    assert len(set(names)) == 3 and all(len(n) <= 120 for n in names)
