"""Prefect-side set-up, applied by ``dutyflow flows setup`` after ``prefect deploy --all`` (safe to repeat).

Earlier releases crashed the runs of a lost machine with two Prefect automations (proactive triggers on
heartbeat and Pending events). The ``reap-lost-runs`` flow (roster/runs/watchdog.py says why) does that now,
so set-up removes those automations from servers that still have them. Nothing else is needed on the server:
the flows, their schedules and concurrency limits come from ``prefect.yaml``.
"""

from __future__ import annotations

SUPERSEDED = (
    "dutyflow: crash runs that stopped sending heartbeats",
    "dutyflow: crash runs that never started",
)


def remove_superseded_automations() -> list[str]:
    """Delete the automations of earlier releases from ``$PREFECT_API_URL``; returns the names deleted."""
    from prefect.automations import Automation

    removed = []
    for name in SUPERSEDED:
        while True:  # a name may have been created more than once
            try:
                automation = Automation.read(name=name)
            except ValueError:  # not (or no longer) there
                break
            automation.delete()
            removed.append(name)
    return removed
