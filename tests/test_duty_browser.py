"""Real Chromium on the live server: check in and answer a roll call from a phone (390 × 844), and a handover
completed by two logged-in users; screenshots in out/screenshots/duty-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from roster.storage import open_session, session_scope
from roster.storage.models.outbox import OutboxMessage
from tests.web_helpers import WEB_NOW, _ensure_password, browser_login, shot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one server


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC) - dt.timedelta(hours=8)


@pytest.fixture
def live(live_server):  # noqa: ANN001, ANN201
    with session_scope(live_server.database_url) as session:
        for login in ("p17", "p08"):
            _ensure_password(session, login)
    yield live_server
    live_server.clock.now = WEB_NOW


def _phone(browser, live):  # noqa: ANN001, ANN202
    context = browser.new_context(
        base_url=live.url, locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    return context


def test_check_in_and_answer_a_roll_call_from_a_phone(browser, live) -> None:  # noqa: ANN001
    from roster.duty.facts import duty_settings
    from roster.duty.rollcall import start_manual

    context = _phone(browser, live)
    page = context.new_page()
    live.clock.now = at(24, 8, 10)
    browser_login(page, "p20")
    page.goto("/duty")
    page.click("#checkin")
    page.wait_for_selector("text=已签到（08:10）")
    assert page.locator('li[data-person="p20"] .badge.ok').count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    shot(page, "duty-checkin-phone")

    live.clock.now = at(24, 15)
    with session_scope(live.database_url) as s:
        call = start_manual(s, duty_settings(s), at(24, 15), "p08")
        call_id = call.id
    with open_session(live.database_url) as s:
        message = s.scalars(
            select(OutboxMessage).where(OutboxMessage.dedup_key.startswith(f"duty-rollcall|{call_id}|p20|"))
        ).one()
    code = message.body.split("查岗码 ")[1][:6]
    live.clock.now = at(24, 15, 1)
    page.goto("/duty/rollcall")  # the link in the message: it shows the form, answers nothing
    page.wait_for_selector("text=您有一个待应答的查岗")
    page.fill("#f-code", code)
    shot(page, "duty-rollcall-phone")
    page.click("#answer")
    page.wait_for_selector(".flash >> text=已应答")
    assert "p20" in page.content()
    shot(page, "duty-rollcall-answered-phone")
    context.close()


def test_handover_between_two_logged_in_users(browser, live) -> None:  # noqa: ANN001
    outgoing_ctx, incoming_ctx = _phone(browser, live), browser.new_context(base_url=live.url, locale="zh-CN")
    outgoing, incoming = outgoing_ctx.new_page(), incoming_ctx.new_page()
    live.clock.now = at(24, 8, 20)
    browser_login(outgoing, "p17")
    outgoing.goto("/duty/log")
    outgoing.fill("#f-text", "市应急局来电，要求明早报送防汛值班表")
    outgoing.select_option("#f-category", "来电")
    outgoing.check("input[name=todo]")
    outgoing.click("#add")
    outgoing.wait_for_selector("text=已记录第")
    outgoing.goto("/duty/handover")
    outgoing.fill("#f-note", "本班平稳。市应急局来电待回复，见日志待办。")
    shot(outgoing, "duty-handover-outgoing-phone")
    outgoing.click("#sign")
    outgoing.wait_for_selector("#out-signed")

    live.clock.now = at(24, 8, 35)
    browser_login(incoming, "p20")
    incoming.goto("/duty/handover")
    boxes = incoming.locator("input[name=ack]")
    assert boxes.count() >= 2  # the 待办 and the reports still missing
    assert incoming.locator("#items >> text=市应急局来电").count() == 1
    incoming.click("#sign")  # without ticking every item: refused, nothing recorded
    incoming.wait_for_selector(".flash.bad >> text=逐项确认")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    incoming.click("#sign")
    incoming.wait_for_selector("#state >> text=交接完成")
    shot(incoming, "duty-handover-complete")

    leader = browser.new_context(base_url=live.url, locale="zh-CN").new_page()
    browser_login(leader, "p01")
    leader.goto("/duty/log?date=2026-11-23")
    leader.wait_for_selector("#verify >> text=日志完整")
    shot(leader, "duty-log")
    leader.goto("/duty/scorecard?month=2026-11")
    leader.wait_for_selector("#summary")
    shot(leader, "duty-scorecard")
    for ctx in (outgoing_ctx, incoming_ctx, leader.context):
        ctx.close()
