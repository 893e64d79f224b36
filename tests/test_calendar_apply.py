"""End to end with the real admin apply: apply the seed file, issue a token, serve; re-apply a changed file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
from calendar_helpers import EXAMPLE, UTC, Clock, assert_valid_feed, load_example, plan, serve
from typer.testing import CliRunner

from roster.calendar.jobs import refresh_feeds
from roster.cli import app
from roster.storage import open_session

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_applied_bureau_feeds_follow_a_reapplied_admin_file(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["apply", str(EXAMPLE), "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    with open_session(db_url) as s:
        plan(s, load_example(), dt.date(2026, 11, 16), 21, NOW)
        s.commit()
    result = runner.invoke(app, ["calendar", "token", "issue", "--person", "p01", "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    token = re.search(r"/calendars/([A-Za-z0-9_-]+)\.ics", result.stdout)[1]
    assert refresh_feeds(NOW, database_url=db_url)["rendered"] == 1

    for base in serve(db_url, Clock(NOW)):
        with httpx.Client(base_url=base) as client:
            first = client.get(f"/calendars/{token}.ics")
            assert first.status_code == 200 and "徐超" in first.text
            assert_valid_feed(first.content)

            # Rename the calendar and p01 in the admin file and apply it: new config sha -> new feed.
            text = EXAMPLE.read_text(encoding="utf-8").replace("name: 楚雄市住建局值班表", "name: 住建局值班")
            text = text.replace("name: 徐超", "name: 徐超然", 1)
            changed = tmp_path / "changed.yaml"
            changed.write_text(text, encoding="utf-8")
            later = NOW + dt.timedelta(hours=1)
            result = runner.invoke(app, ["apply", str(changed), "--now", later.isoformat()])
            assert result.exit_code == 0, result.output
            second = client.get(f"/calendars/{token}.ics", headers={"If-None-Match": first.headers["etag"]})
            assert second.status_code == 200
            assert "X-WR-CALNAME:住建局值班 · 徐超然" in second.text
            assert second.headers["last-modified"] == "Mon, 23 Nov 2026 04:00:00 GMT"
