"""Static islands (layouts/islands.py): what no callback touches goes to the browser as HTML,
with the same markup; what a callback names stays a Dash component."""

from __future__ import annotations

from html import escape

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import first_paint
from layouts.islands import Island, compact, count


def _tree() -> html.Div:
    return html.Div(
        [
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H3("Pause C12", id="action-title-a1", className="t"),
                        html.P(["ROAS ", html.Span("0.73 < 1.54", style={"height": 3})]),
                        html.Details([html.Summary("Why"), html.P("fatigue")], open=True),
                    ]
                ),
                id="card-curiosity",
            ),
            html.Div(
                [
                    html.Span("Open", className="chip"),
                    html.Button("Done", id={"type": "action-btn", "action": "a1"}),
                ],
                id="live-status",
                className="footer",
            ),
            dcc.Store(id="s", data=1),
        ],
        id="overview",
    )


def _markup(node) -> str:  # noqa: ANN001
    token = first_paint._KEEP_IDS.set(True)
    try:
        return first_paint.to_html(node)
    finally:
        first_paint._KEEP_IDS.reset(token)


def test_static_subtrees_become_islands_and_live_components_stay():
    tree = _tree()
    before = _markup(tree)
    out = compact(tree, frozenset({"live-status"}))
    card, footer, store = out.children
    assert isinstance(card, Island) and card.tag == "div"
    assert card.attrs == {"id": "card-curiosity", "class": "card"}
    assert 'id="action-title-a1"' in card.html  # ids no callback names stay in the markup
    assert "<details open><summary>Why</summary>" in card.html
    assert "height:3px" in card.html  # a bare number is pixels, as React draws it
    # a callback's id and a pattern-matching id stay components; their static parts are islands
    assert isinstance(footer, html.Div) and footer.id == "live-status"
    chip, button = footer.children
    assert isinstance(chip, Island) and chip.attrs == {"class": "chip"} and chip.html == "Open"
    assert isinstance(button, html.Button) and button.id == {"type": "action-btn", "action": "a1"}
    assert isinstance(store, dcc.Store)
    assert _markup(out) == before  # the browser gets the same DOM
    assert count(out) < count(tree) / 2
    assert isinstance(tree.children[0], dbc.Card)  # the caller's tree is left as it was


def test_the_first_paint_of_an_island_has_no_ids():
    out = compact(_tree(), frozenset())
    picture = first_paint.page_html(out, "/")
    assert "Pause C12" in picture and 'id="' not in picture


def test_analytics_views_reach_the_browser_as_islands():
    """The demo's creative leaderboard callback (shared with the product): the table's head
    and body are islands with every creative in them, not a component per cell."""
    import demo.app as d

    client = d.app.server.test_client()
    body = {
        "output": "..an-leaderboard.children...an-toast-creatives.children..",
        "outputs": [
            {"id": "an-leaderboard", "property": "children"},
            {"id": "an-toast-creatives", "property": "children"},
        ],
        "inputs": [{"id": "analytics-url", "property": "search", "value": "?range=30d"}],
        "changedPropIds": ["analytics-url.search"],
        "state": [],
    }
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200
    table = resp.get_json()["response"]["an-leaderboard"]["children"]
    assert count(table) <= 4  # the wrapper, the dbc.Table, its head and its body
    markup = "".join(_island_html(table))
    names = [r["name"] for r in d.snapshot().leaderboard(*_filters_and_period(d))]
    assert names and all(escape(n) in markup for n in names[:20])


def _island_html(node):  # noqa: ANN001, ANN202
    if isinstance(node, list):
        for c in node:
            yield from _island_html(c)
    elif isinstance(node, dict) and node.get("namespace") == "omnify_islands":
        yield node["props"]["html"]
    elif isinstance(node, dict):
        yield from _island_html(list(node.get("props", {}).values()))


def _filters_and_period(d):  # noqa: ANN001, ANN202
    from readmodels import analytics as rm

    f, _ = rm.parse_filters("?range=30d")
    return f, rm.resolve_period(f, d.snapshot().as_of)
