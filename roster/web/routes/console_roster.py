"""``/roster`` 排班表: month grid (people × days) or by day, filters, fairness; print CSS; xlsx export."""

from __future__ import annotations

import datetime as dt
import io

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from roster.admin.current import current_bureau
from roster.planning.fairness import fairness_table
from roster.shifts import duty_date_at
from roster.web.access import require_role
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now, db_session
from roster.web.i18n import register, request_lang, translate
from roster.web.rosterdata import days_between, leave_days, month_bounds, role_name
from roster.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
PEOPLE_ROLES = ("admin", "leader", "staff")
register_nav("/roster", "排班表", PEOPLE_ROLES, 20)
register(
    {
        "月表": "Month grid",
        "小组": "Group",
        "调休上班": "Adjusted workday",
        "按日": "By day",
        "全部岗位": "All roles",
        "全部小组": "All groups",
        "筛选": "Filter",
        "导出 Excel（值班表报备）": "Export xlsx (filing layout)",
        "打印": "Print",
        "上月": "Previous month",
        "下月": "Next month",
        "姓名": "Name",
        "带": "L",
        "值": "D",
        "假": "off",
        "缺": "gap",
        "休": "hol",
        "班": "work",
        "公平性（含历史台账）": "Fairness (with the carried ledger)",
        "值班": "Duties",
        "夜班": "Nights",
        "周末": "Weekends",
        "节假日": "Holidays",
        "其中台账": "of which carried",
        "差距": "Spread",
        "月份格式应为 YYYY-MM，例如 2026-12": "month must look like YYYY-MM, e.g. 2026-12",
        "图例": "Legend",
        "带班领导 / 值班员 / 请假 / 缺岗 / 节假日 / 调休上班": (
            "leader on duty / duty officer / leave / gap / holiday / adjusted workday"
        ),
        "星期": "Weekday",
        "联系电话": "Phone",
        "值班室电话": "Duty room phone",
        "值班表": "Duty roster",
    }
)
MARK = {"leader_on_duty": "带"}


def grid_rows(days, people, leave: dict[str, set[dt.date]], lang: str) -> list[tuple]:  # noqa: ANN001
    """(person, cells as HTML) per person. The cells are decided and written here, not in the template: a
    200-person month is 6,200 cells, and Jinja's per-value escaping alone took ~200 ms on a busy machine.
    Every value in a cell is ours (day kinds, ISO dates, the fixed marks), so nothing needs escaping."""
    held: dict[tuple[str, dt.date], str] = {}
    for day in days:
        for shift in day.shifts:
            for h in shift.holders:
                held[(h.person_id, day.date)] = MARK.get(h.role, "值")
    text = {mark: escape(translate(mark, lang)) for mark in ("带", "值", "假")}
    kinds = [(day.date, day.kind, day.date.isoformat()) for day in days]
    rows = []
    for p in people:
        off = leave.get(p.id, ())
        cells = []
        for date, kind, iso in kinds:
            mark = held.get((p.id, date))
            if mark:
                css = f"{kind} duty leader" if mark == "带" else f"{kind} duty"
                cells.append(f'<td class="{css}" data-date="{iso}">{text[mark]}</td>')
            elif date in off:
                cells.append(f'<td class="{kind} leave" data-date="{iso}">{text["假"]}</td>')
            else:
                cells.append(f'<td class="{kind}" data-date="{iso}"></td>')
        rows.append((p, Markup("".join(cells))))
    return rows


def _month_or_error(request: Request, month: str | None, session: Session):  # noqa: ANN202
    bureau = current_bureau(session)
    today = duty_date_at(clock_now(request), bureau.shift_pattern, bureau.bureau.timezone)
    return bureau, today, month_bounds(month, today)


@router.get("/roster")
def roster_page(
    request: Request,
    month: str | None = None,
    view: str = "grid",
    role: str = "",
    group: str = "",
    user: CurrentUser = require_role(*PEOPLE_ROLES),
    session: Session = Depends(db_session),
) -> Response:
    try:
        bureau, today, (first, last) = _month_or_error(request, month, session)
    except ValueError:
        message = translate("月份格式应为 YYYY-MM，例如 2026-12", request_lang(request, user.locale))
        return render(request, "error.html", {"title": "排班表", "message": message}, status_code=400)
    days = days_between(session, bureau, first, last)
    people = [
        p for p in bureau.people if (not role or role in p.roles) and (not group or group in p.groups) and p.roles
    ]
    rows = grid_rows(days, people, leave_days(session, first, last), request_lang(request, user.locale))
    ctx = {
        "title": "排班表",
        "bureau": bureau,
        "days": days,
        "rows": rows,
        "first": first,
        "prev": (first - dt.timedelta(days=1)).strftime("%Y-%m"),
        "next": (last + dt.timedelta(days=1)).strftime("%Y-%m"),
        "month": first.strftime("%Y-%m"),
        "view": "day" if view == "day" else "grid",
        "role": role,
        "group": group,
        "today": today,
        "fairness": fairness_table(session, bureau),
        "role_name": role_name,
    }
    return render(request, "roster/month.html", ctx)


@router.get("/api/roster", include_in_schema=True, tags=["roster"])
def roster_json(
    request: Request,
    month: str | None = None,
    user: CurrentUser = require_role(*PEOPLE_ROLES),
    session: Session = Depends(db_session),
) -> Response:
    """The published roster of a month as JSON: days (kind, holiday, gaps) with shifts and their holders."""
    try:
        bureau, _, (first, last) = _month_or_error(request, month, session)
    except ValueError:
        return JSONResponse({"detail": "month must look like YYYY-MM"}, status_code=400)
    days = days_between(session, bureau, first, last)
    return JSONResponse(
        {
            "month": first.strftime("%Y-%m"),
            "days": [
                {
                    "date": d.date.isoformat(),
                    "kind": d.kind,
                    "holiday": d.holiday_name,
                    "gaps": d.gaps,
                    "shifts": [
                        {
                            "uid": s.uid,
                            "slot": s.slot,
                            "starts_at": s.starts_at.isoformat(),
                            "ends_at": s.ends_at.isoformat(),
                            "holders": [
                                {"person": h.person_id, "name": h.name, "phone": h.phone, "role": h.role}
                                for h in s.holders
                            ],
                        }
                        for s in d.shifts
                    ],
                }
                for d in days
            ],
            "leave": {pid: sorted(x.isoformat() for x in ds) for pid, ds in leave_days(session, first, last).items()},
        }
    )


@router.get("/roster/export.xlsx")
def roster_export(
    request: Request,
    month: str | None = None,
    user: CurrentUser = require_role(*PEOPLE_ROLES),
    session: Session = Depends(db_session),
) -> Response:
    """值班表报备: the sheet a bureau files upward before a holiday, one row per duty date."""
    try:
        bureau, _, (first, last) = _month_or_error(request, month, session)
    except ValueError:
        return Response("month must look like YYYY-MM\n", status_code=400, media_type="text/plain")
    body = export_workbook(bureau, days_between(session, bureau, first, last), first, last)
    name = f"duty-{first:%Y-%m}.xlsx"
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def export_workbook(bureau, days, first: dt.date, last: dt.date) -> bytes:  # noqa: ANN001
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "值班表"
    headers = ["日期", "星期", "节假日", "带班领导", "联系电话", "值班员", "联系电话", "值班室电话"]
    ws.append([f"{bureau.bureau.name}值班表（{first:%Y年%m月%d日}—{last:%Y年%m月%d日}）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(headers)
    for day in days:
        mark = day.holiday_name or ("节假日" if day.kind == "holiday" else "")
        if day.kind == "adjusted_workday":
            mark = f"调休上班{('（' + day.holiday_name + '）') if day.holiday_name else ''}"
        for shift in day.shifts or [None]:
            leader = shift.leader if shift else None
            officers = shift.officers if shift else []
            ws.append(
                [
                    day.date,
                    "周" + "一二三四五六日"[day.date.weekday()],
                    mark,
                    leader.name if leader else "（缺）",
                    leader.phone if leader else "",
                    "、".join(o.name for o in officers) or "（缺）",
                    "、".join(o.phone for o in officers),
                    bureau.bureau.duty_phone or "",
                ]
            )
    thin = Side(style="thin")
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=3, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    for col, width in zip("ABCDEFGH", (12, 7, 14, 10, 14, 22, 28, 14), strict=True):
        ws.column_dimensions[col].width = width
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "2:2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
