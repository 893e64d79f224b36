"""Pure time arithmetic of the ledger and the escalation plan (no database)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from roster.reports.expectations import LATE, MISSING, PENDING, state_of, unit_times
from roster.reports.steps import Recipient, plan_unit_day

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


def test_decide_tick_writes_one_message_and_event_per_recipient_and_the_next_check() -> None:
    from roster.reports.escalation import DueRow, decide_tick

    deadline = dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    day = dt.date(2026, 11, 23)
    unit = SimpleNamespace(
        id="u1",
        name="Unit one",
        deadline="16:00",
        active=True,
        steps=[{"after": 0, "targets": ["a", "b"], "repeat": 1, "every": 30}, {"after": 60, "targets": ["nobody"]}],
    )
    gone = DueRow(2, "removed", day, deadline, deadline)
    row = DueRow(1, "u1", day, deadline, deadline + dt.timedelta(minutes=60))

    def resolve(u, targets: list[str], at: dt.datetime) -> list[Recipient]:  # noqa: ANN001
        return [r for r in _everyone(targets, at) if r.person_id != "nobody"]

    def ack_url(unit_id: str, day: dt.date, person_id: str) -> str:
        return f"https://x/ack/{unit_id}/{day}/{person_id}"

    writes = decide_tick([row, gone], {"u1": unit}, deadline + dt.timedelta(minutes=65), resolve, ack_url)
    assert writes.next_checks == [{"row_id": 1, "next": None}, {"row_id": 2, "next": None}]
    assert [(m["person_id"], m["payload"]["step"], m["payload"]["repeat"]) for m in writes.outbox] == [
        ("a", 1, 1),
        ("b", 1, 1),
    ]
    assert all(m["payload"]["state"] == LATE for m in writes.outbox)  # due at 08:30, grace until 09:00
    assert writes.outbox[0]["payload"]["ack_url"] == "https://x/ack/u1/2026-11-23/a"
    assert [(e["kind"], e["step"], e["outbox_key"] is None) for e in writes.events] == [
        ("unreachable", 2, True),
        ("notified", 1, False),
        ("notified", 1, False),
    ]
    assert {e["event_key"] for e in writes.events if e["kind"] == "notified"} == {m["dedup_key"] for m in writes.outbox}


def test_wanted_unit_days_cover_the_lookback_on_reporting_days_only() -> None:
    from roster.reports.escalation import LOOKBACK_DAYS, wanted_unit_days

    now = dt.datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # already the 24th in Shanghai
    units = [
        SimpleNamespace(id="a", timezone="Asia/Shanghai", days="every_day", active_from=dt.date(2026, 11, 22)),
        SimpleNamespace(id="b", timezone="Europe/Berlin", days="every_day", active_from=dt.date(2026, 1, 1)),
    ]
    wanted = wanted_unit_days(units, now, None)
    assert [d for u, d in wanted if u == "a"] == [dt.date(2026, 11, 22), dt.date(2026, 11, 23), dt.date(2026, 11, 24)]
    assert len([d for u, d in wanted if u == "b"]) == LOOKBACK_DAYS + 1
    assert max(d for u, d in wanted if u == "b") == dt.date(2026, 11, 23)
