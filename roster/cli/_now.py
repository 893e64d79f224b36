"""``dutyflow now`` without Typer: gather (plain reads) → ``answer_now`` (pure) → write.

The duty office's fast path. The bureau's zone and role names come straight from the stored document
(validated when it was applied) and the shift through a plain DB-API connection (``roster.storage.plain``),
so neither SQLAlchemy, the ORM models, the admin-file validation nor Typer (which imports pydantic) is
imported; only an unmigrated database takes the ORM path (which migrates it). ``roster.cli.main`` runs
``run_now`` for a command line it fully understands (``now [--now ISO] [--json]``) and hands anything else
(``--help``, a bad value) to the Typer command in ``roster.cli.now``, which words the errors.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from roster.config import DEFAULT_LOCALE, DEFAULT_TIMEZONE
from roster.on_duty import OnDuty, OnDutyPerson

DEFAULT_ROLE_NAMES = {"leader_on_duty": ("带班领导", "Leader on duty"), "duty_officer": ("值班员", "Duty officer")}
LATEST_DOCUMENT_SQL = "SELECT document FROM bureau_configs ORDER BY id DESC LIMIT 1"
CLOCK = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class NowAnswer:
    """What ``dutyflow now`` says: the JSON form, the text lines, and the exit code."""

    data: dict[str, Any]
    lines: list[str]
    exit_code: int = 0


def run_now(instant_of: Callable[[str], dt.datetime], json_output: bool) -> int:
    """Answer and print; returns the exit code. ``instant_of(tz)`` is ``--now`` (or the clock) in UTC."""
    document, tz, on_duty = _gather(instant_of)
    answer = answer_now(document, tz, on_duty)
    if json_output:
        sys.stdout.write(json.dumps(answer.data, ensure_ascii=False, indent=2) + "\n")
    else:
        out = sys.stderr if answer.exit_code else sys.stdout
        out.write("".join(f"{line}\n" for line in answer.lines))
    return answer.exit_code


def fast_arguments(argv: list[str]) -> tuple[Callable[[str], dt.datetime], bool] | None:
    """``now [--now ISO] [--json]`` as (instant_of, json); None for anything else (Typer handles it)."""
    if not argv or argv[0] != "now":
        return None
    now_value, json_output, rest = None, False, list(argv[1:])
    while rest:
        item = rest.pop(0)
        if item == "--json":
            json_output = True
        elif item.startswith("--now=") or (item == "--now" and rest):
            now_value = item.partition("=")[2] if "=" in item else rest.pop(0)
            if iso_instant(now_value, DEFAULT_TIMEZONE) is None:
                return None
        else:
            return None
    value = now_value
    return (lambda tz: now_utc() if value is None else iso_instant(value, tz)), json_output


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso_instant(value: str, tz: str) -> dt.datetime | None:
    """An ISO 8601 instant in UTC; a value without offset is read in ``tz``. None if not plain ISO 8601."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(dt.UTC)


def _gather(instant_of: Callable[[str], dt.datetime]) -> tuple[dict[str, Any], str, OnDuty]:
    """The document in force, the bureau's zone and who is on duty at ``--now`` (plain reads when possible)."""
    from roster.on_duty import on_duty_plain
    from roster.storage.plain import NotPlain, PlainConnection, connect_plain

    try:
        with connect_plain() as connection:
            document = _document(connection.rows(LATEST_DOCUMENT_SQL), PlainConnection.document)
            tz = _timezone(document)
            return document, tz, on_duty_plain(connection, instant_of(tz))
    except NotPlain:
        pass
    from sqlalchemy import text

    from roster.on_duty import on_duty_at
    from roster.storage import open_session

    with open_session() as session:  # creates and migrates the database if need be
        document = _document(session.execute(text(LATEST_DOCUMENT_SQL)).all(), PlainConnection.document)
        tz = _timezone(document)
        return document, tz, on_duty_at(session, instant_of(tz))


def _document(rows: list[Any], decode: Any) -> dict[str, Any]:
    """The admin document in force, unvalidated (it was validated when applied); {} before any apply."""
    return (decode(rows[0][0]) or {}) if rows else {}


def _timezone(document: dict[str, Any]) -> str:
    return (document.get("bureau") or {}).get("timezone") or DEFAULT_TIMEZONE


def answer_now(document: dict[str, Any], tz: str, on_duty: OnDuty) -> NowAnswer:
    """The pure decision: what to print for ``on_duty`` under the bureau's zone, locale and role names."""
    zone = ZoneInfo(tz)
    local_at = on_duty.at.astimezone(zone)
    if on_duty.shift_uid is None:
        message = (
            f"nothing is planned for {local_at.strftime(CLOCK)} ({tz}): no shift covers that instant; "
            f"plan the roster ahead first"
        )
        data = {"at": local_at.isoformat(), "timezone": tz, "on_duty": False, "message": message}
        return NowAnswer(data, [message], exit_code=1)
    english = ((document.get("bureau") or {}).get("locale") or DEFAULT_LOCALE) == "en"
    names = role_names(document, english)
    starts, ends = on_duty.starts_at.astimezone(zone), on_duty.ends_at.astimezone(zone)
    leader = on_duty.leader_on_duty
    data = {
        "at": local_at.isoformat(),
        "timezone": tz,
        "on_duty": True,
        "shift": {"uid": on_duty.shift_uid, "starts_at": starts.isoformat(), "ends_at": ends.isoformat()},
        "leader_on_duty": _person(leader) if leader else None,
        "officers": [_person(p) for p in on_duty.officers],
    }
    lines = [
        f"{local_at.strftime(CLOCK)} {tz}",
        f"shift {starts.strftime(CLOCK)} → {ends.strftime(CLOCK)} ({on_duty.shift_uid})",
    ]
    if leader is None:
        lines.append(f"  {names.get('leader_on_duty', 'leader_on_duty')}: (nobody assigned)")
    lines += [f"  {names.get(p.role, p.role)}: {p.name}  {p.phone}" for p in on_duty.people]
    if not on_duty.officers:
        lines.append("  (no duty officers assigned)")
    return NowAnswer(data, lines)


def role_names(document: dict[str, Any], english: bool) -> dict[str, str]:
    names = {role: (en if english else zh) for role, (zh, en) in DEFAULT_ROLE_NAMES.items()}
    for role in document.get("roles") or []:
        name = (role.get("name_en") if english else None) or role.get("name") or role.get("id")
        names[role["id"]] = name
    return names


def _person(person: OnDutyPerson) -> dict[str, str]:
    return {"id": person.person_id, "name": person.name, "phone": person.phone, "role": person.role}
