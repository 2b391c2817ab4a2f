"""Known events of an org (sales, launches, pauses, tracking/price changes, holidays).

Revision ID: 0003_known_events
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_known_events"
down_revision = "0005_speed"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "org_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_org_event_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_org_event_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_event")),
        sa.UniqueConstraint(
            "org_id",
            "kind",
            "start",
            "end",
            "platform",
            "source",
            name=op.f("uq_org_event_org_id_kind_start_end_platform_source"),
        ),
    )
    with op.batch_alter_table("org_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_event_org_id"), ["org_id"], unique=False)


def downgrade():
    with op.batch_alter_table("org_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_event_org_id"))
    op.drop_table("org_event")
