"""Plan limits and subscription states, enforced where the work starts (routes and jobs)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from jobs.brain import compute_and_store
from models import Connection, UsageEvent
from models.billing import LimitReached, access_for, check_allowed, used
from tests.conftest import csrf_headers, login, make_org
from tests.helpers.overview import EXAMPLE, store_state
from tests.integration.billing_support import billing, customer_org, subscribe  # noqa: F401

DAY = 86400


def _connections(app, org_id: int, n: int) -> None:  # noqa: ANN001
    with app.app_context():
        for i in range(n):
            db.session.add(
                Connection(org_id=org_id, platform="meta", external_account_id=f"act_{i}")
            )
        db.session.commit()


def _usage(app, org_id: int, kind: str, n: int, at: datetime | None = None) -> None:  # noqa: ANN001
    with app.app_context():
        for _ in range(n):
            db.session.add(UsageEvent(org_id=org_id, kind=kind, at=at or datetime.now(UTC)))
        db.session.commit()


def test_fourth_connection_on_starter_is_refused_with_an_upgrade_link(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    subscribe(app, billing, org, "starter")
    _connections(app, org["org_id"], 3)
    login(client, org["email"])
    headers = {**csrf_headers(client), "Accept": "application/json"}
    resp = client.post(
        "/connect/shopify", json={"shop": "acme.myshopify.com", "token": "t"}, headers=headers
    )
    assert resp.status_code == 402
    message = resp.get_json()["error"]
    assert "Starter plan includes 3 connections" in message
    assert "Upgrade to Growth" in message and "/billing" in message
    meta = client.get("/connect/meta/start?account=act_9", headers={"Accept": "application/json"})
    assert meta.status_code == 402 and "3 connections" in meta.get_json()["error"]
    with app.app_context():
        assert used(org["org_id"], "connections") == 3
        from jobs.connections import save_connection

        save_connection(org["org_id"], "meta", "act_0", {"access_token": "x"})  # re-auth: fine
        with pytest.raises(LimitReached):
            save_connection(org["org_id"], "tiktok", "adv_1", {"access_token": "x"})
        db.session.rollback()


def test_disconnected_connections_do_not_count_and_growth_allows_six(app, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    sub = subscribe(app, billing, org, "starter")
    _connections(app, org["org_id"], 3)
    with app.app_context():
        db.session.execute(
            Connection.__table__.update()
            .where(Connection.external_account_id == "act_0")
            .values(status="disabled")
        )
        db.session.commit()
        check_allowed(org["org_id"], "connections")  # 2 in use: one more fits
    billing.set_subscription(sub["id"], plan="growth")
    subscribe_again = billing.subscriptions[sub["id"]]
    from integrations.billing import normalize_subscription
    from models import Organization
    from models.billing import apply_subscription

    with app.app_context():
        apply_subscription(
            db.session.get(Organization, org["org_id"]),
            normalize_subscription(subscribe_again, billing.price_ids),
        )
        db.session.commit()
        check_allowed(org["org_id"], "connections", adding=4)  # 2 + 4 = Growth's 6
        with pytest.raises(LimitReached, match="Growth plan includes 6"):
            check_allowed(org["org_id"], "connections", adding=5)


def test_past_due_grace_then_read_only(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    now = int(time.time())
    sub = subscribe(app, billing, org, "starter", status="past_due", period_start=now - 2 * DAY)
    _connections(app, org["org_id"], 1)
    with app.app_context():
        acc = access_for(org["org_id"])
        conn_id = db.session.scalar(select(Connection.id).where(Connection.org_id == org["org_id"]))
        db.session.get(Connection, conn_id).credentials_encrypted = b"x"
        db.session.commit()
    assert not acc.read_only and "payment failed" in acc.banner.lower()
    login(client, org["email"])
    headers = csrf_headers(client)
    assert client.post("/api/brain/compute", headers=headers).status_code == 202
    # Eight days after the unpaid period started: read-only.
    from integrations.billing import normalize_subscription
    from models import Organization
    from models.billing import apply_subscription

    billing.set_subscription(sub["id"], period_start=now - 8 * DAY)
    with app.app_context():
        apply_subscription(
            db.session.get(Organization, org["org_id"]),
            normalize_subscription(billing.subscriptions[sub["id"]], billing.price_ids),
        )
        db.session.commit()
        acc = access_for(org["org_id"])
    assert acc.read_only and "read-only" in acc.reason
    recompute = client.post("/api/brain/compute", headers=headers)
    assert recompute.status_code == 402 and recompute.get_json()["upgrade_url"] == "/billing"
    sync = client.post(f"/connections/{conn_id}/sync", headers=headers)
    assert sync.status_code == 409 and "read-only" in sync.get_json()["error"]
    # Data keeps syncing: the scheduler's syncs do not go through the person's check.
    with app.app_context():
        from jobs.connections import check_can_sync

        check_can_sync(db.session.get(Connection, conn_id))  # no role: scheduled, allowed


def test_pdf_exports_per_month(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    subscribe(app, billing, org, "starter")
    store_state(app, org["org_id"], EXAMPLE)
    login(client, org["email"])
    last_month = datetime.now(UTC).replace(day=1) - timedelta(days=2)
    _usage(app, org["org_id"], "pdf_export", 5, at=last_month)  # another month: not counted
    _usage(app, org["org_id"], "pdf_export", 9)
    assert client.get("/reports/board.pdf").status_code == 200  # the 10th
    with app.app_context():
        assert used(org["org_id"], "pdf_export") == 10
    refused = client.get("/reports/board.pdf")
    assert refused.status_code == 402
    assert "10 PDF exports a month" in refused.get_json()["error"]
    with app.app_context():
        assert used(org["org_id"], "pdf_export") == 10  # the refused one is not counted


def test_recomputes_per_day_counted_with_the_state(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    subscribe(app, billing, org, "starter")
    with app.app_context():
        compute_and_store(org["org_id"])
        compute_and_store(org["org_id"])  # same inputs: reused, not counted
        assert used(org["org_id"], "recompute") == 1
    _usage(app, org["org_id"], "recompute", 23)
    login(client, org["email"])
    resp = client.post("/api/brain/compute", headers=csrf_headers(client))
    assert resp.status_code == 402 and "24 brain recomputes a day" in resp.get_json()["error"]
    _connections(app, org["org_id"], 1)
    with app.app_context():
        from models import Organization

        db.session.get(Organization, org["org_id"]).gross_margin = 0.5  # new inputs
        db.session.commit()
        with pytest.raises(LimitReached):
            compute_and_store(org["org_id"])
        db.session.rollback()
        total = db.session.scalar(
            select(func.count(UsageEvent.id)).where(UsageEvent.kind == "recompute")
        )
        assert total == 24


def test_no_subscription_is_read_only_until_a_plan_is_chosen(app, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    with app.app_context():
        acc = access_for(org["org_id"])
        assert acc.read_only and acc.status == "none"
        with pytest.raises(LimitReached, match="Choose a plan"):
            check_allowed(org["org_id"], "connections")


def test_cancelled_is_read_only_until_period_end_then_export_only(app, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    now = int(time.time())
    sub = subscribe(app, billing, org, "growth", status="canceled", period_end=now + 5 * DAY)
    with app.app_context():
        acc = access_for(org["org_id"])
        assert acc.read_only and not acc.export_only and "read-only until" in acc.reason
        later = datetime.now(UTC) + timedelta(days=6)
        assert access_for(org["org_id"], now=later).export_only
    assert sub["status"] == "canceled"


def test_self_hosted_has_no_limits(app, client):
    org = make_org(app, "Solo", "owner@solo.example")
    _connections(app, org["org_id"], 12)
    _usage(app, org["org_id"], "recompute", 500)
    with app.app_context():
        acc = access_for(org["org_id"])
        assert not acc.billing and not acc.read_only and acc.plan.connections is None
        check_allowed(org["org_id"], "connections")
        check_allowed(org["org_id"], "recompute")
    login(client, org["email"])
    assert client.post("/api/brain/compute", headers=csrf_headers(client)).status_code == 202


def test_sync_usage_is_written_with_the_synced_data(app, fake_meta, monkeypatch):
    from tests.fakes.meta import DEFAULT_TOKEN
    from tests.helpers.sync import _connection, _sync_once

    config = app.config["OMNIFY"]
    monkeypatch.setattr(config, "META_API_BASE", fake_meta.url)
    monkeypatch.setattr(config, "SYNC_RETRY_INTERVALS", "")
    monkeypatch.setattr(config, "INTEGRATION_RETRY_BASE", 0.01)
    org = make_org(app, "Acme", "owner@acme.example")
    conn_id = _connection(app, org["org_id"], "meta", "act_1234567890", DEFAULT_TOKEN)
    assert _sync_once(app, conn_id).status == "succeeded"
    with app.app_context():
        assert used(org["org_id"], "sync") == 1
    fake_meta.set_scenario("expired_token")
    assert _sync_once(app, conn_id).status == "failed"
    with app.app_context():
        assert used(org["org_id"], "sync") == 1  # the failed sync rolled back: not counted


def test_ai_narrative_cadence_follows_the_plan(app, billing):  # noqa: F811
    from models.billing import ai_narrative_due

    now = datetime.now(UTC)
    starter = customer_org(app, billing, "Weekly", "owner@weekly.example")
    subscribe(app, billing, starter, "starter")
    scale = customer_org(app, billing, "Always", "owner@always.example")
    subscribe(app, billing, scale, "scale")
    with app.app_context():
        assert ai_narrative_due(starter["org_id"], None, now)
        assert not ai_narrative_due(starter["org_id"], now - timedelta(days=2), now)
        assert ai_narrative_due(starter["org_id"], now - timedelta(days=7), now)
        assert ai_narrative_due(scale["org_id"], now - timedelta(minutes=5), now)
