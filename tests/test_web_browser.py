"""Real clicks in Chromium against the real server (uvicorn on loopback): invite login, the leader on duty,
the month grid, a swap requested → accepted → approved → visible in the grid, a plan draft → diff → publish,
and the phone layout at 390 × 844. Every page is photographed into out/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest

from roster.accounts.service import issue_invite
from roster.on_duty import on_duty_at
from roster.storage import open_session, session_scope
from tests.web_helpers import WEB_NOW, browser_login, free_pair, holder, shot, uid

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one server
PHONE = {"width": 390, "height": 844}


def _invite(live_server, login: str) -> str:
    with session_scope(live_server.database_url) as s:
        _, token = issue_invite(s, login, WEB_NOW, actor="test")
    return f"/invite/{token}"


def _fits_width(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_invite_login_today_and_month_grid(page, live_server):
    page.goto("/login")
    shot(page, "login")
    page.goto(_invite(live_server, "p03"))
    shot(page, "invite")
    page.fill("#f-password", "chen chao 2026")
    page.fill("#f-confirm", "chen chao 2026")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    with open_session(live_server.database_url) as s:
        leader = on_duty_at(s, WEB_NOW).leader_on_duty
    assert page.text_content("[data-testid=leader-on-duty]") == leader.name
    assert page.locator(f'a[href="tel:{leader.phone}"]').count() >= 1
    shot(page, "today")
    page.click("nav >> text=排班表")
    page.wait_for_url("**/roster")
    assert page.locator("[data-testid=month-grid] tr[data-person]").count() == 44
    shot(page, "roster-grid")
    page.click("text=按日")
    page.wait_for_url("**view=day**")
    assert page.locator("[data-testid=by-day] tbody tr").count() == 30
    shot(page, "roster-by-day")
    page.click("button:has-text('English')")
    page.wait_for_selector("h1:has-text('Roster')")
    page.click("button:has-text('中文')")
    page.wait_for_selector("h1:has-text('排班表')")
    page.goto("/account/password")
    shot(page, "password")
    page.goto("/plan")  # p03 is a leader, not an admin
    assert "没有权限" in page.text_content("h1")
    shot(page, "forbidden")


def test_swap_request_accept_approve_changes_the_grid(browser, live_server):
    x, colleague, y = free_pair(live_server.database_url, "p20")
    with open_session(live_server.database_url) as s:
        leader = on_duty_at(s, WEB_NOW).leader_on_duty.person_id

    def as_user(login: str):  # noqa: ANN202
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        pg = context.new_page()
        if login not in ("p20", "p01", "p02", "p12"):
            pg.goto(_invite(live_server, login))
            pg.fill("#f-password", f"{login} password!")
            pg.fill("#f-confirm", f"{login} password!")
            pg.click("button[type=submit]")
            pg.wait_for_url(live_server.url + "/")
        else:
            browser_login(pg, login)
        return context, pg

    ctx, me = as_user("p20")
    me.goto("/requests")
    me.select_option("#f-shift", uid(x))
    me.select_option("#f-colleague", colleague)
    me.fill("#f-colleague_date", y.isoformat())
    me.fill("#f-reason", "孩子生病")
    me.click("form[action='/requests/swap'] button[type=submit]")
    me.wait_for_url("**/requests?done=sent")
    shot(me, "requests")
    ctx.close()
    ctx, other = as_user(colleague)
    other.goto("/requests")
    other.click("[data-testid=incoming] button:has-text('接受')")
    other.wait_for_url("**/requests?done=accepted")
    ctx.close()
    ctx, boss = as_user(leader)
    boss.goto("/requests")
    shot(boss, "requests-approve")
    boss.click("[data-testid=to-approve] button:has-text('批准')")
    boss.wait_for_url("**/requests?done=approved")
    boss.goto(f"/roster?month={x:%Y-%m}")
    cell = boss.locator(f'tr[data-person="{colleague}"] td[data-date="{x}"]')
    assert cell.text_content().strip() == "值"
    assert boss.locator(f'tr[data-person="p20"] td[data-date="{x}"]').text_content().strip() == ""
    ctx.close()
    assert holder(live_server.database_url, x, colleague) and holder(live_server.database_url, y, "p20")


def test_plan_draft_diff_publish_and_admin_pages(page, live_server):
    browser_login(page, "p12")
    page.goto("/plan")
    page.fill("#f-start", "2027-01-04")  # an unplanned week: the draft fills it
    page.fill("#f-days", "3")
    page.fill("#f-time_limit", "3")
    page.click("form[action='/plan'] button[type=submit]")
    page.wait_for_url("**/plan/drafts/*")
    page.wait_for_selector("[data-testid=draft-status]:has-text('待发布')", timeout=60_000)
    assert page.locator("[data-testid=draft-diff] tr[data-person]").count() == 9  # 3 days × 3 seats, all gains
    shot(page, "plan-draft")
    with open_session(live_server.database_url) as s:
        assert on_duty_at(s, dt.datetime(2027, 1, 5, 4, tzinfo=dt.UTC)).people == []  # not published yet
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('发布')")
    page.wait_for_selector("text=已发布")
    with open_session(live_server.database_url) as s:
        assert len(on_duty_at(s, dt.datetime(2027, 1, 5, 4, tzinfo=dt.UTC)).people) == 3
    page.goto("/plan")
    shot(page, "plan")
    page.goto("/admin")
    shot(page, "admin")
    board = page.text_content("[data-testid=board-url]")
    page.goto("/audit")
    shot(page, "audit")
    page.goto(board)
    assert page.locator("[data-testid=leader-on-duty]").count() == 1
    shot(page, "board")


def test_phone_layout_today_and_my_shifts(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True)
    pg = context.new_page()
    browser_login(pg, "p20")
    assert pg.locator("[data-testid=leader-on-duty]").is_visible()
    assert _fits_width(pg)
    shot(pg, "phone-today")
    pg.goto("/me")
    pg.click("button:has-text('生成订阅链接')")
    assert pg.locator("[data-testid=qr]").is_visible()
    assert pg.get_attribute("[data-testid=webcal]", "href").startswith("webcal://")
    assert _fits_width(pg)
    shot(pg, "phone-me")
    pg.goto("/requests")
    assert _fits_width(pg)
    shot(pg, "phone-requests")
    context.close()
