"""Serve every flow as a deployment with its cron schedule, so the schedules actually fire.

The ephemeral in-process Prefect never runs schedules; a served deployment does: the Prefect server's
scheduler creates the runs and this process (the runner) executes them as subprocesses.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flows.registry import FLOWS, RUN_TAG, SCHEDULE_TIMEZONE, FlowSpec

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def deployment_for(spec: FlowSpec, cron: str | None = None) -> Any:
    """``spec`` as a runner deployment on its cron schedule (``cron`` overrides it: benchmarks, demos)."""
    from prefect.schedules import Cron

    return spec.load().to_deployment(
        name=spec.name,
        schedules=[Cron(cron or spec.cron, timezone=SCHEDULE_TIMEZONE)],
        parameters=dict(spec.parameters),
        concurrency_limit=spec.concurrency_limit,
        description=spec.description,
        tags=[RUN_TAG],
    )


def serve_all(limit: int | None = None, only: tuple[str, ...] = (), cron: str | None = None) -> None:
    """Serve every flow (or those named in ``only``). Blocks until interrupted (SIGINT/SIGTERM); schedules
    are paused on the way out."""
    from prefect import serve

    specs = [spec for spec in FLOWS if not only or spec.name in only]
    # Entrypoints are recorded relative to the working directory; the runner's flow-run subprocesses
    # find `flows/...py` and import `roster` from here.
    os.chdir(PROJECT_ROOT)
    serve(*[deployment_for(spec, cron) for spec in specs], limit=limit, print_starting_message=True)
