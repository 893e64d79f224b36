"""Properties of the day planner over a simulated quarter: cadence met when capacity allows, nobody sent while
away, rotation respected, same inputs -> same plan."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roster.inspections import planner
from roster.inspections.simulate import cadence_misses, simulate

START = dt.date(2026, 1, 5)
SECTORS = ("a", "b", "c")


@st.composite
def worlds(draw):  # noqa: ANN001, ANN201
    n_sites = draw(st.integers(3, 24))
    sites = tuple(
        planner.SiteSpec(
            id=f"s{i:02d}", sector=draw(st.sampled_from(SECTORS)), cadence_days=draw(st.integers(1, 7)),
            priority=draw(st.integers(1, 5)),
        )
        for i in range(n_sites)
    )  # fmt: skip
    groups = tuple(
        planner.GroupSpec(
            id=f"g{k}", sector=sector, members=tuple(f"{sector}{j}" for j in range(draw(st.integers(3, 6))))
        )
        for k, sector in enumerate(SECTORS)
    )
    rotation = planner.Rotation(max_consecutive_visits=draw(st.integers(1, 3)))
    seed = draw(st.integers(0, 10_000))
    return sites, groups, rotation, seed


@st.composite
def calendars(draw):  # noqa: ANN001, ANN201
    """Random public holidays (runs of 1-7 days) in the quarter; weekends as weekends."""
    holidays: set[dt.date] = set()
    for _ in range(draw(st.integers(0, 4))):
        first = START + dt.timedelta(days=draw(st.integers(0, 85)))
        holidays |= {first + dt.timedelta(days=i) for i in range(draw(st.integers(1, 7)))}

    def kind(day: dt.date) -> str:
        return "holiday" if day in holidays else "weekend" if day.weekday() >= 5 else "workday"

    return kind


def _away(groups, seed: int):  # noqa: ANN001, ANN202
    """Each day one random member per group is on leave or duty."""
    people = sorted(m for g in groups for m in g.members)

    def unavailable(day: dt.date) -> set[str]:
        rng = random.Random(seed * 1000 + day.toordinal())
        return set(rng.sample(people, k=min(3, len(people) // 4)))

    return unavailable


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), calendars(), st.integers(0, 3), st.data())
def test_quarter_meets_cadence_and_rules(world, day_kind, early: int, data) -> None:  # noqa: ANN001
    sites, groups, rotation, seed = world
    # Some site types are inspected on holidays, the others wait for the next working day.
    sites = tuple(replace(s, on_holidays=data.draw(st.booleans())) for s in sites)
    unavailable = _away(groups, seed)
    # Generous capacity: every due site fits every day, so no cadence may be missed.
    capacity = planner.Capacity(visits_per_inspector=len(sites) + 2, inspectors_per_visit=1)
    sim = simulate(START, 90, sites, groups, capacity=capacity, rotation=rotation, unavailable=unavailable,
                   day_kind=day_kind, early_visit_days=early)  # fmt: skip
    assert cadence_misses(sim, sites, day_kind) == 0
    for plan in sim.days:  # nobody inspects a site on a day its rule says not to
        kinds = {s.id: s for s in sites}
        assert all(planner.inspectable(kinds[v.site_id], day_kind(plan.day)) for v in plan.visits)
    for plan, available in zip(sim.days, sim.available, strict=True):
        away = unavailable(plan.day)
        for v in plan.visits:
            assert not set(v.inspectors) & away, (plan.day, v)
            assert set(v.inspectors) <= set(available[v.group_id])
            assert len(set(v.inspectors)) == capacity.inspectors_per_visit
    for s in sites:
        visits = sim.visits_of(s.id)
        people = {p for _, team in visits for p in team}
        for person in people:
            streak = 0
            for _, team in visits:
                streak = streak + 1 if person in team else 0
                assert streak <= rotation.max_consecutive_visits, (s.id, person)


@settings(max_examples=25, deadline=None)
@given(worlds())
def test_tight_capacity_never_overbooks_and_reports_left(world) -> None:  # noqa: ANN001
    sites, groups, rotation, seed = world
    capacity = planner.Capacity(visits_per_inspector=1, inspectors_per_visit=2)
    sim = simulate(START, 14, sites, groups, capacity=capacity, rotation=rotation, unavailable=_away(groups, seed))
    for plan in sim.days:
        per_person: dict[str, int] = {}
        for v in plan.visits:
            for p in v.inspectors:
                per_person[p] = per_person.get(p, 0) + 1
        assert all(n <= 1 for n in per_person.values())
        for gid, (n, cap) in plan.loads.items():
            assert n <= cap, gid
        assert not {s for s, _ in plan.left} & set(plan.by_site())


@settings(max_examples=25, deadline=None)
@given(worlds(), st.randoms(use_true_random=False))
def test_same_inputs_same_plan_whatever_the_order(world, rnd) -> None:  # noqa: ANN001
    sites, groups, rotation, _ = world
    history = {s.id: planner.SiteHistory(last_done=START - dt.timedelta(days=rnd.randint(1, 9))) for s in sites}
    inputs = planner.DayInputs(day=START, day_kind="workday", sites=sites, groups=groups, history=history,
                               rotation=rotation, capacity=planner.Capacity(visits_per_inspector=2))  # fmt: skip
    shuffled_sites, shuffled_groups = list(sites), list(groups)
    rnd.shuffle(shuffled_sites)
    rnd.shuffle(shuffled_groups)
    again = replace(inputs, sites=tuple(shuffled_sites), groups=tuple(shuffled_groups))
    first, second = planner.plan_day(inputs), planner.plan_day(again)
    assert first.visits == second.visits and first.left == second.left


def test_overdue_goes_first_and_helpers_take_overflow() -> None:
    sites = tuple(planner.SiteSpec(id=f"a{i}", sector="a", cadence_days=7, priority=3) for i in range(4)) + (
        planner.SiteSpec(id="b0", sector="b", cadence_days=1, priority=1),
    )
    groups = (planner.GroupSpec("ga", "a", ("x1", "x2")), planner.GroupSpec("gb", "b", ("y1", "y2")))
    history = {"a3": planner.SiteHistory(last_done=START - dt.timedelta(days=8), missed=True)}
    result = planner.plan_day(
        planner.DayInputs(day=START, day_kind="workday", sites=sites, groups=groups, history=history,
                          capacity=planner.Capacity(visits_per_inspector=1, inspectors_per_visit=1))
    )  # fmt: skip
    placed = result.by_site()
    assert placed["a3"].group_id == "ga" and placed["a3"].reason == "overdue"  # missed yesterday: first
    assert placed["b0"].group_id == "gb"  # a group serves its own sector before helping
    assert len([v for v in result.visits if v.group_id == "ga"]) == 2
    assert placed["a1"].group_id == "gb"  # gb had one visit to spare: it helps with the next most urgent
    assert result.left == [("a2", "own group at capacity; no group can help")]


def test_holiday_rule_skips_and_water_still_inspected() -> None:
    sites = (
        planner.SiteSpec(id="water", sector="a", cadence_days=1, priority=1, on_holidays=True),
        planner.SiteSpec(id="office", sector="a", cadence_days=1, priority=4, on_holidays=False),
    )
    groups = (planner.GroupSpec("ga", "a", ("x1", "x2", "x3")),)
    result = planner.plan_day(planner.DayInputs(day=START, day_kind="holiday", sites=sites, groups=groups, history={}))
    assert list(result.by_site()) == ["water"]
    assert result.not_inspected_today == ["office"]
