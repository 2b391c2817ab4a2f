"""Sync jobs end to end: real client code against the fakes, a real RQ worker, the real DB."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from extensions import db
from jobs.sync import start_sync
from models import AdMetricDaily, Connection, Creative, Order
from tests.conftest import make_org
from tests.fakes.meta import DEFAULT_TOKEN as META_TOKEN
from tests.fakes.shopify import DEFAULT_TOKEN as SHOPIFY_TOKEN
from tests.helpers.sync import _connection, _sync_once


@pytest.fixture
def cfg(app, monkeypatch):
    config = app.config["OMNIFY"]
    monkeypatch.setattr(config, "SYNC_RETRY_INTERVALS", "0,0")
    monkeypatch.setattr(config, "INTEGRATION_RETRY_BASE", 0.01)
    return config


def _metric_totals(app, org_id: int) -> tuple:
    with app.app_context():
        return db.session.execute(
            select(
                func.count(AdMetricDaily.id),
                func.sum(AdMetricDaily.spend),
                func.sum(AdMetricDaily.impressions),
            ).where(AdMetricDaily.org_id == org_id)
        ).one()


@pytest.mark.parametrize("copy_threshold", [1, 10**9], ids=["copy-path", "insert-path"])
def test_meta_backfill_then_idempotent_rerun(app, cfg, fake_meta, monkeypatch, copy_threshold):
    import models.upsert

    monkeypatch.setattr(models.upsert, "COPY_THRESHOLD", copy_threshold)  # PostgreSQL: COPY
    monkeypatch.setattr(cfg, "META_API_BASE", fake_meta.url)
    ids = make_org(app, "Acme", "a@acme.example")
    conn_id = _connection(app, ids["org_id"], "meta", "act_1234567890", META_TOKEN)
    fake_meta.set_scenario(page_size=50)  # pagination across the backfill

    first = _sync_once(app, conn_id)
    assert first.status == "succeeded", first.error
    assert first.progress == 100 and first.trigger == "backfill"
    count, spend, impressions = _metric_totals(app, ids["org_id"])
    expected = fake_meta.dataset.totals()
    assert count == expected["rows"]
    assert float(spend) == pytest.approx(expected["spend"], abs=0.05)
    assert impressions == expected["impressions"]

    second = _sync_once(app, conn_id)
    assert second.status == "succeeded"
    assert _metric_totals(app, ids["org_id"]) == (count, spend, impressions)
    with app.app_context():
        conn = db.session.get(Connection, conn_id)
        assert conn.last_synced_at is not None and conn.status == "active"
        creatives = db.session.scalar(select(func.count(Creative.id)))
        assert creatives == fake_meta.dataset.n_ads


def test_restated_yesterday_is_updated_not_duplicated(app, cfg, fake_meta, monkeypatch):
    monkeypatch.setattr(cfg, "META_API_BASE", fake_meta.url)
    ids = make_org(app, "Acme", "a@acme.example")
    conn_id = _connection(app, ids["org_id"], "meta", "act_1234567890", META_TOKEN)
    assert _sync_once(app, conn_id).status == "succeeded"
    count_before, spend_before, _ = _metric_totals(app, ids["org_id"])
    fake_meta.set_scenario("restated_yesterday")
    assert _sync_once(app, conn_id).status == "succeeded"
    count_after, spend_after, _ = _metric_totals(app, ids["org_id"])
    assert count_after == count_before
    assert spend_after != spend_before


def test_expired_token_marks_needs_reauth_and_mails_admins(
    app, cfg, fake_meta, smtp_server, monkeypatch
):
    monkeypatch.setattr(cfg, "META_API_BASE", fake_meta.url)
    monkeypatch.setattr(cfg, "SMTP_URL", smtp_server.url)
    ids = make_org(app, "Acme", "a@acme.example")
    conn_id = _connection(app, ids["org_id"], "meta", "act_1234567890", META_TOKEN)
    fake_meta.set_scenario("expired_token")
    sync = _sync_once(app, conn_id)
    assert sync.status == "failed" and "Reconnect" in sync.error
    with app.app_context():
        assert db.session.get(Connection, conn_id).status == "needs_reauth"
    assert any("a@acme.example" in m.rcpt_tos for m in smtp_server.messages)
    assert META_TOKEN not in sync.error


def test_failure_halfway_leaves_previous_data_intact(app, cfg, fake_meta, monkeypatch):
    monkeypatch.setattr(cfg, "META_API_BASE", fake_meta.url)
    served: list[int] = []
    armed = {"after": None}

    @fake_meta.app.before_request
    def _break_midway():
        served.append(1)
        if armed["after"] is not None and len(served) > armed["after"]:
            from flask import Response  # a truncated body, like a proxy cutting the response

            return Response('{"data":[{"spend":"1', mimetype="application/json")
        return None

    ids = make_org(app, "Acme", "a@acme.example")
    conn_id = _connection(app, ids["org_id"], "meta", "act_1234567890", META_TOKEN)
    assert _sync_once(app, conn_id).status == "succeeded"
    before = _metric_totals(app, ids["org_id"])
    # A full re-pull with restated values that breaks after two more pages.
    with app.app_context():
        db.session.get(Connection, conn_id).last_synced_at = None
        db.session.commit()
    fake_meta.set_scenario(page_size=25, restate_yesterday=True)
    armed["after"] = len(served) + 2
    sync = _sync_once(app, conn_id)
    assert sync.status == "failed"
    assert "could not read" in sync.error
    assert _metric_totals(app, ids["org_id"]) == before


def test_shopify_orders_sync(app, cfg, fake_shopify, monkeypatch):
    monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", fake_shopify.url)
    ids = make_org(app, "Acme", "a@acme.example")
    conn_id = _connection(app, ids["org_id"], "shopify", "acme.myshopify.com", SHOPIFY_TOKEN)
    sync = _sync_once(app, conn_id)
    assert sync.status == "succeeded", sync.error
    with app.app_context():
        n = db.session.scalar(select(func.count(Order.id)).where(Order.org_id == ids["org_id"]))
        firsts = db.session.scalar(
            select(func.count(Order.id)).where(Order.is_first_order.is_(True))
        )
        customers = db.session.scalar(
            select(func.count(func.distinct(Order.customer_external_id))).where(
                Order.customer_external_id.is_not(None)
            )
        )
    assert n == len(fake_shopify.dataset.orders)
    assert firsts == customers > 0  # exactly one first order per customer
    assert firsts == fake_shopify.dataset.totals()["first_orders"]
    # the backfill was one bulk operation; the next sync pages through recent updates
    assert fake_shopify.bulk_operations and fake_shopify.calls[-1].path.startswith("/bulk/")
    assert _sync_once(app, conn_id).status == "succeeded"
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == n


def test_one_sync_per_connection(app, cfg, fake_meta, monkeypatch):
    monkeypatch.setattr(cfg, "META_API_BASE", fake_meta.url)
    ids = make_org(app, "Acme", "a@acme.example")
    conn_id = _connection(app, ids["org_id"], "meta", "act_1234567890", META_TOKEN)
    with app.app_context():
        conn = db.session.get(Connection, conn_id)
        first, second = start_sync(conn), start_sync(conn)
        assert first.id == second.id
        assert app.extensions["rq"].queue.count == 1


def _store_ad_rows(org_id: int, rows: list[dict], times: int = 1) -> list[int]:
    """Fetched Meta rows upserted as the sync job does (a new connection, its campaigns and
    creatives, then the metrics `times` times); the rows written each time."""
    from models.upsert import upsert_ad_metrics, upsert_campaigns_and_creatives

    conn = Connection(org_id=org_id, platform="meta", external_account_id="x")
    db.session.add(conn)
    db.session.flush()
    creative_ids = upsert_campaigns_and_creatives(db.session, org_id, conn.id, "meta", rows)
    return [upsert_ad_metrics(db.session, org_id, creative_ids, rows) for _ in range(times)]


@pytest.mark.parametrize("copy_threshold", [1, 10**9], ids=["copy-path", "insert-path"])
def test_upserts_keep_the_last_of_repeated_keys_and_the_newest_campaign(
    app, monkeypatch, copy_threshold
):
    import datetime as dt

    import models.upsert
    from models import Campaign

    monkeypatch.setattr(models.upsert, "COPY_THRESHOLD", copy_threshold)
    ids = make_org(app, "Acme", "a@acme.example")

    def row(day: int, campaign: str, spend: float) -> dict:
        return {
            "date": dt.date(2026, 11, day),
            "platform": "meta",
            "campaign_id": campaign,
            "campaign_name": f"Campaign {campaign}",
            "creative_id": "ad-1",
            "creative_name": "Ad 1",
            "spend": spend,
            "impressions": 100,
            "clicks": 5,
            "conversions": 1.0,
            "platform_revenue": 30.0,
            "reach": None,
            "frequency": None,
        }

    # The ad moved from campaign A to B; day 2 arrives twice (a page repeated by the API).
    rows = [row(1, "A", 10.0), row(2, "B", 20.0), row(2, "B", 25.0)]
    with app.app_context():
        _store_ad_rows(ids["org_id"], rows)
        db.session.commit()
        creative = db.session.execute(select(Creative)).scalar_one()
        assert db.session.get(Campaign, creative.campaign_id).external_id == "B"
        assert creative.launched_on == dt.date(2026, 11, 1)
        spends = sorted(float(s) for s in db.session.execute(select(AdMetricDaily.spend)).scalars())
    assert spends == [10.0, 25.0]


def test_fetched_columns_store_the_same_values_on_sqlite(tmp_path):
    """`make run` syncs into SQLite: the columns (numpy days, counts as floats, NaN for a
    missing reach) arrive there as dates, integers and NULLs, and a re-sync changes nothing."""
    import datetime as dt
    from decimal import Decimal

    from models.tenancy import unscoped
    from tests.conftest import create_test_app, reset_schema

    app = create_test_app(DATABASE_URL=f"sqlite:///{tmp_path}/sync.db")
    reset_schema(app)
    ids = make_org(app, "Lite", "lite@example.com")
    rows = [
        {
            "date": dt.date(2026, 11, day),
            "platform": "meta",
            "campaign_id": "c1",
            "campaign_name": "C1",
            "creative_id": f"ad{k}",
            "creative_name": f"Ad {k}",
            "spend": 10.5 + day,
            "impressions": 100 + day,
            "clicks": 5,
            "conversions": 1.5,
            "platform_revenue": 30.25,
            "reach": 50 if k == 0 else None,
            "frequency": 1.25 if k == 0 else None,
        }
        for day in (1, 2)
        for k in (0, 1)
    ]

    @unscoped("test: writes one org's rows directly")
    def write() -> list:
        with app.app_context():
            for written in _store_ad_rows(ids["org_id"], rows, times=2):  # then the re-sync
                assert written == 4
            db.session.commit()
            stored = db.session.execute(
                select(
                    AdMetricDaily.date,
                    AdMetricDaily.spend,
                    AdMetricDaily.impressions,
                    AdMetricDaily.reach,
                    AdMetricDaily.frequency,
                ).order_by(AdMetricDaily.date, AdMetricDaily.creative_id)
            ).all()
            db.session.remove()
            db.engine.dispose()
            return [tuple(r) for r in stored]

    assert write() == [
        (dt.date(2026, 11, 1), Decimal("11.50"), 101, 50, 1.25),
        (dt.date(2026, 11, 1), Decimal("11.50"), 101, None, None),
        (dt.date(2026, 11, 2), Decimal("12.50"), 102, 50, 1.25),
        (dt.date(2026, 11, 2), Decimal("12.50"), 102, None, None),
    ]


def test_recompute_requested_while_one_runs_gets_one_follow_up(app):
    from rq.job import JobStatus

    from jobs.brain import enqueue_recompute
    from jobs.queue import fetch_job

    ids = make_org(app, "Acme", "a@acme.example")
    queue = app.extensions["rq"].queue
    with app.app_context():
        first = enqueue_recompute(ids["org_id"])
        job = fetch_job(first)
        queue.remove(job)
        job.set_status(JobStatus.STARTED)  # as a worker would while computing
        follow_up = enqueue_recompute(ids["org_id"])
        again = enqueue_recompute(ids["org_id"])
    assert follow_up == again == first + "-next"
    assert queue.count == 1


def test_meta_resync_repulls_its_7_day_attribution_window_in_the_account_zone(
    app, cfg, fake_meta, monkeypatch
):
    import json
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    monkeypatch.setattr(cfg, "META_API_BASE", fake_meta.url)
    ids = make_org(app, "Acme", "a@acme.example")
    conn_id = _connection(app, ids["org_id"], "meta", "act_1234567890", fake_meta.access_token)
    last = datetime.now(UTC) - timedelta(hours=1)
    with app.app_context():
        conn = db.session.get(Connection, conn_id)
        conn.last_synced_at, conn.timezone = last, "Pacific/Auckland"
        db.session.commit()
    assert _sync_once(app, conn_id).status == "succeeded"
    ranges = [
        json.loads(c.args["time_range"]) for c in fake_meta.api_calls() if "after" not in c.args
    ]
    since = min(r["since"] for r in ranges)
    account_day = last.astimezone(ZoneInfo("Pacific/Auckland")).date()
    assert since == (account_day - timedelta(days=7)).isoformat()  # not the old 3 days


def test_spend_in_another_currency_is_converted_at_each_days_rate_or_refused(
    app, cfg, fake_meta, monkeypatch
):
    from datetime import timedelta

    from models import Connection as Conn
    from models.fx import import_rates

    monkeypatch.setattr(cfg, "META_API_BASE", fake_meta.url)
    ids = make_org(app, "Acme", "a@acme.example")  # the org reports in USD
    conn_id = _connection(app, ids["org_id"], "meta", "act_1234567890", fake_meta.access_token)
    with app.app_context():
        db.session.get(Conn, conn_id).currency = "EUR"
        db.session.commit()
    refused = _sync_once(app, conn_id)
    assert refused.status == "failed" and "EUR→USD" in refused.error
    assert _metric_totals(app, ids["org_id"])[0] == 0  # nothing written
    ds = fake_meta.dataset
    lines = ["day,base,quote,rate"]
    day = ds.start - timedelta(days=2)
    while day <= ds.end:
        lines.append(f"{day.isoformat()},EUR,USD,{'1.10' if day < ds.end else '1.20'}")
        day += timedelta(days=1)
    with app.app_context():
        assert import_rates(db.session, lines, "test") == len(lines) - 1
        db.session.commit()
    assert _sync_once(app, conn_id).status == "succeeded"
    expected = sum(r["spend"] * (1.20 if r["date"] == ds.end else 1.10) for r in ds.rows())
    stored = float(_metric_totals(app, ids["org_id"])[1])
    assert stored == pytest.approx(expected, abs=0.005 * len(ds.rows()))  # cents per row
