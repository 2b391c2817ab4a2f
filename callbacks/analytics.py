"""Analytics page callbacks: URL-synced filters -> KPIs, trend, channels, creatives, cohorts.

The query string is the single source of truth, so a view can be shared and reloaded:
controls write it through a page-local dcc.Location (refresh=False: the app router listens on
`url.pathname` only and never re-renders), and the views read it. The org id always comes
from `current_org_id()`; campaign ids in the URL that are not the org's match nothing.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from callbacks import render_cache
from callbacks.errors import soft_fail
from layouts import analytics as views
from models import analytics as queries
from models.events import (
    EventError,
    add_event,
    brain_events,
    delete_event,
    hide_calendar_entry,
    list_events,
)
from models.permissions import Cap, can
from models.tenancy import current_org_id

logger = logging.getLogger(__name__)
LOAD_ERROR = "The numbers couldn't be loaded. Try again in a moment; the error has been logged."


def page() -> Any:
    """Called by the router per request: the empty state, or the page with the org's controls
    (from the render cache while the org's data is unchanged)."""
    org_id = current_org_id()
    return render_cache.cached(
        render_cache.analytics_key("page", org_id), lambda: build_page(org_id)
    )


def build_page(org_id: int) -> html.Div:
    org = queries.org_context(org_id)
    if not org.has_data:
        return views.empty_state()
    return views.analytics_page(org.campaigns, org.earliest, org.latest, org.currency)


def validation_children() -> html.Div:
    """The page plus a known-events list and an anomaly note: their Delete / Hide /
    "This was our sale" buttons (pattern-matching ids) are rendered by callbacks."""
    day = {"start": "2026-01-01", "end": "2026-01-01"}
    events = views.events_list([{"id": 0, "kind": "sale", **day}], [{"kind": "holiday", **day}])
    anomaly = {"date": date(2026, 1, 1), "series": "roas"}
    note = views.anomaly_note([anomaly], date(2026, 1, 1), date(2026, 1, 1))
    return html.Div([views.analytics_page(), events, note])


def register_callbacks(app: dash.Dash) -> None:
    """URL <-> controls sync, and three views that read the URL (they load in parallel)."""

    @app.callback(
        Output("an-ev-list", "children"),
        Output("an-ev-msg", "children"),
        Input("analytics-url", "pathname"),
        Input("an-ev-add", "n_clicks"),
        Input({"type": "an-ev-del", "id": ALL}, "n_clicks"),
        Input({"type": "an-ev-sale", "date": ALL}, "n_clicks"),
        Input({"type": "an-ev-hide", "key": ALL}, "n_clicks"),
        State("an-ev-kind", "value"),
        State("an-ev-dates-start", "value"),
        State("an-ev-dates-end", "value"),
        State("an-ev-platform", "value"),
        State("an-ev-note", "value"),
    )
    def known_events(
        _path: Any,
        _add: Any,
        _dels: Any,
        _sales: Any,
        _hides: Any,
        kind: Any,
        start: Any,
        end: Any,
        platform: Any,
        note: Any,
    ) -> tuple:
        return events_view(
            current_org_id(), ctx.triggered_id, ctx.triggered, kind, start, end, platform, note
        )

    _register_controls(app)
    _register_views(app)


def _register_controls(app: dash.Dash) -> None:
    """The URL and the controls kept in step."""

    @app.callback(
        *views.outputs(views.URL_AND_CONTROLS),
        *views.inputs(views.URL_AND_CONTROLS),
    )
    @soft_fail("analytics: syncing the URL and the controls failed")
    def sync_url_and_controls(
        search: str | None,
        range_value: Any,
        start: Any,
        end: Any,
        platforms: Any,
        campaigns: Any,
        metric: Any,
        compare: Any,
    ) -> tuple:
        return _sync(
            ctx.triggered_id,
            search,
            range_value,
            start,
            end,
            platforms,
            campaigns,
            metric,
            compare,
        )


def _register_views(app: dash.Dash) -> None:
    """The main charts, the creative leaderboard and the cohorts: each reads the URL."""
    views.register_view_callbacks(
        app,
        main=cached_main_view,
        creatives=cached_creatives_view,
        cohorts=lambda: cohorts_view(current_org_id()),
        guard=soft_fail,
        load_error=LOAD_ERROR,
    )


def cached_main_view(search: str) -> tuple:
    """main_view for the current user's org, built and serialised once per data version,
    brain state and query string (callbacks/render_cache.py)."""
    org_id = current_org_id()
    key = render_cache.analytics_key("main", org_id, search)
    return render_cache.cached_outputs(key, lambda: main_view(org_id, search))


def cached_creatives_view(search: str) -> Any:
    org_id = current_org_id()
    key = render_cache.analytics_key("creatives", org_id, search)
    return render_cache.cached(key, lambda: creatives_view(org_id, search))


# ---- the views (plain functions: the bench and the tests call them too) --------------------
def main_view(org_id: int, search: str) -> tuple:
    """KPI tiles, the trend chart, anomalies, channels, CSV links for one query string."""
    org = queries.org_context(org_id)
    if not org.has_data:
        raise PreventUpdate
    filters, problems = queries.parse_filters(search)
    view = queries.analytics_view(org, filters)
    anomalies = queries.brain_overlays(org)["anomalies"]
    return views.main_outputs(view, anomalies, problems, org.currency)


def creatives_view(org_id: int, search: str) -> html.Div:
    """Top creatives by spend with their ROAS sparkline and the brain's fatigue badge."""
    org = queries.org_context(org_id)
    if not org.has_data:
        raise PreventUpdate
    filters, _ = queries.parse_filters(search)
    period = queries.resolve_period(filters, org.latest)  # type: ignore[arg-type]
    rows = queries.creative_leaderboard(org, filters, period)
    overlays = queries.brain_overlays(org)
    return views.leaderboard_table(
        views.with_fatigue(rows, overlays["fatigue"]), org.currency, overlays.get("calibration")
    )


def cohorts_view(org_id: int) -> tuple:
    """Cohort LTV curves and table (store-wide: they do not depend on the filters)."""
    org = queries.org_context(org_id)
    if not org.has_data:
        raise PreventUpdate
    cohorts = queries.cohort_curves(org)
    return views.cohort_figure(cohorts, org.currency), views.cohort_table(cohorts, org.currency)


def events_view(
    org_id: int,
    trigger: Any,
    triggered: Any,
    kind: Any = None,
    start: Any = None,
    end: Any = None,
    platform: Any = None,
    note: Any = None,
) -> tuple:
    """Add / delete a known event (this org only), then list the org's events."""
    msg: Any = None
    fired = any(t.get("value") for t in (triggered or []) if isinstance(t, dict))
    if isinstance(trigger, dict) and not fired:
        # the list's own buttons mounting (after it was rendered): nothing to do, and
        # rendering the same list again would cost the phone a re-render at load
        raise PreventUpdate
    is_write = trigger == "an-ev-add" or isinstance(trigger, dict)
    if is_write and fired:
        if not can(Cap.ACT):
            msg = html.Span("Viewers cannot change events.", className="text-danger")
        else:
            msg = _write_event(org_id, trigger, kind, start, end, platform, note)
    stored = [e.as_dict() for e in list_events(org_id) if e.note != "removed"]
    calendar = [e for e in brain_events(org_id) if e["source"] == "calendar"]
    return views.events_list(stored, calendar), msg


def _write_event(
    org_id: int, trigger: Any, kind: Any, start: Any, end: Any, platform: Any, note: Any
) -> Any:
    from flask_login import current_user

    from jobs.brain import enqueue_recompute

    try:
        if isinstance(trigger, dict) and trigger.get("type") == "an-ev-del":
            if not delete_event(org_id, trigger.get("id")):
                return html.Span("That event no longer exists.", className="text-danger")
            text = "Event deleted; the brain is recomputing."
        elif isinstance(trigger, dict) and trigger.get("type") == "an-ev-hide":
            kind_, start_, end_ = (str(trigger.get("key") or "").split("|") + ["", "", ""])[:3]
            hide_calendar_entry(org_id, {"kind": kind_, "start": start_, "end": end_})
            text = "Calendar entry hidden for your brand; the brain is recomputing."
        elif isinstance(trigger, dict) and trigger.get("type") == "an-ev-sale":
            day = str(trigger.get("date") or "")
            add_event(
                org_id,
                current_user.id,
                {"kind": "sale", "start": day, "end": day, "note": "our sale"},
            )
            text = f"Recorded a sale on {day}; the brain is recomputing."
        else:
            add_event(
                org_id,
                current_user.id,
                {
                    "kind": kind,
                    "start": start,
                    "end": end or start,
                    "platform": platform,
                    "note": note,
                },
            )
            text = "Event recorded; the brain is recomputing."
    except EventError as exc:
        return html.Span(str(exc).capitalize() + ".", className="text-danger")
    try:
        enqueue_recompute(org_id)
    except Exception:  # noqa: BLE001 - the event is saved; the next scheduled run picks it up
        logger.exception("could not enqueue a brain recompute for org %s", org_id)
    return html.Span(text, className="text-success")


# ---- URL <-> controls ----------------------------------------------------------------------
def _sync(
    trigger: Any,
    search: Any,
    range_value: Any,
    start: Any,
    end: Any,
    platforms: Any,
    campaigns: Any,
    metric: Any,
    compare: Any = None,
) -> tuple:
    org = queries.org_context(current_org_id())
    if not org.has_data:
        raise PreventUpdate
    return views.sync_controls(
        trigger, search, range_value, start, end, platforms, campaigns, metric, compare, org.latest
    )
