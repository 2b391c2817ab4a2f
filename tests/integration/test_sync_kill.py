"""SIGKILL a real `rq worker` mid-sync: the retried job completes, no rows lost or duplicated."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from cryptography.fernet import Fernet
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select

from extensions import db
from jobs.queue import FlaskSimpleWorker
from jobs.sync import start_sync
from models import AdMetricDaily, Connection, SyncJob
from models.credentials import encrypt_credentials
from tests.conftest import create_test_app, database_url, make_org, truncate_all
from tests.fakes.meta import DEFAULT_TOKEN
from tests.helpers.recompute_kill import kill_session

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs a real Redis shared with a worker process"
)


def test_sigkill_mid_sync_then_retry_completes(app, fake_meta, tmp_path):
    # `app` (the session app) has migrated the schema; this test needs its own config.
    key = Fernet.generate_key().decode()
    app = create_test_app(  # noqa: F811 - shadowing the fixture on purpose
        CREDENTIALS_KEY=key,
        META_API_BASE=fake_meta.url,
        SYNC_RETRY_INTERVALS="0,0,0",
        INTEGRATION_RETRY_BASE=0.01,
    )
    fake_meta.set_scenario(page_size=20)

    @fake_meta.app.before_request
    def _slow():  # slow pages so the kill lands mid-sync
        time.sleep(0.15)

    ids = make_org(app, "Acme", "a@acme.example")
    with app.app_context():
        conn = Connection(
            org_id=ids["org_id"],
            platform="meta",
            external_account_id="act_1234567890",
            credentials_encrypted=encrypt_credentials({"access_token": DEFAULT_TOKEN}),
        )
        db.session.add(conn)
        db.session.commit()
        sync_id = start_sync(conn).id

    env = {
        **os.environ,
        "ENV": "testing",
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "CREDENTIALS_KEY": key,
        "META_API_BASE": fake_meta.url,
        "INTEGRATION_RETRY_BASE": "0.01",
        "SECRET_KEY": "test-secret-key-not-for-production",
    }
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rq.cli",
            "worker",
            "-w",
            "jobs.queue.FlaskWorker",
            "--url",
            os.environ["REDIS_URL"],
            "default",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        progress = 0
        while time.monotonic() < deadline:
            with app.app_context():
                progress = db.session.get(SyncJob, sync_id).progress
                db.session.remove()
            if progress >= 20:
                break
            time.sleep(0.1)
        assert 0 < progress < 100, f"sync did not get going (progress {progress})"
        kill_session(worker.pid)  # the worker and its work horse (its own process group)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            kill_session(worker.pid)
        log.close()

    with app.app_context():
        assert db.session.scalar(select(func.count(AdMetricDaily.id))) == 0  # nothing partial
    # Time passes: the worker's heartbeat is gone; maintenance re-queues the abandoned job.
    queue = app.extensions["rq"].queue
    StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 100_000)
    assert queue.count == 1
    replacement = FlaskSimpleWorker([queue], connection=queue.connection)
    replacement.flask_app = app
    replacement.work(burst=True)
    with app.app_context():
        sync = db.session.get(SyncJob, sync_id)
        rows = db.session.scalar(select(func.count(AdMetricDaily.id)))
        distinct = db.session.scalar(
            select(func.count()).select_from(
                select(AdMetricDaily.creative_id, AdMetricDaily.date).distinct().subquery()
            )
        )
    expected = fake_meta.dataset.totals()["rows"]
    assert sync.status == "succeeded", sync.error
    assert sync.attempts >= 2
    assert rows == distinct == expected
    truncate_all(app)
