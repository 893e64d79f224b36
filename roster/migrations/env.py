"""Alembic environment. Migrations run from code (roster.storage.migrate) or the alembic CLI."""

from alembic import context
from sqlalchemy import create_engine

import roster.storage.models  # noqa: F401  (registers every table)
from roster.config import database_url
from roster.storage.base import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or database_url()
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
