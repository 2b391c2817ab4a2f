"""Status columns take only their enum's values: the database refuses anything else.

The schema here comes from the real migrations (conftest.reset_schema), so these tests check
migration 0012_status_checks on this database, not only the models' CHECKs.
"""

from __future__ import annotations

import importlib.util
from enum import StrEnum

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from config import ROOT
from extensions import db
from layouts import imports as import_views
from layouts import integrations as integration_views
from models.alerts import AlertStatus
from models.data import CONNECTION_SOURCES, Connection, ConnectionStatus
from models.imports import DataImport, ImportStatus
from models.ops import SyncJob, SyncKind, SyncStatus, SyncTrigger
from tests.conftest import make_org

# (table, column) -> the enum whose values the column may hold
COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("connection", "status"): tuple(ConnectionStatus),
    ("connection", "source"): CONNECTION_SOURCES,
    ("sync_job", "status"): tuple(SyncStatus),
    ("sync_job", "kind"): tuple(SyncKind),
    ("sync_job", "trigger"): tuple(SyncTrigger),
    ("data_import", "status"): tuple(ImportStatus),
    ("alert", "status"): tuple(AlertStatus),
}


def _rows(app):  # noqa: ANN001, ANN202
    """One valid row per table; returns {table: id}."""
    org = make_org(app, "Checks", "checks@example.com")
    with app.app_context():
        conn = Connection(org_id=org["org_id"], platform="meta", external_account_id="act_1")
        db.session.add(conn)
        db.session.flush()
        job = SyncJob(org_id=org["org_id"], connection_id=conn.id)
        imp = DataImport(org_id=org["org_id"])
        db.session.add_all([job, imp])
        db.session.execute(
            text(
                "INSERT INTO alert (org_id, key, kind, severity, title, detail, link, status,"
                " created_at, updated_at) VALUES (:o, 'k', 'sync', 'high', 't', '{}', '/',"
                " 'open', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"o": org["org_id"]},
        )
        db.session.commit()
        alert_id = db.session.execute(text("SELECT id FROM alert")).scalar_one()
        return {"connection": conn.id, "sync_job": job.id, "data_import": imp.id, "alert": alert_id}


@pytest.mark.parametrize(("table", "column"), sorted(COLUMNS))
def test_a_value_outside_the_enum_is_refused(app, table, column):
    ids = _rows(app)
    with app.app_context():
        for good in COLUMNS[(table, column)]:  # every member is accepted
            db.session.execute(
                text(f'UPDATE {table} SET "{column}" = :v WHERE id = :i'),
                {"v": str(good), "i": ids[table]},
            )
        db.session.rollback()
        with pytest.raises(IntegrityError):
            db.session.execute(
                text(f'UPDATE {table} SET "{column}" = :v WHERE id = :i'),
                {"v": "Open", "i": ids[table]},  # not a member (members are lower case)
            )
            db.session.flush()
        db.session.rollback()


def test_the_orm_refuses_a_bad_status_too(app):
    ids = _rows(app)
    with app.app_context():
        job = db.session.get(SyncJob, ids["sync_job"])
        job.status = "done"
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_the_migration_snapshot_matches_the_enums():
    """Migration 0012 copies the values; adding a member means a new migration."""
    path = ROOT / "migrations" / "versions" / "0012_status_checks.py"
    spec = importlib.util.spec_from_file_location("status_checks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    snapshot = {(t, c): v for t, cols in module.CHECKS.items() for c, v in cols.items()}
    assert snapshot == {k: tuple(str(v) for v in vals) for k, vals in COLUMNS.items()}


@pytest.mark.parametrize(
    ("view", "enum"),
    [
        (integration_views.SYNC_STATUS_VIEW, SyncStatus),
        (integration_views.TRIGGER_LABELS, SyncTrigger),
        (import_views.STATUS_VIEW, ImportStatus),
        ({k for k in integration_views.STATUS_VIEW if k is not None}, ConnectionStatus),
    ],
)
def test_every_status_has_words_on_the_page(view, enum: type[StrEnum]):
    """layouts/ may not import models (the demo reuses them): their maps say each value."""
    assert set(view) == set(enum)
