"""API versions: current defaults, the sunset table, startup warnings, fakes refusing old ones."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from app import warn_api_versions
from config import Config
from integrations.errors import BadResponse
from integrations.google_ads import GoogleAdsClient
from integrations.meta import MetaAdsClient
from integrations.shopify import ShopifyClient
from integrations.tiktok import TikTokAdsClient
from integrations.versions import DEFAULT_VERSIONS, SUNSETS, status
from jobs.connectors import api_version
from tests.fakes.meta import DEFAULT_TOKEN as META_TOKEN
from tests.fakes.shopify import DEFAULT_TOKEN as SHOPIFY_TOKEN
from tests.fakes.tiktok import DEFAULT_TOKEN as TIKTOK_TOKEN

DAY = dt.date(2026, 11, 29)


def test_default_versions_are_in_the_table_and_not_near_sunset():
    today = dt.date.today()
    for platform, version in DEFAULT_VERSIONS.items():
        assert version in SUNSETS[platform], platform
        assert status(platform, version, today).state == "ok", (platform, version)


def test_every_sunset_entry_names_its_source():
    for platform, table in SUNSETS.items():
        for version, (_, source) in table.items():
            assert source.startswith("https://"), (platform, version)


@pytest.mark.parametrize(
    ("platform", "version", "state"),
    [
        ("meta", "v21.0", "sunset"),  # expired 2025-09-09
        ("meta", "v24.0", "sunset"),  # expired 2026-11-10
        ("google_ads", "v18", "sunset"),  # 2025-08-20
        ("google_ads", "v22", "sunset"),  # 2026-10-07
        ("shopify", "2026-01", "sunsetting"),  # supported until 2027-01-01
        ("shopify", "2025-01", "sunset"),
        ("tiktok", "v1.2", "sunset"),
        ("meta", "v26.0", "ok"),
        ("meta", "v9.9", "unknown"),
    ],
)
def test_status_classifies_versions(platform, version, state):
    assert status(platform, version, DAY).state == state


def test_startup_warns_about_a_version_within_60_days_of_sunset(caplog):
    config = Config(META_API_VERSION="v25.0", SHOPIFY_API_VERSION="2026-01")
    logger = logging.getLogger("test.versions")
    with caplog.at_level(logging.WARNING, logger="test.versions"):
        # v25.0 expires 2027-02-23: 56 days after 2026-12-29
        messages = warn_api_versions(config, logger, today=dt.date(2026, 12, 29))
    assert any("meta API v25.0 is sunset on 2027-02-23" in m for m in messages)
    assert any("shopify API 2026-01" in m for m in messages)
    assert "developers.facebook.com" in caplog.text
    assert warn_api_versions(Config(), logger, today=DAY) == []


def test_configured_versions_reach_the_clients():
    config = Config(META_API_VERSION="v25.0", GOOGLE_ADS_API_VERSION="v25")
    assert api_version(config, "meta") == "v25.0"
    assert api_version(config, "google_ads") == "v25"
    assert api_version(config, "shopify") == DEFAULT_VERSIONS["shopify"]


def test_meta_fake_refuses_an_expired_version_with_error_2635(fake_meta, fast_retry):
    old = MetaAdsClient(fake_meta.url, META_TOKEN, retry=fast_retry, api_version="v21.0")
    with pytest.raises(BadResponse, match="2635"):
        list(old.fetch_insights(fake_meta.account_id, DAY, DAY))
    current = MetaAdsClient(fake_meta.url, META_TOKEN, retry=fast_retry)
    end = fake_meta.dataset.end
    assert list(current.fetch_insights(fake_meta.account_id, end, end))


def test_google_fake_refuses_a_sunset_version_with_unsupported_version(fake_google, fast_retry):
    kwargs = fake_google.client_kwargs()
    old = GoogleAdsClient(**kwargs, retry=fast_retry, api_version="v18")
    with pytest.raises(BadResponse, match="UNSUPPORTED_VERSION"):
        list(old.fetch_ad_metrics(fake_google.customer_id, DAY, DAY))
    current = GoogleAdsClient(**kwargs, retry=fast_retry)
    end = fake_google.dataset.end
    assert list(current.fetch_ad_metrics(fake_google.customer_id, end, end))


def test_shopify_falls_forward_and_the_client_says_so(fake_shopify, fast_retry, caplog):
    client = ShopifyClient(fake_shopify.url, SHOPIFY_TOKEN, "2025-01", retry=fast_retry)
    with caplog.at_level(logging.WARNING, logger="integrations.shopify"):
        client.validate_token()
    assert client.served_version not in (None, "2025-01")
    assert "asked for API 2025-01" in caplog.text
    current = ShopifyClient(fake_shopify.url, SHOPIFY_TOKEN, retry=fast_retry)
    current.validate_token()
    assert current.served_version == DEFAULT_VERSIONS["shopify"]


def test_tiktok_retired_version_fails(fake_tiktok, fast_retry):
    old = TikTokAdsClient(fake_tiktok.url, TIKTOK_TOKEN, retry=fast_retry, api_version="v1.2")
    with pytest.raises(BadResponse):
        list(old.fetch_ad_metrics(fake_tiktok.advertiser_id, DAY, DAY))
