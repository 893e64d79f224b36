"""The report template (报告模板): fields every report carries, prefilled for a new draft, rendered to text."""

from __future__ import annotations

import datetime as dt

from roster.incidents.clocks import report_name
from roster.timeutil import as_utc

# (field, Chinese label, English label). Order is the order of the written report.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("time", "事发时间", "Time"),
    ("place", "事发地点", "Place"),
    ("what", "事件经过", "What happened"),
    ("casualties", "伤亡和损失情况", "Casualties and losses"),
    ("measures", "已采取的措施", "Measures taken"),
    ("next_steps", "下一步工作", "Next steps"),
    ("unit", "报送单位", "Reporting unit"),
    ("contact", "联系人及电话", "Contact"),
)
FIELD_NAMES = tuple(name for name, _, _ in FIELDS)
FIELD_LIMIT = 10000


def local_text(instant: dt.datetime, tz: str) -> str:
    """``2026年11月30日 23时50分`` in the bureau's zone (how reports write times)."""
    local = as_utc(instant).in_timezone(tz)
    return f"{local.year}年{local.month}月{local.day}日 {local.hour:02d}时{local.minute:02d}分"


def prefill(
    *,
    title: str,
    place: str,
    facts: str,
    received_at: dt.datetime,
    tz: str,
    unit: str,
    contact: str,
    previous: dict[str, str] | None,
) -> dict[str, str]:
    """A new draft's fields: the previous report's, or the incident's first facts for the 首报."""
    if previous:
        fields = {name: str(previous.get(name, "")) for name in FIELD_NAMES}
    else:
        fields = {name: "" for name in FIELD_NAMES}
        fields.update(time=local_text(received_at, tz), place=place, what=f"{title}。{facts}".strip("。") + "。")
    fields["unit"] = fields["unit"] or unit
    fields["contact"] = fields["contact"] or contact
    return fields


def render(
    *, title: str, code: str, kind: str, seq: int, level_name: str, fields: dict[str, str], signer: str | None
) -> str:
    """The report as it is sent: heading, then each template field, then the signer (签发人)."""
    lines = [f"关于{title}的{report_name(kind, seq)}", f"事件编号：{code}　事件级别：{level_name}", ""]
    for name, label, _ in FIELDS:
        lines.append(f"{label}：{fields.get(name, '').strip() or '（无）'}")
    lines.append("")
    lines.append(f"签发人：{signer or '（待签发）'}")
    return "\n".join(lines)
