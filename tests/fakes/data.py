"""Deterministic seed data for the fakes.

:class:`AdDataset` serves "N ads × D days" of daily ad metrics without materializing
them: row ``i`` of a date range is computed on demand from an integer hash, so a
3,000 × 90 = 270k-row backfill costs only the rows actually paged. Custom data can be
passed as a list of normalized dicts (``AdDataset.from_rows``).

:class:`OrderDataset` is a small, materialized list of Shopify orders with repeat
customers, guests, refunds and UTM sources.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(*columns: np.ndarray) -> np.ndarray:
    """SplitMix64-style hash of integer columns (vectorized, deterministic)."""
    h = np.full(columns[0].shape, 0x9E3779B97F4A7C15, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in columns:
            h = (h ^ col.astype(np.uint64)) * _M1
            h = (h ^ (h >> np.uint64(27))) * _M2
            h ^= h >> np.uint64(31)
    return h


def _unit(h: np.ndarray, shift: int) -> np.ndarray:
    return ((h >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.float64) / 65535.0


def yesterday() -> dt.date:
    return dt.date.today() - dt.timedelta(days=1)


class AdDataset:
    """Daily metrics for ``n_ads`` ads over ``n_days`` days ending ``end`` (inclusive).

    Rows are normalized dicts: date, campaign_id, campaign_name, creative_id,
    creative_name, spend, impressions, clicks, conversions (int), platform_revenue,
    reach, frequency. Order within a date range is day-major, then ad index.
    """

    def __init__(
        self,
        platform: str = "meta",
        n_ads: int = 12,
        n_days: int = 30,
        end: dt.date | None = None,
        seed: int = 7,
        ads_per_campaign: int = 4,
        rows: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        self.platform = platform
        self.seed = seed
        self.restated: dict[dt.date, float] = {}
        self._rows: list[dict[str, Any]] | None = None
        if rows is not None:
            self._rows = sorted(
                (dict(r) for r in rows), key=lambda r: (r["date"], str(r["creative_id"]))
            )
            dates = [r["date"] for r in self._rows]
            self.start = min(dates) if dates else (end or yesterday())
            self.end = max(dates) if dates else (end or yesterday())
            self.n_ads = len({r["creative_id"] for r in self._rows})
            self.n_days = (self.end - self.start).days + 1
            return
        self.n_ads = n_ads
        self.n_days = n_days
        self.end = end or yesterday()
        self.start = self.end - dt.timedelta(days=n_days - 1)
        rng = random.Random(seed)
        prefix = {"meta": "23850", "google_ads": "6", "tiktok": "17"}.get(platform, "9")
        self._ad_ids = [f"{prefix}{seed:03d}{i:06d}" for i in range(n_ads)]
        self._ad_names = [f"{platform} creative {i + 1:04d}" for i in range(n_ads)]
        n_campaigns = max(1, -(-n_ads // ads_per_campaign))
        self._camp_ids = [f"{prefix}{seed:03d}9{c:05d}" for c in range(n_campaigns)]
        self._camp_names = [f"{platform} campaign {c + 1}" for c in range(n_campaigns)]
        self._ads_per_campaign = ads_per_campaign
        # per-ad levels
        self._spend = np.array([round(rng.uniform(20, 400), 2) for _ in range(n_ads)])
        self._cpm = np.array([rng.uniform(6, 18) for _ in range(n_ads)])
        self._ctr = np.array([rng.uniform(0.006, 0.025) for _ in range(n_ads)])
        self._cvr = np.array([rng.uniform(0.01, 0.06) for _ in range(n_ads)])
        self._aov = np.array([rng.uniform(35, 90) for _ in range(n_ads)])
        self._freq = np.array([rng.uniform(1.05, 2.5) for _ in range(n_ads)])

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]], platform: str = "meta") -> AdDataset:
        """Serve exactly these normalized rows."""
        return cls(platform=platform, rows=list(rows))

    # -- queries ----------------------------------------------------------------------
    def _clip(self, since: dt.date, until: dt.date) -> tuple[dt.date, dt.date] | None:
        lo, hi = max(since, self.start), min(until, self.end)
        return (lo, hi) if lo <= hi else None

    def count(self, since: dt.date, until: dt.date) -> int:
        """Rows in ``[since, until]``."""
        if self._rows is not None:
            return sum(1 for r in self._rows if since <= r["date"] <= until)
        clip = self._clip(since, until)
        return 0 if clip is None else ((clip[1] - clip[0]).days + 1) * self.n_ads

    def slice(self, since: dt.date, until: dt.date, start: int, stop: int) -> list[dict[str, Any]]:
        """Rows ``start:stop`` of the range (day-major order)."""
        if self._rows is not None:
            rows = [r for r in self._rows if since <= r["date"] <= until][start:stop]
            return [self._restate(dict(r)) for r in rows]
        clip = self._clip(since, until)
        if clip is None:
            return []
        total = self.count(since, until)
        idx = np.arange(max(0, start), min(stop, total), dtype=np.int64)
        ads = idx % self.n_ads
        ordinals = clip[0].toordinal() + idx // self.n_ads
        return self._generate(ads, ordinals)

    def rows(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[dict[str, Any]]:
        """All rows of the range (materialized; for assertions)."""
        since = since or self.start
        until = until or self.end
        return self.slice(since, until, 0, self.count(since, until))

    def totals(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> dict[str, float]:
        """Sums of the metric columns over the range (for assertions)."""
        keys = ("spend", "impressions", "clicks", "conversions", "platform_revenue")
        sums = dict.fromkeys(keys, 0.0)
        rows = self.rows(since, until)
        for r in rows:
            for k in keys:
                sums[k] += r[k]
        sums["rows"] = len(rows)
        return sums

    def row(self, ad: int, day: dt.date) -> dict[str, Any]:
        """The generated row of ad index ``ad`` on ``day``."""
        return self._generate(np.array([ad]), np.array([day.toordinal()]))[0]

    def _generate(self, ads: np.ndarray, ordinals: np.ndarray) -> list[dict[str, Any]]:
        if len(ads) == 0:
            return []
        h = _mix(np.full(ads.shape, self.seed), ads, ordinals)
        spend = np.round(self._spend[ads] * (0.6 + 0.8 * _unit(h, 0)), 2)
        impressions = np.maximum(1, (spend / self._cpm[ads] * 1000).astype(np.int64))
        clicks = (impressions * self._ctr[ads] * (0.8 + 0.4 * _unit(h, 16))).astype(np.int64)
        conversions = (clicks * self._cvr[ads] * (0.6 + 0.8 * _unit(h, 32)) + _unit(h, 48)).astype(
            np.int64
        )
        revenue = np.round(conversions * self._aov[ads] * (0.9 + 0.2 * _unit(h, 40)), 2)
        frequency = np.round(self._freq[ads], 4)
        reach = np.maximum(1, (impressions / frequency).astype(np.int64))
        camps = ads // self._ads_per_campaign
        days = {o: dt.date.fromordinal(o) for o in np.unique(ordinals).tolist()}
        ad_ids, ad_names = self._ad_ids, self._ad_names
        camp_ids, camp_names = self._camp_ids, self._camp_names
        out = [
            {
                "date": days[o],
                "campaign_id": camp_ids[c],
                "campaign_name": camp_names[c],
                "creative_id": ad_ids[a],
                "creative_name": ad_names[a],
                "spend": sp,
                "impressions": im,
                "clicks": cl,
                "conversions": cv,
                "platform_revenue": rv,
                "reach": rc,
                "frequency": fq,
            }
            for a, c, o, sp, im, cl, cv, rv, rc, fq in zip(
                ads.tolist(),
                camps.tolist(),
                ordinals.tolist(),
                spend.tolist(),
                impressions.tolist(),
                clicks.tolist(),
                conversions.tolist(),
                revenue.tolist(),
                reach.tolist(),
                frequency.tolist(),
                strict=True,
            )
        ]
        if self.restated:
            out = [self._restate(r) for r in out]
        return out

    # -- restatement ------------------------------------------------------------------
    def restate(self, day: dt.date | None = None, factor: float = 1.5) -> dt.date:
        """From now on, ``day`` (default: the last day, i.e. "yesterday") is restated."""
        day = day or self.end
        self.restated[day] = factor
        return day

    def _restate(self, row: dict[str, Any]) -> dict[str, Any]:
        factor = self.restated.get(row["date"])
        if not factor:
            return row
        row["spend"] = round(row["spend"] * factor, 2)
        row["impressions"] = int(row["impressions"] * factor)
        row["clicks"] = int(row["clicks"] * factor)
        row["conversions"] = int(round(row["conversions"] * factor)) + 1
        row["platform_revenue"] = round(row["platform_revenue"] * factor + 10.0, 2)
        if row.get("reach") is not None:
            row["reach"] = int(row["reach"] * factor)
        return row


@dataclass
class FakeOrder:
    """One order as the Shopify fake stores it."""

    id: int
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    customer_id: int | None
    total_price: float
    refunded: float
    currency: str
    utm_source: str | None
    landing_site: str | None
    is_first: bool = False
    test: bool = False
    cancelled_at: dt.datetime | None = None
    financial_status: str = "PAID"  # Shopify's OrderDisplayFinancialStatus
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.id}"

    @property
    def net(self) -> float:
        return round(max(0.0, self.total_price - self.refunded), 2)


UTM_SOURCES = ("facebook", "google", "tiktok", "instagram", "email", None)


class OrderDataset:
    """Orders over ``n_days`` ending ``end`` for ``n_customers`` customers (+ guests)."""

    def __init__(
        self,
        n_orders: int = 240,
        n_customers: int = 90,
        n_days: int = 120,
        end: dt.date | None = None,
        seed: int = 11,
        currency: str = "USD",
        refund_rate: float = 0.12,
        guest_rate: float = 0.05,
        orders: Sequence[FakeOrder] | None = None,
    ) -> None:
        self.currency = currency
        if orders is not None:
            self.orders = list(orders)
            self._mark_first()
            return
        rng = random.Random(seed)
        end = end or yesterday()
        end_ts = dt.datetime.combine(end, dt.time(23, 0), tzinfo=dt.UTC)
        start_ts = end_ts - dt.timedelta(days=n_days)
        span = (end_ts - start_ts).total_seconds()
        stamps = sorted(
            start_ts + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(n_orders)
        )
        self.orders = []
        for i, created in enumerate(stamps):
            created = created.replace(microsecond=0)
            guest = rng.random() < guest_rate
            customer = None if guest else 5000 + int(rng.paretovariate(1.2) * 7) % n_customers
            total = round(rng.uniform(25, 220), 2)
            refunded = (
                round(total * rng.choice((0.25, 0.5, 1.0)), 2)
                if rng.random() < refund_rate
                else 0.0
            )
            updated = created + dt.timedelta(hours=rng.uniform(0, 72) if refunded else 0.1)
            updated = min(updated, end_ts)  # nothing is updated in the future
            utm = rng.choice(UTM_SOURCES)
            landing = f"/products/serum?utm_source={utm}&utm_medium=paid" if utm else "/"
            self.orders.append(
                FakeOrder(
                    id=820000 + i,
                    name=f"#{1001 + i}",
                    created_at=created,
                    updated_at=updated.replace(microsecond=0),
                    customer_id=customer,
                    total_price=total,
                    refunded=refunded,
                    currency=currency,
                    utm_source=utm,
                    landing_site=landing,
                )
            )
        self._mark_first()

    def _mark_first(self) -> None:
        first: dict[int, FakeOrder] = {}
        counts: dict[int, int] = {}
        for o in sorted(self.orders, key=lambda o: (o.created_at, o.id)):
            if o.customer_id is not None:
                first.setdefault(o.customer_id, o)
                counts[o.customer_id] = counts.get(o.customer_id, 0) + 1
        for o in self.orders:
            o.is_first = o.customer_id is not None and first.get(o.customer_id) is o
        self._first = first
        self._counts = counts
        self._by_id = {o.id: o for o in self.orders}

    def add(self, order: FakeOrder) -> FakeOrder:
        """Add an order (recomputes first-order flags)."""
        self.orders.append(order)
        self._mark_first()
        return order

    def orders_count(self, customer_id: int) -> int:
        return self._counts.get(customer_id, 0)

    def first_order_of(self, customer_id: int) -> FakeOrder | None:
        return self._first.get(customer_id)

    def orders_of(self, customer_id: int) -> list[FakeOrder]:
        return [o for o in self.orders if o.customer_id == customer_id]

    def by_id(self, order_id: int | str) -> FakeOrder | None:
        try:
            oid = int(str(order_id).rsplit("/", 1)[-1])
        except ValueError:
            return None
        return self._by_id.get(oid)

    def sorted_by_updated(self, since: dt.datetime | None = None) -> list[FakeOrder]:
        rows = [o for o in self.orders if since is None or o.updated_at >= since]
        return sorted(rows, key=lambda o: (o.updated_at, o.id))

    def refund(self, order_id: int, amount: float, at: dt.datetime | None = None) -> FakeOrder:
        """Add a refund to an order; it moves to the end of the updated_at order."""
        order = self.by_id(order_id)
        if order is None:
            raise KeyError(order_id)
        order.refunded = round(min(order.total_price, order.refunded + amount), 2)
        order.updated_at = (at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        return order

    def totals(self) -> dict[str, float]:
        return {
            "orders": len(self.orders),
            "net_revenue": round(sum(o.net for o in self.orders), 2),
            "first_orders": sum(1 for o in self.orders if o.is_first),
        }
