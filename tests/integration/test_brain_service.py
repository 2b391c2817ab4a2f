"""The brain as a service: compute through the queue, read the latest state, one job per org."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from brain.synthetic import LUMEN_SEED, generate_brand
from extensions import db
from jobs.brain import enqueue_recompute
from jobs.queue import FlaskSimpleWorker
from models import BrainState
from models.seed import load_frames
from tests.conftest import csrf_headers, login, make_org


@pytest.fixture(scope="module")
def brand():
    return generate_brand(LUMEN_SEED)


def _work(app) -> None:
    queue = app.extensions["rq"].queue
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = app
    worker.work(burst=True)


def test_compute_endpoint_runs_job_and_state_is_served(app, client, brand):
    ids = make_org(app, "Lumen", "cmo@lumen.example")
    with app.app_context():
        load_frames(ids["org_id"], brand.ad_daily, brand.orders)
        db.session.commit()
    login(client, "cmo@lumen.example")
    assert client.get("/api/brain/state").status_code == 404
    resp = client.post("/api/brain/compute", headers=csrf_headers(client))
    assert resp.status_code == 202
    job_id = resp.get_json()["job_id"]
    assert client.get(f"/api/jobs/{job_id}").get_json()["status"] == "queued"
    _work(app)
    assert client.get(f"/api/jobs/{job_id}").get_json()["status"] == "finished"
    state = client.get("/api/brain/state").get_json()
    assert state["org_id"] == ids["org_id"] and state["duration_ms"] >= 0
    assert state["oracle"]["risk"]["level"] in ("YELLOW", "RED")
    assert any(a["type"] == "pause_creative" for a in state["curiosity"]["actions"])
    # Unchanged inputs: a second compute reuses the row (idempotent).
    client.post("/api/brain/compute", headers=csrf_headers(client))
    _work(app)
    with app.app_context():
        assert db.session.scalar(select(func.count(BrainState.id))) == 1


def test_one_recompute_per_org_at_a_time(app):
    ids = make_org(app, "Acme", "a@acme.example")
    with app.app_context():
        first = enqueue_recompute(ids["org_id"])
        second = enqueue_recompute(ids["org_id"])
    assert first == second
    assert app.extensions["rq"].queue.count == 1


def test_job_status_of_another_org_is_404(app, client):
    a = make_org(app, "A", "a@a.example")
    b = make_org(app, "B", "b@b.example")
    with app.app_context():
        job_id = enqueue_recompute(b["org_id"])
    login(client, a["email"])
    assert client.get(f"/api/jobs/{job_id}").status_code == 404


def test_viewer_cannot_start_a_recompute(app, client):
    make_org(app, "A", "v@a.example", role="viewer")
    login(client, "v@a.example")
    assert client.post("/api/brain/compute", headers=csrf_headers(client)).status_code == 403
    assert app.extensions["rq"].queue.count == 0
