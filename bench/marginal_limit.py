"""How well can ANY method pin one platform's incremental factor from 90 days? (issue 8)

An oracle that knows each platform's exact daily incremental revenue regresses the store's
daily new-customer revenue on it (intercept + weekday terms, OLS): the true coefficient is
1 for every platform. Its spread is the noise floor of the data itself (order counts,
order values, organic demand), before any modelling error. Prints ONE JSON object.

    .venv/bin/python bench/marginal_limit.py [--seeds 20]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brain.scenarios import FAMILIES, generate_scenario  # noqa: E402


def oracle_coefficients(family: str, seed: int) -> np.ndarray:
    """Per-platform OLS coefficients on the true incremental revenue (truth: 1.0 each)."""
    sc = generate_scenario(family, seed)
    dates = sc.world["dates"]
    o = sc.orders[sc.orders["is_first_order"]]
    y = o.groupby("placed_on")["revenue"].sum().reindex(dates, fill_value=0.0).to_numpy()
    off = np.arange(-len(dates) + 1, 1)
    use = off > -sc.truth["ad_days"]
    day = dates.strftime("%Y-%m-%d")
    for ev in sc.truth["events"]:
        if ev["kind"] == "sale":
            use &= ~((day >= ev["start"]) & (day <= ev["end"]))
    wd = dates.day_of_week.to_numpy()
    dummies = (wd[:, None] == np.arange(1, 7)[None, :]).astype(float)
    X = np.column_stack([p["incremental_daily"] for p in sc.world["platforms"].values()])
    Z = np.column_stack([np.ones(len(y)), X, dummies])[use]
    beta = np.linalg.lstsq(Z, y[use], rcond=None)[0]
    return beta[1 : 1 + X.shape[1]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    a = ap.parse_args()
    coefs = np.concatenate([oracle_coefficients(f, s) for f in FAMILIES for s in range(a.seeds)])
    print(
        json.dumps(
            {
                "platform_factors": int(coefs.size),
                "oracle_within_35pct": round(float(np.mean(np.abs(coefs - 1.0) <= 0.35)), 3),
                "oracle_q10": round(float(np.quantile(coefs, 0.1)), 3),
                "oracle_median": round(float(np.median(coefs)), 3),
                "oracle_q90": round(float(np.quantile(coefs, 0.9)), 3),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
