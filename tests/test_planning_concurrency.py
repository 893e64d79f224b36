"""Two planners at once (a scheduled plan_ahead and an administrator): the second waits and keeps the first's
roster instead of failing on the shifts' unique uid."""

from __future__ import annotations

import datetime as dt
import threading

from planning_helpers import install_bureau, small_bureau, stored_roster

from roster.planning.plan import PlanReport, plan
from roster.storage import open_session

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def test_concurrent_plans_serialise(any_db_url: str) -> None:
    bureau = small_bureau(4, 10)
    with open_session(any_db_url) as s:
        install_bureau(s, bureau, NOW)
    reports: list[PlanReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            with open_session(any_db_url) as s:
                barrier.wait()
                reports.append(plan(s, bureau, dt.date(2026, 12, 1), 21, NOW, workers=1))
                s.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted((r.created, r.unchanged, len(r.changes)) for r in reports) == [(0, 21, 0), (21, 0, 0)]
    with open_session(any_db_url) as s:
        assert len(stored_roster(s)) == 21
