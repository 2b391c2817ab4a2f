"""Analytics views and filter parsing: pure functions, no app, no database."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from dash._utils import to_json

from layouts import analytics as views
from models import analytics as q


def dump(component: object) -> str:
    return json.dumps(json.loads(to_json(component)), ensure_ascii=False)


def texts(component: object) -> str:
    """Visible text of a component tree (as the browser would show, hidden spans included)."""
    data = json.loads(dump(component))

    def walk(node: object) -> str:
        if isinstance(node, str | int | float):
            return str(node)
        if isinstance(node, list):
            return " ".join(walk(n) for n in node)
        if isinstance(node, dict) and isinstance(node.get("props"), dict):
            return walk(node["props"].get("children"))
        return ""

    return walk(data)


def classes(component: object) -> str:
    return dump(component)


# ---- KPI tiles -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "better", "arrow", "tone", "sign"),
    [
        (0.12, "up", "▲", "good", "+12.0%"),
        (-0.05, "up", "▼", "bad", "−5.0%"),
        (0.10, "down", "▲", "bad", "+10.0%"),  # CPA up is worse
        (-0.20, "down", "▼", "good", "−20.0%"),
        (0.30, None, "▲", "neutral", "+30.0%"),  # spend: neither good nor bad
        (0.001, "up", "▬", "neutral", "+0.1%"),
    ],
)
def test_delta_has_arrow_sign_and_colour(change, better, arrow, tone, sign):
    span = views.delta(change, better)
    assert f"delta-{tone}" in span.className
    shown = texts(span)
    assert arrow in shown and sign in shown
    if tone != "neutral":  # words for screen readers, never colour alone
        assert ("better" if tone == "good" else "worse") in shown


def test_delta_without_previous_data():
    span = views.delta(None, "up")
    assert "delta-neutral" in span.className and "no previous data" in texts(span)


def test_kpi_tiles_values_and_store_wide_note():
    kpis = {
        "spend": {"value": 12_345.0, "previous": 10_000.0, "change": 0.236},
        "store_revenue": {"value": 2_500_000.0, "previous": None, "change": None},
        "mer": {"value": 3.14159, "previous": 3.0, "change": 0.047},
        "roas": {"value": None, "previous": None, "change": None},
        "cpa": {"value": 25.5, "previous": 20.0, "change": 0.275},
        "ctr": {"value": 0.0123, "previous": 0.0123, "change": 0.0},
    }
    plain = views.kpi_tiles(kpis, "USD")
    shown = texts(plain)
    for expected in ("$12.3k", "+23.6%", "$2.50M", "3.14", "$25.50", "1.23%", "–"):
        assert expected in shown
    assert "store-wide" not in shown
    assert dump(plain).count('"kpi-tile"') == 6
    filtered = texts(views.kpi_tiles(kpis, "EUR", filtered=True))
    assert filtered.count("store-wide") >= 2 and "€12.3k" in filtered


def test_placeholder_tiles_before_data():
    shown = texts(views.kpi_tiles(None))
    assert shown.count("…") == 6


@pytest.mark.parametrize(
    ("value", "kind", "compact", "expected"),
    [
        (1234.5, "money", False, "$1,235"),  # half up, as people round
        (12.345, "money", False, "$12.35"),
        (-5_500_000, "money", True, "−$5.50M"),
        (42_000, "money", True, "$42.0k"),
        (7.5, "money2", False, "$7.50"),
        (0.01234, "pct", False, "1.23%"),
        (2.345, "ratio", False, "2.35"),
        (None, "ratio", False, "–"),
        (float("nan"), "money", False, "–"),
    ],
)
def test_value_formats(value, kind, compact, expected):
    assert views.fmt_value(value, kind, "USD", compact) == expected


# ---- charts --------------------------------------------------------------------------------
def _series(values: list[float], start: str = "2025-06-01") -> pd.DataFrame:
    index = pd.date_range(start, periods=len(values), freq="D")
    return pd.DataFrame({"spend": values, "mer": [v / 100 for v in values]}, index=index)


def test_timeseries_previous_dashed_and_anomalies_on_the_charted_metric():
    cur = _series([100.0, 120.0, 90.0])
    prev = _series([80.0, 80.0, 80.0], start="2025-05-29")
    anomalies = [
        {"date": date(2025, 6, 2), "series": "spend", "direction": "up", "z": 4.2},
        {"date": date(2025, 6, 2), "series": "mer", "direction": "down"},
        {"date": date(2025, 7, 9), "series": "spend"},  # outside the period
    ]
    fig = views.timeseries_figure(cur, prev, "spend", anomalies)
    names = [t["name"] for t in fig["data"]]
    assert names == ["Previous period", "This period", "Anomaly"]
    assert fig["data"][0]["line"]["dash"] == "dash"
    assert fig["data"][1]["y"] == [100.0, 120.0, 90.0]
    assert fig["data"][2]["y"] == [120.0] and "z +4.2" in fig["data"][2]["text"][0]
    assert fig["data"][2]["x"] == ["2025-06-02"]
    assert fig["layout"]["yaxis"]["tickprefix"] == "$"
    no_marks = views.timeseries_figure(cur, None, "spend", anomalies[1:])
    assert [t["name"] for t in no_marks["data"]] == ["This period"]


def test_timeseries_handles_gaps_and_empty():
    cur = _series([100.0, float("nan"), 90.0])
    fig = views.timeseries_figure(cur, None, "spend")
    assert fig["data"][0]["y"] == [100.0, None, 90.0]
    empty = views.timeseries_figure(cur.iloc[:0], None, "spend")
    assert empty["layout"]["annotations"][0]["text"] == "No data in this period"


def test_anomaly_note_groups_an_event():
    anomalies = [
        {
            "date": date(2025, 6, 2),
            "series": "store_revenue",
            "direction": "down",
            "severity": "high",
            "hint": "a tracking gap",
            "platform": None,
        },
        {"date": date(2025, 6, 2), "series": "mer", "direction": "down", "platform": None},
    ]
    note = texts(views.anomaly_note(anomalies, date(2025, 6, 1), date(2025, 6, 30)))
    assert "Jun 2, 2025 · high severity: Store revenue down, MER down" in note
    assert "a tracking gap" in note
    assert texts(views.anomaly_note(anomalies, date(2025, 7, 1), date(2025, 7, 30))) == ""


def test_cohort_figure_and_table():
    cohorts = [
        {"cohort": "2025-01", "customers": 1200, "points": [(30, 80.0), (60, 95.0), (90, 110.0)]},
        {"cohort": "2025-02", "customers": 900, "points": [(30, 78.0)]},
    ]
    fig = views.cohort_figure(cohorts)
    assert [t["name"] for t in fig["data"]] == ["Jan 2025", "Feb 2025"]
    assert fig["data"][0]["text"] == ["", "", "Jan"]  # named at its last matured point
    table = texts(views.cohort_table(cohorts))
    assert "Feb 2025" in table and "$110" in table and "1,200" in table
    assert table.index("Feb 2025") < table.index("Jan 2025")  # newest first
    assert views.cohort_figure([])["layout"]["annotations"][0]["text"].startswith("Not enough")


# ---- tables --------------------------------------------------------------------------------
def test_channel_table_rows_and_empty():
    rows = [
        {
            "platform": "meta",
            "spend": 1000.0,
            "platform_revenue": 3600.0,
            "roas": 3.6,
            "roas_change": 0.1,
            "cpa": 20.0,
            "ctr": 0.012,
            "share": 0.63,
        },
        {
            "platform": "tiktok",
            "spend": 600.0,
            "platform_revenue": 1200.0,
            "roas": 2.0,
            "roas_change": -0.3,
            "cpa": 30.0,
            "ctr": 0.008,
            "share": 0.37,
        },
    ]
    shown = texts(views.channel_table(rows))
    for expected in ("Meta", "TikTok", "$1,000", "63%", "3.60", "$20.00", "1.20%", "−30.0%"):
        assert expected in shown
    assert "table-responsive" in dump(views.channel_table(rows))
    assert "No ad spend" in texts(views.channel_table([]))


def test_leaderboard_badges_and_sparklines():
    rows = [
        {
            "name": "C12 static",
            "external_id": "C12",
            "platform": "tiktok",
            "spend": 900.0,
            "roas": 1.2,
            "ctr": 0.005,
            "trend": [2.0, 1.8, None, 1.2],
            "fatigue": {"probability": 0.861, "action": "pause within 72h"},
        },
        {
            "name": "=cmd|' /C calc'!A0",
            "external_id": "X",
            "platform": "meta",
            "spend": 800.0,
            "roas": 3.6,
            "ctr": 0.01,
            "trend": [3.5],
            "fatigue": None,
        },
    ]
    table = views.leaderboard_table(rows)
    shown = texts(table)
    assert "Fatigue 86%" in shown and shown.count("Fatigue") == 1
    assert "$900" in shown and "1.20" in shown and "0.50%" in shown
    raw = dump(table)
    assert raw.count("data:image/svg+xml") == 1  # one point is no trend: a dash instead
    assert "ROAS trend: 2.00 to 1.20" in raw
    assert "table-responsive" in raw
    assert "No creative spent" in texts(views.leaderboard_table([]))


def test_sparkline_breaks_at_gaps():
    img = views.sparkline([1.0, 2.0, None, 3.0, 4.0])
    assert img.src.count("polyline") == 2
    assert texts(views.sparkline([None, 1.0])) == "–"


# ---- page and states -----------------------------------------------------------------------
def test_empty_state_points_at_integrations():
    empty = views.empty_state()
    assert empty.id == "analytics-empty"
    assert "No data yet — connect a platform" in texts(empty)
    assert '"href": "/integrations"' in dump(empty)


def test_page_has_labelled_controls_and_reserved_chart_boxes():
    campaigns = [{"id": 7, "name": "Spring", "platform": "meta"}]
    raw = dump(views.analytics_page(campaigns, date(2025, 1, 1), date(2025, 6, 30)))
    for control in ("an-range", "an-dates-start", "an-dates-end", "an-campaign"):
        assert f'"htmlFor": "{control}"' in raw or f'"html_for": "{control}"' in raw
    assert '"Platforms"' in raw and '"Chart metric"' in raw  # fieldset legends
    assert raw.count("an-chart-box") == 1 and raw.count("an-cohort-box") == 1
    # the trend chart's Graph is made in the browser, once its box is near the viewport
    assert '"an-chart-slot"' in raw and '"an-chart-figure"' in raw and '"an-chart"' not in raw
    assert '"displayModeBar": false' in views.TREND_DRAW_JS
    assert "Spring · Meta" in raw
    assert '"refresh": false' in raw  # the page's own Location never reloads the page


def test_period_caption():
    p = q.Period(date(2025, 6, 1), date(2025, 6, 30))
    assert views.period_caption(p, p.previous()) == (
        "Jun 1, 2025 – Jun 30, 2025 (30 days) vs May 2, 2025 – May 31, 2025 (the previous period)"
    )
    year = q.comparison(q.Filters(compare="year"), p)
    assert year == q.Period(date(2024, 6, 1), date(2024, 6, 30))
    assert views.period_caption(p, year, "year").endswith("(the same dates a year earlier)")
    weekday = q.comparison(q.Filters(compare="weekday"), p)
    assert weekday.start.weekday() == p.start.weekday() and (p.start - weekday.start).days == 364
    assert views.period_caption(p, p.previous(), "none").endswith("· no comparison")


def test_new_presets_and_compare_kept_in_the_url():
    latest = date(2025, 6, 18)
    cases = {
        "today": (latest, latest),
        "yesterday": (date(2025, 6, 17), date(2025, 6, 17)),
        "last_month": (date(2025, 5, 1), date(2025, 5, 31)),
        "ytd": (date(2025, 1, 1), latest),
    }
    for rng, (start, end) in cases.items():
        filters, problems = q.parse_filters(f"range={rng}&compare=year")
        assert problems == [] and filters.compare == "year"
        assert q.resolve_period(filters, latest) == q.Period(start, end)
        assert filters.query() == f"range={rng}&compare=year"
    _, problems = q.parse_filters("compare=lunar")
    assert problems and "compare must be one of" in problems[0]


# ---- filters -------------------------------------------------------------------------------
def test_parse_defaults_and_round_trip():
    f, problems = q.parse_filters("")
    assert problems == [] and f == q.Filters()
    f, _ = q.parse_filters(
        "?range=custom&start=2025-06-01&end=2025-06-10"
        "&platform=tiktok,meta&campaign=9,3,3&metric=roas"
    )
    assert f.platforms == ("meta", "tiktok") and f.campaigns == (3, 9)
    assert f.query() == (
        "range=custom&start=2025-06-01&end=2025-06-10&platform=meta,tiktok&campaign=3,9&metric=roas"
    )
    assert q.parse_filters(f.query())[0] == f
    assert q.parse_filters({"platform": ["meta", "google_ads", "tiktok"]})[0].platforms == ()
    assert q.parse_filters("start=2025-06-01&end=2025-06-02")[0].range == "custom"


def test_parse_reports_problems_and_strict_raises():
    f, problems = q.parse_filters("range=1y&platform=myspace&campaign=x&metric=vibes")
    assert f == q.Filters() and len(problems) == 4
    with pytest.raises(q.FilterError, match="range must be one of"):
        q.parse_filters_strict("range=1y")
    with pytest.raises(q.FilterError, match="between 2000-01-01"):
        q.parse_filters_strict("range=custom&start=1900-01-01&end=1900-01-02")
    f, problems = q.parse_filters("campaign=" + ",".join(str(i) for i in range(300)))
    assert len(f.campaigns) == q.MAX_CAMPAIGNS and problems


def test_periods_anchor_to_latest_data_date():
    latest = date(2025, 6, 30)
    assert q.resolve_period(q.Filters(range="7d"), latest) == q.Period(date(2025, 6, 24), latest)
    mtd = q.resolve_period(q.Filters(range="mtd"), date(2025, 6, 12))
    assert mtd == q.Period(date(2025, 6, 1), date(2025, 6, 12))
    assert mtd.previous() == q.Period(date(2025, 5, 20), date(2025, 5, 31))
    custom = q.Filters(range="custom", start=date(2024, 1, 1), end=date(2024, 1, 31))
    assert q.resolve_period(custom, latest).days == 31


def test_pct_change_and_totals_use_ratio_of_sums():
    assert q.pct_change(110.0, 100.0) == pytest.approx(0.1)
    assert q.pct_change(5.0, 0.0) is None and q.pct_change(None, 1.0) is None
    frame = pd.DataFrame(
        {
            "spend": [100.0, 300.0],
            "platform_revenue": [400.0, 300.0],
            "impressions": [10, 10],
            "clicks": [1, 1],
            "conversions": [0.0, 4.0],
            "store_revenue": [500.0, 300.0],
            "orders": [5, 3],
            "total_spend": [100.0, 300.0],
        }
    )
    t = q.totals(frame)
    assert t["roas"] == pytest.approx(700 / 400)  # not the mean of 4.0 and 1.0
    assert t["cpa"] == pytest.approx(100.0) and t["mer"] == pytest.approx(2.0)


def test_brain_overlays_tolerate_missing_parts():
    raw = [
        {
            "date": "2025-06-02",
            "series": "store_revenue",
            "direction": "down",
            "cause_hints": [{"text": "tracking gap"}],
            "series_flagged": [{"series": "mer"}, {"series": "unknown"}, "junk"],
        },
        {"date": "not a date", "series": "spend"},
        {"series": "spend"},
        None,
    ]
    out = q.normalize_anomalies(raw)
    assert [(a["series"], a["primary"]) for a in out] == [("store_revenue", True), ("mer", False)]
    assert out[0]["hint"] == "tracking gap" and out[0]["date"] == date(2025, 6, 2)
    assert q.normalize_anomalies(None) == [] and q.normalize_anomalies("x") == []
    fatigue = q.normalize_fatigue([{"creative_id": "C12", "prob_7d": 0.9}, {"name": "Hero"}, 3])
    assert q.fatigue_for(fatigue, "C12", "whatever")["probability"] == 0.9
    assert q.fatigue_for(fatigue, "nope", " hero ")["probability"] is None
    assert q.fatigue_for(q.normalize_fatigue({"C7": {"p7": 1}}), "C7", "") is not None
    assert q.normalize_fatigue(None) == {}


def test_totals_without_any_data_are_none_not_zero():
    frame = pd.DataFrame(
        {k: [float("nan")] * 2 for k in (*q.SUM_COLUMNS, "store_revenue", "orders", "total_spend")}
    )
    t = q.totals(frame)
    assert t["spend"] is None and t["roas"] is None and t["mer"] is None
    assert q.pct_change(t["spend"], 100.0) is None


def test_anomaly_note_promises_a_cross_only_where_the_chart_has_one():
    day = date(2026, 11, 19)
    found = [
        {"date": day, "series": "mer", "direction": "down", "severity": "high"},
        {"date": day, "series": "store_revenue", "direction": "down"},
    ]
    spend = views.anomaly_note(found, date(2026, 11, 1), date(2026, 11, 24), "spend")
    assert spend.children[0].children.startswith(
        "Anomalies flagged by the brain (✕ on the MER and Store revenue charts)"
    )
    mer = views.anomaly_note(found, date(2026, 11, 1), date(2026, 11, 24), "mer")
    assert "(✕ on the chart)" in mer.children[0].children


def test_the_last_days_are_shaded_provisional():
    idx = pd.date_range("2026-11-01", "2026-11-24", freq="D")
    series = pd.DataFrame({"spend": [100.0] * len(idx)}, index=idx)
    fig = views.timeseries_figure(series, None, "spend", latest=date(2026, 11, 24))
    shape = fig["layout"]["shapes"][0]
    assert shape["x0"].startswith("2026-11-21") and shape["x1"].startswith("2026-11-24")
    assert fig["layout"]["annotations"][0]["text"] == "provisional"
    old = views.timeseries_figure(series, None, "spend", latest=date(2026, 12, 31))
    assert "shapes" not in old["layout"]  # a past period has nothing provisional
