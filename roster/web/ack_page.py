"""The acknowledgement page: self-contained, server-rendered HTML, Chinese first with English below.

No script, no external asset; the link's token sits in the URL, so the page asks browsers not to send it
on as a referrer and not to cache it.
"""

from __future__ import annotations

import html

from roster.reports.ack import ALLOWED, NOT_ABOVE, OWN_UNIT, AckDecision, AckFacts

ROLE_NAMES = {
    "escalation_recipient": ("催报接收人（第2步及以后）", "escalation recipient (step 2 or later)"),
    "leader_on_duty": ("带班领导", "leader on duty"),
    "bureau_head": ("局领导", "bureau head"),
    "admin": ("管理员", "administrator"),
}
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def page(title_zh: str, title_en: str, body: str) -> str:
    return (
        "<!doctype html><html lang=zh-CN><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        "<meta name=referrer content=no-referrer><meta name=robots content=noindex>"
        f"<title>{html.escape(title_zh)} · dutyflow</title>"
        "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:36rem;margin:1rem auto;"
        "padding:0 1rem;line-height:1.6}.en{color:#555}dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}"
        "dt{font-weight:600}button{font-size:1.1rem;padding:.6rem 1.4rem;width:100%}.note{background:#f4f4f4;"
        "padding:.6rem}</style>"
        f"<h1>{html.escape(title_zh)}<br><small class=en>{html.escape(title_en)}</small></h1>{body}</html>"
    )


def _p(zh: str, en: str, css: str = "") -> str:
    klass = f" class={css}" if css else ""
    return f"<p{klass}>{html.escape(zh)}<br><span class=en>{html.escape(en)}</span></p>"


def _facts_list(facts: AckFacts) -> str:
    rows = [
        ("单位 / Unit", f"{facts.unit_name or '—'}（{facts.unit_id}）"),
        ("日期 / Date", facts.day.isoformat()),
        ("确认人 / By", f"{facts.person_name or '—'}（{facts.person_id}）"),
    ]
    if facts.first_received_at:
        rows.append(("报送 / Report", f"已于 {facts.first_received_at:%Y-%m-%d %H:%M} UTC 收到 / received"))
    if facts.excused:
        rows.append(("说明 / Excuse", "已批准说明情况 / an excuse was approved"))
    if facts.acked_by:
        rows.append(("已确认 / Acknowledged", f"{facts.acked_by}，{facts.acked_at:%Y-%m-%d %H:%M} UTC"))
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    return f"<dl>{items}</dl>"


def confirm_page(facts: AckFacts, decision: AckDecision, action: str, form_token: str | None) -> str:
    """What a GET shows: the facts, and a form only when the person may acknowledge."""
    body = _facts_list(facts)
    if decision.outcome == ALLOWED and form_token:
        zh = "、".join(ROLE_NAMES[r][0] for r in decision.roles)
        en = ", ".join(ROLE_NAMES[r][1] for r in decision.roles)
        body += _p(f"身份：{zh}。", f"As: {en}.")
        body += _p(
            "点击“确认”表示您已知悉并接手处理，本单位当日后续催报步骤将停止。打开本页不会确认。",
            "Press Acknowledge to take this in hand: the further escalation steps for this unit and day stop. "
            "Opening this page acknowledges nothing.",
            "note",
        )
        body += (
            f'<form method=post action="{html.escape(action)}">'
            f'<input type=hidden name=csrf value="{html.escape(form_token)}">'
            "<button type=submit>确认 / Acknowledge</button></form>"
        )
    elif decision.outcome == OWN_UNIT:
        body += _p(
            "您是该单位的联系人，不能确认本单位的催报。报送日报告或零报告后催报即停止；如确有特殊情况，"
            "请申请说明情况（经批准后同样停止催报）。",
            "You are this unit's own contact and cannot acknowledge its escalation. Submitting the daily report "
            "or a zero report stops it; so does an excuse once approved.",
            "note",
        )
    elif decision.outcome == NOT_ABOVE:
        body += _p(
            "只有该单位的上级（第2步及以后的催报接收人、带班领导、局领导或管理员）可以确认。",
            "Only someone above the unit (a recipient of step 2 or later, the leader on duty, the bureau head or "
            "an administrator) can acknowledge.",
            "note",
        )
    else:
        body += _p("该单位或人员已停用，无法确认。", "The unit or the person is no longer active.", "note")
    return page("确认催报", "Acknowledge a missed report", body)


def done_page(facts: AckFacts, first: bool) -> str:
    if first:
        text = _p("已确认，后续催报已停止。", "Acknowledged: the further escalation steps have stopped.")
    else:
        text = _p(
            "已记录您的确认（此前已有人确认），后续催报已停止。",
            "Your acknowledgement is recorded; it had already been acknowledged.",
        )
    return page("已确认", "Acknowledged", _facts_list(facts) + text)


def error_page(status: int, zh: str, en: str) -> str:
    expired = status == 410
    return page(
        "链接已过期" if expired else "无法确认", "Link expired" if expired else "Cannot acknowledge", _p(zh, en)
    )
