"""ShopifyClient, webhook helpers and order normalization against the fake Admin API."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from integrations.errors import AuthExpired, BadResponse, RateLimited
from integrations.shopify import (
    ShopifyClient,
    assign_first_orders,
    normalize_shop_url,
    parse_order_webhook,
    verify_webhook,
)
from integrations.versions import DEFAULT_VERSIONS
from tests.fakes.data import FakeOrder, OrderDataset
from tests.fakes.fixtures import RecordingSleep
from tests.fakes.shopify import FakeShopify, sign_webhook

from .helpers import assert_no_secret


def client(fake, retry, **kw) -> ShopifyClient:
    """A client whose (recorded, instant) sleeps also refill the fake's cost bucket: orders
    cost what Shopify charges, so reading 240 orders waits for the bucket like in real life."""
    if isinstance(retry.sleep, RecordingSleep) and retry.sleep.hook is None:
        retry.sleep.hook = fake.advance
    return ShopifyClient(fake.url, fake.access_token, retry=retry, **kw)


def fake_clock_retry(fake, retry):
    """A retry policy whose sleep advances the fake's clock (the bucket refills)."""
    return dataclasses.replace(retry, sleep=RecordingSleep(hook=fake.advance))


def test_happy_path_with_pagination(fake_shopify, fast_retry):
    rows = list(client(fake_shopify, fast_retry, page_size=25).fetch_orders())
    orders = fake_shopify.dataset.orders
    assert len(rows) == len(orders) == 240
    assert fake_shopify.call_count == -(-240 // 25)
    assert len({r["order_id"] for r in rows}) == 240
    assert round(sum(r["revenue"] for r in rows), 2) == fake_shopify.dataset.totals()["net_revenue"]
    call = fake_shopify.api_calls()[1]
    assert call.path == f"/admin/api/{DEFAULT_VERSIONS['shopify']}/graphql.json"
    assert call.headers["X-Shopify-Access-Token"] == fake_shopify.access_token
    assert call.json["variables"]["first"] == 25 and call.json["variables"]["after"]
    row = rows[0]
    assert row["placed_at"].tzinfo is dt.UTC and row["currency"] == "USD"
    by_id = {str(o.id): o for o in orders}
    for r in rows:
        o = by_id[r["order_id"]]
        assert r["utm_source"] == o.utm_source
        assert r["customer_id"] == (None if o.customer_id is None else str(o.customer_id))
        assert r["placed_at"] == o.created_at


def test_refunds_are_netted(fake_shopify, fast_retry):
    rows = {r["order_id"]: r for r in client(fake_shopify, fast_retry).fetch_orders()}
    refunded = [o for o in fake_shopify.dataset.orders if o.refunded]
    assert refunded, "seed data should contain refunds"
    for o in refunded:
        assert rows[str(o.id)]["revenue"] == pytest.approx(o.total_price - o.refunded, abs=0.005)


def test_first_order_detection(fake_shopify, fast_retry):
    rows = list(client(fake_shopify, fast_retry).fetch_orders())
    expected = {str(o.id): o.is_first for o in fake_shopify.dataset.orders}
    assert {r["order_id"]: r["is_first_order"] for r in rows} == expected
    per_customer: dict[str, int] = {}
    for r in rows:
        if r["customer_id"] is not None:
            per_customer[r["customer_id"]] = (
                per_customer.get(r["customer_id"], 0) + r["is_first_order"]
            )
    assert set(per_customer.values()) == {1}  # exactly one first order per customer
    assert not any(r["is_first_order"] for r in rows if r["customer_id"] is None)
    # repeat customers exist, so numberOfOrders == 1 alone would be wrong
    assert any(r["customer_id"] and not r["is_first_order"] for r in rows)
    # recomputing "earliest order per customer seen" agrees with the API flag
    recomputed = assign_first_orders([{**r, "is_first_order": False} for r in rows])
    assert [r["is_first_order"] for r in recomputed] == [r["is_first_order"] for r in rows]


def test_assign_first_orders_with_known_history():
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    rows = [
        dict(
            order_id="2",
            placed_at=t0 + dt.timedelta(days=2),
            customer_id="c",
            revenue=1.0,
            is_first_order=True,
            utm_source=None,
            currency="USD",
        ),
        dict(
            order_id="3",
            placed_at=t0 + dt.timedelta(days=3),
            customer_id="c",
            revenue=1.0,
            is_first_order=True,
            utm_source=None,
            currency="USD",
        ),
    ]
    assert [r["is_first_order"] for r in assign_first_orders(rows)] == [True, False]
    known = {"c": (t0, "1")}
    assert [r["is_first_order"] for r in assign_first_orders(rows, known)] == [False, False]
    # API flags (full history) are kept unless the database knows an earlier first order
    api_rows = [{**rows[0], "is_first_order": False}, {**rows[1], "is_first_order": False}]
    kept = assign_first_orders(api_rows, trust_row_flags=True)
    assert [r["is_first_order"] for r in kept] == [False, False]
    demoted = assign_first_orders(rows, known, trust_row_flags=True)
    assert [r["is_first_order"] for r in demoted] == [False, False]
    assert [r["is_first_order"] for r in assign_first_orders(rows[:1], trust_row_flags=True)] == [
        True
    ]


def test_incremental_pull_sees_new_refund(fake_shopify, fast_retry):
    c = client(fake_shopify, fake_clock_retry(fake_shopify, fast_retry))
    first = {r["order_id"]: r for r in c.fetch_orders()}
    target = next(o for o in fake_shopify.dataset.orders if not o.refunded)
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    fake_shopify.dataset.refund(target.id, 10.0)
    changed = list(c.fetch_orders(updated_since=cutoff))
    assert [r["order_id"] for r in changed] == [str(target.id)]
    assert changed[0]["revenue"] == pytest.approx(first[str(target.id)]["revenue"] - 10.0)
    query = fake_shopify.api_calls()[-1].json["variables"]["query"]
    assert query.startswith("updated_at:>=")


# Shopify's documented cost of one order as the client reads it: the Order object 1,
# totalPriceSet/totalRefundedSet 2 each (object + shopMoney), customer 1 + orders(first: 1)
# (2 + 1 x 1), customerJourneySummary 1 + firstVisit 2 + lastVisit 2 = 14; a page of n
# orders costs 2 + 14 n. The first page is 50 orders (nothing learned yet): 702 points.
ORDER_COST = 14
FIRST_PAGE_COST = 2 + 50 * ORDER_COST


def test_cost_throttling_waits_before_the_next_query(fast_retry):
    with FakeShopify(maximum_available=1000, restore_rate=50) as fake:
        retry = fake_clock_retry(fake, fast_retry)
        c = client(fake, retry, page_size=100)
        rows = list(c.fetch_orders())
        assert len(rows) == 240
        assert fake.throttled_count == 0  # the client waited instead of being throttled
        assert c.throttle_waits, "expected at least one cost wait"
        # page 2 holds (1000 - 2) // 14 = 71 orders (chosen from page 1's requestedQueryCost)
        # and costs 996; the bucket holds 1000 - 702 = 298: wait (996 - 298) / 50 ≈ 14 s
        left, second = 1000 - FIRST_PAGE_COST, 2 + 71 * ORDER_COST
        assert fake.api_calls()[1].json["variables"]["first"] == 71
        assert c.throttle_waits[0] == pytest.approx((second - left) / 50, abs=0.2)
        assert retry.sleep.calls[0] == c.throttle_waits[0]


def test_throttled_error_is_retried_with_computed_wait(fast_retry):
    with FakeShopify(maximum_available=1000, restore_rate=50) as fake:
        fake.set_bucket(currently_available=0)
        retry = fake_clock_retry(fake, fast_retry)
        c = client(fake, retry, page_size=100)
        rows = list(c.fetch_orders())
        assert len(rows) == 240
        assert fake.throttled_count == 1
        # (requested − available) / restoreRate with an empty bucket: 702 / 50 ≈ 14 s
        assert retry.sleep.calls[0] == pytest.approx(FIRST_PAGE_COST / 50, abs=0.2)


def test_throttled_too_long_raises_rate_limited(fast_retry):
    with FakeShopify(maximum_available=1000, restore_rate=1) as fake:
        fake.set_bucket(currently_available=0)
        with pytest.raises(RateLimited) as info:
            list(client(fake, fast_retry, page_size=100).fetch_orders())
        assert info.value.retry_after == pytest.approx(FIRST_PAGE_COST, abs=1)
        assert fake.call_count == 1


def test_429_retry_after_is_honored(fake_shopify, fast_retry):
    fake_shopify.set_scenario("rate_limited", retry_after="2.0")
    rows = list(client(fake_shopify, fast_retry, page_size=250).fetch_orders())
    assert len(rows) == 240
    assert 2.0 <= fast_retry.sleep.calls[0] <= 2.0 + fast_retry.base
    # pages of 50, then 71 (= (1000 - 2) // 14), 71, 48 orders; plus the one 429
    assert fake_shopify.call_count == 4 + 1


def test_5xx_burst_then_success(fake_shopify, fast_retry):
    fake_shopify.set_scenario("server_errors", server_error_status=503)
    rows = list(client(fake_shopify, fast_retry, page_size=250).fetch_orders())
    assert len(rows) == 240
    assert fake_shopify.call_count == 4 + 2  # four pages, two 503s


def test_expired_token_is_auth_expired_without_retry(fake_shopify, fast_retry):
    fake_shopify.set_scenario("expired_token")
    with pytest.raises(AuthExpired) as info:
        list(client(fake_shopify, fast_retry).fetch_orders())
    assert fake_shopify.call_count == 1
    assert fast_retry.sleep.calls == []
    assert_no_secret(str(info.value), fake_shopify.access_token)


def test_malformed_json_is_bad_response(fake_shopify, fast_retry):
    fake_shopify.set_scenario("malformed_json")
    with pytest.raises(BadResponse) as info:
        list(client(fake_shopify, fast_retry).fetch_orders())
    message = str(info.value)
    assert "malformed JSON" in message and "gid://shopify/Order/1" in message
    assert_no_secret(message, fake_shopify.access_token)


def test_validate_token_good_and_bad(fake_shopify, fast_retry):
    assert client(fake_shopify, fast_retry).validate_token() == {
        "name": "Lumen Beauty",
        "currency": "USD",
    }
    bad = ShopifyClient(fake_shopify.url, "shpat_wrong_token_123", retry=fast_retry)
    with pytest.raises(AuthExpired):
        bad.validate_token()
    assert fake_shopify.call_count == 2


def test_fetch_single_order(fake_shopify, fast_retry):
    o = fake_shopify.dataset.orders[5]
    c = client(fake_shopify, fast_retry)
    row = c.fetch_order(o.id)
    assert row["order_id"] == str(o.id) and row["revenue"] == o.net
    assert c.fetch_order(1) is None


def test_webhook_hmac_good_and_bad(fake_shopify):
    order = next(o for o in fake_shopify.dataset.orders if o.refunded)
    body, signature = fake_shopify.signed_webhook(order.id)
    secret = fake_shopify.webhook_secret
    assert verify_webhook(body, signature, secret)
    assert not verify_webhook(body + b" ", signature, secret)
    assert not verify_webhook(body, signature, "other-secret")
    assert not verify_webhook(body, "", secret)
    assert not verify_webhook(body, None, secret)
    assert not verify_webhook(body, "ünïcode", secret)
    assert sign_webhook(b"{}", "s") != sign_webhook(b"{}", "t")


def test_webhook_payload_matches_graphql_row(fake_shopify, fast_retry):
    c = client(fake_shopify, fake_clock_retry(fake_shopify, fast_retry))
    rows = {r["order_id"]: r for r in c.fetch_orders()}
    for order in fake_shopify.dataset.orders[:60]:
        body, _ = fake_shopify.signed_webhook(order.id)
        hook = parse_order_webhook(json.loads(body))
        api = rows[str(order.id)]
        # the channel is not in a webhook: it comes only from customerJourneySummary
        assert hook["utm_source"] is None
        for key in ("order_id", "placed_at", "customer_id", "revenue", "currency"):
            assert hook[key] == api[key], key


def test_webhook_first_order_from_orders_count_and_bad_payload():
    payload = {
        "id": 1,
        "created_at": "2025-01-01T10:00:00-05:00",
        "total_price": "50.00",
        "currency": "EUR",
        "customer": {"id": 7, "orders_count": 1},
        "landing_site": "https://shop.example/?utm_source=tiktok&utm_medium=paid",
    }
    row = parse_order_webhook(payload)
    assert row["is_first_order"] and row["utm_source"] is None  # landing_site is not the channel
    assert row["placed_at"] == dt.datetime(2025, 1, 1, 15, 0, tzinfo=dt.UTC)
    with pytest.raises(BadResponse):
        parse_order_webhook({"id": 1})


def test_normalize_shop_url():
    assert normalize_shop_url("lumen") == "https://lumen.myshopify.com"
    assert normalize_shop_url("Lumen.myshopify.com/") == "https://lumen.myshopify.com"
    assert normalize_shop_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    for bad in ("evil.com", "lumen.myshopify.com.evil.com", "a b"):
        with pytest.raises(ValueError):
            normalize_shop_url(bad)


def test_guest_orders_are_not_first_orders(fast_retry):
    t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    orders = [
        FakeOrder(1, "#1", t, t, None, 20.0, 0.0, "USD", None, None),
        FakeOrder(2, "#2", t, t, 9, 30.0, 30.0, "USD", "google", None),
    ]
    with FakeShopify(dataset=OrderDataset(orders=orders)) as fake:
        rows = {r["order_id"]: r for r in client(fake, fast_retry).fetch_orders()}
    assert rows["1"]["is_first_order"] is False and rows["1"]["customer_id"] is None
    assert rows["2"]["is_first_order"] is True and rows["2"]["revenue"] == 0.0


# ---- Shopify's documented contracts: query cost, scopes, revenue ---------------------------
def test_fake_charges_shopifys_documented_cost():
    from integrations.shopify import ORDERS_QUERY
    from tests.fakes import graphql as gql

    # the arithmetic: 100 orders x 14 points + 2 for the connection = 1,402 > 1,000
    assert gql.query_cost(gql.parse(ORDERS_QUERY, {"first": 100})) == 2 + 100 * ORDER_COST
    assert gql.query_cost(gql.parse("query Shop { shop { name currencyCode } }")) == 1


def test_a_query_over_1000_points_is_refused_and_the_client_shrinks_the_page(
    fake_shopify, fast_retry
):
    c = client(fake_shopify, fast_retry, page_size=250)
    c._order_cost = 1.0  # a wrong guess: 250 orders would cost 3,502 points
    rows = list(c.fetch_orders())
    assert len(rows) == 240
    assert fake_shopify.max_cost_exceeded == 1
    firsts = [call.json["variables"]["first"] for call in fake_shopify.api_calls()]
    assert firsts[:2] == [250, 71]  # 71 = (1000 - 2) // 14, from Shopify's stated cost
    assert all(2 + n * ORDER_COST <= 1000 for n in firsts[1:])


def test_missing_read_customers_is_access_denied_not_auth_expired(fast_retry):
    from integrations.errors import AccessDenied

    with FakeShopify(granted_scopes=("read_orders", "read_all_orders")) as fake:
        with pytest.raises(AccessDenied) as info:
            list(client(fake, fast_retry).fetch_orders())
        assert info.value.required == "read_customers"
        assert fake.call_count == 1  # not retried


def test_without_read_all_orders_old_orders_are_silently_missing(fast_retry):
    with FakeShopify(granted_scopes=("read_orders", "read_customers")) as fake:
        rows = list(client(fake, fast_retry).fetch_orders())
        assert 0 < len(rows) < len(fake.dataset.orders)  # 120 days of orders, 60 readable
        from integrations.errors import AccessDenied

        with pytest.raises(AccessDenied, match="read_all_orders"):
            client(fake, fast_retry).validate_connection()


def test_validate_connection_reads_shop_zone_and_scopes(fake_shopify, fast_retry):
    info = client(fake_shopify, fast_retry).validate_connection()
    assert info["timezone"] == "America/New_York" and info["currency"] == "USD"
    assert set(info["scopes"]) >= {"read_orders", "read_all_orders", "read_customers"}
    assert fake_shopify.call_count == 1  # one real query


def test_test_voided_and_cancelled_unpaid_orders_are_not_revenue(fast_retry):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def order(i: int, **kw) -> FakeOrder:
        base = dict(
            id=i,
            name=f"#{i}",
            created_at=now - dt.timedelta(days=2),
            updated_at=now - dt.timedelta(days=1),
            customer_id=i,
            total_price=100.0,
            refunded=0.0,
            currency="USD",
            utm_source="google",
            landing_site="/",
        )
        return FakeOrder(**{**base, **kw})

    orders = [
        order(1),
        order(2, test=True),
        order(3, financial_status="VOIDED"),
        order(4, cancelled_at=now, financial_status="PENDING"),
        order(5, cancelled_at=now, financial_status="REFUNDED", refunded=100.0),
        order(6, cancelled_at=now, financial_status="PAID"),  # cancelled, money kept
    ]
    with FakeShopify(dataset=OrderDataset(orders=orders)) as fake:
        rows = {r["order_id"]: r for r in client(fake, fast_retry).fetch_orders()}
        hooks = {str(o.id): parse_order_webhook(fake.webhook_payload(o.id)) for o in orders}
    expected = {"1": 100.0, "2": 0.0, "3": 0.0, "4": 0.0, "5": 0.0, "6": 100.0}
    assert {k: r["revenue"] for k, r in rows.items()} == expected
    assert {k: r["revenue"] for k, r in hooks.items()} == expected  # webhooks agree
    assert not rows["2"]["is_first_order"] and rows["1"]["is_first_order"]


def test_bulk_operation_reads_every_order_as_jsonl(fake_shopify, fast_retry):
    rows = list(client(fake_shopify, fast_retry).bulk_fetch_orders())
    orders = fake_shopify.dataset.orders
    assert sorted(r["order_id"] for r in rows) == sorted(str(o.id) for o in orders)
    net = {str(o.id): o.net for o in orders}
    assert all(r["revenue"] == net[r["order_id"]] for r in rows)
    queries = [c.json["query"] for c in fake_shopify.api_calls()]
    assert "bulkOperationRunQuery" in queries[0] and "currentBulkOperation" in queries[1]
    assert fake_shopify.call_count == 2  # start + one status poll; the JSONL is a download
    assert not any("graphql" in c.path for c in fake_shopify.calls if c.path.startswith("/bulk"))
