"""calendar exports: what each owner's last exported file carried (for STATUS:CANCELLED on re-export)

Revision ID: 0015_notify_exports
Revises: 0001_roster
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql
import roster.storage.base


revision = "0015_notify_exports"
down_revision = "0001_roster"
branch_labels = ("calendar_exports",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_exports",
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("exported_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("events", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_calendar_exports")),
    )


def downgrade() -> None:
    op.drop_table("calendar_exports")
