"""Onboarding wizard callbacks: the step lives in Organization.onboarding["step"].

Steps: profile -> connect -> backfill -> insights -> done. Step 2 and 3 reuse the
Integrations cards and live progress (their callbacks are registered by
callbacks/integrations.py and work on whichever page shows those components).
Only owners/admins change the org (profile, stored step); members may look around.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from flask_wtf.csrf import generate_csrf
from sqlalchemy import exists, select

from extensions import db
from layouts import integrations as int_views
from layouts import onboarding as views
from layouts.onboarding import timezone_names
from models import Connection, Organization, SyncJob
from models.brain_data import latest_state
from models.connections_view import connection_summaries, has_active_sync
from models.data import ConnectionStatus
from models.imports import ACTIVE_STATUSES, DataImport, ImportStatus
from models.ops import ACTIVE_SYNC_STATUSES, SyncKind, SyncStatus
from models.permissions import Cap, can
from models.seed import has_own_data
from models.tenancy import current_org_id

from .integrations import _now, build_cards

log = logging.getLogger(__name__)


def _org() -> Organization:
    org = db.session.get(Organization, current_org_id())
    if org is None:  # the membership exists, so this is a race with deletion
        raise PreventUpdate
    return org


def facts(org: Organization) -> dict[str, bool]:
    """What really happened, per wizard step (the stepper says Done only for these)."""
    org_id = org.id
    connected = db.session.scalar(
        select(
            exists().where(
                Connection.org_id == org_id,
                Connection.status != ConnectionStatus.DISABLED,
                Connection.source != "sample",
            )
        )
    )
    synced = db.session.scalar(
        select(
            exists().where(
                SyncJob.org_id == org_id,
                SyncJob.kind == SyncKind.SYNC,
                SyncJob.status == SyncStatus.SUCCEEDED,
            )
        )
    )
    imported = db.session.scalar(
        select(
            exists().where(DataImport.org_id == org_id, DataImport.status == ImportStatus.SUCCEEDED)
        )
    )
    return {
        "profile": bool((org.onboarding or {}).get("profile_saved")),
        "connect": bool(connected),
        "backfill": bool(synced or imported),
        "insights": latest_state(org_id) is not None,
    }


def data_pending(org_id: int) -> bool:
    """Is data on its way (a sync or import running or finished)? Then insights will come."""
    if has_active_sync(org_id):
        return True
    return bool(
        db.session.scalar(  # a connected platform: its first or nightly sync brings data
            select(
                exists().where(
                    Connection.org_id == org_id,
                    Connection.status != ConnectionStatus.DISABLED,
                    Connection.credentials_encrypted.is_not(None),
                )
            )
        )
        or db.session.scalar(
            select(
                exists().where(
                    DataImport.org_id == org_id,
                    DataImport.status.in_(
                        (*ACTIVE_STATUSES, ImportStatus.READY, ImportStatus.SUCCEEDED)
                    ),
                )
            )
        )
        or db.session.scalar(
            select(
                exists().where(
                    SyncJob.org_id == org_id,
                    SyncJob.kind == SyncKind.SYNC,
                    SyncJob.status.in_((*ACTIVE_SYNC_STATUSES, SyncStatus.SUCCEEDED)),
                )
            )
        )
    )


def set_step(org: Organization, step: str) -> None:
    """Store the wizard position (a new dict, so SQLAlchemy sees the JSON change)."""
    org.onboarding = {**(org.onboarding or {}), "step": step}
    db.session.commit()


def save_profile(org: Organization, currency: Any, timezone: Any, margin: Any) -> dict[str, str]:
    """Validate and store the company profile; returns errors (nothing saved if any)."""
    clean, errors = views.parse_profile(currency, timezone, margin, frozenset(timezone_names()))
    if errors:
        return errors
    org.currency = clean["currency"]
    org.timezone = clean["timezone"]
    org.gross_margin = clean["gross_margin"]
    org.onboarding = {**(org.onboarding or {}), "profile_saved": True}
    set_step(org, "connect")
    return {}


def step_body(org: Organization, step: str, is_admin: bool) -> Any:
    """The panel of one wizard step for this org."""
    if step == "profile":
        data = {
            "currency": org.currency,
            "timezone": org.timezone,
            "gross_margin": org.gross_margin,
        }
        return views.profile_step(data, list(timezone_names()), can_edit=is_admin)
    if step in ("connect", "backfill"):
        conns = connection_summaries(org.id)
        live = [c for c in conns if c["status"] != ConnectionStatus.DISABLED]
        poll = any(int_views.is_active_sync(c["latest_sync"]) for c in conns)
        services = int_views.services(poll)
        if step == "connect":
            cards = int_views.cards_section(build_cards(org.id, is_admin, "/onboarding"))
            offer_sample = is_admin and not has_own_data(org.id)
            return views.connect_step(
                cards, services, len(live), generate_csrf() if offer_sample else None
            )
        now = _now()
        blocks = [
            views.backfill_block(
                int_views.platform_name(c["platform"]),
                int_views.live_region(c, is_admin, now),
            )
            for c in live
        ]
        return views.backfill_step(blocks, services)
    if step == "insights":
        has_state = latest_state(org.id) is not None
        pending = data_pending(org.id)
        return views.insights_step(has_state, poll=not has_state and pending, pending=pending)
    return views.done_view()


def page() -> html.Div:
    """Called by the router per request: the wizard at the org's stored step."""
    org = _org()
    step = views.normalize_step((org.onboarding or {}).get("step"))
    body = step_body(org, step, can(Cap.MANAGE_ORG))
    return views.onboarding_page(org.name, step, body, facts(org))


def validation_children() -> html.Div:
    """The ids of every step (no database): profile and insights panels."""
    org = {"currency": "USD", "timezone": "UTC", "gross_margin": 0.65}
    return html.Div(
        [
            views.profile_step(org, ["UTC"]),
            views.insights_step(False, False),
            html.Div(id=views.WIZARD),
        ]
    )


def _errors_alert(errors: dict[str, str]) -> dbc.Alert:
    return dbc.Alert(
        [html.Strong("Nothing was saved. "), *[html.Div(m) for m in errors.values()]],
        color="danger",
        className="py-2 small mt-3 mb-0",
        id="onb-profile-alert",
    )


def register_callbacks(app: dash.Dash) -> None:
    """Save profile, move between steps, finish, and wait for the first insights."""

    @app.callback(
        Output(views.WIZARD, "children", allow_duplicate=True),
        Output(views.PROFILE_ERROR, "children"),
        Output(views.MARGIN, "invalid"),
        Output(views.CURRENCY, "invalid"),
        Input(views.PROFILE_FORM, "n_submit"),
        State(views.CURRENCY, "value"),
        State(views.TIMEZONE, "value"),
        State(views.MARGIN, "value"),
        prevent_initial_call=True,
    )
    def profile_submit(n_submit: Any, currency: Any, timezone: Any, margin: Any) -> tuple:
        if not n_submit:
            raise PreventUpdate
        if not can(Cap.MANAGE_ORG):
            error = {"role": "Only owners and admins can change the company profile."}
            return no_update, _errors_alert(error), no_update, no_update
        org = _org()
        errors = save_profile(org, currency, timezone, margin)
        if errors:
            db.session.rollback()
            return (
                no_update,
                _errors_alert(errors),
                "gross_margin" in errors,
                "currency" in errors,
            )
        body = step_body(org, "connect", True)
        return views.wizard("connect", body, facts(org)), None, False, False

    @app.callback(
        Output(views.WIZARD, "children", allow_duplicate=True),
        Input({"type": views.GO, "step": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def go(clicks: Any) -> list:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not isinstance(clicks, list) or not any(clicks):
            raise PreventUpdate
        clicked = next(
            (
                item["id"]
                for item, value in zip(ctx.inputs_list[0], clicks, strict=False)
                if isinstance(item, dict) and item.get("id") == trigger and value
            ),
            None,
        )
        target = (clicked or {}).get("step")
        if target not in views.STEP_KEYS:
            raise PreventUpdate
        org = _org()
        admin = can(Cap.MANAGE_ORG)
        if admin:  # members can look at a step; only admins move the org's wizard
            set_step(org, target)
        return views.wizard(target, step_body(org, target, admin), facts(org))

    _register_finish(app)


def _register_finish(app: dash.Dash) -> None:
    """Finish the wizard and wait for the first insights."""

    @app.callback(
        Output("url", "pathname", allow_duplicate=True),
        Input(views.FINISH, "n_clicks"),
        prevent_initial_call=True,
    )
    def finish(n_clicks: Any) -> str:
        if not n_clicks:
            raise PreventUpdate
        if can(Cap.MANAGE_ORG):
            set_step(_org(), views.DONE)
        return "/"

    @app.callback(
        Output(views.INSIGHTS, "children"),
        Output(views.INSIGHTS_POLL, "disabled"),
        Input(views.INSIGHTS_POLL, "n_intervals"),
        prevent_initial_call=True,
    )
    def wait_for_insights(_n: Any) -> tuple:
        org_id = current_org_id()
        if latest_state(org_id) is not None:
            return views.insights_body(True), True
        if data_pending(org_id):
            return no_update, False
        return views.insights_body(False, pending=False), True  # nothing coming: say what's next
