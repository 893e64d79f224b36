"""Texts of duty reminders and shift-change notices: Chinese by default, English for locale ``en``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

_WEEKDAYS_ZH = "一二三四五六日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class DutyLine:
    """One duty as a person reads it: local start and end, their role's name, and who is on it."""

    start: dt.datetime  # local
    end: dt.datetime  # local
    role: str
    team: Sequence[tuple[str, str]]  # (role name, person name), leader on duty first


def _clock(moment: dt.datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def day_label(day: dt.date, today: dt.date, en: bool) -> str:
    """今天 / 明天 / 12月3日（周四）, relative to the local date the message is written for."""
    delta = (day - today).days
    if en:
        named = {0: "today", 1: "tomorrow"}.get(delta)
        return named or f"{_WEEKDAYS_EN[day.weekday()]} {day.day} {_MONTHS_EN[day.month - 1]}"
    named = {0: "今天", 1: "明天"}.get(delta)
    return named or f"{day.month}月{day.day}日（周{_WEEKDAYS_ZH[day.weekday()]}）"


def span(line: DutyLine, en: bool) -> str:
    """``12月3日（周四）08:30 至 12月4日（周五）08:30`` with absolute dates: a notice may be read days later."""
    far = dt.date.min
    first, last = day_label(line.start.date(), far, en), day_label(line.end.date(), far, en)
    if en:
        return f"{first} {_clock(line.start)} – {last} {_clock(line.end)}"
    return f"{first}{_clock(line.start)} 至 {last}{_clock(line.end)}"  # 12月3日（周四）08:30: no space after ）


def team_text(team: Sequence[tuple[str, str]], duty_phone: str | None, en: bool) -> str:
    """``带班领导：徐超，值班员：张三、李四，值班电话：0878-3123456`` (roles in the order given)."""
    by_role: dict[str, list[str]] = {}
    for role, name in team:
        by_role.setdefault(role, []).append(name)
    if en:
        parts = [f"{role}: {', '.join(names)}" for role, names in by_role.items()]
        if duty_phone:
            parts.append(f"duty phone: {duty_phone}")
        return "; ".join(parts)
    parts = [f"{role}：{'、'.join(names)}" for role, names in by_role.items()]
    if duty_phone:
        parts.append(f"值班电话：{duty_phone}")
    return "，".join(parts)


def reminder_text(kind: str, line: DutyLine, today: dt.date, duty_phone: str | None, locale: str) -> tuple[str, str]:
    """(subject, body) of a reminder; ``today`` is the local date the reminder is due on."""
    en = locale == "en"
    when = f"{day_label(line.start.date(), today, en)}{' at' if en else ''} {_clock(line.start)}"
    team = team_text(line.team, duty_phone, en)
    if en:
        subject = f"[Duty reminder] You are on duty {when}"
        first = f"You are on duty {when} ({team})."
        if kind == "before_handover":
            subject = f"[Duty reminder] Handover {when}"
            first = f"Handover {when}: you are on duty ({team})."
        return subject, f"{first}\nYour duty: {line.role}, {span(line, en)}."
    subject = f"【值班提醒】{when} 起您值班"
    first = f"{when} 起您值班（{team}）。"
    if kind == "before_handover":
        subject = f"【值班提醒】{when} 交接班"
        first = f"{when} 交接班，请按时到岗（{team}）。"
    return subject, f"{first}\n您的岗位：{line.role}，{span(line, en)}。"


SOURCES = {
    "zh-CN": {"swap": "换班", "plan": "重新排班", "publish": "排班发布", "leave": "请假审批",
              "swap_approval": "换班审批"},
    "en": {"swap": "swap", "plan": "re-plan", "publish": "roster published", "leave": "leave approved",
           "swap_approval": "swap approved"},
}  # fmt: skip


def change_text(
    old: Sequence[DutyLine],
    new: Sequence[DutyLine],
    source: str,
    reason: str | None,
    locale: str,
    retimed: Sequence[DutyLine] = (),
) -> tuple[str, str]:
    """(subject, body) telling one person how their duties moved: what they held before → what they hold now."""
    en = locale == "en"
    cause = SOURCES["en" if en else "zh-CN"].get(source, source)
    if en:
        lines = [f"Your duties have changed ({cause})" + (f": {reason}" if reason else ".")]
        lines.append("Before: " + ("; ".join(f"{span(d, en)} {d.role}" for d in old) or "none"))
        lines.append("Now: " + ("; ".join(f"{span(d, en)} {d.role}" for d in new) or "none (taken off duty)"))
        lines += [f"New times: {span(d, en)} {d.role}" for d in retimed]
        lines += [f"With you on {span(d, en)}: {team_text(d.team, None, en)}" for d in new]
        return "[Duty change] Your duties have changed", "\n".join(lines)
    lines = [f"您的值班安排已调整（{cause}）" + (f"：{reason}" if reason else "。")]
    lines.append("原：" + ("；".join(f"{span(d, en)} {d.role}" for d in old) or "无"))
    lines.append("现：" + ("；".join(f"{span(d, en)} {d.role}" for d in new) or "无（已调出）"))
    lines += [f"时间调整为：{span(d, en)} {d.role}" for d in retimed]
    lines += [f"{span(d, en)} 同班：{team_text(d.team, None, en)}" for d in new]
    return "【值班调整】您的值班安排有变动", "\n".join(lines)
