"""Fatigue planted on a random creative of a random platform must be found."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import run_brain

from brain.synthetic import PlantConfig, generate_brand

# a typical fatigue: CTR -20%, CVR -37.5%, frequency up to 4.0, over about a week
STRENGTH = {"fatigue_ctr_drop": 0.20, "fatigue_cvr_drop": 0.375, "fatigue_freq_to": 4.0}


SEEDS = range(3000, 3020)


@functools.cache
def planted_run(seed: int) -> tuple[str, float, list[str]]:
    """(planted creative, its 7-day fatigue probability, other creatives flagged >= 0.6)."""
    rng = np.random.default_rng(seed)
    platform = str(rng.choice(["meta", "google_ads", "tiktok"]))
    clean = generate_brand(seed, plant=PlantConfig.clean())
    ids = sorted(
        clean.ad_daily.loc[clean.ad_daily["platform"] == platform, "creative_id"]
        .astype(str)
        .unique()
    )
    cid = str(rng.choice(ids))
    plant = PlantConfig.clean().but(fatigue_creative=cid, fatigue_scale_up=1.0, **STRENGTH)
    state = run_brain(generate_brand(seed, plant=plant))
    fat = {f["creative_id"]: f for f in state["oracle"]["fatigue"]}
    prob = fat[cid]["prob_7d"] if cid in fat else 0.0
    others = [k for k, f in fat.items() if k != cid and f["prob_7d"] >= 0.6]
    return cid, prob, others


@pytest.mark.parametrize("seed", SEEDS)
def test_only_the_planted_creative_is_flagged(seed):
    _, _, others = planted_run(seed)
    assert others == []


def test_random_creative_fatigue_is_flagged():
    """A rate over the seeds (one seed may miss), from the same cached runs."""
    misses = [(seed, *planted_run(seed)[:2]) for seed in SEEDS if planted_run(seed)[1] < 0.6]
    assert len(SEEDS) - len(misses) >= 18, misses


def test_fatigue_probabilities_are_bounded_and_sorted(lumen_state):
    probs = [f["prob_7d"] for f in lumen_state["oracle"]["fatigue"]]
    assert probs == sorted(probs, reverse=True)
    for f in lumen_state["oracle"]["fatigue"]:
        assert 0.3 <= f["prob_7d"] <= 0.97
        assert f["prob_7d"] <= f["prob_14d"] <= 0.97


def test_ctr_alone_does_not_call_fatigue():
    # CTR falls 30% but conversions, ROAS and frequency hold: not fatigued
    plant = PlantConfig.clean().but(
        fatigue_creative="C20",
        fatigue_ctr_drop=0.30,
        fatigue_cvr_drop=-0.43,  # conversions per impression unchanged
        fatigue_freq_to=2.0,
        fatigue_scale_up=1.0,
    )
    state = run_brain(generate_brand(3100, plant=plant))
    fat = {f["creative_id"]: f for f in state["oracle"]["fatigue"]}
    assert "C20" not in fat or fat["C20"]["prob_7d"] < 0.6
