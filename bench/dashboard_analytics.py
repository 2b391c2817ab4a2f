"""Benchmark: Analytics page callbacks on the large brand in PostgreSQL.

Builds the large brand (brain.synthetic.generate_brand(seed, scale="large") when it exists,
else an equivalent generator below: 3 platforms, 300 campaigns, 3,000 creatives, 365 days
≈ 1.1 M creative-days and ≈ 500 k orders), logs in through the Flask test client and times
analytics callback requests over a 365-day range, through the real /_dash-update-component
endpoint (CSRF, login guard, Dash serialization included).

Prints one JSON line: {p50_ms, p95_ms, rows, ...}. p50/p95 are the main analytics callback
(KPIs, trend chart, channels) over 50 requests cycling through 15 views of the same 365 days
(all channels, each channel, campaign subsets, every chart metric); detail_* is the creative
leaderboard callback; cold_* are the first request of a process for a new data version, before
the recompute job stored its snapshots; cold_snapshot_* the same once it has (every process
with a cold cache: 10 samples, the process cache cleared before each). Target p95 ≤ 300 ms.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/omnify_bench \\
        .venv/bin/python bench/dashboard_analytics.py

The run creates its own organization and deletes it at the end (other data is untouched).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import types
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchdb import DEFAULT_BENCH_DB, bench_app  # noqa: E402

from models.tenancy import unscoped  # noqa: E402

DEFAULT_DB = DEFAULT_BENCH_DB
PASSWORD = "bench-password-123"  # noqa: S105 - throwaway bench user
ANCHOR = date(2025, 6, 30)  # the brand's latest data date: deterministic, no wall clock


# ---- data --------------------------------------------------------------------------------
def large_brand(seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ad_daily, orders) of the large brand, in the brain's column contract."""
    try:
        from brain.synthetic import generate_brand
    except ImportError:
        return _fallback_large_brand(seed)
    try:
        brand = generate_brand(seed, days=365, scale="large")
    except TypeError:
        return _fallback_large_brand(seed)
    return brand.ad_daily, brand.orders


def _fallback_large_brand(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = pd.date_range(end=pd.Timestamp(ANCHOR), periods=365, freq="D")
    platforms = np.array(["meta", "google_ads", "tiktok"])
    per_platform_campaigns, per_campaign_creatives = 100, 10
    n_creatives = len(platforms) * per_platform_campaigns * per_campaign_creatives
    cre_platform = np.repeat(platforms, per_platform_campaigns * per_campaign_creatives)
    cre_campaign = np.repeat(np.arange(300), per_campaign_creatives)
    base_spend = {"meta": 9.0, "google_ads": 5.0, "tiktok": 4.5}
    base_roas = {"meta": 3.6, "google_ads": 2.3, "tiktok": 2.4}
    scale = np.array([base_spend[p] for p in cre_platform]) * rng.lognormal(0, 0.6, n_creatives)
    roas = np.array([base_roas[p] for p in cre_platform]) * rng.lognormal(0, 0.25, n_creatives)

    n = len(days) * n_creatives
    day_idx = np.repeat(np.arange(len(days)), n_creatives)
    cre_idx = np.tile(np.arange(n_creatives), len(days))
    weekly = 1 + 0.12 * np.sin(2 * np.pi * (day_idx % 7) / 7)
    spend = scale[cre_idx] * weekly * rng.lognormal(0, 0.3, n)
    revenue = spend * roas[cre_idx] * rng.lognormal(0, 0.35, n)
    impressions = np.maximum(1, (spend / 11.0 * 1000 * rng.lognormal(0, 0.2, n))).astype(np.int64)
    clicks = rng.binomial(impressions, 0.012)
    conversions = rng.binomial(np.maximum(clicks, 0), 0.06).astype(float)
    reach = (impressions / 1.8).astype(np.int64)
    ad_daily = pd.DataFrame(
        {
            "date": days[day_idx],
            "platform": cre_platform[cre_idx],
            "campaign_id": np.char.add("cmp-", cre_campaign[cre_idx].astype(str)),
            "campaign_name": np.char.add("Campaign ", cre_campaign[cre_idx].astype(str)),
            "creative_id": np.char.add("cre-", cre_idx.astype(str)),
            "creative_name": np.char.add("Creative ", cre_idx.astype(str)),
            "spend": spend.round(2),
            "impressions": impressions,
            "clicks": clicks,
            "conversions": conversions,
            "platform_revenue": revenue.round(2),
            "reach": reach,
            "frequency": 1.8,
        }
    )

    # ≈ 500 k orders over 15 months: first orders every day, repeats for part of them.
    order_days = pd.date_range(end=pd.Timestamp(ANCHOR), periods=456, freq="D")
    n_customers = 230_000
    first_day = rng.integers(0, len(order_days), n_customers)
    repeats = rng.geometric(0.45, n_customers) - 1
    cust = np.repeat(np.arange(n_customers), repeats + 1)
    nth = np.concatenate([np.arange(k + 1) for k in repeats])
    gap = np.where(nth == 0, 0, rng.exponential(55, len(cust)).astype(int) + 1)
    offset = pd.Series(gap).groupby(cust).cumsum().to_numpy()
    day = first_day[cust] + offset
    keep = day < len(order_days)
    cust, nth, day = cust[keep], nth[keep], day[keep]
    orders = pd.DataFrame(
        {
            "order_id": np.char.add("o-", np.arange(len(cust)).astype(str)),
            "placed_on": order_days[day],
            "customer_id": np.char.add("c-", cust.astype(str)),
            "revenue": rng.lognormal(np.log(70), 0.35, len(cust)).round(2),
            "is_first_order": nth == 0,
            "utm_source": rng.choice(["facebook", "google", "tiktok", "email", ""], len(cust)),
        }
    )
    return ad_daily, orders


def _load_frames():  # noqa: ANN202 - models.seed imports brain.synthetic at module level
    try:
        import brain.synthetic  # noqa: F401
    except ImportError:
        stub = types.ModuleType("brain.synthetic")
        stub.generate_brand = None  # type: ignore[attr-defined]
        sys.modules["brain.synthetic"] = stub
    from models.seed import load_frames

    return load_frames


# ---- the run -----------------------------------------------------------------------------
@unscoped("benchmark: sets up and measures one org outside any request")
def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the bench org afterwards")
    args = parser.parse_args(argv)

    from extensions import db
    from models import Organization

    app = bench_app(DEFAULT_DB)
    db_url = app.config["SQLALCHEMY_DATABASE_URI"]
    email = f"bench-{os.getpid()}-{int(time.time())}@analytics.example"

    t0 = time.perf_counter()
    ad_daily, orders = large_brand(args.seed)
    gen_s = time.perf_counter() - t0
    with app.app_context():
        from api.auth import create_org_with_owner

        user = create_org_with_owner("Bench Large Brand", "Bench", email, PASSWORD, "vp_growth")
        db.session.commit()
        org_id = user.memberships[0].org_id
        t0 = time.perf_counter()
        _load_frames()(org_id, ad_daily, orders)
        db.session.commit()
        load_s = time.perf_counter() - t0
        if "postgres" in db_url:  # fresh statistics, as autovacuum would have after a sync
            with db.engine.begin() as conn:
                for table in ("ad_metric_daily", "store_order", "creative", "campaign"):
                    conn.exec_driver_sql(f"ANALYZE {table}")
        from models import analytics as queries

        latest = queries.org_context(org_id).latest
        campaign_ids = queries.org_context(org_id).campaign_ids
    try:
        result = _time_requests(app, email, org_id, latest, campaign_ids, args.requests)
    finally:
        if not args.keep:
            with app.app_context():
                db.session.delete(db.session.get(Organization, org_id))
                from models import User

                db.session.execute(db.delete(User).where(User.email == email))
                db.session.commit()
    result.update(
        rows=int(len(ad_daily)),
        orders=int(len(orders)),
        generate_s=round(gen_s, 1),
        load_s=round(load_s, 1),
        database="postgresql" if "postgres" in db_url else "sqlite",
    )
    print(json.dumps(result))
    return result


def _time_requests(app, email, org_id, latest, campaign_ids, n):  # noqa: ANN001, ANN202
    from tests.conftest import csrf_from

    client = app.test_client()
    page = client.get("/login")
    client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page.get_data(True))},
    )
    client.get("/api/me")
    headers = {"X-CSRFToken": client.get_cookie("_csrf_token").value}
    start = date.fromordinal(latest.toordinal() - 364).isoformat()
    end = latest.isoformat()
    # 365-day views a marketer clicks through: all channels, each channel, campaign subsets,
    # every chart metric. The first request of a process pays for the per-org data cache.
    base = {"range": "custom", "start": start, "end": end}
    variants = [dict(base)]
    variants += [dict(base, platform=p) for p in ("meta", "google_ads", "tiktok", "meta,tiktok")]
    variants += [dict(base, metric=m) for m in ("store_revenue", "mer", "roas", "cpa", "ctr")]
    variants += [
        dict(base, campaign=",".join(map(str, campaign_ids[i : i + 5]))) for i in range(0, 50, 10)
    ]
    searches = ["?" + urlencode(v) for v in variants]

    from models import analytics as queries
    from tests.helpers.analytics import callback_payload

    def cold_requests() -> dict[str, float]:
        out = {}
        for name in ("main", "detail", "cohorts"):
            t0 = time.perf_counter()
            value = "/analytics" if name == "cohorts" else searches[0]
            resp = client.post(
                "/_dash-update-component", json=callback_payload(name, value), headers=headers
            )
            assert resp.status_code == 200, resp.get_data(True)[:500]
            out[name] = (time.perf_counter() - t0) * 1000
        return out

    queries.clear_cache()
    cold = cold_requests()
    with app.app_context():  # what the recompute job does after new data
        t0 = time.perf_counter()
        queries.precompute_snapshots(org_id)
        precompute_ms = (time.perf_counter() - t0) * 1000
    cold_snap: dict[str, list[float]] = {"main": [], "detail": [], "cohorts": []}
    for _ in range(10):
        queries.clear_cache()  # another web process, its own cache cold
        for name, ms in cold_requests().items():
            cold_snap[name].append(ms)
    timings: dict[str, list[float]] = {"main": [], "detail": []}
    for i in range(n):
        search = searches[i % len(searches)]
        for name in ("main", "detail"):
            t0 = time.perf_counter()
            resp = client.post(
                "/_dash-update-component", json=callback_payload(name, search), headers=headers
            )
            timings[name].append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200, resp.get_data(True)[:500]
    both = [a + b for a, b in zip(timings["main"], timings["detail"], strict=True)]

    def pct(values: list[float], q: float) -> float:
        return round(float(np.percentile(values, q)), 1)

    return {
        "p50_ms": pct(timings["main"], 50),
        "p95_ms": pct(timings["main"], 95),
        "detail_p50_ms": pct(timings["detail"], 50),
        "detail_p95_ms": pct(timings["detail"], 95),
        "both_p95_ms": pct(both, 95),
        "cold_main_ms": round(cold["main"], 1),
        "cold_detail_ms": round(cold["detail"], 1),
        "cold_cohorts_ms": round(cold["cohorts"], 1),
        "precompute_snapshots_ms": round(precompute_ms, 1),
        "cold_snapshot_main_p95_ms": pct(cold_snap["main"], 95),
        "cold_snapshot_detail_p95_ms": pct(cold_snap["detail"], 95),
        "cold_snapshot_cohorts_p95_ms": pct(cold_snap["cohorts"], 95),
        "requests": n,
        "distinct_views": len(searches),
        "range_days": 365,
    }


if __name__ == "__main__":
    main()
