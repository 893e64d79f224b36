"""Rosters that cannot exist are explained in the bureau's terms (date, role, people, rule) and write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from planning_helpers import install_bureau, small_bureau, stored_roster

from roster.planning.build import PlanningError
from roster.planning.plan import plan
from roster.storage import open_session
from roster.storage.models.shifts import AuditEntry

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
LOOSE = {"min_rest_hours": 0, "max_consecutive_duties": 31, "max_duties_per_month": 31}


def _plan(db_url: str, bureau, start=dt.date(2026, 12, 1), days=7):  # noqa: ANN001, ANN202
    with open_session(db_url) as s:
        install_bureau(s, bureau, NOW)
        report = plan(s, bureau, start, days, NOW, time_limit_s=10)
        s.commit()
        assert stored_roster(s) == {} and s.query(AuditEntry).count() == 0
    assert not report.ok and report.status == "infeasible"
    return report


def test_leave_leaves_too_few_people(db_url: str) -> None:
    leave = [
        {"person": "o1", "from": "2026-12-03", "to": "2026-12-04", "reason": "年休假"},
        {"person": "o2", "from": "2026-12-03", "to": "2026-12-03"},
    ]
    report = _plan(db_url, small_bureau(2, 3, rules=LOOSE, leave=leave))
    assert report.explanations == [
        "2026-12-03 duty_officer: needs 2, only 1 available: o1 on leave 2026-12-03..2026-12-04 (年休假), "
        "o2 on leave 2026-12-03..2026-12-03"
    ]


def test_rest_rule_is_named_with_dates(db_url: str) -> None:
    report = _plan(db_url, small_bureau(2, 8, rules={**LOOSE, "min_rest_hours": 48}))
    [line] = report.explanations
    assert line.startswith("minimum rest (rules.min_rest_hours) cannot be met: l")
    assert "2026-12-0" in line


def test_monthly_maximum_capacity(db_url: str) -> None:
    report = _plan(db_url, small_bureau(3, 10, rules={**LOOSE, "max_duties_per_month": 3}), days=14)
    assert report.explanations == [
        "2026-12 leader_on_duty: needs 14 duties, but its 3 people may take at most 9 "
        "(max_duties_per_month 3, less duties already stored that month)"
    ]


def test_not_together_pair_is_named(db_url: str) -> None:
    bureau = small_bureau(
        2, 4, rules={**LOOSE, "not_together": [["l1", "l2"]]}, requirements={"leader_on_duty": 2, "duty_officer": 1}
    )
    [line] = _plan(db_url, bureau, days=3).explanations
    assert line.startswith(
        "people never on duty together (rules.not_together) cannot be met: l1 and l2 both on 2026-12-0"
    )


def test_nobody_with_a_required_role(db_url: str) -> None:
    report = _plan(db_url, small_bureau(0 + 1, 3, rules=LOOSE, requirements={"leader_on_duty": 2, "duty_officer": 1}))
    assert report.explanations[0] == "2026-12-01 leader_on_duty: needs 2, only 1 available"


def test_year_without_holiday_data_is_refused(db_url: str) -> None:
    bureau = small_bureau(3, 5, rules=LOOSE)
    with open_session(db_url) as s:
        install_bureau(s, bureau, NOW)
        with pytest.raises(PlanningError, match="no holiday data for 2027"):
            plan(s, bureau, dt.date(2026, 12, 28), 7, NOW)
        assert stored_roster(s) == {}


def test_duties_stored_earlier_in_the_month_count(db_url: str) -> None:
    bureau = small_bureau(3, 12, rules={**LOOSE, "max_duties_per_month": 4})
    with open_session(db_url) as s:
        install_bureau(s, bureau, NOW)
        assert plan(s, bureau, dt.date(2026, 12, 1), 7, NOW).ok
        s.commit()
        second = plan(s, bureau, dt.date(2026, 12, 8), 7, NOW)
    assert second.explanations == [
        "2026-12 leader_on_duty: needs 7 duties, but its 3 people may take at most 5 "
        "(max_duties_per_month 4, less duties already stored that month)"
    ]
