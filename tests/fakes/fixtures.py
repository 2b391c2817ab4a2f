"""Pytest fixtures for the fakes (``pytest_plugins = ["tests.fakes.fixtures"]``).

Each fixture yields a started fake on 127.0.0.1 (``fake.url``) with deterministic seed
data (12 ads × 30 days ending yesterday; 240 Shopify orders) and the happy path.

Scenarios: ``fake.set_scenario("rate_limited")`` (presets: happy, pagination,
rate_limited, server_errors, usage_100, throttled, expired_token, malformed_json,
restated_yesterday) and/or keyword overrides of :class:`tests.fakes.base.Scenario`
(``fake.set_scenario(server_errors=3, page_size=5)``); ``fake.reset()`` restores the
happy path and clears the request log (``fake.calls``, ``fake.api_calls()``,
``fake.call_count``). Replace data with ``fake.dataset = AdDataset(...)`` /
``OrderDataset(...)``; ``fake.dataset.restate()`` changes yesterday on demand.

``fast_retry`` is a :class:`RetryPolicy` (base 0.01 s, cap 0.05 s, max_retry_after
300 s) whose ``sleep`` records the requested delays in ``fast_retry.sleep.calls``
instead of sleeping. Shopify's cost bucket refills on the fake's own clock: to make
a recorded sleep also refill it, use ``RecordingSleep(hook=fake_shopify.advance)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.http import RetryPolicy
from tests.fakes.google_ads import FakeGoogleAds
from tests.fakes.meta import FakeMeta
from tests.fakes.oauth import FakeOAuth
from tests.fakes.shopify import FakeShopify
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSMTP
from tests.fakes.stripe_api import FakeStripe
from tests.fakes.tiktok import FakeTikTok

__all__ = [
    "RecordingSleep",
    "fake_google",
    "fake_meta",
    "fake_oauth",
    "fake_shopify",
    "fake_stripe",
    "fake_tiktok",
    "fast_retry",
    "smtp_server",
]


class RecordingSleep:
    """A ``sleep`` replacement that records requested delays (and optionally runs a hook)."""

    def __init__(self, hook=None) -> None:
        self.calls: list[float] = []
        self.hook = hook

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.hook is not None:
            self.hook(seconds)

    @property
    def total(self) -> float:
        return sum(self.calls)


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """RetryPolicy(max_attempts=5, base=0.01, cap=0.05) with a recording, non-blocking sleep."""
    return RetryPolicy(
        max_attempts=5, base=0.01, cap=0.05, max_retry_after=300, sleep=RecordingSleep()
    )


@pytest.fixture
def fake_meta() -> Iterator[FakeMeta]:
    with FakeMeta() as fake:
        yield fake


@pytest.fixture
def fake_google() -> Iterator[FakeGoogleAds]:
    with FakeGoogleAds() as fake:
        yield fake


@pytest.fixture
def fake_tiktok() -> Iterator[FakeTikTok]:
    with FakeTikTok() as fake:
        yield fake


@pytest.fixture
def fake_shopify() -> Iterator[FakeShopify]:
    # A Shopify Plus store (1,000 points/s restore, shopify.dev GraphQL Admin rate limits):
    # syncs through the app use real sleeps, so the bucket must not make tests wait.
    # Throttling tests build their own FakeShopify with a small bucket.
    with FakeShopify(maximum_available=10000.0, restore_rate=1000.0) as fake:
        yield fake


@pytest.fixture
def fake_oauth() -> Iterator[FakeOAuth]:
    with FakeOAuth() as fake:
        yield fake


@pytest.fixture
def smtp_server() -> Iterator[FakeSMTP]:
    with FakeSMTP() as server:
        yield server


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake
