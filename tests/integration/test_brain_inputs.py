"""The fast brain inputs (binary COPY, analysis window only) give the plain loaders' state.

Runs on the configured database (PostgreSQL when TEST_DATABASE_URL is set: the COPY path) and,
every time, on a SQLite file of its own (the SQLAlchemy fallback with the same window).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import select, update

from brain.state import compute_brain_state, to_canonical_json
from brain.synthetic import LUMEN_SEED, generate_brand
from extensions import db
from models import AdMetricDaily, Order, Organization
from models.brain_data import load_ad_daily, load_orders, org_settings
from models.brain_inputs import _load_orders_pg, export_snapshot, load_brain_inputs
from models.seed import load_frames
from tests.conftest import create_test_app, make_org, reset_schema, truncate_all

RANDOM_SEED = 90_210  # any seed: a brand unlike the demo, with ad rows before the window


@pytest.fixture(params=["configured", "sqlite"])
def any_db(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The suite's database, and a SQLite file of this test's own."""
    if request.param == "configured":
        application = request.getfixturevalue("app")
        yield application
        truncate_all(application)
        return
    folder = tempfile.mkdtemp(prefix="omnify-inputs-")
    application = create_test_app(DATABASE_URL=f"sqlite:///{folder}/inputs.db")
    reset_schema(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _seed(app: Flask, name: str, brand, timezone: str) -> int:  # noqa: ANN001
    ids = make_org(app, name, f"{name.lower().replace(' ', '-')}@example.com")
    with app.app_context():
        org = db.session.get(Organization, ids["org_id"])
        org.timezone = timezone
        load_frames(org.id, brand.ad_daily, brand.orders)
        db.session.commit()
    return ids["org_id"]


def _states(org_id: int, as_of=None) -> tuple[str, str, pd.DataFrame, pd.DataFrame]:  # noqa: ANN001
    org = db.session.get(Organization, org_id)
    settings = org_settings(org)
    plain_ad, plain_od = load_ad_daily(org_id), load_orders(org_id, org.timezone)
    fast_ad, fast_od = load_brain_inputs(org, as_of)
    plain = compute_brain_state(plain_ad, plain_od, settings, as_of=as_of, org_id=org_id)
    fast = compute_brain_state(fast_ad, fast_od, settings, as_of=as_of, org_id=org_id)
    return to_canonical_json(plain), to_canonical_json(fast), plain_ad, fast_ad


def test_demo_brand_same_state_from_fast_and_plain_inputs(any_db: Flask) -> None:
    org_id = _seed(any_db, "Lumen", generate_brand(LUMEN_SEED), "America/New_York")
    with any_db.app_context():
        plain, fast, _, fast_ad = _states(org_id)
        if db.engine.dialect.name == "postgresql":  # the COPY path, not the fallback
            assert isinstance(fast_ad["platform"].dtype, pd.CategoricalDtype)
    assert fast == plain
    assert '"fatigue"' in fast  # a real state, not two empty ones


def test_random_brand_same_state_at_any_as_of(any_db: Flask) -> None:
    brand = generate_brand(RANDOM_SEED, days=150)
    # +14 h: an order placed at noon UTC falls on the next local day
    org_id = _seed(any_db, "Random brand", brand, "Pacific/Kiritimati")
    with any_db.app_context():
        # odd rows a real store and ad platform send: guest checkouts, refunds, no reach
        first_ids = db.session.scalars(
            select(Order.id).where(Order.org_id == org_id).order_by(Order.id).limit(40)
        ).all()
        db.session.execute(
            update(Order).where(Order.id.in_(first_ids[:20])).values(customer_external_id=None)
        )
        db.session.execute(update(Order).where(Order.id.in_(first_ids[20:25])).values(revenue=-5))
        ad_ids = db.session.scalars(
            select(AdMetricDaily.id).where(AdMetricDaily.org_id == org_id).limit(30)
        ).all()
        db.session.execute(
            update(AdMetricDaily)
            .where(AdMetricDaily.id.in_(ad_ids))
            .values(reach=None, frequency=None)
        )
        db.session.commit()
        last = pd.Timestamp(brand.ad_daily["date"].max()).date()
        for as_of in (None, last - timedelta(days=40), last + timedelta(days=200)):
            plain, fast, plain_ad, fast_ad = _states(org_id, as_of)
            assert fast == plain, f"as_of={as_of}"
            assert 0 < len(fast_ad) < len(plain_ad)  # only the analysis window was read


def test_org_without_data_same_state(any_db: Flask) -> None:
    ids = make_org(any_db, "Empty", "empty@example.com")
    with any_db.app_context():
        plain, fast, plain_ad, fast_ad = _states(ids["org_id"])
    assert fast == plain and len(plain_ad) == len(fast_ad) == 0


def test_orders_read_on_a_second_connection_see_the_first_ones_snapshot(app: Flask) -> None:
    """The orders are read in a thread on their own connection: it must see the moment the ad
    rows were read at, not an order committed in between."""
    if app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0].split("+")[0] != "postgresql":
        pytest.skip("snapshot export is PostgreSQL's")
    org_id = _seed(app, "Snapshot", generate_brand(RANDOM_SEED, days=20), "UTC")
    with app.app_context():
        engine = db.engine
        first = db.session.scalars(select(Order).where(Order.org_id == org_id).limit(1)).one()
        before = len(load_orders(org_id, "UTC"))
        db.session.rollback()
        raw = engine.raw_connection()
        try:
            pg = raw.driver_connection
            snapshot = export_snapshot(pg)
            late = Order(
                org_id=org_id,
                connection_id=first.connection_id,
                external_id="committed-after-the-snapshot",
                placed_at=first.placed_at,
                customer_external_id="late-customer",
                revenue=first.revenue,
                is_first_order=True,
            )
            db.session.add(late)
            db.session.commit()  # another transaction, after the export
            frame = _load_orders_pg(engine, snapshot, org_id, "UTC")
            pg.rollback()
        finally:
            raw.close()
        assert len(frame) == before  # the snapshot's orders, without the late one
        assert len(load_orders(org_id, "UTC")) == before + 1  # which is committed
