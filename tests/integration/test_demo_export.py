"""`flask demo export`: deterministic snapshots, and the demo's Analytics numbers equal the
product's for the same seeded org (same read model, different loaders)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from extensions import db
from models import Organization
from models import analytics as queries

FILES = (
    "ad_daily.csv",
    "analytics.json",
    "brain_state.json",
    "integrations.json",
    "narratives.json",
    "store_daily.csv",
)

pytestmark = pytest.mark.slow


@pytest.fixture
def exported(app, tmp_path):
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["seed"])
    assert seeded.exit_code == 0, seeded.output
    for name in ("a", "b"):
        result = runner.invoke(args=["demo", "export", "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    return tmp_path


def test_re_export_gives_identical_bytes(exported):
    a, b = exported / "a", exported / "b"
    assert sorted(p.name for p in a.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    meta = json.loads((a / "analytics.json").read_text())
    integrations = json.loads((a / "integrations.json").read_text())
    assert sorted(c["platform"] for c in integrations["connections"]) == [
        "google_ads",
        "meta",
        "shopify",
        "tiktok",
    ]
    assert all(c["stored_rows"] > 0 for c in integrations["connections"])
    assert len(integrations["history"]) == 10
    assert [c["id"] for c in meta["campaigns"]] == list(range(1, len(meta["campaigns"]) + 1))
    state = json.loads((a / "brain_state.json").read_text())
    assert "computed_at" not in state and state["org_id"] == 0
    assert any(f.get("creative_id") == "C12" for f in state["oracle"]["fatigue"])


def test_demo_shows_the_products_analytics_numbers(app, exported):
    from demo.snapshot import load
    from readmodels import analytics as rm

    meta = json.loads((exported / "a" / "analytics.json").read_text())
    as_of = date.fromisoformat(meta["as_of"])
    snap = load(as_of + timedelta(days=1), exported / "a")  # no shift: same dates as the db
    assert snap.as_of == as_of
    with app.app_context():
        org_id = db.session.execute(select(Organization.id)).scalar_one()
        ctx = queries.org_context(org_id)
        by_name = {c["name"]: c["id"] for c in ctx.campaigns}
        tiktok = next(c for c in snap.campaigns if c["platform"] == "tiktok")
        start = (as_of - timedelta(days=50)).isoformat()
        end = (as_of - timedelta(days=20)).isoformat()
        cases = [
            ("range=30d", "range=30d"),
            ("range=7d&platform=tiktok", "range=7d&platform=tiktok"),
            (f"range=custom&start={start}&end={end}&platform=meta,google_ads",) * 2,
            ("range=mtd&metric=mer", "range=mtd&metric=mer"),
            (
                f"range=90d&campaign={by_name[tiktok['name']]}",
                f"range=90d&campaign={tiktok['id']}",
            ),
        ]
        for product_q, demo_q in cases:
            pf, _ = rm.parse_filters(product_q)
            df, _ = rm.parse_filters(demo_q)
            product, demo = queries.analytics_view(ctx, pf), snap.analytics_view(df)
            for key in ("series", "previous_series"):
                pd.testing.assert_frame_equal(
                    product[key], demo[key], check_freq=False, rtol=1e-9, obj=f"{product_q} {key}"
                )
            assert len(product["channels"]) == len(demo["channels"])
            for p_row, d_row in zip(product["channels"], demo["channels"], strict=True):
                assert p_row.keys() == d_row.keys()
                for k, v in p_row.items():
                    assert (
                        (d_row[k] == v)
                        if v is None or isinstance(v, str)
                        else (d_row[k] == pytest.approx(v))
                    ), (product_q, k)
            assert product["period"] == demo["period"]
            for k, kpi in product["kpis"].items():
                assert kpi["value"] == pytest.approx(demo["kpis"][k]["value"]), (product_q, k)
            period = rm.resolve_period(pf, as_of)
            p_rows = queries.creative_leaderboard(ctx, pf, period)
            d_rows = snap.leaderboard(df, period)
            assert [r["name"] for r in p_rows] == [r["name"] for r in d_rows], product_q
            assert [r["spend"] for r in p_rows] == pytest.approx([r["spend"] for r in d_rows])
            assert [r["trend"] for r in p_rows] == [
                pytest.approx(r["trend"], nan_ok=True) for r in d_rows
            ]
        assert queries.daily_export(ctx, rm.Filters())[1] == snap.daily_export(rm.Filters())[1]
        assert queries.cohort_curves(ctx) == [
            dict(c, points=[pytest.approx(p, abs=1e-4) for p in c["points"]])
            for c in snap.cohorts[-6:]
        ]


def test_export_needs_a_seeded_org(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["demo", "export", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "run `flask seed` first" in result.output
    assert not any(tmp_path.iterdir())
