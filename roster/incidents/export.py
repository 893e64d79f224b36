"""The whole incident file as a Word document (.docx, python-docx): facts, severity history, every report
as sent or drafted, and the timeline. What a bureau files and hands to an inquiry."""

from __future__ import annotations

import datetime as dt
import io

from roster.incidents.template import local_text
from roster.incidents.view import IncidentView

STATUS = {"draft": "草稿", "signed": "已签发", "sent": "已报送"}
INCIDENT_STATUS = {"open": "处置中", "ended": "处置结束，待终报", "closed": "已结案"}


def _table(document, rows: list[tuple[str, str]]) -> None:  # noqa: ANN001
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value


def incident_docx(view: IncidentView, tz: str, now: dt.datetime) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn

    i = view.incident
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")  # CJK text needs the East Asian font
    document.add_heading(f"突发事件信息报送档案：{i.title}", level=1)
    _table(
        document,
        [
            ("事件编号", i.code),
            ("事件级别", view.level_name),
            ("类别", i.category),
            ("接报时间", local_text(i.received_at, tz)),
            ("信息来源", i.source),
            ("事发地点", i.place),
            ("登记", f"{local_text(i.registered_at, tz)} {view.person(i.registered_by)}"),
            (
                "电话报告",
                f"{local_text(i.phone_reported_at, tz)} {i.phone_reported_to}" if i.phone_reported_at else "未登记",
            ),
            ("状态", INCIDENT_STATUS.get(i.status, i.status)),
            ("初始情况", i.facts),
        ],
    )
    document.add_heading("级别调整记录", level=2)
    for lv in view.levels:
        document.add_paragraph(
            f"{local_text(lv.changed_at, tz)}　{lv.level.get('name', lv.level_id)}　{lv.reason}", style="List Bullet"
        )
    for report in view.reports:
        state = STATUS.get(report.status, report.status)
        when = f"，{local_text(report.sent_at, tz)} 报送" if report.sent_at else ""
        timely = "" if report.on_time is None else ("（按时）" if report.on_time else "（超时）")
        document.add_heading(f"{report.text.splitlines()[0]}　[{state}{when}{timely}]", level=2)
        for line in report.text.splitlines()[1:]:
            document.add_paragraph(line)
    document.add_heading("时间线", level=2)
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    table.rows[0].cells[0].text, table.rows[0].cells[1].text, table.rows[0].cells[2].text = "时间", "事项", "送达"
    for event in view.timeline:
        cells = table.add_row().cells
        cells[0].text = local_text(dt.datetime.fromisoformat(event["at"]), tz)
        cells[1].text = event["summary"]
        cells[2].text = event["delivery"] or ""
    document.add_paragraph(f"导出时间：{local_text(now, tz)}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
