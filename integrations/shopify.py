"""Shopify Admin GraphQL client, webhook verification and order normalization.

Orders come from ``POST {base}/admin/api/{version}/graphql.json`` (header
``X-Shopify-Access-Token``), paged with ``pageInfo { hasNextPage endCursor }`` and
sorted by ``UPDATED_AT`` so incremental syncs (``updated_since``) see refunds.

Normalization choices (documented because the brain depends on them):

* ``order_id`` / ``customer_id`` are Shopify's numeric ids (the tail of the GID), so
  GraphQL syncs and REST-shaped webhooks upsert the same row.
* ``revenue`` = ``totalPriceSet`` − ``totalRefundedSet`` (shop currency, floored at
  0). ``currentTotalPriceSet`` is *not* used: it already excludes returned items,
  so subtracting refunds from it would double count them.
* ``utm_source`` = ``customerJourneySummary.firstVisit.utmParameters.source``
  (falling back to ``lastVisit``), ``None`` when Shopify has no journey.
* ``is_first_order``: the API flag - the customer's earliest order
  (``customer.orders(first: 1, sortKey: CREATED_AT)``) is this order. When that is
  unavailable, ``customer.numberOfOrders == 1``. Guest orders (no customer) are
  ``False`` (we cannot tell, and over-counting new customers inflates nc-ROAS).
  :func:`assign_first_orders` recomputes the flag as "earliest order per customer
  seen" over a set of rows (plus already-known first orders), for webhook rows and
  reconciliation.

Throttling: each response's ``extensions.cost`` is kept; before a query whose last
``requestedQueryCost`` exceeds ``throttleStatus.currentlyAvailable`` the client
sleeps ``(cost − available) / restoreRate``. A ``THROTTLED`` error becomes
:class:`RateLimited` with that wait and is retried by the policy.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import requests

from integrations.errors import (
    AccessDenied,
    AuthExpired,
    BadResponse,
    RateLimited,
    Transient,
    excerpt,
)
from integrations.http import (
    RetryPolicy,
    loads,
    make_session,
    parse_json,
    parse_retry_after,
    raise_for_status,
    send,
)
from integrations.parsing import to_float, to_int, to_utc
from integrations.types import OrderRow, ShopInfo
from integrations.versions import DEFAULT_VERSIONS

__all__ = [
    "API_VERSION",
    "ORDERS_QUERY",
    "REQUIRED_SCOPES",
    "ConnectInfo",
    "QueryCostExceeded",
    "ShopifyClient",
    "is_revenue",
    "assign_first_orders",
    "normalize_shop_url",
    "parse_order_node",
    "parse_order_webhook",
    "verify_webhook",
]

PLATFORM = "shopify"
log = logging.getLogger("integrations.shopify")
API_VERSION = DEFAULT_VERSIONS["shopify"]  # SHOPIFY_API_VERSION overrides

_ORDER_FIELDS = """
      id
      name
      test
      cancelledAt
      displayFinancialStatus
      createdAt
      updatedAt
      totalPriceSet { shopMoney { amount currencyCode } }
      totalRefundedSet { shopMoney { amount currencyCode } }
      customer {
        id
        numberOfOrders
        orders(first: 1, sortKey: CREATED_AT) { nodes { id } }
      }
      customerJourneySummary {
        firstVisit { utmParameters { source } }
        lastVisit { utmParameters { source } }
      }
"""

# Bulk operations (shopify.dev/docs/api/usage/bulk-operations/queries): one query over every
# order, run by Shopify, read as JSONL. No nested connection (it would come back as separate
# child lines), so first orders are recomputed over the full backfill (assign_first_orders).
BULK_ORDER_FIELDS = _ORDER_FIELDS.replace(
    "        orders(first: 1, sortKey: CREATED_AT) { nodes { id } }\n", ""
)
BULK_ORDERS_QUERY = (
    "{\n  orders {\n    edges {\n      node {" + BULK_ORDER_FIELDS + "      }\n    }\n  }\n}"
)
BULK_RUN_MUTATION = (
    "mutation Bulk($q: String!) {\n"
    "  bulkOperationRunQuery(query: $q) {\n"
    "    bulkOperation { id status }\n"
    "    userErrors { field message }\n"
    "  }\n"
    "}\n"
)
BULK_STATUS_QUERY = (
    "query BulkStatus { currentBulkOperation { id status errorCode objectCount url } }"
)

ORDERS_QUERY = (
    "query Orders($first: Int!, $after: String, $query: String) {\n"
    "  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {\n"
    "    pageInfo { hasNextPage endCursor }\n"
    "    nodes {" + _ORDER_FIELDS + "    }\n"
    "  }\n"
    "}\n"
)
ORDER_QUERY = "query Order($id: ID!) {\n  order(id: $id) {" + _ORDER_FIELDS + "  }\n}\n"
SHOP_QUERY = "query Shop { shop { name currencyCode } }"
# One real query at connect time: the shop, the scopes granted, and one order read with the
# same nested fields a sync reads (so a missing scope shows up now, not in the first sync).
CONNECT_QUERY = (
    "query Connect {\n"
    "  shop { name currencyCode ianaTimezone }\n"
    "  currentAppInstallation { accessScopes { handle } }\n"
    "  orders(first: 1, sortKey: CREATED_AT) { nodes {" + _ORDER_FIELDS + "  } }\n"
    "}\n"
)
WEBHOOK_TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED", "APP_UNINSTALLED")
SUBSCRIBE_MUTATION = (
    "mutation Subscribe($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {\n"
    "  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {\n"
    "    webhookSubscription { id topic uri }\n"
    "    userErrors { field message }\n"
    "  }\n"
    "}\n"
)
# read_customers: an order's customer; read_all_orders: orders older than 60 days
# (shopify.dev/docs/api/usage/access-scopes).
REQUIRED_SCOPES = ("read_orders", "read_all_orders", "read_customers")
MAX_QUERY_COST = 1000  # Shopify's single-query limit (MAX_COST_EXCEEDED above it)
MAX_PAGE = 250  # connections return at most 250 objects per page
FIRST_PAGE = 50  # before Shopify has told us what an order costs
# Revenue is money the shop kept: test orders, voided payments and cancelled orders that
# were never paid are not revenue (displayFinancialStatus values, Admin GraphQL API).
UNPAID_STATUSES = frozenset({"PENDING", "AUTHORIZED", "EXPIRED", "VOIDED"})

_SHOP_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_SHOP_DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
SHOP_DOMAIN_RE = _SHOP_DOMAIN  # what a shop's domain looks like (OAuth redirects check it)


def normalize_shop_url(shop_domain_or_base_url: str) -> str:
    """``"lumen"`` / ``"lumen.myshopify.com"`` → ``https://lumen.myshopify.com``.

    A full URL (``http://127.0.0.1:5000``) is taken as-is - only configuration and
    tests pass one; user input should be a shop name or ``*.myshopify.com`` domain.
    """
    value = shop_domain_or_base_url.strip()
    if "://" in value:
        return value.rstrip("/")
    value = value.lower().rstrip("/")
    if _SHOP_NAME.fullmatch(value):
        value += ".myshopify.com"
    if not _SHOP_DOMAIN.fullmatch(value):
        raise ValueError(f"not a Shopify shop domain: {shop_domain_or_base_url!r}")
    return f"https://{value}"


def _gid_tail(value: Any) -> str:
    return str(value).rsplit("/", 1)[-1]


def _money(node: Any, key: str) -> tuple[float, str | None]:
    money = ((node.get(key) or {}).get("shopMoney")) or {}
    return to_float(money.get("amount")), money.get("currencyCode")


def _utm_source(journey: Any) -> str | None:
    if not isinstance(journey, dict):
        return None
    for visit_key in ("firstVisit", "lastVisit"):
        visit = journey.get(visit_key) or {}
        source = (visit.get("utmParameters") or {}).get("source")
        if source and str(source).strip():
            return str(source).strip()
    return None


def is_revenue(test: Any, cancelled: Any, financial_status: Any) -> bool:
    """False for test orders, voided payments and cancelled orders that were never paid."""
    status = str(financial_status or "").upper()
    if test or status == "VOIDED":
        return False
    return not (cancelled and status in UNPAID_STATUSES)


def parse_order_node(node: Mapping[str, Any]) -> OrderRow:
    """Normalize one GraphQL ``Order`` node (raises KeyError/ValueError on bad shape).

    Orders that are not revenue (:func:`is_revenue`) are kept with revenue 0 and never as a
    customer's first order, so a later cancellation or a test order overwrites the row.
    """
    order_id = _gid_tail(node["id"])
    total, currency = _money(node, "totalPriceSet")
    refunded, _ = _money(node, "totalRefundedSet")
    customer = node.get("customer")
    customer_id = _gid_tail(customer["id"]) if customer and customer.get("id") else None
    is_first = False
    if customer_id:
        firsts = ((customer.get("orders") or {}).get("nodes")) or []
        if firsts and firsts[0].get("id"):
            is_first = _gid_tail(firsts[0]["id"]) == order_id
        elif customer.get("numberOfOrders") is not None:
            is_first = to_int(customer.get("numberOfOrders")) == 1
    counts = is_revenue(
        node.get("test"), node.get("cancelledAt"), node.get("displayFinancialStatus")
    )
    return OrderRow(
        order_id=order_id,
        placed_at=to_utc(node["createdAt"]),
        customer_id=customer_id,
        revenue=round(max(0.0, total - refunded), 2) if counts else 0.0,
        is_first_order=is_first and counts,
        utm_source=_utm_source(node.get("customerJourneySummary")),
        currency=str(currency or ""),
        updated_at=to_utc(node["updatedAt"]) if node.get("updatedAt") else None,
    )


def verify_webhook(raw_body: bytes, hmac_header: str | None, secret: str) -> bool:
    """Check ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body), constant time."""
    if not hmac_header or not secret:
        return False
    digest = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
    expected = base64.b64encode(digest)
    try:
        given = hmac_header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)


def parse_order_webhook(payload: Mapping[str, Any]) -> OrderRow:
    """Normalize an ``orders/create`` or ``orders/updated`` webhook body (REST shape).

    ``is_first_order`` comes from ``customer.orders_count == 1`` when Shopify sends it
    (older API versions); otherwise ``False`` - reconcile with :func:`assign_first_orders`.
    ``utm_source`` is always ``None``: an order's channel has one source of truth, the
    ``customerJourneySummary`` a sync reads (the webhook job keeps the stored channel).
    """
    try:
        total = to_float(payload.get("total_price"))
        refunded = 0.0
        for refund in payload.get("refunds") or []:
            for tx in refund.get("transactions") or []:
                if tx.get("kind") == "refund" and tx.get("status", "success") == "success":
                    refunded += to_float(tx.get("amount"))
        customer = payload.get("customer") or None
        customer_id = str(customer["id"]) if customer and customer.get("id") is not None else None
        orders_count = customer.get("orders_count") if customer else None
        counts = is_revenue(
            payload.get("test"), payload.get("cancelled_at"), payload.get("financial_status")
        )
        return OrderRow(
            order_id=str(payload["id"]),
            placed_at=to_utc(payload["created_at"]),
            customer_id=customer_id,
            revenue=round(max(0.0, total - refunded), 2) if counts else 0.0,
            is_first_order=counts
            and bool(customer_id and orders_count is not None and to_int(orders_count) == 1),
            utm_source=None,
            currency=str(payload.get("currency") or ""),
            updated_at=to_utc(payload["updated_at"]) if payload.get("updated_at") else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BadResponse.from_payload(
            "unexpected order webhook payload",
            dict(payload) if isinstance(payload, Mapping) else payload,
            platform=PLATFORM,
        ) from None


def assign_first_orders(
    rows: Iterable[OrderRow],
    known_first: Mapping[str, tuple[dt.datetime, str]] | None = None,
    *,
    trust_row_flags: bool = False,
) -> list[OrderRow]:
    """Set ``is_first_order`` from "earliest order of its customer among rows + known_first".

    ``known_first`` maps customer id → (placed_at, order_id) of first orders already
    stored. Guest rows keep their flag.

    With ``trust_row_flags=True`` (rows from :meth:`ShopifyClient.fetch_orders`, whose
    flag comes from the customer's full history) the rows' own flags are kept and only
    demoted when ``known_first`` holds an earlier, different first order. Use the
    default for webhook rows, whose flag is usually unknown. Note that the default
    mode mislabels a repeat order as first when the customer's real first order is
    neither in ``rows`` nor in ``known_first`` (e.g. a windowed initial backfill).
    """
    materialized = list(rows)
    known = dict(known_first or {})
    if trust_row_flags:
        out = []
        for row in materialized:
            cid = row["customer_id"]
            prior = known.get(cid) if cid is not None else None
            if row["is_first_order"] and prior is not None and prior[1] != row["order_id"]:
                if prior < (row["placed_at"], row["order_id"]):
                    row = OrderRow(**{**row, "is_first_order": False})
            out.append(row)
        return out
    first: dict[str, tuple[dt.datetime, str]] = known
    for row in materialized:
        cid = row["customer_id"]
        if cid is None:
            continue
        key = (row["placed_at"], row["order_id"])
        if cid not in first or key < first[cid]:
            first[cid] = key
    out = []
    for row in materialized:
        cid = row["customer_id"]
        if cid is not None:
            row = OrderRow(**{**row, "is_first_order": first[cid][1] == row["order_id"]})
        out.append(row)
    return out


class QueryCostExceeded(BadResponse):
    """Shopify refused a query over the single-query cost limit; ``cost`` is its cost."""

    def __init__(self, message: str, *, cost: float | None = None, **kw: Any) -> None:
        self.cost = cost
        super().__init__(message, **kw)


class ConnectInfo(ShopInfo):
    """What :meth:`ShopifyClient.validate_connection` learned about the shop."""

    timezone: str | None
    scopes: tuple[str, ...]


class ShopifyClient:
    """Thin Admin GraphQL client with cost-based throttling."""

    def __init__(
        self,
        shop_domain_or_base_url: str,
        access_token: str,
        api_version: str = API_VERSION,
        *,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = 100,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.base_url = normalize_shop_url(shop_domain_or_base_url)
        self._token = access_token
        self.api_version = api_version
        self.session = session or make_session()
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self._sleep = sleep or self.retry.sleep
        self.throttle_status: dict[str, float] | None = None
        self._last_cost: dict[str, float] = {}
        self.throttle_waits: list[float] = []
        self.served_version: str | None = None  # X-Shopify-API-Version of the last answer
        self._order_cost: float | None = None  # requested points per order, from Shopify

    def __repr__(self) -> str:
        return f"ShopifyClient(base_url={self.base_url!r})"

    @property
    def graphql_url(self) -> str:
        """The Admin GraphQL endpoint."""
        return f"{self.base_url}/admin/api/{self.api_version}/graphql.json"

    # ------------------------------------------------------------------ public API
    def validate_token(self) -> ShopInfo:
        """Cheap ``shop { name currencyCode }`` call; raises AuthExpired on a bad token."""
        data = self.query(SHOP_QUERY, operation="shop")
        shop = data.get("shop")
        if not isinstance(shop, dict) or not shop.get("name"):
            raise BadResponse.from_payload(
                "unexpected shop payload", data, secrets=[self._token], platform=PLATFORM
            )
        return ShopInfo(name=str(shop["name"]), currency=str(shop.get("currencyCode") or ""))

    def validate_connection(self) -> ConnectInfo:
        """One real query at connect time: the shop, its time zone, the granted scopes, and
        one order read with the fields a sync needs. Raises :class:`AccessDenied` naming the
        missing scopes (``read_all_orders`` is checked from ``accessScopes``: without it
        Shopify silently hides orders older than 60 days)."""
        data = self.query(CONNECT_QUERY, operation="connect")
        shop = data.get("shop")
        if not isinstance(shop, dict) or not shop.get("name"):
            raise BadResponse.from_payload(
                "unexpected shop payload", data, secrets=[self._token], platform=PLATFORM
            )
        install = data.get("currentAppInstallation") or {}
        granted = {
            str(s.get("handle")) for s in install.get("accessScopes") or [] if isinstance(s, dict)
        }
        missing = [s for s in REQUIRED_SCOPES if s not in granted]
        if missing:
            raise AccessDenied(
                f"the app token lacks {', '.join(missing)}",
                platform=PLATFORM,
                code="ACCESS_DENIED",
                required=", ".join(missing),
            )
        return ConnectInfo(
            name=str(shop["name"]),
            currency=str(shop.get("currencyCode") or ""),
            timezone=str(shop.get("ianaTimezone") or "") or None,
            scopes=tuple(sorted(granted)),
        )

    def subscribe_webhooks(self, uri: str, topics: Iterable[str] = WEBHOOK_TOPICS) -> list[str]:
        """Create this shop's webhook subscriptions (``webhookSubscriptionCreate`` with the
        ``uri`` field, Admin API 2025-10+). Returns the subscription ids; raises BadResponse
        with Shopify's userErrors."""
        ids = []
        for topic in topics:
            data = self.query(
                SUBSCRIBE_MUTATION,
                {"topic": topic, "sub": {"uri": uri, "format": "JSON"}},
                operation="subscribe",
            )
            result = data.get("webhookSubscriptionCreate") or {}
            if result.get("userErrors") or not result.get("webhookSubscription"):
                raise BadResponse.from_payload(
                    f"webhook subscription {topic} refused", result, platform=PLATFORM
                )
            ids.append(str(result["webhookSubscription"]["id"]))
        return ids

    def page_size_for_budget(self) -> int:
        """Orders per page so one page's ``requestedQueryCost`` stays within the single-query
        limit and the bucket: learned from Shopify's own cost figures, never guessed."""
        if self._order_cost is None:
            return max(1, min(self.page_size, FIRST_PAGE))
        cap = float(MAX_QUERY_COST)
        if self.throttle_status and self.throttle_status.get("maximumAvailable"):
            cap = min(cap, self.throttle_status["maximumAvailable"])
        fits = int((cap - 2) // max(self._order_cost, 1.0))
        return max(1, min(self.page_size, MAX_PAGE, fits))

    def _learn_order_cost(self, requested: float | None, first: int) -> None:
        if requested and first > 0:
            self._order_cost = max(1.0, (requested - 2) / first)

    def fetch_orders(self, updated_since: dt.datetime | None = None) -> Iterator[OrderRow]:
        """Yield orders updated at or after ``updated_since`` (all orders when None)."""
        search = None
        if updated_since is not None:
            since = to_utc(updated_since).strftime("%Y-%m-%dT%H:%M:%SZ")
            search = f"updated_at:>='{since}'"
        after: str | None = None
        while True:
            first = self.page_size_for_budget()
            try:
                data = self.query(
                    ORDERS_QUERY,
                    {"first": first, "after": after, "query": search},
                    operation="orders",
                    expected_cost=2 + first * self._order_cost if self._order_cost else None,
                )
            except QueryCostExceeded as exc:
                self._learn_order_cost(exc.cost, first)
                if self.page_size_for_budget() >= first:
                    raise
                continue  # same page, fewer orders
            self._learn_order_cost(self._last_cost.get("orders"), first)
            try:
                conn = data["orders"]
                nodes = conn["nodes"]
                info = conn["pageInfo"]
            except (KeyError, TypeError):
                raise BadResponse.from_payload(
                    "unexpected orders payload", data, secrets=[self._token], platform=PLATFORM
                ) from None
            for node in nodes:
                yield self._parse(node)
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")
            if not after:
                raise BadResponse.from_payload(
                    "hasNextPage without endCursor", info, platform=PLATFORM
                )

    def bulk_fetch_orders(
        self, poll_interval: float = 2.0, max_polls: int = 900
    ) -> Iterator[OrderRow]:
        """Every order through a bulk operation (backfills): start it, poll
        ``currentBulkOperation`` until COMPLETED, then stream the JSONL result. The rows'
        first-order flags are unknown (``False``): recompute them over the whole set."""
        data = self.query(BULK_RUN_MUTATION, {"q": BULK_ORDERS_QUERY}, operation="bulk")
        started = data.get("bulkOperationRunQuery") or {}
        for error in started.get("userErrors") or []:
            scope = re.search(r"`(read_\w+)`", str(error.get("message") or ""))
            if scope:  # the bulk query reads a field the token has no scope for
                raise AccessDenied(
                    f"ACCESS_DENIED: {error.get('message')}",
                    platform=PLATFORM,
                    code="ACCESS_DENIED",
                    required=scope.group(1),
                )
        if started.get("userErrors") or not started.get("bulkOperation"):
            raise BadResponse.from_payload("bulk operation refused", started, platform=PLATFORM)
        op_id = started["bulkOperation"].get("id")
        for _ in range(max_polls):
            op = self.query(BULK_STATUS_QUERY, operation="bulk_status").get("currentBulkOperation")
            if not isinstance(op, dict) or op.get("id") != op_id:
                raise BadResponse.from_payload("bulk operation vanished", op, platform=PLATFORM)
            status = op.get("status")
            if status == "COMPLETED":
                if not op.get("url"):  # no orders at all
                    return
                yield from self._bulk_rows(str(op["url"]))
                return
            if status in ("FAILED", "CANCELED", "EXPIRED"):
                raise Transient(
                    f"bulk operation {status}: {op.get('errorCode')}", platform=PLATFORM
                )
            self._sleep(poll_interval)
        raise Transient("bulk operation still running", platform=PLATFORM)

    def _bulk_rows(self, url: str) -> Iterator[OrderRow]:
        # the result URL is a signed download link: no access token is sent with it
        resp = send(self.session, "GET", url, platform=PLATFORM, secrets=[self._token])
        raise_for_status(resp, platform=PLATFORM, secrets=[self._token])
        for line in resp.iter_lines():
            if not line.strip():
                continue
            try:
                node = loads(line)
            except ValueError:
                raise BadResponse.from_payload(
                    "malformed bulk JSONL line", line[:200], platform=PLATFORM
                ) from None
            if "__parentId" not in node:
                row = self._parse(node)
                yield OrderRow(**{**row, "is_first_order": False})

    def fetch_order(self, order_id: str | int) -> OrderRow | None:
        """One order by numeric id or GID (None when it does not exist)."""
        gid = str(order_id)
        if not gid.startswith("gid://"):
            gid = f"gid://shopify/Order/{gid}"
        data = self.query(ORDER_QUERY, {"id": gid}, operation="order")
        node = data.get("order")
        return self._parse(node) if node else None

    def query(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation: str = "query",
        expected_cost: float | None = None,
    ) -> dict[str, Any]:
        """Run a GraphQL query with throttling and retries; returns ``data``.

        Before sending, waits until the bucket holds ``expected_cost`` (default: what the
        same operation was charged last time)."""
        self._wait_for_budget(expected_cost or self._last_cost.get(operation))
        return self.retry.call(self._post_once, query, dict(variables or {}), operation)

    # ------------------------------------------------------------------ internals
    def _parse(self, node: Any) -> OrderRow:
        try:
            return parse_order_node(node)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BadResponse.from_payload(
                "unexpected order node", node, secrets=[self._token], platform=PLATFORM
            ) from None

    def _wait_for_budget(self, cost: float | None) -> None:
        status = self.throttle_status
        if not cost or not status:
            return
        available = status.get("currentlyAvailable", 0.0)
        rate = status.get("restoreRate") or 0.0
        if available >= cost or rate <= 0:
            return
        wait = (cost - available) / rate
        if wait > self.retry.max_retry_after:
            raise RateLimited(
                f"query cost {cost:.0f} > available {available:.0f}",
                platform=PLATFORM,
                retry_after=wait,
            )
        self.throttle_waits.append(wait)
        self._sleep(wait)
        status["currentlyAvailable"] = cost

    def _note_version(self, served: str | None) -> None:
        """Shopify serves the oldest supported version when ours is no longer supported."""
        if served and served != self.api_version and served != self.served_version:
            log.warning(
                "shopify: asked for API %s but was served %s (ours is unsupported: "
                "set SHOPIFY_API_VERSION to a supported version)",
                self.api_version,
                served,
            )
        self.served_version = served or self.served_version

    def _record_cost(
        self, payload: Any, operation: str
    ) -> tuple[float | None, dict[str, float] | None]:
        cost = (
            ((payload.get("extensions") or {}).get("cost")) if isinstance(payload, dict) else None
        )
        if not isinstance(cost, dict):
            return None, None
        requested = cost.get("requestedQueryCost")
        status = cost.get("throttleStatus")
        if isinstance(status, dict):
            self.throttle_status = {
                k: float(status[k])
                for k in ("maximumAvailable", "currentlyAvailable", "restoreRate")
                if isinstance(status.get(k), int | float)
            }
        if isinstance(requested, int | float):
            self._last_cost[operation] = float(requested)
            return float(requested), self.throttle_status
        return None, self.throttle_status

    def _post_once(self, query: str, variables: dict[str, Any], operation: str) -> dict[str, Any]:
        resp = send(
            self.session,
            "POST",
            self.graphql_url,
            platform=PLATFORM,
            secrets=[self._token],
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": self._token, "Content-Type": "application/json"},
        )
        if resp.status_code in (401, 403):
            raise AuthExpired(
                f"HTTP {resp.status_code}: {excerpt(resp.content[:300], [self._token])}",
                platform=PLATFORM,
                status=resp.status_code,
            )
        if resp.status_code >= 400:  # 429 → RateLimited, 5xx → Transient, else BadResponse
            raise_for_status(resp, platform=PLATFORM, secrets=[self._token])
        payload = parse_json(resp, platform=PLATFORM, secrets=[self._token])
        if not isinstance(payload, dict):
            raise BadResponse.from_payload(
                "expected a JSON object", payload, secrets=[self._token], platform=PLATFORM
            )
        self._note_version(resp.headers.get("X-Shopify-API-Version"))
        requested, status = self._record_cost(payload, operation)
        errors = payload.get("errors")
        if errors:
            self._raise_graphql_errors(errors, requested, status, resp)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise BadResponse.from_payload(
                "response without data", payload, secrets=[self._token], platform=PLATFORM
            )
        return data

    def _raise_graphql_errors(
        self,
        errors: Any,
        requested: float | None,
        status: dict[str, float] | None,
        resp: requests.Response,
    ) -> None:
        items = errors if isinstance(errors, list) else [{"message": str(errors)}]
        codes = [
            str(((e.get("extensions") or {}).get("code")) or "") if isinstance(e, dict) else ""
            for e in items
        ]
        message = "; ".join(
            str(e.get("message") if isinstance(e, dict) else e)[:120] for e in items
        )[:300]
        if "THROTTLED" in codes:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            if retry_after is None and requested and status and status.get("restoreRate"):
                retry_after = max(
                    0.0, (requested - status.get("currentlyAvailable", 0.0)) / status["restoreRate"]
                )
            raise RateLimited(
                f"THROTTLED: {message}",
                platform=PLATFORM,
                code="THROTTLED",
                retry_after=retry_after,
            )
        if "MAX_COST_EXCEEDED" in codes:
            first = next(e for e, c in zip(items, codes, strict=True) if c == "MAX_COST_EXCEEDED")
            cost = (first.get("extensions") or {}).get("cost")
            raise QueryCostExceeded(
                f"MAX_COST_EXCEEDED: {message}",
                platform=PLATFORM,
                code="MAX_COST_EXCEEDED",
                cost=float(cost) if isinstance(cost, int | float) else None,
            )
        if "ACCESS_DENIED" in codes:
            required = sorted(
                {
                    str((e.get("extensions") or {}).get("requiredAccess") or "")
                    .replace("`", "")
                    .replace(" access scope.", "")
                    .strip()
                    for e, c in zip(items, codes, strict=True)
                    if c == "ACCESS_DENIED" and isinstance(e, dict)
                }
                - {""}
            )
            raise AccessDenied(
                f"ACCESS_DENIED: {message}",
                platform=PLATFORM,
                code="ACCESS_DENIED",
                required=", ".join(required) or None,
            )
        if "INTERNAL_SERVER_ERROR" in codes:
            raise Transient(
                f"INTERNAL_SERVER_ERROR: {message}", platform=PLATFORM, code="INTERNAL_SERVER_ERROR"
            )
        raise BadResponse(
            f"GraphQL errors: {message}",
            platform=PLATFORM,
            code=next((c for c in codes if c), None),
        )
