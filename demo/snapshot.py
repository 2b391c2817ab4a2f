"""The demo's data: the snapshot files in demo/data/, re-anchored so the latest day is yesterday.

The files come from `flask --app app demo export` (api/demo_export.py). This module loads them
once, shifts every date by whole days (month labels by whole months) so the demo never looks
stale, and answers the Analytics page's questions with the product's pure read model
(readmodels.analytics): the frames it builds are the ones the product's SQL GROUP BYs return.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from readmodels import analytics as rm

DATA = Path(__file__).resolve().parent / "data"
SUMS = list(rm.SUM_COLUMNS)
_DAY = re.compile(r"(?<!\d)(20\d\d)-(\d\d)-(\d\d)(?![\d])")
_MONTH = re.compile(r"(?<![\d-])(20\d\d)-(\d\d)(?![\d-])")


# ---- re-anchoring ----------------------------------------------------------------------------
def _shift_day(m: re.Match, days: int) -> str:
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return m.group(0)
    return (day + timedelta(days=days)).isoformat()


def _shift_month(m: re.Match, months: int) -> str:
    index = int(m.group(1)) * 12 + int(m.group(2)) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def shift_text(text: str, days: int, months: int) -> str:
    """Every ISO date (and YYYY-MM month) inside a string, moved by `days` (`months`)."""
    if not days and not months:
        return text
    text = _DAY.sub(lambda m: _shift_day(m, days), text)
    return _MONTH.sub(lambda m: _shift_month(m, months), text)


def shift(obj: Any, days: int, months: int) -> Any:
    """A JSON-like structure with every date in it moved (keys too: they can be dates)."""
    if isinstance(obj, str):
        return shift_text(obj, days, months)
    if isinstance(obj, list):
        return [shift(v, days, months) for v in obj]
    if isinstance(obj, dict):
        return {shift_text(k, days, months): shift(v, days, months) for k, v in obj.items()}
    return obj


def offsets(as_of: date, today: date) -> tuple[int, int]:
    """(days, months) that move the data's last day to yesterday."""
    target = today - timedelta(days=1)
    months = (target.year * 12 + target.month) - (as_of.year * 12 + as_of.month)
    return (target - as_of).days, months


# ---- the snapshot ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    state: dict[str, Any]
    narratives: dict[str, str]
    as_of: date
    currency: str
    ad_bounds: tuple[date | None, date | None]
    order_bounds: tuple[date | None, date | None]
    campaigns: tuple[dict, ...]
    creatives: pd.DataFrame  # indexed by creative_id: external_id, name, platform, campaign_id
    ads: pd.DataFrame  # date, creative_id, platform, campaign_id, sums (sorted by date)
    store_days: pd.DataFrame  # indexed by date: store_revenue, orders
    total_spend: pd.Series  # all-channel spend per day
    cohorts: list[dict]
    connections: list[dict]
    history: list[dict]

    @property
    def earliest(self) -> date | None:
        dates = [d for d in (self.ad_bounds[0], self.order_bounds[0]) if d]
        return min(dates) if dates else None

    @property
    def campaign_ids(self) -> set[int]:
        return {c["id"] for c in self.campaigns}

    # ---- analytics, the product's read model over the snapshot's frames -------------------
    def cube(self, filters: rm.Filters, start: date, end: date) -> pd.DataFrame:
        """Date x platform sums of the period for the filters (what the product's SQL gives)."""
        ads = self.ads
        if filters.campaigns:
            known = [c for c in filters.campaigns if c in self.campaign_ids]
            ads = ads[ads["campaign_id"].isin(known)]
        ads = ads[(ads["date"] >= pd.Timestamp(start)) & (ads["date"] <= pd.Timestamp(end))]
        if filters.platforms:
            ads = ads[ads["platform"].isin(filters.platforms)]
        return ads.groupby(["date", "platform"], as_index=False)[SUMS].sum()

    def daily_series(self, filters: rm.Filters, period: rm.Period) -> pd.DataFrame:
        return rm.series_from_frames(
            self.cube(filters, period.start, period.end),
            self.store_days,
            self.total_spend,
            period,
            self.ad_bounds,
            self.order_bounds,
        )

    def analytics_view(self, filters: rm.Filters) -> dict[str, Any]:
        period = rm.resolve_period(filters, self.as_of)
        previous = rm.comparison(filters, period)
        return rm.view_from_series(
            filters,
            period,
            self.daily_series(filters, period),
            self.daily_series(filters, previous),
            rm.channel_rows_from(
                self.cube(filters, period.start, period.end),
                self.cube(filters, previous.start, previous.end),
            ),
            self.as_of,
            self.currency,
            self.campaign_ids,
        )

    def _in_period(self, period: rm.Period) -> pd.DataFrame:
        ads = self.ads
        return ads[
            (ads["date"] >= pd.Timestamp(period.start)) & (ads["date"] <= pd.Timestamp(period.end))
        ]

    def leaderboard(
        self, filters: rm.Filters, period: rm.Period, limit: int = rm.LEADERBOARD_SIZE
    ) -> list[dict]:
        part = self._in_period(period)
        totals = part.groupby("creative_id")[SUMS].sum()
        joined = totals.join(self.creatives, how="inner")

        def trends(ids: list[int]) -> dict[int, list]:
            rows = part[part["creative_id"].isin(ids)]
            df = rows[["creative_id", "date", "spend", "platform_revenue"]].rename(
                columns={"platform_revenue": "revenue"}
            )
            return rm.roas_trends_from(df.reset_index(drop=True), period)

        return rm.leaderboard_from(joined, filters, limit, trends)

    def overlays(self) -> dict[str, Any]:
        oracle = self.state.get("oracle") or {}
        return {
            "anomalies": rm.normalize_anomalies(oracle.get("anomalies")),
            "fatigue": rm.normalize_fatigue(oracle.get("fatigue")),
            "calibration": rm.calibration_of(self.state),
        }

    def daily_export(self, filters: rm.Filters) -> tuple[rm.Period, list[list[Any]]]:
        period = rm.resolve_period(filters, self.as_of)
        compared = self.daily_series(filters, rm.comparison(filters, period))
        return period, rm.daily_export_rows(self.daily_series(filters, period), filters, compared)

    def creative_export(
        self, filters: rm.Filters, limit: int = rm.LEADERBOARD_SIZE
    ) -> tuple[rm.Period, list[list[Any]]]:
        period = rm.resolve_period(filters, self.as_of)
        rows = self.leaderboard(filters, period, limit)
        overlays = self.overlays()
        return period, rm.creative_export_rows(rows, overlays["fatigue"], overlays["calibration"])


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def load(today: date | None = None, data: Path = DATA) -> Snapshot:
    """Read the snapshot files and move their dates so the last data day is yesterday."""
    today = today or datetime.now(UTC).date()
    meta = json.loads((data / "analytics.json").read_text(encoding="utf-8"))
    days, months = offsets(date.fromisoformat(meta["as_of"]), today)

    def read_json(name: str) -> Any:
        return shift(json.loads((data / name).read_text(encoding="utf-8")), days, months)

    meta = shift(meta, days, months)
    state = read_json("brain_state.json")
    integrations = read_json("integrations.json")
    creatives = pd.DataFrame(meta["creatives"]).rename(columns={"id": "creative_id"})
    creatives["campaign_id"] = creatives["campaign_id"].astype("int64")
    creatives = creatives.set_index("creative_id")
    ads = pd.read_csv(data / "ad_daily.csv", parse_dates=["date"])
    ads = ads.rename(columns={"creative": "creative_id"})
    ads["date"] = ads["date"] + pd.Timedelta(days=days)
    for col in SUMS:
        ads[col] = ads[col].astype(float)
    ads = ads.join(creatives[["platform", "campaign_id"]], on="creative_id")
    ads = ads.sort_values(["date", "creative_id"], kind="stable").reset_index(drop=True)
    store = pd.read_csv(data / "store_daily.csv", parse_dates=["date"])
    store["date"] = store["date"] + pd.Timedelta(days=days)
    store = store.set_index("date")[["store_revenue", "orders"]].astype(float)
    return Snapshot(
        state=state,
        narratives=read_json("narratives.json"),
        as_of=date.fromisoformat(meta["as_of"]),
        currency=meta.get("currency") or "USD",
        ad_bounds=(_d(meta["ad_bounds"][0]), _d(meta["ad_bounds"][1])),
        order_bounds=(_d(meta["order_bounds"][0]), _d(meta["order_bounds"][1])),
        campaigns=tuple(meta["campaigns"]),
        creatives=creatives,
        ads=ads,
        store_days=store,
        total_spend=ads.groupby("date")["spend"].sum(),
        cohorts=[dict(c, points=[tuple(p) for p in c["points"]]) for c in meta["cohorts"]],
        connections=[_with_datetimes(c) for c in integrations["connections"]],
        history=[_with_datetimes(h) for h in integrations["history"]],
    )


_TIMES = ("created_at", "started_at", "finished_at", "last_synced_at", "token_expires_at")


def _with_datetimes(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in _TIMES:
        if isinstance(out.get(key), str):
            out[key] = datetime.fromisoformat(out[key])
    if isinstance(out.get("latest_sync"), dict):
        out["latest_sync"] = _with_datetimes(out["latest_sync"])
    return out
