"""The bureau side of rostering: build a solver problem from stored facts, plan, store, swap, explain."""
