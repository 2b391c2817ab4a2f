"""Operational rows: sync jobs, billing, usage, webhook dedupe, audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import TenantScoped, created_at, one_of, org_fk


class SyncStatus(StrEnum):
    """A sync job's state (a str: compares and stores as its value)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class SyncTrigger(StrEnum):
    """Why a sync job ran."""

    MANUAL = "manual"
    SCHEDULED = "scheduled"
    WEBHOOK = "webhook"
    BACKFILL = "backfill"  # the first sync of a connection
    SAMPLE = "sample"  # the sample data's seeded history


class SyncKind(StrEnum):
    SYNC = "sync"
    BRAIN = "brain"


SYNC_TRIGGERS = tuple(SyncTrigger)
SYNC_STATUSES = tuple(SyncStatus)
ACTIVE_SYNC_STATUSES = (SyncStatus.QUEUED, SyncStatus.RUNNING)


class SyncJob(TenantScoped, db.Model):
    __tablename__ = "sync_job"
    __table_args__ = (
        one_of("status", SyncStatus),
        one_of("kind", SyncKind),
        one_of("trigger", SyncTrigger),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default=SyncKind.SYNC.value)
    trigger: Mapped[str] = mapped_column(String(20), default=SyncTrigger.MANUAL.value)
    status: Mapped[str] = mapped_column(String(20), default=SyncStatus.QUEUED.value)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0..100
    rows: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    rq_job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Subscription(TenantScoped, db.Model):
    """One Stripe subscription of an org, as Stripe last reported it (models/billing.py)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    plan: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    price_id: Mapped[str | None] = mapped_column(String(64))
    trial_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    current_period_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    current_period_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_at_period_end: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    canceled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stripe_created: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UsageEvent(TenantScoped, db.Model):
    """Metered work (sync, recompute, ai_tokens, pdf_export), written with the work itself."""

    __tablename__ = "usage_event"
    __table_args__ = (Index("ix_usage_event_org_kind_at", "org_id", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    kind: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    at: Mapped[datetime] = created_at()


class ProcessedEvent(db.Model):
    """Webhook dedupe: a source's event id is processed once."""

    __tablename__ = "processed_event"
    __table_args__ = (UniqueConstraint("source", "external_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_event_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = created_at()


class AuditLog(TenantScoped, db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_org_at", "org_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = created_at()


class AnalyticsSnapshot(TenantScoped, db.Model):
    """An aggregate the analytics page reads, precomputed by the brain's recompute job and
    shared by every web process (``models.analytics``); keyed by the data fingerprint."""

    __tablename__ = "analytics_snapshot"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    key: Mapped[str] = mapped_column(String(64))  # sha256 of the cache key
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # numpy .npz, no pickles
    created_at: Mapped[datetime] = created_at()
