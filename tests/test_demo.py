"""The seed scenario end to end: the Chuxiong bureau applied and 8 weeks planned; running it again changes nothing."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from typer.testing import CliRunner

from roster.cli import app
from roster.storage import open_session
from roster.storage.models.shifts import Shift, ShiftAssignment


def test_demo_plans_eight_weeks_and_is_repeatable(db_url: str) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--now", "2026-11-23T09:00", "--time-limit", "20"])
    assert first.exit_code == 0, first.output
    assert "leader_on_duty:" in first.output
    invite = re.search(r"http://127\.0\.0\.1:8080(/invite/\S+)", first.output)
    assert invite, first.output  # make run prints a one-click admin login
    with open_session(db_url) as s:
        days = s.scalars(select(Shift.duty_date).order_by(Shift.duty_date)).all()
        assert days[0] == dt.date(2026, 11, 23) and days[-1] == dt.date(2027, 1, 17) and len(days) == 56
        assert s.scalar(select(func.count()).select_from(ShiftAssignment)) == 56 * 3
        revisions = dict(s.execute(select(Shift.uid, Shift.revision)).all())

    again = runner.invoke(app, ["demo", "--now", "2026-11-23T10:00", "--time-limit", "20"])
    assert again.exit_code == 0, again.output
    assert "no changes" in again.output and "0 changed, 56 unchanged" in again.output
    with open_session(db_url) as s:
        assert dict(s.execute(select(Shift.uid, Shift.revision)).all()) == revisions


def test_demo_before_the_morning_handover_covers_the_shift_on_duty(db_url: str) -> None:
    result = CliRunner().invoke(app, ["demo", "--now", "2026-11-24T05:45", "--weeks", "1", "--time-limit", "20"])
    assert result.exit_code == 0, result.output
    assert "planned 2026-11-23 +7 days" in result.output
    assert "leader_on_duty:" in result.output  # the 23rd's 08:30→08:30 duty is planned, so someone is on duty
