"""AI narratives: guardrail result, reason, latency, cache and reuse columns

Revision ID: 0006_narratives
Revises: 0001
Create Date: 2026-11-29 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0006_narratives"
down_revision = "0007_billing"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("narrative", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guardrail", sa.String(length=20), nullable=False, server_default="skipped"))
        batch_op.add_column(sa.Column("reason", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("detail", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("rejected_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("fact_digest", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("cached_tokens", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("latency_ms", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("reused_from_id", sa.Integer(), nullable=True))
        batch_op.alter_column(
            "cost_usd",
            existing_type=sa.Numeric(precision=10, scale=4),
            type_=sa.Numeric(precision=12, scale=6),
            existing_nullable=False,
        )
        batch_op.create_index(batch_op.f("ix_narrative_fact_digest"), ["fact_digest"], unique=False)
        batch_op.create_index(batch_op.f("ix_narrative_brain_state_id"), ["brain_state_id"], unique=False)
    op.execute("UPDATE narrative SET payload = '{}' WHERE payload IS NULL")
    with op.batch_alter_table("narrative", schema=None) as batch_op:
        batch_op.alter_column("payload", existing_type=sa.JSON(), nullable=False)
        for name in ("guardrail", "reason", "detail", "fact_digest", "cached_tokens", "latency_ms"):
            batch_op.alter_column(name, server_default=None)


def downgrade():
    with op.batch_alter_table("narrative", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_narrative_brain_state_id"))
        batch_op.drop_index(batch_op.f("ix_narrative_fact_digest"))
        batch_op.alter_column(
            "cost_usd",
            existing_type=sa.Numeric(precision=12, scale=6),
            type_=sa.Numeric(precision=10, scale=4),
            existing_nullable=False,
        )
        for name in (
            "reused_from_id", "latency_ms", "cached_tokens", "fact_digest", "payload",
            "rejected_text", "detail", "reason", "guardrail",
        ):
            batch_op.drop_column(name)
