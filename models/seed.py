"""Load the synthetic demo brand (Lumen Beauty) into the database for one organization."""

from __future__ import annotations

from datetime import UTC, datetime, time

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from brain.synthetic import LUMEN_SEED, generate_brand
from extensions import db
from models.data import AdMetricDaily, Campaign, Connection, Creative, Order
from models.org import Membership, Organization, User

DEMO_PASSWORD = "demo-lumen-2026"  # noqa: S105 - embedded default only, refused in production
DEMO_USERS = (
    ("cmo@lumen.example", "Sarah Martinez", "owner", "cmo"),
    ("vp@lumen.example", "Jason Li", "admin", "vp_growth"),
    ("director@lumen.example", "Emily Chen", "member", "director"),
)
BATCH = 5000
PLATFORM_NAMES = {
    "meta": "Meta Ads",
    "google_ads": "Google Ads",
    "tiktok": "TikTok Ads",
    "shopify": "Shopify",
}


def seed_demo(seed: int = LUMEN_SEED, with_users: bool = True, slug: str = "lumen") -> Organization:
    """Create Lumen Beauty with its data (and, outside production, its persona users)."""
    org = Organization(
        name="Lumen Beauty",
        slug=slug,
        timezone="America/New_York",
        currency="USD",
        onboarding={"step": "done"},
    )
    db.session.add(org)
    db.session.flush()
    if with_users:
        for email, name, role, persona in DEMO_USERS:
            user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
            if user is None:
                user = User(email=email, name=name)
                user.set_password(DEMO_PASSWORD)
                db.session.add(user)
                db.session.flush()
            user.active_org_id = org.id
            db.session.add(Membership(user_id=user.id, org_id=org.id, role=role, persona=persona))
    brand = generate_brand(seed)
    load_frames(org.id, brand.ad_daily, brand.orders)
    db.session.commit()
    return org


def load_frames(org_id: int, ad_daily: pd.DataFrame, orders: pd.DataFrame) -> None:
    """Insert brain-shaped frames as connections, campaigns, creatives, metrics and orders."""
    connections: dict[str, int] = {}
    for platform in [*sorted(ad_daily["platform"].unique()), "shopify"]:
        conn = Connection(
            org_id=org_id,
            platform=str(platform),
            external_account_id=f"demo-{platform}",
            account_name=f"Lumen Beauty · {PLATFORM_NAMES.get(str(platform), platform)}",
            status="active",
            last_synced_at=datetime.now(UTC),
        )
        db.session.add(conn)
        db.session.flush()
        connections[str(platform)] = conn.id

    campaigns = ad_daily.drop_duplicates("campaign_id")[
        ["platform", "campaign_id", "campaign_name"]
    ]
    campaign_ids: dict[str, int] = {}
    for row in campaigns.itertuples(index=False):
        camp = Campaign(
            org_id=org_id,
            connection_id=connections[row.platform],
            platform=row.platform,
            external_id=str(row.campaign_id),
            name=str(row.campaign_name),
        )
        db.session.add(camp)
        db.session.flush()
        campaign_ids[str(row.campaign_id)] = camp.id

    firsts = ad_daily.groupby("creative_id")["date"].min()
    creatives = ad_daily.drop_duplicates("creative_id")
    creative_ids: dict[str, int] = {}
    for row in creatives.itertuples(index=False):
        cre = Creative(
            org_id=org_id,
            connection_id=connections[row.platform],
            campaign_id=campaign_ids[str(row.campaign_id)],
            platform=row.platform,
            external_id=str(row.creative_id),
            name=str(row.creative_name),
            launched_on=pd.Timestamp(firsts[row.creative_id]).date(),
        )
        db.session.add(cre)
        db.session.flush()
        creative_ids[str(row.creative_id)] = cre.id

    metrics = pd.DataFrame(
        {
            "org_id": org_id,
            "creative_id": ad_daily["creative_id"].astype(str).map(creative_ids),
            "date": pd.to_datetime(ad_daily["date"]).dt.date,
            "spend": ad_daily["spend"].round(2),
            "impressions": ad_daily["impressions"].astype("int64"),
            "clicks": ad_daily["clicks"].astype("int64"),
            "conversions": ad_daily["conversions"].astype(float),
            "platform_revenue": ad_daily["platform_revenue"].round(2),
            "reach": ad_daily.get("reach", pd.Series(np.nan, index=ad_daily.index)),
            "frequency": ad_daily.get("frequency", pd.Series(np.nan, index=ad_daily.index)),
        }
    )
    _bulk_insert(AdMetricDaily, metrics)

    # Orders are placed at noon in the org's day; stored as UTC timestamps.
    placed = pd.to_datetime(orders["placed_on"]).dt.normalize() + pd.Timedelta(hours=12)
    order_rows = pd.DataFrame(
        {
            "org_id": org_id,
            "connection_id": connections["shopify"],
            "external_id": orders["order_id"].astype(str),
            "placed_at": [datetime.combine(d.date(), time(12), tzinfo=UTC) for d in placed],
            "customer_external_id": orders["customer_id"].astype(str),
            "revenue": orders["revenue"].round(2),
            "is_first_order": orders["is_first_order"].astype(bool),
            "utm_source": orders.get("utm_source"),
        }
    )
    _bulk_insert(Order, order_rows)


def _bulk_insert(model: type, frame: pd.DataFrame) -> None:
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for i in range(0, len(records), BATCH):
        db.session.execute(insert(model), records[i : i + BATCH])
