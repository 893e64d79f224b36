"""``dutyflow nrp``: solve and check Shift Scheduling Benchmark instances (nurse rostering, Curtois & Qu).

``dutyflow nrp solve Instance4.txt --time-limit 60 --out Instance4.roster`` solves any instance of the set with
the roster solver and writes the roster file; ``dutyflow nrp evaluate Instance4.txt Instance4.roster`` checks a
roster (from anywhere) against the published rules and prints its penalty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from roster.cli._common import JsonOption, fail, print_json

nrp_app = typer.Typer(help="Public nurse-rostering benchmark instances: solve and evaluate.", no_args_is_help=True)

InstanceArg = Annotated[Path, typer.Argument(help="Instance file (SECTION_* text format).")]


def _load(path: Path):  # noqa: ANN202
    from nrp.parser import NrpFormatError, parse_file

    if not path.is_file():
        fail(f"instance: no such file {path}")
    try:
        return parse_file(path)
    except NrpFormatError as exc:
        fail(str(exc))


@nrp_app.command("solve")
def solve_cmd(
    instance_path: InstanceArg,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1, help="Seconds.")] = 60.0,
    workers: Annotated[int, typer.Option("--workers", min=1, help="CP-SAT threads.")] = 2,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Write the roster file here.")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="20 s instead of --time-limit.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Solve an instance; print objective, evaluator verdict and time."""
    from nrp.solution import write_roster
    from nrp.solve import solve_instance

    instance = _load(instance_path)
    outcome = solve_instance(instance, 20.0 if quick else time_limit, workers=workers, seed=seed)
    result, assignments, evaluation = outcome.result, outcome.assignments, outcome.evaluation
    if evaluation is None:
        fail(f"{instance.name}: no roster found ({result.status}) in {result.wall_seconds:.1f} s", code=1)
    if out is not None:
        write_roster(out, instance, assignments, comments=[evaluation.summary(), f"solver status {result.status}"])
    summary = {
        "instance": instance.name,
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "seconds": round(result.wall_seconds, 2),
        "feasible": evaluation.feasible,
        "penalty": evaluation.penalty,
        "breakdown": dict(evaluation.breakdown),
        "violations": [v.message for v in evaluation.violations],
    }
    if as_json:
        print_json(summary)
    else:
        typer.echo(f"{instance.name}: {result.status}, {evaluation.summary()}, {result.wall_seconds:.1f} s")
        if out is not None:
            typer.echo(f"roster written to {out}")
    if not evaluation.feasible:
        raise typer.Exit(1)


@nrp_app.command("evaluate")
def evaluate_cmd(
    instance_path: InstanceArg,
    roster_path: Annotated[Path, typer.Argument(help="Roster file (one line per employee, '-' = off).")],
    as_json: JsonOption = False,
) -> None:
    """Check a roster against an instance's hard rules and compute its penalty (exit 1 if infeasible)."""
    from nrp.evaluate import evaluate
    from nrp.solution import RosterFormatError, read_roster

    instance = _load(instance_path)
    if not roster_path.is_file():
        fail(f"roster: no such file {roster_path}")
    try:
        assignments = read_roster(roster_path, instance)
    except RosterFormatError as exc:
        fail(str(exc))
    evaluation = evaluate(instance, assignments)
    if as_json:
        print_json(
            {
                "instance": instance.name,
                "feasible": evaluation.feasible,
                "penalty": evaluation.penalty,
                "breakdown": dict(evaluation.breakdown),
                "violations": [{"rule": v.rule, "employee": v.employee, "day": v.day, "message": v.message}
                               for v in evaluation.violations],
            }
        )  # fmt: skip
    else:
        typer.echo(f"{instance.name}: {evaluation.summary()}")
        for v in evaluation.violations:
            typer.echo(f"  {v.rule}: {v.message}")
    if not evaluation.feasible:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(nrp_app, name="nrp")
