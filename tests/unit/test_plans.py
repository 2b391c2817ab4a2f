"""The plans table matches docs/product.md; billing configuration fails fast when incomplete."""

from __future__ import annotations

import pytest

from config import Config, ConfigError
from plans import PLANS, SELF_HOSTED


def test_plans_match_product_md():
    rows = {
        k: (p.price_usd, p.connections, p.ai_cadence, p.pdf_exports_month, p.recomputes_day)
        for k, p in PLANS.items()
    }
    assert rows == {
        "starter": (499, 3, "weekly", 10, 24),
        "growth": (799, 6, "daily", 50, 100),
        "scale": (1499, None, "every_recompute", None, None),
    }
    assert all(SELF_HOSTED.limit(k) is None for k in ("connections", "pdf_export", "recompute"))


def test_stripe_key_needs_the_three_price_ids():
    with pytest.raises(ConfigError, match="STRIPE_PRICE_GROWTH"):
        Config.from_env(
            env={
                "STRIPE_SECRET_KEY": "sk_test_x",
                "STRIPE_PRICE_STARTER": "p1",
                "STRIPE_PRICE_SCALE": "p3",
            }
        )
    cfg = Config.from_env(
        env={
            "STRIPE_SECRET_KEY": "sk_test_x",
            "STRIPE_PRICE_STARTER": "p1",
            "STRIPE_PRICE_GROWTH": "p2",
            "STRIPE_PRICE_SCALE": "p3",
        }
    )
    assert cfg.billing_enabled and cfg.stripe_prices["growth"] == "p2"
    assert not Config.from_env(env={}).billing_enabled
