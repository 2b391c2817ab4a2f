"""TikTokAdsClient against the fake TikTok report API."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from integrations.errors import AuthExpired, BadResponse, RateLimited, Transient
from integrations.tiktok import TikTokAdsClient, classify_code
from tests.fakes.data import AdDataset
from tests.fakes.tiktok import FakeTikTok

from .helpers import assert_no_secret, assert_rows_match, sums


def client(fake, retry, **kw) -> TikTokAdsClient:
    return TikTokAdsClient(fake.url, fake.access_token, retry=retry, **kw)


def pull(fake, retry, **kw) -> list[dict]:
    ds = fake.dataset
    return list(client(fake, retry, **kw).fetch_ad_metrics(fake.advertiser_id, ds.start, ds.end))


def test_happy_path_with_pagination(fake_tiktok, fast_retry):
    fake_tiktok.set_scenario("pagination")  # 7 rows per page
    rows = pull(fake_tiktok, fast_retry)
    expected = fake_tiktok.dataset.rows()
    assert len(rows) == len(expected) == 360
    assert_rows_match(rows, expected)
    assert sums(rows) == sums(expected)
    calls = fake_tiktok.api_calls()
    assert len(calls) == -(-360 // 7)
    assert [int(c.args["page"]) for c in calls] == list(range(1, len(calls) + 1))
    first = calls[0]
    assert first.headers["Access-Token"] == fake_tiktok.access_token
    assert first.args["report_type"] == "BASIC" and first.args["data_level"] == "AUCTION_AD"
    assert json.loads(first.args["dimensions"]) == ["ad_id", "stat_time_day"]
    metrics = json.loads(first.args["metrics"])
    assert {"spend", "complete_payment", "total_complete_payment_rate"} <= set(metrics)
    row = rows[0]
    assert isinstance(row["impressions"], int) and isinstance(row["spend"], float)
    assert isinstance(row["reach"], int) and isinstance(row["frequency"], float)


def test_ninety_days_uses_30_day_windows(fast_retry):
    with FakeTikTok(dataset=AdDataset("tiktok", n_ads=5, n_days=90)) as fake:
        rows = pull(fake, fast_retry)
        assert len(rows) == 5 * 90
        windows = [
            (dt.date.fromisoformat(c.args["start_date"]), dt.date.fromisoformat(c.args["end_date"]))
            for c in fake.api_calls()
        ]
        assert len(windows) >= 3
        assert all((end - start).days + 1 <= 30 for start, end in windows)
        assert windows[0][0] == fake.dataset.start and windows[-1][1] == fake.dataset.end
        assert all(
            b[0] == a[1] + dt.timedelta(days=1) for a, b in zip(windows, windows[1:], strict=False)
        )


def test_429_retry_after_is_honored(fake_tiktok, fast_retry):
    fake_tiktok.set_scenario("rate_limited", retry_after="2")
    rows = pull(fake_tiktok, fast_retry)
    assert len(rows) == 360
    assert 2.0 <= fast_retry.sleep.calls[0] <= 2.0 + fast_retry.base
    assert fake_tiktok.call_count == 2


@pytest.mark.parametrize("status", [500, 502, 200])  # 200 = TikTok envelope code 50000
def test_5xx_burst_then_success(fake_tiktok, fast_retry, status):
    fake_tiktok.set_scenario("server_errors", server_error_status=status)
    rows = pull(fake_tiktok, fast_retry)
    assert len(rows) == 360
    assert fake_tiktok.call_count == 3
    assert len(fast_retry.sleep.calls) == 2


def test_rate_limit_code_backs_off_and_recovers(fake_tiktok, fast_retry):
    fake_tiktok.set_scenario(throttle_errors=2)  # HTTP 200, code 40100
    rows = pull(fake_tiktok, fast_retry)
    assert len(rows) == 360
    assert len(fast_retry.sleep.calls) == 2
    assert fake_tiktok.call_count == 3


def test_rate_limit_code_forever_raises_rate_limited(fake_tiktok, fast_retry):
    fake_tiktok.set_scenario(throttle_errors=99)
    with pytest.raises(RateLimited):
        pull(fake_tiktok, fast_retry)
    assert fake_tiktok.call_count == fast_retry.max_attempts


@pytest.mark.parametrize("mode", ["expired", "wrong"])
def test_expired_token_is_auth_expired_without_retry(fake_tiktok, fast_retry, mode):
    token = fake_tiktok.access_token
    if mode == "expired":
        fake_tiktok.set_scenario("expired_token")
    else:
        token = "tiktok-wrong-token-123"
    c = TikTokAdsClient(fake_tiktok.url, token, retry=fast_retry)
    ds = fake_tiktok.dataset
    with pytest.raises(AuthExpired) as info:
        list(c.fetch_ad_metrics(fake_tiktok.advertiser_id, ds.start, ds.end))
    assert fake_tiktok.call_count == 1
    assert info.value.code == 40105
    assert_no_secret(str(info.value), token)


def test_malformed_json_is_bad_response(fake_tiktok, fast_retry):
    fake_tiktok.set_scenario("malformed_json")
    with pytest.raises(BadResponse) as info:
        pull(fake_tiktok, fast_retry)
    message = str(info.value)
    assert "malformed JSON" in message and '"code":0' in message
    assert_no_secret(message, fake_tiktok.access_token)
    assert fake_tiktok.call_count == 1


def test_unknown_advertiser_is_bad_response(fake_tiktok, fast_retry):
    c = client(fake_tiktok, fast_retry)
    with pytest.raises(BadResponse) as info:
        list(c.fetch_ad_metrics("123", dt.date(2025, 1, 1), dt.date(2025, 1, 2)))
    assert info.value.code == 40002


def test_restated_yesterday_second_pull_returns_new_values(fake_tiktok, fast_retry):
    fake_tiktok.set_scenario("restated_yesterday")
    yesterday = fake_tiktok.dataset.end
    first = pull(fake_tiktok, fast_retry)
    second = pull(fake_tiktok, fast_retry)
    old = {r["creative_id"]: r["platform_revenue"] for r in first if r["date"] == yesterday}
    new = {r["creative_id"]: r["platform_revenue"] for r in second if r["date"] == yesterday}
    assert old.keys() == new.keys() and all(new[k] > old[k] for k in new)
    assert_rows_match(second, fake_tiktok.dataset.rows())


def test_string_values_and_dashes_are_parsed(fast_retry):
    row = {
        "date": dt.date(2025, 2, 3),
        "campaign_id": "c1",
        "campaign_name": "Spring",
        "creative_id": "a1",
        "creative_name": "C12",
        "spend": 1234.5,
        "impressions": 100000,
        "clicks": 900,
        "conversions": 40,
        "platform_revenue": 2400.25,
        "reach": None,
        "frequency": None,
    }
    with FakeTikTok(dataset=AdDataset.from_rows([row], platform="tiktok")) as fake:
        (got,) = pull(fake, fast_retry)
    assert got["date"] == dt.date(2025, 2, 3)
    assert got["spend"] == 1234.5 and got["impressions"] == 100000
    assert got["conversions"] == 40.0 and got["platform_revenue"] == 2400.25
    assert got["reach"] is None and got["frequency"] is None
    assert got["creative_name"] == "C12" and got["campaign_name"] == "Spring"


def test_classify_code():
    assert classify_code(0, "OK") is None
    assert isinstance(classify_code(40105, "bad token"), AuthExpired)
    assert isinstance(classify_code(40100, "too many"), RateLimited)
    assert isinstance(classify_code(51021, "limit"), RateLimited)
    assert isinstance(classify_code(50002, "busy"), Transient)
    assert isinstance(classify_code(40002, "param"), BadResponse)


def test_window_days_validated():
    with pytest.raises(ValueError):
        TikTokAdsClient("http://x", "t", window_days=31)


def test_conversions_are_purchases_never_the_optimization_event(fake_tiktok, fast_retry):
    ds = fake_tiktok.dataset
    c = TikTokAdsClient(fake_tiktok.url, fake_tiktok.access_token, retry=fast_retry)
    rows = list(c.fetch_ad_metrics(fake_tiktok.advertiser_id, ds.start, ds.end))
    expected = ds.rows()
    # the fake's `conversion` (optimization event) exceeds purchases and complete_payment is
    # blank on days without purchases: a fallback would count add-to-carts as purchases
    assert sum(r["conversions"] for r in rows) == sum(r["conversions"] for r in expected)
    assert "conversion" not in json.loads(fake_tiktok.api_calls()[0].args["metrics"])
