"""The one list of dutyflow's features. Add a feature here (and nowhere else): see docs/features.md.

Read only from the top floor: the flows (``flows.registry``, ``prefect.yaml``) and the web app (routers). The
admin file's sections are listed lower down, in ``roster.admin.sections``; this module checks that the two
lists agree, so that a feature's code can import the admin schema without a circle back to this list.
"""

from __future__ import annotations

from notifications.feature import FEATURE as NOTIFICATIONS
from roster.admin.sections import SECTIONS
from roster.calendar.feature import FEATURE as CALENDAR
from roster.duty.feature import FEATURE as DUTY
from roster.feature import Feature
from roster.incidents.feature import FEATURE as INCIDENTS
from roster.inspections.feature import FEATURE as INSPECTIONS
from roster.notices.feature import FEATURE as NOTICES
from roster.planning.feature import FEATURE as PLANNING
from roster.reports.feature import FEATURE as REPORTS
from roster.runs.feature import FEATURE as RUNS
from roster.web.feature import FEATURE as WEB

# The order of flows and routers. (The admin file's sections have their own order: roster.admin.sections.)
FEATURES: tuple[Feature, ...] = (
    PLANNING,
    CALENDAR,
    INSPECTIONS,
    REPORTS,
    NOTIFICATIONS,
    NOTICES,
    WEB,
    DUTY,
    INCIDENTS,
    RUNS,
)


def _check_unique() -> None:
    for what, names in (
        ("feature", [f.name for f in FEATURES]),
        ("admin-file section", [f.section.field for f in FEATURES if f.section]),
        ("flow", [flow.name for f in FEATURES for flow in f.flows]),
    ):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"two features declare the same {what}: {', '.join(duplicates)}")
    owned = {f.section for f in FEATURES if f.section is not None}
    if owned != set(SECTIONS):
        unlisted = sorted(s.field for s in owned - set(SECTIONS))
        unowned = sorted(s.field for s in set(SECTIONS) - owned)
        raise ValueError(f"roster/admin/sections.py and FEATURES disagree: unlisted {unlisted}, unowned {unowned}")


_check_unique()
