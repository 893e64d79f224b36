"""Properties through the stored path: whoever is on leave or on duty (random spans and shifts) is never
sent, and asking twice for the same day with the same facts returns the same stored plan."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import roster.reports
from roster.inspections.jobs import assign_day, daily_report
from roster.storage import open_session
from roster.storage.models.inspections import InspectionVisit
from roster.storage.models.people import Leave
from tests.inspections_helpers import install_bureau, put_on_duty, seed_bureau

UTC = dt.UTC
START = dt.date(2026, 3, 2)
PEOPLE = [f"p{i:02d}" for i in range(3, 45)]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    leave=st.lists(st.tuples(st.sampled_from(PEOPLE), st.integers(0, 4), st.integers(0, 3)), max_size=8),
    duty=st.lists(st.lists(st.sampled_from(PEOPLE), min_size=3, max_size=3, unique=True), min_size=5, max_size=5),
)
def test_nobody_away_is_sent_and_replans_are_stable(db_url: str, leave, duty) -> None:  # noqa: ANN001
    from roster.storage import Base, get_engine

    with get_engine(db_url).begin() as conn:  # hypothesis reuses the fixture: start each example empty
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    with open_session(db_url) as s:
        install_bureau(s, seed_bureau(), dt.datetime(2026, 3, 1, tzinfo=UTC))
        for person, first, length in leave:
            s.add(Leave(person_id=person, first_day=START + dt.timedelta(days=first),
                        last_day=START + dt.timedelta(days=first + length)))  # fmt: skip
        s.commit()
        for i, people in enumerate(duty):
            roles = dict.fromkeys(people, "duty_officer")
            put_on_duty(s, START + dt.timedelta(days=i), roles)
    for i in range(5):
        day = START + dt.timedelta(days=i)
        morning = dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
        first = assign_day(morning, db_url)
        again = assign_day(morning + dt.timedelta(minutes=5), db_url)
        assert not again["recomputed"] and again["revision"] == first["revision"]
        away = set(duty[i]) | {p for p, f, n in leave if f <= i <= f + n}
        with open_session(db_url) as s:
            sent = {p for team in s.scalars(select(InspectionVisit.inspectors).where(InspectionVisit.day == day))
                    for p in team}  # fmt: skip
        assert not sent & away, (day, sent & away)


def test_daily_report_includes_the_ledger_only_when_the_reports_feature_offers_it(db_url: str) -> None:
    with open_session(db_url) as s:
        install_bureau(s, seed_bureau(), dt.datetime(2026, 3, 1, tzinfo=UTC))
    assign_day(dt.datetime(2026, 3, 2, tzinfo=UTC), db_url)
    report = daily_report(dt.datetime(2026, 3, 2, 13, 0, tzinfo=UTC), db_url)
    assert ("四、各单位报告情况" in report["text"]) == hasattr(roster.reports, "report_status")
    assert report["kind"] == "daily_report" and "逾期未报送检查结果" in report["text"]  # nothing was recorded
