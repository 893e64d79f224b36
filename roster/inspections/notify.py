"""Tell each group leader their group's list for the day, through the outbox (delivery is elsewhere).

One message per (day, group, leader, channel): the outbox's unique dedup key makes a repeated run silent.
A re-plan of the day (revision 2, 3 ...) is a new message, keyed with its revision.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.outbox import dedup_key, enqueue
from roster.admin.schema import BureauFile
from roster.config import DEFAULT_LOCALE
from roster.storage.models.inspections import InspectionPlan, InspectionSite, InspectionVisit
from roster.storage.models.people import Person

REASONS = {
    "zh-CN": {"overdue": "补查", "never_visited": "首次", "due": "例行", "task_force": "驻点", "recorded": "已报",
              "early": "提前"},
    "en": {"overdue": "overdue", "never_visited": "first visit", "due": "routine", "task_force": "stationed",
           "recorded": "recorded", "early": "early"},
}  # fmt: skip


def notify_leaders(session: Session, bureau: BureauFile, plan: InspectionPlan, now) -> int:  # noqa: ANN001
    visits = list(session.scalars(select(InspectionVisit).where(InspectionVisit.plan_id == plan.id)))
    sites = {s.id: s for s in session.scalars(select(InspectionSite))}
    names = {pid: name for pid, name in session.execute(select(Person.id, Person.name))}
    sent = 0
    changed = plan.summary.get("changed_groups")
    for group in bureau.groups:
        if group.leader is None or (changed is not None and group.id not in changed):
            continue
        leader = session.get(Person, group.leader)
        if leader is None or not leader.active or not leader.channels:
            continue
        channel = leader.channels[0]
        locale = "en" if leader.locale == "en" else DEFAULT_LOCALE
        mine = sorted((v for v in visits if v.group_id == group.id), key=lambda v: (v.priority, v.site_id))
        deadline = bureau.inspections.results_due.strftime("%H:%M") if bureau.inspections else "20:00"
        subject, body = _message(locale, plan, group.name, mine, sites, names, deadline)
        parts = ["inspection-list", plan.day.isoformat(), group.id, leader.id, channel["kind"]]
        if plan.revision > 1:
            parts.append(f"r{plan.revision}")
        added = enqueue(
            session,
            key=dedup_key(*parts),
            source="inspection",
            channel=channel["kind"],
            address=channel["target"],
            subject=subject,
            body=body,
            now=now,
            person_id=leader.id,
            locale=locale,
            payload={"day": plan.day.isoformat(), "group": group.id, "revision": plan.revision,
                     "sites": [v.site_id for v in mine]},
        )  # fmt: skip
        sent += int(added)
    return sent


def _message(locale, plan, group_name, visits, sites, names, deadline) -> tuple[str, str]:  # noqa: ANN001
    reasons = REASONS[locale]
    lines = []
    for i, v in enumerate(visits, start=1):
        site = sites[v.site_id]
        who = (
            "、".join(names.get(p, p) for p in v.inspectors)
            if locale == DEFAULT_LOCALE
            else ", ".join(names.get(p, p) for p in v.inspectors)
        )
        if locale == DEFAULT_LOCALE:
            lines.append(
                f"{i}. 【{reasons.get(v.reason, v.reason)}】{site.name}（{site.address}，"
                f"联系人{site.contact_name} {site.contact_phone}）检查人员：{who}"
            )
        else:
            lines.append(f"{i}. [{reasons.get(v.reason, v.reason)}] {site.name} ({site.address}, contact "
                         f"{site.contact_name} {site.contact_phone}) inspectors: {who}")  # fmt: skip
    revised = plan.revision > 1
    if locale == DEFAULT_LOCALE:
        subject = f"{plan.day.isoformat()} {group_name}检查任务{'（已调整）' if revised else ''}：{len(visits)}处"
        body = f"{group_name}今日检查任务共{len(visits)}处，请于当日{deadline}前录入检查结果。\n" + "\n".join(lines)
        if not visits:
            body = f"{group_name}今日无检查任务。"
    else:
        subject = f"{plan.day.isoformat()} {group_name} inspections{' (revised)' if revised else ''}: {len(visits)}"
        body = f"Today's inspections for {group_name}: {len(visits)} sites. Record results by {deadline}.\n"
        body += "\n".join(lines) if visits else "No inspections today."
    return subject, body
