"""The Shift Scheduling Benchmark (Curtois & Qu, schedulingbenchmarks.org, nurse rostering instances 1-24).

``parser`` reads an instance file into frozen dataclasses, ``evaluate`` scores a roster against the published
rules independently of the solver, ``solution`` reads and writes rosters, ``convert`` maps an instance onto
the generic ``roster.solver.problem`` model and ``run`` solves one with ``roster.solver.cpsat``.
"""
