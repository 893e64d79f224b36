"""The ``dutyflow`` command. Each module in this package adds its commands through ``register(app)``.

Command modules must keep heavy imports (Prefect, OR-Tools, FastAPI) inside the command functions. ``app``
(all commands) is built on first use; ``main`` answers ``dutyflow now`` (the duty office's fast path)
without Typer or the other command modules (see ``roster.cli._now``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    app: typer.Typer

HELP = "Duty rosters, inspections, report escalation and calendar feeds for a duty office."


def _new_app() -> typer.Typer:
    import typer

    return typer.Typer(
        name="dutyflow", help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )


def build_app() -> typer.Typer:
    """Every command of every module in this package."""
    import importlib
    import pkgutil

    full = _new_app()
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            commands = importlib.import_module(f"{__name__}.{module.name}")
            if hasattr(commands, "register"):
                commands.register(full)
    return full


def __getattr__(name: str) -> Any:
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    try:
        from roster.cli._now import fast_arguments, run_now

        fast = fast_arguments(sys.argv[1:])
        if fast is not None:  # `dutyflow now [--now ISO] [--json]`: answered without Typer or the other commands
            sys.exit(run_now(*fast))
        __getattr__("app")(prog_name="dutyflow")
    except Exception as exc:
        from roster.cli._common import database_failure

        message = database_failure(exc)  # a database that cannot be reached: one line, not a traceback
        if message is None:
            raise
        sys.stderr.write(f"error: {message}\n")
        sys.exit(2)
