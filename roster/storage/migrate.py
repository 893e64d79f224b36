"""Alembic, run from code. Every feature has its own migration branch off the base revision, so the
schema is at "heads" (plural) when current."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import Engine, inspect, text

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
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> frozenset[str]:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return frozenset()
        return frozenset(row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version")))


def ensure_schema(engine: Engine) -> None:
    """Upgrade to every head unless already there (a cheap read on the fast path)."""
    if current_revisions(engine) == head_revisions():
        return
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes migrating one fresh database at once: the second waits, then finds it current.
            connection.execute(text("SELECT pg_advisory_xact_lock(7413)"))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
