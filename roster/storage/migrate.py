"""Alembic, run from code. Every feature has its own migration branch off the base revision, so the
schema is at "heads" (plural) when current."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@cache
def head_revisions() -> frozenset[str]:
    """The newest revision of every migration branch.

    Read from the migration files' ``revision``/``down_revision`` assignments with ``ast`` rather than
    through ``alembic.script``: importing Alembic costs ~70 ms on every process start, which the fast paths
    (``dutyflow now``, the feed server) should not pay when the schema is already current.
    """
    heads = _heads_from_files()
    if heads is None:  # a migration file we cannot read statically: let Alembic decide
        from alembic.script import ScriptDirectory

        return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())
    return heads


def _heads_from_files() -> frozenset[str] | None:
    import ast

    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        values: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision", "depends_on") and node.value:
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    return None
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str) or values.get("depends_on"):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(down)
        elif down is not None:
            return None
    return frozenset(revisions - parents) if revisions else None


def current_revisions(engine: Engine) -> frozenset[str]:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return frozenset()
        return frozenset(row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version")))


def ensure_schema(engine: Engine) -> None:
    """Upgrade to every head unless already there (a cheap read on the fast path)."""
    if current_revisions(engine) == head_revisions():
        return
    from alembic import command
    from sqlalchemy import text

    cfg = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes migrating one fresh database at once: the second waits, then finds it current.
            connection.execute(text("SELECT pg_advisory_xact_lock(7413)"))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
