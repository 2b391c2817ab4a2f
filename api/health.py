"""Liveness and readiness probes for load balancers and external uptime checkers.

* `GET /healthz`: 200 while the process serves requests (liveness; touches nothing).
* `GET /readyz`: 200 when the database and Redis answer and the scheduler has run (started
  or ran the daily sync) within SCHEDULER_STALE_HOURS (26 h); otherwise 503. The body also
  reports each queue's depth and the age of its oldest waiting job.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, g, jsonify
from sqlalchemy import text

from extensions import app_config, db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # noqa: ANN201
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():  # noqa: ANN201
    from jobs.queue import queue_stats
    from jobs.schedule import scheduler_last_seen

    checks: dict[str, str] = {}
    body: dict = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
        db.session.rollback()
    connection = current_app.extensions["rq"].connection
    try:
        connection.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    if checks["redis"] == "ok":
        body["queues"] = queue_stats(connection)
        seen = scheduler_last_seen(connection)
        stale_h = app_config().SCHEDULER_STALE_HOURS
        if seen is None:
            checks["scheduler"] = "error: has never run"
        else:
            age_h = (datetime.now(UTC) - seen).total_seconds() / 3600
            body["scheduler_last_seen"] = seen.isoformat()
            checks["scheduler"] = (
                "ok" if age_h <= stale_h else f"error: not run for {age_h:.0f} h (> {stale_h:g} h)"
            )
    ok = all(v == "ok" for v in checks.values())
    body.update(status="ok" if ok else "unavailable", checks=checks, request_id=g.get("request_id"))
    return jsonify(body), 200 if ok else 503
