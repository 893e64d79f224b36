"""The reports feature (日报告/零报告 ledger and escalation), declared once: see roster/feature.py."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from roster.feature import Feature, FlowSpec, Job, Section
from roster.reports import jobs
from roster.reports.schema import ReportsSection

if TYPE_CHECKING:
    from fastapi import APIRouter
    from sqlalchemy.orm import Session


def _apply(session: Session, bureau: Any, now: dt.datetime) -> list[str]:
    from roster.reports.admin_apply import apply_section

    return apply_section(session, bureau, now)


def _router() -> APIRouter:
    from roster.web.routes.reports import router

    return router


def _pages() -> APIRouter:  # the 报送 board, a unit-day, month stats (admin, leader)
    from roster.web.routes.report_pages import router

    return router


def _unit_pages() -> APIRouter:  # the unit's own page: file a report, see the receipt
    from roster.web.routes.unit_pages import router

    return router


def _status(session: Session, day: dt.date, now: dt.datetime) -> list[dict[str, Any]]:
    from roster.reports.board import report_status

    return report_status(session, day, now)


CHECK_REPORTS = Job(jobs.check_reports)

FEATURE = Feature(
    name="reports",
    section=Section("reports", ReportsSection),
    check_references=ReportsSection.check_references,
    apply=_apply,
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
    report_status=_status,
)
