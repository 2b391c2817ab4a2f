"""Feature flags per org and global (models/flags.py).

Revision ID: 0011_flags
Revises: 0008_alerts
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_flags"
down_revision = "0008_alerts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feature_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_feature_flag_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_flag")),
    )
    with op.batch_alter_table("feature_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feature_flag_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            "uq_feature_flag_global",
            ["name"],
            unique=True,
            postgresql_where=sa.text("org_id IS NULL"),
            sqlite_where=sa.text("org_id IS NULL"),
        )
        batch_op.create_index(
            "uq_feature_flag_org",
            ["name", "org_id"],
            unique=True,
            postgresql_where=sa.text("org_id IS NOT NULL"),
            sqlite_where=sa.text("org_id IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("feature_flag", schema=None) as batch_op:
        batch_op.drop_index("uq_feature_flag_org")
        batch_op.drop_index("uq_feature_flag_global")
        batch_op.drop_index(batch_op.f("ix_feature_flag_org_id"))
    op.drop_table("feature_flag")
