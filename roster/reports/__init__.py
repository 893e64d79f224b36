"""Daily reports (日报告) and zero reports (零报告): the ledger, its board, and escalation of late ones.

- ``ledger``: submit / excuse / acknowledge (validated, idempotent, corrections kept).
- ``board``: ``report_status(session, day, now)`` and monthly punctuality.
- ``escalation``: one tick, set-based, writing reminders to the outbox; ``jobs.check_reports`` wraps it.
- ``links``: unit tokens and signed acknowledgement links.
"""


def report_status(session, day, now):  # noqa: ANN001, ANN201
    """See :func:`roster.reports.board.report_status` (imported lazily: the admin schema imports
    ``roster.reports.schema``, which runs this ``__init__``, and must not load the ORM)."""
    from roster.reports.board import report_status as _report_status

    return _report_status(session, day, now)
