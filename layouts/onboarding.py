"""Onboarding wizard for a new organization: profile -> connect -> first sync -> insights.

Pure view functions plus the profile validation (no database here). The stepper says in
words where you are ("Step 2 of 4", "done", "current"), colour only repeats it.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import dash_bootstrap_components as dbc
from dash import dcc, html

WIZARD = "onb-wizard"
GO = "onb-go"  # {"type": GO, "step": target step}
FINISH = "onb-finish"
CURRENCY = "onb-currency"
TIMEZONE = "onb-timezone"
MARGIN = "onb-margin"
SAVE = "onb-save"
PROFILE_FORM = "onb-profile-form"
PROFILE_ERROR = "onb-profile-error"
INSIGHTS = "onb-insights"
INSIGHTS_POLL = "onb-insights-poll"

STEPS: tuple[tuple[str, str], ...] = (
    ("profile", "Company profile"),
    ("connect", "Connect platforms"),
    ("backfill", "First sync or import"),
    ("insights", "First insights"),
)
STEP_KEYS = tuple(k for k, _ in STEPS)
DONE = "done"
CURRENCIES: tuple[tuple[str, str], ...] = (
    ("USD", "US dollar"),
    ("EUR", "Euro"),
    ("GBP", "British pound"),
    ("CAD", "Canadian dollar"),
    ("AUD", "Australian dollar"),
    ("NZD", "New Zealand dollar"),
    ("CHF", "Swiss franc"),
    ("SEK", "Swedish krona"),
    ("NOK", "Norwegian krone"),
    ("DKK", "Danish krone"),
    ("PLN", "Polish złoty"),
    ("JPY", "Japanese yen"),
    ("SGD", "Singapore dollar"),
    ("HKD", "Hong Kong dollar"),
    ("INR", "Indian rupee"),
    ("AED", "UAE dirham"),
    ("MXN", "Mexican peso"),
    ("BRL", "Brazilian real"),
    ("ZAR", "South African rand"),
)
CURRENCY_CODES = frozenset(code for code, _ in CURRENCIES)


def normalize_step(raw: Any) -> str:
    """The stored step, or the first one when it is missing or unknown."""
    return raw if raw in STEP_KEYS or raw == DONE else STEP_KEYS[0]


def next_step(step: str) -> str:
    if step not in STEP_KEYS:
        return DONE
    i = STEP_KEYS.index(step)
    return STEP_KEYS[i + 1] if i + 1 < len(STEP_KEYS) else DONE


def previous_step(step: str) -> str | None:
    if step not in STEP_KEYS:
        return STEP_KEYS[-1]
    i = STEP_KEYS.index(step)
    return STEP_KEYS[i - 1] if i > 0 else None


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """IANA zones people pick from (no legacy aliases like 'EST5EDT' or 'posix/...')."""
    zones = {
        z
        for z in available_timezones()
        if "/" in z and not z.startswith(("Etc/", "posix/", "right/", "SystemV/", "US/"))
    }
    return ("UTC", *sorted(zones))


def parse_profile(
    currency: Any, timezone: Any, margin_percent: Any, timezones: frozenset[str] | set[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate the profile form -> (clean values, errors by field). Margin 1-100 % -> 0.01-1.00."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if isinstance(currency, str) and currency.upper() in CURRENCY_CODES:
        clean["currency"] = currency.upper()
    else:
        errors["currency"] = "Pick your reporting currency from the list."
    if isinstance(timezone, str) and timezone in timezones:
        clean["timezone"] = timezone
    else:
        errors["timezone"] = "Pick a time zone from the list (type a city to search)."
    margin = None
    if not isinstance(margin_percent, bool) and isinstance(margin_percent, (int, float, str)):
        try:
            margin = Decimal(str(margin_percent).strip().rstrip("%").strip())
        except InvalidOperation:
            margin = None
    if margin is None or not margin.is_finite() or not (1 <= margin <= 100):
        errors["gross_margin"] = "Gross margin must be a number from 1 to 100 (percent)."
    else:
        clean["gross_margin"] = (margin / 100).quantize(Decimal("0.0001"))
    return clean, errors


def margin_percent(gross_margin: Any) -> float | None:
    """0.65 -> 65.0 for the form."""
    try:
        value = float(gross_margin)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else round(value * 100, 2)


# ---- components ------------------------------------------------------------------------------
def stepper(current: str, facts: dict[str, bool] | None = None) -> html.Nav:
    """Numbered steps with their state in words; aria-current marks the current one.

    ``facts`` says which steps really happened (profile saved, a connection exists, a first
    sync or import finished, insights computed): a step is "Done" only then; a step behind
    the current one that did not happen is "Skipped".
    """
    facts = facts or {}
    index = STEP_KEYS.index(current) if current in STEP_KEYS else len(STEP_KEYS)
    items = []
    for i, (key, label) in enumerate(STEPS):
        if i != index and facts.get(key):
            state, marker = "done", "✓"
        elif i < index:
            state, marker = "skipped", "–"
        elif i == index:
            state, marker = "current", str(i + 1)
        else:
            state, marker = "upcoming", str(i + 1)
        extra = {"aria-current": "step"} if state == "current" else {}
        items.append(
            html.Li(
                [
                    html.Span(marker, className="onb-marker", **{"aria-hidden": "true"}),
                    html.Span(
                        [
                            html.Span(label, className="onb-step-label"),
                            html.Span(
                                {
                                    "done": "Done",
                                    "skipped": "Skipped",
                                    "current": "Current step",
                                    "upcoming": "",
                                }[state],
                                className="onb-step-state",
                            ),
                        ],
                        className="onb-step-text",
                    ),
                ],
                className=f"onb-step onb-step-{state}",
                id=f"onb-step-{key}",
                **extra,
            )
        )
    summary = (
        f"Step {index + 1} of {len(STEPS)}: {STEPS[index][1]}"
        if index < len(STEPS)
        else "Setup complete"
    )
    return html.Nav(
        [html.P(summary, className="onb-summary", id="onb-summary"), html.Ol(items)],
        className="onb-stepper",
        **{"aria-label": "Setup progress"},
    )


def nav_button(label: str, target: str, primary: bool = False, **kwargs: Any) -> dbc.Button:
    return dbc.Button(
        label,
        id={"type": GO, "step": target},
        color="primary" if primary else "secondary",
        outline=not primary,
        className=kwargs.pop("className", "me-2 mb-2"),
        **kwargs,
    )


def skip_button(target: str) -> dbc.Button:
    return dbc.Button(
        "Skip for now",
        id={"type": GO, "step": target},
        type="button",  # inside the profile form: skipping must not submit (and save) it
        color="link",
        className="mb-2 onb-skip",
    )


def _field_error(message: str | None, field: str) -> html.Div:
    return html.Div(
        message or "",
        className="invalid-feedback d-block" if message else "d-none",
        id=f"onb-error-{field}",
    )


def profile_step(
    org: dict[str, Any],
    timezones: list[str],
    errors: dict[str, str] | None = None,
    can_edit: bool = True,
) -> html.Div:
    """Step 1: currency, time zone (searchable), gross margin in percent."""
    errors = errors or {}
    return html.Div(
        [
            html.H2("Company profile", className="h5"),
            html.P(
                "Omnify reports money in this currency and days in this time zone. The gross "
                "margin turns revenue into profit for LTV-ROAS and payback.",
                className="text-body-secondary small",
            ),
            dbc.Form(
                [
                    dbc.Label("Currency", html_for=CURRENCY),
                    dbc.Select(
                        id=CURRENCY,
                        options=[{"label": f"{c} — {n}", "value": c} for c, n in CURRENCIES],
                        value=org.get("currency") or "USD",
                        disabled=not can_edit,
                        invalid=bool(errors.get("currency")),
                    ),
                    _field_error(errors.get("currency"), "currency"),
                    dbc.Label("Time zone", html_for=TIMEZONE, className="mt-3", id="onb-tz-label"),
                    dcc.Dropdown(
                        id=TIMEZONE,
                        options=timezones,
                        value=org.get("timezone") or "UTC",
                        searchable=True,
                        clearable=False,
                        disabled=not can_edit,
                        placeholder="Type a city, e.g. New York",
                        className="onb-timezone",
                    ),
                    _field_error(errors.get("timezone"), "timezone"),
                    dbc.Label("Gross margin (%)", html_for=MARGIN, className="mt-3"),
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id=MARGIN,
                                type="number",
                                step="any",  # range checked on the server, message inline
                                value=margin_percent(org.get("gross_margin")),
                                inputMode="decimal",
                                disabled=not can_edit,
                                invalid=bool(errors.get("gross_margin")),
                            ),
                            dbc.InputGroupText("%"),
                        ],
                        className="onb-margin",
                    ),
                    html.Div(
                        "Revenue minus cost of goods, shipping and payment fees, as a percent "
                        "of revenue (typical for beauty brands: 60–75).",
                        className="form-text",
                    ),
                    _field_error(errors.get("gross_margin"), "gross_margin"),
                    html.Div(id=PROFILE_ERROR, **{"aria-live": "polite"}),
                    html.Div(
                        [
                            dbc.Button(
                                "Save and continue",
                                id=SAVE,
                                type="submit",
                                color="primary",
                                className="me-2 mb-2",
                                disabled=not can_edit,
                            ),
                            skip_button("connect"),
                        ],
                        className="mt-3",
                    ),
                    None
                    if can_edit
                    else html.P(
                        "Only owners and admins can change the company profile.",
                        className="small text-body-secondary",
                    ),
                ],
                id=PROFILE_FORM,
            ),
        ],
        className="onb-panel",
    )


def connect_step(
    cards: Any, services: Any, connected: int, sample_csrf: str | None = None
) -> html.Div:
    """Step 2: the integrations cards, as on /integrations."""
    return html.Div(
        [
            html.H2("Connect your platforms", className="h5"),
            html.P(
                "Connect at least one ad platform and your Shopify store: Omnify compares what "
                "the platforms claim with what the store really sold.",
                className="text-body-secondary small",
            ),
            no_app_options(sample_csrf),
            services,
            cards,
            html.Div(
                [
                    nav_button("Back", "profile"),
                    nav_button("Continue", "backfill", primary=True)
                    if connected
                    else skip_button("backfill"),
                ],
                className="mt-3",
            ),
        ],
        className="onb-panel",
    )


def sample_form(csrf_token: str) -> html.Form:
    """One click: the Lumen Beauty sample, marked "Sample data" everywhere, removable."""
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
            dbc.Button(
                "Explore with sample data",
                type="submit",
                color="secondary",
                outline=True,
                size="sm",
                id="onb-load-sample",
            ),
            html.Span(
                " Lumen Beauty's numbers, clearly marked; remove them in one click.",
                className="small text-body-secondary",
            ),
        ],
        action="/sample/load",
        method="POST",
        className="mt-2",
    )


def no_app_options(csrf_token: str | None = None) -> html.Div:
    """Ways in without a platform app: import exports, or explore sample data."""
    return html.Div(
        [
            html.Strong("No platform app yet? "),
            "Upload the reports you already export from Meta, Google Ads, TikTok and Shopify: ",
            dcc.Link("Import data", href="/import", id="onb-import-link"),
            ". Your first insights are computed when the first import finishes.",
            sample_form(csrf_token) if csrf_token else None,
        ],
        className="onb-alt small mb-3",
    )


def backfill_step(blocks: list, services: Any) -> html.Div:
    """Step 3: the first (90-day) syncs with their live progress bars."""
    body: list = (
        blocks
        if blocks
        else [
            html.P(
                "Nothing is syncing yet: connect a platform first, or skip and connect later "
                "on the Integrations page.",
                className="mb-0",
                id="onb-nothing-to-sync",
            )
        ]
    )
    return html.Div(
        [
            html.H2("First sync", className="h5"),
            html.P(
                "Omnify pulls the last 90 days from each platform. This takes a few minutes; "
                "you can continue meanwhile, it keeps running in the background.",
                className="text-body-secondary small",
            ),
            services,
            html.Div(body, className="onb-backfill"),
            html.Div(
                [
                    nav_button("Back", "connect"),
                    nav_button("Continue", "insights", primary=True),
                ],
                className="mt-3",
            ),
        ],
        className="onb-panel",
    )


def backfill_block(name: str, live: Any) -> html.Div:
    return html.Div([html.H3(name, className="h6 mb-2"), live], className="onb-backfill-item")


def insights_body(has_state: bool, pending: bool = True) -> list:
    """Step 4 body: ready, being computed (data is coming), or what to do next (no data)."""
    if has_state:
        return [
            html.P(
                "Your first insights are ready: what happened with your spend, what will break "
                "next, and what to do tomorrow.",
                id="onb-insights-ready",
            ),
        ]
    if pending:
        return [
            html.P(
                "Your first insights appear after the first sync or import. We'll compute "
                "them as soon as the data is in; this page updates by itself.",
                id="onb-insights-waiting",
            ),
        ]
    return [
        html.P(
            "Nothing to compute yet: no platform is connected and no file was imported, so "
            "there are no insights to wait for.",
            id="onb-insights-nothing",
        ),
        html.P(
            [
                "What happens next: ",
                dcc.Link("connect a platform", href="/integrations"),
                " or ",
                dcc.Link("import your exports", href="/import"),
                ". When the first sync or import finishes, Omnify computes your insights by "
                "itself and the dashboard shows them; nightly syncs keep them fresh.",
            ],
            className="mb-0",
        ),
    ]


def insights_step(has_state: bool, poll: bool, pending: bool = True) -> html.Div:
    return html.Div(
        [
            html.H2("First insights", className="h5"),
            html.Div(insights_body(has_state, pending), id=INSIGHTS, **{"aria-live": "polite"}),
            dcc.Interval(id=INSIGHTS_POLL, interval=3000, disabled=not poll, max_intervals=200),
            html.Div(
                [
                    nav_button("Back", "backfill"),
                    dbc.Button(
                        "Open the dashboard",
                        id=FINISH,
                        color="primary",
                        className="me-2 mb-2",
                    ),
                ],
                className="mt-3",
            ),
        ],
        className="onb-panel",
    )


def done_view() -> html.Div:
    return html.Div(
        [
            html.H2("Setup complete", className="h5"),
            html.P("Everything is in place. You can change these settings at any time."),
            dcc.Link("Open the dashboard", href="/", className="btn btn-primary me-2 mb-2"),
            dcc.Link(
                "Manage integrations",
                href="/integrations",
                className="btn btn-outline-secondary me-2 mb-2",
            ),
            dcc.Link(
                "Review the company profile",
                href="/settings",
                className="btn btn-outline-secondary mb-2",
                id="onb-review-profile",
            ),
        ],
        className="onb-panel",
        id="onb-done",
    )


def wizard(step: str, body: Any, facts: dict[str, bool] | None = None) -> list:
    return [stepper(step, facts), body]


def onboarding_page(
    org_name: str, step: str, body: Any, facts: dict[str, bool] | None = None
) -> html.Div:
    return html.Div(
        [
            html.H1(
                (f"Setup of {org_name}" if step == DONE else f"Welcome to Omnify Brain, {org_name}")
                if org_name
                else "Welcome",
                className="h3",
            ),
            html.P(
                "What is set up, and what was skipped."
                if step == DONE
                else "Four short steps to your first insights. You can skip any of them and "
                "come back later.",
                className="text-body-secondary",
            ),
            html.Div(wizard(step, body, facts), id=WIZARD),
        ],
        id="onboarding-page",
        className="onboarding-page",
    )
