"""The PDF board report route: GET /reports/board.pdf (the builder is reports/board.py).

Tenant-scoped (current_org_id): the stored latest brain state, and the overview's chosen
period (``?range=7d&compare=year``, the overview's URL parameters) summed by the analytics
read model as the overview's tiles are.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, jsonify, request

from brain.narrative import PERSONAS
from reports.board import build_board_report, report_filename

bp = Blueprint("reports", __name__, url_prefix="/reports")


# ---- the period ------------------------------------------------------------------------------
def chosen_period(org_id: int, state: dict) -> dict | None:
    """The overview's period from this request's query string (range, start, end, compare, as
    in the overview's URL): the same read model and view function as the overview's tiles
    (models.analytics.analytics_view, layouts.overview.period_numbers). Unknown or malformed
    values fall back to the default period (the lenient parse the pages use); None, and the
    brain's window in the report, when the org has no data or the sums fail."""
    from layouts import periods
    from layouts.overview import period_numbers
    from models import analytics as queries

    try:
        org = queries.org_context(org_id)
        if not org.has_data:
            return None
        view = queries.analytics_view(org, periods.page_filters(request.query_string.decode()))
    except Exception:  # the report still goes out, on the brain's window, and says so
        current_app.logger.exception("board pdf: the period of org %s could not be summed", org_id)
        return None
    totals = (state.get("memory") or {}).get("totals") or {}
    return period_numbers(view, totals.get("ltv_factor"))


# ---- the route -------------------------------------------------------------------------------
@bp.get("/board.pdf")
def board_pdf():  # noqa: ANN201
    """The current org's board report; ?persona= picks the wording (default: the member's),
    ?range=, ?start=, ?end= and ?compare= the period (default: the overview's default)."""
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
    chosen = chosen_period(org_id, state)
    pdf = build_board_report(
        state,
        org.name,
        persona,
        decisions=decision_summaries(org_id, ids),
        compress=bool(current_app.config.get("BOARD_REPORT_COMPRESS", True)),
        summary=summary,
        chosen=chosen,
    )
    record_usage(org_id, "pdf_export")  # counted once the report is built
    from models.security import audit

    audit(
        "export.board_pdf",
        org_id,
        persona=persona,
        as_of=state.get("as_of"),
        period=(chosen or {}).get("query"),
    )
    db.session.commit()
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{report_filename(org.slug, state.get("as_of"), chosen)}"'
    )
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Generated-At"] = datetime.now(UTC).isoformat(timespec="seconds")
    return resp
