"""Token CLI (issue/list/revoke/rotate) and the refresh_feeds job."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from calendar_helpers import UTC, apply_bureau, load_example, plan, reassign
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from roster.calendar.jobs import refresh_feeds
from roster.calendar.tokens import token_hash
from roster.cli import app
from roster.storage import get_engine, open_session
from roster.storage.models.calendar import CalendarFeedCache, CalendarToken

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
URL_RE = re.compile(r"^https://duty\.cxzjj\.gov\.cn/calendars/([A-Za-z0-9_-]{43})\.ics$")


@pytest.fixture
def seeded(db_url: str) -> str:
    bureau = load_example()
    with open_session(db_url) as s:
        apply_bureau(s, bureau, NOW - dt.timedelta(days=3))
        plan(s, bureau, dt.date(2026, 11, 16), 21, NOW - dt.timedelta(days=3))
        s.commit()
    return db_url


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["calendar", "token", *args])
    return result.exit_code, result.stdout, result.stderr


def test_issue_prints_the_url_once_and_stores_only_a_hash(seeded: str) -> None:
    code, out, err = cli("issue", "--person", "p01", "--now", NOW.isoformat())
    assert code == 0, err
    https, webcal = out.strip().splitlines()
    token = URL_RE.match(https)[1]
    assert webcal == f"webcal://duty.cxzjj.gov.cn/calendars/{token}.ics"  # the subscribe link beside it
    code, out, err = cli("issue", "--person", "p01", "--now", NOW.isoformat(), "--json")
    assert json.loads(out)["webcal_url"] == "webcal://" + json.loads(out)["url"].removeprefix("https://")
    with open_session(seeded) as s:
        row = s.scalars(select(CalendarToken).order_by(CalendarToken.id)).first()
        assert row.token_sha256 == token_hash(token) and row.owner == "person:p01" and row.created_at == NOW
    with get_engine(seeded).connect() as conn:
        assert token not in repr(conn.execute(text("SELECT * FROM calendar_tokens")).all())
    code, listed, _ = cli("list", "--json")
    assert code == 0 and token not in listed
    entry, _second = json.loads(listed)
    assert entry["owner"] == "person:p01" and entry["last_access_at"] is None and "url" not in entry


def test_issue_refuses_unknown_owners_and_writes_nothing(seeded: str) -> None:
    for args, needle in [
        (("--person", "ghost"), "--person"),
        (("--group", "nope"), "--group"),
        (("--role", "chef"), "--role"),
        (("--person", "p01", "--group", "parks"), "exactly one"),
        ((), "exactly one"),
    ]:
        code, _, err = cli("issue", *args, "--now", NOW.isoformat())
        assert code == 2 and needle in err, (args, err)
    with open_session(seeded) as s:
        assert s.scalar(select(func.count()).select_from(CalendarToken)) == 0


def test_revoke_and_rotate(seeded: str) -> None:
    _, out, _ = cli("issue", "--group", "parks", "--now", NOW.isoformat())
    token = URL_RE.match(out.splitlines()[0])[1]
    code, out, err = cli("rotate", token, "--now", NOW.isoformat(), "--json")
    assert code == 0, err
    rotated = json.loads(out)
    assert rotated["owner"] == "group:parks" and rotated["replaces"] == 1 and rotated["id"] == 2
    new_token = URL_RE.match(rotated["url"])[1]
    assert new_token != token
    code, _, err = cli("revoke", token)
    assert code == 2 and "already revoked" in err
    code, out, _ = cli("revoke", "2")
    assert code == 0 and "revoked token 2 for group:parks" in out
    code, _, err = cli("revoke", "99")
    assert code == 2 and "no calendar token" in err
    code, listed, _ = cli("list", "--json")
    assert json.loads(listed) == []
    code, listed, _ = cli("list", "--revoked", "--json")
    assert [t["id"] for t in json.loads(listed)] == [1, 2] and all(t["revoked_at"] for t in json.loads(listed))


def test_refresh_feeds_renders_each_owner_once_per_roster_change(seeded: str) -> None:
    for args in (("--person", "p01"), ("--person", "p01"), ("--all",), ("--group", "water")):
        assert cli("issue", *args, "--now", NOW.isoformat())[0] == 0
    first = refresh_feeds(NOW, database_url=seeded)
    assert first["owners"] == 3 and first["rendered"] == 3 and first["unchanged"] == 0 and first["events"] > 21
    assert first["window"] == ["2026-10-24", "2027-02-21"]
    again = refresh_feeds(NOW, database_url=seeded)
    assert again["rendered"] == 0 and again["unchanged"] == 3

    with open_session(seeded) as s:
        reassign(s, "20261120-full@dutyflow", "duty_officer", 0, "p40", NOW)
        s.commit()
        keys_before = dict(s.execute(select(CalendarFeedCache.owner, CalendarFeedCache.cache_key)).all())
    after = refresh_feeds(NOW + dt.timedelta(minutes=1), database_url=seeded)
    assert after["rendered"] == 3  # any roster change invalidates every cached feed
    with open_session(seeded) as s:
        keys_after = dict(s.execute(select(CalendarFeedCache.owner, CalendarFeedCache.cache_key)).all())
    assert keys_after.keys() == {"all", "group:water", "person:p01"}
    assert all(keys_after[k] != keys_before[k] for k in keys_after)

    assert cli("revoke", "4")[0] == 0  # the water group's token
    pruned = refresh_feeds(NOW + dt.timedelta(minutes=2), database_url=seeded)
    assert pruned["pruned"] == 1 and pruned["owners"] == 2 and pruned["rendered"] == 0


def test_a_token_never_starts_with_a_dash_so_commands_do_not_read_it_as_an_option(monkeypatch) -> None:
    import secrets

    from roster.signing import new_token

    draws = iter(["-zQ1", "_ok1"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda nbytes: next(draws))
    assert new_token(32) == "_ok1"
