"""``dutyflow serve``: the HTTP server for calendar feeds, report submission and inspection results."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on; loopback unless told otherwise.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
) -> None:
    """Serve calendar feeds (/calendars/{token}.ics), report submission and inspection results."""
    import uvicorn

    from roster.storage import get_engine
    from roster.web.app import create_app

    get_engine()  # migrate before the first request, not during it
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
