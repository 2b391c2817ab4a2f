"""Contract tests: every field our connectors (and fakes) ask for exists in the platforms'
official SDKs - facebook-business (AdsInsights/AdAccount field lists) and google-ads (the
protos of the API version we call). Both are test-only dependencies (requirements-dev.txt).

A renamed or misspelled field, or a default API version the SDK no longer ships, fails here
instead of on a customer's first sync.
"""

from __future__ import annotations

import importlib

from facebook_business import apiconfig
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adsinsights import AdsInsights

from integrations import google_ads, meta
from integrations.versions import DEFAULT_VERSIONS
from tests.fakes.google_ads import RESOURCE_FIELDS


def test_meta_insight_fields_exist_in_the_sdk():
    missing = [f for f in meta.INSIGHT_FIELDS if not hasattr(AdsInsights.Field, f)]
    assert missing == [], f"not AdsInsights fields: {missing}"


def test_meta_ad_account_fields_exist_in_the_sdk():
    missing = [f for f in meta.ACCOUNT_FIELDS if not hasattr(AdAccount.Field, f)]
    assert missing == []


def test_meta_default_version_is_the_sdks():
    assert apiconfig.ads_api_config["API_VERSION"] == DEFAULT_VERSIONS["meta"]


def _google_row(version: str):  # noqa: ANN202
    module = importlib.import_module(
        f"google.ads.googleads.{version}.services.types.google_ads_service"
    )
    return module.GoogleAdsRow.meta.pb.DESCRIPTOR


def _google_field(row, path: str):  # noqa: ANN001, ANN202
    """The proto field descriptor of a GAQL field name like ``ad_group_ad.ad.id``."""
    message, field = row, None
    for part in path.split("."):
        if message is None:
            return None
        field = message.fields_by_name.get(part)
        if field is None:
            return None
        message = field.message_type
    return field


def test_google_fields_exist_in_the_protos_of_our_version():
    row = _google_row(DEFAULT_VERSIONS["google_ads"])
    asked = set(google_ads.SELECTED_FIELDS)
    for fields in RESOURCE_FIELDS.values():  # the fake may not accept fields Google lacks
        asked.update(fields)
    missing = sorted(f for f in asked if _google_field(row, f) is None)
    assert missing == [], f"not in GoogleAdsRow ({DEFAULT_VERSIONS['google_ads']}): {missing}"


def test_google_enum_values_we_filter_on_exist():
    row = _google_row(DEFAULT_VERSIONS["google_ads"])
    category = _google_field(row, "segments.conversion_action_category").enum_type
    assert google_ads.PURCHASE_CATEGORY in category.values_by_name
    channel = _google_field(row, "campaign.advertising_channel_type").enum_type
    assert "PERFORMANCE_MAX" in channel.values_by_name


def test_google_resources_we_query_exist():
    row = _google_row(DEFAULT_VERSIONS["google_ads"])
    for resource in ("ad_group_ad", "campaign", "customer", "customer_client"):
        assert resource in row.fields_by_name
