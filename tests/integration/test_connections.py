"""Connecting platforms, cron endpoint, Shopify webhooks and the daily schedule."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sqlalchemy import func, select

from extensions import db
from jobs.queue import FlaskSimpleWorker
from jobs.schedule import daily_sync
from models import (
    BrainState,
    Connection,
    Membership,
    Order,
    Organization,
    ProcessedEvent,
    SyncJob,
)
from models.credentials import decrypt_credentials, encrypt_credentials
from tests.conftest import csrf_headers, login, make_org
from tests.fakes.oauth import DEFAULT_CLIENTS
from tests.fakes.shopify import DEFAULT_TOKEN as SHOPIFY_TOKEN
from tests.fakes.shopify import DEFAULT_WEBHOOK_SECRET, sign_webhook


@pytest.fixture
def cfg(app, monkeypatch):
    config = app.config["OMNIFY"]
    for name, value in {
        "SYNC_RETRY_INTERVALS": "0",
        "INTEGRATION_RETRY_BASE": 0.01,
        "META_APP_ID": DEFAULT_CLIENTS["meta"][0],
        "META_APP_SECRET": DEFAULT_CLIENTS["meta"][1],
        "CRON_SECRET": "cron-secret-for-tests",
        "SHOPIFY_WEBHOOK_SECRET": DEFAULT_WEBHOOK_SECRET,
    }.items():
        monkeypatch.setattr(config, name, value)
    return config


def _run_scheduled(app) -> None:
    """Run the scheduled jobs now (as the scheduler would once their time comes)."""
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    queue = app.extensions["rq"].queue
    registry = ScheduledJobRegistry(queue=queue)
    for job_id in registry.get_job_ids():
        registry.remove(job_id)
        queue.enqueue_job(Job.fetch(job_id, connection=queue.connection))
    _work(app)


def _work(app) -> None:
    queue = app.extensions["rq"].queue
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = app
    worker.work(burst=True)


@pytest.mark.parametrize(
    ("next_param", "lands_on"),
    [
        ("", "/integrations"),
        ("&next=/onboarding", "/onboarding"),
        ("&next=//evil.example", "/integrations"),
    ],
)
def test_meta_oauth_flow_stores_encrypted_token_and_starts_backfill(
    app, client, cfg, fake_oauth, monkeypatch, next_param, lands_on
):
    monkeypatch.setattr(cfg, "META_AUTH_URL", fake_oauth.meta_auth_url)
    monkeypatch.setattr(cfg, "META_TOKEN_URL", fake_oauth.meta_token_url)
    ids = make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    start = client.get("/connect/meta/start?account=act_42" + next_param)
    assert start.status_code == 302
    consent = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    assert consent.status_code == 302  # the fake "user" consents and is sent back
    back = urlparse(consent.headers["Location"])
    assert back.path == "/connect/meta/callback"
    resp = client.get(back.path + "?" + back.query)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(lands_on)
    with app.app_context():
        conn = db.session.execute(select(Connection)).scalar_one()
        assert conn.org_id == ids["org_id"] and conn.external_account_id == "act_42"
        token = decrypt_credentials(conn.credentials_encrypted)["access_token"]
        assert token and token.encode() not in conn.credentials_encrypted
        sync = db.session.execute(select(SyncJob)).scalar_one()
        assert sync.trigger == "backfill" and sync.status == "queued"


def test_oauth_state_mismatch_is_400(app, client, cfg, fake_oauth, monkeypatch):
    monkeypatch.setattr(cfg, "META_AUTH_URL", fake_oauth.meta_auth_url)
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    start = client.get("/connect/meta/start?account=act_42")
    state = parse_qs(urlparse(start.headers["Location"]).query)["state"][0]
    assert client.get("/connect/meta/callback?code=x&state=forged").status_code == 400
    # The real state is single-use: the failed attempt consumed it.
    assert client.get(f"/connect/meta/callback?code=x&state={state}").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Connection.id))) == 0


def test_shopify_token_is_validated(app, client, cfg, fake_shopify, monkeypatch):
    monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", fake_shopify.url)
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    headers = {**csrf_headers(client), "Accept": "application/json"}
    bad = client.post(
        "/connect/shopify", json={"shop": "acme", "token": "shpat_wrong"}, headers=headers
    )
    assert bad.status_code == 400 and "did not accept" in bad.get_json()["error"]
    good = client.post(
        "/connect/shopify", json={"shop": "acme", "token": SHOPIFY_TOKEN}, headers=headers
    )
    assert good.status_code == 201
    _work(app)
    with app.app_context():
        conn = db.session.get(Connection, good.get_json()["connection_id"])
        assert conn.external_account_id == "acme.myshopify.com" and conn.last_synced_at
        assert db.session.scalar(select(func.count(Order.id))) == len(fake_shopify.dataset.orders)
    listed = client.get("/api/connections").get_json()
    assert SHOPIFY_TOKEN not in json.dumps(listed)


def test_sync_now_and_disconnect_are_tenant_scoped(app, client, cfg):
    a = make_org(app, "A", "a@a.example")
    b = make_org(app, "B", "b@b.example")
    with app.app_context():
        creds = encrypt_credentials({"access_token": "t"})
        mine = Connection(
            org_id=a["org_id"],
            platform="meta",
            external_account_id="1",
            credentials_encrypted=creds,
        )
        theirs = Connection(
            org_id=b["org_id"],
            platform="meta",
            external_account_id="2",
            credentials_encrypted=creds,
        )
        db.session.add_all([mine, theirs])
        db.session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    login(client, "a@a.example")
    headers = csrf_headers(client)
    assert client.post(f"/connections/{theirs_id}/sync", headers=headers).status_code == 404
    assert client.post(f"/connections/{theirs_id}/disconnect", headers=headers).status_code == 404
    resp = client.post(f"/connections/{mine_id}/sync", headers=headers)
    assert resp.status_code == 202
    sync_id = resp.get_json()["sync_job_id"]
    assert client.get(f"/api/sync-jobs/{sync_id}").get_json()["status"] == "queued"
    assert client.post(f"/connections/{mine_id}/disconnect", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.get(Connection, theirs_id).status == "active"
        assert db.session.get(Connection, mine_id).status == "disabled"


def test_sync_refused_without_credentials_or_for_viewers(app, client, cfg):
    a = make_org(app, "A", "a@a.example", role="viewer")
    with app.app_context():
        bare = Connection(org_id=a["org_id"], platform="meta", external_account_id="demo")
        db.session.add(bare)
        db.session.commit()
        bare_id = bare.id
    login(client, "a@a.example")
    resp = client.post(f"/connections/{bare_id}/sync", headers=csrf_headers(client))
    assert resp.status_code == 409 and "Viewers" in resp.get_json()["error"]
    with app.app_context():
        db.session.execute(Membership.__table__.update().values(role="member"))
        db.session.commit()
    resp = client.post(f"/connections/{bare_id}/sync", headers=csrf_headers(client))
    assert resp.status_code == 409 and "No account credentials" in resp.get_json()["error"]
    with app.app_context():
        assert db.session.scalar(select(func.count(SyncJob.id))) == 0


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic cron-secret-for-tests"])
def test_cron_endpoint_requires_the_secret(app, client, cfg, header):
    headers = {"Authorization": header} if header else {}
    assert client.post("/api/cron/daily-sync", headers=headers).status_code == 401


def test_cron_endpoint_enqueues_daily_sync(app, client, cfg):
    resp = client.post(
        "/api/cron/daily-sync", headers={"Authorization": "Bearer cron-secret-for-tests"}
    )
    assert resp.status_code == 202
    assert app.extensions["rq"].queue.count == 1


def test_daily_sync_is_idempotent_per_day(app, cfg):
    a = make_org(app, "A", "a@a.example")
    with app.app_context():
        creds = encrypt_credentials({"access_token": "t"})
        db.session.add_all(
            [
                Connection(
                    org_id=a["org_id"],
                    platform="meta",
                    external_account_id="1",
                    credentials_encrypted=creds,
                ),
                Connection(
                    org_id=a["org_id"],
                    platform="tiktok",
                    external_account_id="2",
                    status="needs_reauth",
                    credentials_encrypted=creds,
                ),
                Connection(org_id=a["org_id"], platform="google_ads", external_account_id="3"),
                Connection(
                    org_id=a["org_id"],
                    platform="shopify",
                    external_account_id="4",
                    status="error",  # failed last night: tonight it is tried again
                    credentials_encrypted=creds,
                ),
            ]
        )
        db.session.commit()
        first = daily_sync()
        second = daily_sync()
    assert first["started"] == 2  # not the expired one, nor the one without credentials
    assert second == {"started": 0, "skipped": 2, "sync_job_ids": []}


def _webhook(client, body: bytes, signature: str, event_id: str = "evt-1"):
    return client.post(
        "/webhooks/shopify",
        data=body,
        headers={
            "X-Shopify-Hmac-SHA256": signature,
            "X-Shopify-Webhook-Id": event_id,
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": "acme.myshopify.com",
            "Content-Type": "application/json",
        },
    )


def test_webhook_bad_hmac_is_401_and_stores_nothing(app, client, cfg, fake_shopify):
    body, _ = fake_shopify.signed_webhook(fake_shopify.dataset.orders[0].id)
    resp = _webhook(client, body, sign_webhook(body, "not-the-secret"))
    assert resp.status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count(ProcessedEvent.id))) == 0
        assert db.session.scalar(select(func.count(Order.id))) == 0


def test_webhook_upserts_order_once(app, client, cfg, fake_shopify):
    a = make_org(app, "A", "a@a.example")
    with app.app_context():
        db.session.add(
            Connection(
                org_id=a["org_id"], platform="shopify", external_account_id="acme.myshopify.com"
            )
        )
        db.session.commit()
    body, signature = fake_shopify.signed_webhook(fake_shopify.dataset.orders[0].id)
    assert _webhook(client, body, sign_webhook(body)).get_json() == {"status": "queued"}
    assert signature == sign_webhook(body)
    assert _webhook(client, body, signature).get_json() == {"status": "duplicate"}
    with app.app_context():
        version = db.session.get(Organization, a["org_id"]).data_version
    _work(app)  # the order job; it schedules the brain recompute (coalescing a burst)
    with app.app_context():
        order = db.session.execute(select(Order)).scalar_one()
        assert order.org_id == a["org_id"]
        assert db.session.get(Organization, a["org_id"]).data_version == version + 1
        assert db.session.scalar(select(func.count(BrainState.id))) == 0
    _run_scheduled(app)
    with app.app_context():
        assert db.session.scalar(select(func.count(BrainState.id))) == 1


def test_a_burst_of_webhooks_schedules_one_recompute(app, client, cfg, fake_shopify):
    from rq.registry import ScheduledJobRegistry

    a = make_org(app, "A", "a@a.example")
    with app.app_context():
        db.session.add(
            Connection(
                org_id=a["org_id"], platform="shopify", external_account_id="acme.myshopify.com"
            )
        )
        db.session.commit()
    for i, order in enumerate(fake_shopify.dataset.orders[:3]):
        body, _ = fake_shopify.signed_webhook(order.id)
        assert _webhook(client, body, sign_webhook(body), f"evt-{i}").status_code == 200
    _work(app)
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 3
    queue = app.extensions["rq"].queue
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [f"brain-recompute-{a['org_id']}"]
    _run_scheduled(app)
    with app.app_context():
        assert db.session.scalar(select(func.count(BrainState.id))) == 1


def test_webhooks_out_of_order_keep_the_newest_order_state(app, client, cfg, fake_shopify):
    """Shopify does not promise order: a late, older payload must not undo a refund."""
    import datetime as dt

    a = make_org(app, "A", "a@a.example")
    with app.app_context():
        db.session.add(
            Connection(
                org_id=a["org_id"], platform="shopify", external_account_id="acme.myshopify.com"
            )
        )
        db.session.commit()
    order = fake_shopify.dataset.orders[0]
    created = fake_shopify.webhook_payload(order.id)
    created.update(refunds=[], updated_at=order.created_at.isoformat())
    refunded = fake_shopify.webhook_payload(order.id)
    refunded.update(
        updated_at=(order.created_at + dt.timedelta(days=2)).isoformat(),
        refunds=[{"id": 1, "transactions": [{"amount": "10.00", "kind": "refund"}]}],
    )
    for event_id, payload in (("evt-new", refunded), ("evt-old", created)):  # newest first
        body = json.dumps(payload).encode()
        assert _webhook(client, body, sign_webhook(body), event_id).status_code == 200
    _work(app)
    with app.app_context():
        stored = db.session.execute(select(Order)).scalar_one()
    assert float(stored.revenue) == pytest.approx(order.total_price - 10.0)
