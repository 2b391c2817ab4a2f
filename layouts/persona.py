"""Persona wording (docs/product.md): same numbers, different words and emphasis."""

from __future__ import annotations

from dash import html

PERSONAS = ("cmo", "vp_growth", "director")

CARD_TITLES = {
    "cmo": {
        "memory": "Attribution Truth",
        "oracle": "Risk Forecast",
        "curiosity": "Strategic Moves",
    },
    "vp_growth": {
        "memory": "Channel Performance",
        "oracle": "Predictive Alerts",
        "curiosity": "Growth Opportunities",
    },
    "director": {
        "memory": "Daily ROAS Tracker",
        "oracle": "Fatigue & Decay Warnings",
        "curiosity": "Recommended Actions",
    },
}
HEADLINE = {"cmo": "LTV-ROAS", "vp_growth": "Blended ROAS", "director": "Spend"}
NARRATIVE_PREFIX = {
    "cmo": "Here's the truth:",
    "vp_growth": "This week:",
    "director": "Action needed:",
}


def persona_text(texts: dict[str, str], tag: type = html.Span, **kwargs: object) -> list:
    """One element per persona; CSS shows only the active persona's (switching is instant)."""
    return [tag(texts[p], className=f"only-{p}", **kwargs) for p in PERSONAS]


def persona_class(persona: str) -> str:
    return f"persona-root persona-is-{persona if persona in PERSONAS else 'cmo'}"
