"""Apply a validated admin file to the database: all or nothing, idempotent, and say exactly what changed.

The file is the source of truth for people, groups, memberships and leave. People and groups that leave
the file are marked inactive, never deleted: shifts, reports and the audit log still point at them.
Every applied document is kept in ``bureau_configs`` (a new row only when its normalized content changed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from roster.admin.current import document_of
from roster.admin.loader import load_bureau
from roster.admin.schema import BureauFile
from roster.admin.sections import SECTIONS
from roster.inspections.admin_apply import apply_section as store_inspections
from roster.reports.admin_apply import apply_section as store_reports
from roster.storage.models.people import BureauConfig, Group, GroupMembership, Leave, Person
from roster.storage.models.shifts import AuditEntry, Shift, ShiftAssignment

FEATURE_SECTIONS = tuple(section.field for section in SECTIONS)
# The feature sections whose rows are stored on apply: (session, bureau, now) -> change lines, each in the
# apply's transaction and idempotent. In this order: reports after inspections, which may own the units' groups.
SECTION_STORES = (store_inspections, store_reports)
APPLY_LOCK_KEY = 7414  # pg_advisory_xact_lock key serializing applies (7413 is the schema migration's)
# Sections diffed field by field from the stored document; people, groups and leave are diffed as rows.
DOCUMENT_SECTIONS = (
    "version",
    "bureau",
    "roles",
    "shift_pattern",
    "requirements",
    "rules",
    "fairness",
    "holidays",
    "admins",
)


@dataclass
class ApplyReport:
    sha256: str
    people: int
    groups: int
    changes: list[str] = field(default_factory=list)
    config_id: int | None = None  # the BureauConfig row in force after the apply
    dry_run: bool = False
    # Not errors: things the admin should act on, e.g. a removed person still holding planned shifts.
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        if not self.changes:
            return "no changes"
        verb = "would change" if self.dry_run else "changed"
        return f"{verb}: {len(self.changes)} change(s)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "dry_run": self.dry_run,
            "sha256": self.sha256,
            "config_id": self.config_id,
            "people": self.people,
            "groups": self.groups,
            "changes": self.changes,
            "warnings": self.warnings,
            "summary": self.summary(),
        }


def normalized_sha256(bureau: BureauFile) -> str:
    """Content hash of the normalized document: formatting, comments and key order do not count."""
    text = json.dumps(document_of(bureau), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def apply_file(
    path: str | Path, now: dt.datetime, database_url: str | None = None, *, dry_run: bool = False, actor: str = "admin"
) -> ApplyReport:
    """Validate ``path`` (raises ``AdminFileError`` before touching the database) and apply it in one
    transaction; ``dry_run`` computes the report and rolls back."""
    return apply_validated(load_bureau(path), now, database_url, dry_run=dry_run, actor=actor)


def apply_validated(
    bureau: BureauFile,
    now: dt.datetime,
    database_url: str | None = None,
    *,
    dry_run: bool = False,
    actor: str = "admin",
) -> ApplyReport:
    """Apply an already validated bureau in its own transaction (commit, or roll back on error/dry run)."""
    from roster.storage import open_session

    session = open_session(database_url)
    try:
        report = apply_bureau(session, bureau, now, actor=actor)
        if dry_run:
            session.rollback()
            report.dry_run = True
        else:
            session.commit()
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def apply_bureau(session: Session, bureau: BureauFile, now: dt.datetime, actor: str = "admin") -> ApplyReport:
    """Upsert the bureau's rows inside the caller's transaction (the caller commits or rolls back)."""
    if session.get_bind().dialect.name == "postgresql":
        # Two applies at once (an admin and a deploy script): the second waits, then sees the first's rows
        # and reports only what is left to change, instead of failing on duplicate keys.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPLY_LOCK_KEY})
    sha = normalized_sha256(bureau)
    document = document_of(bureau)
    previous = session.scalars(select(BureauConfig).order_by(BureauConfig.id.desc()).limit(1)).first()
    changes: list[str] = []
    if previous is None:
        changes.append(f"bureau configuration created: {bureau.bureau.name}")
    else:
        changes.extend(_document_changes(previous.document, document))
    changes.extend(_apply_people(session, bureau))
    changes.extend(_apply_groups(session, bureau))
    changes.extend(_apply_memberships(session, bureau))
    changes.extend(_apply_leave(session, bureau))
    warnings = _planned_shift_warnings(session, bureau, now)
    for store in SECTION_STORES:
        changes.extend(store(session, bureau, now))

    if previous is not None and previous.sha256 != sha and not changes:
        # Same rows, different document: entries were reordered (the order is kept, so say so).
        moved = [key for key in document if previous.document.get(key) != document[key]]
        changes.append(f"order of entries changed in {', '.join(moved) or 'the document'}; nothing else")
    config_id = previous.id if previous is not None else None
    if previous is None or previous.sha256 != sha:
        config = BureauConfig(applied_at=now, sha256=sha, document=document)
        session.add(config)
        session.flush()
        config_id = config.id
    if changes:
        session.add(
            AuditEntry(
                at=now,
                actor=actor,
                action="admin_apply",
                reason=f"admin file {sha[:12]}",
                details={"sha256": sha, "config_id": config_id, "changes": changes},
            )
        )
        session.flush()
    return ApplyReport(
        sha256=sha,
        people=len(bureau.people),
        groups=len(bureau.groups),
        changes=changes,
        config_id=config_id,
        warnings=warnings,
    )


# --------------------------------------------------------------------------------------------- people


def _person_fields(person, bureau: BureauFile) -> dict[str, Any]:  # noqa: ANN001
    return {
        "name": person.name,
        "phone": person.phone,
        "email": str(person.email) if person.email else None,
        "rank": person.rank,
        "roles": list(person.roles),
        "locale": person.locale or bureau.bureau.locale,
        "calendar_reminder_minutes": person.calendar_reminder_minutes,
        "channels": [c.model_dump(mode="json") for c in person.channels],
    }


def _apply_people(session: Session, bureau: BureauFile) -> list[str]:
    wanted = {p.id: (p.name, _person_fields(p, bureau)) for p in bureau.people}
    return _sync_by_id(session, Person, "person", wanted)


# --------------------------------------------------------------------------------------------- groups


def _apply_groups(session: Session, bureau: BureauFile) -> list[str]:
    wanted = {g.id: (g.name, {"name": g.name, "sector": g.sector, "leader_id": g.leader}) for g in bureau.groups}
    return _sync_by_id(session, Group, "group", wanted, labels={"leader_id": "leader"})


def _sync_by_id(
    session: Session,
    model: type[Person] | type[Group],
    noun: str,
    wanted: dict[str, tuple[str, dict[str, Any]]],
    labels: dict[str, str] | None = None,
) -> list[str]:
    """Make the rows of ``model`` match ``wanted`` (id → (name, fields), in file order): add, update changed
    fields, re-activate; a row no longer in the file is marked inactive, never deleted (history keeps it)."""
    labels = labels or {}
    changes: list[str] = []
    rows = {r.id: r for r in session.scalars(select(model))}
    for entity_id, (name, fields) in wanted.items():
        row = rows.get(entity_id)
        if row is None:
            session.add(model(id=entity_id, active=True, **fields))
            changes.append(f"{noun} {entity_id} ({name}) added")
            continue
        if not row.active:
            row.active = True
            changes.append(f"{noun} {entity_id} ({name}) re-activated")
        for column, value in fields.items():
            old = getattr(row, column)
            if old != value:
                setattr(row, column, value)
                changes.append(f"{noun} {entity_id} {labels.get(column, column)}: {_show(old)} → {_show(value)}")
    for entity_id in sorted(rows):
        row = rows[entity_id]
        if row.active and entity_id not in wanted:
            row.active = False
            changes.append(f"{noun} {entity_id} ({row.name}) removed (kept as inactive for history)")
    session.flush()
    return changes


def _apply_memberships(session: Session, bureau: BureauFile) -> list[str]:
    """Memberships are current state (who is in which group now); the audit log keeps their history."""
    changes: list[str] = []
    wanted = {(g, p.id) for p in bureau.people for g in p.groups}
    rows = {(m.group_id, m.person_id): m for m in session.scalars(select(GroupMembership))}
    for key in sorted(wanted - rows.keys()):
        session.add(GroupMembership(group_id=key[0], person_id=key[1]))
        changes.append(f"person {key[1]} joined group {key[0]}")
    for key in sorted(rows.keys() - wanted):
        session.delete(rows[key])
        changes.append(f"person {key[1]} left group {key[0]}")
    session.flush()
    return changes


# ---------------------------------------------------------------------------------------------- leave


def _apply_leave(session: Session, bureau: BureauFile) -> list[str]:
    changes: list[str] = []
    wanted: dict[tuple[str, dt.date, dt.date], str] = {}
    for span in bureau.leave:
        wanted[(span.person, span.first_day, span.last_day)] = span.reason
    rows: dict[tuple[str, dt.date, dt.date], Leave] = {}
    for row in session.scalars(select(Leave).where(Leave.source == "file").order_by(Leave.id)):
        key = (row.person_id, row.first_day, row.last_day)
        if key in rows:  # a duplicate row (an older bug or a hand edit): keep one
            session.delete(row)
        else:
            rows[key] = row
    for key in sorted(wanted.keys() - rows.keys()):
        session.add(Leave(person_id=key[0], first_day=key[1], last_day=key[2], reason=wanted[key]))
        changes.append(f"leave added: {_leave_text(key, wanted[key])}")
    for key in sorted(rows.keys() - wanted.keys()):
        session.delete(rows[key])
        changes.append(f"leave removed: {_leave_text(key, rows[key].reason)}")
    for key in sorted(rows.keys() & wanted.keys()):
        if rows[key].reason != wanted[key]:
            changes.append(f"leave {_leave_text(key, '')} reason: {_show(rows[key].reason)} → {_show(wanted[key])}")
            rows[key].reason = wanted[key]
    session.flush()
    return changes


def _leave_text(key: tuple[str, dt.date, dt.date], reason: str) -> str:
    person, first, last = key
    span = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
    return f"{person} {span}" + (f" ({reason})" if reason else "")


def _planned_shift_warnings(session: Session, bureau: BureauFile, now: dt.datetime) -> list[str]:
    """Planned (not yet ended) shifts held by someone now inactive, on leave, or without the seat's role.

    The apply does not re-plan (that is the planner's job and may need a reason); it says what needs it.
    """
    by_id = {p.id: p for p in bureau.people}
    leave: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for span in bureau.leave:
        leave.setdefault(span.person, []).append((span.first_day, span.last_day))
    rows = session.execute(
        select(ShiftAssignment.person_id, ShiftAssignment.role, Shift.duty_date)
        .join(Shift, Shift.id == ShiftAssignment.shift_id)
        .where(Shift.ends_at > now)
        .order_by(Shift.starts_at)
    ).all()
    problems: dict[tuple[str, str], list[dt.date]] = {}
    for person_id, role, day in rows:
        person = by_id.get(person_id)
        if person is None:
            reason = "is no longer in the admin file"
        elif any(first <= day <= last for first, last in leave.get(person_id, [])):
            reason = "is on leave"
        elif role not in person.roles:
            reason = f"no longer has the role {role}"
        else:
            continue
        problems.setdefault((person_id, reason), []).append(day)
    return [
        f"person {person_id} {reason} but holds {len(days)} planned shift(s) "
        f"({', '.join(d.isoformat() for d in days[:3])}{', ...' if len(days) > 3 else ''}): re-plan them"
        for (person_id, reason), days in sorted(problems.items())
    ]


# ------------------------------------------------------------------------------------ document sections


def _document_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes: list[str] = []
    for section in (*DOCUMENT_SECTIONS, *FEATURE_SECTIONS):
        before, after = old.get(section), new.get(section)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            for path, (a, b) in sorted(_flat_diff(before, after, section).items()):
                changes.append(f"{path}: {_show(a)} → {_show(b)}")
        else:
            changes.append(f"{section} changed: {_show(before)} → {_show(after)}")
    return changes


_MISSING = object()


def _flat_diff(before: dict, after: dict, prefix: str) -> dict[str, tuple[Any, Any]]:
    out: dict[str, tuple[Any, Any]] = {}
    for key in sorted(set(before) | set(after), key=str):
        a, b = before.get(key, _MISSING), after.get(key, _MISSING)
        if a == b:
            continue
        path = f"{prefix}.{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out.update(_flat_diff(a, b, path))
        else:
            out[path] = (None if a is _MISSING else a, None if b is _MISSING else b)
    return out


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return repr(value) if value else "''"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 48, not 48.0: the admin wrote 48
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."
