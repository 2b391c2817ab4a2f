"""The brain's inputs at wire speed: only what it reads, column-wise, no Python object per row.

PostgreSQL: ``COPY (SELECT array_agg(col), ... FROM (...)) TO STDOUT (FORMAT BINARY)`` of
fixed-width columns only, one array per column, each read straight into numpy
(``np.frombuffer``): money arrives as float8, ids as integers; the few strings (platform,
campaign and creative ids and names) come from the small creative dimension and are joined in
numpy as categoricals; a customer arrives as a 128-bit key (two independent 64-bit
``hashtextextended`` seeds). Only the ad rows of the brain's analysis window
(``brain.prep.analysis_days`` ending at as_of) are read; orders are read whole (LTV cohorts
need every first order), with only the columns the brain uses. One REPEATABLE READ snapshot
for everything: the orders are read on a second connection, in a thread, that imports the first
one's exported snapshot, so the two reads overlap (two server processes, the GIL released while
waiting) and still see one moment.

Other databases (SQLite): the plain SQLAlchemy loaders, with the same window.

``compute_brain_state`` gives the same state from these frames as from the plain loaders
(``models.brain_data.load_ad_daily`` / ``load_orders``): tests/integration/test_brain_inputs.py
compares both, to the cent, on PostgreSQL and SQLite.

``input_watermark`` is the cheap "did anything change" check: the org's data version (bumped by
every sync and webhook) plus per-table row counts and high-water marks.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from psycopg import sql
from sqlalchemy import Engine, func, select

from brain.prep import AD_COLUMNS, BrainSettings, analysis_days
from extensions import db
from models.brain_data import load_ad_daily, load_orders, org_settings
from models.data import AdMetricDaily, Campaign, Creative, Order
from models.org import Organization

log = logging.getLogger(__name__)

ORDER_INPUT_COLUMNS = ("placed_on", "customer_id", "revenue", "is_first_order")
PG_EPOCH = date(2000, 1, 1)  # binary dates and timestamps count from here
PG_EPOCH_DAYS = (PG_EPOCH - date(1970, 1, 1)).days
PG_EPOCH_US = PG_EPOCH_DAYS * 86_400 * 1_000_000
_HEADER = b"PGCOPY\n\xff\r\n\x00"

AD_COLUMNS_SQL = """
SELECT m.date AS date, m.creative_id AS creative,
       coalesce(m.spend::float8, 'NaN') AS spend,
       coalesce(m.impressions::float8, 'NaN') AS impressions,
       coalesce(m.clicks::float8, 'NaN') AS clicks,
       coalesce(m.conversions::float8, 'NaN') AS conversions,
       coalesce(m.platform_revenue::float8, 'NaN') AS platform_revenue,
       coalesce(m.reach::float8, 'NaN') AS reach,
       coalesce(m.frequency::float8, 'NaN') AS frequency
FROM ad_metric_daily m WHERE m.org_id = {org}"""
AD_COPY = AD_COLUMNS_SQL + " AND m.date >= {start}"
AD_LATEST_BEFORE = (
    AD_COLUMNS_SQL + " AND m.date < {start} ORDER BY m.date DESC, m.creative_id DESC LIMIT 1"
)
AD_FIELDS = (
    ("date", ">i4"),
    ("creative", ">i4"),
    ("spend", ">f8"),
    ("impressions", ">f8"),
    ("clicks", ">f8"),
    ("conversions", ">f8"),
    ("platform_revenue", ">f8"),
    ("reach", ">f8"),
    ("frequency", ">f8"),
)
ORDER_COPY = """
SELECT o.id::int8 AS id, o.placed_at AS placed_us,
       coalesce(o.revenue::float8, 'NaN') AS revenue,
       coalesce(o.is_first_order, false) AS is_first,
       o.customer_external_id IS NULL AS no_customer,
       coalesce(hashtextextended(o.customer_external_id, 0), 0) AS h0,
       coalesce(hashtextextended(o.customer_external_id, 1), 0) AS h1
FROM store_order o WHERE o.org_id = {org}"""
ORDER_FIELDS = (
    ("id", ">i8"),
    ("placed_us", ">i8"),
    ("revenue", ">f8"),
    ("is_first", "?"),
    ("no_customer", "?"),
    ("h0", ">i8"),
    ("h1", ">i8"),
)
CREATIVES = """
SELECT c.id, c.platform, k.external_id, k.name, c.external_id, c.name
FROM creative c LEFT JOIN campaign k ON k.id = c.campaign_id
WHERE c.org_id = %s ORDER BY c.id
"""


class CopyFormatError(RuntimeError):
    """The binary COPY stream was not the fixed-width layout we asked for."""


def load_brain_inputs(
    org: Organization, as_of: date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ad_daily, orders) for ``compute_brain_state``: the same state as the plain loaders."""
    settings = BrainSettings.coerce(org_settings(org), [])
    days = analysis_days(settings)
    tz = org.timezone
    if db.engine.dialect.name == "postgresql":
        try:
            return _load_pg(org.id, tz, as_of, days)
        except CopyFormatError:
            log.exception("binary COPY of org %s did not parse; using the plain loaders", org.id)
    return _load_plain_window(org.id, tz, as_of, days)


def input_watermark(org: Organization) -> dict:
    """What a recompute's inputs depend on, cheaply: data version, row counts, high marks."""
    m, o, c, k = AdMetricDaily, Order, Creative, Campaign
    ads = db.session.execute(
        select(func.count(), func.max(m.date), func.min(m.date)).where(m.org_id == org.id)
    ).one()
    orders = db.session.execute(
        select(func.count(), func.max(o.placed_at), func.max(o.id)).where(o.org_id == org.id)
    ).one()
    dims = [
        *db.session.execute(select(func.count(), func.max(c.id)).where(c.org_id == org.id)).one(),
        *db.session.execute(select(func.count(), func.max(k.id)).where(k.org_id == org.id)).one(),
    ]
    return {
        "data_version": org.data_version,
        "timezone": org.timezone,
        "ads": [str(v) for v in ads],
        "orders": [str(v) for v in orders],
        "dims": [str(v) for v in dims],
    }


# ---- the plain path, windowed (SQLite and the fallback) ------------------------------------
def _load_plain_window(
    org_id: int, tz: str, as_of: date | None, days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    orders = load_orders(org_id, tz)
    anchor = _anchor(org_id, tz, as_of)
    if anchor is None:
        return load_ad_daily(org_id), orders
    start = anchor - timedelta(days=days - 1)
    ad = load_ad_daily(org_id, start=start)
    if ad.empty:  # rows only before the window still count as "has ad data": the last day's
        last = db.session.scalar(
            select(func.max(AdMetricDaily.date)).where(AdMetricDaily.org_id == org_id)
        )
        if last is not None:
            ad = load_ad_daily(org_id, start=_as_date(last), end=_as_date(last))
    return ad, orders


def _anchor(org_id: int, tz: str, as_of: date | None) -> date | None:
    """The brain's as_of: the given one, else the latest ad day or local order day."""
    if as_of is not None:
        return pd.Timestamp(as_of).date()
    ad_max = db.session.scalar(
        select(func.max(AdMetricDaily.date)).where(AdMetricDaily.org_id == org_id)
    )
    placed = db.session.scalar(select(func.max(Order.placed_at)).where(Order.org_id == org_id))
    days = [_as_date(ad_max)] if ad_max is not None else []
    if placed is not None:
        if isinstance(placed, str):  # SQLite without type affinity
            placed = datetime.fromisoformat(placed)
        placed = placed.replace(tzinfo=UTC) if placed.tzinfo is None else placed
        days.append(placed.astimezone(ZoneInfo(tz)).date())
    return max(days) if days else None


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ---- the PostgreSQL path -------------------------------------------------------------------
def _load_pg(
    org_id: int, tz: str, as_of: date | None, days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ad rows on this connection, orders on a second one in a thread, both reading the
    same snapshot: the two reads (and the server's work for each) overlap."""
    engine = db.engine  # the thread has no app context: it gets the engine itself
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        # One snapshot: a webhook committing mid-read cannot split the inputs.
        snapshot = export_snapshot(pg)
        with ThreadPoolExecutor(1) as pool:
            orders = pool.submit(_load_orders_pg, engine, snapshot, org_id, tz)
            anchor = _anchor_pg(pg, org_id, tz, as_of)
            start = PG_EPOCH
            if anchor is None:  # no ad rows and no orders
                ad_rec = _copy_columns(pg, AD_COPY, AD_FIELDS, org_id, start)
            else:
                start = anchor - timedelta(days=days - 1)
                ad_rec = _copy_columns(pg, AD_COPY, AD_FIELDS, org_id, start)
                if not len(ad_rec["date"]):  # rows only before the window count as ad data
                    ad_rec = _copy_columns(pg, AD_LATEST_BEFORE, AD_FIELDS, org_id, start)
            creatives = pg.execute(CREATIVES, (org_id,)).fetchall() if len(ad_rec["date"]) else []
            window = (start, anchor) if anchor is not None else (PG_EPOCH, PG_EPOCH)
            ad_frame = _ad_frame(ad_rec, creatives, window)
            order_frame = orders.result()  # the snapshot is imported before this returns
        pg.rollback()
    finally:
        raw.close()
    return ad_frame, order_frame


def _load_orders_pg(engine: Engine, snapshot: str, org_id: int, tz: str) -> pd.DataFrame:
    """The orders frame, read on a connection of its own in the exported ``snapshot``."""
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        join_snapshot(pg, snapshot)
        od_rec = _copy_columns(pg, ORDER_COPY, ORDER_FIELDS, org_id, None)
        pg.rollback()
    finally:
        raw.close()
    return _order_frame(od_rec, tz)


def export_snapshot(pg: object) -> str:
    """Start a read-only REPEATABLE READ transaction on ``pg``; returns its snapshot's id for
    ``join_snapshot`` (valid while this transaction stays open)."""
    pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
    return pg.execute("SELECT pg_export_snapshot()").fetchone()[0]


def join_snapshot(pg: object, snapshot: str) -> None:
    """Start a read-only transaction on ``pg`` that sees exactly what the transaction which
    exported ``snapshot`` (``pg_export_snapshot()``, still open) sees."""
    pg.rollback()  # SET TRANSACTION SNAPSHOT must come first in its transaction
    pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
    pg.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))


def _anchor_pg(pg: object, org_id: int, tz: str, as_of: date | None) -> date | None:
    if as_of is not None:
        return pd.Timestamp(as_of).date()
    ad_max, placed = pg.execute(
        "SELECT (SELECT max(date) FROM ad_metric_daily WHERE org_id = %s), "
        "(SELECT max(placed_at) FROM store_order WHERE org_id = %s)",
        (org_id, org_id),
    ).fetchone()
    days = [ad_max] if ad_max is not None else []
    if placed is not None:
        days.append(placed.astimezone(ZoneInfo(tz)).date())
    return max(days) if days else None


def _copy_columns(
    pg: object, query: str, fields: tuple[tuple[str, str], ...], org_id: int, start: date | None
) -> dict[str, np.ndarray]:
    """Run ``query`` (fixed-width, non-null columns named as ``fields``) and return its columns.

    The rows are folded into one array per column (``array_agg``) and sent as ONE binary COPY
    row: a per-row COPY costs a protocol message and a Python call per row, which was most of
    the reading time. A binary array is a small header then (int32 length, value) per element,
    so each column is one ``np.frombuffer``.
    """
    inner = sql.SQL(query).format(org=sql.Literal(org_id), start=sql.Literal(start))
    aggs = sql.SQL(", ").join(
        sql.SQL("array_agg({})").format(sql.Identifier(name)) for name, _ in fields
    )
    stmt = sql.SQL("COPY (SELECT {} FROM ({}) AS s) TO STDOUT (FORMAT BINARY)").format(aggs, inner)
    buf = bytearray()
    with pg.cursor() as cur, cur.copy(stmt) as copy:
        for block in copy:
            buf += block
    if not buf.startswith(_HEADER):
        raise CopyFormatError("not a binary COPY stream")
    pos = 19 + int.from_bytes(buf[15:19], "big")
    if int.from_bytes(buf[pos : pos + 2], "big", signed=True) != len(fields):
        raise CopyFormatError("unexpected field count")
    pos += 2
    out: dict[str, np.ndarray] = {}
    for name, kind in fields:
        size = int.from_bytes(buf[pos : pos + 4], "big", signed=True)
        pos += 4
        native = np.dtype(kind).newbyteorder("=")
        if size < 0:  # array_agg of no rows is NULL
            out[name] = np.zeros(0, native)
            continue
        ndim, has_null, _oid, n, _lbound = np.frombuffer(buf, ">i4", 5, pos)
        if ndim != 1 or has_null:
            raise CopyFormatError(f"{name}: not a one-dimensional array without NULLs")
        elem = np.dtype([("len", ">i4"), ("v", kind)])
        if 20 + n * elem.itemsize != size:
            raise CopyFormatError(f"{name}: elements are not {np.dtype(kind).itemsize} bytes")
        rec = np.frombuffer(buf, elem, n, pos + 20)
        if (rec["len"] != np.dtype(kind).itemsize).any():
            raise CopyFormatError(f"{name}: a variable-width element")
        out[name] = rec["v"].astype(native)
        pos += size
    return out


def _ad_frame(
    rec: dict[str, np.ndarray], creatives: list[tuple], window: tuple[date, date]
) -> pd.DataFrame:
    if not len(rec["date"]):
        return pd.DataFrame({c: [] for c in AD_COLUMNS})
    day = rec["date"].astype(np.int64)
    creative = rec["creative"].astype(np.int64)
    order = np.lexsort((creative, day))  # the plain loader's ORDER BY date, creative_id
    day, creative = day[order], creative[order]
    ids = np.array([c[0] for c in creatives], dtype=np.int64)
    pos = np.searchsorted(ids, creative)
    pos_ok = np.minimum(pos, max(len(ids) - 1, 0))
    if not len(ids) or (ids[pos_ok] != creative).any():
        raise CopyFormatError("an ad row's creative is not in the org's creatives")
    frame = {"date": (day + PG_EPOCH_DAYS).astype("datetime64[D]").astype("datetime64[s]")}
    # The brain reads labels only from rows in its window; a categorical keeps every category
    # of its column, so categories come from those rows alone (rows after as_of, or the one
    # row before the window, are only counted, never labelled).
    lo, hi = ((d - PG_EPOCH).days for d in window)
    in_window = (day >= lo) & (day <= hi)
    for col, i in (
        ("platform", 1),
        ("campaign_id", 2),
        ("campaign_name", 3),
        ("creative_id", 4),
        ("creative_name", 5),
    ):  # (column, index in the creative row): strings per creative, joined to rows in numpy
        codes, labels = pd.factorize(np.array([c[i] for c in creatives], dtype=object))
        row_codes = codes[pos]
        used = np.unique(row_codes[in_window & (row_codes >= 0)])
        remap = np.full(len(labels) + 1, -1, np.int64)
        remap[used] = np.arange(len(used))
        frame[col] = pd.Categorical.from_codes(remap[row_codes], categories=labels[used])
    for col in ("spend", "impressions", "clicks", "conversions", "platform_revenue"):
        frame[col] = rec[col][order].astype(np.float64)
    frame["reach"] = rec["reach"][order].astype(np.float64)
    frame["frequency"] = rec["frequency"][order].astype(np.float64)
    return pd.DataFrame({c: frame[c] for c in AD_COLUMNS})


def _order_frame(rec: dict[str, np.ndarray], tz: str) -> pd.DataFrame:
    if not len(rec["id"]):
        return pd.DataFrame({c: [] for c in ORDER_INPUT_COLUMNS})
    placed_us = rec["placed_us"].astype(np.int64)
    order = np.lexsort((rec["id"].astype(np.int64), placed_us))  # ORDER BY placed_at, id
    placed = pd.to_datetime(placed_us[order] + PG_EPOCH_US, unit="us", utc=True)
    placed_on = placed.tz_convert(tz).tz_localize(None).normalize()
    h0 = rec["h0"][order].astype(np.int64)
    h1 = rec["h1"][order].astype(np.int64)
    codes, uniques = pd.factorize(h0)
    seen_h1 = np.zeros(len(uniques), np.int64)
    seen_h1[codes[::-1]] = h1[::-1]
    if (seen_h1[codes] != h1).any():  # two customers share a 64-bit hash: use all 128 bits
        codes, _ = pd.factorize(pd.MultiIndex.from_arrays([h0, h1]))
    customer = np.where(rec["no_customer"][order], np.nan, codes.astype(np.float64))
    return pd.DataFrame(
        {
            "placed_on": placed_on,
            "customer_id": customer,
            "revenue": rec["revenue"][order].astype(np.float64),
            "is_first_order": rec["is_first"][order].astype(bool),
        }
    )
