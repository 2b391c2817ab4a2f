"""The generator: column contract, determinism, ground truth, scale."""

from __future__ import annotations

import pandas as pd

from brain.prep import AD_COLUMNS, ORDER_COLUMNS
from brain.synthetic import DEFAULT_AS_OF, PlantConfig, generate_brand


def test_columns_and_shape(lumen):
    assert list(lumen.ad_daily.columns) == list(AD_COLUMNS)
    assert list(lumen.orders.columns) == list(ORDER_COLUMNS)
    ad, od = lumen.ad_daily, lumen.orders
    assert set(ad["platform"].astype(str)) == {"meta", "google_ads", "tiktok"}
    assert 8 <= ad["campaign_id"].nunique() <= 12
    assert 35 <= ad["creative_id"].nunique() <= 45
    assert ad["date"].nunique() == 90
    assert pd.Timestamp(ad["date"].max()).date() == DEFAULT_AS_OF
    span = (od["placed_on"].max() - od["placed_on"].min()).days
    assert 440 <= span <= 460  # 15 months
    assert od["is_first_order"].any() and (~od["is_first_order"]).any()
    assert (ad[["spend", "impressions", "clicks", "conversions"]] >= 0).all().all()
    assert "C12" in set(ad.loc[ad["platform"] == "tiktok", "creative_id"].astype(str))


def test_lumen_numbers(lumen):
    ad = lumen.ad_daily
    g = ad.groupby("platform", observed=True)[["spend", "platform_revenue"]].sum()
    daily = g["spend"] / 90
    roas = g["platform_revenue"] / g["spend"]
    assert 3600 <= daily["meta"] <= 4400 and 3.3 <= roas["meta"] <= 3.9
    assert 1800 <= daily["google_ads"] <= 2200 and 2.0 <= roas["google_ads"] <= 2.6
    assert 1600 <= daily["tiktok"] <= 2000
    c12 = ad[ad["creative_id"] == "C12"].sort_values("date")
    first, last = c12.head(14), c12.tail(4)
    cvr0 = first["conversions"].sum() / first["clicks"].sum()
    cvr1 = last["conversions"].sum() / last["clicks"].sum()
    assert cvr1 < 0.8 * cvr0
    assert last["frequency"].mean() > 3.7 and first["frequency"].mean() < 2.8
    assert lumen.truth["fatigue"]["creative_id"] == "C12"
    # TikTok's planted 32% decay plus what its tiring winner C12 costs the platform
    assert 0.3 <= lumen.truth["roi_decay"]["decay"] <= 0.45


def test_deterministic_per_seed():
    a = generate_brand(11)
    b = generate_brand(11)
    c = generate_brand(12)
    pd.testing.assert_frame_equal(a.ad_daily, b.ad_daily)
    pd.testing.assert_frame_equal(a.orders, b.orders)
    assert a.truth == b.truth
    assert not a.orders["revenue"].equals(c.orders["revenue"])


def test_clean_plants_nothing():
    t = generate_brand(13, plant=PlantConfig.clean()).truth
    assert t["roi_decay"] is None and t["fatigue"] is None and t["ltv_drift"] is None
    assert t["anomalies"] == []


def test_large_scale_shape():
    b = generate_brand(1, days=365, scale="large")
    assert b.ad_daily["creative_id"].nunique() == 3000
    assert b.ad_daily["campaign_id"].nunique() == 300
    assert len(b.ad_daily) == 3000 * 365
    assert 450_000 <= len(b.orders) <= 550_000
