"""``dutyflow up``: everything on one machine — a local Prefect server, the flows' schedules, the HTTP server.

Three child processes, each in its own process group, supervised here: ``prefect server start`` (SQLite
under $DUTYFLOW_HOME/prefect, loopback), ``dutyflow flows serve`` (registers each flow's deployment with its
cron schedule and runs due flow runs), and ``dutyflow serve`` (feeds, reports). Ctrl-C or SIGTERM stops them
in reverse order; if one dies, the others are stopped too and the exit code is 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from roster.cli._common import fail

LOOPBACK = "127.0.0.1"
DEFAULT_PREFECT_PORT = 4200


def up(
    prefect_port: Annotated[
        int | None,
        typer.Option("--prefect-port", help="Port of the local Prefect server (default: 4200, or a free one)."),
    ] = None,
    http_port: Annotated[int, typer.Option("--http-port", help="Port of the HTTP server (feeds, reports).")] = 8080,
    no_http: Annotated[bool, typer.Option("--no-http", help="Do not start the HTTP server.")] = False,
    startup_timeout: Annotated[
        float, typer.Option("--startup-timeout", help="Seconds to wait for each server to answer.")
    ] = 120.0,
) -> None:
    """Run everything until Ctrl-C: a local Prefect server (UI included), every flow on its schedule,
    and the HTTP server. Flows always run at the real time (--now is not accepted here: to replay one
    instant, use `dutyflow flows run NAME --now ...`)."""
    from roster.storage import get_engine

    plan = _plan(prefect_port, None if no_http else http_port)
    get_engine(plan.db_url)  # migrate once, before any child races to do it
    exit_code = _supervise(plan, startup_timeout)
    if exit_code is None:  # stopped while a server was starting
        return
    if exit_code:
        raise typer.Exit(exit_code)
    typer.echo("stopped.")


@dataclass(frozen=True)
class UpPlan:
    """What ``up`` starts: the ports, the state directories and the children's environment."""

    prefect_port: int
    http_port: int | None  # None: no HTTP server
    prefect_home: Path
    db_url: str
    env: dict[str, str]

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.prefect_port}/api"


def _plan(prefect_port: int | None, http_port: int | None) -> UpPlan:
    import os

    from roster import supervise
    from roster.config import database_url, dutyflow_home

    if prefect_port is None:
        prefect_port = DEFAULT_PREFECT_PORT if supervise.port_is_free(DEFAULT_PREFECT_PORT) else supervise.free_port()
    elif not supervise.port_is_free(prefect_port):
        fail(f"--prefect-port: port {prefect_port} on {LOOPBACK} is already in use")
    if http_port is not None and not supervise.port_is_free(http_port):
        fail(f"--http-port: port {http_port} on {LOOPBACK} is already in use (choose another or --no-http)")
    home = dutyflow_home().resolve()
    prefect_home = home / "prefect"
    prefect_home.mkdir(parents=True, exist_ok=True)
    db_url = database_url()
    if db_url.startswith("sqlite:///") and not db_url.startswith("sqlite:////"):
        # A relative SQLite path means "from here"; the children start elsewhere, so make it absolute.
        db_url = f"sqlite:///{Path(db_url.removeprefix('sqlite:///')).resolve()}"
    env = child_environment(dict(os.environ), home, prefect_home, db_url, prefect_port)
    return UpPlan(prefect_port, http_port, prefect_home, db_url, env)


def child_environment(
    environ: dict[str, str], home: Path, prefect_home: Path, db_url: str, prefect_port: int
) -> dict[str, str]:
    """Pure: the children's environment: our state, Prefect's state beside it, Prefect on loopback."""
    env = dict(environ)
    env.update(
        DUTYFLOW_HOME=str(home),
        DUTYFLOW_DATABASE_URL=db_url,
        PREFECT_HOME=str(prefect_home),
        PREFECT_API_URL=f"http://{LOOPBACK}:{prefect_port}/api",
        PREFECT_SERVER_API_HOST=LOOPBACK,
        PREFECT_SERVER_API_PORT=str(prefect_port),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    # Flow runs send heartbeats, so reap-lost-runs crashes a run whose process died (killed, out of memory)
    # and frees its concurrency slot; an admin's own setting wins.
    env.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "30")
    # The admin may point Prefect's server at PostgreSQL; otherwise its SQLite file lives with ours.
    if not (env.get("PREFECT_SERVER_DATABASE_CONNECTION_URL") or env.get("PREFECT_API_DATABASE_CONNECTION_URL")):
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{prefect_home / 'prefect.db'}"
    return env


def _supervise(plan: UpPlan, startup_timeout: float) -> int | None:
    """Start the children in order, watch them until Ctrl-C/SIGTERM or one dies, stop them; the exit code
    (None when stopped before everything was up)."""
    import signal

    from roster import supervise

    stop_requested: list[int] = []

    def request_stop(signum: int, _frame: object) -> None:
        stop_requested.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: list[supervise.Child] = []
    try:
        if not _start_children(plan, children, startup_timeout, lambda: bool(stop_requested)):
            return None
        dead = supervise.watch(children, lambda: bool(stop_requested))
        if dead is not None:
            typer.echo(f"error: {dead.name} exited with code {dead.process.returncode}; stopping the rest", err=True)
            return 1
        return 0
    except (supervise.ChildExited, TimeoutError) as exc:
        typer.echo(f"error: {exc}", err=True)
        return 1
    finally:
        typer.echo("stopping ...")
        running_api_file(plan.prefect_home).unlink(missing_ok=True)
        for child in reversed(children):
            child.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _start_children(plan: UpPlan, children: list, startup_timeout: float, stopping) -> bool:  # noqa: ANN001
    """Prefect server and HTTP server side by side (the console needs no Prefect to answer), then the flow
    runner once Prefect answers; False when stopped while waiting for one to answer."""
    import signal
    import sys

    from flows.serving import PROJECT_ROOT
    from roster import supervise

    port = str(plan.prefect_port)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", LOOPBACK, "--port", port]
    server = supervise.start("prefect server", command, plan.env, cwd=str(plan.prefect_home))
    children.append(server)
    typer.echo(f"starting Prefect server on {plan.api_url} ...")
    http_url = f"http://{LOOPBACK}:{plan.http_port}"
    web = None
    if plan.http_port is not None:
        command = [sys.executable, "-m", "roster.cli", "serve", "--host", LOOPBACK, "--port", str(plan.http_port)]
        web = supervise.start("HTTP server", command, plan.env, cwd=str(PROJECT_ROOT))
        children.append(web)
    if not supervise.wait_http_ok(f"{plan.api_url}/health", server, startup_timeout, stopping):
        return False
    runner = [sys.executable, "-m", "roster.cli", "flows", "serve"]
    # SIGINT lets the runner pause schedules and finish cleanly.
    children.append(supervise.start("flow runner", runner, plan.env, cwd=str(PROJECT_ROOT), stop_signal=signal.SIGINT))
    if web is not None and not supervise.wait_http_ok(f"{http_url}/healthz", web, startup_timeout, stopping):
        return False
    running_api_file(plan.prefect_home).write_text(plan.api_url + "\n", encoding="utf-8")
    typer.echo(f"Prefect UI:  http://{LOOPBACK}:{plan.prefect_port}")
    typer.echo(f"Prefect API: {plan.api_url}")
    if plan.http_port is not None:
        typer.echo(f"HTTP server: {http_url}  (calendar feeds, reports)")
    typer.echo("dutyflow is up; Ctrl-C stops everything.")
    return True


def running_api_file(prefect_home: Path) -> Path:
    """Where a running ``dutyflow up`` leaves its API URL, so ``dutyflow flows run`` records runs there."""
    return prefect_home / "running-api-url"


def register(app: typer.Typer) -> None:
    app.command("up")(up)
