"""SIGKILL a real `rq worker` mid-recompute: no half-written brain state is ever visible, and
the re-queued job completes with exactly one new state.

The test holds PostgreSQL's lock on brain_state so the worker is caught exactly between
computing and committing (no timing guess), kills it there, then lets go."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from rq.registry import StartedJobRegistry
from sqlalchemy import create_engine, func, select, text

from extensions import db
from jobs.brain import enqueue_recompute, job_id_for
from jobs.queue import FlaskSimpleWorker
from models import BrainState
from tests.conftest import create_test_app, database_url
from tests.helpers.recompute_kill import kill_session
from tests.helpers.wait import wait_until

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL") or "postgres" not in database_url(),
    reason="needs a real Redis shared with a worker process, and PostgreSQL's table locks",
)


def test_sigkill_mid_recompute_leaves_no_partial_state_and_is_retried(app, tmp_path):
    from models.seed import seed_demo

    app = create_test_app()  # noqa: F811 - the session app migrated the schema
    with app.app_context():
        org_id = seed_demo(with_users=False).id
        db.session.commit()
        enqueue_recompute(org_id)

    blocker = create_engine(database_url()).connect()
    tx = blocker.begin()
    blocker.execute(text("LOCK TABLE brain_state IN EXCLUSIVE MODE"))  # writes wait; reads go
    env = {
        **os.environ,
        "ENV": "testing",
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "QUEUE_ROUTES": "",
    }
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "rq.cli", "worker", "-w", "jobs.queue.FlaskWorker",
         "--url", os.environ["REDIS_URL"], "default"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_until(
            lambda: blocker.execute(
                text(
                    "SELECT count(*) FROM pg_locks "
                    "WHERE relation = 'brain_state'::regclass AND NOT granted"
                )
            ).scalar(),
            90,
            "the worker to reach the brain state write",
        )
        kill_session(worker.pid)  # computed, not committed: worker and horse killed right there
        worker.wait(10)
    finally:
        if worker.poll() is None:
            kill_session(worker.pid)
        log.close()
        tx.rollback()
        blocker.close()

    # the killed backend notices its client is gone, rolls back and lets go of brain_state
    with create_engine(database_url()).connect() as watcher:
        wait_until(
            lambda: (
                not watcher.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE relation = 'brain_state'::regclass"
                        " AND pid <> pg_backend_pid()"
                    )
                ).scalar()
            ),
            30,
            "the killed worker's transaction to end",
        )
    with app.app_context():
        assert db.session.scalar(select(func.count(BrainState.id))) == 0  # nothing half-written
        db.session.remove()
    queue = app.extensions["rq"].queue
    # Time passes: the dead worker's heartbeat and its per-org lock (LOCK_TIMEOUT_S) expire.
    StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 100_000)
    queue.connection.delete(f"lock:{job_id_for(org_id)}")
    assert queue.count >= 1  # re-queued (Retry), not failed
    replacement = FlaskSimpleWorker([queue], connection=queue.connection)
    replacement.flask_app = app
    replacement.work(burst=True)
    with app.app_context():
        states = db.session.execute(select(BrainState).where(BrainState.org_id == org_id)).all()
        assert len(states) == 1
