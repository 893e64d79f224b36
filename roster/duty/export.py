"""One shift's duty log as the document a duty office files: plain text and .docx (python-docx)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from roster.duty import log as duty_log
from roster.duty.facts import DutyError, DutySettings, ShiftFacts, contacts, shifts_between
from roster.storage.models.duty import DutyLogEntry
from roster.timeutil import local_wall_clock_to_utc


@dataclass(frozen=True)
class ShiftLog:
    bureau: str
    shift: ShiftFacts
    tz: str
    names: dict[str, str]
    entries: list[DutyLogEntry]

    def clock(self, instant: dt.datetime, fmt: str = "%m-%d %H:%M") -> str:
        return instant.astimezone(ZoneInfo(self.tz)).strftime(fmt)

    @property
    def title(self) -> str:
        return f"{self.bureau}值班日志"

    @property
    def period(self) -> str:
        fmt = "%Y-%m-%d %H:%M"
        return f"{self.clock(self.shift.starts_at, fmt)} 至 {self.clock(self.shift.ends_at, fmt)}"

    def seal_line(self) -> str:
        """The chain hash of the shift's last entry: keep it, and ``log verify`` can be checked against it."""
        if not self.entries:
            return ""
        last = self.entries[-1]
        return f"日志校验码（第 {last.seq} 条）：{last.hash}"

    def people_line(self) -> str:
        roles = {"leader_on_duty": "带班领导", "duty_officer": "值班员"}
        parts = [f"{roles.get(r, r)}：{self.names.get(p, p)}" for p, r in self.shift.people]
        return "；".join(parts)

    def entry_line(self, e: DutyLogEntry) -> str:
        flags = "【待办】" if e.todo else ""
        refs = f"（更正第 {e.corrects_id} 条）" if e.corrects_id else ""
        refs += f"（办结第 {e.resolves_id} 条）" if e.resolves_id else ""
        files = f" 附件：{'、'.join(a['filename'] for a in e.attachments)}" if e.attachments else ""
        author = self.names.get(e.author_id, e.author_id)
        return f"#{e.seq} {self.clock(e.at)} [{e.category}] {flags}{e.text}{refs} —— {author}{files}"


def shift_log(session: Session, settings: DutySettings, day: dt.date, slot: str | None = None) -> ShiftLog:
    """The log of the shift that starts on local date ``day`` (its first slot, or ``slot``)."""
    start = local_wall_clock_to_utc(day, dt.time(0), settings.timezone)
    shifts = [s for s in shifts_between(session, start, start + dt.timedelta(days=1)) if s.duty_date == day]
    shifts = [s for s in shifts if slot is None or s.slot == slot]
    if not shifts:
        raise DutyError("--date", f"{day.isoformat()} 没有排班", f"no shift starts on {day.isoformat()}", status=404)
    shift = shifts[0]
    entries = duty_log.entries_between(session, shift.starts_at, shift.ends_at)
    ids = {p for p, _ in shift.people} | {e.author_id for e in entries}
    names = {c.person_id: c.name for c in contacts(session, ids).values()}
    return ShiftLog(settings.bureau_name, shift, settings.timezone, names, entries)


def as_text(doc: ShiftLog) -> str:
    lines = [doc.title, f"值班时间：{doc.period}", doc.people_line(), ""]
    lines += [doc.entry_line(e) for e in doc.entries] or ["（本班无日志记录）"]
    lines += ["", f"共 {len(doc.entries)} 条。", doc.seal_line()]
    return "\n".join(lines) + "\n"


def as_docx(doc: ShiftLog) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")  # CJK text in 宋体, as filed documents are
    document.add_heading(doc.title, level=1)
    document.add_paragraph(f"值班时间：{doc.period}")
    document.add_paragraph(doc.people_line())
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("序号", "时间", "类别", "内容", "记录人"), strict=True):
        cell.text = text
    for e in doc.entries:
        text = ("【待办】" if e.todo else "") + e.text
        if e.corrects_id:
            text += f"（更正第 {e.corrects_id} 条）"
        if e.resolves_id:
            text += f"（办结第 {e.resolves_id} 条）"
        row = table.add_row().cells
        for cell, value in zip(
            row, (str(e.seq), doc.clock(e.at), e.category, text, doc.names.get(e.author_id, e.author_id)), strict=True
        ):
            cell.text = value
    document.add_paragraph(f"共 {len(doc.entries)} 条。")
    if doc.seal_line():
        document.add_paragraph(doc.seal_line())
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
