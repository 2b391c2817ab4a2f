"""Billing page: plan, status, dates, usage meters, plan buttons with the price difference.

Pure functions from a plain ``view`` dict (built by callbacks/billing.py) to components.
Plan changes and the portal are plain HTML forms (POST with the CSRF token) to /billing/*,
which redirect to Stripe; the page works without any callback. Stacks to one column at 390 px.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

BODY = "billing-body"
POLL = "billing-poll"
POLL_MS = 3000
STATUS_WORDS = {
    "trialing": ("Free trial", "info"),
    "active": ("Active", "success"),
    "past_due": ("Payment overdue", "danger"),
    "unpaid": ("Unpaid", "danger"),
    "canceled": ("Cancelled", "secondary"),
    "incomplete": ("Waiting for payment", "warning"),
    "incomplete_expired": ("Checkout expired", "secondary"),
    "paused": ("Paused", "warning"),
    "none": ("No plan yet", "secondary"),
}


def _day(value: datetime | None) -> str:
    return value.strftime("%b %-d, %Y") if value else "—"


def _money(usd: int) -> str:
    return f"${usd:,}"


def status_badge(status: str) -> dbc.Badge:
    words, color = STATUS_WORDS.get(status, (status.replace("_", " ").title(), "secondary"))
    return dbc.Badge(words, color=color, className="billing-status", id="billing-status")


def date_line(view: dict[str, Any]) -> str:
    """The one date that matters for the status, in words."""
    status = view["status"]
    if status == "trialing":
        return f"Trial ends {_day(view.get('trial_end'))}; the first charge is on that day."
    if status == "canceled":
        return f"Access ends {_day(view.get('period_end'))}."
    if status == "past_due" and view.get("grace_ends_at"):
        return f"Read-only from {_day(view['grace_ends_at'])} unless the payment goes through."
    if view.get("cancel_at_period_end"):
        return f"Cancelled: ends {_day(view.get('period_end'))}."
    if view.get("period_end"):
        return f"Renews {_day(view['period_end'])}."
    return "Pick a plan to start your 14-day free trial."


def meter(m: dict[str, Any]) -> html.Div:
    """One usage meter: '2 of 3' with a bar; unlimited plans show the count alone."""
    limit, pct = m.get("limit"), m.get("pct")
    if limit is None:
        caption = f"{m['used']:,} used · unlimited"
        bar = dbc.Progress(
            value=100,
            color="success",
            className="billing-bar is-unlimited",
            style={"opacity": 0.35},
        )
    else:
        caption = f"{m['used']:,} of {limit:,}"
        color = "danger" if pct >= 100 else "warning" if pct >= 80 else "primary"
        bar = dbc.Progress(value=pct, color=color, className="billing-bar")
    note = None
    if limit is not None and m["used"] >= limit:
        note = html.Div("Limit reached: upgrade for more.", className="billing-meter-note")
    return html.Div(
        [
            html.Div(
                [
                    html.Span(m["label"], className="billing-meter-label"),
                    html.Span(caption, className="billing-meter-count"),
                ],
                className="billing-meter-head",
            ),
            bar,
            note,
        ],
        className="billing-meter",
        id={"type": "billing-meter", "index": m["kind"]},
    )


def _form(action: str, csrf: str, button: Any, hidden: dict[str, str] | None = None) -> html.Form:
    fields = [dcc.Input(type="hidden", name="csrf_token", value=csrf)]
    fields += [dcc.Input(type="hidden", name=k, value=v) for k, v in (hidden or {}).items()]
    return html.Form([*fields, button], method="POST", action=action, className="billing-form")


def plan_card(
    p: dict[str, Any], current: str | None, live: bool, csrf: str, trial: bool
) -> dbc.Col:
    """One plan with its limits and the button: start trial, upgrade or downgrade (+/- $)."""
    is_current = live and p["key"] == current
    diff = p.get("diff")
    if is_current:
        action = dbc.Button(
            "Current plan", disabled=True, color="secondary", outline=True, className="w-100"
        )
    else:
        if not live:
            label = f"Start 14-day trial of {p['name']}" if trial else f"Choose {p['name']}"
            color = "primary"
        elif diff is not None and diff > 0:
            label, color = f"Upgrade to {p['name']} (+{_money(diff)}/month)", "primary"
        else:
            label = f"Downgrade to {p['name']} (−{_money(abs(diff or 0))}/month)"
            color = "outline-secondary"
        action = _form(
            "/billing/plan",
            csrf,
            html.Button(
                label,
                type="submit",
                className=f"btn btn-{color} w-100",
                id={"type": "billing-plan-btn", "index": p["key"]},
            ),
            {"plan": p["key"]},
        )
    limits = [
        f"{p['connections']} connections" if p["connections"] else "Unlimited connections",
        f"AI narratives {p['ai_cadence_words']}",
        f"{p['pdf_exports_month']} PDF exports a month"
        if p["pdf_exports_month"]
        else "Unlimited PDF exports",
        f"{p['recomputes_day']} brain recomputes a day"
        if p["recomputes_day"]
        else "Unlimited brain recomputes",
    ]
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(
                        [
                            html.H3(p["name"], className="h5 mb-0"),
                            dbc.Badge("Current", color="primary", className="ms-2")
                            if is_current
                            else None,
                        ],
                        className="d-flex align-items-center",
                    ),
                    html.P(
                        [html.Span(_money(p["price_usd"]), className="billing-price"), " / month"],
                        className="mb-2",
                    ),
                    html.Ul([html.Li(x) for x in limits], className="billing-limits"),
                    action,
                ]
            ),
            className="billing-plan h-100" + (" is-current" if is_current else ""),
        ),
        xs=12,
        md=4,
    )


def summary_card(view: dict[str, Any]) -> dbc.Card:
    portal = None
    if view.get("has_customer"):
        portal = _form(
            "/billing/portal",
            view["csrf_token"],
            html.Button(
                "Invoices & payment method",
                type="submit",
                className="btn btn-outline-primary",
                id="billing-portal",
            ),
        )
    plan_words = (
        f"{view['plan_name']} · {_money(view['plan_price'])} / month"
        if view["status"] != "none"
        else "No plan yet"
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.Span(
                            plan_words, className="billing-plan-name", id="billing-plan-name"
                        ),
                        status_badge(view["status"]),
                    ],
                    className="billing-summary-head",
                ),
                html.P(
                    date_line(view), className="mb-2 text-body-secondary", id="billing-date-line"
                ),
                html.Div(
                    [
                        portal,
                        html.Span(
                            "Cancel, change the card or download invoices in Stripe's portal.",
                            className="billing-portal-note",
                        ),
                    ]
                    if portal
                    else [],
                    className="billing-portal",
                ),
            ]
        ),
        className="billing-card mb-3",
    )


def export_card(view: dict[str, Any]) -> dbc.Card | None:
    """Read-only or ended: the org's data, downloadable (nothing is deleted)."""
    if not view.get("exports"):
        return None
    intro = (
        "Your plan has ended. Your data is kept: download it here, or choose a plan below."
        if view.get("export_only")
        else "While the workspace is read-only you can still download all your data."
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Export your data", className="h5"),
                html.P(intro, className="text-body-secondary mb-2"),
                html.Ul(
                    [
                        html.Li(html.A(label, href=href, download=""))
                        for label, href in view["exports"]
                    ],
                    className="mb-0",
                ),
            ]
        ),
        className="billing-card mb-3",
        id="billing-export",
    )


def billing_body(view: dict[str, Any]) -> html.Div:
    """The refreshable part (the shell shows the banner: a failed payment, a trial to start)."""
    return html.Div(
        [
            summary_card(view),
            export_card(view),
            html.H2("Usage", className="h5 mt-2"),
            dbc.Card(
                dbc.CardBody([meter(m) for m in view["meters"]]),
                className="billing-card mb-3",
                id="billing-meters",
            ),
            html.H2("Plans", className="h5 mt-2"),
            dbc.Row(
                [
                    plan_card(
                        p,
                        view.get("plan_key"),
                        view["live"],
                        view["csrf_token"],
                        view["trial_available"],
                    )
                    for p in view["plans"]
                ],
                className="g-3",
            ),
            html.P(
                "Plan changes take effect at once; Stripe prorates the difference on your "
                "next invoice.",
                className="text-body-secondary small mt-2",
            ),
        ]
    )


def billing_page(view: dict[str, Any], messages: list[tuple[str, str]] | None = None) -> html.Div:
    return html.Div(
        [
            html.H1("Billing", className="h3 mb-1"),
            html.P("Your plan, what you have used, and invoices.", className="text-body-secondary"),
            *[
                dbc.Alert(
                    text,
                    color=cat if cat in ("danger", "success", "warning", "info") else "info",
                    dismissable=True,
                    className="mb-3",
                )
                for cat, text in (messages or [])
            ],
            dcc.Interval(
                id=POLL, interval=POLL_MS, disabled=not view.get("poll"), max_intervals=40
            ),
            html.Div(billing_body(view), id=BODY),
        ],
        id="billing-page",
        className="billing-page",
    )


def not_allowed() -> html.Div:
    return html.Div(
        [
            html.H1("Billing", className="h3"),
            html.P(
                "Only owners and admins can see and change billing. Ask an owner of your "
                "organization.",
                id="billing-not-allowed",
            ),
            dcc.Link("Back to the overview", href="/"),
        ],
        className="py-4",
    )
