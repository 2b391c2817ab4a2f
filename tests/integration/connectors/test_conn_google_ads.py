"""GoogleAdsClient against the fake Google Ads REST API and its token endpoint."""

from __future__ import annotations

import datetime as dt

import pytest

from integrations.errors import AuthExpired, BadResponse, RateLimited, Transient
from integrations.google_ads import GoogleAdsClient, build_query, normalize_customer_id
from integrations.versions import DEFAULT_VERSIONS
from tests.fakes.data import AdDataset
from tests.fakes.google_ads import FakeGoogleAds

from .helpers import assert_no_secret, assert_rows_match, sums


def client(fake, retry, **kw) -> GoogleAdsClient:
    return GoogleAdsClient(**fake.client_kwargs(), retry=retry, **kw)


def pull(fake, retry, customer_id="123-456-7890", **kw) -> list[dict]:
    ds = fake.dataset
    return list(client(fake, retry, **kw).fetch_ad_metrics(customer_id, ds.start, ds.end))


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
        rows = list(c.fetch_ad_metrics("1234567890", ds.end, ds.end))
        assert len(rows) == 12
        assert fake.api_calls()[0].headers["Login-Customer-Id"] == "1112223333"


def test_access_token_is_cached_across_windows_and_calls(fast_retry):
    with FakeGoogleAds(dataset=AdDataset("google_ads", n_ads=4, n_days=90)) as fake:
        c = client(fake, fast_retry)
        ds = fake.dataset
        rows = list(c.fetch_ad_metrics("1234567890", ds.start, ds.end))
        rows += list(c.fetch_ad_metrics("1234567890", ds.end, ds.end))
        assert len(rows) == 4 * 90 + 4
        assert fake.call_count == 3 + 1  # three 31-day windows, then one more call
        assert len(fake.api_calls("/token")) == 1
        token_call = fake.api_calls("/token")[0]
        assert token_call.form["grant_type"] == "refresh_token"


def test_429_retry_after_is_honored(fake_google, fast_retry):
    fake_google.set_scenario("rate_limited", retry_after="2")
    rows = pull(fake_google, fast_retry)
    assert len(rows) == 360
    assert 2.0 <= fast_retry.sleep.calls[0] <= 2.0 + fast_retry.base
    assert fake_google.call_count == 2


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
    assert fake_google.call_count == 3
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
    assert len(list(c.fetch_ad_metrics("1234567890", ds.end, ds.end))) == 12
    fake_google.tokens.expire_access_tokens()
    assert len(list(c.fetch_ad_metrics("1234567890", ds.end, ds.end))) == 12
    assert len(fake_google.api_calls("/token")) == 2
    assert fake_google.call_count == 3  # ok, 401, ok


def test_wrong_developer_token_is_bad_response(fake_google, fast_retry):
    kwargs = fake_google.client_kwargs() | {"developer_token": "wrong-dev-token"}
    c = GoogleAdsClient(**kwargs, retry=fast_retry)
    with pytest.raises(BadResponse) as info:
        list(c.fetch_ad_metrics("1234567890", dt.date(2025, 1, 1), dt.date(2025, 1, 1)))
    assert "DEVELOPER_TOKEN_INVALID" in str(info.value)


def test_customer_without_access_needs_reauth(fake_google, fast_retry):
    with pytest.raises(AuthExpired) as info:
        pull(fake_google, fast_retry, customer_id="9999999999")
    assert info.value.status == 403


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
