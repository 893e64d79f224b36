"""Registering incidents and recording what happens to them: severity changes, the phone report,
developments, the end of the response. Every function runs in the caller's transaction and either makes all
of its writes or raises ``IncidentError`` before making any."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from roster.admin.current import NoBureauApplied, current_bureau
from roster.incidents.clocks import FINAL, IncidentFacts, SentReport
from roster.incidents.errors import IncidentError, NotFound
from roster.incidents.schema import IncidentsSection, SeverityLevel
from roster.storage.models.incidents import (
    CLOSED,
    ENDED,
    OPEN,
    SENT,
    Incident,
    IncidentEvent,
    IncidentLevel,
    IncidentReport,
)
from roster.storage.models.people import Person
from roster.timeutil import local_date_of

# A received time a little ahead of the server clock is a phone's clock drift, not a typo.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def section_of(session: Session) -> tuple[IncidentsSection, str, str]:
    """(the incidents section, the bureau's name, its time zone); an error if the file has none."""
    try:
        bureau = current_bureau(session)
    except NoBureauApplied:
        raise IncidentError("admin", "尚未应用管理文件", "no admin file has been applied yet") from None
    section = getattr(bureau, "incidents", None)
    if section is None:
        raise IncidentError(
            "incidents", "管理文件没有 incidents 段（事件级别与报送时限）", "the admin file has no incidents section"
        )
    return section, bureau.bureau.name, bureau.bureau.timezone


def get_incident(session: Session, ref: str | int, *, for_update: bool = False) -> Incident:
    """By id (``12``) or code (``2026-11-003``)."""
    text = str(ref).strip()
    stmt = select(Incident).where(Incident.id == int(text)) if text.isdigit() else select(Incident)
    if not text.isdigit():
        stmt = stmt.where(Incident.code == text)
    if for_update:
        stmt = stmt.with_for_update()
    incident = session.scalars(stmt).first()
    if incident is None:
        raise NotFound("incident", f"没有事件 {text!r}", f"no incident {text!r}")
    return incident


def _person(session: Session, person_id: str | None, field: str) -> str | None:
    if person_id is None:
        return None
    if session.get(Person, person_id) is None:
        raise IncidentError(field, f"没有人员 {person_id!r}", f"no person {person_id!r}")
    return person_id


def _level(section: IncidentsSection, level_id: str, field: str = "severity") -> SeverityLevel:
    level = section.level(level_id)
    if level is None:
        known = "、".join(f"{lv.id}（{lv.name}）" for lv in section.levels)
        raise IncidentError(field, f"没有事件级别 {level_id!r}，可选：{known}", f"no severity level {level_id!r}")
    return level


def _text(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise IncidentError(field, "不能为空", "must not be empty")
    if len(value) > limit:
        raise IncidentError(field, f"不能超过 {limit} 个字符", f"at most {limit} characters")
    return value


def _next_code(session: Session, received_at: dt.datetime, tz: str) -> str:
    prefix = local_date_of(received_at, tz).strftime("%Y-%m-")
    count = session.scalar(select(func.count()).select_from(Incident).where(Incident.code.like(prefix + "%")))
    return f"{prefix}{(count or 0) + 1:03d}"


def _insert_with_code(session: Session, incident: Incident, tz: str) -> None:
    """Number the incident within its month; two officers registering at once both get a number (the
    loser of the unique-code race takes the next one)."""
    for _ in range(5):
        incident.code = _next_code(session, incident.received_at, tz)
        try:
            with session.begin_nested():
                session.add(incident)
                session.flush()
            return
        except IntegrityError:
            continue
    raise IncidentError("code", "事件编号冲突，请重试", "could not number the incident; try again")


def add_event(session: Session, incident: Incident, at: dt.datetime, kind: str, summary: str, **extra) -> None:  # noqa: ANN003
    extra.setdefault("detail", {})
    session.add(IncidentEvent(incident_id=incident.id, at=at, kind=kind, summary=summary, **extra))


def open_incident(
    session: Session,
    *,
    title: str,
    severity: str,
    received_at: dt.datetime,
    now: dt.datetime,
    source: str = "",
    place: str = "",
    category: str = "",
    facts: str = "",
    by: str | None = None,
) -> Incident:
    """Register an incident. Its clocks run from ``received_at`` (接报), not from ``now`` (登记)."""
    section, _, tz = section_of(session)
    level = _level(section, severity)
    title = _text(title, "title", 200, required=True)
    category = _text(category, "category", 50) or "其他"
    if category not in section.categories and category != "其他":
        raise IncidentError(
            "category",
            f"未知类别 {category!r}，可选：{'、'.join(section.categories)}",
            f"unknown category {category!r}",
        )
    if received_at > now + FUTURE_TOLERANCE:
        raise IncidentError("received_at", "接报时间晚于当前时间", "the time received is in the future")
    incident = Incident(
        title=title,
        category=category,
        source=_text(source, "source", 200),
        place=_text(place, "place", 300),
        facts=_text(facts, "facts", 20000),
        level_id=level.id,
        received_at=received_at,
        registered_at=now,
        registered_by=_person(session, by, "by"),
        status=OPEN,
    )
    _insert_with_code(session, incident, tz)
    session.add(_level_row(incident, level, received_at, incident.registered_by, "接报定级"))
    add_event(session, incident, received_at, "received", f"接报（{incident.source or '来源未填'}）：{title}", actor=by)
    add_event(session, incident, now, "registered", f"登记，事件级别：{level.name}", actor=by)
    session.flush()
    return incident


def _level_row(incident: Incident, level: SeverityLevel, at: dt.datetime, by: str | None, reason: str) -> IncidentLevel:
    """The incident's level from ``at`` on; the level's settings are copied, so history survives a new file."""
    return IncidentLevel(
        incident_id=incident.id,
        level_id=level.id,
        level=level.model_dump(mode="json"),
        changed_at=at,
        changed_by=by,
        reason=reason,
    )


def _require_active(incident: Incident, action: str) -> None:
    if incident.status == CLOSED:
        raise IncidentError(
            "incident", f"事件 {incident.code} 已结案，不能{action}", f"incident {incident.code} is closed"
        )


def change_severity(
    session: Session, ref: str | int, severity: str, *, now: dt.datetime, by: str | None = None, reason: str = ""
) -> Incident:
    """Raise or lower the severity: the open clocks follow the new level; the old ones stay in history."""
    section, _, _ = section_of(session)
    incident = get_incident(session, ref, for_update=True)
    _require_active(incident, "调整级别")
    level = _level(section, severity)
    if level.id == incident.level_id:
        raise IncidentError("severity", f"事件已是 {level.name} 级", f"the incident is already {level.id}")
    old = incident.level_id
    incident.level_id = level.id
    session.add(_level_row(incident, level, now, _person(session, by, "by"), _text(reason, "reason", 500)))
    add_event(session, incident, now, "severity", f"级别调整：{old} → {level.id}（{level.name}）", actor=by)
    session.flush()
    return incident


def record_phone(
    session: Session, ref: str | int, *, at: dt.datetime, to: str, now: dt.datetime, by: str | None = None
) -> Incident:
    """The phone report (电话报告) was made at ``at`` to ``to``."""
    incident = get_incident(session, ref, for_update=True)
    to = _text(to, "to", 200, required=True)
    if at > now + FUTURE_TOLERANCE or at < incident.received_at:
        raise IncidentError(
            "at", "电话报告时间须在接报之后、当前时间之前", "the phone report must be after receipt, not ahead"
        )
    if incident.phone_reported_at is not None:
        raise IncidentError("incident", "电话报告已登记", "the phone report is already recorded")
    incident.phone_reported_at, incident.phone_reported_to = at, to
    add_event(session, incident, at, "phone", f"电话报告：{to}", actor=_person(session, by, "by"))
    session.flush()
    return incident


def record_development(
    session: Session, ref: str | int, text: str, *, now: dt.datetime, by: str | None = None
) -> Incident:
    """A development (新情况): a change that starts the 续报-after-change clock."""
    incident = get_incident(session, ref, for_update=True)
    _require_active(incident, "登记进展")
    text = _text(text, "text", 5000, required=True)
    add_event(session, incident, now, "development", text, actor=_person(session, by, "by"))
    session.flush()
    return incident


def end_incident(session: Session, ref: str | int, *, now: dt.datetime, by: str | None = None) -> Incident:
    """处置结束: the 终报 clock starts (or, when the level needs no 终报 or it is out, the incident closes)."""
    incident = get_incident(session, ref, for_update=True)
    _require_active(incident, "再次结束")
    if incident.status == ENDED:
        raise IncidentError(
            "incident", "事件已处置结束，等待终报", "the response already ended; the final report is due"
        )
    facts, level, sent = facts_of(session, incident, now)
    incident.ended_at = now
    final_sent = any(r.kind == FINAL for r in sent)
    if level.final_required and not final_sent:
        incident.status = ENDED
        add_event(session, incident, now, "ended", "处置结束，待报终报", actor=_person(session, by, "by"))
    else:
        incident.status, incident.closed_at = CLOSED, now
        add_event(session, incident, now, "closed", "处置结束，结案", actor=_person(session, by, "by"))
    session.flush()
    return incident


Facts = tuple[IncidentFacts, SeverityLevel, list[SentReport]]


def facts_of(session: Session, incident: Incident, now: dt.datetime) -> Facts:
    """What the clocks need, from the stored rows: the facts, the level in force at ``now``, sent reports."""
    return facts_by_incident(session, [incident], now)[incident.id]


def facts_by_incident(session: Session, incidents: list[Incident], now: dt.datetime) -> dict[int, Facts]:
    """``facts_of`` for many incidents in three queries (a tick reads every open incident)."""
    ids = [i.id for i in incidents]
    levels: dict[int, list] = {i: [] for i in ids}
    for row in session.execute(
        select(IncidentLevel.incident_id, IncidentLevel.level, IncidentLevel.changed_at)
        .where(IncidentLevel.incident_id.in_(ids))
        .order_by(IncidentLevel.changed_at, IncidentLevel.id)
    ):
        levels[row.incident_id].append(row)
    developments: dict[int, list[dt.datetime]] = {i: [] for i in ids}
    for incident_id, at in session.execute(
        select(IncidentEvent.incident_id, IncidentEvent.at).where(
            IncidentEvent.incident_id.in_(ids), IncidentEvent.kind == "development"
        )
    ):
        developments[incident_id].append(at)
    sent: dict[int, list[SentReport]] = {i: [] for i in ids}
    for incident_id, kind, seq, sent_at in session.execute(
        select(IncidentReport.incident_id, IncidentReport.kind, IncidentReport.seq, IncidentReport.sent_at).where(
            IncidentReport.incident_id.in_(ids), IncidentReport.status == SENT
        )
    ):
        sent[incident_id].append(SentReport(kind, seq, sent_at))
    out: dict[int, Facts] = {}
    for incident in incidents:
        rows = levels[incident.id]
        current = [row for row in rows if row.changed_at <= now] or rows[:1]
        changes = tuple(sorted([row.changed_at for row in rows[1:]] + developments[incident.id]))
        facts = IncidentFacts(incident.received_at, incident.phone_reported_at, incident.ended_at, changes)
        out[incident.id] = (facts, SeverityLevel.model_validate(current[-1].level), sent[incident.id])
    return out
