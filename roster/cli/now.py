"""``dutyflow now``: who is on duty at this instant (leader on duty and officers), with phones.

The fast path of the duty office: it must answer in well under a second, so it imports only SQLAlchemy,
the storage models and pendulum, and reads the bureau's zone and role names straight from the stored
document instead of validating the whole admin file with pydantic.
"""

from __future__ import annotations

from typing import Any

import typer

from roster.cli._common import JsonOption, NowOption, print_json

DEFAULT_ROLE_NAMES = {"leader_on_duty": ("带班领导", "Leader on duty"), "duty_officer": ("值班员", "Duty officer")}


def now(now: NowOption = None, json_output: JsonOption = False) -> None:
    """Show the leader on duty and the duty officers at this instant (or at --now)."""
    from roster.cli._common import resolve_now
    from roster.config import DEFAULT_TIMEZONE
    from roster.on_duty import on_duty_at
    from roster.storage import open_session

    with open_session() as session:
        document = _bureau_document(session)
        bureau = document.get("bureau") or {}
        tz = bureau.get("timezone") or DEFAULT_TIMEZONE
        instant = resolve_now(now, tz)
        on_duty = on_duty_at(session, instant)

    local_at = instant.in_timezone(tz)
    if on_duty.shift_uid is None:
        message = (
            f"nothing is planned for {local_at.format('YYYY-MM-DD HH:mm')} ({tz}): no shift covers that instant; "
            f"plan the roster ahead first"
        )
        if json_output:
            print_json({"at": local_at.isoformat(), "timezone": tz, "on_duty": False, "message": message})
        else:
            typer.echo(message, err=True)
        raise typer.Exit(1)

    english = (bureau.get("locale") or "zh-CN") == "en"
    names = _role_names(document, english)
    starts = _local(on_duty.starts_at, tz)
    ends = _local(on_duty.ends_at, tz)
    if json_output:
        leader = on_duty.leader_on_duty
        print_json(
            {
                "at": local_at.isoformat(),
                "timezone": tz,
                "on_duty": True,
                "shift": {"uid": on_duty.shift_uid, "starts_at": starts.isoformat(), "ends_at": ends.isoformat()},
                "leader_on_duty": _person(leader) if leader else None,
                "officers": [_person(p) for p in on_duty.officers],
            }
        )
        return
    typer.echo(f"{local_at.format('YYYY-MM-DD HH:mm')} {tz}")
    typer.echo(f"shift {starts.format('YYYY-MM-DD HH:mm')} → {ends.format('YYYY-MM-DD HH:mm')} ({on_duty.shift_uid})")
    if on_duty.leader_on_duty is None:
        typer.echo(f"  {names.get('leader_on_duty', 'leader_on_duty')}: (nobody assigned)")
    for person in on_duty.people:
        typer.echo(f"  {names.get(person.role, person.role)}: {person.name}  {person.phone}")
    if not on_duty.officers:
        typer.echo("  (no duty officers assigned)")


def _bureau_document(session) -> dict[str, Any]:  # noqa: ANN001
    """The admin document in force, unvalidated (it was validated when applied); {} before any apply."""
    from sqlalchemy import select

    from roster.storage.models.people import BureauConfig

    document = session.scalars(select(BureauConfig.document).order_by(BureauConfig.id.desc()).limit(1)).first()
    return document or {}


def _role_names(document: dict[str, Any], english: bool) -> dict[str, str]:
    names = {role: (en if english else zh) for role, (zh, en) in DEFAULT_ROLE_NAMES.items()}
    for role in document.get("roles") or []:
        name = (role.get("name_en") if english else None) or role.get("name") or role.get("id")
        names[role["id"]] = name
    return names


def _local(instant, tz: str):  # noqa: ANN001, ANN202
    import pendulum

    return pendulum.instance(instant).in_timezone(tz)


def _person(person) -> dict[str, str]:  # noqa: ANN001
    return {"id": person.person_id, "name": person.name, "phone": person.phone, "role": person.role}


def register(app: typer.Typer) -> None:
    app.command("now")(now)
