"""Prices and costs of model calls (jobs/narratives.py), from token usage."""

from __future__ import annotations

from decimal import Decimal

from config import Config
from integrations.llm import LLMResult
from jobs.narratives import PRICES, cost_usd, estimate_usd, price_for


def test_cost_counts_fresh_cached_written_and_output_tokens():
    config = Config.from_env(env={})
    result = LLMResult(
        text="{}", model="claude-sonnet-4-5", tokens_in=3322, tokens_out=327,
        cached_tokens=3272, cache_write_tokens=0,
    )  # fmt: skip
    # 50 fresh × $3 + 3,272 cached × $0.30 + 327 out × $15, per million
    expected = (50 * 3 + 3272 * 0.30 + 327 * 15) / 1_000_000
    assert cost_usd("claude-sonnet-4-5", result, config) == Decimal(str(round(expected, 6)))
    written = LLMResult("{}", "claude-sonnet-4-5", 3322, 327, 0, 3272)
    assert cost_usd("claude-sonnet-4-5", written, config) > cost_usd(
        "claude-sonnet-4-5", result, config
    )


def test_snapshots_price_as_their_base_and_unknown_models_as_the_dearest():
    config = Config.from_env(env={})
    assert price_for("gpt-5-mini-2025-08-07", config) == PRICES["gpt-5-mini"]
    assert price_for("some-new-model", config) == max(PRICES.values(), key=lambda p: p[3])
    custom = Config.from_env(env={"AI_PRICES_JSON": '{"some-new-model": [1, 0.1, 1, 2]}'})
    assert price_for("some-new-model", custom) == (1.0, 0.1, 1.0, 2.0)


def test_estimate_is_an_upper_bound_of_the_real_cost():
    config = Config.from_env(env={})
    real = cost_usd("gpt-5-mini", LLMResult("{}", "gpt-5-mini", 3362, 175), config)
    assert estimate_usd("gpt-5-mini", 3362 * 4, 900, config) >= real
