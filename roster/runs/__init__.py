"""The runs feature: a watchdog over dutyflow's own Prefect flow runs, crashing the runs of a lost machine.

``watchdog.py`` decides (pure, over facts gathered first); ``jobs.py`` gathers them from the Prefect API and
writes the Crashed states. See docs/orchestration.md, "Machine loss".
"""
