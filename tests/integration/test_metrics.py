"""GET /metrics: bearer token, and each family moves when its event happens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from extensions import db
from jobs.queue import FlaskSimpleWorker
from models import AdMetricDaily, Campaign, Connection, Creative
from tests.conftest import create_test_app, login, make_org

TOKEN = "metrics-token-for-tests"  # noqa: S105
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def metrics_app(app):
    return create_test_app(METRICS_TOKEN=TOKEN)


def samples(client) -> dict[tuple, float]:
    resp = client.get("/metrics", headers=AUTH)
    assert resp.status_code == 200 and resp.content_type.startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(resp.get_data(True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(all_samples: dict, name: str, **labels: str) -> float:
    return all_samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_needs_the_bearer_token(app, client, metrics_app):
    assert client.get("/metrics").status_code == 404  # no METRICS_TOKEN: off
    c = metrics_app.test_client()
    assert c.get("/metrics").status_code == 401
    assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/metrics", headers=AUTH).status_code == 200


def test_request_and_callback_latency_by_endpoint_and_status(app, metrics_app):
    c = metrics_app.test_client()
    make_org(metrics_app, "Acme", "a@acme.example")
    login(c, "a@acme.example")
    before = samples(c)
    c.get("/api/me")
    c.get("/api/me")
    c.post("/_dash-update-component", json={"output": "nope"})  # 400: malformed
    after = samples(c)
    name = "omnify_http_request_duration_seconds_count"
    labels = {"endpoint": "/api/me", "method": "GET", "status": "200"}
    assert value(after, name, **labels) - value(before, name, **labels) == 2
    bad = {"endpoint": "/_dash-update-component", "method": "POST", "status": "400"}
    assert value(after, name, **bad) - value(before, name, **bad) == 1


def test_dash_callback_latency_is_labelled_by_callback(app, metrics_app):
    from app import get_dash
    from tests.conftest import csrf_headers
    from tests.dash_payloads import callback_payloads

    c = metrics_app.test_client()
    ids = make_org(metrics_app, "Acme", "a@acme.example")
    login(c, "a@acme.example")
    output, body = next(iter(callback_payloads(get_dash(metrics_app), ids)))
    before = samples(c)
    resp = c.post("/_dash-update-component", json=body, headers=csrf_headers(c))
    after = samples(c)
    name = "omnify_dash_callback_duration_seconds_count"
    labels = {"callback": output, "status": str(resp.status_code)}
    assert value(after, name, **labels) - value(before, name, **labels) == 1


def test_job_duration_and_failures_by_kind(app, metrics_app):
    c = metrics_app.test_client()
    before = samples(c)
    queue = metrics_app.extensions["rq"].queue
    queue.enqueue("tests.integration.test_observability.fine_job", 1)
    queue.enqueue("tests.integration.test_observability.failing_job", 1)
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = metrics_app
    worker.work(burst=True)
    after = samples(c)
    count = "omnify_job_duration_seconds_count"
    ok = {"kind": "fine_job", "status": "succeeded"}
    assert value(after, count, **ok) - value(before, count, **ok) == 1
    fails = "omnify_job_failures_total"
    assert value(after, fails, kind="failing_job") - value(before, fails, kind="failing_job") == 1


def test_queue_depth_and_sync_freshness(app, metrics_app):
    c = metrics_app.test_client()
    ids = make_org(metrics_app, "Acme", "a@acme.example")
    with metrics_app.app_context():
        conn = Connection(
            org_id=ids["org_id"],
            platform="meta",
            external_account_id="act_1",
            last_synced_at=datetime.now(UTC) - timedelta(hours=2),
        )
        db.session.add(conn)
        db.session.flush()
        campaign = Campaign(
            org_id=ids["org_id"], connection_id=conn.id, platform="meta", external_id="c"
        )
        db.session.add(campaign)
        db.session.flush()
        creative = Creative(
            org_id=ids["org_id"],
            connection_id=conn.id,
            campaign_id=campaign.id,
            platform="meta",
            external_id="ad",
        )
        db.session.add(creative)
        db.session.flush()
        for days_ago in (9, 3):  # the newest day counts, not the first
            db.session.add(
                AdMetricDaily(
                    org_id=ids["org_id"],
                    creative_id=creative.id,
                    date=date.today() - timedelta(days=days_ago),
                    spend=10,
                )
            )
        db.session.commit()
        conn_id = conn.id
    metrics_app.extensions["rq"].queue.enqueue("tests.integration.test_health.noop")
    s = samples(c)
    assert value(s, "omnify_queue_depth", queue="default") == 1
    assert value(s, "omnify_queue_oldest_job_age_seconds", queue="default") >= 0
    labels = {"org_id": str(ids["org_id"]), "connection_id": str(conn_id), "platform": "meta"}
    assert 7000 < value(s, "omnify_sync_age_seconds", **labels) < 7400
    assert value(s, "omnify_data_newest_day_age_days", **labels) == 3
