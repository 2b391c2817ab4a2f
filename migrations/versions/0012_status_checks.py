"""Status columns hold one of their enum's values: CHECK constraints.

Revision ID: 0012_status_checks
Revises: 0009_imports

The values are copied here (a migration is a snapshot; the models' enums may grow later, and a
later migration then replaces the constraint). Batch mode, so SQLite rebuilds the table with
the constraint and PostgreSQL gets ``ALTER TABLE ... ADD CONSTRAINT``.
"""

from alembic import op

revision = "0012_status_checks"
down_revision = "0009_imports"
branch_labels = None
depends_on = None

CHECKS = {
    "connection": {
        "status": ("active", "needs_reauth", "disabled", "error"),
        "source": ("api", "import", "sample"),
    },
    "sync_job": {
        "status": ("queued", "running", "succeeded", "failed"),
        "kind": ("sync", "brain"),
        "trigger": ("manual", "scheduled", "webhook", "backfill", "sample"),
    },
    "data_import": {
        "status": ("checking", "ready", "invalid", "importing", "succeeded", "failed"),
    },
    "alert": {"status": ("open", "resolved")},
}


def upgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, values in columns.items():
                allowed = ", ".join(f"'{v}'" for v in values)
                batch_op.create_check_constraint(
                    op.f(f"ck_{table}_{column}"), f'"{column}" IN ({allowed})'
                )


def downgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
