"""Accounts on the web: login, throttling (429 + Retry-After), CSRF, invites, password change, sessions."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from typer.testing import CliRunner

from roster.cli import app as cli
from roster.storage import open_session
from roster.storage.models.accounts import Account, AccountInvite, LoginFailure
from tests.web_helpers import PASSWORD, WEB_NOW

runner = CliRunner()


def _cli(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_login_sets_an_httponly_lax_cookie_and_logout_clears_it(client_for):
    anon = client_for(None)
    response = anon.post("/login", {"login": "p20", "password": PASSWORD, "next": "/account/password"})
    assert response.status_code == 303 and response.headers["location"] == "/account/password"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    assert anon.get("/account/password").status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', anon.get("/account/password").text).group(1)
    assert token != anon.csrf, "the CSRF token changes at login"
    assert anon.post("/logout", csrf=token).status_code == 303
    assert anon.get("/account/password").status_code == 303


def test_login_refuses_an_open_redirect(client_for):
    response = client_for(None).post("/login", {"login": "p20", "password": PASSWORD, "next": "//evil.example/x"})
    assert response.headers["location"] == "/"


def test_bad_login_input_is_answered_beside_the_field_in_the_users_language(client_for, web_db_url):
    anon = client_for(None)
    response = anon.post("/login", {"login": "", "password": ""})
    assert response.status_code == 400
    assert 'id="e-login"' in response.text and "请输入账号" in response.text
    anon.http.cookies.set("dutyflow_lang", "en")
    response = anon.post("/login", {"login": "p20", "password": "wrong password"})
    assert response.status_code == 400 and "Wrong login or password" in response.text
    with open_session(web_db_url) as s:  # only the wrong password counted, the empty form did not
        assert s.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.scope == "account")) == 1


def test_login_is_throttled_per_account_with_retry_after(client_for, web_clock):
    anon = client_for(None)
    for _ in range(5):
        assert anon.post("/login", {"login": "p20", "password": "nope nope"}).status_code == 400
    refused = anon.post("/login", {"login": "p20", "password": PASSWORD})  # even the right password waits
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "秒后再试" in refused.text
    assert anon.post("/login", {"login": "p02", "password": PASSWORD}).status_code == 303  # others are not locked
    web_clock.now = WEB_NOW + dt.timedelta(minutes=15, seconds=1)
    assert client_for(None).post("/login", {"login": "p20", "password": PASSWORD}).status_code == 303


def test_login_is_throttled_per_client_address(client_for):
    anon = client_for(None)
    for i in range(20):  # 20 different accounts, 1 failure each: the address is what they share
        assert anon.post("/login", {"login": f"p{10 + i}", "password": "nope nope"}).status_code == 400
    refused = anon.post("/login", {"login": "p01", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_csrf_missing_or_wrong_is_403_and_changes_nothing(client_for, web_db_url):
    user = client_for("p20")
    form = {"current": PASSWORD, "password": "a new password", "confirm": "a new password"}
    assert user.post("/account/password", form, csrf=None).status_code == 403
    assert user.post("/account/password", form, csrf="forged").status_code == 403
    assert user.request("POST", "/logout", csrf=False).status_code == 403
    anon = client_for(None)
    assert anon.post("/login", {"login": "p20", "password": PASSWORD}, csrf=None).status_code == 403
    with open_session(web_db_url) as s:
        assert s.scalar(select(Account.session_epoch).where(Account.login == "p20")) == 0
    assert user.post("/account/password", form).status_code == 303  # the right token works


def test_password_change_ends_other_sessions(client_for):
    phone, laptop = client_for("p20"), client_for("p20")
    form = {"current": PASSWORD, "password": "a new password", "confirm": "a new password"}
    assert phone.post("/account/password", form).status_code == 303
    assert laptop.get("/account/password").status_code == 303  # the old cookie no longer works
    relog = client_for(None).post("/login", {"login": "p20", "password": "a new password"})
    assert relog.status_code == 303


def test_bad_password_change_says_why_beside_the_field(client_for, web_db_url):
    user = client_for("p20")
    wrong = user.post("/account/password", {"current": "wrong", "password": "a new password", "confirm": "x"})
    assert wrong.status_code == 400 and 'id="e-current"' in wrong.text
    mismatch = user.post("/account/password", {"current": PASSWORD, "password": "a new password", "confirm": "x"})
    assert mismatch.status_code == 400 and 'id="e-confirm"' in mismatch.text and "不一致" in mismatch.text
    assert user.get("/account/password").status_code == 200  # nothing changed: the session still works


def test_invite_link_is_one_time_and_shows_the_form_without_consuming(client_for, web_db_url):
    out = _cli("users", "invite", "p05", "--now", WEB_NOW.isoformat(), "--base-url", "http://testserver")
    url = re.search(r"http://testserver(/invite/\S+)", out).group(1)
    anon = client_for(None)
    for _ in range(2):  # a mail scanner opening the link changes nothing
        page = anon.get(url)
        assert page.status_code == 200 and "何华" in page.text
    short = anon.post(url, {"password": "short", "confirm": "short"})
    assert short.status_code == 400 and 'id="e-password"' in short.text
    done = anon.post(url, {"password": "p05 password", "confirm": "p05 password"})
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert anon.get("/account/password").status_code == 200  # logged in by the invite
    assert client_for(None).get(url).status_code == 404  # used
    assert client_for(None).post("/login", {"login": "p05", "password": "p05 password"}).status_code == 303


def test_invite_expires_after_72_hours_and_a_new_one_replaces_the_old(client_for, web_clock, web_db_url):
    first = re.search(r"(/invite/\S+)", _cli("users", "invite", "grp-water", "--now", WEB_NOW.isoformat())).group(1)
    second = re.search(r"(/invite/\S+)", _cli("users", "invite", "grp-water", "--now", WEB_NOW.isoformat())).group(1)
    anon = client_for(None)
    assert anon.get(first).status_code == 404
    web_clock.now = WEB_NOW + dt.timedelta(hours=71, minutes=59)
    assert anon.get(second).status_code == 200
    web_clock.now = WEB_NOW + dt.timedelta(hours=72)
    assert anon.get(second).status_code == 404
    with open_session(web_db_url) as s:
        assert s.scalar(select(func.count()).select_from(AccountInvite).where(AccountInvite.used_at.is_not(None))) == 0


def test_users_cli_list_disable_enable_and_set_password(web_db_url, client_for):
    listed = _cli("users", "list", "--now", WEB_NOW.isoformat())
    assert re.search(r"p01\s+徐超\s+admin,leader\s+active", listed)
    assert re.search(r"grp-parks\s+城市公园防控组\s+unit\s+active", listed)
    user = client_for("p20")
    _cli("users", "disable", "p20", "--now", WEB_NOW.isoformat())
    assert user.get("/account/password").status_code == 303  # its session ended
    assert client_for(None).post("/login", {"login": "p20", "password": PASSWORD}).status_code == 400
    _cli("users", "enable", "p20")
    result = runner.invoke(cli, ["users", "set-password", "p20", "--password-stdin"], input="brand new secret\n")
    assert result.exit_code == 0, result.output
    assert client_for(None).post("/login", {"login": "p20", "password": "brand new secret"}).status_code == 303
    bad = runner.invoke(cli, ["users", "invite", "nobody"])
    assert bad.exit_code != 0 and "no person or reporting unit 'nobody'" in bad.output


def test_roles_follow_the_admin_file(web_db_url):
    from roster.accounts.roles import person_roles, subjects
    from roster.admin.current import current_bureau

    with open_session(web_db_url) as s:
        bureau = current_bureau(s)
    assert person_roles(bureau, "p01") == {"admin", "leader"}
    assert person_roles(bureau, "p12") == {"admin", "staff"}
    assert person_roles(bureau, "p03") == {"leader"}
    assert person_roles(bureau, "p30") == {"staff"}
    units = [s for s in subjects(bureau) if s.kind == "unit"]
    assert len(units) == len(bureau.reports.units) and all(u.roles == {"unit"} for u in units)


def test_admins_must_be_people_of_the_file():
    import pytest

    from roster.admin.loader import AdminFileError, parse_bureau
    from tests.admin_helpers import SEED_TEXT, line_of, replace_once

    text = replace_once(SEED_TEXT, "admins: [p01, p12]", "admins: [p01, p99, p01]")
    with pytest.raises(AdminFileError) as raised:
        parse_bureau(text)
    found = [(i.location, i.line, i.message) for i in raised.value.issues]
    assert found[0][:2] == ("admins[1]", line_of(text, "admins: [p01, p99")) and "p99" in found[0][2]
    assert found[1][0] == "admins[2]" and "listed twice" in found[1][2]
