"""Cron over HTTP for external schedulers: POST /api/cron/daily-sync with the bearer secret."""

from __future__ import annotations

import hmac

from flask import Blueprint, jsonify, request

from extensions import app_config, csrf
from jobs.queue import get_queue
from jobs.schedule import daily_sync

bp = Blueprint("cron", __name__, url_prefix="/api/cron")


def _authorized() -> bool:
    secret = app_config().CRON_SECRET
    header = request.headers.get("Authorization", "")
    if not secret or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].encode(), secret.encode())


@bp.post("/daily-sync")
@csrf.exempt  # authenticated by the bearer secret, not a browser session
def daily_sync_endpoint():  # noqa: ANN201
    if not _authorized():
        return jsonify(error="a valid Authorization: Bearer <CRON_SECRET> header is required"), 401
    job = get_queue().enqueue(daily_sync, job_timeout=600)
    return jsonify(job_id=job.id, status="queued"), 202
