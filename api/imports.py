"""Upload a report export (CSV/XLSX), confirm or discard its import; JSON status for scripts.

The upload is a plain multipart form (the file streams to disk, never through a Dash
callback) with the session's CSRF token; this one route accepts bodies up to
``IMPORT_MAX_BYTES``. The file waits in ``IMPORT_DIR`` for the worker that checks it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Blueprint, Flask, flash, jsonify, redirect, request

from extensions import app_config, db
from integrations.file_exports import PLATFORMS
from jobs.imports import enqueue_check, enqueue_import, import_dir
from models.imports import ACTIVE_STATUSES, DataImport, ImportStatus, can_import
from models.tenancy import current_membership, current_org_id, get_scoped_or_404

bp = Blueprint("imports", __name__)
ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
PAGE = "/import"


def allow_large_uploads(server: Flask) -> None:
    """Raise the body limit for the upload route only, before anything reads the form (CSRF)."""

    @server.before_request
    def _import_body_limit() -> None:
        if request.path == "/imports/upload" and request.method == "POST":
            request.max_content_length = app_config().IMPORT_MAX_BYTES


def _back(message: str, category: str = "danger"):  # noqa: ANN202
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=message), 400 if category == "danger" else 200
    flash(message, category)
    return redirect(PAGE)


@bp.post("/imports/upload")
def upload():  # noqa: ANN201
    org_id = current_org_id()
    if not can_import(current_membership().role):
        return _back("Viewers can't import data; ask an admin or a member.")
    file = request.files.get("file")
    if file is None or not file.filename:
        return _back("Choose a file to import first.")
    name = Path(file.filename).name[:255]
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        return _back(
            f'"{name}" is not a CSV or XLSX file. Export the report as CSV or Excel (.xlsx).'
        )
    platform = request.form.get("platform") or None
    if platform is not None and platform not in PLATFORMS:
        platform = None
    folder = import_dir() / str(org_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{secrets.token_hex(12)}{suffix}"
    file.save(target)
    row = DataImport(
        org_id=org_id,
        user_id=current_membership().user_id,
        platform=platform,
        filename=name,
        stored_path=str(target),
        size_bytes=target.stat().st_size,
        status=ImportStatus.CHECKING,
    )
    db.session.add(row)
    db.session.commit()
    enqueue_check(row.id, row.org_id)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(id=row.id, status=row.status), 202
    return redirect(PAGE)


@bp.post("/imports/<int:import_id>/confirm")
def confirm(import_id: int):  # noqa: ANN201
    org_id = current_org_id()
    if not can_import(current_membership().role):
        return _back("Viewers can't import data; ask an admin or a member.")
    row = get_scoped_or_404(DataImport, import_id, org_id)
    if row.status != ImportStatus.READY:
        return _back("This file is not ready to import (check its status above).")
    start_import(row)
    return _back(f"Importing {row.filename}. Progress shows below.", "success")


def start_import(row: DataImport) -> None:
    row.status, row.progress = ImportStatus.IMPORTING, 1
    db.session.commit()
    enqueue_import(row.id, row.org_id)


@bp.post("/imports/<int:import_id>/discard")
def discard(import_id: int):  # noqa: ANN201
    org_id = current_org_id()
    row = get_scoped_or_404(DataImport, import_id, org_id)
    if row.status in ACTIVE_STATUSES:
        return _back("This file is being processed; wait until it finishes.")
    Path(row.stored_path).unlink(missing_ok=True)
    db.session.delete(row)
    db.session.commit()
    return _back(f"{row.filename} removed from the list. Imported data stays.", "success")


@bp.get("/api/imports/<int:import_id>")
def status(import_id: int):  # noqa: ANN201
    row = get_scoped_or_404(DataImport, import_id, current_org_id())
    return jsonify(
        id=row.id,
        status=row.status,
        progress=row.progress,
        rows=row.rows,
        platform=row.platform,
        preview=row.preview,
        error=row.error,
    )
