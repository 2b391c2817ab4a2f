"""One unit everywhere: USD of gross profit per week, re-derivable from each action."""

from __future__ import annotations

import pytest
from conftest import run_brain


def _recompute(a: dict, gm: float) -> float:
    i = a["inputs"]
    if a["type"] in ("shift_budget", "scale"):
        return 7.0 * (gm * i["revenue_change_per_day"] - i["spend_change_per_day"])
    if a["type"] == "pause_creative":
        alt, pred = i["alternative_roas_calibrated"], i["predicted_roas_calibrated"]
        return max(0.0, gm * i["weekly_spend"] * (alt - pred))
    if a["type"] == "retention":
        return gm * i["new_customers_per_week"] * i["ltv_gap"] * i["recovery_share"]
    if a["type"] == "investigate":
        return i["dollar_effect"] * (1.0 if i["effect_kind"] == "spend" else gm)
    raise AssertionError(a["type"])


@pytest.fixture(scope="module")
def by_margin(lumen):
    return {gm: run_brain(lumen, settings={"gross_margin": gm}) for gm in (1.0, 0.65, 0.5)}


def test_impacts_follow_their_formula(by_margin):
    for gm, state in by_margin.items():
        for a in state["curiosity"]["actions"]:
            assert a["inputs"]["gross_margin"] == gm
            # inputs are rounded to cents / 4 dp: allow a few cents of rounding
            assert a["impact_usd_per_week"] == pytest.approx(_recompute(a, gm), abs=0.5), a["type"]
            band = a["impact_band"]
            assert band["low"] <= a["impact_usd_per_week"] <= band["high"]


def test_total_opportunity_is_the_sum(by_margin):
    for state in by_margin.values():
        cur = state["curiosity"]
        total = round(sum(a["impact_usd_per_week"] for a in cur["actions"]), 2)
        assert cur["total_opportunity_usd_per_week"] == total
        assert cur["unit"] == "USD of gross profit per week"


def test_margin_one_vs_half(by_margin):
    """Budget-neutral actions scale with the margin: impact(1.0) = 2 x impact(0.5)."""
    full = {a["id"]: a for a in by_margin[1.0]["curiosity"]["actions"]}
    half = {a["id"]: a for a in by_margin[0.5]["curiosity"]["actions"]}
    common = [k for k in full if k in half]
    neutral = [
        k for k in common if full[k]["type"] in ("shift_budget", "retention", "pause_creative")
    ]
    assert neutral, "expected budget-neutral actions in both runs"
    for k in neutral:
        assert full[k]["impact_usd_per_week"] == pytest.approx(
            2.0 * half[k]["impact_usd_per_week"], abs=0.05
        ), full[k]["type"]
    for k in common:
        if full[k]["type"] == "scale":  # 7 (g dR - dS): the margin moves revenue only
            i1, i2 = full[k]["inputs"], half[k]["inputs"]
            assert i1["revenue_change_per_day"] == i2["revenue_change_per_day"]
            diff = full[k]["impact_usd_per_week"] - half[k]["impact_usd_per_week"]
            assert diff == pytest.approx(7 * 0.5 * i1["revenue_change_per_day"], abs=0.05)


def test_breakeven_follows_margin(by_margin):
    for gm, state in by_margin.items():
        assert state["settings"]["breakeven_roas"] == round(1 / gm, 4)
        assert state["memory"]["totals"]["breakeven_roas"] == round(1 / gm, 4)


def test_scores_and_caps(lumen_state):
    actions = lumen_state["curiosity"]["actions"]
    assert 1 <= len(actions) <= 5
    assert [a["rank"] for a in actions] == list(range(1, len(actions) + 1))
    scores = [a["score"] for a in actions]
    assert scores == sorted(scores, reverse=True)
    types = [a["type"] for a in actions]
    assert all(types.count(t) <= 2 for t in set(types))
    assert len({a["id"] for a in actions}) == len(actions)
    lv = {"high": 1.0, "medium": 0.5, "low": 0.2}
    top = max(a["impact_usd_per_week"] for a in actions)
    for a in actions:  # the ranked actions include the largest-impact one here
        expect = (
            0.4 * a["impact_usd_per_week"] / top
            + 0.3 * lv[a["urgency"]]
            + 0.2 * a["confidence"]
            + 0.1 * lv[a["severity"]]
        )
        assert a["score"] == pytest.approx(expect, abs=2e-4)
