"""The bureau's daily report as a Word document (.docx, python-docx), laid out as a bureau files it.

Rendered from the text that ``roster.inspections.daily_report.build_daily_report`` writes, so the .txt, the
page preview and the .docx always say the same thing: the first line is the title, the second the date, a
line starting with 一、二、… is a section heading, the closing lines (以上情况…, 报告时间…) sign it off.
A4, 仿宋 三号 body with a two-character first-line indent, 方正小标宋/宋体 二号 title, 黑体 headings.
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HEADING = re.compile(r"^[一二三四五六七八九十]+、")
CLOSING = ("以上情况", "无瞒报", "报告时间")


def _font(run, east_asian: str, size: float, *, bold: bool = False) -> None:  # noqa: ANN001
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = "Times New Roman"
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)


def daily_report_docx(text: str) -> bytes:
    """The report ``text`` (as written by build_daily_report) as .docx bytes."""
    lines = text.rstrip("\n").split("\n")
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    title, rest = (lines[0], lines[1:]) if lines else ("", [])
    para = doc.add_paragraph()
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(para.add_run(title), "方正小标宋简体", 22)
    doc.core_properties.title = title
    if rest and rest[0].startswith("（"):
        para = doc.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(para.add_run(rest[0]), "楷体_GB2312", 16)
        rest = rest[1:]
    for line in rest:
        if not line.strip():
            continue
        para = doc.add_paragraph()
        para.paragraph_format.line_spacing = Pt(28)
        stripped = line.strip()
        if HEADING.match(stripped):
            _font(para.add_run(stripped), "黑体", 16)
            para.paragraph_format.first_line_indent = Pt(32)
        elif stripped.startswith("报告时间"):
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _font(para.add_run(stripped), "仿宋_GB2312", 16)
        else:
            para.paragraph_format.first_line_indent = Pt(32)
            _font(para.add_run(stripped), "仿宋_GB2312", 16)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def docx_text(data: bytes) -> str:
    """The paragraphs of a .docx, one per line (what a reader of the file sees; used by the tests)."""
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
