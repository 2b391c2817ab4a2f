"""Overview page: the brain on one screen (a first version; the full dashboard builds on it)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.persona import CARD_TITLES, PERSONAS, persona_text


def empty_state() -> html.Div:
    return html.Div(
        [
            html.H1("No insights yet", className="h3"),
            html.P(
                "Connect an ad platform and your store; "
                "the first insights appear after the first sync."
            ),
            dcc.Link("Connect a platform", href="/integrations", className="btn btn-primary"),
        ],
        className="empty-state py-5",
        id="overview-empty",
    )


def module_card(module: str, body: Any) -> dbc.Card:
    titles = {p: CARD_TITLES[p][module] for p in PERSONAS}
    return dbc.Card(
        [
            dbc.CardHeader(html.H2(persona_text(titles), className="h6 mb-0 card-title-persona")),
            dbc.CardBody(body),
        ],
        className="h-100 module-card",
        id=f"card-{module}",
    )


def overview(state: dict[str, Any] | None) -> html.Div:
    if not state:
        return empty_state()
    totals = (state.get("memory") or {}).get("totals") or {}
    risk = (state.get("oracle") or {}).get("risk") or {}
    actions = (state.get("curiosity") or {}).get("actions") or []
    mer = totals.get("mer")
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        module_card(
                            "memory",
                            html.P(
                                [
                                    "MER (revenue ÷ spend): ",
                                    html.Strong(f"{mer:.2f}" if mer else "–", id="kpi-mer"),
                                ]
                            ),
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        module_card(
                            "oracle",
                            html.P(
                                [
                                    "Risk: ",
                                    html.Strong(str(risk.get("level", "–")), id="risk-level"),
                                ]
                            ),
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        module_card("curiosity", html.P(f"{len(actions)} ranked actions")),
                        md=4,
                    ),
                ],
                className="g-3",
            )
        ],
        id="overview",
    )
