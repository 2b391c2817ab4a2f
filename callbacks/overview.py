"""Overview page callbacks: read the stored latest brain state of the current user's org.

Never recomputes on a page view. The org id always comes from current_user (models.tenancy);
ids in pattern-matching callbacks are only ever looked up inside that org. A failure renders an
error panel or a toast, never a broken page.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
from dash import ALL, MATCH, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from callbacks import render_cache
from callbacks.errors import soft_fail
from extensions import app_config
from layouts import overview as views
from layouts import periods
from layouts.components import toast
from layouts.shell import freshness_text  # noqa: F401 - callbacks/__init__ uses it from here
from layouts.wiring import outputs_by_action
from models.brain_data import latest_state, latest_state_ref
from models.decisions import (
    DECISIONS,
    UnknownAction,
    decision_summaries,
    done_checks,
    record_decision,
    undo_decision,
)
from models.permissions import Cap, can
from models.tenancy import current_membership, current_org_id

logger = logging.getLogger(__name__)
POLL_MS = 30_000
TIP_KEYS = views.TIP_KEYS


def chosen_filters(search: str | None) -> Any:
    """The overview's period from the query string (range, custom dates, comparison only)."""
    return periods.page_filters(search)


def chosen_period(org_id: int, search: str | None, state: dict) -> dict | None:
    """The date control's period as headline numbers (the analytics read model's sums)."""
    from models import analytics as queries

    try:
        org = queries.org_context(org_id)
        if not org.has_data:
            return None
        view = queries.analytics_view(org, chosen_filters(search))
    except HTTPException:
        raise
    except Exception:  # the tiles fall back to the brain's window; the page still renders
        logger.exception("overview: the period %r of org %s could not be summed", search, org_id)
        render_cache.dont_store("period sums failed")  # the outage must not outlive itself
        return None
    totals = (state.get("memory") or {}).get("totals") or {}
    return views.period_numbers(view, totals.get("ltv_factor"))


def render_body(org_id: int, search: str | None = None) -> tuple[Any, int | str | None]:
    """(body, state id) for the org's latest stored state and the period in the query string;
    the error panel if it can't render."""
    row = latest_state(org_id)
    if row is None:
        return views.empty_state(), None
    try:
        state = row.as_dict()
        actions = (state.get("curiosity") or {}).get("actions") or []
        membership = current_membership()
        summaries, ai_notes = summaries_for(org_id, row.id, state)
        body = views.overview(
            state,
            persona=membership.persona,
            decisions=decisions_with_checks(org_id, actions),
            narratives=summaries,
            org_name=membership.org.name,
            ai_notes=ai_notes,
            accounts=ad_accounts(org_id),
            chosen=chosen_period(org_id, search, state),
        )
        if any(s.get("reason") == "pending" for s in summaries.values()):
            # the worker is still writing the AI summary: the poll re-renders until it is stored
            render_cache.dont_store("narratives pending")
            return body, f"{row.id}-pending"  # type: ignore[return-value]
    except HTTPException:
        raise
    except Exception:
        logger.exception("overview: rendering brain state %s of org %s failed", row.id, org_id)
        render_cache.dont_store("error panel")
        body = views.error_panel()
    return body, row.id


def decisions_with_checks(org_id: int, actions: list[dict]) -> dict[str, dict]:
    """The standing decision per action, a Done pause carrying the data's check."""
    standing = decision_summaries(org_id, [str(a.get("id")) for a in actions])
    for aid, check in done_checks(org_id, actions, standing).items():
        standing[aid] = {**standing[aid], "check": check}
    return standing


def ad_accounts(org_id: int) -> dict[str, str]:
    """{platform: ad account id} of the org's connections (for exact ads-manager links)."""
    from sqlalchemy import select

    from extensions import db
    from models.data import Connection

    rows = db.session.execute(
        select(Connection.platform, Connection.external_account_id)
        .where(Connection.org_id == org_id)
        .order_by(Connection.id)
    ).all()
    out: dict[str, str] = {}
    for platform, account in rows:
        out.setdefault(platform, account)
    return out


PENDING_FOR_S = 900  # after this, a state without narratives is "missing", not "being written"


def _recent(state: dict) -> bool:
    from datetime import UTC, datetime

    try:
        computed = datetime.fromisoformat(str(state.get("computed_at")))
    except ValueError:
        return False
    if computed.tzinfo is None:
        computed = computed.replace(tzinfo=UTC)
    return (datetime.now(UTC) - computed).total_seconds() < PENDING_FOR_S


def summaries_for(org_id: int, state_id: int, state: dict) -> tuple[dict, dict]:
    """(summary per persona, AI notes of ORACLE and CURIOSITY) as stored by jobs/narratives.py;
    the template summary, labelled 'being written', until the worker has stored them.
    Never calls a model."""
    from brain.narrative import PERSONAS, template_summary
    from models.narratives import narratives_for_state

    stored = narratives_for_state(org_id, state_id)
    rows = {n.persona: n for n in stored if n.kind == "summary"}
    notes = {
        n.kind: {"model": n.model, "items": (n.payload or {}).get("items") or {}}
        for n in stored
        if n.kind in ("oracle", "curiosity") and n.provider != "template"
    }
    out: dict[str, Any] = {}
    for persona in PERSONAS:
        n = rows.get(persona)
        if n is None:
            config = app_config()
            keys = config.OPENAI_API_KEY or config.ANTHROPIC_API_KEY
            reason = "no_key" if not keys else "pending" if _recent(state) else "missing"
            out[persona] = {"text": template_summary(state, persona), "reason": reason}
            continue
        out[persona] = {
            "text": n.text,
            "ai": n.provider != "template",
            "model": n.model,
            "created_at": n.created_at,
            "reason": n.reason,
            "fact_ids": list(n.facts_used or []),
        }
    return out, notes


def page_search() -> str | None:
    """The query string of the page the router renders: Dash posts its callbacks from the
    page, so the page's address is the referrer (same origin: the full URL is sent). Without
    it the page renders the default period and the date control's Location brings the URL's."""
    from urllib.parse import urlparse

    from flask import request

    url = urlparse(request.referrer or "")
    if url.netloc != request.host or url.path not in ("", "/") or not url.query:
        return None
    return "?" + url.query


def page(search: str | None = None) -> Any:
    """The overview for the current user's org and the period in `search` (default: the
    page's own query string): from the render cache when nothing it shows has changed."""
    org_id = current_org_id()
    search = search if search is not None else page_search()
    return render_cache.cached(
        render_cache.overview_key(org_id, search), lambda: build_page(org_id, search)
    )


def build_page(org_id: int, search: str | None) -> html.Div:
    body, state_id = render_body(org_id, search)
    return views.overview_page(body, state_id, control(org_id, search))


def control(org_id: int, search: str | None) -> Any:
    """The date control set from the URL (hidden while there is no data to slice: its URL
    and store stay, the poll reads them)."""
    from models import analytics as queries

    org = queries.org_context(org_id)
    if not org.has_data:
        return views.period_control(chosen_filters(search), hidden=True)
    return views.period_control(chosen_filters(search), org.earliest, org.latest)


def validation_children() -> html.Div:
    """The page plus one action card with a decision: the pattern-matching ids the
    callbacks below listen to exist only once the brain state is loaded."""
    sample = views.action_item({"id": "validation"}, {"id": 0, "decision": "planned"}, footer=True)
    return html.Div(
        [views.overview_page(html.Div(views.tips()), None, views.period_control()), sample]
    )


def register_callbacks(app: dash.Dash) -> None:
    """Decisions on actions, polling for a newer brain state, the period, first-visit tips."""
    _register_footers(app)
    _register_decisions(app)
    _register_poll(app)
    _register_period(app)
    _register_tips(app)


def _register_footers(app: dash.Dash) -> None:
    @app.callback(
        Output({"type": views.ACTION_FOOTER, "action": MATCH}, "children"),
        Input({"type": views.ACTION_CARD, "action": MATCH}, "open"),
        prevent_initial_call=True,
    )
    @soft_fail("overview: rendering an action's decision buttons failed")
    def open_card(is_open: Any) -> Any:
        """A card opened for the first time: its buttons and the standing decision."""
        trigger = ctx.triggered_id
        if not is_open or not isinstance(trigger, dict):
            raise PreventUpdate
        return action_footer(current_org_id(), str(trigger.get("action")))


def action_footer(org_id: int, action_id: str) -> Any:
    """The decision footer of one action of the org's latest state (an action no longer in it:
    a note, and nothing to press)."""
    row = latest_state(org_id)
    state = row.as_dict() if row is not None else {}
    action = views.action_in(state, action_id)
    if action is None:
        return html.P(
            "This action is no longer in the latest insights: reload the page for the newest.",
            className="ov-decision",
        )
    standing = decisions_with_checks(org_id, [action])
    return views.action_footer(
        views.with_one_roas(action, state), standing.get(action_id), views.currency_of(state)
    )


def _register_decisions(app: dash.Dash) -> None:
    @app.callback(
        Output({"type": "action-status", "action": ALL}, "children"),
        Output({"type": views.ACTION_CHIP, "action": ALL}, "children"),
        Output("ov-toasts", "children"),
        Input({"type": "action-btn", "action": ALL, "decision": ALL}, "n_clicks"),
        Input({"type": "action-undo", "action": ALL, "decision_id": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def decide(_accept: Any, _undo: Any) -> tuple:
        trigger = ctx.triggered_id
        clicks = ctx.triggered[0].get("value") if ctx.triggered else None
        if not isinstance(trigger, dict) or not clicks:
            raise PreventUpdate  # a new Undo button mounting, or a malformed request
        shown, chips = outputs_by_action(2)
        return _decide(trigger, shown, chips)


@soft_fail(
    "overview: recording a decision failed",
    fallback=lambda _trigger, shown, chips: (
        [no_update] * len(shown),
        [no_update] * len(chips),
        toast(
            "Your decision could not be saved. Try again; the error has been logged.",
            header="Not saved",
        ),
    ),
)
def _decide(trigger: dict, shown: list, chips: list) -> tuple:
    """Record or undo, then the opened cards' statuses and every card's state word (or a
    toast saying why not)."""
    org_id = current_org_id()
    message = _apply(org_id, trigger)
    if message is not None:
        return [no_update] * len(shown), [no_update] * len(chips), message
    row = latest_state(org_id)
    state = row.as_dict() if row is not None else {}
    wanted = set(shown) | set(chips)
    actions = [
        a for a in (state.get("curiosity") or {}).get("actions") or [] if str(a.get("id")) in wanted
    ]
    standing = decisions_with_checks(org_id, actions)
    cur = views.currency_of(state)
    return (
        [views.decision_status(a, standing.get(a), cur) for a in shown],
        [views.chip_word(standing.get(a)) for a in chips],
        no_update,
    )


# After the overview renders again (a newer state, another period), the cards the reader had
# open are opened again (assets/action-cards.js keeps their ids).
REOPEN_CARDS_JS = """function () {
    if (window.omnifyReopenCards) { window.omnifyReopenCards(); }
    return window.dash_clientside.no_update;
}"""


def _register_poll(app: dash.Dash) -> None:
    app.clientside_callback(
        REOPEN_CARDS_JS,
        Output("ov-state-id", "data", allow_duplicate=True),
        Input("ov-state-id", "data"),
        Input("ov-period-shown", "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("ov-body", "children"),
        Output("ov-state-id", "data"),
        Output("shell-freshness", "children"),
        Input("ov-interval", "n_intervals"),
        State("ov-state-id", "data"),
        State("overview-url", "search"),
        prevent_initial_call=True,
    )
    @soft_fail("overview: polling for a newer brain state failed")
    def poll(_n: int | None, known_id: Any, search: Any = None) -> tuple:
        """Re-render (no reload) only when a newer brain state than the one shown exists."""
        org_id = current_org_id()
        ref = latest_state_ref(org_id)
        if ref is None or ref[0] == known_id:
            raise PreventUpdate
        body, state_id = render_body(org_id, search if isinstance(search, str) else None)
        from callbacks import shell_status

        status = shell_status(org_id)
        return body, state_id, freshness_text(status["as_of"], status["last_synced_at"])


def _latest_day() -> Any:
    """The org's latest data day (no data: the hidden control has nothing to sync)."""
    from models import analytics as queries

    org = queries.org_context(current_org_id())
    if not org.has_data:
        raise PreventUpdate
    return org.latest


def _register_period(app: dash.Dash) -> None:
    periods.register_url_sync(
        app,
        "ov",
        "overview-url",
        _latest_day,
        soft_fail("overview: syncing the URL and the date control failed"),
    )

    @app.callback(
        Output("ov-body", "children", allow_duplicate=True),
        Output("ov-state-id", "data", allow_duplicate=True),
        Output("ov-period-shown", "data"),
        Input("overview-url", "search"),
        State("ov-period-shown", "data"),
        prevent_initial_call=True,
    )
    @soft_fail("overview: rendering a period failed")
    def render_period(search: Any, shown: Any) -> tuple:
        """A new period in the URL: the tiles, brief and caption follow it (the Location
        reports the URL when it mounts: the page's first render already showed that one)."""
        search = search if isinstance(search, str) else None
        wanted = chosen_filters(search).query(with_metric=False)
        if wanted == shown:
            raise PreventUpdate
        return (*render_body(current_org_id(), search), wanted)


def _register_tips(app: dash.Dash) -> None:
    # First-visit tips: one at a time; "Got it" moves on, "Skip tips" ends them; remembered in
    # localStorage, so no server round trip and nothing stored about the user.
    app.clientside_callback(
        views.tips_js(),
        Output("ov-tips", "data"),
        *[Output(f"tip-{k}", views.TIP_PROP) for k in TIP_KEYS],
        Input("ov-tips", "data"),
        *[Input(f"tip-next-{k}", "n_clicks") for k in TIP_KEYS],
        *[Input(f"tip-skip-{k}", "n_clicks") for k in TIP_KEYS],
    )


def _apply(org_id: int, trigger: dict) -> Any:
    """Record or undo; returns a toast when nothing was changed (unknown id, bad input)."""
    if not can(Cap.ACT):
        return toast("Viewers can read the insights but not decide on actions.", header="Not saved")
    kind = trigger.get("type")
    if kind == "action-btn":
        action_id, decision = trigger.get("action"), trigger.get("decision")
        if not isinstance(action_id, str) or decision not in DECISIONS:
            return toast("That button isn't a decision we know.", header="Not saved")
        try:
            record_decision(org_id, current_user.id, action_id, decision)
        except UnknownAction:
            return toast(
                "This action is no longer in the latest insights (404). Nothing was saved; "
                "the page shows the newest actions after the next update.",
                header="Action not found",
                icon="warning",
            )
        return None
    if kind == "action-undo":
        if undo_decision(org_id, trigger.get("decision_id")) is None:
            return toast(
                "That decision was not found or was already undone (404).",
                header="Nothing to undo",
                icon="warning",
            )
        return None
    raise PreventUpdate
