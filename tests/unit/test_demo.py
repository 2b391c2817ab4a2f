"""The sales demo: no database/login/queue/AI/billing imports, every page from the snapshot,
dates re-anchored to today, decisions in the browser tab, the PDF and the CSV exports."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date, timedelta

import pytest

from config import ROOT
from tests.dash_payloads import callback_payloads

FORBIDDEN = (
    "models",
    "jobs",
    "flask_login",
    "flask_wtf",
    "sqlalchemy",
    "flask_sqlalchemy",
    "psycopg",
    "redis",
    "rq",
    "requests",
    "api",
    "callbacks",
    "integrations",
    "extensions",
    "openai",
    "anthropic",
    "stripe",
    "statsmodels",
    "scipy",
)
# Import the app, then render every page, both CSV exports and the PDF in the same process:
# lazy imports inside any of them would show up in sys.modules too.
BOUNDARY = """
import json, sys
import demo.app as d
c = d.app.server.test_client()
assert c.get('/').status_code == 200
for path in ('/', '/analytics', '/integrations', '/nope'):
    d.render(path, '', 'director', None)
d.main_view('?range=custom&start=2026-10-01&end=2026-10-20&platform=meta')
d.creatives_view('?range=90d'); d.cohorts_view()
assert c.get('/reports/board.pdf?persona=vp_growth').data[:5] == b'%PDF-'
assert c.get('/exports/analytics.csv?range=7d').status_code == 200
assert c.get('/exports/analytics-creatives.csv?limit=all').status_code == 200
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in FORBIDDEN)))
"""


def test_demo_path_imports_no_database_queue_auth_ai_or_billing():
    code = f"FORBIDDEN = {FORBIDDEN!r}\n" + BOUNDARY
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.fixture(scope="module")
def demo():
    import demo.app as d

    return d


@pytest.fixture(scope="module")
def client(demo):
    return demo.app.server.test_client()


def _text(component) -> str:  # noqa: ANN001
    return json.dumps(component, default=lambda o: o.to_plotly_json())


# ---- re-anchoring ------------------------------------------------------------------------------
def test_snapshot_is_re_anchored_so_the_last_data_day_is_yesterday():
    from demo.snapshot import load

    raw = json.loads((ROOT / "demo" / "data" / "analytics.json").read_text())
    exported = date.fromisoformat(raw["as_of"])
    today = exported + timedelta(days=40)
    snap = load(today)
    assert snap.as_of == today - timedelta(days=1)
    assert snap.state["as_of"] == snap.as_of.isoformat()
    assert snap.ad_bounds[1] == snap.as_of
    assert snap.ads["date"].max().date() == snap.as_of
    assert snap.store_days.index.max().date() == snap.as_of
    # Anomaly dates move with the data, inside text too; the template narrative follows.
    moved = {a["date"] for a in snap.overlays()["anomalies"]}
    original = load(exported + timedelta(days=1))
    assert moved == {
        d + timedelta(days=39) for d in {a["date"] for a in original.overlays()["anomalies"]}
    }
    assert original.state["as_of"] == raw["as_of"]
    # Cohort month labels move by whole months; sync history ends the night after as_of.
    assert snap.cohorts[-1]["cohort"] > original.cohorts[-1]["cohort"]
    assert max(h["finished_at"] for h in snap.history).date() == today


def test_shift_moves_dates_and_months_inside_keys_and_text():
    from demo.snapshot import shift

    data = {"2026-11-19": ["on 2026-11-19", "cohort 2026-05", "id:act_2026ab", 3]}
    assert shift(data, 10, 1) == {
        "2026-11-29": ["on 2026-11-29", "cohort 2026-06", "id:act_2026ab", 3]
    }


def test_exported_narratives_are_the_template_ones_of_the_exported_state():
    from brain.narrative import PERSONAS, template_summary

    state = json.loads((ROOT / "demo" / "data" / "brain_state.json").read_text())
    narratives = json.loads((ROOT / "demo" / "data" / "narratives.json").read_text())
    assert narratives == {p: template_summary(state, p) for p in PERSONAS}


# ---- pages -------------------------------------------------------------------------------------
def test_every_page_renders_from_the_snapshot(demo):
    snap = demo.snapshot()
    overview = _text(demo.render("/", "", "cmo", None))
    for title in ("Attribution Truth", "Risk Forecast", "Strategic Moves", "C12", "Board report"):
        assert title in overview
    assert f"{snap.state['memory']['totals']['mer']:.2f}" in overview
    analytics = _text(demo.render("/analytics", "", "cmo", None))
    assert "an-range" in analytics and "an-campaign" in analytics
    assert all(c["name"] in analytics for c in snap.campaigns)
    integrations = _text(demo.render("/integrations", "", "cmo", None))
    for name in ("Meta Ads", "Google Ads", "TikTok Ads", "Shopify", "Sync history", "Demo:"):
        assert name in integrations
    assert "Page not found" in _text(demo.render("/admin", "", "cmo", None))
    connect = _text(demo.render("/integrations", "?connect=meta", "cmo", None))
    assert "opens Meta's sign-in" in connect


def test_story_is_on_the_overview(demo):
    """docs/product.md's story: C12 fatigue, TikTok decay, the shift to Meta, retention, risk, $."""
    text = _text(demo.render("/", "", "cmo", None))
    state = json.loads((ROOT / "demo" / "data" / "brain_state.json").read_text())
    total = f"{state['curiosity']['total_opportunity_usd_per_week']:,.0f}"  # the snapshot's own
    for words in ("C12", "TikTok ROI decay", "from TikTok to Meta", "Win back", "RED", total):
        assert words in text, words


def test_analytics_views_follow_filters_and_presets(demo):
    all_30 = demo.main_view("?range=30d")
    meta_7 = demo.main_view("?range=7d&platform=meta")
    assert "30 days" in all_30[0] and "7 days" in meta_7[0]
    assert all_30[6] == "/exports/analytics.csv?range=30d"
    assert meta_7[6] == "/exports/analytics.csv?range=7d&platform=meta"
    assert _text(all_30[1]) != _text(meta_7[1])
    bad = demo.main_view("?range=forever")
    assert "range must be one of" in _text(bad[8])
    # A campaign filter narrows the leaderboard to that campaign's creatives.
    snap = demo.snapshot()
    tiktok = next(c for c in snap.campaigns if c["platform"] == "tiktok")
    board = _text(demo.creatives_view(f"?range=90d&campaign={tiktok['id']}"))
    assert "TikTok" in board and "Google Ads" not in board
    figure, table = demo.cohorts_view()
    assert figure["data"] and "Cohort" in _text(table)


def test_sync_controls_write_a_custom_range_to_the_url(demo):
    from dash import no_update

    snap = demo.snapshot()
    start = (snap.as_of - timedelta(days=9)).isoformat()
    out = demo.an_views.sync_controls(
        "an-dates-start",
        "?range=30d",
        "30d",
        start,
        snap.as_of.isoformat(),
        ["meta"],
        [],
        "spend",
        "previous",
        snap.as_of,
    )
    assert out[0] == f"?range=custom&start={start}&end={snap.as_of.isoformat()}&platform=meta"
    assert out[1] == "custom" and out[4] is no_update


# ---- decisions ---------------------------------------------------------------------------------
def test_decisions_are_kept_in_the_tab_and_undone(demo):
    action = demo.snapshot().state["curiosity"]["actions"][0]["id"]
    click = {"type": "action-btn", "action": action, "decision": "planned"}
    decisions, message = demo.apply_decision(click, None)
    assert message is None and decisions[action]["decision"] == "planned"
    status = _text(demo.ov_views.decision_status(action, decisions[action]))
    assert "you (demo)" in status and "Undo" in status
    rendered = _text(demo.render("/", "", "cmo", decisions))
    assert "Planned" in rendered  # the card's state; its footer is rendered when it opens:
    assert "you (demo)" in _text(demo.action_footer(action, decisions))
    assert "you (demo)" not in _text(demo.action_footer(action, None))
    undo = {"type": "action-undo", "action": action, "decision_id": decisions[action]["id"]}
    after, message = demo.apply_decision(undo, decisions)
    assert message is None and action not in after
    _, refused = demo.apply_decision(
        {"type": "action-btn", "action": "act_unknown", "decision": "planned"}, None
    )
    assert "isn't a decision" in _text(refused)


def test_the_router_is_not_called_at_load(demo, client):
    """The layout holds the requested page and its Location starts at that path, so the router
    has no initial call; without a referrer the Location reports the path, which routes."""
    from tests.helpers.analytics import find

    deps = client.get("/_dash-dependencies").get_json()
    route = next(d for d in deps if d["output"].startswith("..page.children"))
    assert route["prevent_initial_call"]
    ref = {"Referer": "http://localhost/analytics"}
    held = client.get("/_dash-layout", headers=ref).get_json()
    assert find(held, "url")["props"]["pathname"] == "/analytics"
    assert find(held, "demo-page")["props"]["data"] == "/analytics"
    assert "pathname" not in find(client.get("/_dash-layout").get_json(), "url")["props"]


def test_every_callback_answers_well_formed_requests_without_a_500(demo, client):
    for output, body in callback_payloads(
        demo.app, {"org_id": 0, "connection_id": 1, "creative_id": 1}
    ):
        resp = client.post("/_dash-update-component", json=body)
        assert resp.status_code in (200, 204), (output, resp.status_code)


def test_sync_and_disconnect_explain_what_the_product_would_do(demo, client):
    conn = demo.snapshot().connections[0]
    name = demo.int_views.platform_name(conn["platform"])
    for button, prop, words in (
        (demo.int_views.SYNC_BTN, "n_clicks", "starts a " + name + " sync now"),
        (demo.int_views.DISCONNECT, "submit_n_clicks", "deletes the stored " + name + " token"),
    ):
        key = {"type": button, "index": conn["id"]}
        output = next(
            o
            for o in demo.app.callback_map
            if o.startswith(demo.int_views.TOASTS + ".children")
            and button in json.dumps(demo.app.callback_map[o]["inputs"])
        )
        body = {
            "output": output,
            "outputs": {"id": demo.int_views.TOASTS, "property": output.split(".", 1)[1]},
            "inputs": [[{"id": key, "property": prop, "value": 1}]],
            "changedPropIds": [json.dumps(key, separators=(",", ":")) + "." + prop],
        }
        resp = client.post("/_dash-update-component", json=body)
        assert resp.status_code == 200, resp.data
        assert words in resp.get_data(as_text=True)


# ---- downloads ---------------------------------------------------------------------------------
def test_board_pdf_per_persona(client):
    for persona in ("cmo", "vp_growth", "director"):
        resp = client.get(f"/reports/board.pdf?persona={persona}")
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        assert resp.data.startswith(b"%PDF-") and b"%%EOF" in resp.data[-64:]
        assert "attachment" in resp.headers["Content-Disposition"]
    assert client.get("/reports/board.pdf?persona=ceo").status_code == 400


def test_board_pdf_prints_the_decisions_of_the_tab_and_refuses_forged_ones(demo, client):
    from pypdf import PdfReader

    actions = demo.snapshot().state["curiosity"]["actions"]
    first, second = actions[0]["id"], actions[1]["id"]
    decided = json.dumps({first: ["done", "2026-11-29T10:00:00+00:00"], second: ["dismissed", ""]})
    assert client.get("/reports/board.pdf", query_string={"decisions": decided}).status_code == 400
    decided = json.dumps(
        {first: ["done", "2026-11-29T10:00:00+00:00"], second: ["dismissed", "2026-11-29"]}
    )
    resp = client.get("/reports/board.pdf", query_string={"persona": "cmo", "decisions": decided})
    assert resp.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages)
    text = " ".join(text.split())
    assert "Done by you (demo), 29 Nov" in text and "Dismissed by you (demo)" in text
    plain = client.get("/reports/board.pdf?persona=cmo").data
    assert "by you (demo)" not in " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(plain)).pages
    )
    for forged in (
        "{not json",
        json.dumps([first]),
        json.dumps({"act_other_org": ["done", "2026-11-29T10:00:00"]}),
        json.dumps({first: ["executed", "2026-11-29T10:00:00"]}),
        json.dumps({first: ["done", "2026-11-29T10:00:00", "Mallory"]}),
        json.dumps({first: ["done", "x" * 5000]}),
    ):
        resp = client.get("/reports/board.pdf", query_string={"decisions": forged})
        assert resp.status_code == 400, forged
        assert "decision" in resp.get_json()["error"] or "action" in resp.get_json()["error"]


def test_board_pdf_follows_the_overviews_period(demo, client):
    """The demo's report link carries the overview's period: the header, its spend and the
    brain's label are the ones the overview shows for it; bad parameters give the default."""
    from pypdf import PdfReader

    from layouts import fmt, periods

    def pdf(query: str) -> str:
        resp = client.get(f"/reports/board.pdf?persona=vp_growth&{query}")
        assert resp.status_code == 200, query
        return " ".join(
            " ".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages).split()
        )

    chosen = demo.period_numbers(periods.page_filters("?range=7d&compare=year"))
    text = pdf("range=7d&compare=year")
    assert f"Last 7 days: {chosen['caption']}" in text
    assert fmt.money(chosen["totals"]["spend"]) in text  # the overview tile's figure
    assert "The brain's read of the 30 days to" in text and "Status (brain)" in text
    default = demo.period_numbers(periods.page_filters(""))
    assert f"Last 30 days: {default['caption']}" in pdf("range=forever&compare=%ff&start=x")


def test_one_roas_per_creative_on_overview_analytics_actions_pdf_and_csv(demo, client):
    """The fatigued creative's ROAS is one figure everywhere (calibrated, as the brain judges
    it); the platform-reported figure appears only labelled, and only for the VP."""
    import csv

    from pypdf import PdfReader

    from layouts import fmt
    from readmodels.analytics import calibration_of, primary_roas

    state = demo.snapshot().state
    f = next(x for x in state["oracle"]["fatigue"] if x["severity"] == "high")
    one = fmt.ratio(primary_roas(f["roas_recent"], calibration_of(state)))
    reported = fmt.ratio(f["roas_recent"])
    assert one != reported

    def words(node) -> str:  # noqa: ANN001
        return " ".join(_text(node).replace("\\u2192", "→").split())

    overview = words(demo.overview_page("cmo", None))
    assert f"→ {one}" in overview  # the finding
    assert f"ROAS {one} in the last 7 days" in overview  # the action's why
    assert f"platform-reported {reported}" in overview  # the VP's labelled detail ...
    assert f"ROAS {reported}" not in overview  # ... and never as the creative's ROAS
    assert "calibrated ROAS" not in overview

    rows = _text(demo.creatives_view("?range=7d"))  # the leaderboard over the same 7 days
    row = rows[rows.index(f["name"]) :]
    assert f'"children": ["{one}", ' in row[: row.index('data-label": "ROAS')]

    def pdf(persona: str) -> str:
        data = client.get(f"/reports/board.pdf?persona={persona}").data
        return " ".join(
            " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split()
        )

    for persona in ("cmo", "vp_growth", "director"):
        text = pdf(persona)
        assert f"to {one}" in text or f"→ {one}" in text, persona
        assert f"ROAS {reported}" not in text, persona
        assert (f"platform-reported {reported}" in text) == (persona == "vp_growth"), persona

    export = client.get("/exports/analytics-creatives.csv?range=7d").get_data(as_text=True)
    line = next(
        r for r in csv.DictReader(io.StringIO(export)) if r["creative_id"] == f["creative_id"]
    )
    assert fmt.ratio(float(line["roas"])) == one
    assert fmt.ratio(float(line["platform_reported_roas"])) == reported


def test_csv_exports_match_the_page_and_refuse_bad_filters(demo, client):
    snap = demo.snapshot()
    daily = client.get("/exports/analytics.csv?range=7d&platform=tiktok")
    lines = daily.get_data(as_text=True).splitlines()
    assert lines[0].startswith("date,platforms,campaigns,spend,platform_revenue")
    assert len(lines) == 8
    assert lines[-1].startswith(snap.as_of.isoformat())
    creatives = client.get("/exports/analytics-creatives.csv?range=30d&limit=all")
    rows = creatives.get_data(as_text=True).splitlines()
    assert len(rows) - 1 == len(snap.creatives)
    bad = client.get("/exports/analytics.csv?range=custom&start=2026-13-01&end=2026-01-01")
    assert bad.status_code == 400 and "start must be a date" in bad.get_json()["error"]
    assert client.get("/exports/analytics-creatives.csv?limit=0").status_code == 400


def test_connect_button_comes_back_to_the_page_with_an_explanation(client):
    resp = client.get("/connect/tiktok/start?account=123")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(
        "/integrations?connect=tiktok"
    )
    assert client.get("/connect/evil/start").headers["Location"].endswith("/integrations")
