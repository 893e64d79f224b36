"""Duty operations (issue #12): check-in (签到), roll call (查岗/点名), the duty log (值班日志) and handover (交接班).

- ``schema``: the admin file's ``duty:`` section.
- ``facts``: shifts, people and the section, gathered once per call.
- ``checkin``, ``rollcall``, ``log``, ``handover``: each a small ledger with its pure decisions.
- ``check``: one tick (missed check-ins, roll calls due or unanswered, open handovers) → the outbox.
- ``scorecard``: the monthly figures. ``jobs``: entry points for flows, returning typed summaries.
- ``feature``: the feature's declaration (section, jobs, flows, routes).
"""
