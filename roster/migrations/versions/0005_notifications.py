"""notifications: outbox fallback link, append-only delivery attempts

Revision ID: 0005_notifications
Revises: 0001_roster
"""

from alembic import op
import sqlalchemy as sa
import roster.storage.base


revision = "0005_notifications"
down_revision = "0001_roster"
branch_labels = ("notifications",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["outbox.id"], name=op.f("fk_outbox_attempts_message_id_outbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attempts")),
    )
    op.create_index(op.f("ix_outbox_attempts_message_id"), "outbox_attempts", ["message_id"], unique=False)
    # A plain column (no FK): SQLite cannot add a foreign key with ALTER TABLE, and the link is only read.
    op.add_column("outbox", sa.Column("fallback_of", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_outbox_fallback_of"), "outbox", ["fallback_of"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_fallback_of"), table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("fallback_of")
    op.drop_index(op.f("ix_outbox_attempts_message_id"), table_name="outbox_attempts")
    op.drop_table("outbox_attempts")
