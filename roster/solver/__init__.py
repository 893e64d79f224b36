"""Generic rostering on OR-Tools CP-SAT: roster.solver.problem (data), roster.solver.cpsat (solve)."""
