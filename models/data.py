"""Connections to ad platforms and stores, and the data synced from them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import MONEY, TenantScoped, created_at, one_of, org_fk

PLATFORMS = ("meta", "google_ads", "tiktok", "shopify")
AD_PLATFORMS = ("meta", "google_ads", "tiktok")


class ConnectionStatus(StrEnum):
    """A connection's state (a str: compares and stores as its value)."""

    ACTIVE = "active"  # syncing
    NEEDS_REAUTH = "needs_reauth"  # the platform refused the token: a person must reconnect
    DISABLED = "disabled"  # disconnected or uninstalled: token deleted, data kept
    ERROR = "error"  # the last sync failed for another reason; the schedule retries


CONNECTION_STATUSES = tuple(ConnectionStatus)
CONNECTION_SOURCES = ("api", "import", "sample")


class Connection(TenantScoped, db.Model):
    __table_args__ = (
        UniqueConstraint("org_id", "platform", "external_account_id"),
        one_of("status", ConnectionStatus),
        one_of("source", CONNECTION_SOURCES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    platform: Mapped[str] = mapped_column(String(20))
    external_account_id: Mapped[str] = mapped_column(String(120))
    account_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=ConnectionStatus.ACTIVE.value)
    credentials_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    # The ad account's own currency and IANA time zone, read from the platform at connect.
    currency: Mapped[str | None] = mapped_column(String(3))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # When the admins were last told that the token expires soon (one reminder per token).
    token_reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Where the data comes from: "api" (synced), "import" (uploaded files), "sample" (the
    # Lumen Beauty sample data). Only "api" connections have credentials and can sync.
    source: Mapped[str] = mapped_column(String(20), default="api", server_default="api")
    created_at: Mapped[datetime] = created_at()


class FxRate(db.Model):
    """A dated exchange rate: 1 ``base`` = ``rate`` ``quote`` on ``day`` (public data, no org)."""

    __tablename__ = "fx_rate"
    __table_args__ = (UniqueConstraint("day", "base", "quote"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Numeric(20, 10))
    source: Mapped[str] = mapped_column(String(80), default="")


class Campaign(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("connection_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")


class Creative(TenantScoped, db.Model):
    __table_args__ = (UniqueConstraint("connection_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL"), index=True
    )
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    launched_on: Mapped[date | None] = mapped_column(Date)


class AdMetricDaily(TenantScoped, db.Model):
    __tablename__ = "ad_metric_daily"
    __table_args__ = (
        UniqueConstraint("creative_id", "date"),
        Index("ix_ad_metric_daily_org_date", "org_id", "date"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # No foreign key on org_id: the row belongs to its org through creative_id (which cascades
    # from the org), and a second per-row check doubled the FK cost of a load (migration 0013).
    org_id: Mapped[int] = mapped_column(Integer)
    creative_id: Mapped[int] = mapped_column(ForeignKey("creative.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    spend: Mapped[Decimal] = mapped_column(MONEY, default=0)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    conversions: Mapped[float] = mapped_column(Float, default=0)
    platform_revenue: Mapped[Decimal] = mapped_column(MONEY, default=0)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    frequency: Mapped[float | None] = mapped_column(Float)


class Order(TenantScoped, db.Model):
    __tablename__ = "store_order"  # "order" is an SQL keyword
    __table_args__ = (
        UniqueConstraint("connection_id", "external_id"),
        Index("ix_store_order_org_placed", "org_id", "placed_at"),
        Index("ix_store_order_org_customer", "org_id", "customer_external_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer)  # via connection_id, as for AdMetricDaily
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(120))
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    customer_external_id: Mapped[str | None] = mapped_column(String(120))
    revenue: Mapped[Decimal] = mapped_column(MONEY, default=0)
    is_first_order: Mapped[bool] = mapped_column(Boolean, default=False)
    utm_source: Mapped[str | None] = mapped_column(String(120))
    # The store's own "updated at": an older webhook never overwrites a newer state.
    source_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    raw: Mapped[dict | None] = mapped_column(JSON)
