"""The sales demo: Lumen Beauty's workspace from snapshot files. No database, login or network.

    sh demo/install.sh && .venv-demo/bin/python demo/app.py      # http://127.0.0.1:8060
    gunicorn --bind 0.0.0.0:$PORT "demo.app:server"                 # deployed (Procfile: demo)

Every page a prospect should see (Overview, Analytics, Integrations, the board PDF) is built by
the product's own code: the views in layouts/, the Analytics read model in readmodels/, the
PDF builder in reports/. Only the data source differs: demo/snapshot.py instead of the
database. Decisions on actions live in the browser tab (sessionStorage) until Reset demo.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import dash  # noqa: E402
import dash_bootstrap_components as dbc  # noqa: E402
from dash import ALL, MATCH, Input, Output, State, ctx, html, no_update  # noqa: E402
from dash.exceptions import PreventUpdate  # noqa: E402
from flask import (  # noqa: E402
    Response,
    has_request_context,
    jsonify,
    redirect,
    request,
)

from brain.narrative import PERSONAS  # noqa: E402
from demo.snapshot import Snapshot, load  # noqa: E402
from layouts import analytics as an_views  # noqa: E402
from layouts import integrations as int_views  # noqa: E402
from layouts import overview as ov_views  # noqa: E402
from layouts import periods  # noqa: E402
from layouts import shell as shell_views  # noqa: E402
from layouts.components import toast  # noqa: E402
from layouts.persona import persona_class  # noqa: E402
from layouts.serving import init_serving, lean_dash  # noqa: E402
from layouts.wiring import (  # noqa: E402
    check_wiring,
    clicked_index,
    outputs_by_action,
    register_shell_callbacks,
    skeleton,
    soft_fail,
)
from readmodels import analytics as rm  # noqa: E402
from reports.board import build_board_report, report_filename  # noqa: E402

log = logging.getLogger(__name__)
ORG_NAME = "Lumen Beauty"
DECISIONS = ("planned", "done", "dismissed")  # the product's honest shared states
DEMO_USER = "you (demo)"
LOAD_ERROR = "The demo couldn't render this part. Reload the page."


@lru_cache(maxsize=2)
def _snapshot_for(day: str) -> Snapshot:
    return load(datetime.fromisoformat(day).date())


def snapshot() -> Snapshot:
    """The snapshot re-anchored to today (re-read once a day by a long-running server)."""
    return _snapshot_for(datetime.now(UTC).date().isoformat())


def _now() -> datetime:
    return datetime.now(UTC)


# ---- the shell -------------------------------------------------------------------------------
def ribbon() -> html.Div:
    return html.Div(
        [
            html.Strong("Demo data", className="me-1"),
            html.Span(
                f"· {ORG_NAME} is a sample brand. Decisions stay in this browser tab; "
                "nothing is sent anywhere."
            ),
        ],
        className="demo-ribbon",
        id="demo-ribbon",
        role="note",
    )


def shell_data(snap: Snapshot) -> dict[str, Any]:
    synced = [c["last_synced_at"] for c in snap.connections if c.get("last_synced_at")]
    return {
        "user_name": "",
        "user_email": "",  # no user menu in the demo
        "org_id": 0,
        "org_name": f"{ORG_NAME} (demo)",
        "orgs": [{"id": 0, "name": ORG_NAME}],
        "persona": "cmo",
        "csrf_token": "",
        "freshness": shell_views.freshness_text(snap.as_of.isoformat(), max(synced, default=None)),
        "integration_issues": 0,
    }


def _requested_page() -> tuple[str, str, bool]:
    """(path, search, known) of the page being opened: Dash fetches the layout from
    /_dash-layout, so the page's own address is the referrer; `known` is False when it is not
    (no referrer: the router renders the page once the Location reports the address)."""
    if not has_request_context():
        return "/", "", False
    url = urlparse(request.referrer or "") if request.path.endswith("/_dash-layout") else None
    if url is not None and url.netloc == request.host:
        return url.path or "/", f"?{url.query}" if url.query else "", True
    query = request.query_string.decode("latin-1")
    return request.path, f"?{query}" if query else "", url is None


def layout() -> html.Div:
    """The shell with the requested page already in it: no router round trip on first paint
    (decisions kept in the tab arrive through `restore_decisions`)."""
    snap = snapshot()
    reset = dbc.Button(
        "Reset demo",
        id="demo-reset",
        size="sm",
        color="light",
        outline=True,
        className="my-2 my-lg-0 ms-lg-2 demo-reset",
        n_clicks=0,
    )
    shell = shell_views.app_shell(shell_data(snap), extra=[reset])
    path, search, known = _requested_page()
    for component in shell._traverse():
        if getattr(component, "id", None) == "page":
            component.children = render(path, search, "cmo", None)
        elif getattr(component, "id", None) == "url" and known:
            component.pathname = path  # already there: the router has nothing to do at load
    return html.Div(
        [
            ribbon(),
            shell,
            dash.dcc.Store(id="demo-decisions", storage_type="session"),
            dash.dcc.Store(id="demo-page", data=path),  # the page the layout already holds
        ],
        id="persona-root",
        className=persona_class("cmo"),
    )


# ---- pages -------------------------------------------------------------------------------------
def standing(decisions: Any) -> dict[str, dict]:
    """The tab's decisions as the product's decision summaries ({action id: summary})."""
    return decisions if isinstance(decisions, dict) else {}


@lru_cache(maxsize=64)
def _period_numbers(day: str, filters: rm.Filters) -> dict[str, Any]:
    snap = _snapshot_for(day)
    ltv = ((snap.state.get("memory") or {}).get("totals") or {}).get("ltv_factor")
    return ov_views.period_numbers(snap.analytics_view(filters), ltv)


def period_numbers(filters: rm.Filters) -> dict[str, Any]:
    """The date control's period as the overview's numbers: the product's read model
    (readmodels.analytics) on the snapshot's series, then the product's own view function.
    The snapshot never changes within a day: each period is summed once (read-only)."""
    return _period_numbers(datetime.now(UTC).date().isoformat(), filters)


def overview_body(persona: str, decisions: Any, search: str | None) -> html.Div:
    snap = snapshot()
    return ov_views.overview(
        snap.state,
        persona=persona,
        decisions=standing(decisions),
        org_name=ORG_NAME,
        chosen=period_numbers(periods.page_filters(search)),
    )


def overview_page(persona: str, decisions: Any, search: str | None = None) -> html.Div:
    """The product's overview with its date control, kept in the URL (?range=7d&compare=…)."""
    snap = snapshot()
    control = ov_views.period_control(periods.page_filters(search), snap.earliest, snap.as_of)
    return ov_views.overview_page(overview_body(persona, decisions, search), None, control)


def analytics_page() -> html.Div:
    snap = snapshot()
    return an_views.analytics_page(snap.campaigns, snap.earliest, snap.as_of, snap.currency)


def integration_notices(search: str | None) -> list[tuple[str, str]]:
    notices = [
        (
            "info",
            "Demo: these four connections hold the sample brand's data. In the product you "
            "connect your own accounts here; Sync now, Disconnect and Connect explain what "
            "they would do.",
        )
    ]
    platform = (parse_qs((search or "").lstrip("?")).get("connect") or [""])[0]
    if platform in int_views.PLATFORMS:
        name = int_views.platform_name(platform)
        notices.append(
            (
                "warning",
                f"In the product, Connect {name} opens {name.split()[0]}'s sign-in to grant "
                "read-only access; the first sync then backfills 90 days. The demo doesn't "
                "leave this page.",
            )
        )
    return notices


def integrations_page(search: str | None) -> html.Div:
    snap = snapshot()
    now = _now()
    grid = int_views.cards_grid(snap.connections, True, now)
    rows = int_views.history_rows(snap.history, now)
    return int_views.integrations_page(grid, rows, False, integration_notices(search), True)


def render(pathname: Any, search: Any, persona: Any, decisions: Any) -> Any:
    persona = persona if persona in PERSONAS else "cmo"
    path = pathname if isinstance(pathname, str) and pathname else "/"
    if path == "/":
        return overview_page(persona, decisions, search if isinstance(search, str) else None)
    if path == "/analytics":
        return analytics_page()
    if path == "/integrations":
        return integrations_page(search if isinstance(search, str) else None)
    return shell_views.not_found()


# ---- analytics views (the product's read model on the snapshot) -----------------------------
def main_view(search: str) -> tuple:
    snap = snapshot()
    filters, problems = rm.parse_filters(search)
    view = snap.analytics_view(filters)
    return an_views.main_outputs(view, snap.overlays()["anomalies"], problems, snap.currency)


def creatives_view(search: str) -> html.Div:
    snap = snapshot()
    filters, _ = rm.parse_filters(search)
    period = rm.resolve_period(filters, snap.as_of)
    overlays = snap.overlays()
    rows = an_views.with_fatigue(snap.leaderboard(filters, period), overlays["fatigue"])
    return an_views.leaderboard_table(rows, snap.currency, overlays["calibration"])


def cohorts_view() -> tuple:
    snap = snapshot()
    cohorts = snap.cohorts[-6:]
    return (
        an_views.cohort_figure(cohorts, snap.currency),
        an_views.cohort_table(cohorts, snap.currency),
    )


# ---- decisions in the browser tab -------------------------------------------------------------
def apply_decision(trigger: Any, decisions: Any) -> tuple[dict[str, dict], Any]:
    """(new decisions, toast or None) for a click on a decision or an Undo button."""
    decisions = dict(standing(decisions))
    if not isinstance(trigger, dict):
        raise PreventUpdate
    curiosity = snapshot().state.get("curiosity") or {}
    actions = {str(a.get("id")) for a in curiosity.get("actions") or []}
    if trigger.get("type") == "action-btn":
        action_id, decision = trigger.get("action"), trigger.get("decision")
        if action_id not in actions or decision not in DECISIONS:
            return decisions, toast("That button isn't a decision we know.", header="Not saved")
        next_id = 1 + max((int(d.get("id") or 0) for d in decisions.values()), default=0)
        decisions[action_id] = {
            "id": next_id,
            "action_id": action_id,
            "decision": decision,
            "at": _now().isoformat(timespec="seconds"),
            "user": DEMO_USER,
        }
        return decisions, None
    if trigger.get("type") == "action-undo":
        action_id = trigger.get("action")
        current = decisions.get(action_id) if isinstance(action_id, str) else None
        if current is None or current.get("id") != trigger.get("decision_id"):
            return decisions, toast("Nothing to undo.", header="Nothing to undo", icon="warning")
        decisions.pop(action_id)
        return decisions, None
    raise PreventUpdate


# ---- the board PDF with the tab's decisions -----------------------------------------------------
MAX_DECISIONS_PARAM = 4000  # characters of the query parameter (a few dozen actions)

# The report links carry the tab's decisions (they live in sessionStorage, never on the server):
# {action id: [decision, ISO time]} as JSON in `decisions=`, rebuilt whenever they change, and
# the overview's period from the page's URL (rebuilt when a new period re-renders the body).
REPORT_LINKS_JS = """function(decisions, _page) {
    var compact = {};
    if (decisions && typeof decisions === 'object') {
        Object.keys(decisions).forEach(function(k) {
            var d = decisions[k];
            if (d && d.decision) { compact[k] = [d.decision, d.at || '']; }
        });
    }
    var q = Object.keys(compact).length
        ? '&decisions=' + encodeURIComponent(JSON.stringify(compact)) : '';
    // and the overview's period, as in its URL (the report's header and channels follow it)
    var here = new URLSearchParams(window.location.search), period = new URLSearchParams();
    ['range', 'start', 'end', 'compare'].forEach(function(k) {
        if (here.get(k)) { period.set(k, here.get(k)); }
    });
    var p2 = period.toString() ? '&' + period.toString() : '';
    return __PERSONAS__.map(function(p) { return '/reports/board.pdf?persona=' + p + p2 + q; });
}"""


def action_footer(action_id: str, decisions: Any) -> Any:
    """An opened card's decision buttons and the tab's decision on it, as in the product."""
    state = snapshot().state
    action = ov_views.action_in(state, action_id)
    if action is None:
        raise PreventUpdate  # not one of the snapshot's actions
    return ov_views.action_footer(
        ov_views.with_one_roas(action, state),
        standing(decisions).get(action_id),
        ov_views.currency_of(state),
    )


def pdf_decisions(raw: str | None, state: dict) -> dict[str, dict]:
    """The tab's decisions from the PDF link, as decision summaries for reports/board.py.

    Raises ValueError (→ 400) for anything the demo's own page would not have built: bad JSON,
    an action id not in the snapshot, a decision word we do not know, a time that is not one.
    The user is always the demo visitor: no name comes from the browser."""
    import json

    if not raw:
        return {}
    if len(raw) > MAX_DECISIONS_PARAM:
        raise ValueError(f"decisions must be at most {MAX_DECISIONS_PARAM} characters")
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise ValueError("decisions must be JSON: {action id: [decision, ISO time]}") from None
    if not isinstance(parsed, dict):
        raise ValueError("decisions must be an object: {action id: [decision, ISO time]}")
    actions = {str(a.get("id")) for a in (state.get("curiosity") or {}).get("actions") or []}
    out: dict[str, dict] = {}
    for i, (action_id, value) in enumerate(parsed.items(), start=1):
        if action_id not in actions:
            raise ValueError(f"unknown action {action_id[:40]!r}")
        if not (isinstance(value, list) and len(value) == 2 and value[0] in DECISIONS):
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
        try:
            at = datetime.fromisoformat(str(value[1]).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("a decision's time must be an ISO date and time") from None
        out[action_id] = {
            "id": i,
            "action_id": action_id,
            "decision": value[0],
            "at": at.isoformat(timespec="seconds"),
            "user": DEMO_USER,
        }
    return out


# ---- the app -----------------------------------------------------------------------------------
def create_demo_app() -> dash.Dash:
    app = lean_dash(__name__, "Omnify Brain — demo", "Omnify Brain sales demo with sample data")
    app.validation_layout = skeleton(validation_layout())  # first: else Dash calls layout
    app.layout = layout
    app.first_paint_paths = ("/", "/analytics")  # they paint before their JavaScript has run
    app.layout_cache_key = lambda: "demo"  # one layout for every visitor
    register_routes(app)
    register_callbacks(app)
    check_wiring(app)  # a callback naming an id or property no layout has fails start-up
    return app


def validation_layout() -> html.Div:
    """Every page's components, and an action card with a decision (its Undo button)."""
    decided = ov_views.action_item(
        {"id": "validation"}, {"id": 0, "decision": "planned"}, footer=True
    )
    return html.Div([layout(), analytics_page(), integrations_page(None), decided])


def register_routes(app: dash.Dash) -> None:
    """Plain HTTP routes of the demo: the board PDF, CSV exports, the Connect button."""
    server = app.server

    init_serving(server)  # plotly-basic lazily, no polyfill, brotli-compressed bundles

    @server.get("/reports/board.pdf")
    def board_pdf():  # noqa: ANN202
        persona = request.args.get("persona") or "cmo"
        if persona not in PERSONAS:
            return jsonify(error=f"persona must be one of {', '.join(PERSONAS)}"), 400
        state = snapshot().state
        try:
            decided = pdf_decisions(request.args.get("decisions"), state)
        except ValueError as exc:
            return jsonify(error=str(exc)), 400
        # the overview's period from the link (the product's lenient parse: bad -> default)
        chosen = period_numbers(periods.page_filters(request.query_string.decode()))
        pdf = build_board_report(state, ORG_NAME, persona, decisions=decided, chosen=chosen)
        resp = Response(pdf, mimetype="application/pdf")
        name = report_filename("lumen-demo", state.get("as_of"), chosen)
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def _csv(
        stem: str, header: list[str], period: rm.Period, rows: list, filters: Any = None
    ) -> Response:
        resp = Response(rm.csv_text(header, rows), mimetype="text/csv")
        name = rm.export_filename(stem, period, filters)
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @server.get("/exports/analytics.csv")
    def analytics_csv():  # noqa: ANN202
        try:
            filters = rm.parse_filters_strict(request.args)
        except rm.FilterError as exc:
            return jsonify(error=f"bad query parameter: {exc}"), 400
        period, rows = snapshot().daily_export(filters)
        return _csv("analytics_daily", rm.DAILY_EXPORT_COLUMNS, period, rows, filters)

    @server.get("/exports/analytics-creatives.csv")
    def creatives_csv():  # noqa: ANN202
        args = request.args.to_dict(flat=False)
        raw_limit = ",".join(args.pop("limit", [])).strip().lower()
        try:
            filters = rm.parse_filters_strict(args)
            limit = rm.export_limit(raw_limit)
        except rm.FilterError as exc:
            return jsonify(error=f"bad query parameter: {exc}"), 400
        period, rows = snapshot().creative_export(filters, limit)
        return _csv("analytics_creatives", rm.CREATIVE_EXPORT_COLUMNS, period, rows, filters)

    @server.get("/connect/<platform>/start")
    def connect_start(platform: str):  # noqa: ANN202
        known = platform if platform in int_views.PLATFORMS else ""
        return redirect(f"/integrations?connect={known}" if known else "/integrations", 303)


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("page", "children"),
        Output("demo-page", "data"),
        Input("url", "pathname"),
        State("url", "search"),
        State("persona-select", "value"),
        State("demo-decisions", "data"),
        State("demo-page", "data"),
        prevent_initial_call=True,  # the layout holds the page and its Location starts there
    )
    def route(pathname: Any, search: Any, persona: Any, decisions: Any, shown: Any) -> tuple:
        if pathname == shown:
            raise PreventUpdate  # the layout already holds this page (first load)
        return render(pathname, search, persona, decisions), pathname

    @app.callback(
        Output({"type": "action-status", "action": ALL}, "children", allow_duplicate=True),
        Output({"type": ov_views.ACTION_CHIP, "action": ALL}, "children", allow_duplicate=True),
        Input("demo-decisions", "data"),
        prevent_initial_call=True,  # fires when the Store restores the tab's decisions
    )
    def restore_decisions(decisions: Any) -> tuple:
        shown, chips = outputs_by_action(2)
        current = standing(decisions)
        if not current:
            raise PreventUpdate  # nothing decided: the page already says so (reset re-renders)
        return (
            [ov_views.decision_status(a, current.get(a)) for a in shown],
            [ov_views.chip_word(current.get(a)) for a in chips],
        )

    app.clientside_callback(
        REPORT_LINKS_JS.replace("__PERSONAS__", "[" + ",".join(f'"{p}"' for p in PERSONAS) + "]"),
        *[Output(f"report-link-{p}", "href") for p in PERSONAS],
        Input("demo-decisions", "data"),
        Input("demo-page", "data"),  # another page rendered (the overview brings new links)
    )

    register_shell_callbacks(app)  # the phone menu and the persona switch, as in the product
    app.clientside_callback(
        ov_views.tips_js(),
        Output("ov-tips", "data"),
        *[Output(f"tip-{k}", ov_views.TIP_PROP) for k in ov_views.TIP_KEYS],
        Input("ov-tips", "data"),
        *[Input(f"tip-next-{k}", "n_clicks") for k in ov_views.TIP_KEYS],
        *[Input(f"tip-skip-{k}", "n_clicks") for k in ov_views.TIP_KEYS],
    )

    @app.callback(
        Output({"type": ov_views.ACTION_FOOTER, "action": MATCH}, "children"),
        Input({"type": ov_views.ACTION_CARD, "action": MATCH}, "open"),
        State("demo-decisions", "data"),
        prevent_initial_call=True,
    )
    def open_card(is_open: Any, decisions: Any) -> Any:
        """A card opened for the first time: its buttons and the tab's decision on it."""
        trigger = ctx.triggered_id
        if not is_open or not isinstance(trigger, dict):
            raise PreventUpdate
        return action_footer(str(trigger.get("action")), decisions)

    @app.callback(
        Output({"type": "action-status", "action": ALL}, "children"),
        Output({"type": ov_views.ACTION_CHIP, "action": ALL}, "children"),
        Output("demo-decisions", "data"),
        Output("ov-toasts", "children"),
        Input({"type": "action-btn", "action": ALL, "decision": ALL}, "n_clicks"),
        Input({"type": "action-undo", "action": ALL, "decision_id": ALL}, "n_clicks"),
        State("demo-decisions", "data"),
        prevent_initial_call=True,
    )
    def decide(_accept: Any, _undo: Any, decisions: Any) -> tuple:
        clicks = ctx.triggered[0].get("value") if ctx.triggered else None
        if not clicks:
            raise PreventUpdate  # a new Undo button mounting
        shown, chips = outputs_by_action(2)
        new, message = apply_decision(ctx.triggered_id, decisions)
        if message is not None:
            return [no_update] * len(shown), [no_update] * len(chips), no_update, message
        return (
            [ov_views.decision_status(a, new.get(a)) for a in shown],
            [ov_views.chip_word(new.get(a)) for a in chips],
            new,
            None,
        )

    @app.callback(
        Output("demo-decisions", "data", allow_duplicate=True),
        Output("page", "children", allow_duplicate=True),
        Output("toasts", "children"),
        Input("demo-reset", "n_clicks"),
        State("url", "pathname"),
        State("url", "search"),
        State("persona-select", "value"),
        prevent_initial_call=True,
    )
    def reset(n: Any, pathname: Any, search: Any, persona: Any) -> tuple:
        if not n:
            raise PreventUpdate
        message = toast(
            "The demo is back to its starting point: no decisions taken.",
            header="Demo reset",
        )
        return None, render(pathname, search, persona, None), message

    register_period_callbacks(app)
    register_analytics_callbacks(app)
    register_integrations_callbacks(app)


def register_period_callbacks(app: dash.Dash) -> None:
    """The overview's date control as in the product (layouts/periods.py): URL <-> control,
    and a new period in the URL re-renders the overview's body from the snapshot."""

    periods.register_url_sync(
        app,
        "ov",
        "overview-url",
        lambda: snapshot().as_of,
        soft_fail(log, "demo: syncing the URL and the date control failed"),
    )

    @app.callback(
        Output("ov-body", "children"),
        Output("ov-period-shown", "data"),
        Input("overview-url", "search"),
        State("ov-period-shown", "data"),
        State("persona-select", "value"),
        State("demo-decisions", "data"),
        prevent_initial_call=True,
    )
    @soft_fail(log, "demo: rendering a period failed")
    def render_period(search: Any, shown: Any, persona: Any, decisions: Any) -> tuple:
        """A new period in the URL: tiles, brief, caption and channels follow it."""
        search = search if isinstance(search, str) else None
        wanted = periods.page_filters(search).query(with_metric=False)
        if wanted == shown:
            raise PreventUpdate  # the page's first render already showed this period
        persona = persona if persona in PERSONAS else "cmo"
        return overview_body(persona, decisions, search), wanted


def register_analytics_callbacks(app: dash.Dash) -> None:
    """The product's four Analytics callbacks, reading the snapshot instead of the database."""

    @app.callback(
        *an_views.outputs(an_views.URL_AND_CONTROLS),
        *an_views.inputs(an_views.URL_AND_CONTROLS),
    )
    def sync_url_and_controls(*values: Any) -> tuple:
        return an_views.sync_controls(ctx.triggered_id, *values, snapshot().as_of)

    an_views.register_view_callbacks(
        app,
        main_view,
        creatives_view,
        cohorts_view,
        guard=lambda message, fallback=None: soft_fail(log, message, fallback),
        load_error=LOAD_ERROR,
    )


def _connection(index: Any) -> dict[str, Any] | None:
    return next((c for c in snapshot().connections if c["id"] == index), None)


def register_integrations_callbacks(app: dash.Dash) -> None:
    """Sync now, Disconnect and Connect Shopify explain what they do in the product."""

    # (button, clicked property, what the product would do, the toast's header)
    explained = (
        (
            int_views.SYNC_BTN,
            "n_clicks",
            "In the product this starts a {name} sync now, with live progress on its card. "
            "The demo's numbers are a fixed snapshot, so nothing is fetched.",
            "Demo: sync not started",
        ),
        (
            int_views.DISCONNECT,
            "submit_n_clicks",
            "In the product this deletes the stored {name} token and stops syncing; data "
            "synced earlier stays. The demo keeps its connections.",
            "Demo: still connected",
        ),
    )
    for button, prop, words, header in explained:

        @app.callback(
            Output(int_views.TOASTS, "children", allow_duplicate=True),
            Input({"type": button, "index": ALL}, prop),
            prevent_initial_call=True,
        )
        def explain(clicks: Any, words: str = words, header: str = header) -> Any:
            conn = _connection(clicked_index(clicks))
            if conn is None:
                raise PreventUpdate
            name = int_views.platform_name(conn["platform"])
            return int_views.toast(words.format(name=name), header, "info")

    @app.callback(
        Output(int_views.SHOPIFY_FEEDBACK, "children"),
        Input(int_views.SHOPIFY_FORM, "n_submit"),
        prevent_initial_call=True,
    )
    def shopify_connect(n_submit: Any) -> Any:
        if not n_submit:
            raise PreventUpdate
        return dbc.Alert(
            "In the product this checks the token with a test call to your shop, stores it "
            "encrypted and starts the first sync. The demo doesn't send it anywhere.",
            color="info",
            className="py-2 small mb-2",
            id="shopify-demo-note",
        )


app = create_demo_app()
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", 8060)), debug=False)
