"""The one list of dutyflow's features. Add a feature here (and nowhere else): see docs/features.md.

Read by the admin schema (``BureauFile`` sections), the loader (reference checks), ``apply``, the flows
(``flows.registry``, ``prefect.yaml``), the web app (routers) and the daily report (units' report status).
"""

from __future__ import annotations

from notifications.feature import FEATURE as NOTIFICATIONS
from roster.calendar.feature import FEATURE as CALENDAR
from roster.duty.feature import FEATURE as DUTY
from roster.feature import Feature
from roster.incidents.feature import FEATURE as INCIDENTS
from roster.inspections.feature import FEATURE as INSPECTIONS
from roster.notices.feature import FEATURE as NOTICES
from roster.planning.feature import FEATURE as PLANNING
from roster.reports.feature import FEATURE as REPORTS
from roster.web.feature import FEATURE as WEB

# Order matters where features meet: sections appear in the admin file (and its normalized document) in
# this order, and apply hooks run in it (reports after inspections, which may own the units' groups).
FEATURES: tuple[Feature, ...] = (PLANNING, CALENDAR, INSPECTIONS, REPORTS, NOTIFICATIONS, NOTICES, WEB, DUTY, INCIDENTS)


def _check_unique() -> None:
    for what, names in (
        ("feature", [f.name for f in FEATURES]),
        ("admin-file section", [f.section.field for f in FEATURES if f.section]),
        ("flow", [flow.name for f in FEATURES for flow in f.flows]),
    ):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"two features declare the same {what}: {', '.join(duplicates)}")


_check_unique()
