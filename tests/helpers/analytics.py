"""Shared by tests (moved from tests/integration/test_analytics.py:
test modules do not import each other)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from extensions import db
from layouts.analytics import MAIN_OUTPUTS as MAIN_OUTPUT_IDS

END = date(2025, 6, 30)


DAYS = 60


# per creative and day: (spend, platform_revenue); each platform has 1 campaign with 2 creatives
A_PLATFORMS = {"meta": (100.0, 300.0), "tiktok": (50.0, 100.0)}


MAIN_OUTPUTS = tuple(MAIN_OUTPUT_IDS)  # the callback's outputs, as the page declares them


CALLBACKS = {
    "main": (MAIN_OUTPUTS, ("analytics-url", "search")),
    "detail": (
        (("an-leaderboard", "children"), ("an-toast-creatives", "children")),
        ("analytics-url", "search"),
    ),
    "cohorts": (
        (
            ("an-cohort-chart", "figure"),
            ("an-cohort-table", "children"),
            ("an-toast-cohorts", "children"),
        ),
        ("analytics-url", "pathname"),
    ),
}


# ---- data ----------------------------------------------------------------------------------
def brand_frames(tag: str, platforms: dict, days: int = DAYS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ad rows (2 creatives per platform, every day) and 4 orders of $80 a day."""
    rows = []
    for i in range(days):
        day = pd.Timestamp(END - timedelta(days=days - 1 - i))
        for platform, (spend, revenue) in platforms.items():
            for k in (1, 2):
                rows.append(
                    {
                        "date": day,
                        "platform": platform,
                        "campaign_id": f"{tag}-{platform}-camp",
                        "campaign_name": f"{tag} {platform} campaign",
                        "creative_id": f"{tag}-{platform}-cr{k}",
                        "creative_name": f"{tag} {platform} creative {k}",
                        "spend": spend,
                        "impressions": 10_000,
                        "clicks": 100,
                        "conversions": 5,
                        "platform_revenue": revenue,
                        "reach": 5_000,
                        "frequency": 2.0,
                    }
                )
    orders = []
    for i in range(days):
        day = pd.Timestamp(END - timedelta(days=days - 1 - i))
        for k in range(4):
            first = k < 2 or i < 30  # from day 30 on, two of the day's buyers come back
            cust = f"{tag}-c{i}-{k}" if first else f"{tag}-c{i - 30}-{k - 2}"
            orders.append(
                {
                    "order_id": f"{tag}-o{i}-{k}",
                    "placed_on": day,
                    "customer_id": cust,
                    "revenue": 80.0,
                    "is_first_order": first,
                    "utm_source": "facebook",
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(orders)


def load_brand(app, org_id: int, tag: str, platforms: dict) -> None:
    from models.seed import load_frames

    ad_daily, orders = brand_frames(tag, platforms)
    with app.app_context():
        load_frames(org_id, ad_daily, orders)
        db.session.commit()


# ---- Dash helpers --------------------------------------------------------------------------
def callback_payload(name: str, value: str) -> dict:
    """The body Dash's renderer posts for one of the page's views."""
    outputs, (input_id, prop) = CALLBACKS[name]
    return {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": input_id, "property": prop, "value": value}],
        "changedPropIds": [f"{input_id}.{prop}"],
        "state": [],
    }


def find(tree: object, component_id: str) -> dict | None:
    """The component with this id in a serialized Dash tree."""
    if isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return tree
        for value in tree.values():
            hit = find(value, component_id)
            if hit is not None:
                return hit
    elif isinstance(tree, list):
        for item in tree:
            hit = find(item, component_id)
            if hit is not None:
                return hit
    return None
