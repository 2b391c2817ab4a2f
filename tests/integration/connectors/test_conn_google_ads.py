"""GoogleAdsClient against the fake Google Ads REST API and its token endpoint."""

from __future__ import annotations

import datetime as dt

import pytest

from integrations.errors import AccessDenied, AuthExpired, BadResponse, RateLimited, Transient
from integrations.google_ads import GoogleAdsClient, build_query, normalize_customer_id
from integrations.versions import DEFAULT_VERSIONS
from tests.fakes.data import AdDataset
from tests.fakes.google_ads import FakeGoogleAds

from .helpers import assert_no_secret, assert_rows_match, sums


def client(fake, retry, **kw) -> GoogleAdsClient:
    return GoogleAdsClient(**fake.client_kwargs(), retry=retry, **kw)


def pull(fake, retry, customer_id="123-456-7890", **kw) -> list[dict]:
    """Ad-level rows only (the fake's PMax campaign rows are tested on their own)."""
    ds = fake.dataset
    return ads_only(client(fake, retry, **kw).fetch_ad_metrics(customer_id, ds.start, ds.end))


def ads_only(rows) -> list[dict]:
    return [r for r in rows if not r["creative_id"].startswith("campaign:")]


QUERIES_PER_WINDOW = 4  # ads and campaigns, each: delivery metrics + purchases


def secrets_of(fake) -> tuple[str, ...]:
    return (fake.refresh_token, fake.client_secret, fake.developer_token)


def test_happy_path_with_batches_and_dashed_customer_id(fake_google, fast_retry):
    fake_google.set_scenario("pagination")  # 7 results per streamed batch
    rows = pull(fake_google, fast_retry, customer_id="123-456-7890")
    expected = fake_google.dataset.rows()
    assert len(rows) == len(expected) == 360
    assert_rows_match(rows, expected)
    assert sums(rows) == sums(expected)
    call = fake_google.api_calls()[0]
    assert (
        call.path
        == f"/{DEFAULT_VERSIONS['google_ads']}/customers/1234567890/googleAds:searchStream"
    )
    assert call.headers["Developer-Token"] == fake_google.developer_token
    assert call.headers["Authorization"].startswith("Bearer ya29.")
    assert "Login-Customer-Id" not in call.headers
    query = call.json["query"]
    assert "FROM ad_group_ad" in query and "metrics.cost_micros" in query
    assert all(r["reach"] is None and r["frequency"] is None for r in rows)
    assert all(r["platform"] == "google_ads" for r in rows)


def test_login_customer_id_header_without_dashes(fast_retry):
    with FakeGoogleAds(login_customer_id="1112223333") as fake:
        kwargs = fake.client_kwargs() | {"login_customer_id": "111-222-3333"}
        c = GoogleAdsClient(**kwargs, retry=fast_retry)
        ds = fake.dataset
        rows = ads_only(c.fetch_ad_metrics("1234567890", ds.end, ds.end))
        assert len(rows) == 12
        assert fake.api_calls()[0].headers["Login-Customer-Id"] == "1112223333"


def test_access_token_is_cached_across_windows_and_calls(fast_retry):
    with FakeGoogleAds(dataset=AdDataset("google_ads", n_ads=4, n_days=90)) as fake:
        c = client(fake, fast_retry)
        ds = fake.dataset
        rows = ads_only(c.fetch_ad_metrics("1234567890", ds.start, ds.end))
        rows += ads_only(c.fetch_ad_metrics("1234567890", ds.end, ds.end))
        assert len(rows) == 4 * 90 + 4
        # three 31-day windows, then one more
        assert fake.call_count == (3 + 1) * QUERIES_PER_WINDOW
        assert len(fake.api_calls("/token")) == 1
        token_call = fake.api_calls("/token")[0]
        assert token_call.form["grant_type"] == "refresh_token"


def test_429_retry_after_is_honored(fake_google, fast_retry):
    fake_google.set_scenario("rate_limited", retry_after="2")
    rows = pull(fake_google, fast_retry)
    assert len(rows) == 360
    assert 2.0 <= fast_retry.sleep.calls[0] <= 2.0 + fast_retry.base
    assert fake_google.call_count == QUERIES_PER_WINDOW + 1


def test_resource_exhausted_uses_retry_delay(fake_google, fast_retry):
    fake_google.set_scenario("throttled")  # RESOURCE_EXHAUSTED, retryDelay "3s", no header
    rows = pull(fake_google, fast_retry)
    assert len(rows) == 360
    assert 3.0 <= fast_retry.sleep.calls[0] <= 3.0 + fast_retry.base


def test_resource_exhausted_too_long_raises(fake_google, fast_retry):
    fake_google.set_scenario("rate_limited", retry_after="3600")
    with pytest.raises(RateLimited) as info:
        pull(fake_google, fast_retry)
    assert info.value.retry_after == 3600
    assert fake_google.call_count == 1


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_burst_then_success(fake_google, fast_retry, status):
    fake_google.set_scenario("server_errors", server_error_status=status)
    rows = pull(fake_google, fast_retry)
    assert len(rows) == 360
    assert fake_google.call_count == QUERIES_PER_WINDOW + 2
    assert len(fast_retry.sleep.calls) == 2


def test_5xx_forever_is_transient(fake_google, fast_retry):
    fake_google.set_scenario(server_errors=99)
    with pytest.raises(Transient):
        pull(fake_google, fast_retry)
    assert fake_google.call_count == fast_retry.max_attempts


def test_expired_token_is_auth_expired_without_retry(fake_google, fast_retry):
    fake_google.set_scenario("expired_token")  # every access token is rejected
    with pytest.raises(AuthExpired) as info:
        pull(fake_google, fast_retry)
    assert fake_google.call_count == 1
    assert fast_retry.sleep.calls == []
    assert info.value.status == 401 and info.value.code == "UNAUTHENTICATED"


def test_revoked_refresh_token_invalid_grant(fake_google, fast_retry):
    fake_google.revoke_refresh_token()
    with pytest.raises(AuthExpired) as info:
        pull(fake_google, fast_retry)
    assert "invalid_grant" in str(info.value)
    assert fake_google.call_count == 0
    assert len(fake_google.api_calls("/token")) == 1
    assert_no_secret(str(info.value), *secrets_of(fake_google))


def test_cached_token_revoked_server_side_refreshes_once(fake_google, fast_retry):
    c = client(fake_google, fast_retry)
    ds = fake_google.dataset
    assert len(ads_only(c.fetch_ad_metrics("1234567890", ds.end, ds.end))) == 12
    fake_google.tokens.expire_access_tokens()
    assert len(ads_only(c.fetch_ad_metrics("1234567890", ds.end, ds.end))) == 12
    assert len(fake_google.api_calls("/token")) == 2
    assert fake_google.call_count == 2 * QUERIES_PER_WINDOW + 1  # one 401 in between


def test_wrong_developer_token_is_bad_response(fake_google, fast_retry):
    kwargs = fake_google.client_kwargs() | {"developer_token": "wrong-dev-token"}
    c = GoogleAdsClient(**kwargs, retry=fast_retry)
    with pytest.raises(BadResponse) as info:
        list(c.fetch_ad_metrics("1234567890", dt.date(2025, 1, 1), dt.date(2025, 1, 1)))
    assert "DEVELOPER_TOKEN_INVALID" in str(info.value)


def test_customer_without_access_is_access_denied_not_reauth(fake_google, fast_retry):
    with pytest.raises(AccessDenied) as info:
        pull(fake_google, fast_retry, customer_id="9999999999")
    assert info.value.status == 403 and not isinstance(info.value, AuthExpired)


def test_malformed_json_is_bad_response(fake_google, fast_retry):
    fake_google.set_scenario("malformed_json")
    c = client(fake_google, fast_retry)
    ds = fake_google.dataset
    with pytest.raises(BadResponse) as info:
        list(c.fetch_ad_metrics("1234567890", ds.start, ds.end))
    message = str(info.value)
    assert "malformed JSON" in message and "results" in message
    assert_no_secret(message, *secrets_of(fake_google), c.access_token())
    assert fake_google.call_count == 1


def test_restated_yesterday_second_pull_returns_new_values(fake_google, fast_retry):
    fake_google.set_scenario("restated_yesterday")
    yesterday = fake_google.dataset.end
    first = pull(fake_google, fast_retry)
    second = pull(fake_google, fast_retry)
    old = {r["creative_id"]: r["spend"] for r in first if r["date"] == yesterday}
    new = {r["creative_id"]: r["spend"] for r in second if r["date"] == yesterday}
    assert old.keys() == new.keys() and all(new[k] != old[k] for k in new)
    assert_rows_match(second, fake_google.dataset.rows())


def test_list_accessible_customers(fake_google, fast_retry):
    assert client(fake_google, fast_retry).list_accessible_customers() == ["1234567890"]


def test_helpers():
    assert normalize_customer_id("123-456-7890") == "1234567890"
    assert normalize_customer_id(1234567890) == "1234567890"
    with pytest.raises(ValueError):
        normalize_customer_id("12a-456")
    q = build_query(dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert q.endswith("WHERE segments.date BETWEEN '2025-01-01' AND '2025-01-31'")


# ---- Google's documented contracts: managers, PMax, purchases --------------------------------
def test_manager_owned_account_needs_login_customer_id(fast_retry):
    with FakeGoogleAds(manager_id="5550001111") as fake:
        c = client(fake, fast_retry)
        day = fake.dataset.end
        with pytest.raises(AccessDenied) as info:
            list(c.fetch_ad_metrics("1234567890", day, day))
        assert "USER_PERMISSION_DENIED" in str(info.value) and "login-customer-id" in str(
            info.value.required
        )
        assert c.list_accessible_customers() == ["5550001111"]
        assert c.find_login_customer_id("123-456-7890") == "5550001111"
        c.login_customer_id = "5550001111"
        assert list(c.fetch_ad_metrics("1234567890", day, day))
        assert fake.api_calls()[-1].headers["Login-Customer-Id"] == "5550001111"


def test_performance_max_spend_is_read_at_campaign_level(fake_google, fast_retry):
    ds = fake_google.dataset
    rows = list(client(fake_google, fast_retry).fetch_ad_metrics("1234567890", ds.start, ds.end))
    pmax = [r for r in rows if r["creative_id"] == "campaign:990001"]
    assert len(pmax) == ds.n_days  # one row per day for the campaign without ads
    expected = sum(p["spend"] for p in fake_google.pmax_rows)
    assert round(sum(r["spend"] for r in pmax), 2) == round(expected, 2)
    # ad campaigns are not counted twice at campaign level
    assert round(sum(r["spend"] for r in rows), 2) == round(
        sum(r["spend"] for r in ds.rows()) + expected, 2
    )
    queries = [c.json["query"] for c in fake_google.api_calls()]
    assert any("FROM campaign " in q for q in queries)


def test_conversions_are_purchases_only(fake_google, fast_retry):
    rows = pull(fake_google, fast_retry)
    expected = fake_google.dataset.rows()
    # the fake also has an ADD_TO_CART action "included in conversions" (half as many)
    assert round(sum(r["conversions"] for r in rows), 4) == round(
        sum(r["conversions"] for r in expected), 4
    )
    purchase_queries = [
        c.json["query"]
        for c in fake_google.api_calls()
        if "conversion_action_category" in c.json["query"]
    ]
    assert purchase_queries and all(
        "segments.conversion_action_category = 'PURCHASE'" in q for q in purchase_queries
    )
