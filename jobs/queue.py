"""The job queue: real Redis when REDIS_URL is set, otherwise an embedded one.

Embedded mode (the zero-setup default): an in-process Redis stand-in (fakeredis) with an RQ
worker thread and a scheduler thread inside the web process, so background jobs, retries and
scheduled jobs still run. One web process only (jobs live in memory); anything a user sees
about a job lives in a database row (SyncJob), not in Redis.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from contextlib import AbstractContextManager
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.cron import CronScheduler
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

from extensions import app_config

log = logging.getLogger(__name__)
# Queues by kind of work, so a slow AI call never delays a sync. A worker listens to the
# queues it is given in order (priority); `rq worker ... sync brain ai mail default` takes all.
QUEUE_NAMES = ("sync", "brain", "ai", "mail", "default")
JOB_QUEUES = ("sync", "brain", "ai", "mail")


def _observed(perform: Any, job: Job, *args: Any, **kwargs: Any) -> bool:
    """Run a job with its id as the log context; one JSON log line and metrics per job."""
    from ops import errors, logs, metrics

    kind = metrics.job_kind(job.func_name)
    org_id = job.meta.get("org_id")
    token = logs.current_request_id.set(job.id)
    errors.tag_scope(None, org_id)
    started = time.perf_counter()
    ok = False
    try:
        ok = bool(perform(job, *args, **kwargs))
        return ok
    finally:
        seconds = time.perf_counter() - started
        metrics.observe_job(kind, ok, seconds)
        logs.log_job(job.id, kind, ok, seconds, org_id)
        logs.current_request_id.reset(token)


class FlaskWorker(Worker):
    """`rq worker -w jobs.queue.FlaskWorker`: each job runs inside a fresh app context."""

    flask_app: Flask | None = None

    def perform_job(self, job: Job, *args: Any, **kwargs: Any) -> bool:
        app = self.flask_app or _production_app()
        with app.app_context(), job_scope(job):
            return _observed(super().perform_job, job, *args, **kwargs)


class FlaskSimpleWorker(SimpleWorker):
    """Same as FlaskWorker without forking (tests, and platforms that cannot fork)."""

    flask_app: Flask | None = None

    def perform_job(self, job: Job, *args: Any, **kwargs: Any) -> bool:
        app = self.flask_app or _production_app()
        with app.app_context(), job_scope(job):
            return _observed(super().perform_job, job, *args, **kwargs)


class ThreadWorker(FlaskSimpleWorker):
    """A SimpleWorker that can live in a non-main thread (docs/recipes.md §2)."""

    death_penalty_class = TimerDeathPenalty  # SIGALRM needs the main thread

    def _install_signal_handlers(self) -> None:  # signal.signal() fails off the main thread
        pass

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> Any:
        while not self._stop_requested:  # the stock loop ignores the stop flag while idle
            res = super().dequeue_job_and_maintain_ttl(1, max_idle_time=1)
            if res is not None:
                return res
        return None

    def stop(self) -> None:
        self._stop_requested = True  # warm stop: the current job finishes


class ThreadCron(CronScheduler):
    """The daily cron in a daemon thread of the web process (embedded mode)."""

    def _install_signal_handlers(self) -> None:
        pass


class ThreadScheduler(RQScheduler):
    """RQScheduler.start() forks, which would copy the in-memory Redis; run it in a thread."""

    def _install_signal_handlers(self) -> None:
        pass


def job_scope(job: Job) -> AbstractContextManager:
    """A job sees only the org in its meta (``tenancy.tenant_meta``); a job without one runs
    with no scope, so a tenant query in it raises unless it says ``unscoped(reason)``."""
    from models.tenancy import fresh_scope, org_scope

    org_id = (job.meta or {}).get("org_id")
    return org_scope(int(org_id)) if org_id is not None else fresh_scope()


_cached_app: Flask | None = None


def _production_app() -> Flask:
    global _cached_app
    if _cached_app is None:
        from app import create_app

        _cached_app = create_app()
    return _cached_app


class QueueExtension:
    """Holds the queue(s) of one Flask app (`app.extensions["rq"]`)."""

    def __init__(self) -> None:
        self.connection: Any = None
        self.queue: Queue | None = None
        self.embedded = False
        self._threads: list[threading.Thread] = []
        self._worker: ThreadWorker | None = None
        self._scheduler: ThreadScheduler | None = None

    def stop(self) -> None:
        if self._worker:
            self._worker.stop()
        if self._scheduler:
            self._scheduler.request_stop()
        for t in self._threads:
            t.join(5)
        self._threads = []


def init_app(app: Flask, start_worker: bool = True) -> QueueExtension:
    """Connect the queue; in embedded mode also start the worker and scheduler threads."""
    ext = QueueExtension()
    url = app.config["OMNIFY"].REDIS_URL
    if url:
        ext.connection = Redis.from_url(url)
    else:
        import fakeredis

        ext.connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
        ext.embedded = True
    ext.queue = Queue("default", connection=ext.connection)
    app.extensions["rq"] = ext
    if ext.embedded and start_worker:
        queues = [Queue(name, connection=ext.connection) for name in QUEUE_NAMES]
        worker = ThreadWorker(queues, connection=ext.connection)
        worker.flask_app = app
        scheduler = ThreadScheduler(queues, connection=ext.connection, interval=1)
        ext._worker, ext._scheduler = worker, scheduler
        from jobs.schedule import mark_scheduler, register

        cron = ThreadCron(connection=ext.connection)
        register(cron)
        mark_scheduler("started", ext.connection)
        ext._threads = [
            threading.Thread(target=worker.work, name="rq-worker", daemon=True),
            threading.Thread(target=scheduler.work, name="rq-scheduler", daemon=True),
        ]
        for t in ext._threads:
            t.start()
        # Never joined: it sleeps up to a minute between checks; dies with the process.
        threading.Thread(target=cron.start, name="rq-cron", daemon=True).start()
        atexit.register(ext.stop)
        log.info("embedded queue: fakeredis with an in-process worker and scheduler")
    return ext


def get_queue(kind: str = "default") -> Queue:
    """The queue for a kind of work (sync, brain, ai, mail); QUEUE_ROUTES may send kinds
    elsewhere (empty: everything on `default`)."""
    ext = current_app.extensions["rq"]
    name = app_config().queue_routes.get(kind, "default")
    if name == "default":
        return ext.queue
    return Queue(name, connection=ext.connection)


def fetch_job(job_id: str) -> Job | None:
    from rq.exceptions import NoSuchJobError

    try:
        return Job.fetch(job_id, connection=get_queue().connection)
    except (NoSuchJobError, ValueError):  # ValueError: not a valid job id at all
        return None


def queue_stats(connection: Any = None) -> dict[str, dict[str, float | int | None]]:
    """Per queue: jobs waiting and the age in seconds of the oldest one (None when empty)."""
    from datetime import UTC, datetime

    connection = connection or current_app.extensions["rq"].connection
    out: dict[str, dict[str, float | int | None]] = {}
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=connection)
        oldest_age = None
        first = queue.get_job_ids(0, 1)
        job = fetch_job(first[0]) if first else None
        if job is not None and job.enqueued_at is not None:
            enqueued = job.enqueued_at
            enqueued = enqueued.replace(tzinfo=UTC) if enqueued.tzinfo is None else enqueued
            oldest_age = max(0.0, (datetime.now(UTC) - enqueued).total_seconds())
        out[name] = {"depth": queue.count, "oldest_age_s": oldest_age}
    return out
