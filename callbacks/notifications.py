"""The navbar bell: refresh the unread count and the list, mark everything read.

Scoped to the logged-in user and their active org (never an id from the browser)."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, ctx
from flask_login import current_user

from extensions import db
from layouts import shell as shell_layouts
from models.alerts import bell, mark_read
from models.tenancy import current_org_id


def bell_data() -> dict[str, Any]:
    """For the shell: the user's bell in the active org (empty without one)."""
    org_id = current_user.org_id
    if org_id is None:
        return {"unread": 0, "items": []}
    return bell(org_id, current_user.id)


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("bell-list", "children"),
        Output("bell-count", "children"),
        Input("bell-poll", "n_intervals"),
        Input("bell-mark-read", "n_clicks"),
        prevent_initial_call=True,
    )
    def refresh_bell(_ticks: Any, _clicks: Any) -> tuple:
        org_id = current_org_id()
        if ctx.triggered_id == "bell-mark-read":
            mark_read(org_id, current_user.id)
            db.session.commit()
        data = bell(org_id, current_user.id)
        return shell_layouts.bell_items(data["items"]), shell_layouts.bell_count(data["unread"])
