"""Analytics read model, pure half: filters, periods, and small frames -> page data.

The product (models/analytics.py) loads the frames with SQL GROUP BYs and caches them; the
sales demo (demo/) loads the same frames from its snapshot. Both then call these functions, so
the Analytics page shows the same numbers either way. Only numpy and pandas: no Flask,
SQLAlchemy, Dash or I/O here (tests/unit/test_rooms.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import numpy as np
import pandas as pd

AD_PLATFORMS = ("meta", "google_ads", "tiktok")  # = models.data.AD_PLATFORMS (a test checks)

RANGE_DAYS = {"7d": 7, "14d": 14, "30d": 30, "90d": 90}
RANGES = ("today", "yesterday", *RANGE_DAYS, "mtd", "last_month", "ytd", "custom")
# What each period is compared with: the period just before (same length), the same dates a
# year earlier, the 52 weeks earlier (same weekdays: Mondays against Mondays), or nothing.
COMPARES = ("previous", "year", "weekday", "none")
DEFAULT_COMPARE = "previous"
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
    compare: str = DEFAULT_COMPARE

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
        if self.compare != DEFAULT_COMPARE:
            params.append(("compare", self.compare))
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
    values: dict[str, Any] = _parse_range(params, problems)
    values["platforms"] = _parse_platforms(params, problems)
    values["campaigns"] = _parse_campaigns(params, problems)
    values["metric"] = _parse_choice(params, "metric", METRICS, DEFAULT_METRIC, problems)
    values["compare"] = _parse_choice(params, "compare", COMPARES, DEFAULT_COMPARE, problems)
    return Filters(**values), problems


def _parse_range(params: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """{"range"} and, for a valid custom range, {"start", "end"}."""
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
    return values


def _parse_platforms(params: Mapping[str, str], problems: list[str]) -> tuple[str, ...]:
    platforms = _split(params.get("platform", "").lower())
    bad = [p for p in platforms if p not in AD_PLATFORMS]
    if bad:
        problems.append(
            f"platform must be among {', '.join(AD_PLATFORMS)}, got {', '.join(bad)[:60]!r}"
        )
    chosen = tuple(p for p in AD_PLATFORMS if p in platforms)
    return () if len(chosen) == len(AD_PLATFORMS) else chosen


def _parse_campaigns(params: Mapping[str, str], problems: list[str]) -> tuple[int, ...]:
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
    return tuple(sorted(set(campaigns)))


def _parse_choice(
    params: Mapping[str, str], name: str, allowed: Sequence[str], default: str, problems: list[str]
) -> str:
    """One of ``allowed`` (the metric, the comparison); else the default, reported."""
    value = params.get(name, default).strip().lower() or default
    if value not in allowed:
        problems.append(f"{name} must be one of {', '.join(allowed)}, got {value[:20]!r}")
        value = default
    return value


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
    if filters.range == "today":
        return Period(latest, latest)
    if filters.range == "yesterday":
        return Period(latest - timedelta(days=1), latest - timedelta(days=1))
    if filters.range == "last_month":
        end = latest.replace(day=1) - timedelta(days=1)
        return Period(end.replace(day=1), end)
    if filters.range == "ytd":
        return Period(latest.replace(month=1, day=1), latest)
    if filters.start and filters.end:
        return Period(filters.start, filters.end)
    return resolve_period(replace(filters, range=DEFAULT_RANGE), latest)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def comparison(filters: Filters, period: Period) -> Period:
    """The period the numbers are compared with (see COMPARES); 'none' still returns the
    previous period for the chart's faint line, but the view shows no change."""
    if filters.compare == "year":
        return Period(_year_earlier(period.start), _year_earlier(period.end))
    if filters.compare == "weekday":
        return Period(period.start - timedelta(weeks=52), period.end - timedelta(weeks=52))
    return period.previous()


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


# ---- frames -> the view (the loaders differ: SQL in the product, a snapshot in the demo) ----
def outside(index: pd.DatetimeIndex, first: date | None, last: date | None) -> np.ndarray:
    """Days of the index outside [first, last] (all of them when there is no data)."""
    if first is None or last is None:
        return np.ones(len(index), dtype=bool)
    return np.asarray((index < pd.Timestamp(first)) | (index > pd.Timestamp(last)))


def series_from_frames(
    cube: pd.DataFrame,
    order_days: pd.DataFrame,
    total_spend: pd.Series,
    period: Period,
    ad_bounds: tuple[date | None, date | None],
    order_bounds: tuple[date | None, date | None],
) -> pd.DataFrame:
    """Every day of the period with the ratios: 0 where nothing happened, NaN (no line, no
    bar, "no previous data") on days outside the org's data, so nothing pretends to be zero.

    cube: date x platform sums of the period for the filters; order_days: store revenue and
    orders per local day; total_spend: all-channel spend per day (MER ignores filters).
    """
    ads = cube.groupby("date")[list(SUM_COLUMNS)].sum()
    index = period.dates()
    frame = ads.reindex(index, fill_value=0.0)
    orders = order_days.reindex(index, fill_value=0.0)
    frame["store_revenue"] = orders["store_revenue"].to_numpy()
    frame["orders"] = orders["orders"].to_numpy()
    frame["total_spend"] = total_spend.reindex(index, fill_value=0.0).to_numpy()
    ad_cols = [*SUM_COLUMNS, "total_spend"]
    frame.loc[outside(index, *ad_bounds), ad_cols] = np.nan
    frame.loc[outside(index, *order_bounds), ["store_revenue", "orders"]] = np.nan
    frame.index.name = "date"
    return add_ratios(frame)


def channel_rows_from(cube: pd.DataFrame, prev: pd.DataFrame) -> list[dict]:
    """Per platform over the period: spend, platform revenue, ROAS, CPA, CTR, share of spend."""
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


def view_from_series(
    filters: Filters,
    period: Period,
    series: pd.DataFrame,
    prev_series: pd.DataFrame,
    channels: list[dict],
    latest: date,
    currency: str,
    campaign_ids: set[int],
) -> dict[str, Any]:
    """Everything the top of the page shows: KPIs vs the previous period, series, channels."""
    current, before = totals(series), totals(prev_series)
    kpis = {
        key: {"value": current[key], "previous": before[key], "change": None} for key in METRICS
    }
    for kpi in kpis.values():
        if filters.compare != "none":
            kpi["change"] = pct_change(kpi["value"], kpi["previous"])
    return {
        "period": period,
        "previous_period": comparison(filters, period),
        "latest": latest,
        "currency": currency,
        "filters": filters,
        "kpis": kpis,
        "series": series,
        "previous_series": prev_series,
        "channels": channels,
        "has_ad_data": bool(series["spend"].sum() > 0 or series["impressions"].sum() > 0),
        "unknown_campaigns": [c for c in filters.campaigns if c not in campaign_ids],
    }


def leaderboard_from(
    totals_meta: pd.DataFrame,
    filters: Filters,
    limit: int,
    trends: Callable[[list[int]], dict[int, list]],
) -> list[dict]:
    """Top creatives by spend from per-creative sums joined with their metadata (indexed by
    creative id); `trends(ids)` gives the ROAS sparklines of the page's top 20."""
    if filters.platforms:
        totals_meta = totals_meta[totals_meta["platform"].isin(filters.platforms)]
    if filters.campaigns:
        totals_meta = totals_meta[totals_meta["campaign_id"].isin(filters.campaigns)]
    if totals_meta.empty:
        return []
    top = (
        totals_meta.reset_index()
        .sort_values(["spend", "creative_id"], ascending=[False, True], kind="stable")
        .head(limit)
    )
    ids = [int(i) for i in top["creative_id"]]
    by_id = trends(ids) if len(ids) <= LEADERBOARD_SIZE else {}
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
                "trend": by_id.get(int(r.creative_id), []),
            }
        )
    return rows


def roas_trends_from(df: pd.DataFrame, period: Period) -> dict[int, list]:
    """Daily ROAS per creative from rows (creative_id, date, spend, revenue) of the period;
    weekly buckets past 45 days, so a sparkline stays readable."""
    if df.empty:
        return {}
    step = 1 if period.days <= 45 else 7
    n_buckets = -(-period.days // step)
    age = (pd.Timestamp(period.end) - pd.to_datetime(df["date"])).dt.days
    df = df.assign(bucket=n_buckets - 1 - age // step)
    grouped = df.groupby(["creative_id", "bucket"])[["spend", "revenue"]].sum()
    out: dict[int, list] = {}
    for cid, part in grouped.groupby(level=0):
        full = part.droplevel(0).reindex(range(n_buckets), fill_value=0.0)
        out[int(cid)] = [
            float(r) / float(s) if s > 0 else None
            for s, r in zip(full["spend"], full["revenue"], strict=True)
        ]
    return out


def cohort_curves_from(table: pd.DataFrame, as_of: date, max_cohorts: int = 6) -> list[dict]:
    """Monthly first-order cohorts from a (cohort 'YYYY-MM', bucket, revenue, new_customers)
    table: cumulative revenue per customer at 30/60/90/… days, matured points only."""
    if table.empty:
        return []
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


def as_date(value: Any) -> date | None:
    """A date from a date, a datetime or an ISO string (None stays None)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


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
            day = as_date(item.get("date"))
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


# ---- one ROAS per creative ------------------------------------------------------------------
# A creative's primary ROAS is the calibrated one the brain judges it by: platform-reported
# revenue ÷ spend × the org's calibration (memory.totals.calibration: what share of platform
# revenue the store really sees). The platform-reported figure is only a labelled detail. The
# overview, analytics, the actions, the PDF and the CSV all use these two functions.
def calibration_of(state: Mapping[str, Any] | None) -> float | None:
    """The brain's calibration factor of a state (None without one)."""
    totals = ((state or {}).get("memory") or {}).get("totals") or {}
    return _num(totals.get("calibration"))


def primary_roas(platform_roas: Any, calibration: float | None) -> float | None:
    """A creative's one ROAS: platform-reported × calibration (platform-reported without one)."""
    value = _num(platform_roas)
    if value is None:
        return None
    return value * calibration if calibration is not None else value


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
    "platforms",
    "campaigns",
    "spend",
    "platform_revenue",
    "roas",
    "impressions",
    "clicks",
    "ctr_pct",
    "conversions",
    "cpa",
    "store_revenue",
    "orders",
    "total_ad_spend",
    "mer",
    "compared_date",
    "compared_spend",
    "compared_store_revenue",
    "compared_mer",
    "spend_change_pct",
]
CREATIVE_EXPORT_COLUMNS = [
    "rank",
    "creative_id",
    "creative_name",
    "platform",
    "spend",
    "platform_revenue",
    "roas",
    "platform_reported_roas",
    "impressions",
    "clicks",
    "ctr_pct",
    "conversions",
    "cpa",
    "fatigue_probability",
]


def _round(value: Any, digits: int) -> float | str:
    if value is None or pd.isna(value):
        return ""
    value = float(value)
    return "" if not np.isfinite(value) else round(value, digits)


def _int(value: Any) -> int | str:
    return "" if value is None or pd.isna(value) else int(value)


def _money(value: Any) -> float | str:
    return _round(value, 2)


def _count(value: Any) -> int | float | str:
    """Conversions as the screen shows them: 243, not 243.0 (fractions keep 2 decimals)."""
    v = _round(value, 2)
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _pct_cell(value: Any) -> float | str:
    """A fraction as the percentage the screen shows (0.0123 -> 1.23)."""
    v = _round(value, 8)
    return v if v == "" else round(float(v) * 100, 4)


def daily_export_rows(
    series: pd.DataFrame,
    filters: Filters | None = None,
    compared: pd.DataFrame | None = None,
) -> list[list[Any]]:
    """The daily series the page charts as CSV-ready rows (DAILY_EXPORT_COLUMNS): the filters
    on every row, and the comparison period's day at the same position (day 1 vs day 1)."""
    filters = filters or Filters()
    platforms = ",".join(filters.platforms) or "all"
    campaigns = ",".join(str(c) for c in filters.campaigns) or "all"
    before = list(compared.iterrows()) if compared is not None else []
    rows = []
    for i, (day, r) in enumerate(series.iterrows()):
        prev_day, prev = (
            before[i] if i < len(before) and filters.compare != "none" else (None, None)
        )
        change = pct_change(float(r["spend"]), float(prev["spend"])) if prev is not None else None
        rows.append(
            [
                day.date().isoformat(),
                platforms,
                campaigns,
                _money(r["spend"]),
                _money(r["platform_revenue"]),
                _round(r["roas"], 4),
                _int(r["impressions"]),
                _int(r["clicks"]),
                _pct_cell(r["ctr"]),
                _count(r["conversions"]),
                _round(r["cpa"], 2),
                _money(r["store_revenue"]),
                _int(r["orders"]),
                _money(r["total_spend"]),
                _round(r["mer"], 4),
                prev_day.date().isoformat() if prev_day is not None else "",
                _money(prev["spend"]) if prev is not None else "",
                _money(prev["store_revenue"]) if prev is not None else "",
                _round(prev["mer"], 4) if prev is not None else "",
                _round(change * 100 if change is not None else None, 2),
            ]
        )
    return rows


def creative_export_rows(
    rows: list[dict], fatigue: Mapping[str, dict], calibration: float | None = None
) -> list[list[Any]]:
    """Leaderboard rows as CSV-ready rows (CREATIVE_EXPORT_COLUMNS): `roas` is the creative's
    one ROAS (calibrated, as on the page), `platform_reported_roas` the platform's figure."""
    out = []
    for rank, r in enumerate(rows, start=1):
        fat = fatigue_for(fatigue, r["external_id"], r["name"])
        out.append(
            [
                rank,
                r["external_id"],
                r["name"],
                r["platform"],
                _money(r["spend"]),
                _money(r["platform_revenue"]),
                _round(primary_roas(r["roas"], calibration), 4),
                _round(r["roas"], 4),
                _int(r["impressions"]),
                _int(r["clicks"]),
                _pct_cell(r["ctr"]),
                _count(r["conversions"]),
                _round(r["cpa"], 2),
                _round(fat.get("probability") if fat else None, 3),
            ]
        )
    return out


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A CSV export's body (formula-looking text defused)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def export_filename(stem: str, period: Period | None, filters: Filters | None = None) -> str:
    """'analytics_daily_2025-06-01_2025-06-30_meta_c12-14_vs-year.csv': the filters in the name."""
    if period is None:
        return f"{stem}.csv"
    parts = [stem, period.start.isoformat(), period.end.isoformat()]
    if filters is not None:
        if filters.platforms:
            parts.append("-".join(filters.platforms))
        if filters.campaigns:
            parts.append("c" + "-".join(str(c) for c in filters.campaigns[:5]))
        if filters.compare != DEFAULT_COMPARE:
            parts.append(f"vs-{filters.compare}")
    return "_".join(parts) + ".csv"


def export_limit(raw: str) -> int:
    """The creatives export's ?limit=: '' or '20' (the page's top 20), 'all', or 1..10000."""
    if raw in ("", "20"):
        return LEADERBOARD_SIZE
    if raw == "all":
        return MAX_EXPORT_CREATIVES
    # ASCII digits only ("²".isdigit() is True) and short enough to parse.
    if raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= MAX_EXPORT_CREATIVES:
        return int(raw)
    raise FilterError(f"limit must be 'all' or a number from 1 to {MAX_EXPORT_CREATIVES}")
