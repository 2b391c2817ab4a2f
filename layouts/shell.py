"""The app shell: navbar (collapses to a menu on phones), org switcher, persona switch,
data freshness and a badge on Integrations when a connection needs attention."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from brain.narrative import short_date
from layouts.components import ago

PERSONA_LABELS = {"cmo": "CMO", "vp_growth": "VP Growth", "director": "Director"}
NAV = (("Overview", "/"), ("Analytics", "/analytics"), ("Integrations", "/integrations"))


def issues_badge(issues: int) -> dbc.Badge | None:
    """'1 issue' in words (not a red dot alone) when connections need re-auth or failed."""
    if not issues:
        return None
    return dbc.Badge(
        f"{issues} issue" + ("" if issues == 1 else "s"),
        color="danger",
        pill=True,
        className="ms-1 nav-issues",
        id="nav-integrations-issues",
        title="A connection needs to be re-authorized or failed to sync",
    )


BELL_POLL_MS = 60_000  # the bell asks for new alerts once a minute


def bell_items(items: list[dict[str, Any]]) -> list:
    """The bell's list: newest first, unread in bold, resolved ones say so."""
    if not items:
        return [html.P("No alerts yet.", className="bell-empty px-3 py-2 mb-0 small")]
    out = []
    for item in items:
        tags = []
        if item.get("resolved"):
            tags.append(dbc.Badge("Resolved", color="success", className="ms-1"))
        elif item.get("severity") == "high":
            tags.append(dbc.Badge("High", color="danger", className="ms-1"))
        out.append(
            html.A(
                [
                    html.Span(item["title"], className="bell-title"),
                    *tags,
                    html.Span(item.get("body") or "", className="bell-body"),
                    html.Span(ago(item.get("at")), className="bell-when"),
                ],
                href=item.get("link") or "/",
                className="dropdown-item bell-item" + (" bell-unread" if item["unread"] else ""),
            )
        )
    return out


def bell_count(unread: int) -> list:
    """The badge on the bell (nothing when all is read) and words for screen readers."""
    label = f"{unread} unread alert" + ("" if unread == 1 else "s")
    return [
        dbc.Badge(str(unread), color="danger", pill=True, className="bell-badge")
        if unread
        else None,
        html.Span(label if unread else "No unread alerts", className="visually-hidden"),
    ]


def bell(data: dict[str, Any]) -> html.Div:
    """The navbar bell: unread count, the recent alerts, "Mark all read" (works at 390 px:
    it sits next to the menu button, outside the collapsing part)."""
    return html.Div(
        [
            dbc.DropdownMenu(
                [
                    dbc.DropdownMenuItem("Alerts", header=True),
                    html.Div(bell_items(data.get("items") or []), id="bell-list"),
                    dbc.DropdownMenuItem(divider=True),
                    html.Div(
                        [
                            html.Button(
                                "Mark all read",
                                id="bell-mark-read",
                                className="btn btn-link btn-sm",
                                n_clicks=0,
                            ),
                            html.A("Settings", href="/settings", className="btn btn-link btn-sm"),
                        ],
                        className="d-flex justify-content-between px-2",
                    ),
                ],
                label=html.Span(
                    [html.Span(className="bell-icon", **{"aria-hidden": "true"})]
                    + [html.Span(bell_count(int(data.get("unread") or 0)), id="bell-count")]
                ),
                id="bell-menu",
                align_end=True,
                nav=False,
                color="dark",
                toggle_class_name="bell-toggle",
                class_name="bell",
            ),
            dcc.Interval(id="bell-poll", interval=BELL_POLL_MS),
        ],
        className="bell-wrap ms-auto me-2",
    )


def freshness_text(as_of: Any, last_synced_at: Any, today: Any = None) -> str:
    """'Data through 24 Nov (5 days old) · synced 2 h ago': how old the data is relative to
    today, not only when the last sync ran (either part may be missing)."""
    from datetime import date

    parts = []
    if as_of:
        try:
            age = ((today or date.today()) - date.fromisoformat(str(as_of)[:10])).days
        except ValueError:
            age = None
        old = (
            ""
            if age is None or age < 0
            else " (today)"
            if age == 0
            else " (yesterday)"
            if age == 1
            else f" ({age} days old)"
        )
        parts.append(f"Data through {short_date(str(as_of))}{old}")
    if last_synced_at:
        parts.append(f"synced {ago(last_synced_at)}")
    return " · ".join(parts)


def navbar(shell: dict[str, Any], extra: list | None = None) -> dbc.Navbar:
    """shell: {user_name, user_email, org_name, org_id, orgs[{id,name}], persona, csrf_token,
    integration_issues?}. Without a user_email (the sales demo) there is no user menu; `extra`
    items go at the end of the collapsible part."""
    issues = int(shell.get("integration_issues") or 0)
    links = [
        dbc.NavItem(
            dbc.NavLink(
                [label, issues_badge(issues) if href == "/integrations" else None],
                href=href,
                id=f"nav-{label.lower()}",
                active="exact",
            )
        )
        for label, href in NAV
    ]
    org_switch = html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=shell["csrf_token"]),
            html.Label("Organization", htmlFor="org-switch-select", className="visually-hidden"),
            dcc.Dropdown(
                id="org-switch-select",
                options=[{"label": o["name"], "value": o["id"]} for o in shell["orgs"]],
                value=shell["org_id"],
                clearable=False,
                searchable=False,
                className="org-switch",
            ),
            dcc.Input(type="hidden", name="org_id", id="org-switch-value", value=shell["org_id"]),
        ],
        method="POST",
        action="/org/switch",
        id="org-switch-form",
        className="me-lg-2 my-2 my-lg-0",
    )
    persona = html.Div(
        [
            html.Label("View as", htmlFor="persona-select", className="visually-hidden"),
            dbc.Select(
                id="persona-select",
                options=[{"label": v, "value": k} for k, v in PERSONA_LABELS.items()],
                value=shell["persona"],
                size="sm",
            ),
        ],
        className="me-lg-2 my-2 my-lg-0 persona-switch",
    )
    user_menu = (
        None
        if not shell.get("user_email")
        else dbc.DropdownMenu(
            [
                dbc.DropdownMenuItem(shell["user_email"], header=True),
                dbc.DropdownMenuItem("Team", href="/team", external_link=True),
                dbc.DropdownMenuItem(
                    "Settings", href="/settings", external_link=True, id="nav-settings"
                ),
                dbc.DropdownMenuItem(
                    "Change password", href="/account/password", external_link=True
                ),
                dbc.DropdownMenuItem("Billing", href="/billing", id="nav-billing")
                if (shell.get("billing") or {}).get("show")
                else None,
                dbc.DropdownMenuItem(divider=True),
                html.Form(
                    [
                        dcc.Input(type="hidden", name="csrf_token", value=shell["csrf_token"]),
                        html.Button(
                            "Log out", type="submit", className="dropdown-item", id="logout"
                        ),
                    ],
                    method="POST",
                    action="/logout",
                ),
            ],
            label=shell["user_name"] or shell["user_email"],
            nav=True,
            align_end=True,
            id="user-menu",
        )
    )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.Span(className="brand-dot", **{"aria-hidden": "true"}), "Omnify Brain"],
                    href="/",
                    className="brand-mark",
                ),
                bell(shell["bell"]) if "bell" in shell else None,
                dbc.NavbarToggler(
                    [
                        html.Span(className="navbar-toggler-icon"),
                        html.Span("Menu", className="visually-hidden"),
                    ],
                    id="navbar-toggler",
                ),
                dbc.Collapse(
                    [
                        dbc.Nav(links, navbar=True, className="me-auto"),
                        org_switch
                        if len(shell["orgs"]) > 1
                        else html.Span(shell["org_name"], className="navbar-text me-lg-3 org-name"),
                        persona,
                        dbc.Nav([user_menu], navbar=True) if user_menu else None,
                        *(extra or []),
                    ],
                    id="navbar-collapse",
                    navbar=True,
                    is_open=False,
                ),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        expand="lg",
        className="mb-3",
    )


def app_shell(shell: dict[str, Any], extra: list | None = None) -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url", refresh="callback-nav"),
            dcc.Store(id="persona", data=shell["persona"], storage_type="memory"),
            navbar(shell, extra),
            dbc.Container(
                [
                    billing_banner(shell.get("billing") or {}),
                    sample_banner(shell),
                    html.P(
                        shell.get("freshness") or "",
                        id="shell-freshness",
                        className="freshness",
                    ),
                    dcc.Loading(
                        html.Main(id="page", role="main"),
                        type="dot",
                        delay_show=300,
                        # only page changes blank the page; parts have their own spinners
                        target_components={"page": "children"},
                    ),
                ],
                fluid=True,
                className="page-container",
            ),
            html.Div(id="toasts", className="toast-area", **{"aria-live": "polite"}),
        ]
    )


def sample_banner(shell: dict[str, Any]) -> dbc.Alert | None:
    """On every page while the org holds the sample: these numbers are not yours."""
    if not shell.get("sample"):
        return None
    remove = (
        html.Form(
            [
                dcc.Input(type="hidden", name="csrf_token", value=shell.get("csrf_token", "")),
                dbc.Button(
                    "Remove sample data",
                    type="submit",
                    color="link",
                    size="sm",
                    className="alert-link p-0 align-baseline",
                ),
            ],
            action="/sample/remove",
            method="POST",
            className="d-inline",
        )
        if shell.get("is_admin")
        else None
    )
    return dbc.Alert(
        [
            html.Strong("Sample data. "),
            "You are exploring Lumen Beauty's sample numbers, not your own. ",
            remove,
        ],
        color="warning",
        className="mb-2 py-2 sample-shell-banner",
        id="sample-shell-banner",
    )


def billing_banner(billing: dict[str, Any]) -> dbc.Alert | None:
    """Owners/admins: a failed payment, a pending trial or a cancelled plan, with the link."""
    if not billing.get("show") or not billing.get("banner"):
        return None
    return dbc.Alert(
        [billing["banner"], " ", dcc.Link("Open Billing", href="/billing", className="alert-link")],
        color=billing.get("level") or "warning",
        className="mb-2 py-2 billing-shell-banner",
        id="billing-shell-banner",
    )


def not_found() -> html.Div:
    return html.Div(
        [html.H1("Page not found", className="h3"), dcc.Link("Back to the overview", href="/")],
        className="py-5",
    )
