"""Integrations page callbacks (placeholder until its issue lands)."""

from __future__ import annotations

import dash
from dash import html


def page() -> html.Div:
    return html.Div(
        [html.H1("Integrations", className="h3"), html.P("Coming soon.")], id="integrations-page"
    )


def validation_children() -> html.Div:
    return html.Div()


def register_callbacks(app: dash.Dash) -> None:
    """Interactive parts of the page register here."""
