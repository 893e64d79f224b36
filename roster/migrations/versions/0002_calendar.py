"""calendar tokens and feed cache

Revision ID: 0002_calendar
Revises: 0001_roster
"""

from alembic import op
import sqlalchemy as sa
import roster.storage.base


revision = "0002_calendar"
down_revision = "0001_roster"
branch_labels = ("calendar",)
depends_on = None


def upgrade() -> None:

    op.create_table(
        "calendar_feed_cache",
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("last_modified", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rendered_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_calendar_feed_cache")),
    )
    op.create_table(
        "calendar_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", roster.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_access_at", roster.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_calendar_tokens_token_sha256")),
    )


def downgrade() -> None:

    op.drop_table("calendar_tokens")
    op.drop_table("calendar_feed_cache")
