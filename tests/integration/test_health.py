from __future__ import annotations

from tests.conftest import create_test_app, login, make_org


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_ok(client):
    body = client.get("/readyz").get_json()
    assert body["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_503_when_database_unreachable():
    app = create_test_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["database"].startswith("error")


def test_readyz_503_when_redis_unreachable():
    from redis import Redis

    app = create_test_app()
    # Only the queue's connection goes bad (the rate limiter's storage is process-wide).
    app.extensions["rq"].connection = Redis.from_url("redis://127.0.0.1:1/0")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["redis"].startswith("error")


def test_api_me(app, client):
    ids = make_org(app, "Acme", "a@acme.example", persona="director")
    login(client, "a@acme.example")
    body = client.get("/api/me").get_json()
    assert body["org"]["id"] == ids["org_id"] and body["persona"] == "director"
    assert body["orgs"] == [{"id": ids["org_id"], "name": "Acme", "active": True}]


def test_unknown_api_path_is_json_404(app, client):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    resp = client.get("/api/nope")
    assert resp.status_code == 404 and resp.get_json() == {"error": "not found"}


def test_security_headers_and_csrf_cookie(app, client):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    resp = client.get("/api/me")
    assert resp.headers["X-Frame-Options"] == "DENY"
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("_csrf_token="))
    assert "HttpOnly" not in cookie and "SameSite=Lax" in cookie
