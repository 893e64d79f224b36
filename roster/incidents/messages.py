"""Texts of clock alerts: Chinese by default, English for recipients whose locale is ``en``."""

from __future__ import annotations

import datetime as dt

from roster.incidents.clocks import Clock
from roster.incidents.template import local_text
from roster.storage.models.incidents import Incident


def _minutes(delta: dt.timedelta) -> int:
    return int(abs(delta.total_seconds()) // 60)


def alert_text(
    *, locale: str, incident: Incident, clock: Clock, now: dt.datetime, tz: str, url: str
) -> tuple[str, str]:
    """(subject, body) of an alert that a reporting clock is about to run out, or has."""
    late = now >= clock.due_at
    minutes = _minutes(now - clock.due_at)
    if locale == "en":
        state = f"overdue by {minutes} min" if late else f"due in {minutes} min"
        subject = f"[dutyflow] {incident.title}: {clock.label('en')} {state}"
        body = "\n".join(
            [
                f"Incident {incident.code}: {incident.title} (received {local_text(incident.received_at, tz)}).",
                f"{clock.label('en')} deadline: {local_text(clock.due_at, tz)}; {state}.",
                f"Open the incident: {url}",
            ]
        )
        return subject, body
    state = f"已超时 {minutes} 分钟" if late else f"还剩 {minutes} 分钟"
    subject = f"【报送{'超时' if late else '提醒'}】{incident.title}：{clock.label()}{state}"
    body = "\n".join(
        [
            f"事件 {incident.code}：{incident.title}（接报时间 {local_text(incident.received_at, tz)}）。",
            f"{clock.label()}时限：{local_text(clock.due_at, tz)}，{state}。",
            "请值班员尽快起草，带班领导签发后报送。" if clock.kind != "phone" else "请立即电话报告并在系统中登记。",
            f"事件页面：{url}",
        ]
    )
    return subject, body
