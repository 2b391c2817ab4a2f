"""Response curves: elasticities recovered, budget shifted from the lowest to the highest
true marginal ROAS."""

from __future__ import annotations

import pytest
from conftest import run_brain

from brain.synthetic import PlantConfig, generate_brand


def _check(brand, state):
    curves = {p["platform"]: p["response_curve"] for p in state["memory"]["platforms"]}
    for key, alpha in brand.truth["elasticity"].items():
        assert curves[key]["status"] == "ok"
        assert abs(curves[key]["alpha"] - alpha) <= 0.15, (key, curves[key]["alpha"], alpha)
    true_m = brand.truth["marginal_roas"]
    shift = [a for a in state["curiosity"]["actions"] if a["type"] == "shift_budget"]
    assert shift, "expected a shift"
    roles = {t["role"]: t["platform"] for t in shift[0]["targets"]}
    assert roles["from"] == min(true_m, key=true_m.get)
    assert roles["to"] == max(true_m, key=true_m.get)


@pytest.mark.parametrize("seed", range(4000, 4010))
def test_elasticities_and_shift_on_lumen_seeds(seed):
    brand = generate_brand(seed)
    _check(brand, run_brain(brand))


@pytest.mark.parametrize("seed", (4100, 4101, 4102))
def test_shift_follows_the_truth_when_it_changes(seed):
    # make Google the best and Meta the worst at the margin
    plant = PlantConfig().but(
        decay_platform=None, elasticity={"meta": 0.2, "google_ads": 0.9, "tiktok": 0.5}
    )
    brand = generate_brand(seed, plant=plant)
    _check(brand, run_brain(brand))


def test_curve_needs_28_days():
    brand = generate_brand(4200, days=20, plant=PlantConfig.clean())
    state = run_brain(brand)
    for p in state["memory"]["platforms"]:
        assert p["response_curve"]["status"] == "insufficient_data"
        assert p["response_curve"]["alpha"] is None
    assert not any(a["type"] in ("shift_budget", "scale") for a in state["curiosity"]["actions"])
