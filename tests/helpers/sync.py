"""Shared by tests (moved from tests/integration/test_sync.py:
test modules do not import each other)."""

from __future__ import annotations

from extensions import db
from jobs.queue import FlaskSimpleWorker
from jobs.sync import start_sync
from models import Connection, SyncJob
from models.credentials import encrypt_credentials


def _connection(app, org_id: int, platform: str, account: str, token: str) -> int:
    with app.app_context():
        conn = Connection(
            org_id=org_id,
            platform=platform,
            external_account_id=account,
            credentials_encrypted=encrypt_credentials({"access_token": token}),
        )
        db.session.add(conn)
        db.session.commit()
        return conn.id


def _run_worker(app) -> None:
    queue = app.extensions["rq"].queue
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = app
    worker.work(burst=True)


def _sync_once(app, connection_id: int) -> SyncJob:
    with app.app_context():
        sync_id = start_sync(db.session.get(Connection, connection_id)).id
    _run_worker(app)
    with app.app_context():
        return db.session.get(SyncJob, sync_id)
