"""Prefect flows: thin, scheduled wrappers over the job entry points in ``roster`` and ``notifications``.

Flows hold no business logic. Each resolves ``now`` (a parameter, so runs can be replayed), runs its job in
a task with retries on transient faults, and returns the job's summary. ``flows.registry`` lists them with
their schedules and imports no Prefect.
"""
