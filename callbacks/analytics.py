"""Analytics page callbacks: URL-synced filters -> KPIs, trend, channels, creatives, cohorts.

The query string is the single source of truth, so a view can be shared and reloaded:
controls write it through a page-local dcc.Location (refresh=False: the app router listens on
`url.pathname` only and never re-renders), and the views read it. The org id always comes
from `current_org_id()`; campaign ids in the URL that are not the org's match nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
from dash import Input, Output, ctx, html, no_update
from dash.exceptions import PreventUpdate
from werkzeug.exceptions import HTTPException

from layouts import analytics as views
from models import analytics as queries
from models.tenancy import current_org_id

logger = logging.getLogger(__name__)
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
    fatigue = queries.brain_overlays(org)["fatigue"]
    return views.leaderboard_table(views.with_fatigue(rows, fatigue), org.currency)


def cohorts_view(org_id: int) -> tuple:
    """Cohort LTV curves and table (store-wide: they do not depend on the filters)."""
    org = queries.org_context(org_id)
    if not org.has_data:
        raise PreventUpdate
    cohorts = queries.cohort_curves(org)
    return views.cohort_figure(cohorts, org.currency), views.cohort_table(cohorts, org.currency)


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
) -> tuple:
    org = queries.org_context(current_org_id())
    if not org.has_data:
        raise PreventUpdate
    return views.sync_controls(
        trigger, search, range_value, start, end, platforms, campaigns, metric, org.latest
    )
