"""Billing page (owners and admins, billing enabled only): the view from the org's access,
subscription and usage; a poll refreshes it while a finished Checkout waits for its webhook.

The org always comes from current_user; a member or viewer gets the not-allowed page and the
poll callback refuses them on the server too. Without STRIPE_SECRET_KEY there is no page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import dash
from dash import Input, Output, html
from dash.exceptions import PreventUpdate
from flask import get_flashed_messages, session
from flask_wtf.csrf import generate_csrf

from extensions import db
from layouts import billing as views
from layouts import shell as shell_layouts
from models import Organization
from models.analytics import MAX_CUSTOM_DAYS
from models.billing import FULL_ACCESS, access_for, billing_enabled, ever_subscribed, usage_meters
from models.permissions import Cap, can
from models.tenancy import current_org_id
from plans import AI_CADENCE_WORDS, PLAN_ORDER, PLANS

CHECKOUT_PENDING = "billing_checkout_pending"  # session flag set by /billing/done


def billing_view(org_id: int) -> dict[str, Any]:
    acc = access_for(org_id)
    org = db.session.get(Organization, org_id)
    live = acc.status in (*FULL_ACCESS, "past_due")
    current = acc.plan if acc.status != "none" else None
    plans = []
    for key in PLAN_ORDER:
        p = PLANS[key]
        plans.append(
            {
                "key": p.key,
                "name": p.name,
                "price_usd": p.price_usd,
                "connections": p.connections,
                "ai_cadence_words": AI_CADENCE_WORDS[p.ai_cadence],
                "pdf_exports_month": p.pdf_exports_month,
                "recomputes_day": p.recomputes_day,
                "diff": p.price_usd - current.price_usd if current else None,
            }
        )
    return {
        "status": acc.status,
        "plan_key": current.key if current else None,
        "plan_name": acc.plan.name,
        "plan_price": acc.plan.price_usd,
        "trial_end": acc.trial_end,
        "period_end": acc.period_end,
        "grace_ends_at": acc.grace_ends_at,
        "cancel_at_period_end": acc.cancel_at_period_end,
        "banner": acc.banner,
        "banner_level": acc.banner_level,
        "meters": usage_meters(org_id, acc.plan),
        "plans": plans,
        "live": live,
        "trial_available": not ever_subscribed(org_id),
        "has_customer": bool(org.stripe_customer_id),
        # back from Checkout (/billing/done) and the webhook has not landed yet
        "poll": not live and bool(session.get(CHECKOUT_PENDING)),
        "csrf_token": generate_csrf(),
        "exports": export_links() if acc.read_only and acc.status != "none" else [],
        "export_only": acc.export_only,
    }


def export_links(today: date | None = None) -> list[tuple[str, str]]:
    """Everything the org has, as CSV (the exports' longest range, ending today)."""
    today = today or datetime.now(UTC).date()
    span = f"range=custom&start={today - timedelta(days=MAX_CUSTOM_DAYS - 1)}&end={today}"
    return [
        ("Daily spend, revenue and MER (CSV)", f"/exports/analytics.csv?{span}"),
        ("Every creative's results (CSV)", f"/exports/analytics-creatives.csv?{span}&limit=all"),
    ]


def _allowed() -> bool:
    return billing_enabled() and can(Cap.MANAGE_BILLING)


def page() -> html.Div:
    """Called by the router per request."""
    if not billing_enabled():
        return shell_layouts.not_found()
    if not can(Cap.MANAGE_BILLING):
        return views.not_allowed()
    view = billing_view(current_org_id())
    return views.billing_page(view, get_flashed_messages(with_categories=True))


def validation_children() -> html.Div:
    sample = {
        "status": "none",
        "plan_key": None,
        "plan_name": "Starter",
        "plan_price": 499,
        "banner": "",
        "meters": [],
        "plans": [],
        "live": False,
        "trial_available": True,
        "has_customer": False,
        "poll": False,
        "csrf_token": "",
    }
    return views.billing_page(sample)


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(views.BODY, "children"),
        Output(views.POLL, "disabled"),
        Input(views.POLL, "n_intervals"),
        prevent_initial_call=True,
    )
    def refresh(_n: int | None) -> tuple[Any, bool]:
        if not _allowed():
            raise PreventUpdate
        view = billing_view(current_org_id())
        if not view["poll"]:
            session.pop(CHECKOUT_PENDING, None)
        return views.billing_body(view), not view["poll"]
