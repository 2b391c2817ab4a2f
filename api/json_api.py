"""JSON API for the logged-in user's organization. The org always comes from current_user."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from jobs.brain import enqueue_recompute
from jobs.queue import fetch_job
from models.billing import LimitReached, check_allowed
from models.brain_data import latest_state
from models.events import (
    EventError,
    add_event,
    brain_events,
    delete_event,
    hide_calendar_entry,
    list_events,
)
from models.permissions import Cap, requires
from models.tenancy import current_membership, current_org_id

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/me")
def me():  # noqa: ANN201
    membership = current_membership()
    return jsonify(
        user={"id": current_user.id, "email": current_user.email, "name": current_user.name},
        org={"id": membership.org.id, "name": membership.org.name, "slug": membership.org.slug},
        role=membership.role,
        persona=membership.persona,
        orgs=[
            {"id": m.org.id, "name": m.org.name, "active": m.org_id == membership.org_id}
            for m in current_user.memberships
        ],
    )


@bp.get("/brain/state")
def brain_state():  # noqa: ANN201
    row = latest_state(current_org_id())
    if row is None:
        return jsonify(error="no brain state yet: connect a platform or run a compute"), 404
    return jsonify(row.as_dict())


@bp.post("/brain/compute")
@requires(Cap.ACT)
def brain_compute():  # noqa: ANN201
    try:
        check_allowed(current_org_id(), "recompute")
    except LimitReached as exc:
        return jsonify(error=str(exc), upgrade_url=exc.upgrade_url), 402
    job_id = enqueue_recompute(current_org_id())
    return jsonify(job_id=job_id, status_url=f"/api/jobs/{job_id}"), 202


@bp.get("/jobs/<job_id>")
def job_status(job_id: str):  # noqa: ANN201
    org_id = current_org_id()
    job = fetch_job(job_id)
    # Only this org's jobs: anything else looks missing.
    if job is None or job.meta.get("org_id") != org_id:
        return jsonify(error="not found"), 404
    status = getattr(job.get_status(), "value", None) or "unknown"  # JobStatus enum -> "queued"
    body = {"job_id": job.id, "status": status, "progress": job.meta.get("progress", 0)}
    if status == "failed":
        body["error"] = job.meta.get("error") or "the job failed; see the sync history"
    return jsonify(body)


@bp.get("/events")
def events_list():  # noqa: ANN201
    """The org's known events: stored ones and the default retail calendar."""
    org_id = current_org_id()
    stored = [e.as_dict() for e in list_events(org_id) if e.note != "removed"]
    calendar = [e for e in brain_events(org_id) if e["source"] == "calendar"]
    return jsonify(events=stored, calendar=calendar)


@bp.post("/events")
@requires(Cap.ACT)
def events_create():  # noqa: ANN201
    """Record a known event (JSON: kind, start, end, optional platform, note)."""
    try:
        ev = add_event(current_org_id(), current_user.id, request.get_json(silent=True))
    except EventError as exc:
        code = 409 if "already" in str(exc) else 400
        return jsonify(error=str(exc)), code
    enqueue_recompute(current_org_id())
    return jsonify(event=ev.as_dict()), 201


@bp.post("/events/calendar/hide")
@requires(Cap.ACT)
def events_hide_calendar():  # noqa: ANN201
    """Hide one default-calendar entry for this org (JSON: kind, start, end)."""
    try:
        hide_calendar_entry(current_org_id(), request.get_json(silent=True))
    except EventError as exc:
        return jsonify(error=str(exc)), 400
    enqueue_recompute(current_org_id())
    return jsonify(hidden=True), 200


@bp.delete("/events/<int:event_id>")
@requires(Cap.ACT)
def events_delete(event_id: int):  # noqa: ANN201
    if not delete_event(current_org_id(), event_id):  # another org's event looks missing
        return jsonify(error="not found"), 404
    enqueue_recompute(current_org_id())
    return "", 204


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str):  # noqa: ANN201 - else Dash's catch-all would answer with its HTML page
    return jsonify(error="not found"), 404
