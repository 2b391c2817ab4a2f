"""analytics snapshots: aggregates precomputed by the recompute job

Revision ID: 0005_speed
Revises: 0001
Create Date: 2026-11-29 15:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_speed"
down_revision = "0002_security"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "analytics_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "key"),
    )
    op.create_index(
        op.f("ix_analytics_snapshot_org_id"), "analytics_snapshot", ["org_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_analytics_snapshot_org_id"), table_name="analytics_snapshot")
    op.drop_table("analytics_snapshot")
