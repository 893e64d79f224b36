"""The duty-operations feature (签到, 查岗, 值班日志, 交接班), declared once: see roster/feature.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from roster.duty import jobs
from roster.duty.schema import SECTION
from roster.feature import Feature, FlowSpec, Job

if TYPE_CHECKING:
    from fastapi import APIRouter


def _router() -> APIRouter:
    from roster.web.routes.duty import router

    return router


SEND_ROLLCALLS = Job(jobs.send_rollcalls)
CHECK_DUTY = Job(jobs.check_duty)

FEATURE = Feature(
    name="duty",
    section=SECTION,
    jobs=(SEND_ROLLCALLS, CHECK_DUTY),
    flows=(
        FlowSpec(
            name="duty-rollcalls",
            job=SEND_ROLLCALLS,
            entrypoint="flows/duty_rollcalls.py:duty_rollcalls",
            # Every minute: a roll call goes out in the minute drawn for it; its reply window starts then.
            cron="* * * * *",
            description="Send the unannounced roll calls (查岗) whose drawn time has come.",
        ),
        FlowSpec(
            name="duty-check",
            job=CHECK_DUTY,
            entrypoint="flows/duty_check.py:duty_check",
            cron="*/5 * * * *",
            description="Escalate missed check-ins, unanswered roll calls and open handovers through the outbox.",
        ),
    ),
    routers=(_router,),
)
