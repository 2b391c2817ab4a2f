"""Connecting platforms, cron endpoint, Shopify webhooks and the daily schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sqlalchemy import func, select, update

from extensions import db
from integrations.shopify import ShopifyClient
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
    app, client, cfg, fake_oauth, fake_meta, monkeypatch, next_param, lands_on
):
    monkeypatch.setattr(cfg, "META_AUTH_URL", fake_oauth.meta_auth_url)
    monkeypatch.setattr(cfg, "META_TOKEN_URL", fake_oauth.meta_token_url)
    monkeypatch.setattr(cfg, "META_API_BASE", fake_meta.url)
    fake_meta.token_store = fake_oauth.store  # Meta accepts what the OAuth fake issued
    ids = make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    start = client.get("/connect/meta/start?account=act_1234567890" + next_param)
    assert start.status_code == 302
    consent = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    assert consent.status_code == 302  # the fake "user" consents and is sent back
    back = urlparse(consent.headers["Location"])
    assert back.path == "/connect/meta/callback"
    resp = client.get(back.path + "?" + back.query)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(lands_on)
    with app.app_context():
        conn = db.session.execute(select(Connection)).scalar_one()
        assert conn.org_id == ids["org_id"] and conn.external_account_id == "act_1234567890"
        # the account's own currency and time zone, read at connect
        assert (conn.currency, conn.timezone) == ("USD", "America/New_York")
        token = decrypt_credentials(conn.credentials_encrypted)["access_token"]
        assert token and token.encode() not in conn.credentials_encrypted
        sync = db.session.execute(select(SyncJob)).scalar_one()
        assert sync.trigger == "backfill" and sync.status == "queued"
        # The code exchange gave a short-lived token: the stored one is the ~60-day one.
        expires = conn.token_expires_at
        expires = expires.replace(tzinfo=UTC) if expires.tzinfo is None else expires
        assert expires - datetime.now(UTC) > timedelta(days=50)
        assert fake_oauth.store.access_valid(token, "meta")
    grants = [c.args.get("grant_type") for c in fake_oauth.api_calls("/meta/oauth/access_token")]
    assert grants == [None, "fb_exchange_token"]


def test_daily_schedule_reminds_admins_once_before_a_token_expires(
    app, cfg, smtp_server, monkeypatch
):
    monkeypatch.setattr(cfg, "SMTP_URL", smtp_server.url)
    a = make_org(app, "A", "a@a.example")
    now = datetime.now(UTC)
    with app.app_context():
        creds = encrypt_credentials({"access_token": "t"})
        for account, days in (("soon", 6), ("later", 30)):
            db.session.add(
                Connection(
                    org_id=a["org_id"],
                    platform="meta",
                    external_account_id=account,
                    account_name=account,
                    credentials_encrypted=creds,
                    token_expires_at=now + timedelta(days=days),
                    last_synced_at=now,
                )
            )
        db.session.commit()
        first = daily_sync()
        soon = db.session.execute(
            select(Connection).where(Connection.external_account_id == "soon")
        ).scalar_one()
        assert first["token_reminders"] == [soon.id]
        assert daily_sync()["token_reminders"] == []  # once per token
    mails = [m for m in smtp_server.messages if "Reconnect Meta" in m.subject]
    assert len(mails) == 1 and "a@a.example" in mails[0].rcpt_tos
    assert "soon" in mails[0].text() and "later" not in mails[0].text()


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
    assert second == {"started": 0, "skipped": 2, "sync_job_ids": [], "token_reminders": []}


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


@pytest.mark.parametrize(
    ("scopes", "missing"),
    [
        (("read_orders", "read_all_orders"), "read_customers"),
        (("read_orders", "read_customers"), "read_all_orders"),
    ],
)
def test_shopify_connect_names_a_missing_scope_instead_of_asking_to_reconnect(
    app, client, cfg, monkeypatch, scopes, missing
):
    from tests.fakes.shopify import FakeShopify

    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    headers = {**csrf_headers(client), "Accept": "application/json"}
    with FakeShopify(granted_scopes=scopes) as fake:
        monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", fake.url)
        resp = client.post(
            "/connect/shopify", json={"shop": "acme", "token": SHOPIFY_TOKEN}, headers=headers
        )
        assert fake.call_count == 1  # one real query
    assert resp.status_code == 400
    message = resp.get_json()["error"]
    assert missing in message and "read_orders, read_all_orders, read_customers" in message
    with app.app_context():
        assert db.session.scalar(select(func.count(Connection.id))) == 0


def test_shopify_sync_without_a_scope_fails_with_what_to_grant(app, cfg, monkeypatch):
    from tests.fakes.shopify import FakeShopify

    a = make_org(app, "A", "a@a.example")
    with FakeShopify(granted_scopes=("read_orders", "read_all_orders")) as fake:
        monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", fake.url)
        with app.app_context():
            conn = Connection(
                org_id=a["org_id"],
                platform="shopify",
                external_account_id="acme.myshopify.com",
                credentials_encrypted=encrypt_credentials({"access_token": SHOPIFY_TOKEN}),
            )
            db.session.add(conn)
            db.session.commit()
            from jobs.sync import start_sync

            start_sync(conn)
        _work(app)
    with app.app_context():
        conn = db.session.execute(select(Connection)).scalar_one()
        assert conn.status == "error"  # not needs_reauth: reconnecting alone would loop
        assert "read_customers" in conn.last_error


def test_a_webhook_never_changes_the_channel_a_sync_stored(app, client, cfg, fake_shopify):
    a = make_org(app, "A", "a@a.example")
    order = next(o for o in fake_shopify.dataset.orders if o.utm_source)
    with app.app_context():
        conn = Connection(
            org_id=a["org_id"], platform="shopify", external_account_id="acme.myshopify.com"
        )
        db.session.add(conn)
        db.session.commit()
        from models.upsert import upsert_orders

        synced = ShopifyClient(fake_shopify.url, SHOPIFY_TOKEN).fetch_order(order.id)
        upsert_orders(db.session, a["org_id"], conn.id, [synced])
        db.session.commit()
    payload = fake_shopify.webhook_payload(order.id)
    payload["landing_site"] = "/?utm_source=somewhere_else"  # landing_site is not the channel
    payload["updated_at"] = datetime.now(UTC).isoformat()
    body = json.dumps(payload).encode()
    assert _webhook(client, body, sign_webhook(body)).get_json() == {"status": "queued"}
    _work(app)
    with app.app_context():
        stored = db.session.execute(select(Order)).scalar_one()
        assert stored.utm_source == order.utm_source


def _google_connect(app, client, cfg, monkeypatch, fake, account: str):
    """Consent is simulated by the fake's token store; our callback does the rest."""
    monkeypatch.setattr(cfg, "GOOGLE_ADS_CLIENT_ID", fake.client_id)
    monkeypatch.setattr(cfg, "GOOGLE_ADS_CLIENT_SECRET", fake.client_secret)
    monkeypatch.setattr(cfg, "GOOGLE_ADS_DEVELOPER_TOKEN", fake.developer_token)
    monkeypatch.setattr(cfg, "GOOGLE_ADS_API_BASE", fake.url)
    monkeypatch.setattr(cfg, "GOOGLE_TOKEN_URL", fake.token_url)
    monkeypatch.setattr(cfg, "GOOGLE_AUTH_URL", fake.url + "/consent")
    make_org(app, "Agency", "a@agency.example")
    login(client, "a@agency.example")
    start = client.get(f"/connect/google_ads/start?account={account}")
    query = parse_qs(urlparse(start.headers["Location"]).query)
    code = fake.tokens.issue_code("google", query["redirect_uri"][0])
    return client.get(f"/connect/google_ads/callback?code={code}&state={query['state'][0]}")


def test_google_connect_stores_the_manager_as_login_customer_id(app, client, cfg, monkeypatch):
    from tests.fakes.google_ads import FakeGoogleAds

    with FakeGoogleAds(
        manager_id="5550001111", currency_code="EUR", time_zone="Europe/Paris"
    ) as fake:
        resp = _google_connect(app, client, cfg, monkeypatch, fake, "1234567890")
        assert resp.status_code == 302
        with app.app_context():
            conn = db.session.execute(select(Connection)).scalar_one()
            creds = decrypt_credentials(conn.credentials_encrypted)
            assert creds["login_customer_id"] == "5550001111"
            assert (conn.currency, conn.timezone) == ("EUR", "Europe/Paris")
            # and the stored manager makes the sync work (without it: USER_PERMISSION_DENIED)
            from jobs.connectors import build_client

            c = build_client(conn, cfg)
            day = fake.dataset.end
            assert list(c.fetch_ad_metrics(conn.external_account_id, day, day))


def test_google_connect_refuses_an_account_out_of_reach(app, client, cfg, monkeypatch):
    from tests.fakes.google_ads import FakeGoogleAds

    with FakeGoogleAds() as fake:
        resp = _google_connect(app, client, cfg, monkeypatch, fake, "9999999999")
    assert resp.status_code == 302  # flashed message back on /integrations
    with app.app_context():
        assert db.session.scalar(select(func.count(Connection.id))) == 0


def test_tiktok_oauth_redirect_carries_auth_code(
    app, client, cfg, fake_oauth, fake_tiktok, monkeypatch
):
    monkeypatch.setattr(cfg, "TIKTOK_APP_ID", DEFAULT_CLIENTS["tiktok"][0])
    monkeypatch.setattr(cfg, "TIKTOK_APP_SECRET", DEFAULT_CLIENTS["tiktok"][1])
    monkeypatch.setattr(cfg, "TIKTOK_AUTH_URL", fake_oauth.tiktok_auth_url)
    monkeypatch.setattr(cfg, "TIKTOK_TOKEN_URL", fake_oauth.tiktok_token_url)
    monkeypatch.setattr(cfg, "TIKTOK_API_BASE", fake_tiktok.url)
    fake_tiktok.token_store = fake_oauth.store
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    start = client.get(f"/connect/tiktok/start?account={fake_tiktok.advertiser_id}")
    consent = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    back = urlparse(consent.headers["Location"])
    params = parse_qs(back.query)
    assert "auth_code" in params and "code" not in params  # TikTok's documented parameter
    resp = client.get(back.path + "?" + back.query)
    assert resp.status_code == 302
    with app.app_context():
        conn = db.session.execute(select(Connection)).scalar_one()
        assert conn.platform == "tiktok" and conn.timezone == "America/Los_Angeles"


def _shop_webhook(client, body: bytes, secret: str, topic: str, shop: str, event_id: str):
    return client.post(
        "/webhooks/shopify",
        data=body,
        headers={
            "X-Shopify-Hmac-SHA256": sign_webhook(body, secret),
            "X-Shopify-Webhook-Id": event_id,
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": shop,
            "Content-Type": "application/json",
        },
    )


def _shop(app, org_id: int, domain: str, secret: str | None) -> int:
    creds = {"access_token": "shpat_x"} | ({"app_secret": secret} if secret else {})
    with app.app_context():
        conn = Connection(
            org_id=org_id,
            platform="shopify",
            external_account_id=domain,
            credentials_encrypted=encrypt_credentials(creds),
        )
        db.session.add(conn)
        db.session.commit()
        return conn.id


def test_each_shops_webhooks_are_verified_with_that_shops_app_secret(
    app, client, cfg, fake_shopify, monkeypatch
):
    monkeypatch.setattr(cfg, "SHOPIFY_WEBHOOK_SECRET", "")
    a = make_org(app, "A", "a@a.example")
    b = make_org(app, "B", "b@b.example")
    _shop(app, a["org_id"], "acme.myshopify.com", "secret-of-acme-app")
    _shop(app, b["org_id"], "bolt.myshopify.com", "secret-of-bolt-app")
    body, _ = fake_shopify.signed_webhook(fake_shopify.dataset.orders[0].id)
    ok = _shop_webhook(
        client, body, "secret-of-bolt-app", "orders/create", "bolt.myshopify.com", "e1"
    )
    assert ok.get_json() == {"status": "queued"}
    # acme's webhook signed with bolt's secret (or a forged domain) is refused
    forged = _shop_webhook(
        client, body, "secret-of-bolt-app", "orders/create", "acme.myshopify.com", "e2"
    )
    assert forged.status_code == 401


def test_app_uninstalled_disables_the_shop_and_deletes_its_token(app, client, cfg):
    a = make_org(app, "A", "a@a.example")
    conn_id = _shop(app, a["org_id"], "acme.myshopify.com", "s3cret")
    body = json.dumps({"id": 1, "domain": "acme.myshopify.com"}).encode()
    resp = _shop_webhook(client, body, "s3cret", "app/uninstalled", "acme.myshopify.com", "u1")
    assert resp.get_json()["status"] == "disconnected"
    with app.app_context():
        conn = db.session.get(Connection, conn_id)
        assert conn.status == "disabled" and conn.credentials_encrypted is None
        assert "uninstalled" in conn.last_error


def test_a_shops_webhook_touches_only_shopify_connections(app, client, cfg):
    """Mutation survivor: the platform filter dropped, a webhook naming a shop domain also
    matched another platform's connection with that account id (and disabled it)."""
    a = make_org(app, "A", "a@a.example")
    shop = _shop(app, a["org_id"], "acme.myshopify.com", "s3cret")
    with app.app_context():
        other = Connection(
            org_id=a["org_id"], platform="meta", external_account_id="acme.myshopify.com"
        )
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    body = json.dumps({"id": 1, "domain": "acme.myshopify.com"}).encode()
    resp = _shop_webhook(client, body, "s3cret", "app/uninstalled", "acme.myshopify.com", "u9")
    assert resp.get_json() == {"status": "disconnected", "connections": 1}
    with app.app_context():
        assert db.session.get(Connection, shop).status == "disabled"
        assert db.session.get(Connection, other_id).status == "active"


def test_compliance_webhooks_redact_customers_and_shops(app, client, cfg, fake_shopify):
    from models.upsert import upsert_orders

    a = make_org(app, "A", "a@a.example")
    conn_id = _shop(app, a["org_id"], "acme.myshopify.com", "s3cret")
    orders = [o for o in fake_shopify.dataset.orders if o.customer_id][:5]
    with app.app_context():
        rows = [ShopifyClient(fake_shopify.url, SHOPIFY_TOKEN).fetch_order(o.id) for o in orders]
        upsert_orders(db.session, a["org_id"], conn_id, rows)
        db.session.commit()
    target = orders[0].customer_id
    shop = "acme.myshopify.com"
    ask = json.dumps({"shop_domain": shop, "customer": {"id": target}}).encode()
    assert (
        _shop_webhook(client, ask, "s3cret", "customers/data_request", shop, "c1").status_code
        == 200
    )
    redact = json.dumps({"shop_domain": shop, "customer": {"id": target}}).encode()
    assert (
        _shop_webhook(client, redact, "s3cret", "customers/redact", shop, "c2").status_code == 200
    )
    with app.app_context():
        ids = set(db.session.execute(select(Order.customer_external_id)).scalars())
        assert str(target) not in ids and len(ids - {None}) >= 1
    wipe = json.dumps({"shop_domain": shop}).encode()
    assert _shop_webhook(client, wipe, "s3cret", "shop/redact", shop, "c3").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 0


def test_customer_redact_erases_the_raw_order_only_in_that_shop_and_drops_cached_views(
    app, client, cfg, fake_shopify
):
    """Mutation survivors: ``raw`` kept, the shop filter dropped (another org's customer with
    the same id erased), the cache version not bumped (erased data still shown)."""
    from models.upsert import upsert_orders

    a = make_org(app, "A", "a@a.example")
    b = make_org(app, "B", "b@b.example")
    acme = _shop(app, a["org_id"], "acme.myshopify.com", "s3cret")
    bolt = _shop(app, b["org_id"], "bolt.myshopify.com", "b0lt")
    orders = [o for o in fake_shopify.dataset.orders if o.customer_id][:3]
    with app.app_context():
        rows = [ShopifyClient(fake_shopify.url, SHOPIFY_TOKEN).fetch_order(o.id) for o in orders]
        upsert_orders(db.session, a["org_id"], acme, rows)
        upsert_orders(db.session, b["org_id"], bolt, rows)  # same customer ids in B's shop
        # the column may hold the platform's payload (personal data): redact must clear it
        db.session.execute(update(Order).values(raw={"email": "someone@example.com"}))
        db.session.commit()
        version = db.session.get(Organization, a["org_id"]).data_version
    target = str(orders[0].customer_id)
    shop = "acme.myshopify.com"
    redact = json.dumps({"shop_domain": shop, "customer": {"id": target}}).encode()
    assert (
        _shop_webhook(client, redact, "s3cret", "customers/redact", shop, "r1").status_code == 200
    )
    with app.app_context():
        redacted = db.session.execute(
            select(Order).where(Order.connection_id == acme, Order.customer_external_id.is_(None))
        ).scalars()
        raws = [o.raw for o in redacted]
        assert raws and all(r is None for r in raws)
        theirs = db.session.execute(
            select(Order.customer_external_id).where(Order.connection_id == bolt)
        ).scalars()
        assert target in set(theirs)  # B's customer is B's business
        assert db.session.get(Organization, a["org_id"]).data_version > version


def test_connect_subscribes_the_shops_webhooks_and_keeps_its_app_secret(
    app, client, cfg, fake_shopify, monkeypatch
):
    monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", fake_shopify.url)
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    headers = {**csrf_headers(client), "Accept": "application/json"}
    resp = client.post(
        "/connect/shopify",
        json={"shop": "acme", "token": SHOPIFY_TOKEN, "app_secret": "acme-app-secret"},
        headers=headers,
    )
    assert resp.status_code == 201
    topics = sorted(t for t, _ in fake_shopify.subscriptions)
    assert topics == ["APP_UNINSTALLED", "ORDERS_CREATE", "ORDERS_UPDATED"]
    assert all(uri.endswith("/webhooks/shopify") for _, uri in fake_shopify.subscriptions)
    with app.app_context():
        conn = db.session.get(Connection, resp.get_json()["connection_id"])
        assert decrypt_credentials(conn.credentials_encrypted)["app_secret"] == "acme-app-secret"


def _shopify_oauth(app, client, cfg, monkeypatch, fake):
    monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", fake.url)
    monkeypatch.setattr(cfg, "SHOPIFY_CLIENT_ID", fake.client_id)
    monkeypatch.setattr(cfg, "SHOPIFY_CLIENT_SECRET", fake.client_secret)
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    start = client.get("/connect/shopify/start?shop=acme")
    assert start.status_code == 302
    consent = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    return urlparse(consent.headers["Location"])


def test_shopify_oauth_install_stores_an_expiring_token_and_refreshes_it(
    app, client, cfg, fake_shopify, monkeypatch
):
    back = _shopify_oauth(app, client, cfg, monkeypatch, fake_shopify)
    assert back.path == "/connect/shopify/callback"
    resp = client.get(back.path + "?" + back.query)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/integrations")
    exchange = fake_shopify.api_calls("/admin/oauth/access_token")[0]
    assert exchange.form["expiring"] == "1"
    with app.app_context():
        conn = db.session.execute(select(Connection)).scalar_one()
        creds = decrypt_credentials(conn.credentials_encrypted)
        assert creds["access_token"].startswith("shpua_") and creds["refresh_token"]
        assert conn.token_expires_at is not None
        first_refresh = creds["refresh_token"]
    assert {t for t, _ in fake_shopify.subscriptions} >= {"ORDERS_CREATE", "APP_UNINSTALLED"}
    _work(app)  # the backfill runs on the fresh token
    # an hour later: the token is dead, the sync refreshes it first and stores the new pair
    fake_shopify.expire_oauth_tokens()
    with app.app_context():
        conn = db.session.execute(select(Connection)).scalar_one()
        conn.token_expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
        from jobs.sync import start_sync

        start_sync(conn)
    _work(app)
    with app.app_context():
        conn = db.session.execute(select(Connection)).scalar_one()
        creds = decrypt_credentials(conn.credentials_encrypted)
        assert conn.status == "active", conn.last_error
        assert creds["refresh_token"] != first_refresh  # Shopify rotated it; we kept the new one
    grants = [c.form.get("grant_type") for c in fake_shopify.api_calls("/admin/oauth/access_token")]
    assert grants == [None, "refresh_token"]


def test_shopify_oauth_redirect_with_a_bad_signature_is_refused(
    app, client, cfg, fake_shopify, monkeypatch
):
    back = _shopify_oauth(app, client, cfg, monkeypatch, fake_shopify)
    forged = back.query.replace("shop=acme.myshopify.com", "shop=evil.myshopify.com")
    assert client.get(back.path + "?" + forged).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Connection.id))) == 0
