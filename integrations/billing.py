"""Stripe billing through the official SDK: customers, Checkout, plan changes, portal, webhooks.

Thin: every call returns plain dicts (see :func:`normalize_subscription`) and raises the typed
errors of ``integrations.errors``. Every create/update call carries an idempotency key from
the caller, so a retried click or a retried job never creates a second customer, session or
plan change. ``api_base`` points the SDK at a local fake in tests (STRIPE_API_BASE).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

from integrations.errors import AuthExpired, BadResponse, IntegrationError, RateLimited, Transient
from plans import PLANS

PLATFORM = "stripe"
# Events we act on; anything else is acknowledged and ignored.
HANDLED_EVENTS = (
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
)


class SignatureInvalid(IntegrationError):
    """A webhook whose Stripe-Signature does not verify (bad secret, body or stale timestamp)."""


@dataclass(frozen=True)
class Checkout:
    id: str
    url: str


def _ts(value: Any) -> datetime | None:
    """Stripe timestamps are Unix seconds (UTC)."""
    if value is None or value == "":
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadResponse(f"not a Unix timestamp: {value!r}", platform=PLATFORM) from exc


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return default


def _plain(obj: Any) -> Any:
    """StripeObject -> plain dicts/lists (the SDK's objects are not dicts)."""
    if isinstance(obj, stripe.StripeObject):
        obj = obj.to_dict()
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def normalize_subscription(obj: Any, prices: Mapping[str, str]) -> dict:
    """A Stripe subscription object -> the fields we store.

    Since API version 2025-03-31 the period lives on each subscription item; older payloads
    carry it on the subscription itself: both are read. The plan comes from the item's price
    id (our configured prices), falling back to ``metadata.plan``.
    """
    obj = _plain(obj)
    if _get(obj, "object") != "subscription" or not _get(obj, "id"):
        raise BadResponse.from_payload("not a subscription object", obj, platform=PLATFORM)
    items = _get(_get(obj, "items") or {}, "data") or []
    item = items[0] if items else {}
    price_id = _get(_get(item, "price") or {}, "id")
    by_price = {v: k for k, v in prices.items() if v}
    plan = by_price.get(price_id) or _get(_get(obj, "metadata") or {}, "plan")
    customer = _get(obj, "customer")
    if isinstance(customer, Mapping):
        customer = customer.get("id")
    return {
        "id": obj["id"],
        "customer": customer,
        "status": _get(obj, "status"),
        "plan": plan if plan in PLANS else None,
        "price_id": price_id,
        "trial_end": _ts(_get(obj, "trial_end")),
        "current_period_start": _ts(
            _get(item, "current_period_start", _get(obj, "current_period_start"))
        ),
        "current_period_end": _ts(
            _get(item, "current_period_end", _get(obj, "current_period_end"))
        ),
        "cancel_at_period_end": bool(_get(obj, "cancel_at_period_end")),
        "canceled_at": _ts(_get(obj, "canceled_at")),
        "ended_at": _ts(_get(obj, "ended_at")),
        "created": _ts(_get(obj, "created")),
        "org_id": _get(_get(obj, "metadata") or {}, "org_id"),
        "item_id": _get(item, "id"),
    }


def subscription_id_of(event: Mapping[str, Any]) -> str | None:
    """The subscription an event is about (checkout session, subscription or invoice)."""
    obj = _get(_get(event, "data") or {}, "object") or {}
    kind = _get(obj, "object")
    if kind == "subscription":
        return _get(obj, "id")
    if kind == "checkout.session":
        sub = _get(obj, "subscription")
        return sub.get("id") if isinstance(sub, Mapping) else sub
    if kind == "invoice":
        # API 2025-03-31+: invoice.parent.subscription_details.subscription; before: .subscription
        details = _get(_get(obj, "parent") or {}, "subscription_details") or {}
        sub = _get(details, "subscription") or _get(obj, "subscription")
        return sub.get("id") if isinstance(sub, Mapping) else sub
    return None


def construct_event(payload: bytes, sig_header: str | None, secret: str) -> dict:
    """Verify the Stripe-Signature header (default 300 s tolerance) and parse the event."""
    if not secret:
        raise SignatureInvalid("no webhook secret is configured", platform=PLATFORM)
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, secret)
    except stripe.SignatureVerificationError as exc:
        raise SignatureInvalid(f"signature check failed: {exc.user_message or exc}") from exc
    except ValueError as exc:  # the body is not JSON
        raise BadResponse("the webhook body is not JSON", platform=PLATFORM) from exc
    data = _plain(event)
    if not _get(data, "id") or not _get(data, "type"):
        raise BadResponse.from_payload("not an event", data, platform=PLATFORM)
    return data


class BillingClient:
    """The org's side of Stripe. ``prices`` maps plan key -> Stripe price id."""

    def __init__(
        self,
        secret_key: str,
        prices: Mapping[str, str],
        api_base: str = "",
        max_network_retries: int = 2,
    ) -> None:
        if not secret_key:
            raise AuthExpired("no STRIPE_SECRET_KEY is configured", platform=PLATFORM)
        self.prices = dict(prices)
        self._secret = secret_key
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
        )

    # ---- helpers -------------------------------------------------------------------------
    def price_for(self, plan: str) -> str:
        price = self.prices.get(plan)
        if plan not in PLANS or not price:
            raise BadResponse(f"no Stripe price is configured for plan {plan!r}", platform=PLATFORM)
        return price

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return _plain(fn(*args, **kwargs))
        except stripe.AuthenticationError as exc:
            raise AuthExpired(f"Stripe refused the API key: {exc.user_message}") from exc
        except stripe.PermissionError as exc:
            raise AuthExpired(f"the API key lacks a permission: {exc.user_message}") from exc
        except stripe.RateLimitError as exc:
            raise RateLimited("Stripe rate limit", platform=PLATFORM, status=429) from exc
        except stripe.APIConnectionError as exc:
            raise Transient(f"could not reach Stripe: {exc.user_message}") from exc
        except stripe.InvalidRequestError as exc:
            raise BadResponse(
                f"Stripe refused the request: {exc.user_message}",
                platform=PLATFORM,
                status=exc.http_status,
                code=exc.code,
            ) from exc
        except stripe.IdempotencyError as exc:
            raise BadResponse(
                f"idempotency key reused with other parameters: {exc.user_message}",
                platform=PLATFORM,
                status=exc.http_status,
            ) from exc
        except stripe.StripeError as exc:
            status = exc.http_status or 0
            cls = Transient if status >= 500 or status == 0 else BadResponse
            raise cls(
                f"Stripe error: {exc.user_message}", platform=PLATFORM, status=status
            ) from exc

    # ---- API -----------------------------------------------------------------------------
    def create_customer(self, org_id: int, name: str, email: str, idempotency_key: str) -> str:
        customer = self._call(
            self._client.v1.customers.create,
            params={"name": name, "email": email, "metadata": {"org_id": str(org_id)}},
            options={"idempotency_key": idempotency_key},
        )
        return customer["id"]

    def create_checkout(
        self,
        *,
        customer_id: str,
        org_id: int,
        plan: str,
        trial_days: int,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> Checkout:
        """A hosted Checkout page for a new subscription (a trial on the org's first one)."""
        sub_data: dict[str, Any] = {"metadata": {"org_id": str(org_id), "plan": plan}}
        if trial_days > 0:
            sub_data["trial_period_days"] = trial_days
        session = self._call(
            self._client.v1.checkout.sessions.create,
            params={
                "mode": "subscription",
                "customer": customer_id,
                "client_reference_id": str(org_id),
                "line_items": [{"price": self.price_for(plan), "quantity": 1}],
                "subscription_data": sub_data,
                "metadata": {"org_id": str(org_id), "plan": plan},
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": idempotency_key},
        )
        if not session.get("url"):
            raise BadResponse.from_payload("Checkout session without a url", session)
        return Checkout(session["id"], session["url"])

    def retrieve_subscription(self, subscription_id: str) -> dict:
        sub = self._call(self._client.v1.subscriptions.retrieve, subscription_id)
        return normalize_subscription(sub, self.prices)

    def change_plan(self, subscription_id: str, plan: str, idempotency_key: str) -> dict:
        """Swap the subscription's price; Stripe prorates the difference on the next invoice."""
        current = self.retrieve_subscription(subscription_id)
        if not current["item_id"]:
            raise BadResponse("the subscription has no item to change", platform=PLATFORM)
        sub = self._call(
            self._client.v1.subscriptions.update,
            subscription_id,
            params={
                "items": [{"id": current["item_id"], "price": self.price_for(plan)}],
                "proration_behavior": "create_prorations",
                "metadata": {"plan": plan},
            },
            options={"idempotency_key": idempotency_key},
        )
        return normalize_subscription(sub, self.prices)

    def portal_url(self, customer_id: str, return_url: str, idempotency_key: str) -> str:
        """Stripe's customer portal: payment method, invoices, cancellation."""
        session = self._call(
            self._client.v1.billing_portal.sessions.create,
            params={"customer": customer_id, "return_url": return_url},
            options={"idempotency_key": idempotency_key},
        )
        if not session.get("url"):
            raise BadResponse.from_payload("portal session without a url", session)
        return session["url"]
