"""Integrations page callbacks: connect, sync now, disconnect, and live sync progress.

The org always comes from the logged-in user (models.tenancy); connection ids arriving in
pattern-matching ids are re-checked with scoped queries, so another org's id behaves exactly
like a missing one: nothing happens and nothing of it is shown. Connect/disconnect are
checked for owner/admin on the server, not only hidden in the page.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from flask import get_flashed_messages

from callbacks.errors import soft_fail
from extensions import db
from jobs.connections import (
    SyncRefused,
    check_can_sync,
    connect_shopify,
    disconnect_connection,
    oauth_configured,
    oauth_setup,
)
from layouts import integrations as views
from layouts.wiring import clicked_index
from models import Connection
from models.connections_view import (
    active_sync_id,
    connection_summaries,
    has_active_sync,
    sync_history,
)
from models.permissions import DENIED, Cap, can, requires
from models.tenancy import current_membership, current_org_id, get_scoped

NOT_FOUND = "That connection was not found. Reload the page."


def _now() -> datetime:
    return datetime.now(UTC)


def build_cards(org_id: int, is_admin: bool, return_to: str | None = None) -> Any:
    """The four platform cards of an org (also used by the onboarding wizard)."""
    conns = connection_summaries(org_id)
    return views.cards_grid(
        conns, is_admin, _now(), oauth_configured(), return_to, oauth_setup() if is_admin else None
    )


def page() -> html.Div:
    """Called by the router per request."""
    org_id = current_org_id()
    is_admin = can(Cap.MANAGE_CONNECTIONS)
    now = _now()
    conns = connection_summaries(org_id)
    rows = views.history_rows(sync_history(org_id), now)
    poll = any(views.is_active_sync(c["latest_sync"]) for c in conns)
    messages = get_flashed_messages(with_categories=True)  # from the OAuth routes
    setup = oauth_setup() if is_admin else None
    grid = views.cards_grid(conns, is_admin, now, oauth_configured(), setup=setup)
    return views.integrations_page(grid, rows, poll, messages, is_admin)


def validation_children() -> html.Div:
    """Every id the callbacks use, built from a sample connection (no database)."""
    now = _now()
    sample = {
        "id": 0,
        "platform": "shopify",
        "account_id": "example.myshopify.com",
        "account_name": "Example",
        "status": "needs_reauth",
        "last_synced_at": None,
        "last_error": None,
        "token_hint": "",
        "stored_rows": 0,
        "latest_sync": None,
    }
    return views.integrations_page(views.cards_grid([sample], True, now), [], False)


# ---- actions (plain functions: the callbacks are thin, the tests call these too) -------------
@soft_fail(
    "integrations: sync now failed",
    fallback=lambda *_: (
        "The sync could not be started. Try again in a minute.",
        "Sync not started",
        "danger",
    ),
)
def request_sync(org_id: int, connection_id: Any) -> tuple[str, str, str]:
    """Start a sync of the org's own connection -> (message, header, toast icon)."""
    from jobs.sync import start_sync

    conn = get_scoped(Connection, connection_id, org_id)
    if conn is None:
        return NOT_FOUND, "Sync not started", "danger"
    try:
        check_can_sync(conn, current_membership().role)
    except SyncRefused as exc:
        return str(exc), "Sync not started", "warning"
    name = views.platform_name(conn.platform)
    running = active_sync_id(org_id, conn.id)
    sync = start_sync(conn)
    if running == sync.id:
        return f"A {name} sync is already running.", "Already syncing", "info"
    return f"{name} sync started. Progress shows on its card.", "Sync started", "success"


@soft_fail(
    "integrations: connecting Shopify failed",
    fallback=lambda *_: (None, "Shopify could not be connected right now. Try again in a minute."),
)
def connect_shop(
    org_id: int, shop: Any, token: Any, app_secret: Any = ""
) -> tuple[Connection | None, str]:
    """Validate and store a Shopify token -> (connection, '') or (None, plain-words error)."""

    shop = shop.strip() if isinstance(shop, str) else ""
    token = token.strip() if isinstance(token, str) else ""
    if not shop or not token:
        return None, "Enter the shop domain and the Admin API access token."
    try:
        secret = app_secret.strip() if isinstance(app_secret, str) else ""
        return connect_shopify(org_id, shop, token, secret), ""
    except ValueError as exc:
        db.session.rollback()
        return None, str(exc)


# ---- callbacks -------------------------------------------------------------------------------
def _wild_indexes(position: int) -> list[Any]:
    """Indexes of an ALL-matched output; malformed requests stop here."""
    outputs = ctx.outputs_list[position] if len(ctx.outputs_list) > position else None
    if not isinstance(outputs, list) or not all(
        isinstance(o, dict) and isinstance(o.get("id"), dict) for o in outputs
    ):
        raise PreventUpdate
    return [o["id"].get("index") for o in outputs]


def _return_to(pathname: Any) -> str | None:
    """The wizard wants OAuth to come back to it; anywhere else the default is right."""
    return "/onboarding" if pathname == "/onboarding" else None


@soft_fail(
    "integrations: refreshing sync progress failed",
    fallback=lambda _org, live_ids, slots: (
        [no_update] * len(live_ids),
        [no_update] * len(slots),
        no_update,
    ),
)
def _live_state(org_id: int, live_ids: list, history_slots: list) -> tuple:
    """(live card parts, history tables, stop polling?) for the cards on the page."""
    now = _now()
    is_admin = can(Cap.MANAGE_CONNECTIONS)
    # Read "anything running?" BEFORE the rows: a sync finishing between the two reads then
    # costs one more poll, instead of stopping the polling on a stale 80 % bar.
    active = has_active_sync(org_id)
    wanted = [i for i in live_ids if isinstance(i, int)]
    conns = {c["id"]: c for c in connection_summaries(org_id, wanted)}
    active = active or any(views.is_active_sync(c["latest_sync"]) for c in conns.values())
    live = [views.live_children(conns[i], is_admin, now) if i in conns else [] for i in live_ids]
    history = []
    if history_slots:
        table = views.history_table(views.history_rows(sync_history(org_id), now))
        history = [table for _ in history_slots]
    return live, history, not active


def register_callbacks(app: dash.Dash) -> None:
    """Live progress, Sync now, Disconnect, Shopify connect."""

    @app.callback(
        Output({"type": views.LIVE, "index": ALL}, "children"),
        Output({"type": views.HISTORY, "index": ALL}, "children"),
        Output(views.POLL, "disabled"),
        Input(views.POLL, "n_intervals"),
        Input(views.KICK, "data"),
        prevent_initial_call=True,
    )
    def refresh_live(_n: Any, _kick: Any) -> tuple:
        return _live_state(current_org_id(), _wild_indexes(0), _wild_indexes(1))

    _register_actions(app)
    _register_shopify(app)


def _register_actions(app: dash.Dash) -> None:
    """Sync now and Disconnect on a connection card."""

    @app.callback(
        Output(views.KICK, "data", allow_duplicate=True),
        Output(views.TOASTS, "children", allow_duplicate=True),
        Input({"type": views.SYNC_BTN, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def sync_now(clicks: Any) -> tuple:
        connection_id = clicked_index(clicks)
        org_id = current_org_id()
        message, header, icon = request_sync(org_id, connection_id)
        return time.time(), views.toast(message, header, icon)

    @app.callback(
        Output(views.CARDS, "children", allow_duplicate=True),
        Output(views.TOASTS, "children", allow_duplicate=True),
        Input({"type": views.DISCONNECT, "index": ALL}, "submit_n_clicks"),
        State("url", "pathname"),
        prevent_initial_call=True,
    )
    @requires(
        Cap.MANAGE_CONNECTIONS,
        deny=lambda *_: (
            no_update,
            views.toast(DENIED[Cap.MANAGE_CONNECTIONS], "Not disconnected", "danger"),
        ),
    )
    def disconnect(clicks: Any, pathname: Any) -> tuple:
        connection_id = clicked_index(clicks)
        org_id = current_org_id()
        conn = disconnect_connection(org_id, connection_id)
        if conn is None:
            return no_update, views.toast(NOT_FOUND, "Not disconnected", "danger")
        name = views.platform_name(conn.platform)
        return build_cards(org_id, True, _return_to(pathname)), views.toast(
            f"{name} disconnected. Its token was deleted; synced data stays.",
            "Disconnected",
        )


def _register_shopify(app: dash.Dash) -> None:
    """Connect a Shopify store with its domain and token."""

    @app.callback(
        Output(views.SHOPIFY_FEEDBACK, "children"),
        Output(views.CARDS, "children", allow_duplicate=True),
        Output(views.TOASTS, "children", allow_duplicate=True),
        Output(views.KICK, "data", allow_duplicate=True),
        Input(views.SHOPIFY_FORM, "n_submit"),
        State(views.SHOPIFY_SHOP, "value"),
        State(views.SHOPIFY_TOKEN, "value"),
        State(views.SHOPIFY_SECRET, "value"),
        State("url", "pathname"),
        prevent_initial_call=True,
        running=[(Output(views.SHOPIFY_SUBMIT, "disabled"), True, False)],
    )
    def shopify_connect(
        n_submit: Any, shop: Any, token: Any, app_secret: Any, pathname: Any
    ) -> tuple:
        if not n_submit:
            raise PreventUpdate
        org_id = current_org_id()
        if not can(Cap.MANAGE_CONNECTIONS):
            error = "Only owners and admins can connect platforms."
            return _inline_error(error), no_update, no_update, no_update
        conn, error = connect_shop(org_id, shop, token, app_secret)
        if conn is None:
            return _inline_error(error), no_update, no_update, no_update
        message = f"Connected {conn.account_name or conn.external_account_id}. The first sync runs."
        return (
            None,
            build_cards(org_id, True, _return_to(pathname)),
            views.toast(message, "Shopify connected"),
            time.time(),
        )


def _inline_error(message: str) -> Any:
    import dash_bootstrap_components as dbc

    return dbc.Alert(message, color="danger", className="py-2 small mb-2", id="shopify-error")
