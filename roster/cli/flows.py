"""``dutyflow flows``: list the scheduled flows, run one now, or serve them all against a Prefect server."""

from __future__ import annotations

from typing import Annotated

import typer

from roster.cli._common import JsonOption, NowOption, fail, print_json, resolve_now

flows_app = typer.Typer(
    help="Prefect flows: list them, run one right now, serve their schedules.", no_args_is_help=True
)


@flows_app.command("list")
def list_flows(json_output: JsonOption = False) -> None:
    """The flows with their schedules (bureau-local cron) and the job each one runs."""
    from flows.registry import FLOWS, SCHEDULE_TIMEZONE

    rows = [
        {
            "name": s.name,
            "cron": s.cron,
            "timezone": SCHEDULE_TIMEZONE,
            "job": s.job.name,
            "description": s.description,
        }
        for s in FLOWS
    ]
    if json_output:
        print_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['name']:<22} {row['cron']:<12} {row['timezone']}  {row['job']}")


@flows_app.command("setup")
def setup_flows(json_output: JsonOption = False) -> None:
    """Prepare $PREFECT_API_URL after `prefect deploy --all`: remove the automations of earlier releases,
    which the reap-lost-runs flow replaces. Safe to repeat."""
    from flows.automations import remove_superseded_automations

    removed = remove_superseded_automations()
    if json_output:
        print_json({"removed_automations": removed})
        return
    for name in removed:
        typer.echo(f"removed automation: {name}")
    typer.echo("lost runs are crashed by the reap-lost-runs flow (every minute, on the workers)")


@flows_app.command("run")
def run_flow(
    name: Annotated[str, typer.Argument(help="Flow name, e.g. check-reports (see `dutyflow flows list`).")],
    now: NowOption = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Another flow parameter as KEY=VALUE, e.g. -p days=14 (repeatable)."),
    ] = None,
) -> None:
    """Run one flow once, right now, in this process. The run is recorded by $PREFECT_API_URL, else by the
    server of a running `dutyflow up`, else by a temporary Prefect server."""
    from flows.registry import UnknownFlow, spec_named
    from roster.config import DEFAULT_TIMEZONE

    try:
        spec = spec_named(name)
    except UnknownFlow as exc:
        fail(f"NAME: {exc}")
    instant = resolve_now(now, DEFAULT_TIMEZONE) if now is not None else None
    _prefect_env_defaults()
    from prefect.exceptions import ParameterTypeError

    flow = spec.load()
    parameters = _parse_params(param or [], allowed=set(flow.parameters.properties) - {"now"})
    try:
        summary = flow(now=instant, **parameters)
    except ParameterTypeError as exc:
        fail(f"--param: {exc}")
    print_json(summary)


def _parse_params(items: list[str], allowed: set[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings; Prefect converts the values to the flow's parameter types."""
    parameters: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--param: expected KEY=VALUE, got {item!r}")
        if key not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            fail(f"--param: unknown parameter {key!r} for this flow (parameters: {known}; use --now for now)")
        parameters[key] = value
    return parameters


@flows_app.command("yaml")
def flows_yaml(
    write: Annotated[bool, typer.Option("--write", help="Write prefect.yaml in the project root.")] = False,
) -> None:
    """prefect.yaml for `prefect deploy --all`, generated from the flows the features declare."""
    from flows.deployments import PREFECT_YAML, prefect_yaml

    text = prefect_yaml()
    if write:
        PREFECT_YAML.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {PREFECT_YAML}")
    else:
        typer.echo(text, nl=False)


@flows_app.command("serve")
def serve_flows(
    limit: Annotated[int | None, typer.Option(help="At most this many flow runs at once.")] = None,
) -> None:
    """Register every flow's deployment with its schedule and run them as they come due (needs a Prefect
    server: $PREFECT_API_URL). `dutyflow up` starts this for you."""
    import os

    if not os.environ.get("PREFECT_API_URL"):
        fail("PREFECT_API_URL is not set: start a Prefect server (or use `dutyflow up`, which does both)")
    from flows.serving import serve_all

    serve_all(limit=limit)


def _prefect_env_defaults() -> None:
    """Keep Prefect's state under $DUTYFLOW_HOME/prefect unless the admin chose otherwise, and record runs
    on the server of a running `dutyflow up` (same home) when no PREFECT_API_URL is given."""
    import os
    import urllib.request

    from roster.cli.up import running_api_file
    from roster.config import dutyflow_home

    home = dutyflow_home() / "prefect"
    if "PREFECT_HOME" not in os.environ:
        home.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(home.resolve())
    if os.environ.get("PREFECT_API_URL"):
        return
    try:
        api_url = running_api_file(home).read_text(encoding="utf-8").strip()
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:  # noqa: S310 - our own URL
            if response.status == 200:
                os.environ["PREFECT_API_URL"] = api_url
    except OSError:
        pass  # no server running: Prefect starts a temporary one for this run


def register(app: typer.Typer) -> None:
    app.add_typer(flows_app, name="flows")
