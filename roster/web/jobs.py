"""Background jobs of the web server (planning drafts): one worker thread, so a long solve never blocks a
request and two solves never compete for the two cores. Tests may set ``app.state.job_runner`` to run jobs
inline. A job that dies leaves its draft "running" with an old ``updated_at``, which pages read as
interrupted (``drafts.effective_status``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from fastapi import FastAPI

log = logging.getLogger("dutyflow.web.jobs")
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dutyflow-job")


def submit(app: FastAPI, fn: Callable[..., None], *args: object) -> None:
    runner = getattr(app.state, "job_runner", None)
    job = partial(_run_logged, fn, *args)
    if runner is not None:
        runner(job)
    else:
        _executor.submit(job)


def _run_logged(fn: Callable[..., None], *args: object) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - a background job has nobody to raise to: log it, the page shows the state
        log.exception("background job %s failed", getattr(fn, "__name__", fn))


def plan_draft_job(database_url: str | None, draft_id: int, now) -> None:  # noqa: ANN001
    from roster.planning.drafts import compute_draft, mark_failed
    from roster.storage import open_session

    try:
        compute_draft(lambda: open_session(database_url), draft_id, now)
    except Exception as exc:
        mark_failed(open_session(database_url), draft_id, now, f"{type(exc).__name__}: {exc}")
        raise
