"""A brand with nothing planted: the brain must not cry wolf."""

from __future__ import annotations


def test_clean_brands_are_green(clean_brands):
    for seed, _, state in clean_brands:
        assert state["oracle"]["risk"]["level"] == "GREEN", (seed, state["oracle"]["risk"])


def test_clean_brands_have_no_fatigue(clean_brands):
    for seed, _, state in clean_brands:
        tired = [f["creative_id"] for f in state["oracle"]["fatigue"] if f["prob_7d"] >= 0.6]
        assert tired == [], (seed, tired)
        assert not any(a["type"] == "pause_creative" for a in state["curiosity"]["actions"])


def test_clean_brands_have_no_anomaly(clean_brands):
    for seed, _, state in clean_brands:
        assert state["oracle"]["anomalies"] == [], (seed, state["oracle"]["anomalies"])


def test_clean_brands_have_no_ltv_drift(clean_brands):
    for seed, _, state in clean_brands:
        drift = state["oracle"]["ltv_drift"]
        assert not drift["flagged"], (seed, drift["drift"])
        assert abs(drift["drift"]) < 0.05
