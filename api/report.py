"""The PDF board report route: GET /reports/board.pdf (the builder is reports/board.py).

Tenant-scoped (current_org_id) and read from the stored latest brain state only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, jsonify, request

from brain.narrative import PERSONAS
from reports.board import build_board_report, report_filename

bp = Blueprint("reports", __name__, url_prefix="/reports")


# ---- the route -------------------------------------------------------------------------------
@bp.get("/board.pdf")
def board_pdf():  # noqa: ANN201
    """The current org's board report; ?persona= picks the wording (default: the member's)."""
    from extensions import db
    from models.billing import LimitReached, check_allowed, record_usage
    from models.brain_data import latest_state
    from models.decisions import decision_summaries
    from models.tenancy import current_membership, current_org_id

    org_id = current_org_id()
    membership = current_membership()
    persona = request.args.get("persona") or membership.persona
    if persona not in PERSONAS:
        return jsonify(error=f"persona must be one of {', '.join(PERSONAS)}"), 400
    row = latest_state(org_id)
    if row is None:
        return jsonify(error="no insights yet: connect a platform and wait for the first sync"), 404
    try:
        check_allowed(org_id, "pdf_export")
    except LimitReached as exc:
        return jsonify(error=str(exc), upgrade_url=exc.upgrade_url), 402
    state = row.as_dict()
    ids = [str(a.get("id")) for a in (state.get("curiosity") or {}).get("actions") or []]
    org = membership.org
    from models.narratives import narratives_for_state

    stored = next(
        (
            n
            for n in narratives_for_state(org_id, row.id)
            if n.kind == "summary" and n.persona == persona
        ),
        None,
    )
    summary = (
        {"text": stored.text, "ai": stored.provider != "template", "model": stored.model}
        if stored is not None
        else None
    )
    pdf = build_board_report(
        state,
        org.name,
        persona,
        decisions=decision_summaries(org_id, ids),
        compress=bool(current_app.config.get("BOARD_REPORT_COMPRESS", True)),
        summary=summary,
    )
    record_usage(org_id, "pdf_export")  # counted once the report is built
    from models.security import audit

    audit("export.board_pdf", org_id, persona=persona, as_of=state.get("as_of"))
    db.session.commit()
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{report_filename(org.slug, state.get("as_of"))}"'
    )
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Generated-At"] = datetime.now(UTC).isoformat(timespec="seconds")
    return resp
