"""Drop the redundant organization foreign keys of ad_metric_daily and store_order.

Revision ID: 0013_metric_org_fks
Revises: 0012_status_checks

Both tables already hang off their organization through a cascading key: a metric through
``creative_id`` (creative -> organization), an order through ``connection_id`` (connection ->
organization), so deleting an org still deletes its rows. The direct ``org_id`` key only
re-checked, for every inserted row, that the org exists: about half the foreign-key time of a
large load (README, "Where seeding's time goes"). ``org_id`` stays, indexed, for the tenancy
filters.
"""

from alembic import op

revision = "0013_metric_org_fks"
down_revision = "0012_status_checks"
branch_labels = None
depends_on = None

TABLES = ("ad_metric_daily", "store_order")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_org_id_organization", type_="foreignkey")


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_org_id_organization",
                "organization",
                ["org_id"],
                ["id"],
                ondelete="CASCADE",
            )
