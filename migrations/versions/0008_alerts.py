"""Alerts, in-app notifications, alert settings, notification preferences, digest log.

Revision ID: 0008_alerts
Revises: 0003_known_events
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_alerts"
down_revision = "0003_known_events"
branch_labels = None
depends_on = None


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"],
        ["organization.id"],
        name=op.f(f"fk_{table}_org_id_organization"),
        ondelete="CASCADE",
    )


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"],
        ["app_user.id"],
        name=op.f(f"fk_{table}_user_id_app_user"),
        ondelete="CASCADE",
    )


def upgrade():
    op.create_table(
        "alert_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("slack_webhook_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _org_fk("alert_settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_settings")),
        sa.UniqueConstraint("org_id", name=op.f("uq_alert_settings_org_id")),
    )
    op.create_table(
        "notify_pref",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=True),
        _org_fk("notify_pref"),
        _user_fk("notify_pref"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_pref")),
        sa.UniqueConstraint("org_id", "user_id", name=op.f("uq_notify_pref_org_id_user_id")),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("notified_severity", sa.String(length=10), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        _org_fk("alert"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("org_id", "key", name=op.f("uq_alert_org_id_key")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        _org_fk("notification"),
        _user_fk("notification"),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alert.id"],
            name=op.f("fk_notification_alert_id_alert"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_table(
        "digest_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        _org_fk("digest_log"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_log")),
        sa.UniqueConstraint("org_id", "week", name=op.f("uq_digest_log_org_id_week")),
    )
    with op.batch_alter_table("notify_pref", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_pref_org_id"), ["org_id"], unique=False)
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_org_id"), ["org_id"], unique=False)
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            "ix_notification_user_org", ["user_id", "org_id", "read_at"], unique=False
        )
    with op.batch_alter_table("digest_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_log_org_id"), ["org_id"], unique=False)


def downgrade():
    with op.batch_alter_table("digest_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_log_org_id"))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_org")
        batch_op.drop_index(batch_op.f("ix_notification_org_id"))
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_org_id"))
    with op.batch_alter_table("notify_pref", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_pref_org_id"))
    op.drop_table("digest_log")
    op.drop_table("notification")
    op.drop_table("alert")
    op.drop_table("notify_pref")
    op.drop_table("alert_settings")
