"""Read one org's ad metrics and orders as DataFrames for the brain, and store its states.

Reads go straight from SQL into pandas (no ORM objects per row).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select

from brain.prep import AD_COLUMNS, ORDER_COLUMNS
from extensions import db
from models.brain_state import BrainState
from models.data import AdMetricDaily, Campaign, Creative, Order
from models.org import Organization


def load_ad_daily(org_id: int, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    m, c, k = AdMetricDaily, Creative, Campaign
    stmt = (
        select(
            m.date,
            c.platform,
            k.external_id.label("campaign_id"),
            k.name.label("campaign_name"),
            c.external_id.label("creative_id"),
            c.name.label("creative_name"),
            m.spend,
            m.impressions,
            m.clicks,
            m.conversions,
            m.platform_revenue,
            m.reach,
            m.frequency,
        )
        .join(c, c.id == m.creative_id)
        .outerjoin(k, k.id == c.campaign_id)
        .where(m.org_id == org_id)
        .order_by(m.date, m.creative_id)  # a stable order keeps the input fingerprint stable
    )
    if start:
        stmt = stmt.where(m.date >= start)
    if end:
        stmt = stmt.where(m.date <= end)
    with db.engine.connect() as conn:
        df = pd.DataFrame([tuple(r) for r in conn.execute(stmt)], columns=list(AD_COLUMNS))
    for col in ("spend", "platform_revenue", "conversions", "frequency"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    for col in ("impressions", "clicks", "reach"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["date"] = pd.to_datetime(df["date"])
    return df


def load_orders(org_id: int, timezone: str = "UTC") -> pd.DataFrame:
    o = Order
    stmt = (
        select(
            o.external_id,
            o.placed_at,
            o.customer_external_id,
            o.revenue,
            o.is_first_order,
            o.utm_source,
        )
        .where(o.org_id == org_id)
        .order_by(o.placed_at, o.id)
    )
    with db.engine.connect() as conn:
        df = pd.DataFrame([tuple(r) for r in conn.execute(stmt)], columns=list(ORDER_COLUMNS))
    placed = pd.to_datetime(df["placed_on"], utc=True)
    # Dates are dates in the org's time zone.
    df["placed_on"] = placed.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    df["revenue"] = pd.to_numeric(df["revenue"], errors="coerce").astype(float)
    df["is_first_order"] = df["is_first_order"].astype(bool)
    return df


def latest_state(org_id: int) -> BrainState | None:
    return db.session.execute(
        select(BrainState)
        .where(BrainState.org_id == org_id)
        .order_by(BrainState.computed_at.desc(), BrainState.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def latest_state_ref(org_id: int) -> tuple[int, date | None] | None:
    """(id, as_of) of the org's latest brain state without loading its JSON: for polling."""
    row = db.session.execute(
        select(BrainState.id, BrainState.as_of)
        .where(BrainState.org_id == org_id)
        .order_by(BrainState.computed_at.desc(), BrainState.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def org_settings(org: Organization) -> dict:
    return {"gross_margin": float(org.gross_margin), "currency": org.currency}
