"""security: one-time form nonces; the link-signing secret moves out of the database

Revision ID: 0016_security
Revises: 0004_reports

Older versions kept the HMAC key that signs acknowledgement links in ``report_secrets``, readable by anyone
who can read the database. It is moved to the key file under ``$DUTYFLOW_HOME`` (links already sent stay
valid) unless ``DUTYFLOW_SECRET_KEY`` is set, and the table is dropped.
"""

import datetime as dt

from alembic import op
import sqlalchemy as sa
import roster.storage.base


revision = "0016_security"
down_revision = "0004_reports"
branch_labels = ("security",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("used_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_used_nonces")),
    )
    op.create_index(op.f("ix_used_nonces_used_at"), "used_nonces", ["used_at"], unique=False)
    row = op.get_bind().execute(sa.text("SELECT secret FROM report_secrets WHERE id = 1")).first()
    if row is not None:
        from roster.signing import adopt_legacy_secret

        adopt_legacy_secret(row[0], dt.datetime.now(dt.UTC))
    op.drop_table("report_secrets")


def downgrade() -> None:
    op.create_table(
        "report_secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_secrets")),
    )
    op.drop_index(op.f("ix_used_nonces_used_at"), table_name="used_nonces")
    op.drop_table("used_nonces")
