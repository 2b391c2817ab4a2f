"""Prometheus metrics (prometheus-client), shared by every process of one host.

Under gunicorn (and for `rq worker`s on the same host) set PROMETHEUS_MULTIPROC_DIR to one
empty folder before the processes start (gunicorn.conf.py does it for the web): each process
writes its samples there and `/metrics` adds them up. Without it (tests, the embedded default)
the samples live in this process.

Gauges that describe shared state (queue depth, sync freshness) are not kept here: `/metrics`
reads them from Redis and the database at scrape time (api/metrics.py).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # every process writes its samples there
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5, 5, 10, 30)
JOB_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

HTTP_LATENCY = Histogram(
    "omnify_http_request_duration_seconds",
    "Web request latency by endpoint (the route's rule), method and status",
    ["endpoint", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
CALLBACK_LATENCY = Histogram(
    "omnify_dash_callback_duration_seconds",
    "Dash callback latency by callback (its output id) and status",
    ["callback", "status"],
    buckets=LATENCY_BUCKETS,
)
JOB_DURATION = Histogram(
    "omnify_job_duration_seconds",
    "Background job duration by kind (sync, recompute, narratives, ...) and outcome",
    ["kind", "status"],
    buckets=JOB_BUCKETS,
)
JOB_FAILURES = Counter(
    "omnify_job_failures_total", "Background jobs that failed, by kind", ["kind"]
)
BRAIN_RECOMPUTE = Histogram(
    "omnify_brain_recompute_seconds",
    "Brain recompute duration (MEMORY + ORACLE + CURIOSITY for one org)",
    buckets=JOB_BUCKETS,
)
AI_TOKENS = Counter(
    "omnify_ai_tokens_total", "AI narrative tokens by provider and direction", ["provider", "kind"]
)
AI_COST = Counter("omnify_ai_cost_usd_total", "AI narrative cost in USD by provider", ["provider"])
EMAILS = Counter("omnify_emails_total", "E-mails by outcome (sent, failed)", ["outcome"])

# one sample per job kind: the RQ function's short name
JOB_KINDS = {
    "run_sync": "sync",
    "recompute": "brain",
    "generate": "ai",
    "daily_sync": "schedule",
}


def job_kind(func_name: str | None) -> str:
    """`jobs.sync.run_sync` -> `sync`; unknown functions keep their short name."""
    short = (func_name or "unknown").rsplit(".", 1)[-1]
    return JOB_KINDS.get(short, short)


def observe_request(
    endpoint: str, method: str, status: int, seconds: float, callback: str | None = None
) -> None:
    """One web request (and, for /_dash-update-component, its callback)."""
    HTTP_LATENCY.labels(endpoint, method, str(status)).observe(seconds)
    if callback:
        CALLBACK_LATENCY.labels(callback, str(status)).observe(seconds)


def observe_job(kind: str, ok: bool, seconds: float) -> None:
    JOB_DURATION.labels(kind, "succeeded" if ok else "failed").observe(seconds)
    if not ok:
        JOB_FAILURES.labels(kind).inc()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(extra: CollectorRegistry | None = None) -> tuple[bytes, str]:
    """The text format of every process's samples (plus `extra`'s scrape-time gauges)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    if extra is not None:
        body += generate_latest(extra)
    return body, CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """gunicorn's child_exit hook: drop a dead worker's live gauges."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
