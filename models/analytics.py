"""Analytics page queries: SQL aggregates of one org's data, sliced in pandas, cached per process.

Why this shape: the large brand has ~1.1 M creative-days, and a marketer clicks through many
filter combinations. So the database aggregates (GROUP BY date, platform: ~3 rows a day;
GROUP BY local day for orders; GROUP BY creative per period; GROUP BY cohort month and age),
once per org and data version, and every date range / platform slice is then a few
milliseconds of pandas on those small frames. A campaign filter is its own indexed query.

The cache key includes a data fingerprint read on every request (latest dates, connection sync
times, row counts of small tables; the brain overlays key on the latest brain state id), plus a
TTL as a safety net.
Every query takes an `org_id` (from `current_org_id()`, never from the browser), so ids of
another org simply match nothing.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    Integer,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from extensions import db
from models.brain_state import BrainState
from models.data import AdMetricDaily, Campaign, Connection, Creative, Order
from models.ops import AnalyticsSnapshot
from models.org import Organization

# The pure half (filters, periods, frames -> page data) lives in readmodels/ so the sales demo
# can run it on its snapshot; these names stay importable from here.
from readmodels.analytics import (  # noqa: F401 - re-exported for callbacks, api, tests
    COHORT_STEP_DAYS,
    CREATIVE_EXPORT_COLUMNS,
    DAILY_EXPORT_COLUMNS,
    DEFAULT_METRIC,
    DEFAULT_RANGE,
    LEADERBOARD_SIZE,
    MAX_CAMPAIGNS,
    MAX_CUSTOM_DAYS,
    MAX_EXPORT_CREATIVES,
    METRICS,
    RANGE_DAYS,
    RANGES,
    SERIES_ALIASES,
    SUM_COLUMNS,
    FilterError,
    Filters,
    Period,
    add_ratios,
    as_date,
    calibration_of,
    channel_rows_from,
    cohort_curves_from,
    comparison,
    creative_export_rows,
    daily_export_rows,
    fatigue_for,
    leaderboard_from,
    normalize_anomalies,
    normalize_fatigue,
    parse_filters,
    parse_filters_strict,
    pct_change,
    resolve_period,
    roas_trends_from,
    series_from_frames,
    totals,
    view_from_series,
)

logger = logging.getLogger(__name__)


# ---- a small per-process cache -------------------------------------------------------------
class _TTLCache:
    """LRU + TTL; values are treated as immutable by every caller."""

    def __init__(self, maxsize: int, ttl: float) -> None:
        self.maxsize, self.ttl = maxsize, ttl
        self._data: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_set(self, key: tuple, compute: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] > now:
                self._data.move_to_end(key)
                return hit[1]
        value = compute()
        with self._lock:
            self._data[key] = (now + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


# Keys carry the data fingerprint, so the TTL only bounds staleness after writes that bypass
# the sync (a manual fix in the database) and frees memory of orgs nobody looks at.
_BASE_CACHE = _TTLCache(maxsize=64, ttl=3600.0)  # per org: day frames, orders, cohorts
_VIEW_CACHE = _TTLCache(maxsize=512, ttl=900.0)  # per period / filter: creatives, campaigns


def clear_cache() -> None:
    """Forget every cached aggregate (tests; after a bulk reload)."""
    _BASE_CACHE.clear()
    _VIEW_CACHE.clear()


# ---- snapshots shared by every web process (written by the recompute job) ------------------
# The org-wide base frames (date x platform, order days, creatives, cohorts) are the costly
# GROUP BYs over all of an org's rows. The brain's recompute job, which runs after every data
# change, computes them once and stores them (AnalyticsSnapshot, keyed like the process cache,
# i.e. by the data fingerprint); a web process whose own cache is cold reads a few kilobytes
# instead of aggregating a million rows. Stored as numpy .npz (no pickles).
def _snapshot_digest(key: tuple) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()


def _shared(key: tuple, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """Process cache -> the org's stored snapshot -> SQL."""

    def load() -> pd.DataFrame:
        try:
            payload = db.session.scalar(
                select(AnalyticsSnapshot.payload).where(
                    AnalyticsSnapshot.org_id == key[1],
                    AnalyticsSnapshot.key == _snapshot_digest(key),
                )
            )
        except SQLAlchemyError:  # e.g. the table is not migrated yet: aggregate in SQL
            db.session.rollback()
            payload = None
        if payload is not None:
            try:
                return unpack_frame(payload)
            except (ValueError, KeyError, OSError):
                logger.warning("unreadable analytics snapshot for org %s", key[1])
        return compute()

    return _BASE_CACHE.get_or_set(key, load)


def precompute_snapshots(org_id: int) -> int:
    """Store the org's base frames for its current data (the recompute job calls this)."""
    ctx = org_context(org_id)
    frames = {
        ("days", org_id, ctx.fingerprint, ()): lambda: _day_frame(ctx),
        ("orders", org_id, ctx.fingerprint): lambda: _order_days(ctx),
        ("creatives", org_id, ctx.fingerprint): lambda: _creative_meta(ctx),
        ("cohorts", org_id, ctx.fingerprint): lambda: _cohort_table(ctx),
        ("cmonths", org_id, ctx.fingerprint): lambda: _creative_months(ctx),
    }
    wanted = {_snapshot_digest(k): (k, fn) for k, fn in frames.items()}
    stored = set(
        db.session.scalars(
            select(AnalyticsSnapshot.key).where(AnalyticsSnapshot.org_id == org_id)
        ).all()
    )
    written = 0
    for digest, (_key, fn) in wanted.items():
        if digest in stored:
            continue
        try:
            payload = pack_frame(fn())
        except (TypeError, ValueError):
            logger.warning("analytics snapshot %s of org %s not storable", _key[0], org_id)
            continue
        db.session.add(AnalyticsSnapshot(org_id=org_id, key=digest, payload=payload))
        written += 1
    stale = stored - set(wanted)
    if stale:
        db.session.execute(
            delete(AnalyticsSnapshot).where(
                AnalyticsSnapshot.org_id == org_id, AnalyticsSnapshot.key.in_(stale)
            )
        )
    db.session.commit()
    return written


def pack_frame(frame: pd.DataFrame) -> bytes:
    """A DataFrame as .npz bytes: numbers, datetimes, strings and dates, with its index."""
    index = frame.index.name
    if index is None and not frame.index.equals(pd.RangeIndex(len(frame))):
        raise TypeError("an unnamed index that is not 0..n-1")
    flat = frame.reset_index() if index is not None else frame
    arrays: dict[str, np.ndarray] = {}
    cols = []
    for i, col in enumerate(flat.columns):
        series = flat[col]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            if getattr(series.dtype, "tz", None) is not None:
                raise TypeError(f"{col}: time-zone-aware datetimes are not packed")
            kind, arr = "datetime", series.to_numpy()  # keeps its unit
        elif pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(
            series.dtype
        ):
            kind, arr = "number", series.to_numpy()
        else:
            values = series.tolist()
            if all(isinstance(v, str) for v in values):
                kind, arr = "str", np.array(values, dtype=str)
            elif all(isinstance(v, date) and not isinstance(v, datetime) for v in values):
                kind, arr = "date", np.array(values, dtype="datetime64[D]")
            else:
                raise TypeError(f"{col}: values of mixed or unsupported types")
        if arr.dtype == object:
            raise TypeError(f"{col}: object values")
        arrays[f"c{i}"] = arr
        cols.append([str(col), kind])
    arrays["meta"] = np.array(json.dumps({"cols": cols, "index": index}))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def unpack_frame(payload: bytes) -> pd.DataFrame:
    with np.load(io.BytesIO(payload), allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        data = {}
        for i, (name, kind) in enumerate(meta["cols"]):
            arr = z[f"c{i}"]
            if kind in ("str", "date"):
                data[name] = pd.Series(arr.tolist(), dtype=object if kind == "date" else None)
            else:
                data[name] = arr
    frame = pd.DataFrame(data, columns=[c for c, _ in meta["cols"]])
    return frame.set_index(meta["index"]) if meta["index"] is not None else frame


# ---- org context ---------------------------------------------------------------------------
@dataclass(frozen=True)
class OrgContext:
    """What every analytics request needs first: one cheap query (indexes only)."""

    org_id: int
    latest_ad: date | None
    earliest_ad: date | None
    latest_order: date | None
    earliest_order: date | None
    timezone: str
    currency: str
    fingerprint: tuple
    brain_state_id: int | None = None
    campaigns: tuple[dict, ...] = field(default=(), compare=False)

    @property
    def latest(self) -> date | None:
        """The anchor of "last N days": the latest ad data date, else the latest order date."""
        return self.latest_ad or self.latest_order

    @property
    def earliest(self) -> date | None:
        dates = [d for d in (self.earliest_ad, self.earliest_order) if d]
        return min(dates) if dates else None

    @property
    def has_data(self) -> bool:
        return self.latest is not None

    @property
    def campaign_ids(self) -> list[int]:
        return [c["id"] for c in self.campaigns]


def _local_date(value: Any, tz: str) -> date | None:
    """A stored UTC timestamp as a date in the org's time zone."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(_zone(tz)).date()
    return as_date(value)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@functools.cache
def _org_context_query() -> Any:
    """The statement of `org_context`, built once (building its 13 subqueries cost more CPU
    than running them); the org id is a bound parameter."""
    m, o, c = AdMetricDaily, Order, Connection
    org_id = bindparam("org_id", type_=Integer)

    def sub(expr: Any, model: Any) -> Any:
        return select(expr).where(model.org_id == org_id).scalar_subquery()

    def org(column: Any) -> Any:
        return select(column).where(Organization.id == org_id).scalar_subquery()

    return select(
        sub(func.max(m.date), m),
        sub(func.min(m.date), m),
        sub(func.max(o.placed_at), o),
        sub(func.min(o.placed_at), o),
        sub(func.max(c.last_synced_at), c),
        sub(func.count(c.id), c),
        sub(func.count(Creative.id), Creative),
        sub(func.count(Campaign.id), Campaign),
        sub(func.max(BrainState.id), BrainState),
        org(Organization.timezone),
        org(Organization.currency),
        org(Organization.data_version),
        # which org this is: ids restart when a database is recreated (tests, restores)
        org(Organization.created_at),
    )


def org_context(org_id: int) -> OrgContext:
    """Latest/earliest dates, settings and the data fingerprint of one org, in one round trip."""
    row = db.session.execute(_org_context_query(), {"org_id": org_id}).one()
    tz = row[9] or "UTC"
    # Data version: every sync and webhook bumps Organization.data_version in the transaction
    # that writes its rows; new days move the max dates. The brain state id is kept apart: a
    # recompute changes the overlays only, not the aggregates.
    fingerprint = tuple(str(v) for i, v in enumerate(row) if i != 8)
    ctx = OrgContext(
        org_id=org_id,
        latest_ad=as_date(row[0]),
        earliest_ad=as_date(row[1]),
        latest_order=_local_date(row[2], tz),
        earliest_order=_local_date(row[3], tz),
        timezone=tz,
        currency=row[10] or "USD",
        fingerprint=fingerprint,
        brain_state_id=row[8],
    )
    campaigns = _BASE_CACHE.get_or_set(
        ("campaigns", org_id, fingerprint), lambda: _campaign_list(org_id)
    )
    return replace(ctx, campaigns=campaigns)


def _campaign_list(org_id: int) -> tuple[dict, ...]:
    rows = db.session.execute(
        select(Campaign.id, Campaign.name, Campaign.platform)
        .where(Campaign.org_id == org_id)
        .order_by(Campaign.platform, Campaign.name, Campaign.id)
    ).all()
    return tuple(
        {"id": r.id, "name": r.name or f"Campaign {r.id}", "platform": r.platform} for r in rows
    )


# ---- dialect helpers -----------------------------------------------------------------------
def _is_pg() -> bool:
    return db.engine.dialect.name == "postgresql"


def _sqlite_offset(tz: str) -> str:
    """SQLite has no time zones: a fixed (standard-time) offset, good enough for dev data."""
    offset = datetime(2025, 1, 15, tzinfo=_zone(tz)).utcoffset() or timedelta(0)
    return f"{int(offset.total_seconds() // 60):+d} minutes"


def _local_day(col: Any, tz: str) -> Any:
    if _is_pg():
        return cast(func.timezone(tz, col), Date)
    return func.date(col, _sqlite_offset(tz), type_=Date)


def _local_month(col: Any, tz: str) -> Any:
    if _is_pg():
        return func.to_char(func.timezone(tz, col), "YYYY-MM")
    return func.strftime("%Y-%m", col, _sqlite_offset(tz))


def _age_days(later: Any, earlier: Any) -> Any:
    if _is_pg():
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


# ---- per-org base frames (SQL GROUP BY, cached) --------------------------------------------
def _read(stmt: Any, columns: list[str], big: bool = False) -> pd.DataFrame:
    with db.engine.connect() as conn:
        if big and _is_pg():
            # One GROUP BY over all of an org's rows, once per data version: let PostgreSQL
            # hash it in memory instead of spilling batches to disk (default work_mem is 4 MB).
            conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        # Plain tuples: given SQLAlchemy Rows, pandas probes each for attributes it lacks,
        # and every miss raises and catches inside SQLAlchemy (80% of a 7,000-row read).
        rows = [tuple(row) for row in conn.execute(stmt)]
        return pd.DataFrame(rows, columns=columns)


def _day_frame(ctx: OrgContext, campaigns: tuple[int, ...] = ()) -> pd.DataFrame:
    """Ad metrics GROUP BY date, platform (all campaigns, or only these), sorted by date.

    All campaigns: one scan of the org's rows, ~3 result rows a day, once per data version.
    Some campaigns: the creative.campaign_id and (creative_id, date) indexes find just their
    rows, so a campaign filter costs milliseconds even on the large brand.
    """

    def load() -> pd.DataFrame:
        m, c = AdMetricDaily, Creative
        stmt = (
            select(
                m.date,
                c.platform,
                cast(func.sum(m.spend), Float),
                cast(func.sum(m.platform_revenue), Float),
                cast(func.sum(m.impressions), Float),
                cast(func.sum(m.clicks), Float),
                cast(func.sum(m.conversions), Float),
            )
            .join(c, c.id == m.creative_id)
            .where(m.org_id == ctx.org_id, c.org_id == ctx.org_id)
            .group_by(m.date, c.platform)
        )
        if campaigns:
            stmt = stmt.where(c.campaign_id.in_(campaigns))
        df = _read(stmt, ["date", "platform", *SUM_COLUMNS], big=not campaigns)
        df["date"] = pd.to_datetime(df["date"])
        for col in SUM_COLUMNS:
            df[col] = pd.to_numeric(df[col], errors="coerce").fillna(0.0).astype(float)
        return df.sort_values(["date", "platform"], kind="stable").reset_index(drop=True)

    if campaigns:
        return _VIEW_CACHE.get_or_set(("days", ctx.org_id, ctx.fingerprint, campaigns), load)
    return _shared(("days", ctx.org_id, ctx.fingerprint, ()), load)


def _order_days(ctx: OrgContext) -> pd.DataFrame:
    """Store orders GROUP BY local day: revenue and order count, indexed by date."""

    def load() -> pd.DataFrame:
        o = Order
        day = _local_day(o.placed_at, ctx.timezone).label("day")
        stmt = (
            select(day, cast(func.sum(o.revenue), Float), func.count(o.id))
            .where(o.org_id == ctx.org_id)
            .group_by(day)
        )
        df = _read(stmt, ["date", "store_revenue", "orders"], big=True)
        df["date"] = pd.to_datetime(df["date"])
        df["store_revenue"] = pd.to_numeric(df["store_revenue"]).fillna(0.0).astype(float)
        df["orders"] = pd.to_numeric(df["orders"]).fillna(0).astype(float)
        return df.groupby("date")[["store_revenue", "orders"]].sum()

    return _shared(("orders", ctx.org_id, ctx.fingerprint), load)


def _total_spend_days(ctx: OrgContext) -> pd.Series:
    """All-channel spend per day: MER is store-wide, so its denominator ignores filters."""
    return _BASE_CACHE.get_or_set(
        ("total_spend", ctx.org_id, ctx.fingerprint),
        lambda: _day_frame(ctx).groupby("date")["spend"].sum(),
    )


def _slice(ctx: OrgContext, filters: Filters, start: date, end: date) -> pd.DataFrame:
    """Date x platform rows of the period for the filters: a binary search on date, a mask."""
    known = set(ctx.campaign_ids)
    campaigns = tuple(c for c in filters.campaigns if c in known)
    if filters.campaigns and not campaigns:  # only other orgs' (or deleted) ids: nothing
        return _day_frame(ctx).iloc[0:0]
    frame = _day_frame(ctx, campaigns)
    dates = frame["date"].to_numpy()
    lo = np.searchsorted(dates, pd.Timestamp(start).to_datetime64(), side="left")
    hi = np.searchsorted(dates, (pd.Timestamp(end) + pd.Timedelta(days=1)).to_datetime64())
    part = frame.iloc[lo:hi]
    if filters.platforms:
        part = part[part["platform"].isin(filters.platforms)]
    return part


# ---- the view (frames loaded above, then the pure read model) ------------------------------
def daily_series(ctx: OrgContext, filters: Filters, period: Period) -> pd.DataFrame:
    """Every day of the period with the ratios (readmodels.analytics.series_from_frames)."""
    return series_from_frames(
        _slice(ctx, filters, period.start, period.end),
        _order_days(ctx),
        _total_spend_days(ctx),
        period,
        (ctx.earliest_ad, ctx.latest_ad),
        (ctx.earliest_order, ctx.latest_order),
    )


def channel_rows(ctx: OrgContext, filters: Filters, period: Period) -> list[dict]:
    """Per platform over the period: spend, platform revenue, ROAS, CPA, CTR, share of spend."""
    previous = comparison(filters, period)
    return channel_rows_from(
        _slice(ctx, filters, period.start, period.end),
        _slice(ctx, filters, previous.start, previous.end),
    )


def analytics_view(ctx: OrgContext, filters: Filters) -> dict[str, Any]:
    """Everything the top of the page shows: KPIs vs the previous period, series, channels."""
    assert ctx.latest is not None, "analytics_view needs an org with data"
    period = resolve_period(filters, ctx.latest)
    return view_from_series(
        filters,
        period,
        daily_series(ctx, filters, period),
        daily_series(ctx, filters, comparison(filters, period)),
        channel_rows(ctx, filters, period),
        ctx.latest,
        ctx.currency,
        set(ctx.campaign_ids),
    )


# ---- creatives -----------------------------------------------------------------------------
def creative_leaderboard(
    ctx: OrgContext, filters: Filters, period: Period, limit: int = LEADERBOARD_SIZE
) -> list[dict]:
    """Top creatives by spend in the period, with a daily-ROAS trend for the page's top 20.

    SQL sums every creative of the period once (GROUP BY creative, cached per period);
    platform and campaign filters are then a pandas mask over those few thousand rows, so
    clicking through channels and campaigns never goes back to the 1.1 M-row table.
    """
    key = ("leader", ctx.org_id, ctx.fingerprint, period, filters.platforms, filters.campaigns)
    key += (limit,)
    return _VIEW_CACHE.get_or_set(key, lambda: _leaderboard(ctx, filters, period, limit))


def _creative_meta(ctx: OrgContext) -> pd.DataFrame:
    """The org's creatives (id -> external id, name, platform, campaign), cached per version."""

    def load() -> pd.DataFrame:
        c = Creative
        stmt = select(c.id, c.external_id, c.name, c.platform, c.campaign_id).where(
            c.org_id == ctx.org_id
        )
        df = _read(stmt, ["creative_id", "external_id", "name", "platform", "campaign_id"])
        df["campaign_id"] = pd.to_numeric(df["campaign_id"], errors="coerce").fillna(-1)
        df["campaign_id"] = df["campaign_id"].astype("int64")
        return df.set_index("creative_id")

    return _shared(("creatives", ctx.org_id, ctx.fingerprint), load)


def _creative_totals(ctx: OrgContext, period: Period) -> pd.DataFrame:
    """Sums per creative over the period, indexed by creative id.

    The whole months inside the period come from the org's per-creative monthly sums (one
    stored snapshot, written by the recompute job); only the days before the first and after
    the last whole month are summed in SQL (at most ~two months of rows instead of a year).
    Money is summed in cents, so the result equals one SQL SUM over the period exactly."""

    def load() -> pd.DataFrame:
        months = _whole_months(_data_period(ctx, period))
        if months is None:
            cents = _period_cents(ctx, [(period.start, period.end)])
        else:
            first, last = months
            monthly = _creative_months(ctx)
            inside = monthly["month"].between(_month_key(first), _month_key(last))
            parts = [monthly[inside].drop(columns="month")]
            edges = [
                (start, end)
                for start, end in (
                    (period.start, min(first - timedelta(days=1), period.end)),
                    (max(last + timedelta(days=1), period.start), period.end),
                )
                if start <= end
            ]
            if edges:
                parts.append(_period_cents(ctx, edges).reset_index())
            cents = pd.concat(parts, ignore_index=True).groupby("creative_id", sort=True).sum()
        return _from_cents(cents)

    return _VIEW_CACHE.get_or_set(("ctotals", ctx.org_id, ctx.fingerprint, period), load)


_CENT_COLUMNS = ("spend_cents", "revenue_cents", "impressions", "clicks", "conversions")


def _cent_sums(m: Any) -> list[Any]:
    """SUMs as exact integers (money in cents: numeric(14, 2) sums are exact) + conversions."""
    return [
        cast(func.round(func.sum(m.spend) * 100), BigInteger),
        cast(func.round(func.sum(m.platform_revenue) * 100), BigInteger),
        cast(func.sum(m.impressions), BigInteger),
        cast(func.sum(m.clicks), BigInteger),
        cast(func.sum(m.conversions), Float),
    ]


def _cent_frame(df: pd.DataFrame) -> pd.DataFrame:
    for col in _CENT_COLUMNS:
        values = pd.to_numeric(df[col], errors="coerce").fillna(0)
        df[col] = values.astype(float if col == "conversions" else "int64")
    return df


def _from_cents(cents: pd.DataFrame) -> pd.DataFrame:
    """Cents back to the float sums the page works with (cents / 100 is the float nearest the
    exact decimal sum, as PostgreSQL's CAST(SUM(numeric) AS float8) gives)."""
    out = pd.DataFrame(index=cents.index)
    out["spend"] = cents["spend_cents"].to_numpy(np.int64) / 100.0
    out["platform_revenue"] = cents["revenue_cents"].to_numpy(np.int64) / 100.0
    for col in ("impressions", "clicks", "conversions"):
        out[col] = cents[col].to_numpy().astype(float)
    out.index.name = "creative_id"
    return out[list(SUM_COLUMNS)]


def _period_cents(ctx: OrgContext, ranges: list[tuple[date, date]]) -> pd.DataFrame:
    """Per creative over the given date ranges (SQL GROUP BY creative_id), in cents."""
    m = AdMetricDaily
    within = or_(*(m.date.between(start, end) for start, end in ranges))
    stmt = (
        select(m.creative_id, *_cent_sums(m))
        .where(m.org_id == ctx.org_id, within)
        .group_by(m.creative_id)
    )
    df = _read(stmt, ["creative_id", *_CENT_COLUMNS], big=True)
    df["creative_id"] = pd.to_numeric(df["creative_id"]).astype("int64")
    return _cent_frame(df).set_index("creative_id")


def _data_period(ctx: OrgContext, period: Period) -> Period:
    """The period with its ends moved over days that hold no ad rows (before the first or
    after the latest day of data), so "the last 365 days" ending on the latest day counts
    its last, unfinished month as whole. The sums are the same: there are no rows there."""
    start, end = period.start, period.end
    if ctx.earliest_ad is not None and start <= ctx.earliest_ad <= end:
        start = ctx.earliest_ad.replace(day=1)
    if ctx.latest_ad is not None and start <= ctx.latest_ad <= end:
        end = (ctx.latest_ad.replace(day=28) + timedelta(days=4)).replace(day=1)
        end -= timedelta(days=1)
    return Period(start, end)


def _month_key(day: date) -> int:
    return day.year * 100 + day.month


def _whole_months(period: Period) -> tuple[date, date] | None:
    """(first day of the first, last day of the last) whole calendar month inside the period."""
    first = period.start
    if first.day != 1:
        first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    after_end = period.end + timedelta(days=1)
    last = period.end if after_end.day == 1 else period.end.replace(day=1) - timedelta(days=1)
    return (first, last) if first <= last else None


def _creative_months(ctx: OrgContext) -> pd.DataFrame:
    """The org's sums per creative and calendar month, in cents (a stored snapshot)."""

    def load() -> pd.DataFrame:
        m = AdMetricDaily
        if _is_pg():  # date_trunc: a third of to_char's cost over a million rows
            month = func.date_trunc("month", m.date)
        else:
            month = func.strftime("%Y-%m-01", m.date)
        stmt = (
            select(m.creative_id, month.label("month"), *_cent_sums(m))
            .where(m.org_id == ctx.org_id)
            .group_by(m.creative_id, month)
        )
        df = _read(stmt, ["creative_id", "month", *_CENT_COLUMNS], big=True)
        df["creative_id"] = pd.to_numeric(df["creative_id"]).astype("int64")
        months = pd.to_datetime(df["month"])
        df["month"] = (months.dt.year * 100 + months.dt.month).astype("int64")
        return _cent_frame(df)

    return _shared(("cmonths", ctx.org_id, ctx.fingerprint), load)


def _leaderboard(ctx: OrgContext, filters: Filters, period: Period, limit: int) -> list[dict]:
    joined = _creative_totals(ctx, period).join(_creative_meta(ctx), how="inner")
    return leaderboard_from(joined, filters, limit, lambda ids: _roas_trends(ctx, ids, period))


def _roas_trends(ctx: OrgContext, ids: list[int], period: Period) -> dict[int, list]:
    """Daily ROAS per creative (weekly buckets past 45 days, so a sparkline stays readable)."""
    m = AdMetricDaily
    stmt = select(
        m.creative_id, m.date, cast(m.spend, Float), cast(m.platform_revenue, Float)
    ).where(
        m.org_id == ctx.org_id,
        m.creative_id.in_(ids),
        m.date >= period.start,
        m.date <= period.end,
    )
    df = _read(stmt, ["creative_id", "date", "spend", "revenue"])
    return roas_trends_from(df, period)


# ---- cohorts -------------------------------------------------------------------------------
def cohort_curves(ctx: OrgContext, max_cohorts: int = 6) -> list[dict]:
    """Monthly first-order cohorts: cumulative revenue per customer at 30/60/90/… days.

    Only matured points are given (every customer of the cohort had that many days).
    """
    if ctx.latest_order is None:
        return []
    table = _shared(("cohorts", ctx.org_id, ctx.fingerprint), lambda: _cohort_table(ctx))
    return cohort_curves_from(table, ctx.latest_order, max_cohorts)


def _cohort_table(ctx: OrgContext) -> pd.DataFrame:
    o = Order
    cust = o.customer_external_id
    first_at = func.min(o.placed_at).over(partition_by=cust)
    nth = func.row_number().over(partition_by=cust, order_by=(o.placed_at, o.id))
    inner = (
        select(
            first_at.label("first_at"),
            nth.label("nth"),
            o.placed_at.label("placed_at"),
            o.revenue.label("revenue"),
        )
        .where(o.org_id == ctx.org_id, cust.isnot(None), cust != "")
        .subquery()
    )
    cohort = _local_month(inner.c.first_at, ctx.timezone).label("cohort")
    bucket = cast(
        func.floor(_age_days(inner.c.placed_at, inner.c.first_at) / COHORT_STEP_DAYS), Integer
    ).label("bucket")
    stmt = select(
        cohort,
        bucket,
        cast(func.sum(inner.c.revenue), Float),
        func.sum(case((inner.c.nth == 1, literal(1)), else_=literal(0))),
    ).group_by(cohort, bucket)
    df = _read(stmt, ["cohort", "bucket", "revenue", "new_customers"], big=True)
    if df.empty:
        return df
    df["bucket"] = pd.to_numeric(df["bucket"]).fillna(0).astype(int).clip(lower=0)
    df["revenue"] = pd.to_numeric(df["revenue"]).fillna(0.0).astype(float)
    df["new_customers"] = pd.to_numeric(df["new_customers"]).fillna(0).astype(int)
    return df


# ---- brain overlays (latest stored state; tolerant of missing parts) -----------------------
def brain_overlays(ctx: OrgContext) -> dict[str, Any]:
    """Anomalies and fatigued creatives from the latest brain state; empty when there is none."""
    return _BASE_CACHE.get_or_set(
        ("brain", ctx.org_id, ctx.brain_state_id), lambda: _brain_overlays(ctx.org_id)
    )


def _brain_overlays(org_id: int) -> dict[str, Any]:
    from models.brain_data import latest_state

    try:
        row = latest_state(org_id)
    except SQLAlchemyError:  # overlays decorate the page; they never break it
        logger.exception("analytics: reading the latest brain state failed")
        db.session.rollback()
        row = None
    oracle = (row.oracle if row is not None else None) or {}
    if not isinstance(oracle, dict):
        oracle = {}
    memory = (row.memory if row is not None else None) or {}
    return {
        "anomalies": normalize_anomalies(oracle.get("anomalies")),
        "fatigue": normalize_fatigue(oracle.get("fatigue")),
        "calibration": calibration_of({"memory": memory if isinstance(memory, dict) else {}}),
    }


# ---- exports -------------------------------------------------------------------------------
def daily_export(ctx: OrgContext, filters: Filters) -> tuple[Period | None, list[list[Any]]]:
    """The daily series the page charts, one row per day of the period (CSV-ready values)."""
    if not ctx.has_data:
        return None, []

    def build() -> tuple[Period, list[list[Any]]]:
        period = resolve_period(filters, ctx.latest)  # type: ignore[arg-type]
        compared = daily_series(ctx, filters, comparison(filters, period))
        return period, daily_export_rows(daily_series(ctx, filters, period), filters, compared)

    # the rows are read, never changed, by the caller: one build per data version and filters
    return _VIEW_CACHE.get_or_set(("daily_export", ctx.org_id, ctx.fingerprint, filters), build)


def creative_export(
    ctx: OrgContext, filters: Filters, limit: int = LEADERBOARD_SIZE
) -> tuple[Period | None, list[list[Any]]]:
    """The creative leaderboard of the page (top `limit` by spend) as CSV-ready rows."""
    if not ctx.has_data:
        return None, []
    period = resolve_period(filters, ctx.latest)  # type: ignore[arg-type]
    rows = creative_leaderboard(ctx, filters, period, limit)
    overlays = brain_overlays(ctx)
    return period, creative_export_rows(rows, overlays["fatigue"], overlays.get("calibration"))
