"""Roster drafts: plan a range without touching the published roster, show the diff, publish all at once.

``create_draft`` records the request; ``compute_draft`` (a background job) solves exactly as ``plan`` does
(same model, minimal change against the stored roster) but keeps the result in the draft row; ``publish``
writes it in one transaction, only if the roster, leave and admin file are still what the draft was planned
from (else the draft is stale and nothing is written). Shifts are the published roster: feeds, ``now``, the
board and notifications never see a draft.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from roster.admin.current import current_bureau
from roster.planning.announce import announce_shift_changes
from roster.planning.build import PlanningError, build_problem, slot_categories
from roster.planning.explain import precheck, relax
from roster.planning.plan import _people_by_role, _update_seats, lock_planning
from roster.planning.stored import leave_by_person, seats_between
from roster.storage.models.console import RosterDraft
from roster.storage.models.people import BureauConfig
from roster.storage.models.shifts import AuditEntry, Shift, ShiftAssignment

MAX_DAYS = 366
STALE_AFTER = dt.timedelta(minutes=2)  # a running draft not updated beyond its limit + this was interrupted


class DraftError(ValueError):
    """A refused draft operation; ``field`` names the form field, messages in both languages."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.field, self.zh, self.en = field, zh, en


def roster_fingerprint(session: Session, start: dt.date, days: int) -> str:
    """What a draft was planned from: stored seats in the range, leave around it, the admin file in force."""
    last = start + dt.timedelta(days=days - 1)
    seats = [
        (s.duty_date.isoformat(), s.slot, s.role, s.seat, s.person, s.starts_at.isoformat())
        for s in seats_between(session, start, last)
    ]
    leaves = sorted(
        (lv.person_id, lv.first_day.isoformat(), lv.last_day.isoformat())
        for rows in leave_by_person(session, start - dt.timedelta(days=7), last + dt.timedelta(days=7)).values()
        for lv in rows
    )
    config = session.scalar(select(BureauConfig.sha256).order_by(BureauConfig.id.desc()).limit(1))
    text = json.dumps([seats, leaves, config], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def create_draft(
    session: Session,
    start: dt.date,
    days: int,
    now: dt.datetime,
    actor: str,
    time_limit_s: float = 10.0,
    kind: str = "plan",
    leave_request_id: int | None = None,
) -> RosterDraft:
    if not 1 <= days <= MAX_DAYS:
        raise DraftError("days", f"天数须在 1 到 {MAX_DAYS} 之间", f"days must be between 1 and {MAX_DAYS}")
    if not 1 <= time_limit_s <= 600:
        raise DraftError("time_limit", "求解时限须在 1 到 600 秒之间", "the time limit must be 1 to 600 seconds")
    draft = RosterDraft(
        kind=kind,
        start=start,
        days=days,
        status="running",
        created_at=now,
        created_by=actor,
        updated_at=now,
        time_limit_s=time_limit_s,
        progress={"solutions": 0},
        result={},
        shifts=[],
        base="",
        changes=[],
        leave_request_id=leave_request_id,
    )
    session.add(draft)
    session.flush()
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action="draft.create",
            details={"draft": draft.id, "kind": kind, "start": start.isoformat(), "days": days},
        )
    )
    return draft


def effective_status(draft: RosterDraft, now: dt.datetime) -> str:
    """A running draft whose job died (server restart) reads as failed: state, not a watchdog."""
    deadline = draft.updated_at + dt.timedelta(seconds=draft.time_limit_s) + STALE_AFTER
    if draft.status == "running" and now > deadline:
        return "interrupted"
    return draft.status


def compute_draft(open_session: Callable[[], Session], draft_id: int, now: dt.datetime, workers: int = 2) -> None:
    """The background job: solve, then store shifts, moves and the fingerprint in the draft (never shifts)."""
    from roster.solver.cpsat import solve

    with open_session() as session:
        draft = session.get(RosterDraft, draft_id)
        if draft is None or draft.status != "running":
            return
        start, days, limit = draft.start, draft.days, draft.time_limit_s
        bureau = current_bureau(session)
        try:
            pp = build_problem(session, bureau, start, days, now)
        except PlanningError as exc:
            _finish(session, draft, now, "failed", {"status": "error", "explanations": [str(exc)]})
            return
        base = roster_fingerprint(session, start, days)
        problems = precheck(pp)
        if problems:
            _finish(session, draft, now, "failed", {"status": "infeasible", "explanations": problems})
            return
        session.commit()  # end the read transaction: SQLite writers must not wait on a long solve
    result = solve(pp.problem, limit, workers=workers, progress=_progress_writer(open_session, draft_id, now))
    with open_session() as session:
        draft = session.get(RosterDraft, draft_id)
        if not result.ok:
            why = relax(pp, limit) if result.status == "infeasible" else []
            why = why or [f"no roster found within {limit:g} s (solver status {result.status})"]
            _finish(session, draft, now, "failed", {"status": result.status, "explanations": why})
            return
        shifts, moves = _draft_rows(pp, result.solution)
        draft.shifts, draft.changes, draft.base = shifts, moves, base
        summary = {"status": result.status, "objective": result.objective, "seconds": round(result.wall_seconds, 2)}
        summary.update(moved=len(moves), shifts=len(shifts), breakdown=dict(result.breakdown))
        _finish(session, draft, now, "ready", summary)


def _finish(session: Session, draft: RosterDraft, now: dt.datetime, status: str, result: dict[str, Any]) -> None:
    draft.status, draft.result, draft.updated_at = status, result, now
    session.commit()


def _progress_writer(open_session: Callable[[], Session], draft_id: int, now: dt.datetime):  # noqa: ANN202
    """Solver callback: the newest solution's figures into the draft, at most twice a second."""
    state = {"last": 0.0, "solutions": 0}

    def on_solution(info: dict[str, Any]) -> None:
        state["solutions"] += 1
        if time.monotonic() - state["last"] < 0.5:
            return
        state["last"] = time.monotonic()
        with open_session() as session:
            draft = session.get(RosterDraft, draft_id)
            if draft is not None:
                draft.progress = {
                    "solutions": state["solutions"],
                    "objective": info.get("objective"),
                    "bound": info.get("bound"),
                    "seconds": round(info.get("seconds", 0.0), 1),
                }
                session.commit()

    return on_solution


def _draft_rows(pp, solution) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # noqa: ANN001
    shifts, moves = [], []
    for slot in pp.slots:
        wanted = _people_by_role(pp, solution, slot)
        flags = slot_categories(slot, pp.kinds[slot.duty_date])
        shifts.append(
            {
                "uid": slot.uid,
                "date": slot.duty_date.isoformat(),
                "slot": slot.slot,
                "starts_at": slot.starts_at.isoformat(),
                "ends_at": slot.ends_at.isoformat(),
                "flags": {k: bool(v) for k, v in flags.items()},
                "seats": wanted,
            }
        )
        stored = pp.previous.get((slot.duty_date, slot.slot), [])
        for role, new in wanted.items():
            old = [s.person for s in stored if s.role == role]
            leaving = [p for p in old if p not in new]
            coming = [p for p in new if p not in old]
            for i in range(max(len(leaving), len(coming))):
                moves.append(
                    {
                        "uid": slot.uid,
                        "date": slot.duty_date.isoformat(),
                        "slot": slot.slot,
                        "role": role,
                        "old": leaving[i] if i < len(leaving) else None,
                        "new": coming[i] if i < len(coming) else None,
                    }
                )
    return shifts, moves


def publish(session: Session, draft_id: int, now: dt.datetime, actor: str) -> RosterDraft:
    """Write a ready draft to the roster, all or nothing, and announce the changes to the people moved."""
    lock_planning(session)
    draft = session.get(RosterDraft, draft_id)
    if draft is None:
        raise DraftError("draft", "没有这个草案", "no such draft")
    if draft.status != "ready":
        raise DraftError("draft", f"草案状态为 {draft.status}，不能发布", f"the draft is {draft.status}, not ready")
    if roster_fingerprint(session, draft.start, draft.days) != draft.base:
        raise _stale(
            session,
            draft,
            now,
            "草案生成后排班表、请假或管理文件已有变化，草案已过期，请重新排班",
            "the roster, leave or admin file changed since this draft was planned; it is stale, plan again",
        )
    moved = {m["uid"] for m in draft.changes}
    if moved and session.scalar(select(Shift.id).where(Shift.uid.in_(moved), Shift.starts_at <= now).limit(1)):
        raise _stale(
            session,
            draft,
            now,
            "草案要改动的班次已经开始，草案已过期，请重新排班",
            "a shift this draft changes has already started; the draft is stale, plan again",
        )
    _write_shifts(session, draft, now)
    draft.status, draft.published_at, draft.published_by, draft.updated_at = "published", now, actor, now
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action="draft.publish",
            details={"draft": draft.id, "start": draft.start.isoformat(), "days": draft.days, "moves": draft.changes},
        )
    )
    session.flush()
    announce_shift_changes(session, draft.changes, "publish", now, reason=f"draft {draft.id}")
    return draft


def _stale(session: Session, draft: RosterDraft, now: dt.datetime, zh: str, en: str) -> DraftError:
    """Mark ``draft`` stale (written: the caller commits it although the publish is refused); the refusal."""
    draft.status, draft.updated_at = "stale", now
    session.flush()
    return DraftError("draft", zh, en)


def discard(session: Session, draft_id: int, now: dt.datetime, actor: str) -> RosterDraft:
    draft = session.get(RosterDraft, draft_id)
    if draft is None:
        raise DraftError("draft", "没有这个草案", "no such draft")
    if draft.status in ("published", "discarded"):
        raise DraftError("draft", f"草案状态为 {draft.status}", f"the draft is already {draft.status}")
    draft.status, draft.updated_at = "discarded", now
    session.add(AuditEntry(at=now, actor=actor, action="draft.discard", details={"draft": draft.id}))
    return draft


def _write_shifts(session: Session, draft: RosterDraft, now: dt.datetime) -> None:
    first, last = draft.start, draft.start + dt.timedelta(days=draft.days - 1)
    existing = {
        (s.duty_date, s.slot): s
        for s in session.scalars(
            select(Shift)
            .where(Shift.duty_date >= first, Shift.duty_date <= last)
            .options(selectinload(Shift.assignments))
        )
    }
    planned = {(dt.date.fromisoformat(row["date"]), row["slot"]) for row in draft.shifts}
    for key, shift in existing.items():
        if key not in planned:
            session.delete(shift)
    for row in draft.shifts:
        day = dt.date.fromisoformat(row["date"])
        starts, ends = dt.datetime.fromisoformat(row["starts_at"]), dt.datetime.fromisoformat(row["ends_at"])
        shift = existing.get((day, row["slot"]))
        if shift is None:
            shift = Shift(uid=row["uid"], duty_date=day, slot=row["slot"], starts_at=starts, ends_at=ends)
            shift.revision, shift.changed_at = 0, now
            shift.assignments = [
                ShiftAssignment(role=role, seat=i, person_id=pid)
                for role, people in row["seats"].items()
                for i, pid in enumerate(people)
            ]
            session.add(shift)
        elif _update_seats(session, shift, row["seats"]):
            shift.revision += 1
            shift.changed_at = now
        shift.is_night, shift.is_weekend, shift.is_holiday = (
            row["flags"]["nights"],
            row["flags"]["weekends"],
            row["flags"]["holidays"],
        )
    session.flush()


def mark_failed(session: Session, draft_id: int, now: dt.datetime, why: str) -> None:
    with session:
        draft = session.get(RosterDraft, draft_id)
        if draft is not None and draft.status == "running":
            _finish(session, draft, now, "failed", {"status": "error", "explanations": [why]})


def moves_by_person(moves: list[dict[str, Any]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The diff as people see it: who gains and who loses which shift."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for m in moves:
        if m.get("new"):
            out.setdefault(m["new"], {"gain": [], "lose": []})["gain"].append(m)
        if m.get("old"):
            out.setdefault(m["old"], {"gain": [], "lose": []})["lose"].append(m)
    return dict(sorted(out.items()))
