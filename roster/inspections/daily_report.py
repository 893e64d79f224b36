"""The bureau's own daily report (日报告) — or zero report (零报告) when nothing needs reporting — in Chinese.

Built from the day's inspections and issues, the overdue visits, the duty roster of the day, cumulative
figures, and (if the reports feature is installed) which units have filed their reports. A zero report is
still filed on time: it says that the day's inspections found nothing and nothing is outstanding.
"""

from __future__ import annotations

import datetime as dt
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


def build_daily_report(session: Session, day: dt.date, now: dt.datetime) -> DailyReport:
    bureau = current_bureau(session)
    section = section_of(bureau)
    tz = bureau.bureau.timezone
    type_names = {t.id: t.name for t in section.site_types}
    sector_names = {s.id: s.name for s in section.sectors}
    sites = {s.id: s for s in session.scalars(select(InspectionSite))}

    visits = list(session.scalars(select(InspectionVisit).where(InspectionVisit.day == day)))
    newest: dict[int, InspectionResult] = {}
    for r in session.scalars(select(InspectionResult).where(InspectionResult.day == day).order_by(InspectionResult.id)):
        newest[r.visit_id] = r
    done = [v for v in visits if v.id in newest]
    issues = [(v, newest[v.id]) for v in done if newest[v.id].outcome == "issue"]
    overdue = [o for o in overdue_inspections(session, now) if o.day <= day]
    units = _report_units(session, day, now)
    # A zero report: the day's inspections found nothing and none is outstanding. Units late with their own
    # reports are listed in section 四 either way: that is the ledger's business (and its escalation's), not
    # a finding of the bureau's day.
    zero = not issues and not overdue
    group_names = {g.id: g.name for g in bureau.groups}

    title = "零报告" if zero else "日报告"
    lines = [f"{bureau.bureau.name}疫情防控{title}", f"（{day.year}年{day.month}月{day.day}日）", ""]

    duty = on_duty_at(session, local_wall_clock_to_utc(day, dt.time(12, 0), tz))
    lines.append("一、值班值守")
    if duty.shift_uid is None:
        lines.append("当日无排班记录。")
    else:
        leader = duty.leader_on_duty
        officers = "、".join(f"{o.name}（{o.phone}）" for o in duty.officers) or "无"
        lines.append(f"带班领导：{leader.name}（{leader.phone}）；" if leader else "带班领导：未安排；")
        lines.append(f"值班员：{officers}。24小时值班，通讯畅通。")

    lines += ["", "二、行业检查"]
    by_sector: dict[str, int] = {}
    for v in done:
        site = sites[v.site_id]
        by_sector[site.sector] = by_sector.get(site.sector, 0) + 1
    if visits:
        detail = "、".join(f"{sector_names.get(s, s)}{n}处" for s, n in sorted(by_sector.items()))
        lines.append(
            f"今日六个工作组安排检查{len(visits)}处，已报送结果{len(done)}处"
            + (f"（{detail}）" if detail else "")
            + "。"
        )
    else:
        lines.append("今日未安排检查。")
    for v in visits:
        if v.kind == "task_force":
            tf = next((t for t in section.task_forces if t.site == v.site_id), None)
            if tf is not None:
                size = f"{tf.headcount}人" if tf.headcount else f"{len(tf.members)}人"
                lines.append(f"{tf.name}（{size}）在{sites[v.site_id].name}驻点开展{tf.duties or '防控工作'}。")
    if issues:
        lines.append(f"发现问题{len(issues)}个：")
        for i, (v, r) in enumerate(issues, start=1):
            site = sites[v.site_id]
            lines.append(
                f"  {i}. {site.name}（{type_names.get(site.site_type, site.site_type)}）：{r.note or '见检查记录'}"
            )
    else:
        lines.append("检查未发现问题。")
    if overdue:
        lines.append(f"逾期未报送检查结果{len(overdue)}处（已列入次日优先检查）：")
        lines += [
            f"  {o.day.isoformat()} {o.site_name}（{group_names.get(o.group_id, o.group_id)}）" for o in overdue[:30]
        ]
        if len(overdue) > 30:
            lines.append(f"  等{len(overdue)}处，详见 dutyflow inspections stats。")

    lines += ["", "三、累计情况", summary_sentence(inspection_stats(session, now, last_day=day), type_names)]

    if units is not None:
        lines += ["", "四、各单位报告情况"]
        if not units:
            lines.append("当日无应报单位。")
        for u in units:
            late = "（迟报）" if u.get("late_submission") else ""
            lines.append(f"  {u.get('name', u.get('unit'))}：{_STATE_NAMES.get(u.get('state'), u.get('state'))}{late}")

    lines += ["", "无瞒报、漏报、迟报。" if zero else "以上情况，特此报告。"]
    lines.append(f"报告时间：{now.astimezone(_zone(tz)).strftime('%Y-%m-%d %H:%M')}")
    return DailyReport(day, zero, "\n".join(lines) + "\n", len(done), len(issues), len(overdue))


_STATE_NAMES = {  # roster.reports board states
    "pending": "待报送",
    "submitted": "已报送日报告",
    "zero_report": "已报送零报告",
    "late": "已过时限，尚未报送",
    "missing": "未报送",
    "excused": "已说明情况",
}


def _zone(tz: str):  # noqa: ANN202
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def _report_units(session: Session, day: dt.date, now: dt.datetime) -> list[dict] | None:
    """The per-unit report status a feature keeps (the reports feature), if one does; None otherwise."""
    from roster.features import FEATURES

    status = next((f.report_status for f in FEATURES if f.report_status is not None), None)
    if status is None:
        return None
    try:
        with session.begin_nested():  # a savepoint: a failing query must not spoil the caller's transaction
            return list(status(session, day, now))
    except Exception:  # noqa: BLE001 - a broken or unmigrated ledger must not stop the bureau's own report
        return None


def write_report(report: DailyReport) -> Path:
    folder = dutyflow_home() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report.day.isoformat()}-{'zero-report' if report.zero_report else 'daily-report'}.txt"
    other = folder / f"{report.day.isoformat()}-{'daily-report' if report.zero_report else 'zero-report'}.txt"
    other.unlink(missing_ok=True)  # the day's report changed kind: keep only the current one
    tmp = path.with_suffix(".tmp")
    tmp.write_text(report.text, encoding="utf-8")
    tmp.replace(path)  # atomic: the sender never picks up a half-written file
    return path
