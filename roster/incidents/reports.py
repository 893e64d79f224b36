"""Reports of an incident: draft from the template, edit, sign off (签发), send through the outbox.

A report moves draft -> signed -> sent. Every move is a compare-and-set UPDATE on (status, version): two
leaders signing the same draft at once both issue the UPDATE, exactly one matches, and the other is told who
signed first. Editing bumps the version, so a leader cannot sign a text other than the one they read.
Reports go out in order: 首报, 续报一, 续报二 …, 终报; an earlier report still unsent blocks a later one.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from notifications.outbox import dedup_key, enqueue_many, message_to
from roster.admin.current import current_bureau
from roster.incidents.clocks import FINAL, FIRST, FOLLOWUP, clock_for_report, report_name
from roster.incidents.errors import IncidentError, NotFound, SignConflict
from roster.incidents.ledger import add_event, facts_of, get_incident, section_of
from roster.incidents.recipients import IncidentResolver
from roster.incidents.template import FIELD_LIMIT, FIELD_NAMES, FIELDS, local_text, prefill, render
from roster.storage.models.incidents import CLOSED, DRAFT, SENT, SIGNED, Incident, IncidentReport
from roster.storage.models.people import Person


def _order(report: IncidentReport) -> tuple[int, int]:
    return ({FIRST: 0, FOLLOWUP: 1, FINAL: 2}[report.kind], report.seq)


def get_report(session: Session, report_id: int) -> IncidentReport:
    report = session.get(IncidentReport, report_id)
    if report is None:
        raise NotFound("report", f"没有报告 {report_id}", f"no report {report_id}")
    return report


def name_of(report: IncidentReport, locale: str = "zh-CN") -> str:
    return report_name(report.kind, report.seq, locale)


def _clean_fields(fields: dict[str, str | None]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for name, value in fields.items():
        if name not in FIELD_NAMES:
            raise IncidentError(
                name, "不是报告模板的字段", f"not a field of the report template ({', '.join(FIELD_NAMES)})"
            )
        if value is None:
            continue
        value = value.replace("\x00", "").strip()
        if len(value) > FIELD_LIMIT:
            raise IncidentError(name, f"不能超过 {FIELD_LIMIT} 个字符", f"at most {FIELD_LIMIT} characters")
        clean[name] = value
    return clean


def _rerender(session: Session, report: IncidentReport, incident: Incident, signer: str | None = None) -> str:
    section, _, _ = section_of(session)
    level = section.level(incident.level_id)
    return render(
        title=incident.title,
        code=incident.code,
        kind=report.kind,
        seq=report.seq,
        level_name=level.name if level else incident.level_id,
        fields=report.fields,
        signer=signer,
    )


def _contact(session: Session, person_id: str | None, duty_phone: str) -> str:
    person = session.get(Person, person_id) if person_id else None
    phone = duty_phone or (person.phone if person else "")
    return "，".join(part for part in ((person.name if person else ""), phone) if part)


def draft(
    session: Session,
    ref: str | int,
    *,
    now: dt.datetime,
    by: str | None = None,
    final: bool = False,
    **fields: str | None,
) -> IncidentReport:
    """A new draft: the 首报 first, then 续报N, or the 终报 with ``final``; prefilled from the last report."""
    section, bureau_name, tz = section_of(session)
    incident = get_incident(session, ref, for_update=True)
    if incident.status == CLOSED:
        raise IncidentError("incident", f"事件 {incident.code} 已结案", f"incident {incident.code} is closed")
    changes = _clean_fields(fields)
    reports = list(session.scalars(select(IncidentReport).where(IncidentReport.incident_id == incident.id)))
    if any(r.kind == FINAL for r in reports):
        raise IncidentError("final", "终报已起草，不能再起草报告", "the final report is already drafted")
    if final and not reports:
        raise IncidentError("final", "请先起草首报", "draft the first report before the final one")
    kind, seq = (
        (FINAL, 0) if final else (FIRST, 0) if not reports else (FOLLOWUP, 1 + sum(r.kind == FOLLOWUP for r in reports))
    )
    previous = max(reports, key=lambda r: r.drafted_at).fields if reports else None
    base = prefill(
        title=incident.title,
        place=incident.place,
        facts=incident.facts,
        received_at=incident.received_at,
        tz=tz,
        unit=section.reporting_unit or bureau_name,
        contact=_contact(session, section.contact or by, section.duty_phone),
        previous=previous,
    )
    report = IncidentReport(
        incident_id=incident.id,
        kind=kind,
        seq=seq,
        status=DRAFT,
        version=1,
        fields={**base, **changes},
        drafted_at=now,
        drafted_by=by,
    )
    report.text = _rerender(session, report, incident)
    session.add(report)
    session.flush()
    add_event(session, incident, now, "drafted", f"起草{name_of(report)}", actor=by, report_id=report.id)
    session.flush()
    return report


def _cas(session: Session, report: IncidentReport, version: int, expected: str, **values) -> bool:  # noqa: ANN003
    """One compare-and-set UPDATE: True if this call moved the row."""
    result = session.execute(
        update(IncidentReport)
        .where(IncidentReport.id == report.id, IncidentReport.status == expected, IncidentReport.version == version)
        .values(version=version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    session.expire(report)
    return result.rowcount == 1


def _lost(session: Session, report: IncidentReport, action_zh: str, action_en: str) -> SignConflict:
    if report.status == SIGNED or report.status == SENT:
        person = session.get(Person, report.signed_by) if report.signed_by else None
        who = f"{person.name}（{person.id}）" if person else (report.signed_by or "?")
        _, _, tz = section_of(session)
        at = local_text(report.signed_at, tz) if report.signed_at else "?"
        return SignConflict(
            "report",
            f"{name_of(report)}已由 {who}于 {at} 签发，您的{action_zh}未生效",
            f"already signed by {report.signed_by} at {at}; yours was not {action_en}",
        )
    return SignConflict(
        "version",
        f"草稿已被修改（现为第 {report.version} 版），请重新打开后再{action_zh}",
        f"the draft changed (now version {report.version}); reopen it",
    )


def edit(
    session: Session, report_id: int, *, version: int, now: dt.datetime, by: str | None = None, **fields: str | None
) -> IncidentReport:
    """Change fields of a draft read at ``version``; refused if it was signed or edited meanwhile."""
    report = get_report(session, report_id)
    changes = _clean_fields(fields)
    incident = session.get(Incident, report.incident_id)
    changed = [label for name, label, _ in FIELDS if name in changes and changes[name] != report.fields.get(name, "")]
    merged = {**report.fields, **changes}
    text = _rerender(session, IncidentReport(kind=report.kind, seq=report.seq, fields=merged), incident)
    if not _cas(session, report, version, DRAFT, fields=merged, text=text, edited_at=now):
        raise _lost(session, report, "修改", "edited")
    add_event(
        session,
        incident,
        now,
        "edited",
        f"修改{name_of(report)}：{'、'.join(changed) or '无变化'}",
        actor=by,
        report_id=report.id,
    )
    session.flush()
    return report


def sign(session: Session, report_id: int, *, version: int, signer: str, now: dt.datetime) -> IncidentReport:
    """签发 by the leader on duty (or a named signer): compare-and-set from the draft read at ``version``."""
    section, _, _ = section_of(session)
    report = get_report(session, report_id)
    incident = session.get(Incident, report.incident_id)
    if session.get(Person, signer) is None:
        raise IncidentError("signer", f"没有人员 {signer!r}", f"no person {signer!r}")
    resolver = IncidentResolver(session, section, current_bureau(session).bureau.head)
    if not resolver.may_sign(signer, now):
        raise IncidentError(
            "signer", f"{signer} 不是当前带班领导，无权签发", f"{signer} is not the leader on duty and may not sign"
        )
    text = _rerender(session, report, incident, signer=resolver.people[signer].name)
    sha = hashlib.sha256(text.encode()).hexdigest()
    if not _cas(
        session, report, version, DRAFT, status=SIGNED, signed_by=signer, signed_at=now, text=text, signed_sha256=sha
    ):
        raise _lost(session, report, "签发", "signed")
    add_event(
        session,
        incident,
        now,
        "signed",
        f"{resolver.people[signer].name} 签发{name_of(report)}",
        actor=signer,
        report_id=report.id,
    )
    session.flush()
    return report


def _blocking(session: Session, report: IncidentReport) -> IncidentReport | None:
    others = session.scalars(
        select(IncidentReport).where(IncidentReport.incident_id == report.incident_id, IncidentReport.status != SENT)
    ).all()
    earlier = [r for r in others if _order(r) < _order(report)]
    return min(earlier, key=_order) if earlier else None


def send(session: Session, report_id: int, *, now: dt.datetime, by: str | None = None) -> tuple[IncidentReport, int]:
    """Send a signed report to the level's recipients through the outbox; returns (report, messages)."""
    section, _, _ = section_of(session)
    report = get_report(session, report_id)
    incident = get_incident(session, report.incident_id, for_update=True)
    if report.status == SENT:
        raise IncidentError("report", f"{name_of(report)}已于 {report.sent_at.isoformat()} 报送", "already sent")
    if report.status != SIGNED:
        raise IncidentError(
            "report", f"{name_of(report)}尚未签发，不能报送", "not signed off yet; a leader must sign it first"
        )
    blocking = _blocking(session, report)
    if blocking is not None:
        state = "草稿" if blocking.status == DRAFT else "未报送"
        raise IncidentError(
            "report",
            f"{name_of(blocking)}仍是{state}，请先签发并报送它，再报送{name_of(report)}",
            f"{name_of(blocking, 'en')} is still {blocking.status}: send it before the {name_of(report, 'en')}",
        )
    facts, level, sent = facts_of(session, incident, now)
    resolver = IncidentResolver(session, section, current_bureau(session).bureau.head)
    recipients = [r for r in resolver.report_recipients(level, now) if r.reachable]
    if not recipients:
        raise IncidentError(
            "recipients",
            f"级别 {level.id} 的报送对象都无法送达",
            f"nobody among level {level.id}'s recipients can be reached",
        )
    clock = clock_for_report(facts, level, sent, report.kind, now)
    due_at = clock.due_at if clock else None
    if not _cas(
        session,
        report,
        report.version,
        SIGNED,
        status=SENT,
        sent_at=now,
        sent_by=by,
        due_at=due_at,
        on_time=due_at is None or now <= due_at,
    ):
        raise IncidentError("report", "报告刚被他人报送或修改", "someone else sent or changed the report just now")
    messages = _enqueue(session, incident, report, recipients, now)
    add_event(
        session,
        incident,
        now,
        "sent",
        f"报送{name_of(report)}（{len(recipients)} 个对象）",
        actor=by,
        report_id=report.id,
        detail={"due_at": due_at.isoformat() if due_at else None, "on_time": report.on_time},
    )
    if report.kind == FINAL:
        incident.ended_at = incident.ended_at or now
        incident.status, incident.closed_at = CLOSED, now
        add_event(session, incident, now, "closed", "终报已报送，结案", actor=by)
    session.flush()
    return report, messages


def _enqueue(session: Session, incident: Incident, report: IncidentReport, recipients: list, now: dt.datetime) -> int:  # noqa: ANN001
    rows, events = [], []
    subject = f"【{name_of(report)}】{incident.title}（{incident.code}）"
    for r in recipients:
        channel, address = r.channels[0]
        key = dedup_key("incident-report", report.id, r.ident, channel)
        rows.append(
            message_to(
                r,
                key=key,
                source="incident",
                subject=subject,
                body=report.text,
                now=now,
                payload={"incident": incident.code, "report": report.id, "name": name_of(report), "target": r.target},
            )
        )
        events.append(
            dict(
                incident_id=incident.id,
                at=now,
                kind="delivery",
                report_id=report.id,
                actor=None,
                summary=f"{name_of(report)} → {r.name}（{channel}: {address}）",
                detail={"recipient": r.name},
                event_key=key,
                outbox_key=key,
            )
        )
    added = enqueue_many(session, rows)
    from roster.incidents.storage import insert_events

    insert_events(session, events)
    return len(added)


def reports_of(session: Session, incident_id: int) -> list[IncidentReport]:
    rows = session.scalars(select(IncidentReport).where(IncidentReport.incident_id == incident_id)).all()
    return sorted(rows, key=_order)


def count_unsent(session: Session, incident_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(IncidentReport)
            .where(IncidentReport.incident_id == incident_id, IncidentReport.status != SENT)
        )
        or 0
    )
