"""Fake Shopify Admin GraphQL API with cost-based throttling, plus webhook helpers.

``POST /admin/api/<version>/graphql.json`` with ``X-Shopify-Access-Token`` and a JSON
body ``{"query", "variables"}``. The fake does not parse GraphQL; it recognizes the
three operations the client sends by their root field (``orders(``, ``order(``,
``shop``) and answers in the documented shapes, including
``extensions.cost {requestedQueryCost, actualQueryCost, throttleStatus}``.

Versions follow shopify.dev/docs/api/usage/versioning: an unsupported (sunset or unknown)
version is not an error - Shopify "falls forward" to the oldest supported stable version and
names the version it served in the ``X-Shopify-API-Version`` response header.

The leaky bucket uses :attr:`FakeShopify.clock` (real time plus ``advance()`` offset),
so tests can inject a sleep that advances the fake's clock instead of waiting.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import time
from typing import Any

from flask import request

from integrations.versions import SUNSETS, is_sunset
from tests.fakes.base import FakeAPI, json_response, truncated
from tests.fakes.data import FakeOrder, OrderDataset

DEFAULT_TOKEN = "shpat_0123456789abcdef0123456789abcdef"
DEFAULT_WEBHOOK_SECRET = "shopify-webhook-secret-123"
_ROOT = re.compile(r"\{\s*(\w+)")  # first field after the operation's opening brace
_UPDATED = re.compile(r"updated_at:>=?'?([0-9T:\-+.Z]+)'?")


class ManualClock:
    """``time.monotonic()`` plus a manually advanced offset."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds


def sign_webhook(body: bytes, secret: str = DEFAULT_WEBHOOK_SECRET) -> str:
    """The ``X-Shopify-Hmac-Sha256`` header value Shopify would send for ``body``."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeShopify(FakeAPI):
    """``FakeShopify(dataset=OrderDataset(n_orders=500))``."""

    platform = "shopify"
    api_marker = "graphql.json"

    def __init__(
        self,
        dataset: OrderDataset | None = None,
        access_token: str = DEFAULT_TOKEN,
        shop_name: str = "Lumen Beauty",
        maximum_available: float = 2000.0,
        restore_rate: float = 100.0,
        node_cost: int = 6,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
    ) -> None:
        self.dataset = dataset or OrderDataset()
        self.access_token = access_token
        self.shop_name = shop_name
        self.maximum_available = maximum_available
        self.restore_rate = restore_rate
        self.node_cost = node_cost
        self.webhook_secret = webhook_secret
        self.clock = ManualClock()
        self._bucket = maximum_available
        self._bucket_at = self.clock()
        self.throttled_count = 0
        super().__init__()

    # -- bucket -------------------------------------------------------------------------
    def set_bucket(
        self,
        currently_available: float | None = None,
        maximum_available: float | None = None,
        restore_rate: float | None = None,
    ) -> None:
        """Reconfigure the cost bucket (e.g. a nearly empty bucket for throttling tests)."""
        with self._lock:
            if maximum_available is not None:
                self.maximum_available = maximum_available
            if restore_rate is not None:
                self.restore_rate = restore_rate
            self._bucket = (
                self.maximum_available if currently_available is None else currently_available
            )
            self._bucket_at = self.clock()

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (the bucket refills)."""
        self.clock.advance(seconds)

    def _available(self) -> float:
        now = self.clock()
        self._bucket = min(
            self.maximum_available, self._bucket + (now - self._bucket_at) * self.restore_rate
        )
        self._bucket_at = now
        return self._bucket

    def _throttle_status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": round(self._bucket, 3),
            "restoreRate": self.restore_rate,
        }

    # -- wire format --------------------------------------------------------------------
    def node(self, o: FakeOrder) -> dict[str, Any]:
        customer = None
        if o.customer_id is not None:
            first = self.dataset.first_order_of(o.customer_id)
            customer = {
                "id": f"gid://shopify/Customer/{o.customer_id}",
                "numberOfOrders": str(self.dataset.orders_count(o.customer_id)),
                "orders": {"nodes": [{"id": first.gid}] if first else []},
            }
        journey = None
        if o.utm_source is not None:
            visit = {"utmParameters": {"source": o.utm_source, "medium": "paid"}}
            journey = {"firstVisit": visit, "lastVisit": visit}

        def money(amount: float) -> dict[str, Any]:
            return {"shopMoney": {"amount": f"{amount:.2f}", "currencyCode": o.currency}}

        return {
            "id": o.gid,
            "name": o.name,
            "createdAt": _iso(o.created_at),
            "updatedAt": _iso(o.updated_at),
            "totalPriceSet": money(o.total_price),
            "currentTotalPriceSet": money(o.net),
            "totalRefundedSet": money(o.refunded),
            "customer": customer,
            "customerJourneySummary": journey,
        }

    def webhook_payload(self, order_id: int | str) -> dict[str, Any]:
        """An ``orders/updated`` REST-shaped webhook body for a stored order."""
        o = self.dataset.by_id(order_id)
        if o is None:
            raise KeyError(order_id)
        refunds = []
        if o.refunded:
            refunds.append(
                {
                    "id": o.id * 10,
                    "created_at": o.updated_at.isoformat(),
                    "transactions": [
                        {"amount": f"{o.refunded:.2f}", "kind": "refund", "status": "success"}
                    ],
                }
            )
        return {
            "id": o.id,
            "admin_graphql_api_id": o.gid,
            "name": o.name,
            "created_at": o.created_at.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat(),
            "updated_at": o.updated_at.isoformat(),
            "currency": o.currency,
            "total_price": f"{o.total_price:.2f}",
            "current_total_price": f"{o.net:.2f}",
            "landing_site": o.landing_site,
            "customer": None if o.customer_id is None else {"id": o.customer_id},
            "refunds": refunds,
        }

    def signed_webhook(self, order_id: int | str) -> tuple[bytes, str]:
        """(raw body, X-Shopify-Hmac-Sha256) for an order's webhook."""
        body = json.dumps(self.webhook_payload(order_id)).encode()
        return body, sign_webhook(body, self.webhook_secret)

    # -- routes -------------------------------------------------------------------------
    def _gate(self) -> Any:
        if (
            self.scenario.expired_token
            or request.headers.get("X-Shopify-Access-Token") != self.access_token
        ):
            return json_response(
                {
                    "errors": "[API] Invalid API key or access token "
                    "(unrecognized login or wrong password)"
                },
                401,
            )
        if self.take("rate_limit"):
            resp = json_response(
                {
                    "errors": "Exceeded 2 calls per second for api client. "
                    "Reduce request rates to resume uninterrupted service."
                },
                429,
            )
            resp.headers["Retry-After"] = self.scenario.retry_after
            return resp
        if self.take("server_errors"):
            return json_response(
                {"errors": "Internal Server Error"}, self.scenario.server_error_status
            )
        return None

    def served_version(self, requested: str) -> str:
        """The version Shopify answers with: the requested one, or the oldest supported."""
        table = SUNSETS["shopify"]
        if requested in table and not is_sunset("shopify", requested, self.today):
            return requested
        return min(v for v in table if not is_sunset("shopify", v, self.today))

    def routes(self) -> None:
        app = self.app

        @app.after_request
        def _version_header(resp: Any) -> Any:
            match = re.match(r"/admin/api/([^/]+)/", request.path)
            if match:
                resp.headers["X-Shopify-API-Version"] = self.served_version(match.group(1))
            return resp

        @app.post("/admin/api/<version>/graphql.json")
        def graphql(version: str) -> Any:
            gate = self._gate()
            if gate is not None:
                return gate
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("query"), str):
                return json_response(
                    {"errors": {"query": "Required parameter missing or invalid"}}, 400
                )
            query, variables = body["query"], body.get("variables") or {}
            root = _ROOT.search(query)
            field = root.group(1) if root else ""
            if field == "orders":
                first = int(variables.get("first") or 50)
                requested = 2 + first * self.node_cost
            elif field == "order":
                requested = 1 + self.node_cost
            elif field == "shop":
                requested = 1
            else:
                return json_response(
                    {"errors": [{"message": f"Field '{field}' doesn't exist on type 'QueryRoot'"}]}
                )
            with self._lock:
                available = self._available()
                if self.take_unlocked("throttle_errors") or available < requested:
                    self.throttled_count += 1
                    return json_response(
                        {
                            "errors": [
                                {
                                    "message": "Throttled",
                                    "extensions": {
                                        "code": "THROTTLED",
                                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                                    },
                                }
                            ],
                            "extensions": {
                                "cost": {
                                    "requestedQueryCost": requested,
                                    "actualQueryCost": None,
                                    "throttleStatus": self._throttle_status(),
                                }
                            },
                        }
                    )
            if self.scenario.malformed_json:
                return truncated(
                    {"data": {"orders": {"nodes": [{"id": "gid://shopify/Order/1"}]}}}, 60
                )
            if field == "orders":
                data, actual = self._orders(first, variables)
            elif field == "order":
                o = self.dataset.by_id(variables.get("id", "0"))
                data, actual = {"order": self.node(o) if o else None}, requested
            else:
                data = {"shop": {"name": self.shop_name, "currencyCode": self.dataset.currency}}
                actual = 1
            with self._lock:
                self._available()
                self._bucket -= actual
                status = self._throttle_status()
            return json_response(
                {
                    "data": data,
                    "extensions": {
                        "cost": {
                            "requestedQueryCost": requested,
                            "actualQueryCost": actual,
                            "throttleStatus": status,
                        }
                    },
                }
            )

    def take_unlocked(self, counter: str) -> bool:
        left = getattr(self.scenario, counter)
        if left > 0:
            setattr(self.scenario, counter, left - 1)
            return True
        return False

    def _orders(self, first: int, variables: dict[str, Any]) -> tuple[dict[str, Any], int]:
        since = None
        match = _UPDATED.search(str(variables.get("query") or ""))
        if match:
            since = dt.datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
        rows = self.dataset.sorted_by_updated(since)
        size = min(first, self.scenario.page_size or first)
        after = variables.get("after")
        start = 0
        if after:
            start = int(base64.b64decode(after).decode().split(":", 1)[1])
        page = rows[start : start + size]
        end = start + len(page)
        cursor = base64.b64encode(f"offset:{end}".encode()).decode() if page else None
        data = {
            "orders": {
                "pageInfo": {"hasNextPage": end < len(rows), "endCursor": cursor},
                "nodes": [self.node(o) for o in page],
            }
        }
        return data, 2 + len(page) * self.node_cost
