"""Boundaries a user sees, written against brain.thresholds (so tuning a number needs no edit
here) and against ground truth computed from the raw frames.

Each test here was checked by planting the bug it names (issue 11's survivors):
fatigue pause/refresh swapped, the ROI decay flag at 0.30 instead of 0.15, CAC over orders.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
from conftest import run_brain

from brain import thresholds as T
from brain.curiosity import compute_curiosity
from brain.memory import compute_memory
from brain.oracle import compute_oracle, fatigue_recommendation
from brain.prep import prepare
from brain.synthetic import PlantConfig, generate_brand

EPS = 1e-6


# ---- the spec's numbers (docs/brain-spec.md) and their order -------------------------------
def test_spec_thresholds_keep_their_order_and_values():
    """docs/brain-spec.md: > 0.8 pause, > 0.6 refresh; decay flagged above 15%, high above 30%."""
    assert T.FATIGUE_LIST_MIN < T.FATIGUE_REFRESH < T.FATIGUE_PAUSE < T.FATIGUE_PROB_CAP
    assert T.DECAY_FLAG < T.DECAY_HIGH_WITH_SPEND < T.DECAY_HIGH
    assert (T.FATIGUE_PAUSE, T.FATIGUE_REFRESH) == (0.8, 0.6)
    assert (T.DECAY_FLAG, T.DECAY_HIGH, T.DECAY_HIGH_WITH_SPEND) == (0.15, 0.30, 0.20)


# ---- fatigue: pause / refresh / monitor ------------------------------------------------------
@pytest.mark.parametrize(
    ("prob", "expected"),
    [
        (T.FATIGUE_PAUSE + EPS, ("pause_within_72h", "high")),
        (T.FATIGUE_PAUSE, ("refresh_this_week", "medium")),  # "> 0.8": the boundary refreshes
        ((T.FATIGUE_PAUSE + T.FATIGUE_REFRESH) / 2, ("refresh_this_week", "medium")),
        (T.FATIGUE_REFRESH + EPS, ("refresh_this_week", "medium")),
        (T.FATIGUE_REFRESH, ("monitor", "low")),
        (T.FATIGUE_LIST_MIN, ("monitor", "low")),
        (T.FATIGUE_PROB_CAP, ("pause_within_72h", "high")),
    ],
)
def test_fatigue_recommendation_boundaries(prob, expected):
    assert fatigue_recommendation(prob) == expected


def test_listed_fatigue_follows_the_boundaries(lumen_state):
    fatigue = lumen_state["oracle"]["fatigue"]
    assert fatigue, "the demo brand has a tiring creative"
    for f in fatigue:
        assert (f["recommendation"], f["severity"]) == fatigue_recommendation(f["prob_7d"])


@pytest.fixture(scope="module")
def pieces(lumen):
    prep = prepare(lumen.ad_daily, lumen.orders)
    memory = compute_memory(prep)
    oracle, _ = compute_oracle(prep, memory)
    return prep, memory, oracle


def _pause_actions(pieces, prob: float) -> list[dict]:
    """CURIOSITY's pause actions when the tiring creative's 7-day probability is ``prob``."""
    prep, memory, oracle = pieces
    oracle = copy.deepcopy(oracle)
    for f in oracle["fatigue"]:
        f["prob_7d"] = prob
        f["recommendation"], f["severity"] = fatigue_recommendation(prob)
    actions = compute_curiosity(prep, memory, oracle)["actions"]
    return [a for a in actions if a["type"] == "pause_creative"]


def test_pause_action_urgency_follows_the_boundaries(pieces):
    high = _pause_actions(pieces, T.FATIGUE_PAUSE + EPS)
    assert high and all(a["urgency"] == "high" for a in high)
    medium = _pause_actions(pieces, (T.FATIGUE_PAUSE + T.FATIGUE_REFRESH) / 2)
    assert medium and all(a["urgency"] == "medium" for a in medium)
    assert _pause_actions(pieces, T.FATIGUE_REFRESH - EPS) == []  # spec: probability >= 0.6


# ---- ROI decay: flagged above DECAY_FLAG, high above DECAY_HIGH -----------------------------
@pytest.fixture(scope="module")
def mid_decay_state():
    """TikTok's ROAS loses ~22%: above the flag, below 'high'."""
    brand = generate_brand(
        42, plant=PlantConfig.clean().but(decay_platform="tiktok", decay_size=0.22)
    )
    return run_brain(brand)


def test_a_decay_between_flag_and_high_is_flagged_medium(mid_decay_state):
    tiktok = next(d for d in mid_decay_state["oracle"]["roi_decay"] if d["platform"] == "tiktok")
    assert T.DECAY_FLAG < tiktok["decay_adjusted"] < T.DECAY_HIGH  # the scenario
    assert tiktok["spend_change"] < T.DECAY_SPEND_RISE
    assert tiktok["flagged"] is True
    assert tiktok["severity"] == "medium"
    assert "level" in tiktok["flagged_by"]


def test_every_decay_flag_follows_the_level_rule(mid_decay_state, lumen_state):
    for state in (mid_decay_state, lumen_state):
        for d in state["oracle"]["roi_decay"]:
            if d["decay_adjusted"] is None or d["decay_z"] is None:
                continue
            by_level = d["decay_adjusted"] > T.DECAY_FLAG and d["decay_z"] >= T.DECAY_Z
            assert (d["flagged_by"] in ("level", "level_and_trend")) is by_level, d
            if by_level and d["decay_adjusted"] > T.DECAY_HIGH:
                assert d["severity"] == "high", d


def test_small_decays_are_not_flagged(clean_brands):
    for seed, _, state in clean_brands[:5]:
        for d in state["oracle"]["roi_decay"]:
            if d["decay_adjusted"] is not None and d["decay_adjusted"] <= T.DECAY_FLAG:
                assert d["flagged_by"] not in ("level", "level_and_trend"), (seed, d)


# ---- CAC: spend over NEW customers, from the raw frames -------------------------------------
def test_cac_and_new_customer_totals_match_ground_truth(lumen, lumen_state):
    as_of = date.fromisoformat(lumen_state["as_of"])
    start = as_of - timedelta(days=T.DEFAULT_PERIOD_DAYS - 1)
    ad, orders = lumen.ad_daily, lumen.orders
    ad_days = ad["date"].dt.date
    spend = float(ad.loc[(ad_days >= start) & (ad_days <= as_of), "spend"].sum())
    days = orders["placed_on"].dt.date
    period = orders[(days >= start) & (days <= as_of)]
    new_customers = int(period["is_first_order"].sum())
    assert new_customers < len(period)  # returning customers exist: orders != new customers
    totals = lumen_state["memory"]["totals"]
    assert totals["spend"] == pytest.approx(spend, abs=0.01)
    assert totals["new_customers"] == new_customers
    assert totals["orders"] == len(period)
    assert totals["cac"] == pytest.approx(spend / new_customers, abs=0.01)
    first_revenue = float(period.loc[period["is_first_order"], "revenue"].sum())
    assert totals["nc_roas"] == pytest.approx(first_revenue / spend, abs=1e-4)
