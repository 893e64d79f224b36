"""web console: roster drafts, swap and leave requests, leave source

Revision ID: 0021_web_roster
Revises: 0020_web_accounts
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import roster.storage.base


revision = "0021_web_roster"
down_revision = "0020_web_accounts"
branch_labels = None
depends_on = None

UTC = roster.storage.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "roster_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("time_limit_s", sa.Float(), nullable=False),
        sa.Column("progress", JSON, nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.Column("shifts", JSON, nullable=False),
        sa.Column("base", sa.String(length=64), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("leave_request_id", sa.Integer(), nullable=True),
        sa.Column("published_at", UTC, nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_drafts")),
    )
    op.create_index(op.f("ix_roster_drafts_status"), "roster_drafts", ["status"], unique=False)
    op.create_table(
        "swap_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("requester", sa.String(length=64), nullable=False),
        sa.Column("shift_uid", sa.String(length=100), nullable=False),
        sa.Column("colleague", sa.String(length=64), nullable=False),
        sa.Column("colleague_shift_uid", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("accepted_at", UTC, nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_swap_requests")),
    )
    op.create_index("ix_swap_requests_people", "swap_requests", ["requester", "colleague"], unique=False)
    op.create_index(op.f("ix_swap_requests_status"), "swap_requests", ["status"], unique=False)
    op.create_table(
        "leave_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leave_requests")),
    )
    op.create_index(op.f("ix_leave_requests_person"), "leave_requests", ["person"], unique=False)
    op.create_index(op.f("ix_leave_requests_status"), "leave_requests", ["status"], unique=False)
    with op.batch_alter_table("leaves", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), server_default="file", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("leaves", schema=None) as batch_op:
        batch_op.drop_column("source")
    op.drop_index(op.f("ix_leave_requests_status"), table_name="leave_requests")
    op.drop_index(op.f("ix_leave_requests_person"), table_name="leave_requests")
    op.drop_table("leave_requests")
    op.drop_index(op.f("ix_swap_requests_status"), table_name="swap_requests")
    op.drop_index("ix_swap_requests_people", table_name="swap_requests")
    op.drop_table("swap_requests")
    op.drop_index(op.f("ix_roster_drafts_status"), table_name="roster_drafts")
    op.drop_table("roster_drafts")
