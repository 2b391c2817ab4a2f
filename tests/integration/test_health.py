from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import create_test_app, login, make_org


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_ok(app, client):
    from jobs.schedule import mark_scheduler

    with app.app_context():
        mark_scheduler("started")
    resp = client.get("/readyz")
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["checks"] == {"database": "ok", "redis": "ok", "scheduler": "ok"}
    assert body["queues"]["default"] == {"depth": 0, "oldest_age_s": None}


def test_readyz_503_when_the_scheduler_has_not_run_for_26_hours(app, client):
    from jobs.schedule import SCHEDULER_KEY

    redis = app.extensions["rq"].connection
    assert client.get("/readyz").status_code == 503  # never ran
    long_ago = (datetime.now(UTC) - timedelta(hours=27)).isoformat()
    redis.set(SCHEDULER_KEY.format("started"), long_ago)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["scheduler"].startswith("error: not run for 27 h")
    recent = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    redis.set(SCHEDULER_KEY.format("last_run"), recent)  # the daily sync ran yesterday
    assert client.get("/readyz").status_code == 200


def test_readyz_reports_queue_depth_and_oldest_job_age(app, client):
    from jobs.schedule import mark_scheduler

    with app.app_context():
        mark_scheduler("started")
    queue = app.extensions["rq"].queue
    queue.enqueue("tests.integration.test_health.noop")
    queue.enqueue("tests.integration.test_health.noop")
    stats = client.get("/readyz").get_json()["queues"]["default"]
    assert stats["depth"] == 2 and stats["oldest_age_s"] >= 0


def noop() -> None:
    pass


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
