"""Billing actions shared by routes and callbacks: checkout, plan change, portal, webhooks.

Every function takes the org id from the caller (which takes it from current_user). Stripe
calls carry idempotency keys derived from the org and the intent, bucketed in time, so a
double click or a retried request returns the same customer/session instead of a second one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from extensions import app_config, db
from integrations.billing import (
    HANDLED_EVENTS,
    BillingClient,
    Checkout,
    normalize_subscription,
    subscription_id_of,
)
from integrations.errors import BadResponse
from jobs.notify import notify_admins
from models import Organization
from models.billing import (
    FULL_ACCESS,
    LIVE_STATUSES,
    apply_subscription,
    current_subscription,
    ever_subscribed,
    org_for_customer,
)
from plans import PLANS, TRIAL_DAYS

KEY_BUCKET_S = 600  # the same intent within 10 minutes reuses Stripe's first answer


def client() -> BillingClient:
    cfg = app_config()
    return BillingClient(cfg.STRIPE_SECRET_KEY, cfg.stripe_prices, cfg.STRIPE_API_BASE)


def _key(org_id: int, intent: str, bucket_s: int = KEY_BUCKET_S) -> str:
    return f"omnify-org{org_id}-{intent}-{int(time.time() // bucket_s)}"


def ensure_customer(org: Organization, email: str) -> str:
    """The org's Stripe customer, created once (the id is stored on the org)."""
    if org.stripe_customer_id:
        return org.stripe_customer_id
    org.stripe_customer_id = client().create_customer(
        org.id, org.name, email, idempotency_key=f"omnify-org{org.id}-customer"
    )
    db.session.commit()
    return org.stripe_customer_id


def start_checkout(
    org_id: int, email: str, plan: str, success_url: str, cancel_url: str
) -> Checkout:
    """A Checkout session for a new subscription; a 14-day trial if it is the org's first."""
    if plan not in PLANS:
        raise ValueError("Unknown plan.")
    org = db.session.get(Organization, org_id)
    customer = ensure_customer(org, email)
    trial = 0 if ever_subscribed(org_id) else TRIAL_DAYS
    return client().create_checkout(
        customer_id=customer,
        org_id=org_id,
        plan=plan,
        trial_days=trial,
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=_key(org_id, f"checkout-{plan}-trial{trial}"),
    )


def has_live_subscription(org_id: int) -> bool:
    sub = current_subscription(org_id)
    return sub is not None and sub.status in (*FULL_ACCESS, "past_due")


def change_plan(org_id: int, plan: str) -> str:
    """Switch the live subscription's plan (Stripe prorates); returns a message for the user."""
    if plan not in PLANS:
        raise ValueError("Unknown plan.")
    sub = current_subscription(org_id)
    if sub is None or sub.status not in LIVE_STATUSES or not sub.stripe_subscription_id:
        raise ValueError("There is no active subscription to change; choose a plan first.")
    if sub.plan == plan:
        return f"You are already on {PLANS[plan].name}."
    data = client().change_plan(
        sub.stripe_subscription_id, plan, _key(org_id, f"plan-{sub.stripe_subscription_id}-{plan}")
    )
    apply_subscription(db.session.get(Organization, org_id), data)
    db.session.commit()
    return f"Switched to {PLANS[plan].name}. Stripe prorates the difference on your next invoice."


def portal_url(org_id: int, return_url: str) -> str:
    org = db.session.get(Organization, org_id)
    if not org.stripe_customer_id:
        raise ValueError("There is no billing account yet; choose a plan first.")
    return client().portal_url(org.stripe_customer_id, return_url, _key(org_id, "portal", 60))


# ---- webhooks --------------------------------------------------------------------------------
def _fmt(ts: datetime | None) -> str:
    return ts.astimezone(UTC).strftime("%B %-d, %Y") if ts else "soon"


def handle_event(event: dict) -> str:
    """Apply one verified event (caller dedupes and commits). Returns what happened.

    The subscription is re-fetched from Stripe, so an old or repeated event can only ever
    store the subscription's current state: arrival order does not matter.
    """
    kind = event.get("type")
    if kind not in HANDLED_EVENTS:
        return "ignored"
    sub_id = subscription_id_of(event)
    if not sub_id:
        return "ignored: no subscription"  # e.g. a one-off invoice
    billing = client()
    try:
        data = billing.retrieve_subscription(sub_id)
    except BadResponse as exc:
        if exc.status != 404:
            raise
        obj = (event.get("data") or {}).get("object") or {}
        if obj.get("object") != "subscription":
            return "ignored: unknown subscription"
        data = normalize_subscription(obj, billing.prices)
    org = org_for_customer(data["customer"])
    if org is None:
        return "ignored: no organization has this customer"
    apply_subscription(org, data)
    if kind == "customer.subscription.trial_will_end" and data["status"] == "trialing":
        notify_admins(
            org.id,
            "Your Omnify Brain trial ends soon",
            f"Your free trial of the {PLANS.get(data['plan'] or '', PLANS['starter']).name} "
            f"plan ends on {_fmt(data['trial_end'])}. Your card will be charged then; "
            "manage your plan on the Billing page.",
        )
    if kind == "invoice.payment_failed" and data["status"] in ("past_due", "unpaid"):
        notify_admins(
            org.id,
            "Payment failed for Omnify Brain",
            "We could not charge your card for Omnify Brain. Update your payment method on "
            "the Billing page within 7 days to keep full access; after that the workspace "
            "becomes read-only (your data keeps syncing and nothing is deleted).",
        )
    return f"applied {data['status']}"
