"""Batched idempotent upserts (INSERT ... ON CONFLICT) for synced rows, on PostgreSQL and SQLite.

Re-running a sync writes the same rows again: the unique keys make it a no-op for unchanged
data and an update for restated days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.data import AdMetricDaily, Campaign, Creative, Order
from models.org import Organization

BATCH = 5000
COPY_THRESHOLD = 2000  # above this many rows, PostgreSQL goes through COPY + one INSERT…SELECT
METRIC_FIELDS = (
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "platform_revenue",
    "reach",
    "frequency",
)
ORDER_FIELDS = (
    "placed_at",
    "customer_external_id",
    "revenue",
    "is_first_order",
    "utm_source",
    "source_updated_at",
)


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts are written for PostgreSQL and SQLite, not {dialect}")


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Iterable[str],
    newer: str | None = None,
) -> int:
    """INSERT rows; on a key conflict update the given columns. Returns rows written.

    `newer` names a timestamp column: a conflicting row only wins when it is not older than
    the stored one (webhooks can arrive out of order).
    """
    if not rows:
        return 0
    update = list(update)
    # One row per key, the last one winning (a paged API can return a row twice, e.g. an order
    # updated mid-backfill); ON CONFLICT cannot touch the same row twice in one statement.
    rows = list({tuple(r[k] for k in keys): r for r in rows}.values())
    if session.get_bind().dialect.name == "postgresql" and len(rows) >= COPY_THRESHOLD:
        return _copy_upsert(session, table, rows, keys, update, newer)
    for i in range(0, len(rows), BATCH):
        stmt = _insert(session, table)
        where = None
        if newer is not None:
            stored, incoming = table.c[newer], stmt.excluded[newer]
            where = or_(stored.is_(None), incoming.is_(None), incoming >= stored)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}, where=where
        )
        session.execute(stmt, list(rows[i : i + BATCH]))
    return len(rows)


def _copy_upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: list[str],
    newer: str | None = None,
) -> int:
    """COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT (one transaction)."""
    columns = list(rows[0].keys())
    quoted = ", ".join(f'"{c}"' for c in columns)
    temp = f"tmp_upsert_{table.name}"
    raw = session.connection().connection.driver_connection  # psycopg 3, same transaction
    with raw.cursor() as cur:
        # Columns only (no defaults, so nothing depends on the table's sequences), gone at
        # commit: a pooled connection keeps no temp table that would block a migration.
        cur.execute(f'DROP TABLE IF EXISTS "{temp}"')
        cur.execute(
            f'CREATE TEMP TABLE "{temp}" ON COMMIT DROP AS '  # noqa: S608 - names are ours
            f'SELECT {quoted} FROM "{table.name}" WITH NO DATA'
        )
        values = itemgetter(*columns)
        with cur.copy(f'COPY "{temp}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(values(row))
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update)
        key_list = ", ".join(f'"{k}"' for k in keys)
        # Only rows whose values changed are rewritten: a re-sync of unchanged data is cheap.
        changed = " OR ".join(
            f'"{table.name}"."{c}" IS DISTINCT FROM EXCLUDED."{c}"' for c in update
        )
        if newer is not None:
            stored, incoming = f'"{table.name}"."{newer}"', f'EXCLUDED."{newer}"'
            changed = (
                f"({changed}) AND ({stored} IS NULL OR {incoming} IS NULL "
                f"OR {incoming} >= {stored})"
            )
        cur.execute(
            f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{temp}" '  # noqa: S608
            f"ORDER BY {key_list} ON CONFLICT ({key_list}) DO UPDATE SET {sets} WHERE {changed}"
        )
    return len(rows)


def bump_data_version(session: Session, org_id: int) -> None:
    """Mark the org's synced data as changed (in the writer's transaction)."""
    session.execute(
        update(Organization)
        .where(Organization.id == org_id)
        .values(data_version=Organization.data_version + 1)
    )


def upsert_campaigns_and_creatives(
    session: Session, org_id: int, connection_id: int, platform: str, ad_rows: Sequence[dict]
) -> dict[str, int]:
    """Make sure every campaign and creative exists; returns creative external id -> row id."""
    campaigns: dict[str, str] = {}
    for r in ad_rows:
        if r["campaign_id"] not in campaigns:
            campaigns[r["campaign_id"]] = r["campaign_name"]
    upsert(
        session,
        Campaign.__table__,
        [
            {
                "org_id": org_id,
                "connection_id": connection_id,
                "platform": platform,
                "external_id": str(cid),
                "name": name or "",
                "status": "active",
            }
            for cid, name in campaigns.items()
        ],
        keys=("connection_id", "external_id"),
        update=("name",),
    )
    campaign_ids = dict(
        session.execute(
            select(Campaign.external_id, Campaign.id).where(Campaign.connection_id == connection_id)
        ).all()
    )
    creatives: dict[str, dict] = {}
    for r in ad_rows:  # one pass; a dict is built only for a creative not seen yet
        key = str(r["creative_id"])
        cre = creatives.get(key)
        if cre is None:
            creatives[key] = {
                "org_id": org_id,
                "connection_id": connection_id,
                "platform": platform,
                "external_id": key,
                "name": r["creative_name"] or "",
                "campaign_id": campaign_ids.get(str(r["campaign_id"])),
                "status": "active",
                "launched_on": r["date"],
                "_latest": r["date"],
            }
        else:
            if r["date"] < cre["launched_on"]:
                cre["launched_on"] = r["date"]
            if r["date"] >= cre["_latest"]:  # a creative moved between campaigns: newest wins
                cre["_latest"] = r["date"]
                cre["campaign_id"] = campaign_ids.get(str(r["campaign_id"]))
                cre["name"] = r["creative_name"] or cre["name"]
    for cre in creatives.values():
        del cre["_latest"]
    upsert(
        session,
        Creative.__table__,
        list(creatives.values()),
        keys=("connection_id", "external_id"),
        update=("name", "campaign_id"),
    )
    return dict(
        session.execute(
            select(Creative.external_id, Creative.id).where(Creative.connection_id == connection_id)
        ).all()
    )


def upsert_ad_metrics(
    session: Session, org_id: int, creative_ids: dict[str, int], ad_rows: Sequence[dict]
) -> int:
    rows = [
        {
            "org_id": org_id,
            "creative_id": creative_ids[str(r["creative_id"])],
            "date": r["date"],
            "spend": r["spend"],
            "impressions": r["impressions"],
            "clicks": r["clicks"],
            "conversions": r["conversions"],
            "platform_revenue": r["platform_revenue"],
            "reach": r.get("reach"),
            "frequency": r.get("frequency"),
        }
        for r in ad_rows
    ]
    return upsert(
        session, AdMetricDaily.__table__, rows, keys=("creative_id", "date"), update=METRIC_FIELDS
    )


def upsert_orders(session: Session, org_id: int, connection_id: int, orders: Sequence[dict]) -> int:
    rows = [
        {
            "org_id": org_id,
            "connection_id": connection_id,
            "external_id": str(o["order_id"]),
            "placed_at": o["placed_at"],
            "customer_external_id": o.get("customer_id"),
            "revenue": o["revenue"],
            "is_first_order": bool(o["is_first_order"]),
            "utm_source": o.get("utm_source"),
            "source_updated_at": o.get("updated_at"),
        }
        for o in orders
    ]
    return upsert(
        session,
        Order.__table__,
        rows,
        keys=("connection_id", "external_id"),
        update=ORDER_FIELDS,
        newer="source_updated_at",
    )
