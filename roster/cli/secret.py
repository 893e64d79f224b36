"""``dutyflow secret rotate|show``: the key that signs acknowledgement links (never printed)."""

from __future__ import annotations

import typer

from roster.cli._common import JsonOption, NowOption, fail, print_json

secret_app = typer.Typer(help="The key that signs acknowledgement links.", no_args_is_help=True)


@secret_app.command("rotate")
def rotate(now: NowOption = None, json: JsonOption = False) -> None:
    """Sign new links with a new key; links signed with the previous keys stay valid until they expire."""
    from roster.cli._common import resolve_now
    from roster.config import DEFAULT_TIMEZONE
    from roster.signing import SigningKeyError
    from roster.signing import rotate as rotate_keys

    instant = resolve_now(now, DEFAULT_TIMEZONE)
    try:
        keys = rotate_keys(instant)
    except SigningKeyError as exc:
        fail(str(exc))
    _show(keys, json, "rotated")


@secret_app.command("show")
def show(json: JsonOption = False) -> None:
    """Where the key comes from and how many retired keys are still accepted (the keys are not shown)."""
    from roster.signing import SigningKeyError, load_keys

    try:
        keys = load_keys()
    except SigningKeyError as exc:
        fail(str(exc))
    _show(keys, json, "signing key")


def _show(keys, json: bool, verb: str) -> None:  # noqa: ANN001
    info = {"source": keys.source, "retired_keys_accepted": len(keys.accepted) - 1}
    if json:
        print_json(info)
    else:
        typer.echo(f"{verb}: from {info['source']}; {info['retired_keys_accepted']} retired key(s) still accepted")


def register(app: typer.Typer) -> None:
    app.add_typer(secret_app, name="secret")
