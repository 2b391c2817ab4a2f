"""Fake Stripe API (v1) in Stripe's wire format, driven by the official ``stripe`` SDK.

What it speaks, as Stripe documents it:

* ``Authorization: Bearer sk_…``; a wrong key → 401 with the ``{"error": {...}}`` shape.
* Form-encoded bodies with bracket notation (``line_items[0][price]=…``,
  ``metadata[org_id]=…``); JSON bodies are refused like Stripe does.
* ``Idempotency-Key``: the same key with the same parameters replays the first response
  (``Idempotent-Replayed: true``); with other parameters → 400 ``idempotency_error``.
* Errors: ``{"error": {"type", "code", "message", "param", "doc_url"}}`` with 400/401/404.
* Objects: ``customer``, ``checkout.session`` (url to a hosted page served by this fake),
  ``billing_portal.session``, ``subscription`` (period on its items, as since 2025-03-31),
  ``price``, ``invoice`` (``parent.subscription_details.subscription``), ``event``.

Test helpers play Stripe's side: :meth:`FakeStripe.complete_checkout` turns an open session
into a subscription (trialing when the session asked for a trial), :meth:`set_subscription`
changes one, :meth:`event` builds an event and :func:`sign` signs a payload exactly as
Stripe does (``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
from typing import Any

from flask import Response, request

from tests.fakes.base import FakeAPI, json_response

API_KEY = "sk_test_fake_0123456789abcdef"
WEBHOOK_SECRET = "whsec_test_fake_secret_0123456789"
API_VERSION = "2026-10-28.endive"
PRICES = {  # plan -> (price id, unit amount in cents)
    "starter": ("price_starter_monthly", 49900),
    "growth": ("price_growth_monthly", 79900),
    "scale": ("price_scale_monthly", 149900),
}
DAY = 86400
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for ``payload``."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket notation -> nested dicts; ``a[0][b]`` makes lists."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        m = _KEY.match(raw_key)
        if not m:
            raise ValueError(raw_key)
        parts = [m.group(1)] + re.findall(r"\[([^\[\]]*)\]", m.group(2))
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, {})
            else:
                raise ValueError(raw_key)
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def stripe_error(
    status: int, message: str, type_: str = "invalid_request_error", **extra: Any
) -> Response:
    body = {"type": type_, "message": message, **extra}
    if "code" in extra:
        body["doc_url"] = f"https://docs.stripe.com/error-codes/{extra['code'].replace('_', '-')}"
    return json_response({"error": body}, status, {"Request-Id": f"req_{int(time.time())}"})


def _canonical() -> str:
    """The request's parameters, order-independent (idempotency compares these)."""
    return json.dumps(sorted(request.form.items(multi=True)))


class FakeStripe(FakeAPI):
    platform = "stripe"
    api_marker = "/v1/"

    def __init__(self, api_key: str = API_KEY, webhook_secret: str = WEBHOOK_SECRET) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.ids = itertools.count(1)
        self.customers: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.portal_sessions: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.idempotent: dict[str, tuple[str, str, int, str]] = {}
        self.updates: list[dict] = []  # every subscription update's parameters
        self.prices = {
            price_id: self._price(price_id, amount) for price_id, amount in PRICES.values()
        }
        super().__init__()

    @property
    def price_ids(self) -> dict[str, str]:
        """plan -> price id, as the app's configuration names them."""
        return {plan: price for plan, (price, _) in PRICES.items()}

    def _id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self.ids):06d}"

    @staticmethod
    def _price(price_id: str, amount: int) -> dict:
        return {
            "id": price_id,
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": 1767225600,
            "currency": "usd",
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": "prod_" + price_id.split("_")[1],
            "recurring": {
                "interval": "month",
                "interval_count": 1,
                "meter": None,
                "usage_type": "licensed",
            },
            "tax_behavior": "unspecified",
            "type": "recurring",
            "unit_amount": amount,
            "unit_amount_decimal": str(amount),
        }

    # ---- HTTP --------------------------------------------------------------------------
    def routes(self) -> None:  # noqa: C901 - one place that lists every endpoint
        app = self.app

        @app.before_request
        def _auth() -> Response | None:
            if not request.path.startswith("/v1/"):
                return None  # hosted pages (checkout, portal) are for the browser
            if self.take("server_errors"):
                return stripe_error(500, "An unknown error occurred", type_="api_error")
            auth = request.headers.get("Authorization", "")
            if auth != f"Bearer {self.api_key}":
                shown = auth.removeprefix("Bearer ")[:8] + "*" * 8 if auth else ""
                if not auth:
                    return stripe_error(
                        401,
                        "You did not provide an API key. You need to provide your API key in "
                        "the Authorization header, using Bearer auth.",
                    )
                return stripe_error(401, f"Invalid API Key provided: {shown}")
            if (
                request.method == "POST"
                and request.content_type
                and (not request.content_type.startswith("application/x-www-form-urlencoded"))
            ):
                return stripe_error(
                    400,
                    "Invalid request: request bodies must be form-encoded (Content-Type "
                    "application/x-www-form-urlencoded).",
                )
            key = request.headers.get("Idempotency-Key")
            if request.method == "POST" and key and key in self.idempotent:
                path, body, status, resp = self.idempotent[key]
                if path != request.path or body != _canonical():
                    return stripe_error(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters "
                        f"they were first used with. Try using a key other than '{key}' if you "
                        "meant to execute a different request.",
                        type_="idempotency_error",
                    )
                return Response(
                    resp,
                    status=status,
                    mimetype="application/json",
                    headers={"Idempotent-Replayed": "true", "Idempotency-Key": key},
                )
            return None

        @app.after_request
        def _remember(resp: Response) -> Response:
            key = request.headers.get("Idempotency-Key")
            if (
                request.method == "POST"
                and key
                and key not in self.idempotent
                and request.path.startswith("/v1/")
                and resp.status_code < 500
                and resp.headers.get("Idempotent-Replayed") != "true"
            ):
                self.idempotent[key] = (
                    request.path,
                    _canonical(),
                    resp.status_code,
                    resp.get_data(as_text=True),
                )
            resp.headers.setdefault("Stripe-Version", API_VERSION)
            return resp

        def params() -> dict[str, Any]:
            return decode_form(list(request.form.items(multi=True)))

        @app.post("/v1/customers")
        def create_customer() -> Response:
            p = params()
            cid = self._id("cus")
            self.customers[cid] = {
                "id": cid,
                "object": "customer",
                "address": None,
                "balance": 0,
                "created": int(time.time()),
                "currency": None,
                "default_source": None,
                "delinquent": False,
                "description": p.get("description"),
                "email": p.get("email"),
                "invoice_prefix": cid[-8:].upper(),
                "invoice_settings": {"default_payment_method": None},
                "livemode": False,
                "metadata": p.get("metadata") or {},
                "name": p.get("name"),
                "phone": None,
                "preferred_locales": [],
                "shipping": None,
                "tax_exempt": "none",
            }
            return json_response(self.customers[cid])

        @app.get("/v1/customers/<cid>")
        def get_customer(cid: str) -> Response:
            if cid not in self.customers:
                return self._missing("customer", cid)
            return json_response(self.customers[cid])

        @app.post("/v1/checkout/sessions")
        def create_session() -> Response:
            p = params()
            mode = p.get("mode")
            if mode not in ("payment", "setup", "subscription"):
                return stripe_error(
                    400,
                    "Invalid mode: must be one of payment, setup, or subscription",
                    code="parameter_invalid_empty" if not mode else "parameter_unknown",
                    param="mode",
                )
            if not p.get("success_url"):
                return stripe_error(
                    400,
                    "Missing required param: success_url.",
                    code="parameter_missing",
                    param="success_url",
                )
            customer = p.get("customer")
            if customer and customer not in self.customers:
                return self._missing("customer", customer, param="customer")
            items = p.get("line_items") or []
            if not isinstance(items, list) or not items:
                return stripe_error(
                    400,
                    "Missing required param: line_items.",
                    code="parameter_missing",
                    param="line_items",
                )
            for i, item in enumerate(items):
                if item.get("price") not in self.prices:
                    return self._missing(
                        "price", item.get("price"), param=f"line_items[{i}][price]"
                    )
            sid = "cs_test_" + hashlib.sha256(self._id("cs").encode()).hexdigest()[:40]
            now = int(time.time())
            amount = sum(
                self.prices[i["price"]]["unit_amount"] * int(i.get("quantity", 1)) for i in items
            )
            self.sessions[sid] = {
                "id": sid,
                "object": "checkout.session",
                "amount_subtotal": amount,
                "amount_total": amount,
                "cancel_url": p.get("cancel_url"),
                "client_reference_id": p.get("client_reference_id"),
                "created": now,
                "currency": "usd",
                "customer": customer,
                "customer_email": p.get("customer_email"),
                "expires_at": now + DAY,
                "invoice": None,
                "livemode": False,
                "metadata": p.get("metadata") or {},
                "mode": mode,
                "payment_status": "unpaid",
                "status": "open",
                "subscription": None,
                "success_url": p.get("success_url"),
                "ui_mode": "hosted",
                "url": f"{self.url}/c/pay/{sid}",
                # not part of the object: what the subscription will be made of
                "_line_items": items,
                "_subscription_data": p.get("subscription_data") or {},
            }
            return json_response(self._public(self.sessions[sid]))

        @app.get("/v1/checkout/sessions/<sid>")
        def get_session(sid: str) -> Response:
            if sid not in self.sessions:
                return self._missing("checkout.session", sid)
            return json_response(self._public(self.sessions[sid]))

        @app.get("/c/pay/<sid>")
        def hosted_checkout(sid: str) -> Response:
            session = self.sessions.get(sid)
            if session is None:
                return Response("<h1>Something went wrong</h1>", 404, mimetype="text/html")
            price = self.prices[session["_line_items"][0]["price"]]
            trial = session["_subscription_data"].get("trial_period_days")
            return Response(
                f"<!doctype html><title>Fake Stripe Checkout</title>"
                f"<h1 id='fake-checkout'>Fake Stripe Checkout</h1>"
                f"<p id='fake-checkout-price'>{price['id']}: "
                f"${price['unit_amount'] / 100:,.2f} / month</p>"
                f"<p id='fake-checkout-trial'>trial days: {trial or 0}</p>",
                mimetype="text/html",
            )

        @app.post("/v1/billing_portal/sessions")
        def create_portal() -> Response:
            p = params()
            customer = p.get("customer")
            if not customer:
                return stripe_error(
                    400,
                    "Missing required param: customer.",
                    code="parameter_missing",
                    param="customer",
                )
            if customer not in self.customers:
                return self._missing("customer", customer, param="customer")
            bid = self._id("bps")
            self.portal_sessions[bid] = {
                "id": bid,
                "object": "billing_portal.session",
                "configuration": "bpc_test_default",
                "created": int(time.time()),
                "customer": customer,
                "flow": None,
                "livemode": False,
                "locale": None,
                "on_behalf_of": None,
                "return_url": p.get("return_url"),
                "url": f"{self.url}/p/session/{bid}",
            }
            return json_response(self.portal_sessions[bid])

        @app.get("/p/session/<bid>")
        def hosted_portal(bid: str) -> Response:
            if bid not in self.portal_sessions:
                return Response("<h1>This link has expired</h1>", 404, mimetype="text/html")
            return Response(
                "<!doctype html><title>Fake Stripe portal</title><h1>Fake customer portal</h1>",
                mimetype="text/html",
            )

        @app.get("/v1/subscriptions/<sub_id>")
        def get_subscription(sub_id: str) -> Response:
            if sub_id not in self.subscriptions:
                return self._missing("subscription", sub_id)
            return json_response(self.subscriptions[sub_id])

        @app.post("/v1/subscriptions/<sub_id>")
        def update_subscription(sub_id: str) -> Response:
            sub = self.subscriptions.get(sub_id)
            if sub is None:
                return self._missing("subscription", sub_id)
            p = params()
            if sub["status"] in ("canceled", "incomplete_expired"):
                return stripe_error(
                    400,
                    "A canceled subscription can only update its cancellation_details and "
                    "metadata.",
                )
            behavior = p.get("proration_behavior", "create_prorations")
            if behavior not in ("always_invoice", "create_prorations", "none"):
                return stripe_error(
                    400, f"Invalid proration_behavior: {behavior}", param="proration_behavior"
                )
            for i, change in enumerate(p.get("items") or []):
                item = next((x for x in sub["items"]["data"] if x["id"] == change.get("id")), None)
                if item is None:
                    return self._missing(
                        "subscription_item", change.get("id"), param=f"items[{i}][id]"
                    )
                if "price" in change:
                    if change["price"] not in self.prices:
                        return self._missing("price", change["price"], param=f"items[{i}][price]")
                    item["price"] = self.prices[change["price"]]
            if "cancel_at_period_end" in p:
                sub["cancel_at_period_end"] = p["cancel_at_period_end"] == "true"
            sub["metadata"].update(p.get("metadata") or {})
            self.updates.append({"subscription": sub_id, **p})
            return json_response(sub)

    def _missing(self, what: str, ident: Any, param: str = "id") -> Response:
        return stripe_error(
            404 if param == "id" else 400,
            f"No such {what}: '{ident}'",
            code="resource_missing",
            param=param,
        )

    @staticmethod
    def _public(session: dict) -> dict:
        return {k: v for k, v in session.items() if not k.startswith("_")}

    # ---- Stripe's side (test helpers) --------------------------------------------------
    def new_subscription(
        self,
        customer: str,
        plan: str = "starter",
        status: str = "active",
        trial_days: int = 0,
        metadata: dict | None = None,
        period_start: int | None = None,
    ) -> dict:
        now = int(time.time()) if period_start is None else period_start
        sub_id, item_id = self._id("sub"), self._id("si")
        end = now + (trial_days * DAY if trial_days else 30 * DAY)
        sub = {
            "id": sub_id,
            "object": "subscription",
            "application": None,
            "billing_cycle_anchor": end if trial_days else now,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "collection_method": "charge_automatically",
            "created": now,
            "currency": "usd",
            "customer": customer,
            "default_payment_method": "pm_card_visa",
            "ended_at": None,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": item_id,
                        "object": "subscription_item",
                        "created": now,
                        "current_period_end": end,
                        "current_period_start": now,
                        "metadata": {},
                        "price": self.prices[PRICES[plan][0]],
                        "quantity": 1,
                        "subscription": sub_id,
                    }
                ],
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": dict(metadata or {}),
            "start_date": now,
            "status": "trialing" if trial_days else status,
            "trial_end": end if trial_days else None,
            "trial_start": now if trial_days else None,
        }
        self.subscriptions[sub_id] = sub
        return sub

    def complete_checkout(self, session_id: str) -> dict:
        """The customer paid on the hosted page: the session completes with a subscription."""
        session = self.sessions[session_id]
        data = session["_subscription_data"]
        price = session["_line_items"][0]["price"]
        plan = next(k for k, (pid, _) in PRICES.items() if pid == price)
        sub = self.new_subscription(
            session["customer"],
            plan,
            trial_days=int(data.get("trial_period_days") or 0),
            metadata=data.get("metadata") or {},
        )
        session.update(status="complete", payment_status="paid", subscription=sub["id"])
        if data.get("trial_period_days"):
            session["payment_status"] = "no_payment_required"
        return self._public(session)

    def set_subscription(self, sub_id: str, **changes: Any) -> dict:
        """Change a subscription as Stripe would (status, plan=..., period_start=..., ...)."""
        sub = self.subscriptions[sub_id]
        item = sub["items"]["data"][0]
        if "plan" in changes:
            item["price"] = self.prices[PRICES[changes.pop("plan")][0]]
        if "period_start" in changes:
            start = int(changes.pop("period_start"))
            item["current_period_start"], item["current_period_end"] = start, start + 30 * DAY
        if "period_end" in changes:
            item["current_period_end"] = int(changes.pop("period_end"))
        sub.update(changes)
        if sub["status"] == "canceled" and sub["ended_at"] is None:
            sub["ended_at"] = sub["canceled_at"] = int(time.time())
        return sub

    def invoice(self, sub_id: str, status: str = "paid", created: int | None = None) -> dict:
        sub = self.subscriptions[sub_id]
        amount = sub["items"]["data"][0]["price"]["unit_amount"]
        iid = self._id("in")
        return {
            "id": iid,
            "object": "invoice",
            "amount_due": amount,
            "amount_paid": amount if status == "paid" else 0,
            "amount_remaining": 0 if status == "paid" else amount,
            "attempt_count": 1,
            "attempted": True,
            "billing_reason": "subscription_cycle",
            "collection_method": "charge_automatically",
            "created": created or int(time.time()),
            "currency": "usd",
            "customer": sub["customer"],
            "hosted_invoice_url": f"{self.url}/i/{iid}",
            "livemode": False,
            "next_payment_attempt": None if status == "paid" else int(time.time()) + 3 * DAY,
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {"metadata": sub["metadata"], "subscription": sub_id},
            },
            "period_end": sub["items"]["data"][0]["current_period_start"],
            "period_start": sub["items"]["data"][0]["current_period_start"],
            "status": status,
            "total": amount,
        }

    def event(self, type_: str, obj: dict, created: int | None = None) -> dict:
        """An event as Stripe delivers it (a snapshot of ``obj`` at ``created``)."""
        return {
            "id": self._id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": created or int(time.time()),
            "data": {"object": json.loads(json.dumps(obj)), "previous_attributes": {}},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }

    def signed(self, event: dict, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """(body, headers) of the webhook request Stripe would send for ``event``."""
        body = json.dumps(event, indent=2).encode()
        return body, {
            "Stripe-Signature": sign(body, self.webhook_secret, timestamp),
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
