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

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy import Date, Float, Integer, case, cast, func, literal, select
from sqlalchemy.exc import SQLAlchemyError

from extensions import db
from models.brain_state import BrainState
from models.data import AD_PLATFORMS, AdMetricDaily, Campaign, Connection, Creative, Order
from models.org import Organization

logger = logging.getLogger(__name__)
RANGE_DAYS = {"7d": 7, "14d": 14, "30d": 30, "90d": 90}
RANGES = (*RANGE_DAYS, "mtd", "custom")
METRICS = ("spend", "store_revenue", "mer", "roas", "cpa", "ctr")
DEFAULT_RANGE = "30d"
DEFAULT_METRIC = "spend"
MAX_CUSTOM_DAYS = 731
MAX_CAMPAIGNS = 200
LEADERBOARD_SIZE = 20
MAX_EXPORT_CREATIVES = 10_000
COHORT_STEP_DAYS = 30
COHORT_HORIZONS = tuple(range(30, 361, 30))
SUM_COLUMNS = ("spend", "platform_revenue", "impressions", "clicks", "conversions")


class FilterError(ValueError):
    """A filter in the query string is malformed; the message says which and how."""


# ---- filters (pure) ------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    """What the marketer picked. Empty platforms/campaigns mean all of them."""

    range: str = DEFAULT_RANGE
    start: date | None = None  # custom ranges only
    end: date | None = None
    platforms: tuple[str, ...] = ()
    campaigns: tuple[int, ...] = ()
    metric: str = DEFAULT_METRIC

    @property
    def filtered(self) -> bool:
        """True when ad metrics are narrowed to some platforms or campaigns."""
        return bool(self.platforms or self.campaigns)

    def query(self, with_metric: bool = True) -> str:
        """The canonical query string (no leading '?'): shareable, stable order."""
        params: list[tuple[str, str]] = [("range", self.range)]
        if self.range == "custom" and self.start and self.end:
            params += [("start", self.start.isoformat()), ("end", self.end.isoformat())]
        if self.platforms:
            params.append(("platform", ",".join(self.platforms)))
        if self.campaigns:
            params.append(("campaign", ",".join(str(c) for c in self.campaigns)))
        if with_metric and self.metric != DEFAULT_METRIC:
            params.append(("metric", self.metric))
        return urlencode(params, safe=",")


def _params(source: Mapping[str, Any] | str | None) -> dict[str, str]:
    """One string per key from a query string or a (multi)dict; repeated keys are comma-joined."""
    if source is None:
        return {}
    if isinstance(source, str):
        parsed = parse_qs(source.lstrip("?"), keep_blank_values=True)
        return {k: ",".join(v) for k, v in parsed.items()}
    out: dict[str, str] = {}
    getlist = getattr(source, "getlist", None)
    for key in source:
        values = getlist(key) if getlist else source[key]
        if isinstance(values, list | tuple):
            out[key] = ",".join(str(v) for v in values)
        else:
            out[key] = str(values)
    return out


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _parse_date(name: str, raw: str) -> date:
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise FilterError(f"{name} must be a date as YYYY-MM-DD, got {raw[:40]!r}") from exc
    if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        raise FilterError(f"{name} must be between 2000-01-01 and 2100-12-31")
    return value


def parse_filters(source: Mapping[str, Any] | str | None) -> tuple[Filters, list[str]]:
    """Lenient parse for the page: bad parts fall back to defaults and are reported."""
    params = _params(source)
    problems: list[str] = []
    values: dict[str, Any] = {}

    rng = params.get("range", "").strip().lower()
    has_dates = bool(params.get("start") or params.get("end"))
    if not rng:
        rng = "custom" if has_dates else DEFAULT_RANGE
    if rng not in RANGES:
        problems.append(f"range must be one of {', '.join(RANGES)}, got {rng[:20]!r}")
        rng = DEFAULT_RANGE
    values["range"] = rng
    if rng == "custom":
        try:
            if not (params.get("start") and params.get("end")):
                raise FilterError("a custom range needs both start and end (YYYY-MM-DD)")
            start = _parse_date("start", params["start"])
            end = _parse_date("end", params["end"])
            if start > end:
                raise FilterError("start must be on or before end")
            if (end - start).days + 1 > MAX_CUSTOM_DAYS:
                raise FilterError(f"a custom range can span at most {MAX_CUSTOM_DAYS} days")
            values.update(start=start, end=end)
        except FilterError as exc:
            problems.append(str(exc))
            values["range"] = DEFAULT_RANGE

    platforms = _split(params.get("platform", "").lower())
    bad = [p for p in platforms if p not in AD_PLATFORMS]
    if bad:
        problems.append(
            f"platform must be among {', '.join(AD_PLATFORMS)}, got {', '.join(bad)[:60]!r}"
        )
    chosen = tuple(p for p in AD_PLATFORMS if p in platforms)
    values["platforms"] = () if len(chosen) == len(AD_PLATFORMS) else chosen

    campaigns: list[int] = []
    for raw in _split(params.get("campaign", "")):
        if raw.isdigit() and len(raw) <= 12:
            campaigns.append(int(raw))
        else:
            problems.append(f"campaign must be a list of numeric ids, got {raw[:20]!r}")
            break
    if len(campaigns) > MAX_CAMPAIGNS:
        problems.append(f"at most {MAX_CAMPAIGNS} campaigns can be selected")
        campaigns = campaigns[:MAX_CAMPAIGNS]
    values["campaigns"] = tuple(sorted(set(campaigns)))

    metric = params.get("metric", DEFAULT_METRIC).strip().lower() or DEFAULT_METRIC
    if metric not in METRICS:
        problems.append(f"metric must be one of {', '.join(METRICS)}, got {metric[:20]!r}")
        metric = DEFAULT_METRIC
    values["metric"] = metric
    return Filters(**values), problems


def parse_filters_strict(source: Mapping[str, Any] | str | None) -> Filters:
    """Strict parse for the CSV export: the first problem is a FilterError (→ HTTP 400)."""
    filters, problems = parse_filters(source)
    if problems:
        raise FilterError(problems[0])
    return filters


@dataclass(frozen=True)
class Period:
    """An inclusive date range."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def dates(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.end, freq="D")


def resolve_period(filters: Filters, latest: date) -> Period:
    """Presets end at the org's latest data date (not the wall clock): demo data always shows."""
    if filters.range in RANGE_DAYS:
        return Period(latest - timedelta(days=RANGE_DAYS[filters.range] - 1), latest)
    if filters.range == "mtd":
        return Period(latest.replace(day=1), latest)
    if filters.start and filters.end:
        return Period(filters.start, filters.end)
    return resolve_period(replace(filters, range=DEFAULT_RANGE), latest)


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


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


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
    return _as_date(value)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def org_context(org_id: int) -> OrgContext:
    """Latest/earliest dates, settings and the data fingerprint of one org, in one round trip."""
    m, o, c = AdMetricDaily, Order, Connection

    def sub(expr: Any, model: Any) -> Any:
        return select(expr).where(model.org_id == org_id).scalar_subquery()

    row = db.session.execute(
        select(
            sub(func.max(m.date), m),
            sub(func.min(m.date), m),
            sub(func.max(o.placed_at), o),
            sub(func.min(o.placed_at), o),
            sub(func.max(c.last_synced_at), c),
            sub(func.count(c.id), c),
            sub(func.count(Creative.id), Creative),
            sub(func.count(Campaign.id), Campaign),
            sub(func.max(BrainState.id), BrainState),
            select(Organization.timezone).where(Organization.id == org_id).scalar_subquery(),
            select(Organization.currency).where(Organization.id == org_id).scalar_subquery(),
            select(Organization.data_version).where(Organization.id == org_id).scalar_subquery(),
        )
    ).one()
    tz = row[9] or "UTC"
    # Data version: every sync and webhook bumps Organization.data_version in the transaction
    # that writes its rows; new days move the max dates. The brain state id is kept apart: a
    # recompute changes the overlays only, not the aggregates.
    fingerprint = tuple(str(v) for i, v in enumerate(row) if i != 8)
    ctx = OrgContext(
        org_id=org_id,
        latest_ad=_as_date(row[0]),
        earliest_ad=_as_date(row[1]),
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
        return pd.DataFrame(conn.execute(stmt).all(), columns=columns)


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

    cache = _VIEW_CACHE if campaigns else _BASE_CACHE
    return cache.get_or_set(("days", ctx.org_id, ctx.fingerprint, campaigns), load)


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

    return _BASE_CACHE.get_or_set(("orders", ctx.org_id, ctx.fingerprint), load)


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


# ---- derived metrics (pure) ----------------------------------------------------------------
def _ratio(num: Any, den: Any) -> Any:
    """num ÷ den, None (or NaN in arrays) where den is 0."""
    if np.ndim(num) == 0:
        if num is None or den is None or pd.isna(num) or pd.isna(den) or not den:
            return None
        return float(num) / float(den)
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den == 0, 1, den), np.nan)


def add_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """ROAS (platform revenue ÷ spend), MER (store revenue ÷ all-channel spend), CPA, CTR."""
    out = frame.copy()
    out["roas"] = _ratio(out["platform_revenue"], out["spend"])
    out["mer"] = _ratio(out["store_revenue"], out["total_spend"])
    out["cpa"] = _ratio(out["spend"], out["conversions"])
    out["ctr"] = _ratio(out["clicks"], out["impressions"])
    return out


def totals(frame: pd.DataFrame) -> dict[str, float | None]:
    """Sums over a daily frame and the ratios of the sums (never the mean of daily ratios)."""
    keys = (*SUM_COLUMNS, "store_revenue", "orders", "total_spend")
    sums: dict[str, float | None] = {}
    for k in keys:
        total = frame[k].sum(min_count=1) if k in frame else np.nan
        sums[k] = None if pd.isna(total) else float(total)  # None: no data at all
    return {
        **sums,
        "roas": _ratio(sums["platform_revenue"], sums["spend"]),
        "mer": _ratio(sums["store_revenue"], sums["total_spend"]),
        "cpa": _ratio(sums["spend"], sums["conversions"]),
        "ctr": _ratio(sums["clicks"], sums["impressions"]),
    }


def pct_change(current: float | None, previous: float | None) -> float | None:
    """(current − previous) ÷ |previous|; None when there is nothing to compare with."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)


# ---- the view ------------------------------------------------------------------------------
def daily_series(ctx: OrgContext, filters: Filters, period: Period) -> pd.DataFrame:
    """Every day of the period with the ratios: 0 where nothing happened, NaN (no line, no
    bar, "no previous data") on days outside the org's data, so nothing pretends to be zero."""
    cube = _slice(ctx, filters, period.start, period.end)
    ads = cube.groupby("date")[list(SUM_COLUMNS)].sum()
    index = period.dates()
    frame = ads.reindex(index, fill_value=0.0)
    orders = _order_days(ctx).reindex(index, fill_value=0.0)
    frame["store_revenue"] = orders["store_revenue"].to_numpy()
    frame["orders"] = orders["orders"].to_numpy()
    frame["total_spend"] = _total_spend_days(ctx).reindex(index, fill_value=0.0).to_numpy()
    ad_cols = [*SUM_COLUMNS, "total_spend"]
    frame.loc[_outside(index, ctx.earliest_ad, ctx.latest_ad), ad_cols] = np.nan
    frame.loc[
        _outside(index, ctx.earliest_order, ctx.latest_order), ["store_revenue", "orders"]
    ] = np.nan
    frame.index.name = "date"
    return add_ratios(frame)


def _outside(index: pd.DatetimeIndex, first: date | None, last: date | None) -> np.ndarray:
    if first is None or last is None:
        return np.ones(len(index), dtype=bool)
    return np.asarray((index < pd.Timestamp(first)) | (index > pd.Timestamp(last)))


def channel_rows(ctx: OrgContext, filters: Filters, period: Period) -> list[dict]:
    """Per platform over the period: spend, platform revenue, ROAS, CPA, CTR, share of spend."""
    cube = _slice(ctx, filters, period.start, period.end)
    previous = period.previous()
    prev = _slice(ctx, filters, previous.start, previous.end)
    cur_by = cube.groupby("platform")[list(SUM_COLUMNS)].sum()
    prev_by = prev.groupby("platform")[list(SUM_COLUMNS)].sum()
    total_spend = float(cur_by["spend"].sum()) if len(cur_by) else 0.0
    rows = []
    for platform in AD_PLATFORMS:
        if platform not in cur_by.index:
            continue
        s = cur_by.loc[platform]
        roas = _ratio(s["platform_revenue"], s["spend"])
        prev_roas = None
        if platform in prev_by.index:
            p = prev_by.loc[platform]
            prev_roas = _ratio(p["platform_revenue"], p["spend"])
        rows.append(
            {
                "platform": platform,
                "spend": float(s["spend"]),
                "platform_revenue": float(s["platform_revenue"]),
                "roas": roas,
                "roas_change": pct_change(roas, prev_roas),
                "cpa": _ratio(s["spend"], s["conversions"]),
                "ctr": _ratio(s["clicks"], s["impressions"]),
                "share": _ratio(s["spend"], total_spend),
            }
        )
    return sorted(rows, key=lambda r: -r["spend"])


def analytics_view(ctx: OrgContext, filters: Filters) -> dict[str, Any]:
    """Everything the top of the page shows: KPIs vs the previous period, series, channels."""
    assert ctx.latest is not None, "analytics_view needs an org with data"
    period = resolve_period(filters, ctx.latest)
    previous = period.previous()
    series = daily_series(ctx, filters, period)
    prev_series = daily_series(ctx, filters, previous)
    current, before = totals(series), totals(prev_series)
    kpis = {
        key: {"value": current[key], "previous": before[key], "change": None} for key in METRICS
    }
    for kpi in kpis.values():
        kpi["change"] = pct_change(kpi["value"], kpi["previous"])
    campaign_ids = set(ctx.campaign_ids)
    return {
        "period": period,
        "previous_period": previous,
        "latest": ctx.latest,
        "currency": ctx.currency,
        "filters": filters,
        "kpis": kpis,
        "series": series,
        "previous_series": prev_series,
        "channels": channel_rows(ctx, filters, period),
        "has_ad_data": bool(series["spend"].sum() > 0 or series["impressions"].sum() > 0),
        "unknown_campaigns": [c for c in filters.campaigns if c not in campaign_ids],
    }


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

    return _BASE_CACHE.get_or_set(("creatives", ctx.org_id, ctx.fingerprint), load)


def _creative_totals(ctx: OrgContext, period: Period) -> pd.DataFrame:
    """Sums per creative over the period (SQL GROUP BY creative_id), indexed by creative id."""

    def load() -> pd.DataFrame:
        m = AdMetricDaily
        stmt = (
            select(
                m.creative_id,
                cast(func.sum(m.spend), Float),
                cast(func.sum(m.platform_revenue), Float),
                cast(func.sum(m.impressions), Float),
                cast(func.sum(m.clicks), Float),
                cast(func.sum(m.conversions), Float),
            )
            .where(m.org_id == ctx.org_id, m.date >= period.start, m.date <= period.end)
            .group_by(m.creative_id)
        )
        df = _read(stmt, ["creative_id", *SUM_COLUMNS], big=True)
        for col in SUM_COLUMNS:
            df[col] = pd.to_numeric(df[col], errors="coerce").fillna(0.0).astype(float)
        return df.set_index("creative_id")

    return _VIEW_CACHE.get_or_set(("ctotals", ctx.org_id, ctx.fingerprint, period), load)


def _leaderboard(ctx: OrgContext, filters: Filters, period: Period, limit: int) -> list[dict]:
    meta = _creative_meta(ctx)
    totals = _creative_totals(ctx, period).join(meta, how="inner")
    if filters.platforms:
        totals = totals[totals["platform"].isin(filters.platforms)]
    if filters.campaigns:
        totals = totals[totals["campaign_id"].isin(filters.campaigns)]
    if totals.empty:
        return []
    top = (
        totals.reset_index()
        .sort_values(["spend", "creative_id"], ascending=[False, True], kind="stable")
        .head(limit)
    )
    ids = [int(i) for i in top["creative_id"]]
    trends = _roas_trends(ctx, ids, period) if len(ids) <= LEADERBOARD_SIZE else {}
    rows = []
    for r in top.itertuples(index=False):
        rows.append(
            {
                "id": int(r.creative_id),
                "external_id": r.external_id,
                "name": r.name or r.external_id,
                "platform": r.platform,
                "campaign_id": int(r.campaign_id) if r.campaign_id >= 0 else None,
                "spend": float(r.spend),
                "platform_revenue": float(r.platform_revenue),
                "impressions": float(r.impressions),
                "clicks": float(r.clicks),
                "conversions": float(r.conversions),
                "roas": _ratio(r.platform_revenue, r.spend),
                "ctr": _ratio(r.clicks, r.impressions),
                "cpa": _ratio(r.spend, r.conversions),
                "trend": trends.get(int(r.creative_id), []),
            }
        )
    return rows


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
    if df.empty:
        return {}
    step = 1 if period.days <= 45 else 7
    n_buckets = -(-period.days // step)
    age = (pd.Timestamp(period.end) - pd.to_datetime(df["date"])).dt.days
    df["bucket"] = n_buckets - 1 - age // step
    grouped = df.groupby(["creative_id", "bucket"])[["spend", "revenue"]].sum()
    out: dict[int, list] = {}
    for cid, part in grouped.groupby(level=0):
        full = part.droplevel(0).reindex(range(n_buckets), fill_value=0.0)
        out[int(cid)] = [
            float(r) / float(s) if s > 0 else None
            for s, r in zip(full["spend"], full["revenue"], strict=True)
        ]
    return out


# ---- cohorts -------------------------------------------------------------------------------
def cohort_curves(ctx: OrgContext, max_cohorts: int = 6) -> list[dict]:
    """Monthly first-order cohorts: cumulative revenue per customer at 30/60/90/… days.

    Only matured points are given (every customer of the cohort had that many days).
    """
    if ctx.latest_order is None:
        return []
    table = _BASE_CACHE.get_or_set(
        ("cohorts", ctx.org_id, ctx.fingerprint), lambda: _cohort_table(ctx)
    )
    if table.empty:
        return []
    as_of = ctx.latest_order
    out = []
    for cohort, rows in table.groupby("cohort", sort=True):
        customers = int(rows["new_customers"].sum())
        if customers == 0:
            continue
        year, month = (int(x) for x in str(cohort).split("-"))
        month_end = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
        by_bucket = rows.groupby("bucket")["revenue"].sum()
        cumulative = by_bucket.reindex(range(max(COHORT_HORIZONS) // COHORT_STEP_DAYS)).fillna(0)
        cumulative = cumulative.cumsum()
        points = [
            (h, float(cumulative.iloc[h // COHORT_STEP_DAYS - 1]) / customers)
            for h in COHORT_HORIZONS
            if (as_of - month_end).days >= h
        ]
        if points:
            out.append({"cohort": str(cohort), "customers": customers, "points": points})
    return out[-max_cohorts:]


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
SERIES_ALIASES = {
    "spend": "spend",
    "ad_spend": "spend",
    "store_revenue": "store_revenue",
    "revenue": "store_revenue",
    "mer": "mer",
    "blended_roas": "mer",
    "roas": "roas",
    "platform_roas": "roas",
    "cpa": "cpa",
    "ctr": "ctr",
    "orders": "orders",
}


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
    return {
        "anomalies": normalize_anomalies(oracle.get("anomalies")),
        "fatigue": normalize_fatigue(oracle.get("fatigue")),
    }


def normalize_anomalies(raw: Any) -> list[dict]:
    """Each anomaly per flagged series: {date, series, platform, direction, severity, z, ...}.

    An anomaly may flag several series at once (`series_flagged`); the chart marks whichever
    one is shown, and `primary` marks the entry the text list names.
    """
    if isinstance(raw, dict):
        raw = raw.get("items") or raw.get("anomalies") or []
    out: list[dict] = []
    seen: set[tuple] = set()
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            day = _as_date(item.get("date"))
        except (TypeError, ValueError):
            continue
        if day is None:
            continue
        platform = item.get("platform") if item.get("platform") in AD_PLATFORMS else None
        hints = item.get("cause_hints") if isinstance(item.get("cause_hints"), list) else []
        hint = next((h.get("text") for h in hints if isinstance(h, dict) and h.get("text")), None)
        flagged = item.get("series_flagged") if isinstance(item.get("series_flagged"), list) else []
        primary = True
        for part in [item, *[f for f in flagged if isinstance(f, dict)]]:
            series = SERIES_ALIASES.get(str(part.get("series") or part.get("metric") or "").lower())
            if series is None or (day, series, platform) in seen:
                continue
            seen.add((day, series, platform))
            out.append(
                {
                    "date": day,
                    "series": series,
                    "platform": platform,
                    "direction": part.get("direction") or item.get("direction"),
                    "severity": item.get("severity"),
                    "z": _num(part.get("z")),
                    "expected": _num(part.get("expected")),
                    "actual": _num(part.get("actual")),
                    "hint": hint,
                    "primary": primary,
                    "context": [str(c) for c in item.get("context") or [] if c],
                    "summary": str(item.get("summary") or ""),
                }
            )
            primary = False
    return out


def normalize_fatigue(raw: Any) -> dict[str, dict]:
    """Fatigued creatives keyed by external id and by name (lower case), with a probability."""
    if isinstance(raw, dict):
        items = raw.get("creatives") or raw.get("items")
        if items is None:
            items = [dict(v, creative_id=k) if isinstance(v, dict) else {} for k, v in raw.items()]
        raw = items
    out: dict[str, dict] = {}
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        prob = next(
            (
                _num(item.get(k))
                for k in ("prob_7d", "probability_7d", "fatigue_probability_7d", "probability")
                if _num(item.get(k)) is not None
            ),
            None,
        )
        action = item.get("recommendation") or item.get("recommended_action") or item.get("action")
        info = {"probability": prob, "action": str(action).replace("_", " ") if action else None}
        for key in (item.get("creative_id"), item.get("external_id"), item.get("id")):
            if key not in (None, ""):
                out[f"id:{key}"] = info
        name = item.get("creative_name") or item.get("name")
        if name:
            out[f"name:{str(name).strip().lower()}"] = info
    return out


def fatigue_for(fatigue: Mapping[str, dict], external_id: str, name: str) -> dict | None:
    """The fatigue entry of a creative, matched by external id first, then by name."""
    return fatigue.get(f"id:{external_id}") or fatigue.get(f"name:{(name or '').strip().lower()}")


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


# ---- exports -------------------------------------------------------------------------------
DAILY_EXPORT_COLUMNS = [
    "date",
    "spend",
    "platform_revenue",
    "roas",
    "impressions",
    "clicks",
    "ctr",
    "conversions",
    "cpa",
    "store_revenue",
    "orders",
    "total_ad_spend",
    "mer",
]
CREATIVE_EXPORT_COLUMNS = [
    "rank",
    "creative_id",
    "creative_name",
    "platform",
    "spend",
    "platform_revenue",
    "roas",
    "impressions",
    "clicks",
    "ctr",
    "conversions",
    "cpa",
    "fatigue_probability",
]


def daily_export(ctx: OrgContext, filters: Filters) -> tuple[Period | None, list[list[Any]]]:
    """The daily series the page charts, one row per day of the period (CSV-ready values)."""
    if not ctx.has_data:
        return None, []
    period = resolve_period(filters, ctx.latest)  # type: ignore[arg-type]
    series = daily_series(ctx, filters, period)
    rows = []
    for day, r in series.iterrows():
        rows.append(
            [
                day.date().isoformat(),
                _money(r["spend"]),
                _money(r["platform_revenue"]),
                _round(r["roas"], 4),
                _int(r["impressions"]),
                _int(r["clicks"]),
                _round(r["ctr"], 6),
                _round(r["conversions"], 2),
                _round(r["cpa"], 2),
                _money(r["store_revenue"]),
                _int(r["orders"]),
                _money(r["total_spend"]),
                _round(r["mer"], 4),
            ]
        )
    return period, rows


def creative_export(
    ctx: OrgContext, filters: Filters, limit: int = LEADERBOARD_SIZE
) -> tuple[Period | None, list[list[Any]]]:
    """The creative leaderboard of the page (top `limit` by spend) as CSV-ready rows."""
    if not ctx.has_data:
        return None, []
    period = resolve_period(filters, ctx.latest)  # type: ignore[arg-type]
    fatigue = brain_overlays(ctx)["fatigue"]
    rows = []
    for rank, r in enumerate(creative_leaderboard(ctx, filters, period, limit), start=1):
        fat = fatigue_for(fatigue, r["external_id"], r["name"])
        rows.append(
            [
                rank,
                r["external_id"],
                r["name"],
                r["platform"],
                _money(r["spend"]),
                _money(r["platform_revenue"]),
                _round(r["roas"], 4),
                _int(r["impressions"]),
                _int(r["clicks"]),
                _round(r["ctr"], 6),
                _round(r["conversions"], 2),
                _round(r["cpa"], 2),
                _round(fat.get("probability") if fat else None, 3),
            ]
        )
    return period, rows


def _round(value: Any, digits: int) -> float | str:
    if value is None or pd.isna(value):
        return ""
    value = float(value)
    return "" if not np.isfinite(value) else round(value, digits)


def _int(value: Any) -> int | str:
    return "" if value is None or pd.isna(value) else int(value)


def _money(value: Any) -> float | str:
    return _round(value, 2)
