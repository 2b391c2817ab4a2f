"""Load the synthetic demo brand (Lumen Beauty) into the database for one organization."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Table, delete, exists, insert, select

from brain.synthetic import LUMEN_SEED, generate_brand
from extensions import db
from models.brain_state import BrainState
from models.data import AdMetricDaily, Campaign, Connection, ConnectionStatus, Creative, Order
from models.ops import SyncJob, SyncStatus, SyncTrigger
from models.org import Membership, Organization, User
from models.tenancy import org_scope
from models.upsert import bulk_load_empty, bump_data_version, upsert_columns

SAMPLE_LABEL = "Sample data"

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


def seed_demo(
    seed: int = LUMEN_SEED,
    with_users: bool = True,
    slug: str = "lumen",
    as_of: date | None = None,
) -> Organization:
    """Create Lumen Beauty with its data (and, outside production, its persona users).

    The data ends yesterday (or ``as_of``): a demo seeded today reads "data through yesterday",
    never a date that looks like a broken sync."""
    org = Organization(
        name="Lumen Beauty",
        slug=slug,
        timezone="America/New_York",
        currency="USD",
        onboarding={"step": "done", "sample": True},
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
    brand = generate_brand(seed, as_of=as_of or date.today() - timedelta(days=1))
    with org_scope(org.id):
        load_frames(org.id, brand.ad_daily, brand.orders)
    db.session.commit()
    return org


def load_frames(
    org_id: int, ad_daily: pd.DataFrame, orders: pd.DataFrame, source: str = "sample"
) -> None:
    """Insert brain-shaped frames as connections, campaigns, creatives, metrics and orders.

    The connections are marked ``source="sample"`` (shown as "Sample data — not syncable",
    no credentials) and each gets one finished history row, so Integrations tells one story.
    """
    connections: dict[str, int] = {}
    now = datetime.now(UTC)
    for platform in [*sorted(ad_daily["platform"].unique()), "shopify"]:
        conn = Connection(
            org_id=org_id,
            platform=str(platform),
            external_account_id=f"demo-{platform}",
            account_name=f"{SAMPLE_LABEL} · Lumen Beauty · "
            f"{PLATFORM_NAMES.get(str(platform), platform)}",
            status=ConnectionStatus.ACTIVE,
            source=source,
            last_synced_at=now,
        )
        db.session.add(conn)
        db.session.flush()
        connections[str(platform)] = conn.id
        rows = (
            len(orders) if platform == "shopify" else int((ad_daily["platform"] == platform).sum())
        )
        db.session.add(
            SyncJob(
                org_id=org_id,
                connection_id=conn.id,
                trigger=SyncTrigger.SAMPLE,
                status=SyncStatus.SUCCEEDED,
                progress=100,
                rows=rows,
                started_at=now,
                finished_at=now,
            )
        )

    campaigns = ad_daily.drop_duplicates("campaign_id")[
        ["platform", "campaign_id", "campaign_name"]
    ]
    campaign_ids = _insert_returning(
        Campaign,
        [
            {
                "org_id": org_id,
                "connection_id": connections[str(platform)],
                "platform": str(platform),
                "external_id": str(cid),
                "name": str(name),
            }
            for platform, cid, name in campaigns.itertuples(index=False)
        ],
    )

    firsts = ad_daily.groupby("creative_id", observed=True)["date"].min()
    creatives = ad_daily.drop_duplicates("creative_id")[
        ["platform", "campaign_id", "creative_id", "creative_name"]
    ]
    creative_ids = _insert_returning(
        Creative,
        [
            {
                "org_id": org_id,
                "connection_id": connections[str(platform)],
                "campaign_id": campaign_ids[str(cid)],
                "platform": str(platform),
                "external_id": str(crid),
                "name": str(name),
                "launched_on": pd.Timestamp(firsts[crid]).date(),
            }
            for platform, cid, crid, name in creatives.itertuples(index=False)
        ],
    )

    n = len(ad_daily)
    missing = np.full(n, np.nan)
    creative_codes, creative_labels = pd.factorize(ad_daily["creative_id"].astype(str))
    metrics = {
        "org_id": np.full(n, org_id),
        "creative_id": np.array([creative_ids[c] for c in creative_labels])[creative_codes],
        "date": pd.to_datetime(ad_daily["date"]).to_numpy("datetime64[D]"),
        "spend": ad_daily["spend"].round(2).to_numpy(float),
        "impressions": ad_daily["impressions"].astype("int64").to_numpy(),
        "clicks": ad_daily["clicks"].astype("int64").to_numpy(),
        "conversions": ad_daily["conversions"].to_numpy(float),
        "platform_revenue": ad_daily["platform_revenue"].round(2).to_numpy(float),
        "reach": ad_daily["reach"].to_numpy(float) if "reach" in ad_daily else missing,
        "frequency": ad_daily["frequency"].to_numpy(float) if "frequency" in ad_daily else missing,
    }
    _write(AdMetricDaily, metrics, ("creative_id", "date"))

    # Orders are placed at noon in the org's day; stored as UTC timestamps.
    placed = pd.to_datetime(orders["placed_on"]).dt.normalize() + pd.Timedelta(hours=12)
    utm = orders["utm_source"] if "utm_source" in orders else pd.Series(None, index=orders.index)
    order_columns = {
        "org_id": np.full(len(orders), org_id),
        "connection_id": np.full(len(orders), connections["shopify"]),
        "external_id": orders["order_id"].astype(str).to_numpy(object),
        "placed_at": placed.dt.tz_localize(UTC),
        "customer_external_id": orders["customer_id"].astype(str).to_numpy(object),
        "revenue": orders["revenue"].round(2).to_numpy(float),
        "is_first_order": orders["is_first_order"].astype(bool).to_numpy(),
        "utm_source": utm.astype(object).where(utm.notna(), None).to_numpy(object),
    }
    _write(Order, order_columns, ("connection_id", "external_id"))


def _insert_returning(model: type, records: list[dict]) -> dict[str, int]:
    """Insert rows; returns external id -> row id. PostgreSQL: one ``INSERT ... SELECT FROM
    unnest(arrays)`` (a multi-row VALUES of thousands of rows cost psycopg ~0.2 s per batch
    just to parse its placeholders); elsewhere in batches."""
    if not records:
        return {}
    if db.engine.dialect.name == "postgresql":
        return _insert_unnest(model.__table__, records)
    ids: dict[str, int] = {}
    for i in range(0, len(records), BATCH):
        stmt = insert(model).returning(model.external_id, model.id)
        ids.update(dict(db.session.execute(stmt, records[i : i + BATCH]).tuples().all()))
    return ids


def _insert_unnest(table: Table, records: list[dict]) -> dict[str, int]:
    # the columns given, plus those with a Python-side scalar default (what insert() adds)
    values = {name: [r[name] for r in records] for name in records[0]}
    for column in table.c:
        if column.name not in values and column.default is not None and column.default.is_scalar:
            values[column.name] = [column.default.arg] * len(records)
    dialect = db.engine.dialect
    arrays = ", ".join(f"%s::{table.c[n].type.compile(dialect)}[]" for n in values)
    columns = ", ".join(f'"{n}"' for n in values)
    statement = (
        f'INSERT INTO "{table.name}" ({columns}) SELECT * FROM unnest({arrays}) '  # noqa: S608
        "RETURNING external_id, id"
    )
    raw = db.session.connection().connection.driver_connection  # the session's transaction
    return dict(raw.execute(statement, list(values.values())).fetchall())


def _write(model: type, columns: dict, keys: tuple[str, ...]) -> None:
    """PostgreSQL: into an empty table, binary COPY with the indexes rebuilt after; else
    binary COPY + one merge; SQLite: batched inserts. The same rows every way."""
    if bulk_load_empty(db.session, model.__table__, columns, keys) is None:
        upsert_columns(db.session, model.__table__, columns, keys=keys, update=())


# ---- sample data for a new organization ------------------------------------------------------
class SampleRefused(ValueError):
    """Sample data would mix with the org's own data; the message says why."""


def has_own_data(org_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(Connection.org_id == org_id, Connection.source != "sample"))
        )
    )


def load_sample(org_id: int, seed: int = LUMEN_SEED) -> None:
    """Give an empty org the Lumen Beauty sample (marked as such everywhere); caller commits."""
    if has_own_data(org_id):
        raise SampleRefused(
            "Sample data is for exploring an empty organization; yours already has its own "
            "connections or imports."
        )
    if db.session.scalar(
        select(exists().where(Connection.org_id == org_id, Connection.source == "sample"))
    ):
        return  # loaded already
    brand = generate_brand(seed)
    load_frames(org_id, brand.ad_daily, brand.orders, source="sample")
    org = db.session.get(Organization, org_id)
    org.onboarding = {**(org.onboarding or {}), "sample": True}
    bump_data_version(db.session, org_id)


def remove_sample(org_id: int) -> int:
    """Delete the sample connections with everything under them, and the insights computed
    from them; returns how many connections went. Caller commits."""
    ids = list(
        db.session.scalars(
            select(Connection.id).where(Connection.org_id == org_id, Connection.source == "sample")
        )
    )
    if ids:
        for model in (AdMetricDaily, Order):  # big tables first, by their own org index
            if model is AdMetricDaily:
                creative_ids = select(Creative.id).where(Creative.connection_id.in_(ids))
                db.session.execute(
                    delete(model).where(model.org_id == org_id, model.creative_id.in_(creative_ids))
                )
            else:
                db.session.execute(
                    delete(model).where(model.org_id == org_id, model.connection_id.in_(ids))
                )
        for model in (Creative, Campaign, SyncJob):
            db.session.execute(
                delete(model).where(model.org_id == org_id, model.connection_id.in_(ids))
            )
        db.session.execute(
            delete(Connection).where(Connection.org_id == org_id, Connection.id.in_(ids))
        )
        if not has_own_data(org_id):  # the insights came from the sample alone
            db.session.execute(delete(BrainState).where(BrainState.org_id == org_id))
    org = db.session.get(Organization, org_id)
    org.onboarding = {k: v for k, v in (org.onboarding or {}).items() if k != "sample"}
    bump_data_version(db.session, org_id)
    return len(ids)
