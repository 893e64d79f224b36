"""A simple constructive heuristic for benchmark instances: the baseline the CP-SAT results are compared with.

Day by day, shift by shift (largest requirement first), it fills each cover requirement with the employees
that may still legally take the shift given what was built so far (day off, per-type maximum, maximum
minutes, rotation from yesterday, maximum run, minimum rest after a run, weekend limit), preferring those in
a run still shorter than its minimum, then those who asked for the shift, then those furthest below their
minimum minutes; it avoids shift-off requests when it can. It never looks ahead, so minimum minutes and
minimum runs may end up broken: the evaluator reports what it got wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nrp.evaluate import Assignment
from nrp.parser import NrpInstance, NrpShift, NrpStaff


@dataclass
class _State:
    staff: NrpStaff
    minutes: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    run: int = 0  # shifts worked in a row up to yesterday
    off: int = 0  # days off in a row up to yesterday
    off_since_start: bool = True  # the current off-run touches day 0 (exempt from the minimum)
    last: str | None = None  # yesterday's shift
    weekends: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class _Lookups:
    """The instance indexed once for the whole run (the checks below are called per employee, day and shift)."""

    instance: NrpInstance
    shifts: dict[str, NrpShift]
    on: dict[tuple[str, int, str], int]  # shift-on request weight by (employee, day, shift)
    off: dict[tuple[str, int, str], int]  # shift-off request weight by (employee, day, shift)
    need: dict[tuple[int, str], int]  # cover requirement by (day, shift)

    @classmethod
    def of(cls, instance: NrpInstance) -> _Lookups:
        return cls(
            instance,
            {s.id: s for s in instance.shifts},
            {(r.employee, r.day, r.shift): r.weight for r in instance.on_requests},
            {(r.employee, r.day, r.shift): r.weight for r in instance.off_requests},
            {(c.day, c.shift): c.requirement for c in instance.cover},
        )


def greedy(instance: NrpInstance) -> list[Assignment]:
    look = _Lookups.of(instance)
    states = {e.id: _State(e) for e in instance.staff}
    out: list[Assignment] = []
    for day in range(instance.horizon):
        order = sorted((s.id for s in instance.shifts), key=lambda s: -look.need.get((day, s), 0))
        today = _fill_cover(look, states, day, order)
        _extend_short_runs(look, states, day, order, today)
        out += _commit(look, states, day, today)
    return out


def _allowed(look: _Lookups, st: _State, day: int, shift: str) -> bool:
    """Whether ``st`` may legally take ``shift`` on ``day`` given what was built so far (see the module doc)."""
    instance, shifts, e = look.instance, look.shifts, st.staff
    if day in instance.days_off.get(e.id, ()):
        return False
    if st.counts.get(shift, 0) >= e.max_shifts.get(shift, instance.horizon):
        return False
    if st.minutes + shifts[shift].minutes > e.max_total_minutes:
        return False
    if st.last is not None and shift in shifts[st.last].cannot_follow:
        return False
    if st.run + 1 > e.max_consecutive_shifts:
        return False
    if st.last is None and not st.off_since_start and st.off < e.min_consecutive_days_off:
        return False
    weekend = day // 7
    return not (day % 7 >= 5 and weekend not in st.weekends and len(st.weekends) >= e.max_weekends)


def _fill_cover(look: _Lookups, states: dict[str, _State], day: int, order: list[str]) -> dict[str, str]:
    """Employee -> shift for ``day``: each shift's requirement, in ``order`` (largest first), filled with the
    allowed employees not yet placed today, best first (see the module doc for the preference)."""
    today: dict[str, str] = {}
    for shift in order:
        wanted = look.need.get((day, shift), 0)
        candidates = [st for eid, st in states.items() if eid not in today and _allowed(look, st, day, shift)]
        candidates.sort(
            key=lambda st: (
                not (st.last is not None and st.run < st.staff.min_consecutive_shifts),
                (st.staff.id, day, shift) in look.off,
                -look.on.get((st.staff.id, day, shift), 0),
                -(st.staff.min_total_minutes - st.minutes),
            )
        )
        for st in candidates[:wanted]:
            today[st.staff.id] = shift
    return today


def _extend_short_runs(
    look: _Lookups, states: dict[str, _State], day: int, order: list[str], today: dict[str, str]
) -> None:
    """Someone in a run shorter than its minimum keeps working if any shift is still allowed (over-cover)."""
    for eid, st in states.items():
        if eid in today or st.last is None or st.run >= st.staff.min_consecutive_shifts:
            continue
        for shift in order:
            if _allowed(look, st, day, shift):
                today[eid] = shift
                break


def _commit(look: _Lookups, states: dict[str, _State], day: int, today: dict[str, str]) -> list[Assignment]:
    """Record ``today`` in every employee's state (worked or off) and return its assignments."""
    out: list[Assignment] = []
    for eid, st in states.items():
        shift = today.get(eid)
        if shift is None:
            st.off, st.run, st.last = st.off + 1, 0, None
            continue
        out.append((eid, day, shift))
        st.minutes += look.shifts[shift].minutes
        st.counts[shift] = st.counts.get(shift, 0) + 1
        st.run, st.off, st.off_since_start, st.last = st.run + 1, 0, False, shift
        if day % 7 >= 5:
            st.weekends.add(day // 7)
    return out
