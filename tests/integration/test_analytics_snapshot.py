"""The recompute job stores the analytics page's org-wide aggregates for every web process."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import Float, cast, delete, func, select, update

from brain.synthetic import LUMEN_SEED, generate_brand
from extensions import db
from jobs.brain import recompute
from models import AdMetricDaily
from models.analytics import (
    _cohort_table,
    _creative_meta,
    _creative_months,
    _creative_totals,
    _day_frame,
    _order_days,
    analytics_view,
    clear_cache,
    org_context,
    pack_frame,
    parse_filters,
    unpack_frame,
)
from models.ops import AnalyticsSnapshot
from models.seed import load_frames
from readmodels.analytics import SUM_COLUMNS, Period
from tests.conftest import make_org


def _seed(app) -> int:  # noqa: ANN001
    brand = generate_brand(LUMEN_SEED, days=60)
    ids = make_org(app, "Lumen", "cmo@lumen.example")
    with app.app_context():
        load_frames(ids["org_id"], brand.ad_daily, brand.orders.iloc[::25])
        db.session.commit()
    return ids["org_id"]


def _spend(org_id: int) -> float:
    clear_cache()  # a web process whose own cache is cold
    view = analytics_view(org_context(org_id), parse_filters(None)[0])
    return view["kpis"]["spend"]["value"]


def test_cold_analytics_reads_the_recompute_jobs_snapshots(app) -> None:
    org_id = _seed(app)
    with app.app_context():
        recompute(org_id)
        assert db.session.scalar(select(func.count(AnalyticsSnapshot.id))) == 5
        before = _spend(org_id)
        # Change the rows behind the fingerprint's back: only a snapshot can still say `before`.
        db.session.execute(
            update(AdMetricDaily)
            .where(AdMetricDaily.org_id == org_id)
            .values(spend=AdMetricDaily.spend * 10)
        )
        db.session.commit()
        assert _spend(org_id) == before
        db.session.execute(delete(AnalyticsSnapshot))
        db.session.commit()
        assert _spend(org_id) > 9 * before  # without snapshots the SQL aggregates are read


def test_snapshots_round_trip_every_base_frame(app) -> None:
    org_id = _seed(app)
    with app.app_context():
        clear_cache()
        ctx = org_context(org_id)
        frames = (_day_frame, _order_days, _creative_meta, _cohort_table, _creative_months)
        for frame in (make(ctx) for make in frames):
            assert len(frame)
            pd.testing.assert_frame_equal(unpack_frame(pack_frame(frame)), frame)


def test_a_new_data_version_replaces_the_snapshots(app) -> None:
    from models.upsert import bump_data_version

    org_id = _seed(app)
    with app.app_context():
        recompute(org_id)
        first = set(db.session.scalars(select(AnalyticsSnapshot.key)).all())
        bump_data_version(db.session, org_id)
        db.session.commit()
        recompute(org_id)
        second = set(db.session.scalars(select(AnalyticsSnapshot.key)).all())
    assert len(second) == 5 and not first & second


def _plain_totals(org_id: int, period: Period) -> pd.DataFrame:
    """What the page summed before the monthly snapshot: one SQL SUM over the period."""
    m = AdMetricDaily
    rows = db.session.execute(
        select(
            m.creative_id,
            *(cast(func.sum(getattr(m, c)), Float) for c in SUM_COLUMNS),
        )
        .where(m.org_id == org_id, m.date.between(period.start, period.end))
        .group_by(m.creative_id)
    ).all()
    frame = pd.DataFrame(rows, columns=["creative_id", *SUM_COLUMNS]).set_index("creative_id")
    return frame.astype(float).sort_index()


def test_creative_totals_from_months_and_edges_equal_one_sum(app) -> None:
    """Whole months from the snapshot plus SQL for the edge days: to the cent, every shape of
    period (inside one month, on month bounds, across years, beyond the data)."""
    org_id = _seed(app)
    with app.app_context():
        recompute(org_id)  # stores the monthly sums
        ctx = org_context(org_id)
        end = ctx.latest
        first_of_month = end.replace(day=1)
        periods = [
            Period(end - timedelta(days=n - 1), end) for n in (1, 7, 14, 30, 31, 45, 59, 60, 400)
        ]
        periods += [
            Period(first_of_month, end),
            Period(first_of_month - timedelta(days=1), end),
            Period((first_of_month - timedelta(days=1)).replace(day=1), first_of_month),
            Period((first_of_month - timedelta(days=1)).replace(day=1), end - timedelta(days=3)),
            Period(end - timedelta(days=50), end - timedelta(days=20)),
            Period(end + timedelta(days=1), end + timedelta(days=40)),
        ]
        for period in periods:
            clear_cache()
            got = _creative_totals(ctx, period).sort_index()
            expected = _plain_totals(org_id, period)
            assert list(got.index) == list(expected.index), period
            if expected.empty:
                continue
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
            assert (got["spend"].round(2) == expected["spend"].round(2)).all(), period


def test_cold_leaderboard_reads_the_monthly_snapshot(app) -> None:
    org_id = _seed(app)
    with app.app_context():
        recompute(org_id)
        ctx = org_context(org_id)
        first = ctx.latest.replace(day=1) - timedelta(days=1)
        period = Period(first.replace(day=1), first)  # exactly one whole month: no SQL edges
        clear_cache()
        before = _creative_totals(ctx, period)["spend"].sum()
        db.session.execute(
            update(AdMetricDaily)
            .where(AdMetricDaily.org_id == org_id)
            .values(spend=AdMetricDaily.spend * 10)
        )
        db.session.commit()
        clear_cache()
        assert _creative_totals(ctx, period)["spend"].sum() == before
