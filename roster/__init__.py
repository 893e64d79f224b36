"""dutyflow's domain: people, shifts, solver, inspections, reports, calendar, storage.

Modules here are plain functions over a SQLAlchemy session and an injected ``now``; nothing in this
package imports Prefect, and the solver is imported only by the commands that plan.
"""
