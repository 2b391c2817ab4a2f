"""Import page callbacks: the page per request, and a poll while a file is checked or imported.

The org always comes from the logged-in user; only its own imports are listed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
from dash import Input, Output, html
from flask import get_flashed_messages
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from extensions import db
from integrations.file_exports import PLATFORMS
from layouts import imports as views
from layouts.integrations import relative_time
from models.imports import DataImport, can_import
from models.tenancy import current_membership, current_org_id

RECENT = 10


def import_items(org_id: int) -> list[dict[str, Any]]:
    rows = (
        db.session.execute(
            select(DataImport)
            .where(DataImport.org_id == org_id)
            .order_by(DataImport.id.desc())
            .limit(RECENT)
        )
        .scalars()
        .all()
    )
    now = datetime.now(UTC)
    return [
        {
            "id": r.id,
            "filename": r.filename,
            "status": r.status,
            "progress": r.progress,
            "rows": r.rows,
            "preview": r.preview,
            "error": r.error,
            "when": f"Uploaded {relative_time(r.created_at, now)}",
        }
        for r in rows
    ]


def guides() -> list[tuple[str, str]]:
    return [(p.name, p.how_to) for p in PLATFORMS.values()]


def page() -> html.Div:
    org_id = current_org_id()
    allowed = can_import(current_membership().role)
    return views.import_page(
        import_items(org_id),
        generate_csrf(),
        guides(),
        allowed,
        get_flashed_messages(with_categories=True),
    )


def validation_children() -> html.Div:
    sample = {"id": 0, "filename": "x.csv", "status": "checking", "progress": 1, "rows": 0}
    return views.import_page([sample], "", guides())


FILE_INPUT_JS = """function(id){
    var slot = document.getElementById(id);
    if (slot && !slot.querySelector('input[type=file]')) {
        var input = document.createElement('input');
        input.type = 'file'; input.name = 'file'; input.id = 'imp-file'; input.required = true;
        input.accept = '.csv,.tsv,.txt,.xlsx'; input.className = 'form-control';
        input.setAttribute('aria-describedby', 'imp-file-help');
        input.disabled = slot.getAttribute('data-disabled') === '1';
        slot.appendChild(input);
    }
    return 'ready';
}"""


def register_callbacks(app: dash.Dash) -> None:
    app.clientside_callback(
        FILE_INPUT_JS, Output(views.FILE_SLOT, "title"), Input(views.FILE_SLOT, "id")
    )

    @app.callback(
        Output(views.LIST, "children"),
        Output(views.POLL, "disabled"),
        Input(views.POLL, "n_intervals"),
        prevent_initial_call=True,
    )
    def refresh(_n: Any) -> tuple:
        org_id = current_org_id()
        items = import_items(org_id)
        allowed = can_import(current_membership().role)
        active = any(views.is_active(i["status"]) for i in items)
        return views.import_list(items, generate_csrf(), allowed), not active
