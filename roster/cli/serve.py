"""``dutyflow serve``: the HTTP server for calendar feeds, report submission and inspection results."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on; loopback unless told otherwise.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    db_wait: Annotated[
        float, typer.Option("--db-wait", help="Seconds to keep retrying an unreachable database at start-up.")
    ] = 60.0,
) -> None:
    """Serve calendar feeds (/calendars/{token}.ics), report submission and inspection results."""
    import uvicorn

    from roster.web.app import create_app

    wait_for_database(db_wait)  # migrate before the first request, not during it
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


def wait_for_database(patience: float, sleep=None) -> None:  # noqa: ANN001
    """Connect (and migrate) with exponential backoff, 0.5 s doubling to 15 s, for up to ``patience``
    seconds: a server started with its database (or just before it) comes up once the database does."""
    import time

    from sqlalchemy.exc import InterfaceError, OperationalError

    from roster.cli._common import database_failure
    from roster.storage import get_engine

    sleep = sleep or time.sleep
    deadline, delay = time.monotonic() + patience, 0.5
    while True:
        try:
            get_engine()
            return
        except (OperationalError, InterfaceError) as exc:
            message = database_failure(exc)
            if time.monotonic() + delay > deadline:
                raise
            typer.echo(f"waiting for the database ({message}); retrying in {delay:g} s", err=True)
            sleep(delay)
            delay = min(delay * 2, 15.0)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
