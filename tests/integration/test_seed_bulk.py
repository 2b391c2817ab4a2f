"""Seeding into empty tables (PostgreSQL: COPY with indexes and keys rebuilt after) gives
exactly the rows of the ordinary COPY + merge; the schema comes back as it was."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest
from sqlalchemy import text

from brain.synthetic import LUMEN_SEED, generate_brand
from extensions import db
from models import AdMetricDaily, Connection, Creative
from models.seed import load_frames
from models.upsert import bulk_load_empty
from tests.conftest import make_org

TABLES = ("ad_metric_daily", "store_order")

AD_SUMS = (
    "SELECT count(*), sum(spend), sum(impressions), sum(clicks), sum(conversions), "
    "sum(platform_revenue), sum(reach), sum(frequency), count(reach), count(frequency), "
    "min(date), max(date), count(DISTINCT creative_id) FROM ad_metric_daily WHERE org_id = :o"
)
ORDER_SUMS = (
    "SELECT count(*), sum(revenue), count(*) FILTER (WHERE is_first_order), count(utm_source), "
    "count(DISTINCT utm_source), count(DISTINCT customer_external_id), min(placed_at), "
    "max(placed_at), count(DISTINCT external_id) FROM store_order WHERE org_id = :o"
)
# the rows in id order, by what identifies them (ids themselves differ between the two orgs)
AD_ORDER = (
    "SELECT c.external_id, m.date, m.spend, m.frequency FROM ad_metric_daily m "
    "JOIN creative c ON c.id = m.creative_id WHERE m.org_id = :o ORDER BY m.id"
)
ORDER_ORDER = (
    "SELECT external_id, placed_at, revenue, utm_source FROM store_order WHERE org_id = :o "
    "ORDER BY id"
)


def _schema() -> dict:
    """Each table's indexes and constraints: name -> (definition, oid)."""
    out = {}
    for table in TABLES:
        rows = db.session.execute(
            text(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid), indexrelid "
                "FROM pg_index WHERE indrelid = CAST(:t AS regclass) UNION ALL "
                "SELECT conname, pg_get_constraintdef(oid), oid FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u', 'f')"
            ),
            {"t": table},
        ).all()
        out.update({name: (definition, oid) for name, definition, oid in rows})
    return out


def _brand() -> tuple[pd.DataFrame, pd.DataFrame]:
    brand = generate_brand(LUMEN_SEED)
    ad, orders = brand.ad_daily, brand.orders
    # a repeated (creative, date) and a repeated order id: the last one wins on both paths
    dup_ad = ad.iloc[[5]].assign(spend=ad["spend"].iloc[5] + 1.25, reach=None)
    dup_order = orders.iloc[[7]].assign(revenue=orders["revenue"].iloc[7] + 3.5)
    return pd.concat([ad, dup_ad], ignore_index=True), pd.concat(
        [orders, dup_order], ignore_index=True
    )


def _facts(org_id: int) -> list:
    return [
        db.session.execute(text(sql), {"o": org_id}).all()
        for sql in (AD_SUMS, ORDER_SUMS, AD_ORDER, ORDER_ORDER)
    ]


def test_bulk_load_into_empty_tables_equals_the_merge(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the bulk path is PostgreSQL's; SQLite keeps its batched inserts")
    first = make_org(app, "Bulk", "bulk@example.com")["org_id"]
    second = make_org(app, "Merge", "merge@example.com")["org_id"]
    ad, orders = _brand()
    with app.app_context():
        before = _schema()
        load_frames(first, ad, orders)  # empty tables: the bulk path
        db.session.commit()
        rebuilt = _schema()
        load_frames(second, ad, orders)  # rows present: the ordinary merge
        db.session.commit()
        after = _schema()
        bulk, merged = _facts(first), _facts(second)
        ids = {
            (table, org): db.session.execute(
                text(f"SELECT min(id), max(id), count(*) FROM {table} WHERE org_id = :o"),  # noqa: S608
                {"o": org},
            ).one()
            for table in TABLES
            for org in (first, second)
        }
    # the same indexes and keys, under the same names, rebuilt (new oids) by the first load only
    assert {k: v[0] for k, v in rebuilt.items()} == {k: v[0] for k, v in before.items()}
    assert all(rebuilt[k][1] != before[k][1] for k in before)
    assert after == rebuilt
    assert bulk[0] == merged[0] and bulk[1] == merged[1]
    assert bulk[0][0][0] == len(ad) - 1 and bulk[1][0][0] == len(orders) - 1
    assert bulk[2] == merged[2]  # same rows in the same id order
    assert bulk[3] == merged[3]
    for table in TABLES:  # the ids one nextval() per row gives: contiguous, and the sequence
        a, b = ids[(table, first)], ids[(table, second)]  # continues right after them
        assert a[1] - a[0] + 1 == a[2] and b[1] - b[0] + 1 == b[2] and b[0] == a[1] + 1


def test_bulk_load_refused_keys_roll_back_whole(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    org = make_org(app, "Bad", "bad@example.com")["org_id"]
    n = 3000
    columns = {
        "org_id": [org] * n,
        "creative_id": [999_999] * n,  # no such creative: rebuilding the foreign key refuses
        "date": pd.date_range("2026-01-01", periods=n).date,
        "spend": [1.0] * n,
        "impressions": [1] * n,
        "clicks": [0] * n,
        "conversions": [0.0] * n,
        "platform_revenue": [0.0] * n,
        "reach": [None] * n,
        "frequency": [None] * n,
    }
    with app.app_context():
        before = _schema()
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            bulk_load_empty(db.session, AdMetricDaily.__table__, columns, ("creative_id", "date"))
        db.session.rollback()
        assert _schema() == before
        assert db.session.execute(text("SELECT count(*) FROM ad_metric_daily")).scalar() == 0


def test_bulk_load_keeps_a_key_another_table_references(app):
    """creative.id is what ad_metric_daily's foreign key points at: it stays while the rest
    (its unique key, its own foreign keys) is dropped and rebuilt, and the rows are the merge's."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    org = make_org(app, "Keys", "keys@example.com")["org_id"]
    with app.app_context():
        conn = Connection(org_id=org, platform="meta", external_account_id="act_9")
        db.session.add(conn)
        db.session.flush()
        n = 2500
        columns = {
            "org_id": [org] * n,
            "connection_id": [conn.id] * n,
            "platform": ["meta"] * n,
            "external_id": [f"ad-{i:05d}" for i in range(n)][::-1],  # given out of key order
            "name": [f"Creative {i}" for i in range(n)],
            "status": ["active"] * n,
        }
        oids = db.session.execute(
            text(
                "SELECT conname, oid FROM pg_constraint WHERE conrelid = 'creative'::regclass "
                "ORDER BY conname"
            )
        ).all()
        written = bulk_load_empty(
            db.session, Creative.__table__, columns, ("connection_id", "external_id")
        )
        db.session.commit()
        after = db.session.execute(
            text(
                "SELECT conname, oid FROM pg_constraint WHERE conrelid = 'creative'::regclass "
                "ORDER BY conname"
            )
        ).all()
        rows = db.session.execute(
            text("SELECT external_id, name FROM creative WHERE org_id = :o ORDER BY id"),
            {"o": org},
        ).all()
    assert written == n and len(rows) == n
    assert rows[0] == ("ad-00000", f"Creative {n - 1}")  # key order, as ORDER BY gives
    kept = {name for name, oid in oids if dict(after)[name] == oid}
    assert [name for name, _ in after] == [name for name, _ in oids]
    assert kept == {"pk_creative"}  # referenced: kept; the others rebuilt
