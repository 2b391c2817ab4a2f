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
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from werkzeug.exceptions import HTTPException

from jobs.connections import READ_ONLY_ROLES
from layouts import analytics as views
from models import analytics as queries
from models.data import AD_PLATFORMS
from models.events import (
    EventError,
    add_event,
    brain_events,
    delete_event,
    hide_calendar_entry,
    list_events,
)
from models.tenancy import current_membership, current_org_id

logger = logging.getLogger(__name__)
ALL_PLATFORMS = list(AD_PLATFORMS)
CONTROL_IDS = ("an-range", "an-dates", "an-platform", "an-campaign", "an-metric")
LOAD_ERROR = "The numbers couldn't be loaded. Try again in a moment; the error has been logged."


def page() -> html.Div:
    """Called by the router per request: the empty state, or the page with the org's controls."""
    org = queries.org_context(current_org_id())
    if not org.has_data:
        return views.empty_state()
    return views.analytics_page(org.campaigns, org.earliest, org.latest, org.currency)


def validation_children() -> html.Div:
    return views.analytics_page()


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
        State("an-ev-dates", "start_date"),
        State("an-ev-dates", "end_date"),
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

    @app.callback(
        Output("analytics-url", "search"),
        Output("an-range", "value"),
        Output("an-dates", "start_date"),
        Output("an-dates", "end_date"),
        Output("an-platform", "value"),
        Output("an-campaign", "value"),
        Output("an-metric", "value"),
        Input("analytics-url", "search"),
        Input("an-range", "value"),
        Input("an-dates", "start_date"),
        Input("an-dates", "end_date"),
        Input("an-platform", "value"),
        Input("an-campaign", "value"),
        Input("an-metric", "value"),
    )
    def sync_url_and_controls(
        search: str | None,
        range_value: Any,
        start: Any,
        end: Any,
        platforms: Any,
        campaigns: Any,
        metric: Any,
    ) -> tuple:
        try:
            return _sync(
                ctx.triggered_id, search, range_value, start, end, platforms, campaigns, metric
            )
        except (PreventUpdate, HTTPException):
            raise
        except Exception:
            logger.exception("analytics: syncing the URL and the controls failed")
            raise PreventUpdate from None

    @app.callback(
        Output("an-caption", "children"),
        Output("an-kpis", "children"),
        Output("an-chart", "figure"),
        Output("an-anomalies", "children"),
        Output("an-channels", "children"),
        Output("an-nomatch", "children"),
        Output("an-csv-daily", "href"),
        Output("an-csv-creatives", "href"),
        Output("an-toast-main", "children"),
        Input("analytics-url", "search"),
    )
    def render_main(search: str | None) -> tuple:
        if search is None:
            raise PreventUpdate
        try:
            return main_view(current_org_id(), search)
        except (PreventUpdate, HTTPException):
            raise
        except Exception:
            logger.exception("analytics: main view failed for %r", search)
            return (*([no_update] * 8), views.error_toast(LOAD_ERROR))

    @app.callback(
        Output("an-leaderboard", "children"),
        Output("an-toast-creatives", "children"),
        Input("analytics-url", "search"),
    )
    def render_creatives(search: str | None) -> tuple:
        if search is None:
            raise PreventUpdate
        try:
            return creatives_view(current_org_id(), search), None
        except (PreventUpdate, HTTPException):
            raise
        except Exception:
            logger.exception("analytics: creative leaderboard failed for %r", search)
            return no_update, views.error_toast(LOAD_ERROR, "Couldn't load the creatives")

    @app.callback(
        Output("an-cohort-chart", "figure"),
        Output("an-cohort-table", "children"),
        Output("an-toast-cohorts", "children"),
        Input("analytics-url", "pathname"),
    )
    def render_cohorts(pathname: str | None) -> tuple:
        if pathname is None:
            raise PreventUpdate
        try:
            return (*cohorts_view(current_org_id()), None)
        except (PreventUpdate, HTTPException):
            raise
        except Exception:
            logger.exception("analytics: cohorts failed")
            return no_update, no_update, views.error_toast(LOAD_ERROR, "Couldn't load cohorts")


# ---- the views (plain functions: the bench and the tests call them too) --------------------
def main_view(org_id: int, search: str) -> tuple:
    """KPI tiles, the trend chart, anomalies, channels, CSV links for one query string."""
    org = queries.org_context(org_id)
    if not org.has_data:
        raise PreventUpdate
    filters, problems = queries.parse_filters(search)
    view = queries.analytics_view(org, filters)
    period, previous = view["period"], view["previous_period"]
    anomalies = _visible_anomalies(queries.brain_overlays(org)["anomalies"], filters)
    metric = filters.metric
    if view["has_ad_data"] or metric in views.STORE_WIDE:
        figure = views.timeseries_figure(
            view["series"], view["previous_series"], metric, anomalies, org.currency
        )
    else:
        figure = views.empty_figure("No ad data for these filters")
    nomatch = None
    if filters.filtered and not view["has_ad_data"]:
        cleared = queries.Filters(
            range=filters.range, start=filters.start, end=filters.end, metric=filters.metric
        )
        nomatch = views.no_match("/analytics?" + cleared.query())
    export_query = filters.query(with_metric=False)
    toast = views.notice_toast("; ".join(problems)) if problems else None
    return (
        views.period_caption(period, previous),
        views.kpi_tiles(view["kpis"], org.currency, filtered=filters.filtered),
        figure,
        views.anomaly_note(anomalies, period.start, period.end),
        views.channel_table(view["channels"], org.currency),
        nomatch,
        "/exports/analytics.csv?" + export_query,
        "/exports/analytics-creatives.csv?" + export_query,
        toast,
    )


def creatives_view(org_id: int, search: str) -> html.Div:
    """Top creatives by spend with their ROAS sparkline and the brain's fatigue badge."""
    org = queries.org_context(org_id)
    if not org.has_data:
        raise PreventUpdate
    filters, _ = queries.parse_filters(search)
    period = queries.resolve_period(filters, org.latest)  # type: ignore[arg-type]
    rows = queries.creative_leaderboard(org, filters, period)
    fatigue = queries.brain_overlays(org)["fatigue"]
    rows = [
        dict(r, fatigue=queries.fatigue_for(fatigue, r["external_id"], r["name"])) for r in rows
    ]
    return views.leaderboard_table(rows, org.currency)


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
    is_write = trigger == "an-ev-add" or isinstance(trigger, dict)
    if is_write and fired:
        if current_membership().role in READ_ONLY_ROLES:
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


def _visible_anomalies(anomalies: list[dict], filters: queries.Filters) -> list[dict]:
    """Platform-specific anomalies show only when that platform is in view."""
    if not filters.platforms:
        return anomalies
    return [a for a in anomalies if not a.get("platform") or a["platform"] in filters.platforms]


# ---- URL <-> controls ----------------------------------------------------------------------
def _as_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _sync(
    trigger: Any,
    search: Any,
    range_value: Any,
    start: Any,
    end: Any,
    platforms: Any,
    campaigns: Any,
    metric: Any,
) -> tuple:
    org = queries.org_context(current_org_id())
    if not org.has_data:
        raise PreventUpdate
    search = search if isinstance(search, str) else None
    if trigger not in CONTROL_IDS:
        # Page load, reload, back/forward: the URL sets the controls.
        if search is None:
            raise PreventUpdate
        filters, _ = queries.parse_filters(search)
        period = queries.resolve_period(filters, org.latest)  # type: ignore[arg-type]
        return (
            no_update,
            filters.range,
            period.start.isoformat(),
            period.end.isoformat(),
            list(filters.platforms) or ALL_PLATFORMS,
            list(filters.campaigns),
            filters.metric,
        )

    # A control changed: the controls write the URL.
    current, _ = queries.parse_filters(search or "")
    start_d, end_d = _as_date(start), _as_date(end)
    rng = range_value if range_value in queries.RANGES else current.range
    if trigger == "an-dates":
        if not (start_d and end_d) or start_d > end_d:
            raise PreventUpdate  # the picker is half-way through a selection
        rng = "custom"
    chosen = [p for p in platforms if p in AD_PLATFORMS] if isinstance(platforms, list) else []
    picked = campaigns if isinstance(campaigns, list) else []
    campaign_ids = [str(c) for c in picked if str(c).isdigit()]
    params = {
        "range": rng,
        "platform": ",".join(chosen),
        "campaign": ",".join(campaign_ids),
        "metric": metric if metric in queries.METRICS else current.metric,
    }
    if rng == "custom":
        if not (start_d and end_d):
            period = queries.resolve_period(current, org.latest)  # type: ignore[arg-type]
            start_d, end_d = period.start, period.end
        params.update(start=start_d.isoformat(), end=end_d.isoformat())
    filters, _ = queries.parse_filters(params)
    period = queries.resolve_period(filters, org.latest)  # type: ignore[arg-type]
    new_search = "?" + filters.query()
    return (
        new_search if new_search != search else no_update,
        filters.range if filters.range != range_value else no_update,
        period.start.isoformat() if period.start != start_d else no_update,
        period.end.isoformat() if period.end != end_d else no_update,
        no_update if chosen else ALL_PLATFORMS,  # none ticked means all: tick them again
        no_update,
        no_update,
    )
