"""The compiled day-by-day sweep behind ``roster.solver.linedp``: the cheapest line that meets a person's run,
successor, minutes and weekend rules (and one shift type's cap, ``tracked``), over costs per (day, shift) and per
day off.

States, each on a grid of (minutes worked, weekends worked x the tracked shift's count):

- a run worked: ``(first, group, length)``, ``first`` when the run touches an unknown start (it is then not held
  to ``min_on``), ``group`` the forbidden-successor group of its last shift, ``length`` 1..``run_max`` (at
  ``run_max`` it stays there when that is no maximum);
- a run off: ``(first, length)``, ``length`` 1..``off_max`` (it stays at ``off_max``, the minimum).

A state steps on a day only to the cheapest shift of each kind (``_kinds``: shifts that reach the same state and
cell from any state; Instance24's 32 shift types are 14 kinds), and a cell that can no longer reach the minimum
minutes is dropped (``_reach``).

A day's choice is kept per state and cell (int16: where from, and the shift or -1 for off), and the line is read
back from the cheapest accepted end. Compiled once (``cache``); it releases the GIL so that the pricing pool's
threads sweep side by side.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _sweep(
    on, off, weekend, weekend_price, minutes, group, allowed, run_max, capped, min_on, off_max, min_off,
    m_lo, m_hi, w_hi, tracked, k_hi, start_known, end_held, history,
):  # fmt: skip
    days, shifts = on.shape
    groups = allowed.shape[0]
    runs = 2 * groups * run_max
    states = runs + 2 * off_max
    cells_w = (w_hi + 1 if w_hi >= 0 else 1) * (k_hi + 1)
    inf = np.inf
    value = np.full((states, m_hi + 1, cells_w), inf)
    nxt = np.full((states, m_hi + 1, cells_w), inf)
    # Read back only along cells written this sweep (each finite value wrote its choice), so never cleared.
    choice = np.empty((days, states, m_hi + 1, cells_w), np.int16)
    # Each state's live minutes, lo..hi (empty when hi < lo): most of the grid is unreachable on a given day.
    lo, hi = np.full(states, m_hi + 1), np.full(states, -1)
    nlo, nhi = np.full(states, m_hi + 1), np.full(states, -1)
    kind = _kinds(group, minutes, allowed, tracked)
    picks = np.empty(shifts, np.int64)  # each kind's cheapest shift on the day
    steps, gains = np.empty((shifts, _FIELDS), np.int64), np.empty(shifts)  # from a state on a day (``_steps``)
    cells_of = np.arange(cells_w)
    weekends_of, tracked_of, w_max = cells_of // (k_hi + 1), cells_of % (k_hi + 1), max(w_hi, 0)
    reach = _reach(on, minutes, run_max, capped)
    width = shifts + 1
    for t in range(shifts):  # day 0, after the runs before the horizon
        counted = 1 if weekend[0] > 0 else 0
        m, w = _add(0, 0, minutes[t], counted, t == tracked, m_hi, w_hi, k_hi)
        s = _first_work(t, start_known, history, groups, run_max, capped, min_off, group)
        if on[0, t] < inf and m >= 0 and w >= 0 and s >= 0:
            _keep(value, choice, lo, hi, 0, s, m, w, on[0, t] + counted * weekend_price, t + 1)
    s = _first_off(history, start_known, runs, off_max, min_on)
    if off[0] < inf and s >= 0:
        _keep(value, choice, lo, hi, 0, s, 0, 0, off[0], 0)
    for d in range(1, days):
        for s in range(states):  # finite values lie only in each state's live range: clear just those
            if nlo[s] <= nhi[s]:
                nxt[s, nlo[s] : nhi[s] + 1, :] = inf
        nlo[:], nhi[:] = m_hi + 1, -1
        live = _cheapest_of_kinds(on[d], kind, picks)
        for s in range(states):
            # Below this many minutes the minimum can no longer be met, even working every day it may from here.
            floor = m_lo - reach[d, s % run_max + 1 if s < runs else 0]
            if hi[s] < max(lo[s], floor):
                continue
            to_off = _after_off(s, runs, groups, run_max, min_on, off_max)
            if off[d] == inf:
                to_off = -1
            # From a run off, only once it is long enough or touches an unknown start (first).
            works = s < runs or (s - runs) % off_max + 1 >= min_off or s - runs >= off_max
            n = 0 if not works else _steps(
                s, d, picks[:live], on, weekend_price, minutes, group, allowed, weekend, runs, run_max, capped, tracked,
                w_hi, k_hi, steps, gains,
            )  # fmt: skip
            for m in range(max(lo[s], floor), hi[s] + 1):
                for w in range(cells_w):
                    v = value[s, m, w]
                    if v == inf:
                        continue
                    if to_off >= 0:
                        _keep(nxt, choice, nlo, nhi, d, to_off, m, w, v + off[d], s * width)
                    for i in range(n):
                        m2, c2 = m + steps[i, _MINUTES], w + steps[i, _MOVE]
                        if (
                            m2 <= m_hi
                            and weekends_of[w] + steps[i, _COUNTED] <= w_max
                            and tracked_of[w] + steps[i, _HIT] <= k_hi
                        ):
                            _keep(nxt, choice, nlo, nhi, d, steps[i, _TARGET], m2, c2, v + gains[i], steps[i, _CODE])
        value, nxt = nxt, value
        lo, nlo = nlo, lo
        hi, nhi = nhi, hi
    return _read_back(
        value, choice, minutes, weekend, groups, run_max, capped, min_on, off_max, min_off, m_lo, end_held, history,
        runs, width, w_hi, tracked, k_hi,
    )  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _reach(on, minutes, run_max, capped):
    """The most minutes a line can still work from day d on, after a run of r days worked (``[d, r]``, r up to
    ``run_max``): each day its longest workable shift, runs at most ``run_max`` long where that is a maximum. An
    upper bound (the other rules only take minutes away), so a cell that cannot reach the minimum with it is
    dead: on Instance24 a quarter's lines work 60% of their days, and at most 5 in a row."""
    days = on.shape[0]
    reach = np.zeros((days + 1, run_max + 1), np.int64)
    for d in range(days - 1, -1, -1):
        longest = -1
        for t in range(on.shape[1]):
            if on[d, t] < np.inf:
                longest = max(longest, minutes[t])
        for r in range(run_max + 1):
            reach[d, r] = reach[d + 1, 0]
            if longest >= 0 and (r < run_max or not capped):
                reach[d, r] = max(reach[d, r], longest + reach[d + 1, min(r + 1, run_max)])
    return reach


# A step's fields (``_steps``).
_TARGET, _COUNTED, _HIT, _MINUTES, _MOVE, _CODE = range(6)
_FIELDS = 6


@numba.njit(cache=True, nogil=True)
def _steps(
    s, d, picks, on, weekend_price, minutes, group, allowed, weekend, runs, run_max, capped, tracked, w_hi, k_hi,
    steps, gains,
):  # fmt: skip
    """Fill ``steps`` and ``gains`` with the steps from state ``s`` on day ``d`` to the shifts ``picks`` (one of
    each kind), where the rules allow them: the state after it, whether it counts a weekend worked and the tracked
    shift, its minutes, how it moves the second cell index, the choice to keep, and what it costs; how many."""
    groups, width, n = allowed.shape[0], on.shape[1] + 1, 0
    for t in picks:
        target, counted = _after_work(s, t, d, runs, groups, run_max, capped, group, allowed, weekend)
        if target < 0:
            continue
        gains[n] = on[d, t] + counted * weekend_price  # (priced whether or not the weekends are on the grid)
        counted = counted if w_hi >= 0 else 0
        hit = 1 if t == tracked else 0
        steps[n, _TARGET], steps[n, _COUNTED], steps[n, _HIT], steps[n, _MINUTES] = target, counted, hit, minutes[t]
        steps[n, _MOVE], steps[n, _CODE] = counted * (k_hi + 1) + hit, s * width + t + 1
        n += 1
    return n


@numba.njit(cache=True, nogil=True)
def _kinds(group, minutes, allowed, tracked):
    """Each shift's kind: shifts of the same successor group, minutes and place in the successions (which
    groups they may follow), none of them tracked, lead from any state to the same state and cell, so that of
    each kind only the cheapest on a day needs a step (Instance24: 32 shift types, 14 kinds)."""
    shifts = group.shape[0]
    kind = np.arange(shifts)
    for t in range(shifts):
        for u in range(t):
            if (
                kind[u] == u and t != tracked and u != tracked and group[t] == group[u] and minutes[t] == minutes[u]
                and np.array_equal(allowed[:, t], allowed[:, u])
            ):  # fmt: skip
                kind[t] = u
                break
    return kind


@numba.njit(cache=True, nogil=True)
def _cheapest_of_kinds(on_day, kind, picks):
    """Fill ``picks`` with the cheapest shift of each kind workable on the day, in the shifts' order (the first
    of a kind where several cost the same: the step a sweep over every shift in order would keep); how many."""
    live = 0
    for t in range(on_day.shape[0]):
        if on_day[t] == np.inf:
            continue
        k = kind[t]
        for i in range(live):
            if kind[picks[i]] == k:
                if on_day[t] < on_day[picks[i]]:
                    picks[i] = t
                break
        else:
            picks[live] = t
            live += 1
    picks[:live].sort()
    return live


@numba.njit(cache=True, nogil=True)
def _keep(value, choice, lo, hi, d, s, m, w, cost, code):
    """Keep ``cost`` at state ``s``, cell (m, w) on day ``d``, where it is the cheapest yet."""
    if cost < value[s, m, w]:
        value[s, m, w] = cost
        choice[d, s, m, w] = code
        lo[s], hi[s] = min(lo[s], m), max(hi[s], m)


@numba.njit(cache=True, nogil=True)
def _after_off(s, runs, groups, run_max, min_on, off_max):
    """The state after a day off from state ``s``, or -1 where its run worked is still too short."""
    if s < runs:
        first, r = s // (groups * run_max), s % run_max + 1
        return runs if r >= min_on or first == 1 else -1
    first, r = (s - runs) // off_max, (s - runs) % off_max + 1
    return runs + first * off_max + min(r + 1, off_max) - 1


@numba.njit(cache=True, nogil=True)
def _after_work(s, t, d, runs, groups, run_max, capped, group, allowed, weekend):
    """The state after working shift ``t`` on day ``d`` from state ``s`` (-1 where a rule bars it), and whether
    that day starts a weekend worked."""
    if s >= runs:  # after a run off (whether it was long enough is the caller's)
        return group[t] * run_max, _starts_weekend(weekend[d], True)
    first, g, r = s // (groups * run_max), (s // run_max) % groups, s % run_max + 1
    if not allowed[g, t] or (r == run_max and capped):
        return -1, 0
    return (first * groups + group[t]) * run_max + min(r + 1, run_max) - 1, _starts_weekend(weekend[d], False)


@numba.njit(cache=True, nogil=True)
def _starts_weekend(place, after_off):
    """1 where a day worked at ``place`` in its weekend (0 none, 1 first, 2 second) starts a weekend worked: its
    first day, or its second after a day off; else 0."""
    return 1 if place == 1 or (place == 2 and after_off) else 0


@numba.njit(cache=True, nogil=True)
def _add(m, c, minutes, counted, hit, m_hi, w_hi, k_hi):
    """The grid cell after working a shift of ``minutes`` (``counted`` when it starts a weekend worked, ``hit``
    when it is the tracked shift), or -1 where it leaves the grid. The second cell index ``c`` holds the weekends
    worked w and the tracked shift's count k as w * (k_hi + 1) + k."""
    m2 = m + minutes
    if m2 > m_hi:
        return -1, -1
    w, k = c // (k_hi + 1), c % (k_hi + 1)
    w2 = w + counted if w_hi >= 0 else 0
    k2 = k + 1 if hit else k
    if w2 > max(w_hi, 0) or k2 > k_hi:
        return -1, -1
    return m2, w2 * (k_hi + 1) + k2


@numba.njit(cache=True, nogil=True)
def _take(m, c, minutes, counted, hit, w_hi, k_hi):
    """The grid cell before working the shift that ``_add`` added: its inverse."""
    w, k = c // (k_hi + 1), c % (k_hi + 1)
    w = w - counted if w_hi >= 0 else w
    k = k - 1 if hit else k
    return m - minutes, w * (k_hi + 1) + k


@numba.njit(cache=True, nogil=True)
def _first_work(t, start_known, history, groups, run_max, capped, min_off, group):
    """The state after working shift ``t`` on day 0, or -1 where the history bars it: a run worked before the
    horizon goes on (and may not pass the maximum), a run off before it must have been long enough."""
    worked_before, off_before = history[0], history[1]
    if worked_before > 0:
        r = worked_before + 1
        if capped and r > run_max:
            return -1
        return group[t] * run_max + min(r, run_max) - 1
    if off_before > 0 and not start_known:  # (where the outside is off, a run off there is never short)
        return group[t] * run_max if off_before >= min_off else -1
    first = 0 if start_known else 1  # an unknown start: the first run is not held to the minimum
    return (first * groups + group[t]) * run_max


@numba.njit(cache=True, nogil=True)
def _first_off(history, start_known, runs, off_max, min_on):
    """The state after a day off on day 0, or -1 where a run worked before the horizon is still too short."""
    worked_before, off_before = history[0], history[1]
    if worked_before > 0 and worked_before < min_on:
        return -1
    if worked_before > 0 and not start_known:
        return runs
    if off_before > 0 and not start_known:
        return runs + min(off_before + 1, off_max) - 1
    return runs + off_max  # outside is off, or unknown: not held to the minimum


@numba.njit(cache=True, nogil=True)
def _end_accepted(s, runs, groups, run_max, capped, min_on, off_max, min_off, end_held, history):
    """Whether state ``s`` may end the horizon: the run it ends goes on with the run after the horizon (which
    may not pass the maximum, and must reach the minimum), and a run after it too short on its own bars it."""
    worked_after, off_after = history[2], history[3]
    if s < runs:
        first, r = s // (groups * run_max), s % run_max + 1
        if worked_after > 0 and capped and r + worked_after > run_max:
            return False
        if off_after > 0 and off_after < min_off:
            return False
        held = end_held or worked_after > 0 or off_after > 0
        return not held or first == 1 or r + worked_after >= min_on
    first, r = (s - runs) // off_max, (s - runs) % off_max + 1
    if worked_after > 0 and worked_after < min_on:
        return False
    held = not end_held and (worked_after > 0 or off_after > 0)  # where the outside is off, never short
    return not held or first == 1 or r + off_after >= min_off


@numba.njit(cache=True, nogil=True)
def _read_back(
    value, choice, minutes, weekend, groups, run_max, capped, min_on, off_max, min_off, m_lo, end_held, history,
    runs, width, w_hi, tracked, k_hi,
):  # fmt: skip
    """The cheapest accepted end and its line (each day's shift index, -1 off)."""
    days = choice.shape[0]
    best, at = np.inf, (-1, -1, -1)
    for s in range(value.shape[0]):
        if not _end_accepted(s, runs, groups, run_max, capped, min_on, off_max, min_off, end_held, history):
            continue
        for m in range(m_lo, value.shape[1]):
            for w in range(value.shape[2]):
                if value[s, m, w] < best:
                    best, at = value[s, m, w], (s, m, w)
    worked = np.full(days, -1, np.int64)
    if best == np.inf:
        return best, worked
    s, m, w = at
    for d in range(days - 1, -1, -1):
        code = choice[d, s, m, w]
        t = code % width - 1
        source = code // width
        worked[d] = t
        if d == 0:
            break
        if t >= 0:
            m, w = _take(m, w, minutes[t], _starts_weekend(weekend[d], source >= runs), t == tracked, w_hi, k_hi)
        s = source
    return best, worked
