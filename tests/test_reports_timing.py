"""Pure time arithmetic of the ledger and the escalation plan (no database)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from roster.reports.escalation import Recipient, plan_unit_day
from roster.reports.expectations import LATE, MISSING, PENDING, state_of, unit_times

UTC = dt.UTC


def _unit(tz: str, deadline: str = "16:00", grace: int = 60, steps: list | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        deadline=deadline, grace_minutes=grace, timezone=tz, steps=steps or [{"after": 30, "targets": ["unit_contact"]}]
    )


def test_deadline_is_resolved_in_local_time_across_dst() -> None:
    before = unit_times(_unit("Europe/Berlin"), dt.date(2026, 3, 28))
    after = unit_times(_unit("Europe/Berlin"), dt.date(2026, 3, 29))  # clocks go forward that night
    assert before.deadline_at == dt.datetime(2026, 3, 28, 15, 0, tzinfo=UTC)
    assert after.deadline_at == dt.datetime(2026, 3, 29, 14, 0, tzinfo=UTC)
    assert after.grace_until - after.deadline_at == dt.timedelta(hours=1)
    assert after.first_check_at == after.deadline_at + dt.timedelta(minutes=30)
    shanghai = unit_times(_unit("Asia/Shanghai", "00:30"), dt.date(2026, 11, 23))
    assert shanghai.deadline_at == dt.datetime(2026, 11, 22, 16, 30, tzinfo=UTC)  # the previous UTC day


def test_state_from_now_only() -> None:
    times = unit_times(_unit("Asia/Shanghai"), dt.date(2026, 11, 23))
    assert state_of(None, times, times.deadline_at - dt.timedelta(seconds=1)) == PENDING
    assert state_of(None, times, times.deadline_at) == LATE
    assert state_of(None, times, times.grace_until) == MISSING


def _everyone(targets: list[str], at: dt.datetime) -> list[Recipient]:
    return [Recipient(t, t, t, "zh-CN", (("console", t),)) for t in targets]


def test_plan_repeats_collapse_and_next_check() -> None:
    deadline = dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    steps = [{"after": 0, "targets": ["a"], "repeat": 3, "every": 20}, {"after": 120, "targets": ["b"]}]
    plan = plan_unit_day(steps, deadline, deadline + dt.timedelta(minutes=45), _everyone)
    assert [(m.step, m.repeat) for m, _ in plan.due] == [(0, 2)]  # repeats 0 and 1 collapsed into the newest
    assert plan.next_check_at == deadline + dt.timedelta(minutes=60)  # repeat 3
    plan = plan_unit_day(steps, deadline, deadline + dt.timedelta(hours=3), _everyone)
    assert [(m.step, m.repeat) for m, _ in plan.due] == [(0, 3), (1, 0)] and plan.next_check_at is None
    plan = plan_unit_day(steps, deadline, deadline - dt.timedelta(minutes=1), _everyone)
    assert plan.due == [] and plan.next_check_at == deadline


def test_unreachable_steps_hand_over_at_once_even_the_last() -> None:
    deadline = dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    steps = [{"after": 0, "targets": ["nobody"]}, {"after": 60, "targets": ["b"]}, {"after": 90, "targets": ["nobody"]}]

    def resolve(targets: list[str], at: dt.datetime) -> list[Recipient]:
        return [r for r in _everyone(targets, at) if r.person_id != "nobody"]

    plan = plan_unit_day(steps, deadline, deadline, resolve)
    assert [(m.step, m.due_at) for m, _ in plan.due] == [(1, deadline)]
    assert [s for s, _, _ in plan.unreachable] == [0]
    assert plan.next_check_at == deadline + dt.timedelta(minutes=90)
    plan = plan_unit_day(steps, deadline, deadline + dt.timedelta(hours=2), resolve)
    assert [s for s, _, _ in plan.unreachable] == [0, 2] and plan.next_check_at is None
