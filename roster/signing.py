"""The key that signs acknowledgement links, kept out of the database.

Anyone who can read the database must not be able to forge a link, so the key lives either in the
environment (``DUTYFLOW_SECRET_KEY``, the same value on every replica; older keys still accepted in
``DUTYFLOW_SECRET_KEY_PREVIOUS``, comma-separated) or in ``$DUTYFLOW_HOME/signing-keys.json``, created
0600 on first use. ``rotate`` puts a new key in front and keeps the retired ones for ``RETAIN`` (longer
than any link lives), so links signed before a rotation stay valid until they expire.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from roster.config import dutyflow_home

ENV_KEY = "DUTYFLOW_SECRET_KEY"
ENV_PREVIOUS = "DUTYFLOW_SECRET_KEY_PREVIOUS"
FILE_NAME = "signing-keys.json"
RETAIN = dt.timedelta(days=32)  # links live at most 31 days (reports.link_ttl_hours ≤ 744)
MIN_ENV_KEY_LENGTH = 32


class SigningKeyError(RuntimeError):
    """The key cannot be read or rotated (a too-short environment key, an unreadable or broken file)."""


@dataclass(frozen=True)
class SigningKeys:
    current: str
    accepted: tuple[str, ...]  # the current key first, then retired keys still honoured
    source: str  # "environment" or the key file's path


def key_file() -> Path:
    return dutyflow_home() / FILE_NAME


def load_keys() -> SigningKeys:
    """The signing keys from the environment, else from the key file (created on first use)."""
    env = os.environ.get(ENV_KEY)
    if env is not None:
        if len(env) < MIN_ENV_KEY_LENGTH:
            raise SigningKeyError(f"{ENV_KEY} must be at least {MIN_ENV_KEY_LENGTH} characters")
        previous = tuple(k for k in os.environ.get(ENV_PREVIOUS, "").split(",") if k)
        return SigningKeys(env, (env, *previous), "environment")
    path = key_file()
    if not path.exists():
        _create(path, {"keys": [{"key": _new_key(), "created_at": _stamp(_utc_now())}]})
    data = _read(path)
    keys = [entry["key"] for entry in data["keys"]]
    return SigningKeys(keys[0], tuple(keys), str(path))


def rotate(now: dt.datetime) -> SigningKeys:
    """A new current key; retired keys younger than ``RETAIN`` stay accepted."""
    if os.environ.get(ENV_KEY) is not None:
        raise SigningKeyError(
            f"the key comes from {ENV_KEY}: set a new {ENV_KEY} and put the old one in {ENV_PREVIOUS}"
        )
    load_keys()  # make sure the file exists
    path = key_file()
    entries = _read(path)["keys"]
    entries[0] = {**entries[0], "retired_at": _stamp(now)}
    kept = [e for e in entries if now - _parse(e.get("retired_at", _stamp(now))) < RETAIN]
    _replace(path, {"keys": [{"key": _new_key(), "created_at": _stamp(now)}, *kept]})
    return load_keys()


def adopt_legacy_secret(secret: str, now: dt.datetime) -> None:
    """Move a key that older versions kept in the database into the key file, so links already sent keep
    working: as the current key when there is no file yet, else as a retired key."""
    if os.environ.get(ENV_KEY) is not None:
        return
    path = key_file()
    if not path.exists():
        _create(path, {"keys": [{"key": secret, "created_at": _stamp(now), "adopted": True}]})
        return
    data = _read(path)
    if all(e["key"] != secret for e in data["keys"]):
        data["keys"].append({"key": secret, "created_at": _stamp(now), "retired_at": _stamp(now), "adopted": True})
        _replace(path, data)


def _new_key() -> str:
    return secrets.token_urlsafe(48)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat(timespec="seconds")


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not data["keys"] or not all(isinstance(e["key"], str) and e["key"] for e in data["keys"]):
            raise ValueError("no key")
        return data
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SigningKeyError(f"cannot read the signing key file {path}: {exc}") from None


def _create(path: Path, data: dict) -> None:
    """Write a temporary 0600 file, then link it into place: of two processes starting at once, the second
    finds the first's complete file and uses its key."""
    tmp = _write_private(path, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def _replace(path: Path, data: dict) -> None:
    os.replace(_write_private(path, data), path)  # atomic: a reader sees the old keys or the new ones


def _write_private(path: Path, data: dict) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    return tmp


def new_token(nbytes: int = 32) -> str:
    """A URL-safe secret of ``nbytes`` random bytes that never starts with "-".

    People paste tokens into commands (``calendar token rotate TOKEN``); one starting with "-" would be read
    as an option. Redrawing those costs 1/64 of the space, i.e. under 0.03 of a bit.
    """
    while True:
        token = secrets.token_urlsafe(nbytes)
        if not token.startswith("-"):
            return token
