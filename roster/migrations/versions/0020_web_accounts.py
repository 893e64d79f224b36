"""web console: accounts, invites, failed logins, server secrets

Revision ID: 0020_web_accounts
Revises: 0001_roster
"""

from alembic import op
import sqlalchemy as sa
import roster.storage.base


revision = "0020_web_accounts"
down_revision = "0001_roster"
branch_labels = ("web",)
depends_on = None

UTC = roster.storage.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("password_set_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("disabled_at", UTC, nullable=True),
        sa.Column("last_login_at", UTC, nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_accounts")),
        sa.UniqueConstraint("login", name=op.f("uq_web_accounts_login")),
        sa.UniqueConstraint("kind", "subject_id", name=op.f("uq_web_accounts_kind_subject_id")),
    )
    op.create_table(
        "web_account_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["web_accounts.id"], name=op.f("fk_web_account_invites_account_id_web_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_account_invites")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_web_account_invites_token_sha256")),
    )
    op.create_index(op.f("ix_web_account_invites_account_id"), "web_account_invites", ["account_id"], unique=False)
    op.create_table(
        "web_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_login_failures")),
    )
    op.create_index("ix_web_login_failures_key_at", "web_login_failures", ["scope", "key", "at"], unique=False)
    op.create_table(
        "web_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_web_secrets")),
    )


def downgrade() -> None:
    op.drop_table("web_secrets")
    op.drop_index("ix_web_login_failures_key_at", table_name="web_login_failures")
    op.drop_table("web_login_failures")
    op.drop_index(op.f("ix_web_account_invites_account_id"), table_name="web_account_invites")
    op.drop_table("web_account_invites")
    op.drop_table("web_accounts")
