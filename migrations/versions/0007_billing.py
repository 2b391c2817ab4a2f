"""billing: the Stripe subscription's state per org, usage counted per kind and time

Revision ID: 0007_billing
Revises: 0001
Create Date: 2026-11-29 14:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_billing"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stripe_customer_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("price_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("trial_end", TS, nullable=True))
        batch_op.add_column(sa.Column("current_period_start", TS, nullable=True))
        batch_op.add_column(
            sa.Column(
                "cancel_at_period_end", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("canceled_at", TS, nullable=True))
        batch_op.add_column(sa.Column("ended_at", TS, nullable=True))
        batch_op.add_column(sa.Column("stripe_created", TS, nullable=True))
        batch_op.add_column(sa.Column("updated_at", TS, nullable=True))
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.create_index("ix_usage_event_org_kind_at", ["org_id", "kind", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_event_org_kind_at")
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        for name in (
            "updated_at",
            "stripe_created",
            "ended_at",
            "canceled_at",
            "cancel_at_period_end",
            "current_period_start",
            "trial_end",
            "price_id",
            "stripe_customer_id",
        ):
            batch_op.drop_column(name)
