"""Who may acknowledge a late or missing report through a link: gather the facts, then a pure decision.

Acknowledging stops the escalation steps that would tell people further up. So only a person *above* the
unit may do it: someone the escalation reached at step 2 or later, the leader on duty, the bureau head, or
an admin. The unit's own contact never can (the defaulter must not silence the alarm about itself): they
stop the escalation by submitting, or through an approved excuse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.current import NoBureauApplied, current_bureau
from roster.reports.links import AckClaim
from roster.storage import session_scope
from roster.storage.models.people import Person
from roster.storage.models.reports import EscalationEvent, ReportExpectation, ReportUnit

ALLOWED = "allowed"
OWN_UNIT = "own_unit"
NOT_ABOVE = "not_above"
UNKNOWN = "unknown"  # the unit or the person is gone


@dataclass(frozen=True)
class AckFacts:
    unit_id: str
    unit_name: str | None  # None: no active unit
    contact_person_id: str | None
    day: dt.date
    person_id: str
    person_name: str | None  # None: no active person
    later_step_recipient: bool  # told at escalation step 2 or later for this unit-day
    leader_on_duty: bool
    bureau_head: bool
    admin: bool
    acked_by: str | None
    acked_at: dt.datetime | None
    first_received_at: dt.datetime | None
    excused: bool


@dataclass(frozen=True)
class AckDecision:
    outcome: str  # ALLOWED, OWN_UNIT, NOT_ABOVE or UNKNOWN
    roles: tuple[str, ...]  # why the person may acknowledge (empty unless allowed)

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOWED


def decide_ack(facts: AckFacts) -> AckDecision:
    """Pure: may this person acknowledge this unit-day, and in which capacity."""
    if facts.unit_name is None or facts.person_name is None:
        return AckDecision(UNKNOWN, ())
    if facts.person_id == facts.contact_person_id:
        return AckDecision(OWN_UNIT, ())
    roles = tuple(
        role
        for role, holds in (
            ("escalation_recipient", facts.later_step_recipient),
            ("leader_on_duty", facts.leader_on_duty),
            ("bureau_head", facts.bureau_head),
            ("admin", facts.admin),
        )
        if holds
    )
    return AckDecision(ALLOWED if roles else NOT_ABOVE, roles)


def gather_ack_facts(session: Session, claim: AckClaim, now: dt.datetime) -> AckFacts:
    """Everything ``decide_ack`` needs, read in a few queries (nothing is written)."""
    from roster.on_duty import on_duty_at

    unit = session.get(ReportUnit, claim.unit_id)
    person = session.get(Person, claim.person_id)
    later_step = session.scalar(
        select(EscalationEvent.id)
        .where(
            EscalationEvent.unit_id == claim.unit_id,
            EscalationEvent.day == claim.day,
            EscalationEvent.person_id == claim.person_id,
            EscalationEvent.kind == "notified",
            EscalationEvent.step >= 2,
        )
        .limit(1)
    )
    row = session.scalars(
        select(ReportExpectation).where(ReportExpectation.unit_id == claim.unit_id, ReportExpectation.day == claim.day)
    ).first()
    try:
        bureau = current_bureau(session)
        head = bureau.bureau.head
        admins = set(bureau.admins)  # the web console's admins, named in the admin file
    except NoBureauApplied:
        head, admins = None, set()
    leader = on_duty_at(session, now).leader_on_duty
    return AckFacts(
        unit_id=claim.unit_id,
        unit_name=unit.name if unit is not None and unit.active else None,
        contact_person_id=unit.contact_person_id if unit is not None else None,
        day=claim.day,
        person_id=claim.person_id,
        person_name=person.name if person is not None and person.active else None,
        later_step_recipient=later_step is not None,
        leader_on_duty=leader is not None and leader.person_id == claim.person_id,
        bureau_head=head == claim.person_id,
        admin=claim.person_id in admins,
        acked_by=row.acked_by if row else None,
        acked_at=row.acked_at if row else None,
        first_received_at=row.first_received_at if row else None,
        excused=bool(row and row.excused_at),
    )


# ------------------------------------------------------------- the link flow (GET shows, POST acknowledges)


def view_link(url: str | None, signed: str, now: dt.datetime) -> tuple[AckFacts, AckDecision, str]:
    """What a GET of the link shows: the facts, the decision, and a fresh one-time form token."""
    from roster.reports import links

    keys = links.accepted_secrets()
    claim = links.verify_ack(keys, signed, now)
    with session_scope(url) as session:
        facts = gather_ack_facts(session, claim, now)
    return facts, decide_ack(facts), links.issue_form_token(keys[0], signed, now)


def confirm_link(url: str | None, signed: str, form_token: str, now: dt.datetime) -> tuple[int, Any]:
    """Acknowledge through a link: (status, facts and ack result) or (status, (zh, en) refusal)."""
    from roster.reports import links
    from roster.reports.ledger import ReportError, acknowledge

    keys = links.accepted_secrets()
    claim = links.verify_ack(keys, signed, now)
    nonce = links.check_form_token(keys, signed, form_token, now)
    with session_scope(url) as session:
        facts = gather_ack_facts(session, claim, now)
        decision = decide_ack(facts)
        if decision.outcome != ALLOWED:
            if decision.outcome == OWN_UNIT:
                return 403, (
                    "单位联系人不能确认本单位的催报：请报送或申请说明情况。",
                    "A unit's own contact cannot acknowledge: submit the report or ask for an excuse.",
                )
            return 403, ("只有该单位的上级可以确认。", "Only someone above the unit can acknowledge.")
        if not links.use_nonce(session, nonce, "report-ack", now):
            return 409, (
                "此确认页已使用过，请重新打开链接。",
                "This confirmation was already used: open the link again",
            )
        try:
            result = acknowledge(session, unit_id=claim.unit_id, day=claim.day, by=claim.person_id, now=now, via="link")
        except ReportError as exc:
            session.rollback()
            return exc.status, (exc.message, exc.message)
    return 200, (facts, result)
