"""roster base: people, groups, leave, shifts, audit, outbox

Revision ID: 0001_roster
Revises:
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
import roster.storage.base
from sqlalchemy.dialects import postgresql

revision = "0001_roster"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "bureau_configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("applied_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "document", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bureau_configs")),
    )
    with op.batch_alter_table("bureau_configs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bureau_configs_sha256"), ["sha256"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", roster.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", roster.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_dedup_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_person_id"), ["person_id"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("rank", sa.String(length=50), nullable=False),
        sa.Column("roles", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("calendar_reminder_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "channels", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("duty_date", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(length=16), nullable=False),
        sa.Column("starts_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_weekend", sa.Boolean(), nullable=False),
        sa.Column("is_holiday", sa.Boolean(), nullable=False),
        sa.Column("is_night", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changed_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
        sa.UniqueConstraint("duty_date", "slot", name=op.f("uq_shifts_duty_date_slot")),
        sa.UniqueConstraint("uid", name=op.f("uq_shifts_uid")),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index("ix_shifts_span", ["starts_at", "ends_at"], unique=False)

    op.create_table(
        "groups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sector", sa.String(length=64), nullable=True),
        sa.Column("leader_id", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["leader_id"], ["people.id"], name=op.f("fk_groups_leader_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
    )
    op.create_table(
        "leaves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_leaves_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaves")),
    )
    with op.batch_alter_table("leaves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leaves_person_id"), ["person_id"], unique=False)

    op.create_table(
        "shift_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_shift_assignments_person_id_people")),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_shift_assignments_shift_id_shifts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_assignments")),
        sa.UniqueConstraint("shift_id", "role", "seat", name=op.f("uq_shift_assignments_shift_id_role_seat")),
    )
    with op.batch_alter_table("shift_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_assign_person", ["person_id"], unique=False)

    op.create_table(
        "group_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_group_memberships_group_id_groups")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_group_memberships_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_memberships")),
        sa.UniqueConstraint("group_id", "person_id", name=op.f("uq_group_memberships_group_id_person_id")),
    )


def downgrade() -> None:

    op.drop_table("group_memberships")
    with op.batch_alter_table("shift_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assign_person")

    op.drop_table("shift_assignments")
    with op.batch_alter_table("leaves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leaves_person_id"))

    op.drop_table("leaves")
    op.drop_table("groups")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_shifts_span")

    op.drop_table("shifts")
    op.drop_table("people")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_person_id"))
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    with op.batch_alter_table("bureau_configs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bureau_configs_sha256"))

    op.drop_table("bureau_configs")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
