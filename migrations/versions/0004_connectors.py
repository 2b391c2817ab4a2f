"""connectors: per-account currency and time zone, token reminders, dated FX rates

Revision ID: 0004_connectors
Revises: 0001
Create Date: 2026-11-29 14:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0004_connectors"
down_revision = "0006_narratives"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("token_reminder_sent_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "fx_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fx_rate")),
        sa.UniqueConstraint("day", "base", "quote", name=op.f("uq_fx_rate_day_base_quote")),
    )


def downgrade():
    op.drop_table("fx_rate")
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.drop_column("token_reminder_sent_at")
        batch_op.drop_column("timezone")
        batch_op.drop_column("currency")
