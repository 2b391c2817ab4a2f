"""MetaAdsClient against the fake Graph API."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
from email.utils import formatdate

import pytest

from integrations.errors import AuthExpired, BadResponse, RateLimited, Transient
from integrations.meta import INSIGHT_FIELDS, MetaAdsClient, parse_usage_headers
from tests.fakes.data import AdDataset
from tests.fakes.meta import FakeMeta

from .helpers import assert_no_secret, assert_rows_match, sums


def client(fake, retry, **kw) -> MetaAdsClient:
    return MetaAdsClient(fake.url, fake.access_token, retry=retry, **kw)


def pull(fake, retry, **kw) -> list[dict]:
    ds = fake.dataset
    return list(client(fake, retry, **kw).fetch_insights(fake.account_id, ds.start, ds.end))


def test_happy_path_with_pagination(fake_meta, fast_retry):
    fake_meta.set_scenario("pagination")  # 7 rows per page
    rows = pull(fake_meta, fast_retry)
    expected = fake_meta.dataset.rows()
    assert len(rows) == len(expected) == 12 * 30
    assert_rows_match(rows, expected)
    assert sums(rows) == sums(expected)
    calls = fake_meta.api_calls()
    assert len(calls) == math.ceil(len(expected) / 7)
    assert "after" not in calls[0].args and all("after" in c.args for c in calls[1:])
    first = calls[0].args
    assert first["level"] == "ad" and first["time_increment"] == "1"
    assert "actions" in first["fields"] and "action_values" in first["fields"]
    assert fast_retry.sleep.calls == []
    assert all(r["platform"] == "meta" for r in rows)
    assert isinstance(rows[0]["impressions"], int) and isinstance(rows[0]["spend"], float)


def test_account_prefix_and_page_size(fake_meta, fast_retry):
    ds = fake_meta.dataset
    c = client(fake_meta, fast_retry, page_size=100)
    rows = list(c.fetch_insights(f"act_{fake_meta.account_id}", ds.end, ds.end))
    assert len(rows) == 12
    assert fake_meta.api_calls()[0].args["limit"] == "100"


def test_purchase_counted_once_when_meta_reports_the_whole_family(fake_meta, fast_retry):
    rows = pull(fake_meta, fast_retry)
    # the fake reports purchase, omni_purchase and the pixel purchase with the same value
    assert sum(r["conversions"] for r in rows) == sum(
        r["conversions"] for r in fake_meta.dataset.rows()
    )


@pytest.mark.parametrize(
    "types", [("omni_purchase",), ("offsite_conversion.fb_pixel_purchase",), ("purchase",)]
)
def test_purchase_fallback_order(types, fast_retry):
    with FakeMeta(purchase_action_types=types) as fake:
        rows = pull(fake, fast_retry)
        assert sums(rows) == sums(fake.dataset.rows())


def test_purchase_preferred_over_omni_when_they_differ(fast_retry):
    day = dt.date(2025, 3, 1)
    row = {
        "date": day,
        "campaign_id": "1",
        "campaign_name": "c",
        "creative_id": "9",
        "creative_name": "ad",
        "spend": 10.0,
        "impressions": 100,
        "clicks": 5,
        "conversions": 3,
        "platform_revenue": 90.0,
        "reach": 80,
        "frequency": 1.25,
    }
    with FakeMeta(dataset=AdDataset.from_rows([row])) as fake:
        c = client(fake, fast_retry)
        item = fake.wire_row(row, list(INSIGHT_FIELDS), fake.account_id)
        item["actions"].append({"action_type": "omni_purchase", "value": "5"})
        parsed = c._to_row(item)
        assert parsed["conversions"] == 3.0 and parsed["platform_revenue"] == 90.0


def test_429_retry_after_is_honored(fake_meta, fast_retry):
    fake_meta.set_scenario("rate_limited", retry_after="2")
    rows = pull(fake_meta, fast_retry)
    assert len(rows) == 360
    assert len(fast_retry.sleep.calls) == 1
    assert 2.0 <= fast_retry.sleep.calls[0] <= 2.0 + fast_retry.base
    assert fake_meta.call_count == 2


def test_retry_after_http_date(fake_meta, fast_retry):
    fake_meta.set_scenario(rate_limit=1, retry_after=formatdate(time.time() + 4, usegmt=True))
    pull(fake_meta, fast_retry)
    assert 2.0 <= fast_retry.sleep.calls[0] <= 4.5


def test_5xx_burst_then_success(fake_meta, fast_retry):
    fake_meta.set_scenario("server_errors")  # 2 failures
    rows = pull(fake_meta, fast_retry)
    assert len(rows) == 360
    assert fake_meta.call_count == 3
    assert len(fast_retry.sleep.calls) == 2
    assert all(0 <= s <= fast_retry.cap for s in fast_retry.sleep.calls)


def test_5xx_beyond_max_attempts_raises_transient(fake_meta, fast_retry):
    fake_meta.set_scenario(server_errors=10)
    with pytest.raises(Transient):
        pull(fake_meta, fast_retry)
    assert fake_meta.call_count == fast_retry.max_attempts


def test_usage_at_100_percent_pauses_before_next_page(fake_meta, fast_retry):
    fake_meta.set_scenario("usage_100", page_size=100)  # regain in 1 minute
    rows = pull(fake_meta, fast_retry)
    assert len(rows) == 360
    pages = math.ceil(360 / 100)
    assert fake_meta.call_count == pages
    # every response reports 100 %: the client waits the regain time before each next page
    assert fast_retry.sleep.calls == pytest.approx([60.0] * (pages - 1), abs=1)


def test_usage_at_100_percent_raises_when_wait_is_too_long(fake_meta, fast_retry):
    fake_meta.set_scenario("usage_100", page_size=100, regain_minutes=10)
    with pytest.raises(RateLimited) as info:
        pull(fake_meta, fast_retry)
    assert info.value.retry_after == pytest.approx(600, abs=1)
    assert fake_meta.call_count == 1
    assert fast_retry.sleep.calls == []


def test_throttle_error_code_waits_regain_time(fake_meta, fast_retry):
    fake_meta.set_scenario("throttled")  # code 80000 with usage 100 % headers
    # after the throttling error the fake keeps reporting 100 %; single page → one wait
    rows = pull(fake_meta, fast_retry, page_size=1000)
    assert len(rows) == 360
    assert len(fast_retry.sleep.calls) == 1
    assert 60.0 <= fast_retry.sleep.calls[0] <= 60.0 + fast_retry.base
    assert fake_meta.call_count == 2


def test_parse_usage_headers():
    headers = {
        "X-Business-Use-Case-Usage": '{"1": [{"type": "ads_insights", "call_count": 96, '
        '"total_cputime": 10, "total_time": 12, "estimated_time_to_regain_access": 2}]}',
        "X-Ad-Account-Usage": '{"acc_id_util_pct": 40, "reset_time_duration": 30}',
    }
    usage = parse_usage_headers(headers)
    assert usage.max_pct == 96 and usage.regain_seconds == 120
    assert parse_usage_headers({}) is None
    assert parse_usage_headers({"X-Ad-Account-Usage": "not json"}) is None


@pytest.mark.parametrize("mode", ["expired", "wrong"])
def test_expired_token_raises_auth_expired_without_retry(fake_meta, fast_retry, mode):
    if mode == "expired":
        fake_meta.set_scenario("expired_token")
        token = fake_meta.access_token
    else:
        token = "not-the-token"
    c = MetaAdsClient(fake_meta.url, token, retry=fast_retry)
    ds = fake_meta.dataset
    with pytest.raises(AuthExpired) as info:
        list(c.fetch_insights(fake_meta.account_id, ds.start, ds.end))
    assert fake_meta.call_count == 1
    assert fast_retry.sleep.calls == []
    assert info.value.code == 190
    assert_no_secret(str(info.value), token)


def test_malformed_json_is_bad_response_with_excerpt_and_no_token(fake_meta, fast_retry):
    fake_meta.set_scenario("malformed_json")
    with pytest.raises(BadResponse) as info:
        pull(fake_meta, fast_retry)
    message = str(info.value)
    assert "malformed JSON" in message and "paging" in message
    assert "access_token=***" in message
    assert_no_secret(message, fake_meta.access_token)
    excerpt = message.split(": ", 2)[-1]
    assert len(excerpt) <= 200 + 2
    assert fake_meta.call_count == 1


def test_restated_yesterday_second_pull_returns_new_values(fake_meta, fast_retry):
    fake_meta.set_scenario("restated_yesterday")
    yesterday = fake_meta.dataset.end
    first = pull(fake_meta, fast_retry)
    second = pull(fake_meta, fast_retry)
    old = {r["creative_id"]: r for r in first if r["date"] == yesterday}
    new = {r["creative_id"]: r for r in second if r["date"] == yesterday}
    assert old.keys() == new.keys() and len(new) == 12
    assert all(new[k]["spend"] != old[k]["spend"] for k in new)
    assert all(new[k]["conversions"] > old[k]["conversions"] for k in new)
    assert_rows_match(second, fake_meta.dataset.rows())
    before = [r for r in first if r["date"] != yesterday]
    after = [r for r in second if r["date"] != yesterday]
    assert sums(before) == sums(after)


def test_fetch_ad_accounts(fake_meta, fast_retry):
    accounts = client(fake_meta, fast_retry).fetch_ad_accounts()
    assert accounts == [
        {
            "id": fake_meta.account_id,
            "name": "Lumen Beauty",
            "currency": "USD",
            "timezone": "America/New_York",
        }
    ]


def test_paging_next_to_another_host_is_refused(fake_meta, fast_retry):
    c = client(fake_meta, fast_retry)
    with pytest.raises(BadResponse):
        c._next_page({"paging": {"next": "https://evil.example/v21.0/x?access_token=abc"}})
    same = c._next_page({"paging": {"next": f"{fake_meta.url}/v21.0/x?access_token=abc&after=Z"}})
    assert same.endswith("/v21.0/x?after=Z")


def test_no_token_in_logs(fake_meta, fast_retry, caplog):
    caplog.set_level(logging.DEBUG)
    fake_meta.set_scenario("server_errors", page_size=200)
    pull(fake_meta, fast_retry)
    assert "retrying" in caplog.text
    assert fake_meta.access_token not in caplog.text


def test_unknown_account_is_access_denied_not_reauth(fake_meta, fast_retry):
    from integrations.errors import AccessDenied

    c = client(fake_meta, fast_retry)
    with pytest.raises(AccessDenied) as info:  # #100/33: missing or not visible to this token
        list(c.fetch_insights("999", dt.date(2025, 1, 1), dt.date(2025, 1, 2)))
    assert info.value.code == 100
    assert fake_meta.call_count == 1


def test_retry_policy_is_per_client(fake_meta, fast_retry):
    slow = dataclasses.replace(fast_retry, max_attempts=2)
    fake_meta.set_scenario(server_errors=5)
    with pytest.raises(Transient):
        pull(fake_meta, slow)
    assert fake_meta.call_count == 2


def test_large_ranges_run_as_async_report_runs(fake_meta, fast_retry):
    fake_meta.async_polls_until_done = 2  # "Job Running" twice, then "Job Completed"
    ds = fake_meta.dataset
    c = MetaAdsClient(
        fake_meta.url,
        fake_meta.access_token,
        retry=fast_retry,
        async_min_days=14,
        poll_interval=7.0,
        page_size=100,
    )
    rows = list(c.fetch_insights(fake_meta.account_id, ds.start, ds.end))
    assert len(rows) == len(ds.rows())
    posts = [call for call in fake_meta.calls if call.method == "POST"]
    assert len(posts) == 1 and posts[0].path.endswith(f"act_{fake_meta.account_id}/insights")
    assert posts[0].form["level"] == "ad" and "time_range" in posts[0].form
    assert fast_retry.sleep.calls == [7.0, 7.0]  # waited between polls, nothing else
    run_id = next(iter(fake_meta.report_runs))
    assert any(call.path.endswith(f"/{run_id}/insights") for call in fake_meta.calls)
    # a short range (a daily re-pull) stays synchronous
    fake_meta.reset()
    list(c.fetch_insights(fake_meta.account_id, ds.end, ds.end))
    assert not [call for call in fake_meta.calls if call.method == "POST"]
