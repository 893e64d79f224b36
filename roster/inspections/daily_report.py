"""The bureau's own daily report (日报告) — or zero report (零报告) when nothing needs reporting — in Chinese.

Three steps, in the style of ``planner.plan_day``: ``gather_daily_facts`` reads the day (inspections and
issues, overdue visits, the duty roster, cumulative figures, the units' own reports); ``decide_daily_report``
is a pure judgement over those facts; ``render_daily_report`` writes the text. The report never states what
is false: it is a zero report only when every planned result is in, nothing was found, nothing is overdue
and every unit has reported;
"无瞒报、漏报、迟报" appears only when no unit is missing or late; units still missing are named as such.
The title's subject (疫情防控, 安全生产 ...) comes from the admin file (``inspections.daily_report_title``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.current import current_bureau
from roster.config import dutyflow_home
from roster.inspections.assign import section_of
from roster.inspections.results import overdue_inspections
from roster.inspections.stats import inspection_stats, summary_sentence
from roster.on_duty import on_duty_at
from roster.reports.board import report_status
from roster.storage.models.inspections import InspectionResult, InspectionSite, InspectionVisit
from roster.timeutil import local_wall_clock_to_utc


@dataclass(frozen=True)
class DailyReport:
    day: dt.date
    zero_report: bool
    text: str
    visits: int
    issues: int
    overdue: int

    def as_dict(self, path: Path | None = None) -> dict:
        return {
            "date": self.day.isoformat(),
            "kind": "zero_report" if self.zero_report else "daily_report",
            "visits": self.visits,
            "issues": self.issues,
            "overdue": self.overdue,
            "path": str(path) if path else None,
        }


# ------------------------------------------------------------------------------------------------ facts


@dataclass(frozen=True)
class UnitState:
    """One reporting unit's day, from the reports ledger's board."""

    name: str
    state: str  # pending, submitted, zero_report, late, missing, excused
    late_submission: bool = False

    @property
    def outstanding(self) -> bool:  # has not reported (an excuse counts as settled)
        return self.state in ("pending", "late", "missing")

    @property
    def late(self) -> bool:
        return self.late_submission or self.state in ("late", "missing")


@dataclass(frozen=True)
class DailyFacts:
    day: dt.date
    now_local: str  # "YYYY-MM-DD HH:MM" in the bureau's zone
    bureau_name: str
    subject: str  # the title's subject from the admin file, e.g. 疫情防控
    duty: tuple[str, str] | None  # (leader line, officers line); None: no shift that day
    groups_planned: int
    visits_planned: int
    done_by_sector: tuple[tuple[str, int], ...]
    visits_done: int
    task_forces: tuple[str, ...]  # one sentence each
    issues: tuple[tuple[str, str, str], ...]  # (site, site type, note)
    overdue: tuple[tuple[str, str, str], ...]  # (date, site, group)
    cumulative: str
    units: tuple[UnitState, ...] | None  # None: the reports feature has nothing for this bureau


def gather_daily_facts(session: Session, day: dt.date, now: dt.datetime) -> DailyFacts:
    """Everything the report says, read from the database (nothing is written)."""
    bureau = current_bureau(session)
    section = section_of(bureau)
    tz = bureau.bureau.timezone
    type_names = {t.id: t.name for t in section.site_types}
    sector_names = {s.id: s.name for s in section.sectors}
    group_names = {g.id: g.name for g in bureau.groups}
    sites = {s.id: s for s in session.scalars(select(InspectionSite))}
    visits = list(session.scalars(select(InspectionVisit).where(InspectionVisit.day == day)))
    newest: dict[int, InspectionResult] = {}
    for r in session.scalars(select(InspectionResult).where(InspectionResult.day == day).order_by(InspectionResult.id)):
        newest[r.visit_id] = r
    done = [v for v in visits if v.id in newest]
    by_sector: dict[str, int] = {}
    for v in done:
        by_sector[sites[v.site_id].sector] = by_sector.get(sites[v.site_id].sector, 0) + 1
    issues = tuple(
        (sites[v.site_id].name, type_names.get(sites[v.site_id].site_type, sites[v.site_id].site_type), r.note or "")
        for v in done
        if (r := newest[v.id]).outcome == "issue"
    )
    overdue = tuple(
        (o.day.isoformat(), o.site_name, group_names.get(o.group_id, o.group_id))
        for o in overdue_inspections(session, now)
        if o.day <= day
    )
    return DailyFacts(
        day=day,
        now_local=now.astimezone(_zone(tz)).strftime("%Y-%m-%d %H:%M"),
        bureau_name=bureau.bureau.name,
        subject=section.daily_report_title,
        duty=_duty_lines(session, day, tz),
        groups_planned=len({v.group_id for v in visits}),
        visits_planned=len(visits),
        done_by_sector=tuple((sector_names.get(s, s), n) for s, n in sorted(by_sector.items())),
        visits_done=len(done),
        task_forces=_task_force_lines(section, visits, sites),
        issues=issues,
        overdue=overdue,
        cumulative=summary_sentence(inspection_stats(session, now, last_day=day), type_names),
        units=_report_units(session, day, now),
    )


def _duty_lines(session: Session, day: dt.date, tz: str) -> tuple[str, str] | None:
    duty = on_duty_at(session, local_wall_clock_to_utc(day, dt.time(12, 0), tz))
    if duty.shift_uid is None:
        return None
    leader = duty.leader_on_duty
    officers = "、".join(f"{o.name}（{o.phone}）" for o in duty.officers) or "无"
    return (f"带班领导：{leader.name}（{leader.phone}）；" if leader else "带班领导：未安排；"), f"值班员：{officers}。"


def _task_force_lines(section, visits: list[InspectionVisit], sites: dict) -> tuple[str, ...]:  # noqa: ANN001
    lines = []
    for v in visits:
        if v.kind != "task_force":
            continue
        tf = next((t for t in section.task_forces if t.site == v.site_id), None)
        if tf is not None:
            size = f"{tf.headcount}人" if tf.headcount else f"{len(tf.members)}人"
            lines.append(f"{tf.name}（{size}）在{sites[v.site_id].name}驻点开展{tf.duties or '防控工作'}。")
    return tuple(lines)


def _report_units(session: Session, day: dt.date, now: dt.datetime) -> tuple[UnitState, ...] | None:
    """The units' report status from the reports feature's ledger, or None when it cannot be read (a broken
    or unmigrated ledger must not stop the bureau's own report)."""
    try:
        with session.begin_nested():  # a savepoint: a failing query must not spoil the caller's transaction
            board = list(report_status(session, day, now))
    except Exception:  # noqa: BLE001
        return None
    return tuple(
        UnitState(str(u.get("name") or u.get("unit")), str(u.get("state")), bool(u.get("late_submission")))
        for u in board
    )


# --------------------------------------------------------------------------------------------- decision


@dataclass(frozen=True)
class Verdict:
    zero_report: bool
    missing: tuple[str, ...]  # units that have not reported (yet)
    late: tuple[str, ...]  # units that reported late, or are past their deadline without a report
    clean: bool  # every unit reported on time: "无瞒报、漏报、迟报" is true


def decide_daily_report(facts: DailyFacts) -> Verdict:
    """Pure: what kind of report this is and what it may truthfully say about the units."""
    units = facts.units or ()
    missing = tuple(u.name for u in units if u.outstanding)
    late = tuple(u.name for u in units if u.late)
    all_results_in = facts.visits_done == facts.visits_planned
    zero = not facts.issues and not facts.overdue and all_results_in and not missing
    return Verdict(zero, missing, late, clean=facts.units is not None and not missing and not late)


# ---------------------------------------------------------------------------------------------- render


def render_daily_report(facts: DailyFacts, verdict: Verdict) -> str:
    """Pure: the report's text."""
    kind = "零报告" if verdict.zero_report else "日报告"
    day = facts.day
    lines = [f"{facts.bureau_name}{facts.subject}{kind}", f"（{day.year}年{day.month}月{day.day}日）", ""]
    lines.append("一、值班值守")
    lines += ["当日无排班记录。"] if facts.duty is None else [facts.duty[0], facts.duty[1] + "24小时值班。"]
    lines += ["", "二、行业检查", *_inspection_lines(facts)]
    lines += ["", "三、累计情况", facts.cumulative]
    if facts.units is not None:
        lines += ["", "四、各单位报告情况"]
        if not facts.units:
            lines.append("当日无应报单位。")
        for u in facts.units:
            late = "（迟报）" if u.late_submission else ""
            lines.append(f"  {u.name}：{_STATE_NAMES.get(u.state, u.state)}{late}")
    lines.append("")
    if verdict.missing:
        lines.append(f"截至报告时间，尚有{len(verdict.missing)}个单位未报送：{'、'.join(verdict.missing)}。")
    reported_late = [name for name in verdict.late if name not in verdict.missing]
    if reported_late:
        lines.append(f"迟报单位：{'、'.join(reported_late)}。")
    if verdict.clean:
        lines.append("各单位均已按时报送，无瞒报、漏报、迟报。")
    if not verdict.zero_report:
        lines.append("以上情况，特此报告。")
    lines.append(f"报告时间：{facts.now_local}")
    return "\n".join(lines) + "\n"


def _inspection_lines(facts: DailyFacts) -> list[str]:
    lines = []
    if facts.visits_planned:
        detail = "、".join(f"{name}{n}处" for name, n in facts.done_by_sector)
        lines.append(
            f"今日{facts.groups_planned}个工作组安排检查{facts.visits_planned}处，已报送结果{facts.visits_done}处"
            + (f"（{detail}）" if detail else "")
            + "。"
        )
    else:
        lines.append("今日未安排检查。")
    lines += facts.task_forces
    if facts.issues:
        lines.append(f"发现问题{len(facts.issues)}个：")
        lines += [
            f"  {i}. {site}（{kind}）：{note or '见检查记录'}" for i, (site, kind, note) in enumerate(facts.issues, 1)
        ]
    elif facts.visits_done:
        lines.append("已报送的检查未发现问题。" if facts.visits_done < facts.visits_planned else "检查未发现问题。")
    if facts.overdue:
        lines.append(f"逾期未报送检查结果{len(facts.overdue)}处（已列入次日优先检查）：")
        lines += [f"  {d} {site}（{group}）" for d, site, group in facts.overdue[:30]]
        if len(facts.overdue) > 30:
            lines.append(f"  等{len(facts.overdue)}处，详见 dutyflow inspections stats。")
    return lines


def build_daily_report(session: Session, day: dt.date, now: dt.datetime) -> DailyReport:
    """Gather → decide → render."""
    facts = gather_daily_facts(session, day, now)
    verdict = decide_daily_report(facts)
    text = render_daily_report(facts, verdict)
    return DailyReport(day, verdict.zero_report, text, facts.visits_done, len(facts.issues), len(facts.overdue))


_STATE_NAMES = {  # roster.reports board states
    "pending": "尚未报送（未到时限）",
    "submitted": "已报送日报告",
    "zero_report": "已报送零报告",
    "late": "已过时限，尚未报送",
    "missing": "未报送",
    "excused": "已说明情况",
}


def _zone(tz: str):  # noqa: ANN202
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def write_report(report: DailyReport) -> Path:
    folder = dutyflow_home() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report.day.isoformat()}-{'zero-report' if report.zero_report else 'daily-report'}.txt"
    other = folder / f"{report.day.isoformat()}-{'daily-report' if report.zero_report else 'zero-report'}.txt"
    other.unlink(missing_ok=True)  # the day's report changed kind: keep only the current one
    # A temporary file of this writer's own, then an atomic rename: the sender never picks up a half-written
    # file, and two runs writing the day's report at once (an overlapping tick) never rename each other's file.
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=folder, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as tmp:
        tmp.write(report.text)
    Path(tmp.name).replace(path)
    return path
