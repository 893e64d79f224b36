"""Texts of escalation messages: Chinese by default, English for recipients whose locale is ``en``."""

from __future__ import annotations

import datetime as dt

_STATE = {
    "zh-CN": {"late": "已超过报送时限（宽限期内）", "missing": "逾期未报（已超过宽限期）"},
    "en": {"late": "late (past the deadline, within grace)", "missing": "missing (past the grace period)"},
}


def escalation_text(
    *,
    locale: str,
    unit_name: str,
    day: dt.date,
    deadline: str,
    state: str,
    step: int,
    steps: int,
    repeat: int,
    ack_url: str | None,
) -> tuple[str, str]:
    """(subject, body) of a reminder that a unit has not filed its daily or zero report."""
    if locale == "en":
        subject = f"[dutyflow] {unit_name}: daily report for {day.isoformat()} not received"
        lines = [
            f"{unit_name} has not filed its daily report or zero report for {day.isoformat()}.",
            f"Deadline: {deadline} local time. State: {_STATE['en'][state]}.",
            f"Escalation step {step} of {steps}" + (f", reminder {repeat + 1}." if repeat else "."),
        ]
        if ack_url:
            lines.append(f"Acknowledge (stops further escalation): {ack_url}")
        return subject, "\n".join(lines)
    subject = f"【催报】{unit_name} {day.isoformat()} 日报告/零报告未报送"
    lines = [
        f"{unit_name} 尚未报送 {day.isoformat()} 的日报告或零报告。",
        f"报送时限：{deadline}（当地时间）。状态：{_STATE['zh-CN'][state]}。",
        f"催报第 {step}/{steps} 级" + (f"，第 {repeat + 1} 次提醒。" if repeat else "。"),
    ]
    if ack_url:
        lines.append(f"确认已知悉（停止后续催报）：{ack_url}")
    return subject, "\n".join(lines)


def resolved_text(*, locale: str, unit_name: str, day: dt.date, received_at: str) -> tuple[str, str]:
    """(subject, body) telling those already alerted that the unit has filed late (已补报)."""
    if locale == "en":
        return (
            f"[dutyflow] {unit_name}: report for {day.isoformat()} filed late",
            f"{unit_name} filed its report for {day.isoformat()} late, at {received_at}. Escalation has stopped.",
        )
    return (
        f"【已补报】{unit_name} {day.isoformat()}",
        f"{unit_name} 已于 {received_at} 补报 {day.isoformat()} 的报告，催报已停止。",
    )
