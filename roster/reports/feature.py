"""The reports feature (日报告/零报告 ledger and escalation), declared once: see roster/feature.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from roster.feature import Feature, FlowSpec, Job
from roster.reports import jobs
from roster.reports.schema import SECTION

if TYPE_CHECKING:
    from fastapi import APIRouter


def _router() -> APIRouter:
    from roster.web.routes.reports import router

    return router


def _pages() -> APIRouter:  # the 报送 board, a unit-day, month stats (admin, leader)
    from roster.web.routes.report_pages import router

    return router


def _unit_pages() -> APIRouter:  # the unit's own page: file a report, see the receipt
    from roster.web.routes.unit_pages import router

    return router


CHECK_REPORTS = Job(jobs.check_reports)

FEATURE = Feature(
    name="reports",
    section=SECTION,
    jobs=(CHECK_REPORTS,),
    flows=(
        FlowSpec(
            name="check-reports",
            job=CHECK_REPORTS,
            entrypoint="flows/check_reports.py:check_reports",
            cron="*/5 * * * *",
            description="Find missed daily / zero reports and escalate them through the outbox.",
        ),
    ),
    routers=(_router, _pages, _unit_pages),
)
