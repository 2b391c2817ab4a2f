"""Dash callbacks, registered per app; never module-level @dash.callback (factory runs twice)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import dash
from dash import Input, Output, ctx, html
from dash.exceptions import PreventUpdate
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from extensions import db
from layouts import shell as shell_layouts
from layouts.persona import persona_class
from layouts.serving import initial_route_is_in_layout, requested_path
from layouts.wiring import register_shell_callbacks
from models.brain_data import latest_state_ref
from models.data import Connection, ConnectionStatus
from models.permissions import Cap, role_can
from models.tenancy import scoped

from . import (
    analytics,
    billing,
    imports,
    integrations,
    notifications,
    onboarding,
    overview,
    render_cache,
)

# path -> page module (each has page(), validation_children() and register_callbacks(app))
PAGE_MODULES = {
    "/": overview,
    "/analytics": analytics,
    "/integrations": integrations,
    "/import": imports,
    "/onboarding": onboarding,
    "/billing": billing,
}


ISSUE_STATUSES = (ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.ERROR)


def _pages() -> dict[str, Callable[[], object]]:
    return {path: module.page for path, module in PAGE_MODULES.items()}


def shell_status(org_id: int | None) -> dict:
    """Freshness and connection health for the shell: two small queries, no state JSON."""
    if org_id is None:
        return {"as_of": None, "last_synced_at": None, "issues": 0}
    ref = latest_state_ref(org_id)
    conns = db.session.execute(
        scoped(Connection, org_id).with_only_columns(Connection.status, Connection.last_synced_at)
    ).all()
    synced = [c.last_synced_at for c in conns if c.last_synced_at is not None]
    return {
        "as_of": ref[1] if ref else None,
        "last_synced_at": max(synced, key=_utc) if synced else None,
        "issues": sum(1 for c in conns if c.status in ISSUE_STATUSES),
    }


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def shell_data() -> dict:
    membership = current_user.membership
    status = shell_status(membership.org_id if membership else None)
    return {
        "user_name": current_user.name,
        "user_email": current_user.email,
        "org_id": membership.org_id if membership else None,
        "org_name": membership.org.name if membership else "",
        "orgs": [{"id": m.org.id, "name": m.org.name} for m in current_user.memberships],
        "persona": membership.persona if membership else "cmo",
        "csrf_token": generate_csrf(),
        "freshness": overview.freshness_text(status["as_of"], status["last_synced_at"]),
        "integration_issues": status["issues"],
        "billing": billing_shell(membership),
        "bell": notifications.bell_data(),
        "sample": bool(membership and (membership.org.onboarding or {}).get("sample")),
        "is_admin": bool(membership and role_can(membership.role, Cap.MANAGE_ORG)),
    }


def billing_shell(membership: object) -> dict:
    """Owners and admins see the Billing link and what needs doing (trial, failed payment)."""
    from models.billing import access_for, billing_enabled

    if (
        membership is None
        or not role_can(membership.role, Cap.MANAGE_BILLING)
        or not billing_enabled()
    ):
        return {"show": False, "banner": "", "level": "info"}
    acc = access_for(membership.org_id)
    return {"show": True, "banner": acc.banner, "level": acc.banner_level}


def serve_layout() -> html.Div:
    """Per request: the shell for the logged-in user (the login guard runs before this), with
    the requested page already in it: the first paint needs no router round trip."""
    if not current_user.is_authenticated:  # only reached when Dash builds its validation layout
        return html.Div(id="page")
    data = shell_data()
    path = requested_path(PAGE_MODULES)
    page = PAGE_MODULES[path].page() if path is not None else None
    # the shell is cached per user and everything it shows (callbacks/render_cache.py)
    shown = {k: v for k, v in data.items() if k != "csrf_token"}
    key = ("shell", current_user.get_id(), path, json.dumps(shown, sort_keys=True, default=str))
    return render_cache.cached_shell(
        key, data["csrf_token"], page, lambda csrf, slot: build_shell(data, csrf, path, slot)
    )


def build_shell(data: dict, csrf: str, path: str | None, page: object) -> html.Div:
    """The shell with `page` in it (the router fills it when `path` is None)."""
    shell = shell_layouts.app_shell({**data, "csrf_token": csrf})
    if path is not None:
        by_id = {getattr(c, "id", None): c for c in shell._traverse()}
        by_id["page"].children = page
        # the Location starts at this path, so the router's initial call is not a navigation
        by_id["url"].pathname = path
    return html.Div(shell, id="persona-root", className=persona_class(data["persona"]))


def validation_layout() -> html.Div:
    fake = {
        "user_name": "",
        "user_email": "",
        "org_id": 0,
        "org_name": "",
        "orgs": [{"id": 0, "name": ""}, {"id": 1, "name": ""}],
        "persona": "cmo",
        "csrf_token": "",
        "bell": {"unread": 0, "items": []},
    }
    return html.Div(
        [shell_layouts.app_shell(fake)] + [m.validation_children() for m in PAGE_MODULES.values()],
        id="persona-root",  # serve_layout's wrapper: the persona switch writes its class
    )


def register_callbacks(app: dash.Dash) -> None:
    pages = _pages()

    # No initial call: a layout holding its page starts the Location at that path (nothing to
    # route); one without (no referrer) gets the path from the Location when it mounts.
    @app.callback(Output("page", "children"), Input("url", "pathname"), prevent_initial_call=True)
    def route(pathname: str | None) -> object:
        if initial_route_is_in_layout(pathname, bool(ctx.triggered_id), pages):
            raise PreventUpdate  # serve_layout already rendered this page
        page = pages.get(pathname if isinstance(pathname, str) and pathname else "/")
        return page() if page else shell_layouts.not_found()

    register_shell_callbacks(app)  # the phone menu and the persona switch
    # Org switch: submit the (CSRF-protected) form when another org is picked.
    app.clientside_callback(
        """function(v){
            if (v === undefined || v === null) { return window.dash_clientside.no_update; }
            var f = document.getElementById('org-switch-form');
            var h = document.getElementById('org-switch-value');
            if (f && h && String(h.value) !== String(v)) { h.value = v; f.submit(); }
            return window.dash_clientside.no_update;
        }""",
        Output("org-switch-value", "className"),  # never written: the callback submits a form
        Input("org-switch-select", "value"),
        prevent_initial_call=True,
    )
    for module in PAGE_MODULES.values():
        module.register_callbacks(app)
    notifications.register_callbacks(app)
