"""Integrations page and onboarding callbacks through Dash's HTTP endpoint, as the browser does.

Every request is a real POST /_dash-update-component with the CSRF header; the org always
comes from the session. Org B's ids must do nothing and show nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from jobs.queue import FlaskSimpleWorker
from models import AdMetricDaily, Connection, Creative, Order, Organization, SyncJob
from models.connections_view import connection_summaries, has_active_sync, sync_history
from models.credentials import encrypt_credentials
from tests.conftest import login, make_org
from tests.fakes.shopify import DEFAULT_TOKEN as SHOPIFY_TOKEN
from tests.helpers.integrations_page import _go, _profile, fire, route

B_SECRET = "beta-secret-account"
URL_STATE = {"id": "url", "property": "pathname", "value": "/integrations"}


@pytest.fixture
def cfg(app, monkeypatch):
    config = app.config["OMNIFY"]
    monkeypatch.setattr(config, "SYNC_RETRY_INTERVALS", "0")
    monkeypatch.setattr(config, "INTEGRATION_RETRY_BASE", 0.01)
    return config


@pytest.fixture
def two_orgs(app):
    a = make_org(app, "Alpha Brand", "owner@alpha.example")
    b = make_org(app, "Beta Brand", "owner@beta.example")
    with app.app_context():
        mine = Connection(
            org_id=a["org_id"],
            platform="meta",
            external_account_id="alpha-account",
            account_name="Alpha EU",
            credentials_encrypted=encrypt_credentials({"access_token": "alpha-token-123456"}),
        )
        theirs = Connection(
            org_id=b["org_id"],
            platform="meta",
            external_account_id=B_SECRET,
            account_name="Beta Secret Ads",
            credentials_encrypted=encrypt_credentials({"access_token": "beta-token-987654"}),
        )
        db.session.add_all([mine, theirs])
        db.session.commit()
        a["connection_id"], b["connection_id"] = mine.id, theirs.id
    return a, b


def click(kind: str, clicked: int, others: tuple = (), prop: str = "n_clicks") -> list:
    items = [{"id": {"type": kind, "index": clicked}, "property": prop, "value": 1}]
    items += [{"id": {"type": kind, "index": o}, "property": prop, "value": None} for o in others]
    return [items]


def shopify_submit(shop: object, token: object) -> tuple[list, list]:
    return (
        [{"id": "shopify-form", "property": "n_submit", "value": 1}],
        [
            {"id": "shopify-shop", "property": "value", "value": shop},
            {"id": "shopify-token", "property": "value", "value": token},
            {"id": "shopify-app-secret", "property": "value", "value": None},
            URL_STATE,
        ],
    )


def _work(app) -> None:
    queue = app.extensions["rq"].queue
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = app
    worker.work(burst=True)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


# ---- read helpers ---------------------------------------------------------------------------
def test_summaries_aggregate_rows_and_pick_latest_sync(app, two_orgs):
    a, b = two_orgs
    with app.app_context():
        cre = Creative(
            org_id=a["org_id"], connection_id=a["connection_id"], platform="meta", external_id="c1"
        )
        db.session.add(cre)
        db.session.flush()
        day = datetime(2026, 1, 1).date()
        db.session.add_all(
            [
                AdMetricDaily(
                    org_id=a["org_id"], creative_id=cre.id, date=day + timedelta(days=i), spend=1
                )
                for i in range(3)
            ]
        )
        old = SyncJob(org_id=a["org_id"], connection_id=a["connection_id"], status="succeeded")
        new = SyncJob(org_id=a["org_id"], connection_id=a["connection_id"], status="running")
        other = SyncJob(org_id=b["org_id"], connection_id=b["connection_id"], status="queued")
        db.session.add_all([old, new, other])
        db.session.commit()
        rows = connection_summaries(a["org_id"])
        assert [r["id"] for r in rows] == [a["connection_id"]]
        assert rows[0]["stored_rows"] == 3 and rows[0]["latest_sync"]["id"] == new.id
        assert rows[0]["token_hint"] == "••••3456"
        assert "alpha-token" not in json.dumps(rows, default=str)
        assert connection_summaries(a["org_id"], [b["connection_id"]]) == []
        assert [h["id"] for h in sync_history(a["org_id"])] == [new.id, old.id]
        assert has_active_sync(a["org_id"])
        db.session.get(SyncJob, new.id).status = "failed"
        db.session.commit()
        assert not has_active_sync(a["org_id"])


# ---- the page -------------------------------------------------------------------------------
def test_page_lists_only_own_connections(app, client, two_orgs):
    a, _ = two_orgs
    login(client, a["email"])
    body = route(client, app, "/integrations")
    assert "Alpha EU" in body and "alpha-account" in body and "••••3456" in body
    assert B_SECRET not in body and "Beta Secret Ads" not in body
    assert "alpha-token-123456" not in body
    for name in ("Meta Ads", "Google Ads", "TikTok Ads", "Shopify"):
        assert name in body


def test_member_sees_sync_now_but_no_connect_or_disconnect(app, client, two_orgs):
    make_org(app, "Gamma", "member@gamma.example", role="member")
    with app.app_context():
        org_id = db.session.execute(
            select(Organization.id).where(Organization.name == "Gamma")
        ).scalar_one()
        db.session.add(Connection(org_id=org_id, platform="tiktok", external_account_id="g1"))
        db.session.commit()
    login(client, "member@gamma.example")
    body = route(client, app, "/integrations")
    assert "int-sync" in body and "Sync now" in body
    assert "int-disconnect" not in body and "shopify-token" not in body
    assert "/connect/meta/start" not in body


def test_oauth_route_problem_is_shown_on_the_page(app, client, two_orgs):
    a, _ = two_orgs
    login(client, a["email"])
    resp = client.get("/connect/google_ads/start?account=123")  # no app id configured
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/integrations")
    assert "not configured on this server" in route(client, app, "/integrations")
    assert "not configured on this server (no app id)" not in route(client, app, "/integrations")


def test_owner_sees_what_to_set_for_an_unconfigured_platform(app, client, two_orgs, monkeypatch):
    a, _ = two_orgs
    monkeypatch.setattr(app.config["OMNIFY"], "APP_BASE_URL", "https://omnify.example.com")
    login(client, a["email"])
    body = route(client, app, "/integrations")
    for text in ("META_APP_ID", "META_APP_SECRET", "GOOGLE_ADS_DEVELOPER_TOKEN", "TIKTOK_APP_ID"):
        assert text in body
    assert "https://omnify.example.com/connect/meta/callback" in body
    assert "Ask whoever runs Omnify" not in body


# ---- sync now -------------------------------------------------------------------------------
def test_sync_now_with_other_orgs_connection_does_nothing(app, client, two_orgs):
    a, b = two_orgs
    login(client, a["email"])
    resp = fire(client, app, "int-sync", click("int-sync", b["connection_id"]))
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "not found" in body and B_SECRET not in body and "Beta" not in body
    assert _count(app, SyncJob) == 0 and app.extensions["rq"].queue.count == 0
    missing = fire(client, app, "int-sync", click("int-sync", 999_999))
    assert (
        missing.get_json()["response"]["int-toasts"] == resp.get_json()["response"]["int-toasts"]
    )  # another org's id reads exactly like a missing one


def test_sync_now_queues_own_connection_once(app, client, two_orgs, cfg):
    a, _ = two_orgs
    login(client, a["email"])
    first = fire(client, app, "int-sync", click("int-sync", a["connection_id"]))
    assert "sync started" in first.get_data(as_text=True)
    again = fire(client, app, "int-sync", click("int-sync", a["connection_id"]))
    assert "already running" in again.get_data(as_text=True)
    with app.app_context():
        jobs = db.session.execute(select(SyncJob)).scalars().all()
        assert [(j.connection_id, j.status) for j in jobs] == [(a["connection_id"], "queued")]
    assert app.extensions["rq"].queue.count == 1


def test_sync_now_ignores_renders_without_a_click(app, client, two_orgs):
    a, _ = two_orgs
    login(client, a["email"])
    items = [[{"id": {"type": "int-sync", "index": a["connection_id"]}, "property": "n_clicks"}]]
    items[0][0]["value"] = None
    resp = fire(client, app, "int-sync", items)
    assert resp.status_code == 204 and _count(app, SyncJob) == 0


def test_sync_now_refuses_disconnected(app, client, two_orgs):
    a, _ = two_orgs
    with app.app_context():
        db.session.get(Connection, a["connection_id"]).status = "disabled"
        db.session.commit()
    login(client, a["email"])
    resp = fire(client, app, "int-sync", click("int-sync", a["connection_id"]))
    assert "disconnected" in resp.get_data(as_text=True) and _count(app, SyncJob) == 0


# ---- live progress --------------------------------------------------------------------------
def _refresh(client, app, live_ids: list[int]):
    return fire(
        client,
        app,
        "int-poll",
        [
            {"id": "int-poll", "property": "n_intervals", "value": 1},
            {"id": "int-kick", "property": "data", "value": 0},
        ],
        wild={"int-live": live_ids, "int-history": ["page"]},
    )


def test_refresh_renders_own_progress_and_nothing_of_other_org(app, client, two_orgs):
    a, b = two_orgs
    with app.app_context():
        db.session.add_all(
            [
                SyncJob(
                    org_id=a["org_id"],
                    connection_id=a["connection_id"],
                    status="running",
                    progress=55,
                ),
                SyncJob(org_id=b["org_id"], connection_id=b["connection_id"], status="failed"),
            ]
        )
        db.session.commit()
    login(client, a["email"])
    resp = _refresh(client, app, [a["connection_id"], b["connection_id"]])
    assert resp.status_code == 200
    data = resp.get_json()["response"]
    body = json.dumps(data)
    assert '"aria-valuenow": 55' in body and '"role": "progressbar"' in body
    assert B_SECRET not in body and "Beta" not in body

    def slot(cid: int) -> str:
        return json.dumps({"index": cid, "type": "int-live"}, separators=(",", ":"))

    assert data[slot(b["connection_id"])]["children"] == []  # B's slot stays empty
    assert "Alpha EU" in json.dumps(data[slot(a["connection_id"])])
    assert data["int-poll"]["disabled"] is False  # A has a running sync: keep polling


def test_refresh_stops_polling_when_nothing_runs(app, client, two_orgs):
    a, _ = two_orgs
    login(client, a["email"])
    data = _refresh(client, app, [a["connection_id"]]).get_json()["response"]
    assert data["int-poll"]["disabled"] is True


def test_sync_runs_to_100_percent_and_history(app, client, cfg, fake_shopify, monkeypatch):
    monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", fake_shopify.url)
    a = make_org(app, "Acme", "a@acme.example")
    with app.app_context():
        conn = Connection(
            org_id=a["org_id"],
            platform="shopify",
            external_account_id="acme.myshopify.com",
            credentials_encrypted=encrypt_credentials({"access_token": SHOPIFY_TOKEN}),
        )
        db.session.add(conn)
        db.session.commit()
        conn_id = conn.id
    login(client, a["email"])
    fire(client, app, "int-sync", click("int-sync", conn_id))
    _work(app)
    data = _refresh(client, app, [conn_id]).get_json()["response"]
    body = json.dumps(data, ensure_ascii=False)
    n = len(fake_shopify.dataset.orders)
    assert '"aria-valuenow": 100' in body and f"Sync finished: {n:,} rows" in body
    assert "Succeeded" in body and "First sync (backfill)" in body
    assert data["int-poll"]["disabled"] is True
    assert SHOPIFY_TOKEN not in body


# ---- disconnect -----------------------------------------------------------------------------
def test_disconnect_other_org_or_as_member_changes_nothing(app, client, two_orgs):
    a, b = two_orgs
    login(client, a["email"])
    resp = fire(
        client,
        app,
        "int-disconnect",
        click("int-disconnect", b["connection_id"], prop="submit_n_clicks"),
        [URL_STATE],
    )
    assert "not found" in resp.get_data(as_text=True) and B_SECRET not in resp.get_data(True)
    with app.app_context():
        theirs = db.session.get(Connection, b["connection_id"])
        assert theirs.status == "active" and theirs.credentials_encrypted
        db.session.get(Organization, a["org_id"]).memberships[0].role = "member"
        db.session.commit()
    resp = fire(
        client,
        app,
        "int-disconnect",
        click("int-disconnect", a["connection_id"], prop="submit_n_clicks"),
        [URL_STATE],
    )
    assert "Only owners and admins" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Connection, a["connection_id"]).status == "active"


def test_admin_disconnect_wipes_token_keeps_data(app, client, two_orgs):
    a, _ = two_orgs
    login(client, a["email"])
    resp = fire(
        client,
        app,
        "int-disconnect",
        click("int-disconnect", a["connection_id"], prop="submit_n_clicks"),
        [URL_STATE],
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Meta Ads disconnected" in body and "Disconnected" in body
    with app.app_context():
        conn = db.session.get(Connection, a["connection_id"])
        assert conn.status == "disabled" and conn.credentials_encrypted is None


# ---- shopify connect ------------------------------------------------------------------------
def test_shopify_bad_token_inline_error_and_no_row(app, client, cfg, fake_shopify, monkeypatch):
    monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", fake_shopify.url)
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    inputs, state = shopify_submit("acme", "shpat_wrong")
    resp = fire(client, app, "shopify-form", inputs, state)
    assert resp.status_code == 200
    data = resp.get_json()["response"]
    assert "did not accept that access token" in json.dumps(data["shopify-feedback"])
    assert set(data) == {"shopify-feedback"}  # cards and toasts untouched
    assert _count(app, Connection) == 0 and _count(app, SyncJob) == 0
    assert "shpat_wrong" not in resp.get_data(as_text=True)


def test_unreachable_shop_is_one_plain_sentence_after_one_attempt(app, client, cfg, monkeypatch):
    import socket

    with socket.socket() as s:  # a local port nobody listens on: refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", f"http://127.0.0.1:{port}")
    monkeypatch.setattr(cfg, "INTEGRATION_RETRY_BASE", 5.0)  # a retry would be seen as a wait
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    resp = fire(client, app, "shopify-form", *shopify_submit("acme", SHOPIFY_TOKEN))
    feedback = json.dumps(resp.get_json()["response"]["shopify-feedback"])
    assert "could not reach a Shopify store at acme.myshopify.com within 5 seconds" in feedback
    assert "Check the shop domain" in feedback
    assert "graphql.json" not in feedback and "ConnectionError" not in feedback
    assert _count(app, Connection) == 0


@pytest.mark.parametrize(
    ("shop", "token"), [("", SHOPIFY_TOKEN), ("acme", ""), (7, 8), (None, None)]
)
def test_shopify_missing_or_odd_input(app, client, cfg, shop, token):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    resp = fire(client, app, "shopify-form", *shopify_submit(shop, token))
    assert "Enter the shop domain" in resp.get_data(as_text=True)
    assert _count(app, Connection) == 0


def test_shopify_good_token_connects_and_queues(app, client, cfg, fake_shopify, monkeypatch):
    monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", fake_shopify.url)
    ids = make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    resp = fire(client, app, "shopify-form", *shopify_submit(" Acme ", SHOPIFY_TOKEN))
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "Shopify connected" in body and "acme.myshopify.com" in body
    assert SHOPIFY_TOKEN not in body
    with app.app_context():
        conn = db.session.execute(select(Connection)).scalar_one()
        assert conn.org_id == ids["org_id"] and conn.status == "active"
        sync = db.session.execute(select(SyncJob)).scalar_one()
        assert sync.connection_id == conn.id and sync.status == "queued"
    assert app.extensions["rq"].queue.count == 1
    _work(app)
    with app.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == len(fake_shopify.dataset.orders)


def test_shopify_connect_refused_for_members(app, client, cfg, fake_shopify, monkeypatch):
    monkeypatch.setattr(cfg, "SHOPIFY_API_BASE", fake_shopify.url)
    make_org(app, "Acme", "m@acme.example", role="member")
    login(client, "m@acme.example")
    resp = fire(client, app, "shopify-form", *shopify_submit("acme", SHOPIFY_TOKEN))
    assert "Only owners and admins" in resp.get_data(as_text=True)
    assert _count(app, Connection) == 0


def _org(app, org_id: int) -> Organization:
    with app.app_context():
        org = db.session.get(Organization, org_id)
        db.session.expunge(org)
        return org


@pytest.mark.parametrize("margin", [0, 150, "lots", None])
def test_onboarding_bad_margin_saves_nothing(app, client, margin):
    ids = make_org(app, "Glow", "g@glow.example")
    login(client, "g@glow.example")
    resp = _profile(client, app, "EUR", "Europe/Berlin", margin)
    data = resp.get_json()["response"]
    assert "Gross margin must be a number from 1 to 100" in json.dumps(data)
    assert data["onb-margin"]["invalid"] is True
    assert not any(k.startswith("onb-wizard") for k in data)
    org = _org(app, ids["org_id"])
    assert (org.currency, org.timezone, org.gross_margin) == ("USD", "UTC", Decimal("0.6500"))
    assert org.onboarding["step"] == "profile"


def test_onboarding_good_profile_saved_and_moves_on(app, client):
    ids = make_org(app, "Glow", "g@glow.example")
    login(client, "g@glow.example")
    assert "Step 1 of 4: Company profile" in route(client, app, "/onboarding")
    resp = _profile(client, app, "EUR", "Europe/Berlin", "62.5")
    body = resp.get_data(as_text=True)
    assert "Step 2 of 4: Connect platforms" in body and "shopify-form" in body
    org = _org(app, ids["org_id"])
    assert (org.currency, org.timezone, org.gross_margin) == (
        "EUR",
        "Europe/Berlin",
        Decimal("0.6250"),
    )
    assert org.onboarding["step"] == "connect"
    assert "Step 2 of 4" in route(client, app, "/onboarding")  # the step survives a reload


def test_onboarding_profile_refused_for_members(app, client):
    ids = make_org(app, "Glow", "m@glow.example", role="member")
    login(client, "m@glow.example")
    resp = _profile(client, app, "EUR", "Europe/Berlin", 60)
    assert "Only owners and admins" in resp.get_data(as_text=True)
    assert _org(app, ids["org_id"]).currency == "USD"


def test_onboarding_steps_skip_and_finish(app, client, two_orgs):
    a, b = two_orgs
    login(client, a["email"])
    assert "Step 2 of 4" in _go(client, app, "connect").get_data(as_text=True)  # skip profile
    backfill = _go(client, app, "backfill").get_data(as_text=True)
    assert "Step 3 of 4: First sync" in backfill and "Alpha EU" in backfill
    assert B_SECRET not in backfill
    insights = _go(client, app, "insights").get_data(as_text=True)
    assert "appear after the first sync" in insights
    assert _org(app, a["org_id"]).onboarding["step"] == "insights"
    assert _go(client, app, "done").status_code == 204  # only real steps via these buttons
    assert _go(client, app, "../admin").status_code == 204
    finish = fire(
        client, app, "onb-finish", [{"id": "onb-finish", "property": "n_clicks", "value": 1}]
    )
    assert json.dumps(finish.get_json()["response"]).count('"/"') == 1
    assert _org(app, a["org_id"]).onboarding["step"] == "done"
    assert _org(app, b["org_id"]).onboarding["step"] == "profile"
    assert "Setup complete" in route(client, app, "/onboarding")


def test_onboarding_insights_wait_then_ready(app, client):
    from models import BrainState

    ids = make_org(app, "Glow", "g@glow.example")
    login(client, "g@glow.example")
    with app.app_context():  # a connected platform: its first sync brings data, so we wait
        db.session.add(
            Connection(
                org_id=ids["org_id"],
                platform="meta",
                external_account_id="act_1",
                credentials_encrypted=encrypt_credentials({"access_token": "t"}),
            )
        )
        db.session.commit()
    poll = [{"id": "onb-insights-poll", "property": "n_intervals", "value": 1}]
    waiting = fire(client, app, "onb-insights-poll", poll).get_json()["response"]
    assert waiting["onb-insights-poll"]["disabled"] is False
    with app.app_context():
        db.session.add(
            BrainState(
                org_id=ids["org_id"],
                schema_version="1",
                memory={},
                oracle={},
                curiosity={},
                notes=[],
                input_fingerprint="x",
                computed_at=datetime.now(UTC),
            )
        )
        db.session.commit()
    ready = fire(client, app, "onb-insights-poll", poll).get_json()["response"]
    assert ready["onb-insights-poll"]["disabled"] is True
    assert "ready" in json.dumps(ready["onb-insights"])
