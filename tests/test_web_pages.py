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


def test_my_shifts_and_calendar_subscription_with_qr_and_rotation(client_for, web_db_url):
    me = client_for("p20")
    page = me.get("/me").text
    assert 'data-testid="my-shifts"' in page and "生成订阅链接" in page
    first = me.post("/me/calendar").text
    url = re.search(r'data-testid="feed-url">([^<]+)<', first).group(1)
    assert url.startswith("https://duty.cxzjj.gov.cn/calendars/") and url.endswith(".ics")
    assert f'href="webcal://{url.split("://", 1)[1]}"' in first
    assert 'src="data:image/svg+xml;base64,' in first
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = me.get(f"/calendars/{token}.ics")
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content
    second = me.post("/me/calendar").text
    assert re.search(r'data-testid="feed-url">([^<]+)<', second).group(1) != url
    assert me.get(f"/calendars/{token}.ics").status_code == 404  # rotated: the old link stops working
    assert "您已有 1 个订阅链接" in me.get("/me").text


def test_board_needs_its_token_shows_no_phones_and_refreshes(client_for):
    admin = client_for("p01")
    board_url = re.search(r'data-testid="board-url">[^<]*(/board\?token=[^<]+)<', admin.get("/admin").text).group(1)
    anon = client_for(None)
    board = anon.get(board_url)
    assert board.status_code == 200 and 'http-equiv="refresh"' in board.text
    assert 'data-testid="leader-on-duty"' in board.text and "tel:" not in board.text
    assert anon.get("/board?token=wrong").status_code == 404
    admin.post("/admin/board/rotate")
    assert anon.get(board_url).status_code == 404


def test_admin_upload_preview_then_apply_all_or_nothing(client_for, web_db_url):
    from tests.admin_helpers import SEED_TEXT, dump

    admin = client_for("p12")
    admin.get("/admin")  # creates the board secret once
    before = dump(web_db_url)
    broken = SEED_TEXT.replace('phone: "15082760689"', 'phone: "1508"', 1)
    bad = admin.http.post(
        "/admin/file/check", data={"csrf_token": admin.csrf}, files={"file": ("bureau.yaml", broken.encode())}
    )
    assert bad.status_code == 400 and "people[0].phone" in bad.text
    edited = SEED_TEXT.replace("min_rest_hours: 48", "min_rest_hours: 36", 1)
    preview = admin.post("/admin/file/check", {"text": edited})
    assert preview.status_code == 200 and "rules.min_rest_hours: 48 → 36" in preview.text
    assert dump(web_db_url) == before  # the preview is a dry run
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview.text).group(1)
    tampered = admin.post("/admin/file/apply", {"text": edited + "\n# x", "digest": digest})
    assert tampered.status_code == 400 and dump(web_db_url) == before
    applied = admin.post("/admin/file/apply", {"text": edited, "digest": digest})
    assert 'data-testid="applied"' in applied.text
    with open_session(web_db_url) as s:
        from roster.admin.current import current_bureau

        assert current_bureau(s).rules.min_rest_hours == 36


def test_admin_downloads_the_file_in_force_as_it_was_applied(client_for, web_db_url):
    from ruamel.yaml import YAML

    from roster.storage.models.people import BureauConfig

    response = client_for("p12").get("/admin/file.yaml")
    assert response.status_code == 200 and "bureau.yaml" in response.headers["content-disposition"]
    with open_session(web_db_url) as s:
        stored = s.scalars(select(BureauConfig).order_by(BureauConfig.id.desc())).first().document
    downloaded = YAML(typ="safe").load(response.text)
    assert downloaded == stored
    assert list(downloaded) == list(stored) and list(downloaded["bureau"]) == list(stored["bureau"])  # its order
    assert stored["bureau"]["name"] in response.text  # Chinese as written, not escaped
    assert client_for("p05").get("/admin/file.yaml").status_code == 403


def test_admin_lists_accounts_and_invites_disables(client_for):
    admin = client_for("p01")
    page = admin.get("/admin").text
    assert re.search(r'data-login="p01">.*?已开通', page, re.S)
    assert re.search(r'data-login="grp-water">.*?未开通', page, re.S)
    invite = admin.post("/admin/users/grp-water/invite").text
    url = re.search(r'data-testid="invite-url">http://testserver(/invite/[^<]+)<', invite).group(1)
    assert client_for(None).get(url).status_code == 200
    admin.post("/admin/users/p20/disable")
    assert client_for("p20").get("/").status_code == 303
    assert re.search(r'data-login="p20">.*?已停用', admin.get("/admin").text, re.S)


def test_audit_log_page_lists_entries_newest_first(client_for):
    admin = client_for("p01")
    admin.post("/admin/users/p30/invite")
    page = admin.get("/audit").text
    assert "<code>account_invite</code>" in page and "<code>admin_apply</code>" in page
    assert page.index("<code>account_invite</code>") < page.index("<code>admin_apply</code>")
    assert "<code>account_invite</code>" not in admin.get("/audit?action=admin_apply").text
