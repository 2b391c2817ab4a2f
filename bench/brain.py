"""Benchmark of the brain: the large brand and the default (Lumen) brand.

Prints ONE JSON object: rows, seconds per stage, total, peak RSS, the floor (one
vectorized group-by pass over the same rows) and total / floor; and the default brand's
total in ms. Runs on one core (BLAS/OpenMP threads pinned to 1). Not a timed test.

    .venv/bin/python bench/brain.py
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brain.state import compute_brain_state  # noqa: E402
from brain.synthetic import generate_brand  # noqa: E402

METRICS = ["spend", "impressions", "clicks", "conversions", "platform_revenue"]
REPEATS = 5


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def floor_seconds(ad, orders) -> float:
    """One vectorized group-by pass over the same rows: the cost of merely reading them."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        ad.groupby(["platform", "creative_id", "date"], observed=True)[METRICS].sum()
        orders.groupby(["placed_on", "is_first_order"])["revenue"].sum()
        best = min(best, time.perf_counter() - t)
    return best


def run(ad, orders, repeats: int = REPEATS) -> tuple[dict, float]:
    """Median stage timings over ``repeats`` warm runs, and the first (cold) total."""
    runs = []
    cold = None
    for _ in range(repeats):
        tm: dict = {}
        compute_brain_state(ad, orders, timings=tm)
        cold = tm["total"] if cold is None else cold
        runs.append(tm)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return med, cold


def main() -> None:
    t = time.perf_counter()
    large = generate_brand(7, days=365, scale="large")
    gen_s = time.perf_counter() - t
    ad, od = large.ad_daily, large.orders
    rss_before = rss_mb()
    med, cold = run(ad, od)
    floor = floor_seconds(ad, od)
    peak = rss_mb()

    # the same frames with plain string id columns (as read from SQL) instead of categoricals
    ad_str = ad.astype(
        {
            c: str
            for c in ("platform", "campaign_id", "campaign_name", "creative_id", "creative_name")
        }
    )
    od_str = od.astype({"utm_source": str})
    med_str, _ = run(ad_str, od_str, repeats=3)
    floor_str = floor_seconds(ad_str, od_str)
    del ad_str, od_str

    lumen = generate_brand(42)
    med_d, cold_d = run(lumen.ad_daily, lumen.orders, repeats=7)

    out = {
        "large": {
            "ad_rows": int(len(ad)),
            "orders": int(len(od)),
            "creatives": int(ad["creative_id"].nunique()),
            "campaigns": int(ad["campaign_id"].nunique()),
            "days": int(ad["date"].nunique()),
            "generate_s": round(gen_s, 3),
            "seconds": {k: round(v, 4) for k, v in med.items() if k != "total"},
            "total_s": round(med["total"], 4),
            "total_cold_s": round(cold, 4),
            "floor_s": round(floor, 4),
            "total_over_floor": round(med["total"] / floor, 2),
            "peak_rss_mb": round(peak, 1),
            "rss_after_generate_mb": round(rss_before, 1),
            "string_columns": {
                "total_s": round(med_str["total"], 4),
                "floor_s": round(floor_str, 4),
                "total_over_floor": round(med_str["total"] / floor_str, 2),
            },
        },
        "default": {
            "ad_rows": int(len(lumen.ad_daily)),
            "orders": int(len(lumen.orders)),
            "total_ms": round(med_d["total"] * 1000, 1),
            "total_cold_ms": round(cold_d * 1000, 1),
            "ms": {k: round(v * 1000, 1) for k, v in med_d.items() if k != "total"},
        },
        "targets": {"large_total_s": 1.0, "peak_rss_mb": 1024, "over_floor": 20, "default_ms": 100},
    }
    out["meets_targets"] = bool(
        out["large"]["total_s"] <= 1.0
        and out["large"]["peak_rss_mb"] <= 1024
        and out["large"]["total_over_floor"] <= 20
        and out["default"]["total_ms"] <= 100
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
