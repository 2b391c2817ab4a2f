"""Page weight (layouts/serving.py, layouts/first_paint.py): what the browser is sent.

No timings here (shared machine): bench/lighthouse.py measures; these pin the mechanisms.
"""

from __future__ import annotations

import json
from html import escape

import brotli

from app import get_dash
from layouts.first_paint import page_html, tips_props
from layouts.serving import REGENERATOR_URL, lean_scripts
from tests.conftest import csrf_headers, login
from tests.helpers.overview import EXAMPLE

PAGE = "http://localhost/"
ROUTE = {
    "output": "page.children",
    "outputs": {"id": "page", "property": "children"},
    "inputs": [{"id": "url", "property": "pathname", "value": "/"}],
    "state": [],
}


def _script_srcs(html: str) -> list[str]:
    """The scripts the renderer's start-up script loads (none may be a parser-blocking tag)."""
    import re

    listed = re.search(r'<template id="_omnify-scripts">(.*?)</template>', html, re.S)
    assert listed, "no script list"
    outside = html.replace(listed.group(0), "")
    assert not re.findall(r'<script[^>]* src="', outside)
    return re.findall(r'<script src="([^"]+)"></script>', listed.group(1))


def test_index_has_no_polyfill_or_dash_table_and_preloads_the_layout(app, client, orgs):  # noqa: F811
    login(client, orgs[0]["email"])
    html = client.get("/").get_data(True)
    srcs = _script_srcs(html)
    assert REGENERATOR_URL in srcs and srcs[0] == REGENERATOR_URL  # before React and the renderer
    assert not any("polyfill" in s or "dash_table" in s for s in srcs)
    assert any("dash_renderer" in s for s in srcs) and any(
        "dash_core_components" in s for s in srcs
    )
    assert '<link rel="preload" href="/_dash-layout" as="fetch"' in html
    runtime = client.get(REGENERATOR_URL)
    assert runtime.status_code == 200 and b"regeneratorRuntime" in runtime.get_data()


def test_lean_scripts_keeps_the_rest():
    suites = "/_dash-component-suites/dash"
    tags = (
        f'<script src="{suites}/deps/polyfill@7.v4_4_1m1.12.1.min.js"></script>\n'
        f'<script src="{suites}/deps/react@18.v4_4_1m1.3.1.min.js"></script>\n'
        f'<script src="{suites}/dash_table/bundle.v7_4_1m1.js"></script>\n'
        '<script src="/assets/x.js"></script>'
    )
    assert _script_srcs(lean_scripts(tags + "\n<script>inline()</script>")) == [
        REGENERATOR_URL,
        f"{suites}/deps/react@18.v4_4_1m1.3.1.min.js",
        "/assets/x.js",
    ]


def test_overview_index_carries_its_first_paint_and_the_layout_is_built_once(app, client, orgs):  # noqa: F811
    a, _ = orgs
    get_dash(app)._layouts._data.clear()  # the session's app kept other tests' page views
    login(client, a["email"])
    html = client.get("/").get_data(True)
    assert '<div id="first-paint">' in html
    picture = html.split('<div id="first-paint">', 1)[1].split('<div id="react-entry-point"', 1)[0]
    mer = f"{EXAMPLE['memory']['totals']['mer']:.2f}"
    assert mer in picture and "Alpha Brand" in picture
    assert 'id="' not in picture  # Dash's copy owns the ids
    assert '<a class="nav-link active" href="/">' in picture
    # the page's own layout request gets the layout built for the picture, once
    cache = get_dash(app)._layouts._data
    mine = [k for k in cache if k[0].split(":")[0] == str(a["user_id"]) and k[1] == "/"]
    assert len(mine) == 1  # keyed by the user's login session and the path
    first = client.get("/_dash-layout", headers={"Referer": PAGE})
    assert mine[0] not in cache
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("application/json")
    layout = json.dumps(first.get_json())
    assert mer in layout and '"id": "page"' in layout and '"pathname": "/"' in layout
    again = json.dumps(client.get("/_dash-layout", headers={"Referer": PAGE}).get_json())
    assert mer in again and "ov-body" in again  # read once: built again, the same page


def test_analytics_index_carries_its_first_paint_with_the_period_caption(app, client, orgs):  # noqa: F811
    from layouts.analytics import default_caption
    from models import analytics as queries
    from tests.helpers.analytics import load_brand

    queries.clear_cache()
    load_brand(app, orgs[0]["org_id"], "alpha", {"meta": (100.0, 300.0)})
    login(client, orgs[0]["email"])
    html = client.get("/analytics").get_data(True)
    assert '<div id="first-paint">' in html
    picture = html.split('<div id="first-paint">', 1)[1].split('<div id="react-entry-point"', 1)[0]
    with app.app_context():
        caption = default_caption(queries.org_context(orgs[0]["org_id"]).latest)
    assert caption and escape(caption) in picture  # the phone's largest text, before any script
    assert 'class="dash-dropdown an-campaign"' in picture and "All campaigns" in picture
    assert 'id="' not in picture
    queries.clear_cache()


def test_the_router_skips_only_the_initial_call_for_the_page_in_the_layout(app, client, orgs):  # noqa: F811
    login(client, orgs[0]["email"])
    layout = json.dumps(client.get("/_dash-layout", headers={"Referer": PAGE}).get_json())
    assert "ov-body" in layout  # the overview is already in the first layout

    def route(changed: list[str], referer: str | None):
        headers = {**csrf_headers(client), **({"Referer": referer} if referer else {})}
        return client.post(
            "/_dash-update-component",
            data=json.dumps({**ROUTE, "changedPropIds": changed}),
            content_type="application/json",
            headers=headers,
        )

    assert route([], PAGE).status_code == 204  # initial call: the layout holds the page
    assert route(["url.pathname"], PAGE).status_code == 200  # a navigation renders
    assert route([], None).status_code == 200  # no referrer: the layout had no page
    assert route([], "http://elsewhere.example/").status_code == 200


def test_the_router_is_not_called_at_load_when_the_layout_holds_the_page(app, client, orgs):  # noqa: F811
    """No initial call: the layout holding its page starts the Location at that path (it
    reports nothing when it mounts); without a referrer it has no path and reports it, which
    routes."""
    from tests.helpers.analytics import find

    login(client, orgs[0]["email"])
    deps = client.get("/_dash-dependencies").get_json()
    assert next(d for d in deps if d["output"] == "page.children")["prevent_initial_call"]
    held = client.get("/_dash-layout", headers={"Referer": PAGE}).get_json()
    assert find(held, "url")["props"]["pathname"] == "/"
    bare = client.get("/_dash-layout").get_json()
    assert "pathname" not in find(bare, "url")["props"]


def test_layout_without_referrer_is_the_shell_alone(app, client, orgs):  # noqa: F811
    login(client, orgs[0]["email"])
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert "ov-body" not in layout and '"id": "page"' in layout


def test_bundles_are_brotli_compressed_and_cacheable(app, client, orgs):  # noqa: F811
    login(client, orgs[0]["email"])
    src = next(s for s in _script_srcs(client.get("/").get_data(True)) if "dash_renderer" in s)
    plain = client.get(src, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    for _ in range(2):  # a fast level at once, the best level later: the same bytes decoded
        resp = client.get(src, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        assert resp.headers["Content-Encoding"] == "br"
        assert brotli.decompress(resp.get_data()) == plain.get_data()
        assert "max-age=31536000" in resp.headers["Cache-Control"]
        assert len(resp.get_data()) < len(plain.get_data()) / 3


def test_first_paint_opens_the_tip_the_browser_will_open():
    assert tips_props(None) == {
        "tip-mer": {"hidden": False},
        "tip-risk": {"hidden": True},
        "tip-actions": {"hidden": True},
    }
    assert tips_props("mer")["tip-risk"] == {"hidden": False}
    assert not any(v["hidden"] is False for v in tips_props("mer.risk.actions").values())


def test_first_paint_markup():
    import dash_bootstrap_components as dbc
    from dash import dcc, html

    tree = html.Div(
        [
            dcc.Store(id="s", data=1),
            dbc.Row(dbc.Col(html.P("a < b", id="p", className="x"), lg=6), className="g-3"),
            html.Img(src="data:image/svg+xml,x", alt="trend"),
            dbc.NavLink("Overview", href="/", active="exact"),
            dbc.NavLink("Analytics", href="/analytics", active="exact"),
            html.Div("tip", id="tip-mer", hidden=True),
            html.Span("hidden by style", style={"display": "none", "fontSize": "2px"}),
        ]
    )
    out = page_html(tree, "/", {"ov_tips_seen": ""})
    assert '<div class="row g-3"><div class="col-lg-6"><p class="x">a &lt; b</p></div></div>' in out
    assert '<img src="data:image/svg+xml,x" alt="trend">' in out
    assert '<a class="nav-link active" href="/">Overview</a>' in out
    assert '<a class="nav-link" href="/analytics">Analytics</a>' in out
    assert "<div>tip</div>" in out  # the first tip open (a first visit)
    assert "display:none;font-size:2px" in out
    assert 'id="' not in out and "data" not in out.replace("data:image", "")


def test_first_paint_draws_choices_dropdowns_and_reserved_boxes():
    import dash_bootstrap_components as dbc
    from dash import dcc, html

    tree = html.Div(
        [
            dbc.Checklist(
                id="c",
                options=[{"label": "Meta", "value": "meta"}, {"label": "TikTok", "value": "tt"}],
                value=["meta"],
                inline=True,
                input_class_name="btn-check",
                label_class_name="btn",
                label_checked_class_name="active",
            ),
            dcc.Dropdown(id="d", options=[{"label": "Sale", "value": "sale"}], value="sale"),
            dcc.Dropdown(id="e", options=[], multi=True, placeholder="All", className="x"),
            dcc.Loading(dcc.Graph(id="g", style={"height": "100%"}), parent_style={"height": 260}),
        ]
    )
    out = page_html(tree, "/analytics")
    assert (
        '<div class="form-check form-check-inline"><input class="form-check-input btn-check" '
        'type="checkbox" value="meta" checked><label class="form-check-label btn active">Meta'
    ) in out
    assert '<label class="form-check-label btn">TikTok</label>' in out
    assert '<span class="dash-dropdown-value-item"><span>Sale</span></span>' in out
    assert '<button type="button" class="dash-dropdown x">' in out
    assert '"dash-dropdown-value dash-dropdown-placeholder">All</span>' in out
    assert '<div style="position:relative;height:260px"><div class="dash-graph"' in out
