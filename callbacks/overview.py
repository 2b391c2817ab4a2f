"""Overview page callbacks: read the stored brain state of the current user's org."""

from __future__ import annotations

import dash
from dash import html

from layouts import overview as views
from models.brain_data import latest_state
from models.tenancy import current_org_id


def page() -> html.Div:
    row = latest_state(current_org_id())
    return views.overview(row.as_dict() if row else None)


def validation_children() -> html.Div:
    return html.Div()


def register_callbacks(app: dash.Dash) -> None:
    """Interactive parts of the overview register here."""
