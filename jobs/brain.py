"""RQ job: recompute an org's brain state from its stored data (idempotent, one per org)."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from flask import current_app
from rq import Retry, get_current_job

from extensions import db
from models import BrainState, Organization
from models.billing import LimitReached, check_allowed, record_usage
from models.brain_data import latest_state, org_settings
from models.brain_inputs import input_watermark, load_brain_inputs
from models.events import brain_events
from models.flags import flag_enabled
from ops import metrics

LOCK_TIMEOUT_S = 600


@cache
def brain_code_version() -> str:
    """A hash of the brain's source: a deploy that changes the math recomputes."""
    import brain

    digest = hashlib.sha256()
    for path in sorted(Path(brain.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def inputs_fingerprint(
    watermark: dict, settings: dict, as_of: date | None, events: list[dict] | None = None
) -> str:
    """sha256 of what a state depends on: data watermark, known events, settings, as_of and
    the brain's code."""
    payload = json.dumps(
        {
            "data": watermark,
            "events": events or [],
            "settings": settings,
            "as_of": str(as_of),
            "code": brain_code_version(),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def job_id_for(org_id: int) -> str:
    """One recompute per org at a time: the RQ job id is derived from the org."""
    return f"brain-recompute-{org_id}"


def compute_and_store(
    org_id: int, as_of: date | None = None, timings: dict | None = None
) -> BrainState:
    """Load, compute, store a BrainState row (unchanged inputs -> the latest row is reused).

    ``timings``, if given, receives seconds per stage (load, fingerprint, compute, store).
    """
    from brain.state import compute_brain_state  # heavy: only in workers

    clock = _Clock(timings)
    org = db.session.get(Organization, org_id)
    if org is None:
        raise ValueError(f"organization {org_id} does not exist")
    settings = org_settings(org)
    # feature flag: the known-events behaviour can be switched off per org without a deploy
    events = brain_events(org_id) if flag_enabled("brain_known_events", org_id) else []
    # Cheap: the data version and per-table watermarks, not a hash of every row. New data,
    # events, settings, as_of or brain code (a deploy) -> a new state.
    fingerprint = inputs_fingerprint(input_watermark(org), settings, as_of, events)
    previous = latest_state(org_id)
    clock.lap("fingerprint")
    if previous is not None and previous.input_fingerprint == fingerprint:
        return previous  # idempotent: the same inputs give the same state
    check_allowed(org_id, "recompute", person=False)  # LimitReached: the plan's daily count
    ad_daily, orders = load_brain_inputs(org, as_of)  # only what the brain reads, at wire speed
    clock.lap("load")
    started = time.perf_counter()
    state = compute_brain_state(
        ad_daily, orders, settings, as_of=as_of, org_id=org_id, events=events
    )
    duration_ms = int((time.perf_counter() - started) * 1000)
    clock.lap("compute")
    period = state.get("period") or {}
    row = BrainState(
        org_id=org_id,
        as_of=date.fromisoformat(state["as_of"]) if state.get("as_of") else None,
        period_start=date.fromisoformat(period["start"]) if period.get("start") else None,
        period_end=date.fromisoformat(period["end"]) if period.get("end") else None,
        duration_ms=duration_ms,
        schema_version=str(state["schema_version"]),
        memory=state["memory"],
        oracle=state["oracle"],
        curiosity=state["curiosity"],
        notes=state.get("notes", []),
        settings=state.get("settings", {}),
        input_fingerprint=fingerprint,
    )
    db.session.add(row)
    record_usage(org_id, "recompute")  # counted in the same transaction as the state
    db.session.commit()
    clock.lap("store")
    current_app.logger.info("brain state %s for org %s in %s ms", row.id, org_id, duration_ms)
    metrics.BRAIN_RECOMPUTE.observe(duration_ms / 1000)
    return row


class _Clock:
    """Seconds per stage into a dict (benchmarks); a no-op without one."""

    def __init__(self, timings: dict | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[stage] = now - self.last
        self.last = now


def recompute(org_id: int) -> dict:
    """RQ entry point. A Redis lock keeps two workers from computing one org at once."""
    job = get_current_job()
    if job is None:
        row = compute_and_store(org_id)
        precompute_analytics(org_id)
        after_recompute(row)
        return _result(row)
    with job.connection.lock(f"lock:{job_id_for(org_id)}", timeout=LOCK_TIMEOUT_S):
        job.meta["progress"] = 10
        job.save_meta()
        try:
            row = compute_and_store(org_id)
        except LimitReached as exc:  # visible on the job and the billing page's meter
            db.session.rollback()
            current_app.logger.warning("recompute of org %s skipped: %s", org_id, exc)
            job.meta.update(progress=100, error=str(exc))
            job.save_meta()
            return {"skipped": str(exc), "org_id": org_id}
        job.meta["progress"] = 90
        job.save_meta()
        precompute_analytics(org_id)
        job.meta["progress"] = 100
        job.save_meta()
    after_recompute(row)
    return _result(row)


def after_recompute(row: BrainState) -> None:
    """AI narratives for the new state run as their own job (jobs/narratives.py); a failure to
    queue them never fails the recompute (the page then shows the template summary). Then
    the alerts of the state (jobs/alerts.py: deduplicated, so an unchanged state sends none)."""
    from jobs.alerts import after_recompute as alert_on
    from jobs.narratives import enqueue_narratives

    try:
        enqueue_narratives(row.org_id, row.id)
    except Exception:
        current_app.logger.exception("narratives for brain state %s not queued", row.id)
    try:
        alert_on(row)
    except Exception:  # noqa: BLE001 - alerting must never fail the recompute
        db.session.rollback()
        current_app.logger.exception("alerts for brain state %s failed", row.id)


def precompute_analytics(org_id: int) -> None:
    """Store the analytics page's org-wide aggregates for every web process (best effort)."""
    from models.analytics import precompute_snapshots

    try:
        precompute_snapshots(org_id)
    except Exception:  # noqa: BLE001 - a cache must never fail the recompute
        db.session.rollback()
        current_app.logger.exception("analytics snapshots for org %s failed", org_id)


def _result(row: BrainState) -> dict:
    return {"brain_state_id": row.id, "org_id": row.org_id, "duration_ms": row.duration_ms}


def enqueue_recompute(org_id: int, delay_s: float = 0) -> str:
    """Queue a recompute unless one is already waiting; while one runs, queue one follow-up.

    ``delay_s`` > 0 coalesces bursts (webhooks): the job runs that much later, and every
    request until then joins it, so a burst of N orders costs one recompute, not N.
    """
    from jobs.queue import fetch_job, get_queue

    job_id = job_id_for(org_id)
    existing = fetch_job(job_id)
    status = existing.get_status() if existing is not None else None
    if status in ("queued", "scheduled"):
        return job_id  # the waiting job will read the newest data
    if status == "started":
        # The running job may have read its data already: queue one follow-up (the lock in
        # recompute() runs them one after the other; an unchanged fingerprint costs nothing).
        job_id = job_id + "-next"
        follow_up = fetch_job(job_id)
        if follow_up is not None and follow_up.get_status() in ("queued", "scheduled"):
            return job_id
    options = {
        "job_id": job_id,
        "job_timeout": LOCK_TIMEOUT_S,
        "meta": {"org_id": org_id},
        "retry": Retry(max=2),  # a worker killed mid-recompute: RQ re-queues it (one commit)
    }
    if delay_s > 0:
        get_queue("brain").enqueue_in(timedelta(seconds=delay_s), recompute, org_id, **options)
    else:
        get_queue("brain").enqueue(recompute, org_id, **options)
    return job_id
