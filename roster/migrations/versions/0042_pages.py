"""pages: photos of inspection visits

Revision ID: 0042_pages
Revises: 0001_roster
"""

from alembic import op
import sqlalchemy as sa
import roster.storage.base


revision = "0042_pages"
down_revision = "0001_roster"
branch_labels = ("pages",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspection_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=True),
        sa.Column("uploaded_at", roster.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_photos")),
    )
    op.create_index(op.f("ix_inspection_photos_result_id"), "inspection_photos", ["result_id"], unique=False)
    op.create_index(op.f("ix_inspection_photos_day"), "inspection_photos", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inspection_photos_day"), table_name="inspection_photos")
    op.drop_index(op.f("ix_inspection_photos_result_id"), table_name="inspection_photos")
    op.drop_table("inspection_photos")
