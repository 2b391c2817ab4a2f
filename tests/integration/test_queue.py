"""The queue: jobs run in real workers (SimpleWorker on Redis/fakeredis; the embedded thread)."""

from __future__ import annotations

import time

from rq import Queue

from jobs.queue import FlaskSimpleWorker, init_app
from tests.conftest import create_test_app


def add(a: int, b: int) -> int:
    return a + b


def current_app_name() -> str:
    from flask import current_app

    return current_app.name


def test_job_runs_in_worker_with_app_context(app):
    queue: Queue = app.extensions["rq"].queue
    job = queue.enqueue(current_app_name)
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = app
    worker.work(burst=True)
    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() == "app"


def test_embedded_queue_runs_jobs_in_a_thread():
    app = create_test_app(REDIS_URL="")
    ext = init_app(app, start_worker=True)  # fakeredis + worker thread + scheduler thread
    try:
        assert ext.embedded
        job = ext.queue.enqueue(add, 2, 3)
        deadline = time.monotonic() + 20
        while job.get_status(refresh=True) != "finished" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert job.return_value() == 5
    finally:
        ext.stop()
