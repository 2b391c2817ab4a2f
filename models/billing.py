"""Billing state per org: the stored Stripe subscription, access, usage and plan limits.

Stripe is the truth: ``apply_subscription`` stores what Stripe says a subscription is now
(the webhook re-fetches it, so arrival order never matters). Everything else is derived:

* ``access_for(org_id)``: plan, status, whether the org is read-only and why, banners.
  trialing/active: full access within the plan's limits. past_due: GRACE_DAYS from the start
  of the unpaid period (Stripe's own ``current_period_start``), then read-only. canceled:
  read-only until the period end, then the export-your-data page. No subscription yet:
  read-only until a plan is chosen. Read-only blocks what a person starts (connecting,
  manual syncs and recomputes, PDF exports); scheduled syncs keep running, nothing is deleted.
* ``check_allowed(org_id, kind)`` raises :class:`LimitReached` with a plain-words message and
  the upgrade link; ``record_usage`` adds a UsageEvent to the caller's transaction.

Without STRIPE_SECRET_KEY (self-hosted) every check passes and nothing is limited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, select

from extensions import app_config, db
from models.base import utcnow
from models.data import Connection, ConnectionStatus
from models.ops import Subscription, UsageEvent
from models.org import Organization
from models.security import audit
from plans import GRACE_DAYS, PLAN_ORDER, PLANS, SELF_HOSTED, Plan

UPGRADE_URL = "/billing"
LIVE_STATUSES = ("trialing", "active", "past_due", "unpaid", "paused", "incomplete")
FULL_ACCESS = ("trialing", "active")
KIND_WORDS = {
    "connections": ("connection", "connections"),
    "pdf_export": ("PDF export this month", "PDF exports a month"),
    "recompute": ("brain recompute today", "brain recomputes a day"),
}


class LimitReached(ValueError):
    """The plan's limit or the subscription's state forbids this; the message says what to do."""

    def __init__(self, message: str, upgrade_url: str = UPGRADE_URL) -> None:
        super().__init__(message)
        self.upgrade_url = upgrade_url


@dataclass
class Access:
    billing: bool  # billing is on (a Stripe key is configured)
    plan: Plan
    status: str  # Stripe's status, "none" without a subscription, "self_hosted"
    read_only: bool = False
    reason: str = ""  # why read-only, in plain words
    banner: str = ""  # for owners/admins: what needs doing
    banner_level: str = "warning"
    export_only: bool = False  # cancelled and past the period end
    grace_ends_at: datetime | None = None
    trial_end: datetime | None = None
    period_end: datetime | None = None
    cancel_at_period_end: bool = False
    subscription_id: str | None = None
    extra: dict = field(default_factory=dict)


def billing_enabled() -> bool:
    return bool(app_config().billing_enabled)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _day(value: datetime | None) -> str:
    return value.strftime("%b %-d, %Y") if value else "—"


# ---- subscriptions ---------------------------------------------------------------------------
def current_subscription(org_id: int) -> Subscription | None:
    """The org's subscription that matters: a live one first, newest first."""
    live = case((Subscription.status.in_(LIVE_STATUSES), 0), else_=1)
    return db.session.execute(
        select(Subscription)
        .where(Subscription.org_id == org_id)
        .order_by(live, Subscription.stripe_created.desc().nulls_last(), Subscription.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def ever_subscribed(org_id: int) -> bool:
    """A trial is for the first subscription only."""
    return (
        db.session.scalar(select(func.count(Subscription.id)).where(Subscription.org_id == org_id))
        or 0
    ) > 0


def org_for_customer(customer_id: str | None) -> Organization | None:
    if not customer_id:
        return None
    return db.session.execute(
        select(Organization).where(Organization.stripe_customer_id == customer_id).limit(1)
    ).scalar_one_or_none()


def apply_subscription(org: Organization, data: dict) -> Subscription:
    """Store Stripe's current view of one subscription (caller commits)."""
    sub = db.session.execute(
        select(Subscription).where(Subscription.stripe_subscription_id == data["id"])
    ).scalar_one_or_none()
    if sub is None:
        sub = Subscription(org_id=org.id, stripe_subscription_id=data["id"])
        db.session.add(sub)
    elif sub.org_id != org.id:
        raise ValueError("the subscription belongs to another organization")
    before = (sub.plan, sub.status)
    sub.plan = data.get("plan") or sub.plan or "starter"
    sub.status = data.get("status") or sub.status or "incomplete"
    sub.stripe_customer_id = data.get("customer")
    sub.price_id = data.get("price_id")
    sub.trial_end = data.get("trial_end")
    sub.current_period_start = data.get("current_period_start")
    sub.current_period_end = data.get("current_period_end")
    sub.cancel_at_period_end = bool(data.get("cancel_at_period_end"))
    sub.canceled_at = data.get("canceled_at")
    sub.ended_at = data.get("ended_at")
    sub.stripe_created = data.get("created")
    sub.updated_at = utcnow()
    if (sub.plan, sub.status) != before:
        audit(
            "billing.subscription", org.id, subscription=sub.stripe_subscription_id,
            plan=sub.plan, status=sub.status, previous_plan=before[0], previous_status=before[1],
        )  # fmt: skip
    db.session.flush()
    current = current_subscription(org.id)
    if current is not None:
        org.plan = current.plan
        org.stripe_subscription_id = current.stripe_subscription_id
    return sub


# ---- access ----------------------------------------------------------------------------------
def access_for(org_id: int, now: datetime | None = None) -> Access:
    """What the org may do now (see the module docstring)."""
    if not billing_enabled():
        return Access(billing=False, plan=SELF_HOSTED, status="self_hosted")
    now = now or utcnow()
    sub = current_subscription(org_id)
    if sub is None:
        return Access(
            billing=True,
            plan=PLANS["starter"],
            status="none",
            read_only=True,
            reason="No plan is active yet. Choose a plan to start your free trial.",
            banner="Choose a plan to start your 14-day free trial.",
            banner_level="info",
        )
    plan = PLANS.get(sub.plan, PLANS["starter"])
    period_start, period_end = _utc(sub.current_period_start), _utc(sub.current_period_end)
    acc = Access(
        billing=True,
        plan=plan,
        status=sub.status,
        trial_end=_utc(sub.trial_end),
        period_end=period_end,
        cancel_at_period_end=bool(sub.cancel_at_period_end),
        subscription_id=sub.stripe_subscription_id,
    )
    if sub.status in FULL_ACCESS:
        if sub.cancel_at_period_end:
            acc.banner = f"Your plan is cancelled and ends on {_day(period_end)}."
            acc.banner_level = "info"
        return acc
    if sub.status == "past_due":
        start = period_start or _utc(sub.updated_at) or now
        acc.grace_ends_at = start + timedelta(days=GRACE_DAYS)
        if now < acc.grace_ends_at:
            acc.banner = (
                "Your last payment failed. Update your payment method by "
                f"{_day(acc.grace_ends_at)} or Omnify Brain becomes read-only."
            )
            acc.banner_level = "danger"
            return acc
        acc.read_only = True
        acc.reason = (
            f"Payment is overdue since {_day(start)}: Omnify Brain is read-only until the "
            "payment method is updated. Your data keeps syncing; nothing is deleted."
        )
        acc.banner = acc.reason
        acc.banner_level = "danger"
        return acc
    if sub.status == "canceled":
        acc.read_only = True
        if period_end is not None and now < period_end:
            acc.reason = (
                f"Your plan was cancelled: read-only until {_day(period_end)}. "
                "Choose a plan to continue."
            )
        else:
            acc.export_only = True
            acc.reason = "Your plan has ended. Export your data, or choose a plan to continue."
        acc.banner = acc.reason
        return acc
    # unpaid, paused, incomplete, incomplete_expired
    acc.read_only = True
    acc.reason = (
        f"The subscription is {sub.status.replace('_', ' ')}: Omnify Brain is read-only until "
        "billing is sorted out. Your data keeps syncing; nothing is deleted."
    )
    acc.banner = acc.reason
    acc.banner_level = "danger"
    return acc


# ---- usage -----------------------------------------------------------------------------------
def record_usage(org_id: int, kind: str, quantity: int = 1) -> None:
    """Count metered work in the caller's transaction (it commits with the work)."""
    db.session.add(UsageEvent(org_id=org_id, kind=kind, quantity=int(quantity)))


def window_start(kind: str, now: datetime) -> datetime:
    """Recomputes count per UTC day, PDF exports per UTC calendar month."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.replace(day=1) if kind == "pdf_export" else day


def used(org_id: int, kind: str, now: datetime | None = None) -> int:
    now = now or utcnow()
    if kind == "connections":
        return (
            db.session.scalar(
                select(func.count(Connection.id)).where(
                    Connection.org_id == org_id, Connection.status != ConnectionStatus.DISABLED
                )
            )
            or 0
        )
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(UsageEvent.quantity), 0)).where(
                UsageEvent.org_id == org_id,
                UsageEvent.kind == kind,
                UsageEvent.at >= window_start(kind, now),
            )
        )
        or 0
    )


def usage_meters(org_id: int, plan: Plan, now: datetime | None = None) -> list[dict]:
    """The billing page's meters: used against the plan's limit."""
    now = now or utcnow()
    meters = []
    for kind in ("connections", "pdf_export", "recompute"):
        limit = plan.limit(kind)
        count = used(org_id, kind, now)
        meters.append(
            {
                "kind": kind,
                "label": {
                    "connections": "Connections",
                    "pdf_export": "PDF exports this month",
                    "recompute": "Brain recomputes today",
                }[kind],
                "used": count,
                "limit": limit,
                "pct": None if not limit else min(100, round(100 * count / limit)),
            }
        )
    return meters


def next_plan(plan: Plan) -> Plan | None:
    i = PLAN_ORDER.index(plan.key) if plan.key in PLAN_ORDER else -1
    return PLANS[PLAN_ORDER[i + 1]] if 0 <= i < len(PLAN_ORDER) - 1 else None


def _upgrade_hint(plan: Plan, kind: str) -> str:
    better = next_plan(plan)
    if better is None:
        return ""
    limit = better.limit(kind)
    words = KIND_WORDS[kind][1]
    more = "unlimited " + words if limit is None else f"{limit} {words}"
    return f" Upgrade to {better.name} for {more} on the Billing page ({UPGRADE_URL})."


def check_writable(org_id: int, now: datetime | None = None) -> Access:
    """Raise LimitReached when the org is read-only; returns its access otherwise."""
    acc = access_for(org_id, now)
    if acc.read_only:
        raise LimitReached(f"{acc.reason} Manage billing on the Billing page ({UPGRADE_URL}).")
    return acc


def check_allowed(
    org_id: int,
    kind: str,
    adding: int = 1,
    now: datetime | None = None,
    *,
    person: bool = True,
) -> None:
    """Raise LimitReached if the org may not do ``adding`` more of ``kind`` now.

    ``person=False`` is automatic work (a recompute after a scheduled sync): a read-only org
    still gets it, within the plan's limit.
    """
    acc = check_writable(org_id, now) if person else access_for(org_id, now)
    limit = acc.plan.limit(kind)
    if limit is None:
        return
    count = used(org_id, kind, now)
    if count + adding > limit:
        singular, plural = KIND_WORDS[kind]
        if kind == "connections":
            what = f"Your {acc.plan.name} plan includes {limit} {plural} and all are in use."
        else:
            what = f"Your {acc.plan.name} plan includes {limit} {plural}; {count} used."
        raise LimitReached(what + _upgrade_hint(acc.plan, kind))


def ai_narrative_due(org_id: int, last_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether the plan's AI narrative cadence allows a new narrative now."""
    now = now or utcnow()
    acc = access_for(org_id, now)
    if acc.read_only:
        return False
    if acc.plan.ai_cadence == "every_recompute" or last_at is None:
        return True
    gap = timedelta(days=7 if acc.plan.ai_cadence == "weekly" else 1)
    return now - _utc(last_at) >= gap
