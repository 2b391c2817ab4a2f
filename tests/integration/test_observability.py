"""Errors to Sentry (a local fake ingest endpoint), request ids, JSON log lines, LogRocket."""

from __future__ import annotations

import json
import logging
import subprocess

import pytest
import sentry_sdk
from rq import Queue

from config import ROOT
from jobs.queue import FlaskSimpleWorker
from ops.errors import scrub
from ops.logs import JsonFormatter
from tests.conftest import create_test_app, login, make_org
from tests.fakes.sentry import FakeSentry

SECRET = "hunter2-very-secret"  # noqa: S105


def failing_job(org_id: int) -> None:
    """An RQ job that fails with a secret in a local variable."""
    password = SECRET  # noqa: F841 - a local Sentry would send, if not scrubbed
    raise RuntimeError("job failed for a@acme.example")


def fine_job(org_id: int) -> int:
    return org_id


@pytest.fixture
def fake_sentry():
    with FakeSentry() as srv:
        yield srv
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.init()  # no DSN: off again for the other tests


def test_unhandled_error_reaches_sentry_scrubbed_with_tags(app, fake_sentry):
    sentry_app = create_test_app(SENTRY_DSN=fake_sentry.dsn())
    sentry_app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 like production

    @sentry_app.get("/boom")
    def boom():
        password = SECRET  # noqa: F841
        raise RuntimeError("boom for a@acme.example token=abc123")

    ids = make_org(sentry_app, "Acme", "a@acme.example")
    client = sentry_app.test_client()
    login(client, "a@acme.example")
    resp = client.get("/boom", headers={"Authorization": "Bearer sekrit-token-1"})
    assert resp.status_code == 500
    rid = resp.headers["X-Request-ID"]
    assert rid in resp.get_data(True)  # the error page names the request id for support
    sentry_sdk.flush(timeout=5)
    events = fake_sentry.wait_for_events(1)
    assert events, "no event reached the fake Sentry"
    event = events[-1]
    assert event["tags"]["org_id"] == str(ids["org_id"])
    assert event["tags"]["user_id"] == str(ids["user_id"])
    assert event["user"] == {"id": str(ids["user_id"])}
    expected_release = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    assert event["release"] == expected_release
    raw = b"".join(fake_sentry.raw).decode()
    assert "RuntimeError" in raw
    for leaked in (SECRET, "a@acme.example", "abc123", "sekrit-token-1", "session="):
        assert leaked not in raw, f"{leaked!r} reached Sentry"
    integrations = set(event["sdk"]["integrations"])
    assert {"flask", "sqlalchemy", "rq"} <= integrations


def test_failed_rq_job_reaches_sentry_with_org_tag(app, fake_sentry):
    sentry_app = create_test_app(SENTRY_DSN=fake_sentry.dsn())
    queue = Queue("default", connection=sentry_app.extensions["rq"].connection)
    queue.enqueue(failing_job, 42, meta={"org_id": 42})
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = sentry_app
    worker.work(burst=True)
    sentry_sdk.flush(timeout=5)
    events = fake_sentry.wait_for_events(1)
    assert events and events[-1]["tags"]["org_id"] == "42"
    raw = b"".join(fake_sentry.raw).decode()
    assert "job failed" in raw and SECRET not in raw and "a@acme.example" not in raw


def test_scrub_removes_secrets_pii_and_tokens():
    event = {
        "user": {"id": "7", "email": "x@y.example", "ip_address": "1.2.3.4"},
        "request": {
            "url": "https://app.example/reset/abc.def?code=xyz&state=s1",
            "cookies": {"session": "s"},
            "data": {"password": "p"},
            "headers": {"Cookie": "c", "Authorization": "Bearer t", "User-Agent": "ua"},
        },
        "extra": {
            "smtp": "smtp://user:pw@mail.example:587",
            "api_key": "k",
            "note": "sent to z@w.example",
        },
        "exception": {"values": [{"stacktrace": {"frames": [{"vars": {"token": "t1"}}]}}]},
    }
    out = json.dumps(scrub(event))
    for leaked in ("x@y.example", "1.2.3.4", "abc.def", "xyz", "s1", '"p"', "Bearer t", ":pw@"):
        assert leaked not in out, leaked
    assert '"k"' not in out and "t1" not in out and "z@w.example" not in out
    assert "ua" in out  # harmless headers stay


def test_request_id_header_and_json_log_line(app, client, caplog):
    ids = make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    caplog.set_level(logging.INFO, logger="omnify.request")
    resp = client.get("/api/me", headers={"X-Request-ID": "support-1234-abcd"})
    assert resp.headers["X-Request-ID"] == "support-1234-abcd"
    record = next(
        r for r in caplog.records if getattr(r, "request_id", None) == "support-1234-abcd"
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "support-1234-abcd"
    assert line["user_id"] == ids["user_id"] and line["org_id"] == ids["org_id"]
    assert line["status"] == 200 and line["endpoint"] == "/api/me"
    assert isinstance(line["duration_ms"], float)
    # a header that is not a sane id is replaced, never echoed
    resp = client.get("/api/me", headers={"X-Request-ID": "<script>"})
    assert resp.headers["X-Request-ID"] != "<script>" and len(resp.headers["X-Request-ID"]) == 32


def test_request_log_redacts_reset_tokens(app, client, caplog):
    caplog.set_level(logging.INFO, logger="omnify.request")
    client.get("/reset/SECRET-TOKEN-VALUE")
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "omnify.request"]
    assert lines and not any("SECRET-TOKEN-VALUE" in line for line in lines)


def test_database_down_is_a_503_with_the_request_id(app, client):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    down = create_test_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    down_client = down.test_client()
    down_client.set_cookie("session", client.get_cookie("session").value)
    resp = down_client.get("/api/me")  # loading the user needs the database
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["request_id"] == resp.headers["X-Request-ID"]
    assert "database is unavailable" in body["error"]


def test_one_json_log_line_per_job(app, caplog):
    caplog.set_level(logging.INFO, logger="omnify.job")
    queue = Queue("default", connection=app.extensions["rq"].connection)
    ok = queue.enqueue(fine_job, 5, meta={"org_id": 5})
    bad = queue.enqueue(failing_job, 6, meta={"org_id": 6})
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = app
    worker.work(burst=True)
    lines = [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "omnify.job"
    ]
    by_id = {line["job_id"]: line for line in lines}
    assert by_id[ok.id]["status"] == "succeeded" and by_id[ok.id]["org_id"] == 5
    assert by_id[bad.id]["status"] == "failed" and by_id[bad.id]["job_kind"] == "failing_job"
    assert by_id[ok.id]["request_id"] == ok.id  # records inside a job carry its id
    assert all("duration_ms" in line for line in lines)


def test_logrocket_only_when_configured_with_masked_inputs(app, client):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    assert "lr-ingest" not in client.get("/").get_data(True)
    assert client.get("/ops/logrocket-init.js").status_code == 404

    lr_app = create_test_app(LOGROCKET_APP_ID="abc/omnify")
    lr_client = lr_app.test_client()
    ids = make_org(lr_app, "Beta", "b@beta.example")
    login(lr_client, "b@beta.example")
    page = lr_client.get("/")
    html = page.get_data(True)
    assert "https://cdn.lr-ingest.io/LogRocket.min.js" in html and "/ops/logrocket-init.js" in html
    assert "https://cdn.lr-ingest.io" in page.headers["Content-Security-Policy"]
    script = lr_client.get("/ops/logrocket-init.js").get_data(True)
    assert '"abc/omnify"' in script and "inputSanitizer: true" in script
    assert f'identify("{ids["user_id"]}")' in script and "b@beta.example" not in script
