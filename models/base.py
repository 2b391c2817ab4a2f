"""Shared column helpers for the models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Numeric
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

MONEY = Numeric(14, 2)
Money = Decimal


def utcnow() -> datetime:
    """Timestamps are stored in UTC."""
    return datetime.now(UTC)


class TenantScoped:
    """Marks a tenant table: its rows carry `org_id` (declare it with `org_fk()`).

    models/tenancy.py scopes every query of a TenantScoped model to the current org. The
    declared attribute is the default column and what SQLAlchemy reads the scoping rule from.
    """

    @declared_attr
    def org_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy passes the class
        return org_fk()


def org_fk() -> Mapped[int]:
    """Every tenant row carries an indexed org_id that cascades with its organization."""
    return mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (an enum's members), named
    ``ck_<table>_<column>`` by the metadata's naming convention (extensions.NAMING)."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f'"{column}" IN ({allowed})', name=column)


def created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow)
