"""The calendar feature (.ics subscription feeds of duty shifts), declared once: see roster/feature.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from roster.calendar import jobs
from roster.calendar.schema import SECTION
from roster.feature import Feature, FlowSpec, Job

if TYPE_CHECKING:
    from fastapi import APIRouter


def _router() -> APIRouter:
    from roster.web.routes.calendar_feeds import router

    return router


REFRESH_FEEDS = Job(jobs.refresh_feeds)

FEATURE = Feature(
    name="calendar",
    section=SECTION,
    jobs=(REFRESH_FEEDS,),
    flows=(
        FlowSpec(
            name="refresh-feeds",
            job=REFRESH_FEEDS,
            entrypoint="flows/refresh_feeds.py:refresh_feeds",
            # Also triggered by plan-roster whenever a plan changed something; hourly is the safety net.
            cron="0 * * * *",
            description="Publish calendars: refresh the cached .ics feeds after roster changes.",
        ),
    ),
    routers=(_router,),
)
