"""CSV exports of the Analytics page: what the view shows, for the same query string.

GET /exports/analytics.csv?range=30d&platform=meta,tiktok&campaign=12 -> the daily series;
GET /exports/analytics-creatives.csv?... -> the creative leaderboard (?limit=all for every
creative with spend). Tenant-scoped from current_user; a malformed filter is a 400 that says
which parameter and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, jsonify, request

from extensions import db
from models import analytics as queries
from models.security import audit
from models.tenancy import current_org_id
from readmodels.analytics import csv_text, export_filename, export_limit

bp = Blueprint("exports", __name__, url_prefix="/exports")


def _csv(filename: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Response:
    resp = Response(csv_text(header, rows), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _bad_request(message: str) -> tuple[Response, int]:
    return jsonify(error=f"bad query parameter: {message}"), 400


_filename = export_filename


@bp.get("/analytics.csv")
def analytics_csv():  # noqa: ANN201
    """The daily series for the filters (store revenue and MER are store-wide)."""
    org_id = current_org_id()
    try:
        filters = queries.parse_filters_strict(request.args)
    except queries.FilterError as exc:
        return _bad_request(str(exc))
    period, rows = queries.daily_export(queries.org_context(org_id), filters)
    _audit_export(org_id, "analytics_daily", request.query_string.decode(errors="replace"))
    return _csv(_filename("analytics_daily", period, filters), queries.DAILY_EXPORT_COLUMNS, rows)


@bp.get("/analytics-creatives.csv")
def creatives_csv():  # noqa: ANN201
    """The creative leaderboard for the filters: the page's top 20, or every creative."""
    org_id = current_org_id()
    args = request.args.to_dict(flat=False)
    raw_limit = ",".join(args.pop("limit", [])).strip().lower()
    try:
        filters = queries.parse_filters_strict(args)
        limit = _limit(raw_limit)
    except queries.FilterError as exc:
        return _bad_request(str(exc))
    period, rows = queries.creative_export(queries.org_context(org_id), filters, limit)
    _audit_export(org_id, "analytics_creatives", request.query_string.decode(errors="replace"))
    return _csv(
        _filename("analytics_creatives", period, filters), queries.CREATIVE_EXPORT_COLUMNS, rows
    )


def _audit_export(org_id: int, name: str, query: str) -> None:
    audit("export.csv", org_id, file=name, query=query[:200])
    db.session.commit()


_limit = export_limit
