"""Integrations page: one card per platform, live sync progress and the sync history.

Pure functions from plain dicts (see models/connections_view.py) to components, so the
wording and the status colours are unit-tested without a database. Status is always
spelled out in text next to its colour; tokens never appear (at most a masked hint).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import dcc, html

# ---- component ids shared with callbacks/integrations.py and the onboarding wizard --------
POLL = "int-poll"
KICK = "int-kick"
CARDS = "int-cards"
TOASTS = "int-toasts"
LIVE = "int-live"  # {"type": LIVE, "index": connection id}
SYNC_BTN = "int-sync"  # {"type": SYNC_BTN, "index": connection id}
DISCONNECT = "int-disconnect"  # {"type": DISCONNECT, "index": connection id}
HISTORY = "int-history"  # {"type": HISTORY, "index": "page"} (ALL-matched: optional output)
SHOPIFY_FORM = "shopify-form"
SHOPIFY_SHOP = "shopify-shop"
SHOPIFY_TOKEN = "shopify-token"  # noqa: S105 - a component id, not a secret
SHOPIFY_SECRET = "shopify-app-secret"  # noqa: S105 - a component id, not a secret
SHOPIFY_SUBMIT = "shopify-connect"
SHOPIFY_FEEDBACK = "shopify-feedback"

POLL_MS = 1500
RECENT_FINISH = timedelta(minutes=10)  # a finished sync keeps its (full) bar this long

PLATFORM_ORDER = ("meta", "google_ads", "tiktok", "shopify")
PLATFORMS: dict[str, dict[str, str]] = {
    "meta": {
        "name": "Meta Ads",
        "kind": "oauth",
        "blurb": "Facebook and Instagram ads: spend, conversions and creatives.",
        "account_label": "Ad account id",
        "placeholder": "act_1234567890",
    },
    "google_ads": {
        "name": "Google Ads",
        "kind": "oauth",
        "blurb": "Search, Shopping and YouTube campaigns.",
        "account_label": "Customer id",
        "placeholder": "123-456-7890",
    },
    "tiktok": {
        "name": "TikTok Ads",
        "kind": "oauth",
        "blurb": "TikTok campaigns and creatives.",
        "account_label": "Advertiser id",
        "placeholder": "7012345678901234567",
    },
    "shopify": {
        "name": "Shopify",
        "kind": "token",
        "blurb": "Store orders: the revenue truth behind MER, CAC and cohorts.",
        "account_label": "Shop domain",
        "placeholder": "your-store.myshopify.com",
    },
}

# status -> (label, bootstrap colour, symbol). The label carries the meaning; colour repeats it.
SOURCE_VIEW = {  # connections that are not synced through an API
    "sample": ("Sample data — not syncable", "secondary", "◇"),
    "import": ("Imported files", "info", "⇪"),
}
STATUS_VIEW: dict[str | None, tuple[str, str, str]] = {
    "active": ("Connected", "success", "✓"),
    "needs_reauth": ("Needs reconnect", "warning", "!"),
    "error": ("Error", "danger", "×"),
    "disabled": ("Disconnected", "secondary", "–"),
    None: ("Not connected", "light", "○"),
}
SYNC_STATUS_VIEW = {
    "queued": ("Queued", "info"),
    "running": ("Running", "primary"),
    "succeeded": ("Succeeded", "success"),
    "failed": ("Failed", "danger"),
}
TRIGGER_LABELS = {
    "manual": "Sync now",
    "scheduled": "Daily schedule",
    "webhook": "Store webhook",
    "backfill": "First sync (backfill)",
    "sample": "Sample data loaded",
}


# ---- pure view helpers -----------------------------------------------------------------------
# The Admin API scopes a sync reads (integrations.shopify.REQUIRED_SCOPES; layouts may not
# import integrations, tests/unit/test_integrations_views.py keeps the two equal).
SHOPIFY_SCOPES = ("read_orders", "read_all_orders", "read_customers")


def platform_name(platform: str) -> str:
    return PLATFORMS.get(platform, {}).get("name", platform.replace("_", " ").title())


def status_view(status: str | None) -> dict[str, str]:
    """A connection status as words, a colour and a symbol (unknown values read as errors)."""
    label, color, symbol = STATUS_VIEW.get(status, STATUS_VIEW["error"])
    return {"label": label, "color": color, "symbol": symbol}


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def relative_time(when: datetime | None, now: datetime) -> str:
    """'just now', '5 min ago', '2 h ago', '3 days ago', then the date; 'Never' for None."""
    if when is None:
        return "Never"
    seconds = (_aware(now) - _aware(when)).total_seconds()
    if seconds < 45:
        return "just now"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min ago"
    hours = int(seconds // 3600)
    if hours < 24:
        return f"{hours} h ago"
    days = int(seconds // 86400)
    if days < 7:
        return "1 day ago" if days == 1 else f"{days} days ago"
    return f"on {_aware(when):%d %b %Y}".replace("on 0", "on ")


def format_count(n: int | None) -> str:
    return f"{int(n or 0):,}"


def format_duration(start: datetime | None, end: datetime | None) -> str:
    """'850 ms', '42 s', '3 min 5 s', '1 h 2 min'; '–' when it did not start or finish."""
    if start is None or end is None:
        return "–"
    seconds = max(0.0, (_aware(end) - _aware(start)).total_seconds())
    if seconds < 1:
        return f"{int(seconds * 1000)} ms"
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        m, s = divmod(int(seconds), 60)
        return f"{m} min {s} s" if s else f"{m} min"
    h, rest = divmod(int(seconds), 3600)
    return f"{h} h {rest // 60} min"


def account_display(conn: dict[str, Any]) -> dict[str, str]:
    """What identifies a connection: its name, the external account id, a masked token hint."""
    account = str(conn.get("account_id") or "")
    name = str(conn.get("account_name") or "") or account
    return {
        "name": name,
        "account": account if account != name else "",
        "token": f"Token {conn['token_hint']}" if conn.get("token_hint") else "",
    }


def platform_status(connections: list[dict[str, Any]]) -> str | None:
    """One status for a platform with several accounts: the one that needs attention first."""
    statuses = {c.get("status") for c in connections}
    for status in ("error", "needs_reauth", "active", "disabled"):
        if status in statuses:
            return status
    return None


def is_active_sync(sync: dict[str, Any] | None) -> bool:
    return bool(sync) and sync.get("status") in ("queued", "running")


def progress_props(sync: dict[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    """The bar for a connection's latest sync; None when there is nothing to show.

    Queued/running syncs animate; a sync that succeeded in the last few minutes keeps a
    full bar so people see it end; failed and older ones show no bar.
    """
    if not sync:
        return None
    status = sync.get("status")
    value = max(0, min(100, int(sync.get("progress") or 0)))
    rows = format_count(sync.get("rows"))
    if status == "queued":
        retrying = bool(sync.get("error"))
        return {
            "value": value,
            "label": f"{value}%",
            "color": "warning" if retrying else "info",
            "striped": True,
            "animated": True,
            "caption": ("Retrying: " + sync["error"]) if retrying else "Queued, starting soon…",
            "active": True,
        }
    if status == "running":
        return {
            "value": value,
            "label": f"{value}%",
            "color": "primary",
            "striped": True,
            "animated": True,
            "caption": f"Syncing… {value}% ({rows} rows so far)",
            "active": True,
        }
    finished = sync.get("finished_at")
    if status != "succeeded" or finished is None or _aware(now) - _aware(finished) > RECENT_FINISH:
        return None  # a failure is explained by the connection's error, not a red stub of a bar
    return {
        "value": 100,
        "label": "100%",
        "color": "success",
        "striped": False,
        "animated": False,
        "caption": f"Sync finished: {rows} rows",
        "active": False,
    }


def history_rows(history: list[dict[str, Any]], now: datetime) -> list[dict[str, str]]:
    """Sync history as table cells (strings), newest first as given."""
    rows = []
    for job in history:
        status_label, status_color = SYNC_STATUS_VIEW.get(job.get("status"), ("Unknown", "dark"))
        when = job.get("started_at") or job.get("created_at")
        end = job.get("finished_at")
        if job.get("status") == "running":
            duration = "running"
        elif job.get("status") == "queued":
            duration = "waiting"
        else:
            duration = format_duration(job.get("started_at"), end)
        rows.append(
            {
                "id": str(job.get("id", "")),
                "when": relative_time(when, now),
                "when_title": _aware(when).strftime("%Y-%m-%d %H:%M UTC") if when else "",
                "platform": platform_name(str(job.get("platform", ""))),
                "account": str(job.get("account_name") or ""),
                "trigger": TRIGGER_LABELS.get(job.get("trigger"), str(job.get("trigger") or "")),
                "status": status_label,
                "status_color": status_color,
                "rows": format_count(job.get("rows")),
                "duration": duration,
                "error": str(job.get("error") or ""),
            }
        )
    return rows


# ---- components ------------------------------------------------------------------------------
def status_badge(status: str | None, source: str | None = None) -> dbc.Badge:
    view = status_view(status)
    if source in SOURCE_VIEW and status != "disabled":
        label, color, symbol = SOURCE_VIEW[source]
        view = {"label": label, "color": color, "symbol": symbol}
    return dbc.Badge(
        [html.Span(view["symbol"], **{"aria-hidden": "true"}), " ", view["label"]],
        color=view["color"],
        text_color="dark" if view["color"] in ("warning", "light") else None,
        className="int-status border" if view["color"] == "light" else "int-status",
        pill=True,
    )


def progress_block(sync: dict[str, Any] | None, name: str, now: datetime) -> html.Div | None:
    """Caption + a Bootstrap progress bar with its accessible name and values.

    Bootstrap 5.3 markup (role and aria-* on the outer .progress) rather than dbc.Progress,
    whose bar carries role=progressbar but cannot be given an aria-label (an unnamed
    progressbar fails accessibility checks).
    """
    props = progress_props(sync, now)
    if props is None:
        return None
    bar_class = f"progress-bar bg-{props['color']}"
    if props["striped"]:
        bar_class += " progress-bar-striped"
    if props["animated"]:
        bar_class += " progress-bar-animated"
    return html.Div(
        [
            html.Div(
                props["caption"], className="int-progress-caption small", **{"aria-hidden": "true"}
            ),
            html.Div(
                html.Div(
                    props["label"], className=bar_class, style={"width": f"{props['value']}%"}
                ),
                className="progress int-progress",
                role="progressbar",
                **{
                    "aria-label": f"{name} sync progress",
                    "aria-valuenow": props["value"],
                    "aria-valuemin": 0,
                    "aria-valuemax": 100,
                    "aria-valuetext": props["caption"],
                },
            ),
        ],
        className="int-progress-block",
    )


def _detail(label: str, value: Any, title: str | None = None) -> html.Div:
    return html.Div(
        [html.Dt(label), html.Dd(value, title=title)],
        className="int-detail",
    )


def live_children(conn: dict[str, Any], is_admin: bool, now: datetime) -> list:
    """The part of a connection that changes while a sync runs (re-rendered by polling)."""
    name = platform_name(conn["platform"])
    account = account_display(conn)
    status = conn.get("status")
    sync = conn.get("latest_sync")
    last = conn.get("last_synced_at")
    source = conn.get("source") or "api"
    words = {"sample": ("Loaded", "Sample rows"), "import": ("Last import", "Rows imported")}
    last_label, rows_label = words.get(source, ("Last sync", "Rows synced"))
    details = [
        _detail(
            last_label,
            relative_time(last, now),
            title=_aware(last).strftime("%Y-%m-%d %H:%M UTC") if last else None,
        ),
        _detail(rows_label, format_count(conn.get("stored_rows"))),
    ]
    if is_admin and account["token"]:
        details.append(_detail("Credentials", account["token"]))
    children: list = [
        html.Div(
            [
                status_badge(status, source),
                html.Span(
                    [
                        html.Strong(account["name"], className="int-account-name"),
                        html.Span(account["account"], className="int-account-id")
                        if account["account"]
                        else None,
                    ],
                    className="int-account",
                ),
            ],
            className="int-conn-head",
        ),
        html.Dl(details, className="int-details"),
    ]
    if status in ("error", "needs_reauth") and conn.get("last_error"):
        children.append(
            dbc.Alert(
                conn["last_error"],
                color="danger" if status == "error" else "warning",
                className="int-conn-error small py-2 mb-2",
            )
        )
    elif status == "disabled":
        children.append(
            html.P(
                "Disconnected: the token was removed and syncing stopped. "
                "Data synced earlier stays in your reports.",
                className="small text-body-secondary mb-2",
            )
        )
    bar = progress_block(sync, name, now) if source != "sample" else None
    if bar is not None:
        children.append(bar)
    if is_admin and status in ("error", "needs_reauth"):
        if PLATFORMS.get(conn["platform"], {}).get("kind") == "oauth":
            children.append(
                dbc.Button(
                    "Reconnect",
                    href=f"/connect/{conn['platform']}/start?account={quote(conn['account_id'])}",
                    external_link=True,
                    color="warning",
                    size="sm",
                    className="me-2 mb-2",
                )
            )
        else:
            children.append(
                html.P(
                    "Reconnect: paste a new Admin API access token below.",
                    className="small fw-semibold mb-2",
                )
            )
    return children


def live_region(conn: dict[str, Any], is_admin: bool, now: datetime) -> html.Div:
    """The polled part of a connection. Not aria-live: a re-render every 1.5 s would make
    screen readers repeat the whole card; the progressbar carries the values instead."""
    return html.Div(
        live_children(conn, is_admin, now),
        id={"type": LIVE, "index": conn["id"]},
        className="int-live",
    )


def connection_block(conn: dict[str, Any], is_admin: bool, now: datetime) -> html.Div:
    """One connected account: live part + actions (Sync now for all, Disconnect for admins)."""
    cid = conn["id"]
    name = platform_name(conn["platform"])
    account = account_display(conn)
    actions = []
    source = conn.get("source") or "api"
    if source == "import":
        actions.append(
            dcc.Link(
                "Import a newer file",
                href="/import",
                className="btn btn-outline-primary btn-sm me-2",
            )
        )
    if conn.get("status") != "disabled" and source == "api":
        actions.append(
            dbc.Button(
                "Sync now",
                id={"type": SYNC_BTN, "index": cid},
                color="primary",
                outline=True,
                size="sm",
                className="me-2",
            )
        )
        if is_admin:
            actions.append(
                dcc.ConfirmDialogProvider(
                    dbc.Button("Disconnect", color="danger", outline=True, size="sm"),
                    id={"type": DISCONNECT, "index": cid},
                    message=(
                        f"Disconnect {name} ({account['name']})? Omnify forgets its access token "
                        "and stops syncing it. Data already synced stays."
                    ),
                )
            )
    return html.Div(
        [
            live_region(conn, is_admin, now),
            html.Div(actions, className="int-actions") if actions else None,
        ],
        className="int-connection",
    )


def setup_steps(platform: str, setup: dict[str, Any]) -> html.Div:
    """What the person running Omnify sets to enable a platform (owners and admins see it)."""
    name = PLATFORMS[platform]["name"]
    readme: Any = (
        html.A(setup["readme_title"], href=setup["readme_url"], target="_blank", rel="noopener")
        if setup.get("readme_url")
        else html.Em(setup["readme_title"])
    )
    return html.Div(
        [
            html.P(
                f"{name} needs a platform app on this server (you run Omnify, so this is you):",
                className="small mb-1 fw-semibold",
            ),
            html.Ol(
                [
                    html.Li(
                        [
                            "Set ",
                            *[
                                part
                                for i, env in enumerate(setup["env"])
                                for part in ((", " if i else ""), html.Code(env))
                            ],
                            " in the environment (or .env), from your platform app.",
                        ]
                    ),
                    html.Li(
                        [
                            "Register this OAuth redirect URL in the app: ",
                            html.Code(setup["redirect"], className="int-redirect-url"),
                        ]
                    ),
                    html.Li("Restart Omnify; this card then shows Connect."),
                ],
                className="small mb-1 ps-3",
            ),
            html.P(["Step by step: README, section ", readme, "."], className="small mb-0"),
        ],
        className="int-setup mt-2",
        id=f"int-setup-{platform}",
    )


def oauth_connect_form(
    platform: str,
    configured: bool,
    account: str = "",
    return_to: str | None = None,
    setup: dict[str, Any] | None = None,
) -> dbc.Form:
    """A plain GET form: the browser goes to /connect/<platform>/start?account=... (OAuth).

    `return_to` rides along as `next` for the page to come back to (the wizard); the
    OAuth route ignores it until it learns to honour a safe relative `next`.
    """
    meta = PLATFORMS[platform]
    input_id = f"int-account-{platform}"
    return dbc.Form(
        [
            dcc.Input(type="hidden", name="next", value=return_to) if return_to else None,
            dbc.Label(meta["account_label"], html_for=input_id, className="small mb-1"),
            dbc.InputGroup(
                [
                    dbc.Input(
                        id=input_id,
                        name="account",
                        value=account,
                        placeholder=meta["placeholder"],
                        required=True,
                        maxLength=64,
                        autoComplete="off",
                        disabled=not configured,
                    ),
                    dbc.Button(
                        f"Connect {meta['name']}",
                        type="submit",
                        color="primary",
                        disabled=not configured,
                    ),
                ],
                size="sm",
            ),
            html.Div(
                f"You'll sign in to {meta['name'].split()[0]} and grant read-only access."
                if configured
                else f"{meta['name']} is not set up on this server yet: its platform app "
                "settings are missing.",
                className="form-text",
            ),
            setup_steps(platform, setup) if setup and not configured else None,
        ],
        action=f"/connect/{platform}/start",
        method="GET",
        prevent_default_on_submit=False,
        className="int-connect-form",
    )


def shopify_form(shop: str = "") -> dbc.Form:
    """Shop domain + Admin API access token; checked by a callback with a test call."""
    return dbc.Form(
        [
            dbc.Label("Shop domain", html_for=SHOPIFY_SHOP, className="small mb-1"),
            dbc.Input(
                id=SHOPIFY_SHOP,
                value=shop,
                placeholder=PLATFORMS["shopify"]["placeholder"],
                autoComplete="off",
                maxLength=255,
                size="sm",
                className="mb-2",
            ),
            dbc.Label("Admin API access token", html_for=SHOPIFY_TOKEN, className="small mb-1"),
            dbc.Input(
                id=SHOPIFY_TOKEN,
                type="password",
                placeholder="shpat_…",
                autoComplete="off",
                maxLength=255,
                size="sm",
            ),
            dbc.Label(
                "App client secret (verifies the store's webhooks; optional)",
                html_for=SHOPIFY_SECRET,
                className="small mb-1 mt-2",
            ),
            dbc.Input(
                id=SHOPIFY_SECRET,
                type="password",
                autoComplete="off",
                maxLength=255,
                size="sm",
            ),
            html.Div(
                "Create an app for your store (Shopify Dev Dashboard) with the scopes "
                f"{', '.join(SHOPIFY_SCOPES)}, install it, then paste its Admin API access "
                "token. We check the scopes now, store the token encrypted and never show "
                "it again.",
                className="form-text mb-2",
            ),
            html.Div(id=SHOPIFY_FEEDBACK, **{"aria-live": "polite"}),
            dbc.Button(
                "Connect Shopify", id=SHOPIFY_SUBMIT, type="submit", color="primary", size="sm"
            ),
        ],
        id=SHOPIFY_FORM,
        className="int-connect-form",
    )


def platform_card(
    platform: str,
    connections: list[dict[str, Any]],
    is_admin: bool,
    now: datetime,
    configured: bool = True,
    return_to: str | None = None,
    setup: dict[str, Any] | None = None,
) -> dbc.Card:
    """A platform's card: its accounts, and (admins) the connect form."""
    meta = PLATFORMS[platform]
    live = [c for c in connections if c.get("status") != "disabled"]
    shown = live or connections[-1:]  # a disconnected platform shows its last account
    body: list = [connection_block(c, is_admin, now) for c in shown]
    if not connections:
        body.append(html.Div(status_badge(None), className="int-conn-head"))
    if is_admin:
        needs_token = any(c.get("status") in ("error", "needs_reauth") for c in live)
        if meta["kind"] == "oauth":
            form = oauth_connect_form(platform, configured, return_to=return_to, setup=setup)
        else:
            reauth_shop = next(
                (c["account_id"] for c in live if c.get("status") in ("error", "needs_reauth")),
                "",
            )
            form = shopify_form(reauth_shop)
        if live and not (needs_token and meta["kind"] == "token"):
            body.append(
                html.Details(
                    [html.Summary("Connect another account", className="small"), form],
                    className="int-more",
                )
            )
        else:
            body.append(form)
    elif not live:
        body.append(
            html.P(
                "Ask an owner or admin of your organization to connect it.",
                className="small text-body-secondary mb-0",
            )
        )
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.H2(meta["name"], className="h6 mb-0"),
                    html.Span(meta["blurb"], className="int-blurb"),
                ],
                className="int-card-header",
            ),
            dbc.CardBody(body),
        ],
        className="int-card h-100",
        id=f"int-card-{platform}",
    )


def cards_grid(
    connections: list[dict[str, Any]],
    is_admin: bool,
    now: datetime,
    configured: dict[str, bool] | None = None,
    return_to: str | None = None,
    setup: dict[str, dict] | None = None,
) -> dbc.Row:
    """The four platform cards: two columns on a desktop, stacked on a phone."""
    configured = configured or {}
    by_platform: dict[str, list[dict[str, Any]]] = {p: [] for p in PLATFORM_ORDER}
    for conn in connections:
        by_platform.setdefault(conn["platform"], []).append(conn)
    return dbc.Row(
        [
            dbc.Col(
                platform_card(
                    p,
                    conns,
                    is_admin,
                    now,
                    configured.get(p, True),
                    return_to,
                    (setup or {}).get(p),
                ),
                xs=12,
                lg=6,
            )
            for p, conns in by_platform.items()
            if p in PLATFORMS
        ],
        className="g-3",
    )


def history_table(rows: list[dict[str, str]]) -> html.Div | dbc.Table:
    """The last sync jobs; stacks into labelled blocks on phones (see integrations.css)."""
    if not rows:
        return html.P(
            "No syncs recorded yet. Each sync (nightly, Sync now, first backfill) shows up here.",
            className="text-body-secondary small mb-0",
            id="int-history-empty",
        )
    headers = ("When", "Platform", "Trigger", "Status", "Rows", "Duration", "Error")
    body = []
    for r in rows:
        values = [
            r["when"],
            html.Span(
                [r["platform"], html.Span(r["account"], className="small text-body-secondary")],
                className="int-history-platform",
            ),
            r["trigger"],
            dbc.Badge(
                r["status"],
                color=r["status_color"],
                text_color="dark" if r["status_color"] in ("info", "warning") else None,
            ),
            r["rows"],
            r["duration"],
            r["error"] or "–",
        ]
        extra = {0: {"title": r["when_title"]}, 4: {"className": "text-end"}}
        extra[6] = {"className": "int-error-cell"}
        cells = [
            html.Td(value, **{"data-label": label}, **extra.get(i, {}))
            for i, (label, value) in enumerate(zip(headers, values, strict=True))
        ]
        body.append(html.Tr(cells, id=f"int-history-row-{r['id']}"))
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])), html.Tbody(body)],
        className="int-history align-middle mb-0",
        size="sm",
        hover=True,
    )


def toast(message: str, header: str, icon: str = "success") -> dbc.Toast:
    """Feedback after an action; errors stay longer than confirmations."""
    return dbc.Toast(
        message,
        header=header,
        icon=icon,
        dismissable=True,
        is_open=True,
        duration=6000 if icon == "success" else 12000,
        className="mb-2",
    )


def notices(messages: list[tuple[str, str]]) -> list[dbc.Alert]:
    """Flashed messages from the OAuth routes (category, text) as dismissable alerts."""
    colors = {"danger": "danger", "success": "success", "warning": "warning", "info": "info"}
    return [
        dbc.Alert(text, color=colors.get(category, "info"), dismissable=True, className="mb-3")
        for category, text in messages
    ]


def services(poll_active: bool) -> html.Div:
    """Interval + refresh store + toast area: what the live parts need on any page."""
    return html.Div(
        [
            dcc.Interval(id=POLL, interval=POLL_MS, disabled=not poll_active),
            dcc.Store(id=KICK, data=0),
            html.Div(id=TOASTS, className="int-toast-area", **{"aria-live": "polite"}),
        ]
    )


def cards_section(grid: Any) -> dcc.Loading:
    """The cards, with a spinner only while an action re-renders them (not on polls)."""
    return dcc.Loading(
        html.Div(grid, id=CARDS),
        target_components={CARDS: "children"},
        delay_show=300,
        overlay_style={"visibility": "visible", "opacity": 0.55},
        type="circle",
    )


def history_section(rows: list[dict[str, str]]) -> html.Section:
    return html.Section(
        [
            html.H2("Sync history", className="h5 mb-1", id="int-history-title"),
            html.P(
                "The last 10 syncs of your organization.", className="small text-body-secondary"
            ),
            html.Div(
                history_table(rows),
                id={"type": HISTORY, "index": "page"},
                className="int-history-wrap",
            ),
        ],
        className="int-history-section mt-4",
        **{"aria-labelledby": "int-history-title"},
    )


def integrations_page(
    grid: Any,
    rows: list[dict[str, str]],
    poll_active: bool,
    messages: list[tuple[str, str]] | None = None,
    is_admin: bool = True,
) -> html.Div:
    intro = (
        "Connect your ad platforms and your store. Omnify syncs them every night; "
        "use Sync now for fresh numbers."
    )
    if not is_admin:
        intro += " Only owners and admins can connect or disconnect platforms."
    return html.Div(
        [
            html.H1("Integrations", className="h3 mb-1"),
            html.P(intro, className="text-body-secondary"),
            html.P(
                [
                    "No platform app yet? ",
                    html.A("Import the reports you already export", href="/import"),
                    " (Meta, Google Ads, TikTok, Shopify; CSV or XLSX).",
                ],
                className="small",
                id="int-import-link",
            ),
            *notices(messages or []),
            services(poll_active),
            cards_section(grid),
            history_section(rows),
        ],
        id="integrations-page",
        className="integrations-page",
    )
