"""The notifications feature (the outbox and its delivery), declared once: see roster/feature.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from notifications import jobs
from roster.feature import Feature, FlowSpec, Job

if TYPE_CHECKING:
    from fastapi import APIRouter


def _pages() -> APIRouter:  # 通知: the outbox, a message as sent, retrying a dead letter
    from roster.web.routes.outbox_pages import router

    return router


DELIVER_DUE = Job(jobs.deliver_due)

FEATURE = Feature(
    name="notifications",
    jobs=(DELIVER_DUE,),
    flows=(
        FlowSpec(
            name="deliver-notifications",
            job=DELIVER_DUE,
            entrypoint="flows/deliver_notifications.py:deliver_notifications",
            cron="* * * * *",
            description="Deliver due outbox messages to their channels (with retries and backoff).",
        ),
    ),
    routers=(_pages,),
)
