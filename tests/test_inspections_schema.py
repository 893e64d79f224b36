"""Schemathesis against POST /inspections/results with a live member token: whatever the body, never a 5xx,
and every refusal names the field."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from roster.inspections.jobs import assign_day
from roster.inspections.results import issue_token
from roster.storage import open_session
from roster.timeutil import utc_now
from tests.inspections_helpers import install_bureau, seed_bureau

schema = schemathesis.pytest.from_fixture("app_schema").include(path="/inspections/results")


@pytest.fixture
def member_token(db_url: str) -> str:
    now = utc_now()
    with open_session(db_url) as s:
        install_bureau(s, seed_bureau(), now - dt.timedelta(days=1))
    assign_day(now, db_url)
    with open_session(db_url) as s:
        token = issue_token(s, "p14", now)
        s.commit()
    return token


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_results_route_never_answers_5xx(case, member_token: str) -> None:  # noqa: ANN001
    response = case.call(headers={"Authorization": f"Bearer {member_token}"})
    assert response.status_code < 500, response.text
    if response.status_code in (401, 403, 404):
        assert response.json()["detail"]["field"] in ("Authorization", "site", "date", "result", "note", "by")
