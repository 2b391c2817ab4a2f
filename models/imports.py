"""Imported report files (CSV/XLSX exports) and the writes that land them like a sync would.

An import lands on the org's "Imported files" connection of its platform (``source="import"``):
the same tables and the same natural keys as a sync — (connection, external id) for campaigns,
creatives and orders, (creative, date) for daily ad metrics — so re-importing a file changes
nothing and an overlapping file updates the overlap. Writes go column-wise through
``models.upsert.upsert_columns`` (binary COPY + one merge on PostgreSQL).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from extensions import db
from models.base import TenantScoped, created_at, one_of, org_fk, utcnow
from models.data import Campaign, Connection, ConnectionStatus, Creative, Order
from models.fx import RatesMissing, rates_between
from models.permissions import Cap, role_can
from models.upsert import METRIC_FIELDS, upsert, upsert_columns, upsert_metric_columns

IMPORT_ACCOUNT = "file-import"


class ImportStatus(StrEnum):
    """A file import's state: checked (a preview) first, imported when a person confirms."""

    CHECKING = "checking"
    READY = "ready"  # checked, waiting for the person to confirm
    INVALID = "invalid"  # nothing importable: the preview says why
    IMPORTING = "importing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


IMPORT_STATUSES = tuple(ImportStatus)
ACTIVE_STATUSES = (ImportStatus.CHECKING, ImportStatus.IMPORTING)


class DataImport(TenantScoped, db.Model):
    """One uploaded file: checked (preview) first, imported when a person confirms."""

    __tablename__ = "data_import"
    __table_args__ = (one_of("status", ImportStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    platform: Mapped[str | None] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255), default="")
    stored_path: Mapped[str] = mapped_column(String(500), default="")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.CHECKING.value)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    preview: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def can_import(role: str | None) -> bool:
    """Who may import data: whoever may start a sync (models/permissions.py)."""
    return role_can(role, Cap.ACT)


def import_connection(session: Session, org_id: int, platform: str) -> Connection:
    """The org's "Imported files" connection of a platform (made on first import)."""
    conn = session.execute(
        select(Connection).where(
            Connection.org_id == org_id,
            Connection.platform == platform,
            Connection.external_account_id == IMPORT_ACCOUNT,
        )
    ).scalar_one_or_none()
    if conn is None:
        conn = Connection(
            org_id=org_id,
            platform=platform,
            external_account_id=IMPORT_ACCOUNT,
            account_name="Imported files",
            status=ConnectionStatus.ACTIVE,
            source="import",
        )
        session.add(conn)
        session.flush()
    elif conn.status == ConnectionStatus.DISABLED:
        conn.status = ConnectionStatus.ACTIVE
    return conn


def convert_spend(session: Session, frame: pd.DataFrame, org_currency: str | None) -> pd.DataFrame:
    """Spend and platform revenue in the org's currency, at each day's rate (or RatesMissing)."""
    if not org_currency or "currency" not in frame:
        return frame
    quote = org_currency.upper()
    currencies = frame["currency"].dropna().unique()
    foreign = [c for c in currencies if c and str(c).upper() != quote]
    if not foreign:
        return frame
    frame = frame.copy()
    for base in foreign:
        mask = (frame["currency"] == base).to_numpy()
        days = frame.loc[mask, "date"]
        rates = rates_between(session, str(base), quote, min(days), max(days))
        missing = sorted(set(days) - set(rates))
        if missing:
            raise RatesMissing(
                f"This file reports in {base} and your organization uses {quote}, but there is "
                f"no {base}→{quote} exchange rate for {len(missing)} day(s) (first: "
                f"{missing[0].isoformat()}). Import rates with `flask --app app fx-rates import "
                "rates.csv`; nothing was written."
            )
        factor = days.map({d: float(r) for d, r in rates.items()}).to_numpy()
        frame.loc[mask, "spend"] = frame.loc[mask, "spend"].to_numpy() * factor
        frame.loc[mask, "platform_revenue"] = (
            frame.loc[mask, "platform_revenue"].to_numpy() * factor
        )
    return frame


def write_ads(session: Session, org_id: int, conn: Connection, frame: pd.DataFrame) -> int:
    """Campaigns, creatives and daily metrics of one normalized chunk (last row per key wins)."""
    campaigns = frame.drop_duplicates("campaign_id", keep="last")
    upsert(
        session,
        Campaign.__table__,
        [
            {
                "org_id": org_id,
                "connection_id": conn.id,
                "platform": conn.platform,
                "external_id": str(cid),
                "name": str(name)[:300],
                "status": "active",
            }
            for cid, name in zip(campaigns["campaign_id"], campaigns["campaign_name"], strict=True)
        ],
        keys=("connection_id", "external_id"),
        update=("name",),
    )
    campaign_ids = dict(
        session.execute(
            select(Campaign.external_id, Campaign.id).where(
                Campaign.org_id == org_id, Campaign.connection_id == conn.id
            )
        ).all()
    )
    ordered = frame.sort_values("date", kind="stable")
    latest = ordered.drop_duplicates("creative_id", keep="last")
    launched = ordered.groupby("creative_id", sort=False)["date"].min()
    upsert(
        session,
        Creative.__table__,
        [
            {
                "org_id": org_id,
                "connection_id": conn.id,
                "platform": conn.platform,
                "external_id": str(cid),
                "name": str(name)[:300],
                "campaign_id": campaign_ids.get(str(camp)),
                "status": "active",
                "launched_on": launched[cid],
            }
            for cid, name, camp in zip(
                latest["creative_id"], latest["creative_name"], latest["campaign_id"], strict=True
            )
        ],
        keys=("connection_id", "external_id"),
        update=("name", "campaign_id"),
    )
    creative_ids = dict(
        session.execute(
            select(Creative.external_id, Creative.id).where(
                Creative.org_id == org_id, Creative.connection_id == conn.id
            )
        ).all()
    )
    columns: dict[str, Any] = {
        "org_id": np.full(len(frame), org_id),
        "creative_id": frame["creative_id"].astype(str).map(creative_ids).to_numpy(),
        "date": frame["date"].to_numpy(),
    }
    for name in METRIC_FIELDS:
        values = frame[name]
        if name == "reach":
            values = values.astype(object).where(values.notna(), None)
        columns[name] = values.to_numpy()
    return upsert_metric_columns(session, columns)


def write_orders(session: Session, org_id: int, conn: Connection, frame: pd.DataFrame) -> int:
    """Orders of one normalized chunk; first-order flags are set afterwards for the whole file."""
    n = len(frame)
    columns = {
        "org_id": np.full(n, org_id),
        "connection_id": np.full(n, conn.id),
        "external_id": frame["order_id"].astype(str).to_numpy(),
        "placed_at": frame["placed_at"],
        "customer_external_id": frame["customer_id"].to_numpy(),
        "revenue": frame["revenue"].to_numpy(),
        "is_first_order": np.zeros(n, bool),
        "utm_source": np.full(n, None, dtype=object),
        "source_updated_at": np.full(n, None, dtype=object),
    }
    return upsert_columns(
        session,
        Order.__table__,
        columns,
        keys=("connection_id", "external_id"),
        update=("placed_at", "customer_external_id", "revenue"),
    )


def mark_first_orders(session: Session, org_id: int, connection_id: int) -> None:
    """A customer's earliest order that counts as revenue is their first (one statement).

    Guest orders (no e-mail) are never a first order; neither is a voided or unpaid-cancelled
    one (revenue 0), as in a sync.
    """
    params = {"c": connection_id, "o": org_id}
    session.execute(
        text(
            "UPDATE store_order SET is_first_order = (id IN ("
            " SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY customer_external_id"
            "  ORDER BY placed_at, external_id) AS rn FROM store_order"
            "  WHERE connection_id = :c AND org_id = :o AND customer_external_id IS NOT NULL"
            "  AND revenue > 0) ranked WHERE rn = 1))"
            " WHERE connection_id = :c AND org_id = :o"
        ),
        params,
    )


def date_span(values: pd.Series) -> tuple[date, date] | None:
    if values.empty:
        return None
    return min(values), max(values)


def touch_connection(conn: Connection) -> None:
    conn.last_synced_at = utcnow()
    conn.last_error = None
    conn.status = ConnectionStatus.ACTIVE
