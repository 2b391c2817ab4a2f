"""Shared fixtures for the brain tests: brands are generated once per session."""

from __future__ import annotations

import pytest

from brain.schema import validate_state
from brain.state import compute_brain_state
from brain.synthetic import Brand, PlantConfig, generate_brand

LUMEN_SEED = 42  # the demo brand


def run_brain(brand, **kwargs) -> dict:
    """compute_brain_state + schema validation: every state a test sees is on-contract."""
    state = compute_brain_state(brand.ad_daily, brand.orders, **kwargs)
    validate_state(state)
    return state


@pytest.fixture(scope="session")
def lumen() -> Brand:
    return generate_brand(LUMEN_SEED)


@pytest.fixture(scope="session")
def lumen_state(lumen: Brand) -> dict:
    return run_brain(lumen, org_id=1)


@pytest.fixture(scope="session")
def clean_brands() -> list[tuple[int, Brand, dict]]:
    out = []
    for seed in range(1000, 1020):
        brand = generate_brand(seed, plant=PlantConfig.clean())
        out.append((seed, brand, run_brain(brand)))
    return out
