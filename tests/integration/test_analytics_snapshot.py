"""The recompute job stores the analytics page's org-wide aggregates for every web process."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, func, select, update

from brain.synthetic import LUMEN_SEED, generate_brand
from extensions import db
from jobs.brain import recompute
from models import AdMetricDaily
from models.analytics import (
    _cohort_table,
    _creative_meta,
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
        assert db.session.scalar(select(func.count(AnalyticsSnapshot.id))) == 4
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
        for frame in (_day_frame(ctx), _order_days(ctx), _creative_meta(ctx), _cohort_table(ctx)):
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
    assert len(second) == 4 and not first & second
