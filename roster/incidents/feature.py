"""The incidents feature (突发事件信息报送: severity levels, reporting clocks, 签发, alerts), declared once:
see roster/feature.py and docs/incidents.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from roster.feature import Feature, FlowSpec, Job
from roster.incidents import jobs
from roster.incidents.schema import SECTION

if TYPE_CHECKING:
    from fastapi import APIRouter


def _router() -> APIRouter:
    from roster.web.routes.incidents import router

    return router


CHECK_INCIDENTS = Job(jobs.check_incidents)

FEATURE = Feature(
    name="incidents",
    section=SECTION,
    jobs=(CHECK_INCIDENTS,),
    flows=(
        FlowSpec(
            name="check-incidents",
            job=CHECK_INCIDENTS,
            entrypoint="flows/check_incidents.py:check_incidents",
            cron="*/5 * * * *",
            description="Run the incident reporting clocks (首报, 续报, 终报) and alert the overdue ones.",
        ),
    ),
    routers=(_router,),
)
