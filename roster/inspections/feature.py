"""The inspections feature (daily site assignments, results, the bureau's daily report), declared once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from roster.feature import Feature, FlowSpec, Job
from roster.inspections import jobs
from roster.inspections.schema import SECTION

if TYPE_CHECKING:
    from fastapi import APIRouter


def _router() -> APIRouter:
    from roster.web.routes.inspections import router

    return router


def _pages() -> APIRouter:  # the inspector page and the 督导检查 board
    from roster.web.routes.inspection_pages import router

    return router


ASSIGN_DAY = Job(jobs.assign_day)
DAILY_REPORT = Job(jobs.daily_report)

FEATURE = Feature(
    name="inspections",
    section=SECTION,
    jobs=(ASSIGN_DAY, DAILY_REPORT),
    flows=(
        FlowSpec(
            name="assign-inspections",
            job=ASSIGN_DAY,
            entrypoint="flows/assign_inspections.py:assign_inspections",
            cron="0 7 * * *",
            description="Assign today's inspections of regulated sites to the six work groups.",
        ),
        FlowSpec(
            name="daily-report",
            job=DAILY_REPORT,
            entrypoint="flows/daily_report.py:daily_report",
            cron="30 17 * * *",
            description="Generate the bureau's daily report (inspections and statistics of the day).",
        ),
    ),
    routers=(_router, _pages),
)
