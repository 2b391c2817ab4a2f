"""Analytics page through the real Dash endpoint and the CSV export, with two orgs side by side.

Org A and org B get different, round numbers, so every assertion can tell whose data it saw.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import BrainState, Campaign
from models import analytics as queries
from tests.conftest import csrf_headers, login, make_org
from tests.helpers.analytics import (
    A_PLATFORMS,
    DAYS,
    END,
    callback_payload,
    expand_islands,
    find,
    load_brand,
)

B_PLATFORMS = {"meta": (7000.0, 9000.0), "google_ads": (3000.0, 3300.0)}

SYNC_INPUTS = (
    ("analytics-url", "search"),
    ("an-range", "value"),
    ("an-dates-start", "value"),
    ("an-dates-end", "value"),
    ("an-platform", "value"),
    ("an-campaign", "value"),
    ("an-metric", "value"),
    ("an-compare", "value"),
)


def campaign_ids(app, org_id: int) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Campaign.platform, Campaign.id).where(Campaign.org_id == org_id)
        ).all()
        return {platform: cid for platform, cid in rows}


@pytest.fixture
def orgs(app):
    queries.clear_cache()
    a = make_org(app, "Alpha Analytics", "owner@alpha-an.example")
    b = make_org(app, "Beta Secret Analytics", "owner@beta-an.example")
    load_brand(app, a["org_id"], "alpha", A_PLATFORMS)
    load_brand(app, b["org_id"], "betasecret", B_PLATFORMS)
    a["campaigns"] = campaign_ids(app, a["org_id"])
    b["campaigns"] = campaign_ids(app, b["org_id"])
    yield a, b
    queries.clear_cache()


def fire(client, name: str, value: object) -> dict:
    resp = client.post(
        "/_dash-update-component",
        data=json.dumps(callback_payload(name, value)),
        content_type="application/json",
        headers=csrf_headers(client),
    )
    assert resp.status_code == 200, resp.get_data(True)[:400]
    return expand_islands(resp.get_json()["response"])


def sync(client, values: dict, changed: str) -> dict | None:
    inputs = [{"id": i, "property": p, "value": values.get(f"{i}.{p}")} for i, p in SYNC_INPUTS]
    payload = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in SYNC_INPUTS) + "..",
        "outputs": [{"id": i, "property": p} for i, p in SYNC_INPUTS],
        "inputs": inputs,
        "changedPropIds": [changed],
        "state": [],
    }
    resp = client.post(
        "/_dash-update-component",
        data=json.dumps(payload),
        content_type="application/json",
        headers=csrf_headers(client),
    )
    if resp.status_code == 204:
        return None
    assert resp.status_code == 200, resp.get_data(True)[:400]
    return resp.get_json()["response"]


def text(tree: object) -> str:
    """All visible text of a serialized component tree."""
    if isinstance(tree, str | int | float):
        return str(tree)
    if isinstance(tree, list):
        return " ".join(text(t) for t in tree)
    if isinstance(tree, dict):
        props = tree.get("props", {})
        return text(props.get("children")) if isinstance(props, dict) else ""
    return ""


def kpi(response: dict, key: str) -> str:
    tile = find(response["an-kpis"]["children"], f"kpi-{key}")
    assert tile is not None, f"no KPI tile {key}"
    return text(tile)


def read_csv(resp) -> list[dict]:
    assert resp.status_code == 200, resp.get_data(True)[:300]
    assert resp.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))


# ---- the page ------------------------------------------------------------------------------
def test_empty_org_gets_the_connect_prompt(app, client):
    make_org(app, "Nothing Yet", "owner@nothing.example")
    login(client, "owner@nothing.example")
    payload = {
        "output": "page.children",
        "outputs": {"id": "page", "property": "children"},
        "inputs": [{"id": "url", "property": "pathname", "value": "/analytics"}],
        "changedPropIds": ["url.pathname"],
        "state": [],
    }
    resp = client.post(
        "/_dash-update-component",
        data=json.dumps(payload),
        content_type="application/json",
        headers=csrf_headers(client),
    )
    assert resp.status_code == 200
    page = expand_islands(resp.get_json()["response"]["page"]["children"])
    empty = find(page, "analytics-empty")
    assert empty is not None and find(page, "an-chart-slot") is None
    assert "No data yet — connect a platform" in text(empty)
    assert "/integrations" in json.dumps(empty)
    # the views stay quiet for an org without data (no broken charts, no 500)
    resp = client.post(
        "/_dash-update-component",
        data=json.dumps(callback_payload("main", "?range=7d")),
        content_type="application/json",
        headers=csrf_headers(client),
    )
    assert resp.status_code == 204


def test_main_view_shows_only_the_orgs_numbers(client, orgs):
    a, _ = orgs
    login(client, a["email"])
    resp = fire(client, "main", "?range=7d")
    # A: meta 2 creatives x $100 + tiktok 2 x $50 = $300/day -> $2,100 over 7 days
    assert "$2,100" in kpi(resp, "spend")
    # store revenue: 4 orders x $80 = $320/day -> $2,240; MER = 2240 / 2100
    assert "$2,240" in kpi(resp, "store_revenue")
    assert f"{2240 / 2100:.2f}" in kpi(resp, "mer")
    # platform ROAS = (2x300 + 2x100) / 300
    assert f"{800 / 300:.2f}" in kpi(resp, "roas")
    # steady data: flat against the previous 7 days, and the tile says so in words
    assert "flat" in json.dumps(resp["an-kpis"]["children"])
    body = json.dumps(resp)
    assert "Beta" not in body and "betasecret" not in body
    channels = text(resp["an-channels"]["children"])
    assert "Meta" in channels and "TikTok" in channels and "Google Ads" not in channels
    assert resp["an-csv-daily"]["href"] == "/exports/analytics.csv?range=7d"
    figure = resp["an-chart-figure"]["data"]
    names = [t.get("name") for t in figure["data"]]
    assert names == ["Previous period", "This period"]
    assert figure["data"][1]["y"] == [300.0] * 7
    assert figure["data"][0]["line"]["dash"] == "dash"


def test_platform_filter_and_store_wide_note(client, orgs):
    a, _ = orgs
    login(client, a["email"])
    resp = fire(client, "main", "?range=7d&platform=tiktok&metric=roas")
    assert "$700" in kpi(resp, "spend")  # 2 x $50 x 7
    assert "store-wide" in kpi(resp, "mer")
    assert resp["an-csv-daily"]["href"] == "/exports/analytics.csv?range=7d&platform=tiktok"
    assert resp["an-chart-figure"]["data"]["data"][-1]["y"] == [2.0] * 7  # tiktok ROAS 100/50


def test_other_orgs_campaign_ids_match_nothing(client, orgs):
    a, b = orgs
    login(client, a["email"])
    b_campaigns = ",".join(str(c) for c in b["campaigns"].values())
    resp = fire(client, "main", f"?range=30d&campaign={b_campaigns}")
    assert "$0.00" in kpi(resp, "spend")
    assert "No ad spend" in text(resp["an-channels"]["children"])
    assert "No ad data for these filters" in text(resp["an-nomatch"]["children"])
    detail = fire(client, "detail", f"?range=30d&campaign={b_campaigns}")
    assert "No creative spent" in text(detail["an-leaderboard"]["children"])
    for part in (resp, detail):
        body = json.dumps(part)
        assert "Beta" not in body and "betasecret" not in body and "7,000" not in body
    # the org's own campaign works through the same parameter
    own = fire(client, "main", f"?range=7d&campaign={a['campaigns']['meta']}")
    assert "$1,400" in kpi(own, "spend")


def test_leaderboard_sparklines_fatigue_and_anomalies(app, client, orgs):
    a, _ = orgs
    with app.app_context():
        db.session.add(
            BrainState(
                org_id=a["org_id"],
                schema_version="1",
                memory={"totals": {"calibration": 0.5}},
                oracle={
                    "fatigue": [{"creative_id": "alpha-tiktok-cr2", "prob_7d": 0.86}],
                    "anomalies": [
                        {
                            "date": (END - timedelta(days=2)).isoformat(),
                            "series": "store_revenue",
                            "direction": "down",
                            "z": -6.1,
                            "severity": "high",
                            "series_flagged": [{"series": "mer", "direction": "down"}],
                        },
                        {"series": "spend"},  # no date: ignored
                        "garbage",
                    ],
                },
                curiosity={},
                input_fingerprint="t",
            )
        )
        db.session.commit()
    login(client, a["email"])
    detail = fire(client, "detail", "?range=14d")
    board = detail["an-leaderboard"]["children"]
    rows = text(board)
    assert rows.index("alpha meta creative") < rows.index("alpha tiktok creative")  # by spend
    assert "Fatigue 86%" in rows
    # One ROAS per creative: calibrated (platform-reported × 0.5), the platform's as a detail.
    cells = [c for c in board_cells(board) if c.get("data-label") == "ROAS"]
    primary, detail = cells[0]["children"][0], cells[0]["children"][1]["props"]["children"]
    reported = float(detail.removeprefix("platform-reported "))
    assert float(primary) == pytest.approx(reported * 0.5, abs=0.006)
    assert json.dumps(board).count("data:image/svg+xml") == 4  # one sparkline per creative
    main = fire(client, "main", "?range=14d&metric=mer")
    traces = main["an-chart-figure"]["data"]["data"]
    assert traces[-1]["name"] == "Anomaly" and len(traces[-1]["x"]) == 1
    assert "Store revenue down" in text(main["an-anomalies"]["children"])
    spend_chart = fire(client, "main", "?range=14d")["an-chart-figure"]["data"]["data"]
    assert all(t["name"] != "Anomaly" for t in spend_chart)


def board_cells(node) -> list[dict]:  # noqa: ANN001
    """The props of every table cell of a serialized component tree."""
    out = []
    if isinstance(node, dict):
        if node.get("type") == "Td":
            out.append(node["props"])
        for value in node.values():
            out += board_cells(value)
    elif isinstance(node, list):
        for value in node:
            out += board_cells(value)
    return out


def test_cohorts_view(client, orgs):
    a, _ = orgs
    login(client, a["email"])
    resp = fire(client, "cohorts", "/analytics")
    assert "Cohort" in text(resp["an-cohort-table"]["children"])
    assert "an-cohort-plot" not in resp  # the chart waits until its box is in view
    chart = fire(client, "cohort-chart", True)["an-cohort-plot"]["children"]
    assert chart["props"]["id"] == "an-cohort-chart"
    traces = chart["props"]["figure"]["data"]
    assert traces, "expected cohort curves"
    # day-30 revenue per customer: each new customer's $80 first order only
    assert traces[0]["y"][0] == pytest.approx(80.0)


def test_invalid_url_filters_fall_back_with_a_notice(client, orgs):
    a, _ = orgs
    login(client, a["email"])
    resp = fire(client, "main", "?range=forever&platform=myspace")
    assert "$9,000" in kpi(resp, "spend")  # default: last 30 days, all platforms
    assert "range must be one of" in json.dumps(resp["an-toast-main"])


def test_callback_error_becomes_a_toast(client, orgs, monkeypatch):
    a, _ = orgs
    login(client, a["email"])

    def boom(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(queries, "analytics_view", boom)
    resp = fire(client, "main", "?range=7d")
    toast = json.dumps(resp["an-toast-main"])
    assert "Couldn't load analytics" in toast and "on fire" not in toast
    assert set(resp) == {"an-toast-main"}  # everything else keeps what it showed


def test_url_and_controls_sync(client, orgs):
    a, _ = orgs
    login(client, a["email"])
    # page load: the URL sets the controls (presets resolved against the latest data date)
    out = sync(client, {"analytics-url.search": "?range=7d&platform=meta"}, "analytics-url.search")
    assert out["an-range"]["value"] == "7d"
    assert out["an-dates-start"]["value"] == (END - timedelta(days=6)).isoformat()
    assert out["an-dates-end"]["value"] == END.isoformat()
    assert out["an-platform"]["value"] == ["meta"]
    assert "analytics-url" not in out  # no URL rewrite on load: no history entry, no loop
    # a preset picked: the URL follows, the date picker shows the resolved dates
    state = {
        "analytics-url.search": "?range=7d&platform=meta",
        "an-range.value": "14d",
        "an-dates-start.value": (END - timedelta(days=6)).isoformat(),
        "an-dates-end.value": END.isoformat(),
        "an-platform.value": ["meta"],
        "an-campaign.value": [],
        "an-metric.value": "spend",
        "an-compare.value": "previous",
    }
    out = sync(client, state, "an-range.value")
    assert out["analytics-url"]["search"] == "?range=14d&platform=meta"
    # the comparison is kept in the URL, and the caption says which periods it compares
    out = sync(client, {**state, "an-compare.value": "year"}, "an-compare.value")
    assert out["analytics-url"]["search"] == "?range=14d&platform=meta&compare=year"
    caption = json.dumps(fire(client, "main", "?range=14d&compare=year")["an-caption"])
    assert "(the same dates a year earlier)" in caption
    reload = sync(client, {"analytics-url.search": "?range=ytd&compare=weekday"},
                  "analytics-url.search")  # fmt: skip
    assert reload["an-range"]["value"] == "ytd" and reload["an-compare"]["value"] == "weekday"
    assert out["an-dates-start"]["value"] == (END - timedelta(days=13)).isoformat()
    # dates picked: the range becomes custom
    state.update({"an-dates-start.value": "2025-06-01", "an-dates-end.value": "2025-06-10"})
    out = sync(client, state, "an-dates-start.value")
    assert out["an-range"]["value"] == "custom"
    assert out["analytics-url"]["search"] == (
        "?range=custom&start=2025-06-01&end=2025-06-10&platform=meta"
    )
    # every platform unticked means all of them: ticked again, the filter leaves the URL
    state.update({"an-range.value": "7d", "an-platform.value": []})
    out = sync(client, state, "an-platform.value")
    assert out["an-platform"]["value"] == ["meta", "google_ads", "tiktok"]
    assert out["analytics-url"]["search"] == "?range=7d"


# ---- CSV export ----------------------------------------------------------------------------
def test_csv_matches_filters_and_sums(client, orgs):
    a, _ = orgs
    login(client, a["email"])
    resp = client.get("/exports/analytics.csv?range=custom&start=2025-06-01&end=2025-06-10")
    rows = read_csv(resp)
    assert "attachment" in resp.headers["Content-Disposition"]
    assert "2025-06-01_2025-06-10" in resp.headers["Content-Disposition"]
    assert list(rows[0]) == queries.DAILY_EXPORT_COLUMNS
    assert [r["date"] for r in rows] == [f"2025-06-{d:02d}" for d in range(1, 11)]
    # what the screen shows: the filters, the comparison day, CTR in %, whole conversions
    assert {(r["platforms"], r["campaigns"]) for r in rows} == {("all", "all")}
    assert rows[0]["compared_date"] == "2025-05-22"  # day 1 of the 10 days before
    assert "." not in rows[0]["conversions"]
    assert float(rows[0]["ctr_pct"]) > 0.01  # a percentage, not a fraction
    assert sum(float(r["spend"]) for r in rows) == pytest.approx(3000.0)
    assert sum(float(r["store_revenue"]) for r in rows) == pytest.approx(3200.0)
    assert float(rows[0]["mer"]) == pytest.approx(320 / 300, abs=1e-4)

    resp = client.get("/exports/analytics.csv?range=7d&platform=meta&metric=roas&compare=year")
    assert "_meta_vs-year.csv" in resp.headers["Content-Disposition"]
    meta = read_csv(resp)
    assert len(meta) == 7 and {r["platforms"] for r in meta} == {"meta"}
    assert sum(float(r["spend"]) for r in meta) == pytest.approx(1400.0)
    assert {r["roas"] for r in meta} == {"3.0"}
    # MER is store-wide: store revenue over all-channel spend
    assert {r["total_ad_spend"] for r in meta} == {"300.0"}

    creatives = read_csv(client.get("/exports/analytics-creatives.csv?range=7d"))
    assert [r["creative_name"] for r in creatives][:2] == [
        "alpha meta creative 1",
        "alpha meta creative 2",
    ]
    assert sum(float(r["spend"]) for r in creatives) == pytest.approx(2100.0)


def test_csv_of_another_orgs_campaign_has_nothing_of_it(client, orgs):
    a, b = orgs
    login(client, a["email"])
    ids = ",".join(str(c) for c in b["campaigns"].values())
    for path in ("/exports/analytics.csv", "/exports/analytics-creatives.csv"):
        resp = client.get(f"{path}?range=30d&campaign={ids}")
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert "betasecret" not in body and "Beta" not in body and "7000" not in body
        rows = read_csv(resp)
        assert sum(float(r["spend"]) for r in rows) == 0.0


def test_csv_needs_login(client, orgs):
    resp = client.get("/exports/analytics.csv?range=7d")
    assert resp.status_code in (302, 401)
    if resp.status_code == 302:
        assert "/login" in resp.headers["Location"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("range=forever", "range must be one of"),
        ("range=custom&start=2025-13-01&end=2025-06-10", "start must be a date"),
        ("range=custom&start=2025-06-10&end=2025-06-01", "start must be on or before end"),
        ("range=custom&start=2020-01-01&end=2025-06-01", "at most 731 days"),
        ("range=custom&start=2025-06-01", "needs both start and end"),
        ("platform=facebook", "platform must be among"),
        ("campaign=1,abc", "campaign must be a list of numeric ids"),
        ("metric=revenue_per_vibe", "metric must be one of"),
    ],
)
def test_csv_bad_params_are_400_with_a_reason(client, orgs, query, message):
    a, _ = orgs
    login(client, a["email"])
    resp = client.get(f"/exports/analytics.csv?{query}")
    assert resp.status_code == 400
    assert message in resp.get_json()["error"]


def test_creatives_csv_limit(client, orgs):
    a, _ = orgs
    login(client, a["email"])
    assert len(read_csv(client.get("/exports/analytics-creatives.csv?range=7d&limit=1"))) == 1
    assert len(read_csv(client.get("/exports/analytics-creatives.csv?range=7d&limit=all"))) == 4
    bad = client.get("/exports/analytics-creatives.csv?limit=0")
    assert bad.status_code == 400 and "limit must be" in bad.get_json()["error"]


def test_views_survive_garbage_from_the_browser(client, orgs):
    a, b = orgs
    login(client, a["email"])
    weird = {
        "analytics-url.search": f"?org_id={b['org_id']}&campaign=99999999&start=x",
        "an-range.value": 5,
        "an-dates-start.value": 12,
        "an-dates-end.value": {"x": 1},
        "an-platform.value": "meta",
        "an-campaign.value": 7,
        "an-metric.value": None,
        "an-compare.value": ["x"],
    }
    for changed in ("an-range.value", "an-dates-start.value", "an-platform.value"):
        out = sync(client, weird, changed)
        assert out is None or "Beta" not in json.dumps(out)
    for search in ("?%ff%fe=1&range=%00", "?campaign=" + "9" * 400, "?" + "x=1&" * 500):
        resp = fire(client, "main", search)
        assert "Beta" not in json.dumps(resp)
        fire(client, "detail", search)


def test_days_outside_the_data_are_blank_not_zero(client, orgs):
    a, _ = orgs
    login(client, a["email"])
    start = END - timedelta(days=DAYS + 9)  # 10 days before the first data day
    rows = read_csv(
        client.get(f"/exports/analytics.csv?range=custom&start={start}&end={END.isoformat()}")
    )
    assert len(rows) == DAYS + 10
    assert all(r["spend"] == "" and r["store_revenue"] == "" for r in rows[:10])
    assert sum(float(r["spend"]) for r in rows[10:]) == pytest.approx(DAYS * 300.0)
    resp = fire(client, "main", "?range=90d")  # the previous 90 days hold no data
    assert "no previous data" in kpi(resp, "spend")
    names = [t["name"] for t in resp["an-chart-figure"]["data"]["data"]]
    assert names == ["This period"]  # no dashed line of zeros pretending to be history
