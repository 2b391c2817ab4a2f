"""Fake Shopify Admin GraphQL API with cost-based throttling, plus webhook helpers.

``POST /admin/api/<version>/graphql.json`` with ``X-Shopify-Access-Token`` and a JSON
body ``{"query", "variables"}``. The fake reads the query (``tests.fakes.graphql``), charges
Shopify's documented cost (objects 1, connections 2 + first x object; a query over 1,000
points is refused with ``MAX_COST_EXCEEDED``) and answers the root fields ``orders``,
``order``, ``shop`` and ``currentAppInstallation`` in the documented shapes, including
``extensions.cost {requestedQueryCost, actualQueryCost, throttleStatus}``.

Scopes are enforced per field like Shopify does: ``orders``/``order`` need ``read_orders``,
an order's ``customer`` needs ``read_customers`` (else ``null`` plus an ``ACCESS_DENIED``
error naming ``requiredAccess``), and without ``read_all_orders`` only the last 60 days of
orders exist (silently - shopify.dev/docs/api/usage/access-scopes).

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
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

from flask import Response, redirect, request

from integrations.versions import SUNSETS, is_sunset
from tests.fakes import graphql as gql
from tests.fakes.base import FakeAPI, json_response, truncated
from tests.fakes.data import FakeOrder, OrderDataset

DEFAULT_TOKEN = "shpat_0123456789abcdef0123456789abcdef"
DEFAULT_WEBHOOK_SECRET = "shopify-webhook-secret-123"
_ROOT_FIELDS = (
    "orders",
    "order",
    "shop",
    "currentAppInstallation",
    "webhookSubscriptionCreate",
    "bulkOperationRunQuery",
    "currentBulkOperation",
)
WEBHOOK_TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED", "APP_UNINSTALLED")  # what the fake knows
ALL_SCOPES = ("read_orders", "read_all_orders", "read_customers")
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
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        granted_scopes: tuple[str, ...] = ALL_SCOPES,
        iana_timezone: str = "America/New_York",
        shop_domain: str = "acme.myshopify.com",
        client_id: str = "shopify-client-id",
        client_secret: str = "shopify-client-secret-123",
        token_ttl: int = 3600,
    ) -> None:
        self.dataset = dataset or OrderDataset()
        self.access_token = access_token
        self.shop_name = shop_name
        self.maximum_available = maximum_available
        self.restore_rate = restore_rate
        self.granted_scopes = tuple(granted_scopes)
        self.iana_timezone = iana_timezone
        self.max_cost_exceeded = 0
        self.subscriptions: list[tuple[str, str]] = []  # (topic, uri) created by the app
        # OAuth (authorization-code grant with expiring offline tokens)
        self.shop_domain, self.client_id, self.client_secret = shop_domain, client_id, client_secret
        self.token_ttl = token_ttl
        self.oauth_codes: dict[str, str] = {}  # code -> redirect_uri
        self.oauth_tokens: dict[str, float] = {}  # access token -> expiry (time.time())
        self.refresh_tokens: set[str] = set()
        self.bulk_operations: list[str] = []
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
            "test": o.test,
            "cancelledAt": _iso(o.cancelled_at) if o.cancelled_at else None,
            "displayFinancialStatus": o.financial_status,
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
            "test": o.test,
            "cancelled_at": o.cancelled_at.isoformat() if o.cancelled_at else None,
            "financial_status": o.financial_status.lower(),
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
    def _token_valid(self, token: str | None) -> bool:
        if token and token == self.access_token:
            return True
        expiry = self.oauth_tokens.get(token or "")
        return expiry is not None and expiry > time.time()

    def expire_oauth_tokens(self) -> None:
        """Every OAuth access token is past its hour (refresh tokens still work)."""
        with self._lock:
            self.oauth_tokens = dict.fromkeys(self.oauth_tokens, 0.0)

    def _gate(self) -> Any:
        if self.scenario.expired_token or not self._token_valid(
            request.headers.get("X-Shopify-Access-Token")
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

        @app.get("/bulk/<int:op>.jsonl")
        def bulk_result(op: int) -> Any:
            """The JSONL result file (a signed storage URL on Shopify: no token needed)."""
            lines = []
            for o in self.dataset.orders:
                if not self._visible(o):
                    continue
                node = self.node(o)
                if node["customer"] is not None:
                    node["customer"].pop("orders", None)  # no nested connection in the query
                lines.append(json.dumps(node, separators=(",", ":")))
            return Response("\n".join(lines) + "\n", 200, mimetype="application/jsonl")

        @app.get("/admin/oauth/authorize")
        def oauth_authorize() -> Any:
            args = request.args
            redirect_uri = args.get("redirect_uri", "")
            if args.get("client_id") != self.client_id or not redirect_uri:
                return json_response({"errors": "Invalid client_id or redirect_uri"}, 400)
            code = secrets.token_hex(16)
            with self._lock:
                self.oauth_codes[code] = redirect_uri
            params = {
                "code": code,
                "host": base64.b64encode(f"{self.shop_domain}/admin".encode()).decode(),
                "shop": self.shop_domain,
                "state": args.get("state", ""),
                "timestamp": str(int(time.time())),
            }
            message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
            params["hmac"] = hmac.new(
                self.client_secret.encode(), message.encode(), hashlib.sha256
            ).hexdigest()
            return redirect(f"{redirect_uri}?{urlencode(params)}", 302)

        @app.post("/admin/oauth/access_token")
        def oauth_token() -> Any:
            form = request.form
            if (form.get("client_id"), form.get("client_secret")) != (
                self.client_id,
                self.client_secret,
            ):
                return json_response({"error": "invalid_client"}, 401)
            with self._lock:
                if form.get("grant_type") == "refresh_token":
                    old = form.get("refresh_token", "")
                    if old not in self.refresh_tokens:
                        return json_response({"error": "invalid_grant"}, 400)
                    self.refresh_tokens.discard(old)  # rotated on every use
                elif self.oauth_codes.pop(form.get("code", ""), None) is None:
                    return json_response({"error": "invalid_request"}, 400)
                token = "shpua_" + secrets.token_hex(16)
                body: dict[str, Any] = {
                    "access_token": token,
                    "scope": ",".join(self.granted_scopes),
                }
                if form.get("expiring") == "1" or form.get("grant_type") == "refresh_token":
                    self.oauth_tokens[token] = time.time() + self.token_ttl
                    refresh = "shprt_" + secrets.token_hex(16)
                    self.refresh_tokens.add(refresh)
                    body |= {
                        "expires_in": self.token_ttl,
                        "refresh_token": refresh,
                        "refresh_token_expires_in": 7_776_000,
                    }
                else:
                    self.oauth_tokens[token] = float("inf")
            return json_response(body)

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
            variables = body.get("variables") or {}
            try:
                operation, roots = gql.parse_operation(body["query"], variables)
            except gql.GraphQLSyntaxError as exc:
                return json_response({"errors": [{"message": f"Parse error: {exc}"}]})
            unknown = [f.name for f in roots if f.name not in _ROOT_FIELDS]
            if unknown:
                return json_response(
                    {
                        "errors": [
                            {
                                "message": f"Field '{unknown[0]}' doesn't exist on type "
                                "'QueryRoot'",
                                "extensions": {"code": "undefinedField"},
                            }
                        ]
                    }
                )
            requested = gql.query_cost(roots, operation)
            if requested > gql.MAX_QUERY_COST:
                self.max_cost_exceeded += 1
                return json_response(
                    {
                        "errors": [
                            {
                                "message": f"Query cost is {requested}, which exceeds the "
                                f"single query max cost limit ({gql.MAX_QUERY_COST}).\n\nSee "
                                "https://shopify.dev/concepts/about-apis/rate-limits for more "
                                "information on how the cost of a query is calculated.",
                                "extensions": {
                                    "code": "MAX_COST_EXCEEDED",
                                    "cost": requested,
                                    "maxCost": gql.MAX_QUERY_COST,
                                },
                            }
                        ]
                    }
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
            data: dict[str, Any] = {}
            errors: list[dict[str, Any]] = []
            actual = 0
            for root in roots:
                value, cost = self._resolve(root, variables, errors)
                data[root.name] = value
                actual += cost
            with self._lock:
                self._available()
                self._bucket -= actual
                status = self._throttle_status()
            payload: dict[str, Any] = {"data": data}
            if errors:
                payload["errors"] = errors
            payload["extensions"] = {
                "cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": actual,
                    "throttleStatus": status,
                }
            }
            return json_response(payload)

    # -- resolvers ------------------------------------------------------------------------
    def _denied(self, scope: str, path: list[Any], what: str) -> dict[str, Any]:
        """Shopify's ACCESS_DENIED error for a field the token lacks a scope for."""
        return {
            "message": f"Access denied for {what} field. Required access: `{scope}` access scope.",
            "locations": [{"line": 1, "column": 1}],
            "path": path,
            "extensions": {
                "code": "ACCESS_DENIED",
                "documentation": "https://shopify.dev/api/usage/access-scopes",
                "requiredAccess": f"`{scope}` access scope.",
            },
        }

    def _visible(self, o: FakeOrder) -> bool:
        """Without read_all_orders only the last 60 days of orders are readable."""
        if "read_all_orders" in self.granted_scopes:
            return True
        return o.created_at >= dt.datetime.now(dt.UTC) - dt.timedelta(days=60)

    def _order(
        self, o: FakeOrder, sel: gql.Field, path: list[Any], errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        node = self.node(o)
        if sel.child("customer") and "read_customers" not in self.granted_scopes:
            node["customer"] = None
            if not any(e["path"][-1] == "customer" for e in errors):
                errors.append(self._denied("read_customers", [*path, "customer"], "customer"))
        return node

    def _resolve(
        self, root: gql.Field, variables: dict[str, Any], errors: list[dict[str, Any]]
    ) -> tuple[Any, int]:
        if root.name == "webhookSubscriptionCreate":
            topic = str(root.args.get("topic") or "")
            sub = root.args.get("webhookSubscription") or {}
            uri = str(sub.get("uri") or "") if isinstance(sub, dict) else ""
            if topic not in WEBHOOK_TOPICS or not uri:
                field = "topic" if topic not in WEBHOOK_TOPICS else "uri"
                return {
                    "webhookSubscription": None,
                    "userErrors": [
                        {"field": ["webhookSubscription", field], "message": "is invalid"}
                    ],
                }, gql.MUTATION_COST
            with self._lock:
                self.subscriptions.append((topic, uri))
                gid = f"gid://shopify/WebhookSubscription/{len(self.subscriptions)}"
            return {
                "webhookSubscription": {"id": gid, "topic": topic, "uri": uri},
                "userErrors": [],
            }, gql.MUTATION_COST
        if root.name == "bulkOperationRunQuery":
            # the fake runs the operation at once: the first status poll sees COMPLETED
            try:
                inner = gql.parse(str(root.args.get("query") or ""))
            except gql.GraphQLSyntaxError:
                inner = []
            if [f.name for f in inner] != ["orders"]:
                return {
                    "bulkOperation": None,
                    "userErrors": [{"field": ["query"], "message": "Invalid bulk query"}],
                }, gql.MUTATION_COST
            # the bulk query is validated like any query: a field without its scope is refused
            needed = ["read_orders"] + (["read_customers"] if inner[0].find("customer") else [])
            lacking = [sc for sc in needed if sc not in self.granted_scopes]
            if lacking:
                what = "customer" if lacking[0] == "read_customers" else "orders"
                message = (
                    f"Access denied for {what} field. Required access: `{lacking[0]}` access scope."
                )
                return {
                    "bulkOperation": None,
                    "userErrors": [{"field": ["query"], "message": message}],
                }, gql.MUTATION_COST
            with self._lock:
                op_id = f"gid://shopify/BulkOperation/{len(self.bulk_operations) + 1}"
                self.bulk_operations.append(op_id)
            return {"bulkOperation": {"id": op_id, "status": "CREATED"}, "userErrors": []}, (
                gql.MUTATION_COST
            )
        if root.name == "currentBulkOperation":
            if not self.bulk_operations:
                return None, 1
            op_id = self.bulk_operations[-1]
            visible = [o for o in self.dataset.orders if self._visible(o)]
            url = f"{request.host_url.rstrip('/')}/bulk/{op_id.rsplit('/', 1)[-1]}.jsonl"
            return {
                "id": op_id,
                "status": "COMPLETED",
                "errorCode": None,
                "objectCount": str(len(visible)),
                "url": url if visible else None,
            }, 1
        if root.name == "shop":
            return {
                "name": self.shop_name,
                "currencyCode": self.dataset.currency,
                "ianaTimezone": self.iana_timezone,
            }, gql.field_cost(root)
        if root.name == "currentAppInstallation":
            scopes = [{"handle": h} for h in self.granted_scopes]
            return {"accessScopes": scopes}, gql.field_cost(root)
        if "read_orders" not in self.granted_scopes:
            errors.append(self._denied("read_orders", [root.name], root.name))
            return None, 1
        if root.name == "order":
            o = self.dataset.by_id(root.args.get("id") or "0")
            if o is None or not self._visible(o):
                return None, 1
            return self._order(o, root, ["order"], errors), gql.field_cost(root)
        return self._orders(root, errors)

    def _orders(self, root: gql.Field, errors: list[dict[str, Any]]) -> tuple[Any, int]:
        first = int(root.args.get("first") or 50)
        since = None
        match = _UPDATED.search(str(root.args.get("query") or ""))
        if match:
            since = dt.datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
        rows = [o for o in self.dataset.sorted_by_updated(since) if self._visible(o)]
        if root.args.get("sortKey") == "CREATED_AT":
            rows.sort(key=lambda o: (o.created_at, o.id))
        size = min(first, self.scenario.page_size or first)
        after = root.args.get("after")
        start = 0
        if after:
            start = int(base64.b64decode(after).decode().split(":", 1)[1])
        page = rows[start : start + size]
        end = start + len(page)
        cursor = base64.b64encode(f"offset:{end}".encode()).decode() if page else None
        nodes_sel = root.child("nodes") or gql.Field("nodes")
        data = {
            "pageInfo": {"hasNextPage": end < len(rows), "endCursor": cursor},
            "nodes": [
                self._order(o, nodes_sel, ["orders", "nodes", i], errors)
                for i, o in enumerate(page)
            ],
        }
        # the actual cost counts the objects returned, not the ones asked for
        return data, 2 + len(page) * gql.field_cost(nodes_sel)

    def take_unlocked(self, counter: str) -> bool:
        left = getattr(self.scenario, counter)
        if left > 0:
            setattr(self.scenario, counter, left - 1)
            return True
        return False
