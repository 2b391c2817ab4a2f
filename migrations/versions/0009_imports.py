"""File imports (CSV/XLSX exports) and where a connection's data comes from.

Revision ID: 0009_imports
Revises: 0011_flags
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_imports"
down_revision = "0011_flags"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=20), nullable=False, server_default="api")
        )
    # The demo seeder's connections (no credentials, "demo-<platform>") are sample data.
    op.execute(
        "UPDATE connection SET source = 'sample' "
        "WHERE external_account_id LIKE 'demo-%' AND credentials_encrypted IS NULL"
    )
    op.create_table(
        "data_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("preview", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_data_import_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_data_import_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connection.id"],
            name=op.f("fk_data_import_connection_id_connection"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_import")),
    )
    with op.batch_alter_table("data_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_import_org_id"), ["org_id"], unique=False)


def downgrade():
    with op.batch_alter_table("data_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_import_org_id"))
    op.drop_table("data_import")
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.drop_column("source")
