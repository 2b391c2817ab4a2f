"""Onboarding wizard callbacks (placeholder until the integrations work lands)."""

from __future__ import annotations

import dash
from dash import html


def page() -> html.Div:
    return html.Div([html.H1("Welcome", className="h3")], id="onboarding-page")


def validation_children() -> html.Div:
    return html.Div()


def register_callbacks(app: dash.Dash) -> None:
    """Interactive parts of the wizard register here."""
