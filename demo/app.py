"""The sales demo: Lumen Beauty's dashboard from a JSON snapshot. No database, login or network.

    pip install -r demo/requirements.txt && python demo/app.py      # http://127.0.0.1:8060
    gunicorn "demo.app:server"                                      # deployed

It reuses the product's view components (layouts/), so it shows what customers see.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import dash  # noqa: E402
import dash_bootstrap_components as dbc  # noqa: E402
from dash import Input, Output, State, html  # noqa: E402

from layouts import overview as views  # noqa: E402
from layouts.persona import persona_class  # noqa: E402
from layouts.shell import PERSONA_LABELS  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "brain_state.json"
INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


@cache
def snapshot() -> dict[str, Any]:
    """The built-in brain state (read once)."""
    return json.loads(DATA.read_text())


def body(persona: str = "cmo") -> html.Div:
    # Every persona's wording is rendered; CSS shows the active one (same as the product).
    return views.overview(snapshot(), persona=persona, org_name="Lumen Beauty (demo)")


def navbar() -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.Span(className="brand-dot", **{"aria-hidden": "true"}), "Omnify Brain"],
                    className="brand-mark",
                ),
                dbc.NavbarToggler(
                    [
                        html.Span(className="navbar-toggler-icon"),
                        html.Span("Menu", className="visually-hidden"),
                    ],
                    id="navbar-toggler",
                ),
                dbc.Collapse(
                    [
                        html.Span(
                            "Demo data · Lumen Beauty", className="navbar-text me-auto demo-badge"
                        ),
                        html.Div(
                            [
                                html.Label(
                                    "View as", htmlFor="persona-select", className="visually-hidden"
                                ),
                                dbc.Select(
                                    id="persona-select",
                                    options=[
                                        {"label": v, "value": k} for k, v in PERSONA_LABELS.items()
                                    ],
                                    value="cmo",
                                    size="sm",
                                ),
                            ],
                            className="my-2 my-lg-0 persona-switch",
                        ),
                    ],
                    id="navbar-collapse",
                    navbar=True,
                    is_open=False,
                ),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        expand="lg",
        className="mb-3",
    )


def layout() -> html.Div:
    return html.Div(
        [
            navbar(),
            dbc.Container(
                html.Main(body("cmo"), id="page", role="main"),
                fluid=True,
                className="page-container",
            ),
            html.Div(id="demo-toasts", className="toast-area", **{"aria-live": "polite"}),
        ],
        id="persona-root",
        className=persona_class("cmo"),
    )


def create_demo_app() -> dash.Dash:
    app = dash.Dash(
        __name__,
        title="Omnify Brain — demo",
        compress=True,
        index_string=INDEX,
        assets_folder=str(ROOT / "assets"),
        assets_path_ignore=["vendor"],  # plotly-basic is served lazily, not as an asset
        suppress_callback_exceptions=True,
        update_title=None,
        serve_locally=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = layout

    app.clientside_callback(
        """function(p){ return 'persona-root persona-is-' + (p || 'cmo'); }""",
        Output("persona-root", "className"),
        Input("persona-select", "value"),
    )

    @app.callback(
        Output("navbar-collapse", "is_open"),
        Input("navbar-toggler", "n_clicks"),
        State("navbar-collapse", "is_open"),
        prevent_initial_call=True,
    )
    def toggle(n: int | None, is_open: bool) -> bool:
        return not is_open

    return app


app = create_demo_app()
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", 8060)), debug=False)
