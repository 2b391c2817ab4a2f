"""Normalized row contracts shared by every client (plain dicts, typed for readers).

``AdRow`` is one creative on one day on one ad platform; ``OrderRow`` is one shop order.
Jobs upsert them on their natural keys ((creative, date) and (connection, order_id)), so
every sync is idempotent.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, NotRequired, TypedDict

__all__ = ["AdAccount", "AdRow", "OrderRow", "Platform", "ShopInfo"]

Platform = Literal["meta", "google_ads", "tiktok"]


class AdRow(TypedDict):
    """Daily metrics of one ad (creative) as reported by an ad platform."""

    date: dt.date
    platform: Platform
    campaign_id: str
    campaign_name: str
    creative_id: str
    creative_name: str
    spend: float
    impressions: int
    clicks: int
    conversions: float
    platform_revenue: float
    reach: int | None
    frequency: float | None


class OrderRow(TypedDict):
    """One shop order; ``revenue`` is net of refunds, ``placed_at`` is tz-aware UTC."""

    order_id: str
    placed_at: dt.datetime
    customer_id: str | None
    revenue: float
    is_first_order: bool
    utm_source: str | None
    currency: str
    updated_at: NotRequired[dt.datetime | None]  # the store's last change, for ordering updates


class AdAccount(TypedDict):
    """An ad account the authorized user can read (for the connect-account picker)."""

    id: str
    name: str
    currency: str | None
    timezone: str | None


class ShopInfo(TypedDict):
    """What ``ShopifyClient.validate_token`` returns."""

    name: str
    currency: str
