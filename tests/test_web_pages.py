"""Pages over the seeded bureau (TestClient): what each page shows, exports, and bad input."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from roster.storage import open_session
from roster.storage.models.shifts import Shift, ShiftAssignment


def _holders(url: str, day: str) -> dict[str, list[str]]:
    import datetime as dt

    with open_session(url) as s:
        rows = s.execute(
            select(ShiftAssignment.role, ShiftAssignment.person_id)
            .join(Shift, Shift.id == ShiftAssignment.shift_id)
            .where(Shift.duty_date == dt.date.fromisoformat(day))
            .order_by(ShiftAssignment.role, ShiftAssignment.seat)
        ).all()
    out: dict[str, list[str]] = {}
    for role, pid in rows:
        out.setdefault(role, []).append(pid)
    return out


def test_today_shows_the_leader_on_duty_and_officers_with_tel_links(client_for, web_db_url):
    page = client_for("p20").get("/")
    assert page.status_code == 200
    on_duty = _holders(web_db_url, "2026-11-23")
    html = page.text
    leader = re.search(r'data-testid="leader-on-duty">([^<]+)<', html).group(1)
    from roster.admin.current import current_bureau

    with open_session(web_db_url) as s:
        bureau = current_bureau(s)
    assert leader == bureau.person(on_duty["leader_on_duty"][0]).name
    for pid in on_duty["duty_officer"]:
        assert f'href="tel:{bureau.person(pid).phone}"' in html
    assert "11-24 08:30" in html  # the next handover, local time
    nxt = _holders(web_db_url, "2026-11-24")
    assert bureau.person(nxt["leader_on_duty"][0]).name in html


def test_month_grid_marks_duties_leave_holidays_and_gaps(client_for, web_db_url):
    from roster.storage.models.shifts import Shift

    with open_session(web_db_url) as s:  # make a gap: remove 2026-12-05's shift
        s.delete(s.scalar(select(Shift).where(Shift.duty_date == __import__("datetime").date(2026, 12, 5))))
        s.commit()
    html = client_for("p20").get("/roster?month=2026-12").text
    grid = html.split('data-testid="month-grid"', 1)[1]
    row = re.search(r'<tr data-person="p09">(.*?)</tr>', grid, re.S).group(1)
    assert 'class="workday leave" data-date="2026-12-01">假' in row  # p09 on leave 11-30..12-06
    assert re.search(r'<td class="[^"]*gap[^"]*" title="no_shift">缺</td>', grid)
    on_duty = _holders(web_db_url, "2026-12-10")
    leader_row = re.search(rf'<tr data-person="{on_duty["leader_on_duty"][0]}">(.*?)</tr>', grid, re.S).group(1)
    assert re.search(r'duty leader" data-date="2026-12-10">带<', leader_row)
    jan = client_for("p20").get("/roster?month=2027-01").text
    assert re.search(r'<th class="holiday[^"]*" title="元旦">1<', jan)


def test_month_grid_filters_and_by_day_view(client_for):
    client = client_for("p02")
    leaders = client.get("/roster?month=2026-12&role=leader_on_duty").text
    assert 'data-person="p01"' in leaders and 'data-person="p20"' not in leaders
    water = client.get("/roster?month=2026-12&group=water").text
    assert 'data-person="p14"' in water and 'data-person="p09"' not in water
    by_day = client.get("/roster?month=2026-12&view=day").text
    assert 'data-testid="by-day"' in by_day and by_day.count('href="tel:') >= 31 * 3


def test_bad_month_is_a_clear_error(client_for):
    page = client_for("p20").get("/roster?month=2026-13")
    assert page.status_code == 400 and "YYYY-MM" in page.text


def test_xlsx_export_in_the_filing_layout(client_for, web_db_url):
    from openpyxl import load_workbook

    response = client_for("p20").get("/roster/export.xlsx?month=2027-01")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    assert "值班表" in ws["A1"].value
    assert [c.value for c in ws[2]] == [
        "日期",
        "星期",
        "节假日",
        "带班领导",
        "联系电话",
        "值班员",
        "联系电话",
        "值班室电话",
    ]
    first = [c.value for c in ws[3]]
    assert first[0].date().isoformat() == "2027-01-01" and first[1] == "周五" and first[2] == "元旦"
    assert first[3] == "（缺）" and first[7] == "0878-3122110"  # January is not planned in the seed copy
    dec = load_workbook(io.BytesIO(client_for("p20").get("/roster/export.xlsx?month=2026-12").content)).active
    row = [c.value for c in dec[3]]
    holders = _holders(web_db_url, "2026-12-01")
    with open_session(web_db_url) as s:
        from roster.admin.current import current_bureau

        bureau = current_bureau(s)
    assert row[3] == bureau.person(holders["leader_on_duty"][0]).name
    assert row[6] == "、".join(bureau.person(p).phone for p in holders["duty_officer"])
