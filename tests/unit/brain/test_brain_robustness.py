"""Bad, thin or odd data gives a valid state with notes: never an exception or a NaN."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import run_brain

from brain.state import compute_brain_state, input_fingerprint, to_canonical_json
from brain.synthetic import PlantConfig, generate_brand


@pytest.fixture(scope="module")
def small():
    return generate_brand(5000, plant=PlantConfig.clean())


def _valid(state: dict) -> dict:
    from brain.schema import validate_state

    validate_state(state)
    json.dumps(state, allow_nan=False)
    return state


def test_empty_inputs():
    for ad, od in ((None, None), (pd.DataFrame(), pd.DataFrame())):
        state = _valid(compute_brain_state(ad, od))
        assert state["as_of"] is None
        assert state["notes"]
        assert state["curiosity"]["actions"] == []
        assert state["oracle"]["risk"]["level"] == "GREEN"


def test_one_day_of_data(small):
    last = small.ad_daily["date"].max()
    ad = small.ad_daily[small.ad_daily["date"] == last]
    od = small.orders[small.orders["placed_on"] == last]
    state = _valid(compute_brain_state(ad, od))
    assert state["as_of"] == pd.Timestamp(last).date().isoformat()
    assert any("days of ad data" in n for n in state["notes"])
    assert state["memory"]["totals"]["spend"] > 0


def test_platform_with_zero_spend(small):
    ad = small.ad_daily.copy()
    tt = ad["platform"] == "tiktok"
    for col in ("spend", "impressions", "clicks", "conversions", "platform_revenue"):
        ad.loc[tt, col] = 0
    state = _valid(compute_brain_state(ad, small.orders))
    plat = {p["platform"]: p for p in state["memory"]["platforms"]}
    assert plat["tiktok"]["roas"] is None and plat["tiktok"]["cpa"] is None
    assert any("tiktok: no spend" in n for n in state["notes"])


def test_nan_negative_absurd_values(small):
    ad = small.ad_daily.copy()
    ad = ad.astype({"spend": float, "impressions": float, "clicks": float})
    last = ad.index[-5:]
    ad.loc[last[0], "spend"] = np.nan
    ad.loc[last[1], "spend"] = -50.0
    ad.loc[last[2], "platform_revenue"] = 1e15
    ad.loc[last[3], "clicks"] = -3
    ad.loc[last[4], "impressions"] = np.inf
    od = small.orders.copy()
    od.loc[od.index[-1], "revenue"] = np.nan
    od.loc[od.index[-2], "revenue"] = -10.0
    state = _valid(compute_brain_state(ad, od))
    assert any("treated as 0" in n for n in state["notes"])
    assert any("orders:" in n for n in state["notes"])
    assert state["memory"]["totals"]["platform_revenue"] < 1e9


def test_strings_and_object_columns(small):
    ad = small.ad_daily.head(400).astype({"platform": str, "creative_id": str, "campaign_id": str})
    ad["date"] = ad["date"].dt.strftime("%Y-%m-%d")
    ad["spend"] = ad["spend"].astype(str)
    ad.loc[ad.index[0], "spend"] = "n/a"
    ad.loc[ad.index[1], "date"] = "not a date"
    ad["platform"] = ad["platform"].str.upper()
    od = small.orders.head(300).drop(columns=["is_first_order"])
    state = _valid(compute_brain_state(ad, od))
    assert any("unreadable date" in n for n in state["notes"])
    assert any("is_first_order" in n for n in state["notes"])
    assert {p["platform"] for p in state["memory"]["platforms"]} <= {"meta", "google_ads", "tiktok"}


def test_impressions_without_clicks(small):
    ad = small.ad_daily.copy()
    c = ad["creative_id"] == ad["creative_id"].iloc[0]
    ad.loc[c, ["clicks", "conversions", "platform_revenue"]] = 0
    state = _valid(compute_brain_state(ad, small.orders))
    cr = [
        x
        for x in state["memory"]["creatives"]
        if x["creative_id"] == str(ad["creative_id"].iloc[0])
    ]
    assert cr and cr[0]["ctr"] == 0 and cr[0]["cvr"] is None and cr[0]["cpa"] is None


def test_missing_columns_and_bad_settings(small):
    state = _valid(
        compute_brain_state(
            small.ad_daily.drop(columns=["spend"]),
            small.orders,
            settings={"gross_margin": 0, "period_days": "x", "currency": "eur"},
        )
    )
    assert any("missing columns" in n for n in state["notes"])
    assert any("gross_margin" in n for n in state["notes"])
    assert state["settings"]["gross_margin"] == 0.65
    assert state["settings"]["currency"] == "EUR"


def test_as_of_and_future_rows(small):
    as_of = date(2026, 11, 10)
    state = _valid(compute_brain_state(small.ad_daily, small.orders, as_of=as_of))
    assert state["as_of"] == "2026-11-10"
    assert state["period"] == {"start": "2026-10-12", "end": "2026-11-10", "days": 30}
    assert any("after as_of" in n for n in state["notes"])


def test_determinism_and_fingerprint(lumen, lumen_state):
    again = run_brain(lumen, org_id=1)
    assert to_canonical_json(again) == to_canonical_json(lumen_state)
    fp1 = input_fingerprint(lumen.ad_daily, lumen.orders, None, None)
    fp2 = input_fingerprint(lumen.ad_daily.copy(), lumen.orders.copy(), {}, None)
    assert fp1 == fp2 and len(fp1) == 64
    od = lumen.orders.copy()
    od.loc[od.index[0], "revenue"] += 1
    assert input_fingerprint(lumen.ad_daily, od, None, None) != fp1
    assert input_fingerprint(lumen.ad_daily, lumen.orders, {"gross_margin": 0.5}, None) != fp1


def test_no_wall_clock_or_timing_inside(lumen_state):
    assert "computed_at" not in lumen_state and "duration_ms" not in lumen_state
    text = to_canonical_json(lumen_state)
    assert "NaN" not in text and "Infinity" not in text


def test_row_order_does_not_matter(small):
    a = compute_brain_state(small.ad_daily, small.orders)
    shuffled = small.ad_daily.sample(frac=1.0, random_state=1)
    b = compute_brain_state(shuffled, small.orders.sample(frac=1.0, random_state=2))
    ja, jb = json.loads(to_canonical_json(a)), json.loads(to_canonical_json(b))
    assert ja["memory"]["totals"] == jb["memory"]["totals"]
    assert ja["oracle"]["risk"] == jb["oracle"]["risk"]
    assert [x["id"] for x in ja["curiosity"]["actions"]] == [
        x["id"] for x in jb["curiosity"]["actions"]
    ]


def test_import_boundary():
    code = (
        "import pkgutil, importlib, sys, brain\n"
        "for m in pkgutil.iter_modules(brain.__path__):\n"
        "    importlib.import_module('brain.' + m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'redis', 'rq', 'requests', 'dash',"
        " 'flask_sqlalchemy', 'plotly', 'werkzeug', 'httpx'}]\n"
        "print(','.join(sorted(bad)))\n"
    )
    root = pathlib.Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
