"""The ``dutyflow`` command. Each module in this package adds its commands through ``register(app)``.

Command modules must keep heavy imports (Prefect, OR-Tools, FastAPI) inside the command functions, so
that ``dutyflow now`` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="dutyflow",
    help="Duty rosters, inspections, report escalation and calendar feeds for a duty office.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _module.name.startswith("_"):
        _mod = importlib.import_module(f"{__name__}.{_module.name}")
        if hasattr(_mod, "register"):
            _mod.register(app)


def main() -> None:
    try:
        app()
    except Exception as exc:
        from roster.cli._common import database_failure

        message = database_failure(exc)
        if message is None:
            raise
        typer.echo(f"error: {message}", err=True)
        raise SystemExit(2) from None
