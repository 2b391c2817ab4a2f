"""Read helpers for the Integrations page and the onboarding wizard (always scoped by org_id).

Everything comes back as plain dicts, so layouts (which may not import models) can render
them, and the counts are aggregated in SQL: one query per page, not one per connection.
Credentials never leave this module except as a masked hint.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from extensions import db
from models.credentials import CredentialsError, decrypt_credentials, mask
from models.data import AdMetricDaily, Connection, Creative, Order
from models.ops import ACTIVE_SYNC_STATUSES, SyncJob

HISTORY_LIMIT = 10


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored timestamp is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sync_dict(sync: SyncJob | None) -> dict[str, Any] | None:
    """The fields of a SyncJob the page shows (no RQ ids, no internals)."""
    if sync is None:
        return None
    return {
        "id": sync.id,
        "connection_id": sync.connection_id,
        "trigger": sync.trigger,
        "status": sync.status,
        "progress": int(sync.progress or 0),
        "rows": int(sync.rows or 0),
        "error": sync.error,
        "attempts": int(sync.attempts or 0),
        "created_at": _utc(sync.created_at),
        "started_at": _utc(sync.started_at),
        "finished_at": _utc(sync.finished_at),
    }


def _token_hint(encrypted: bytes | None) -> str:
    """A masked hint of the stored token (e.g. '••••cdef'), or '' when none/unreadable."""
    if not encrypted:
        return ""
    try:
        creds = decrypt_credentials(encrypted)
    except CredentialsError:
        return ""
    return mask(str(creds.get("access_token") or ""))


def _row_counts(org_id: int, connection_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Stored data rows per connection: daily ad metric rows plus store orders (GROUP BY)."""
    ads = (
        select(Creative.connection_id, func.count(AdMetricDaily.id))
        .join(AdMetricDaily, AdMetricDaily.creative_id == Creative.id)
        .where(Creative.org_id == org_id, AdMetricDaily.org_id == org_id)
        .group_by(Creative.connection_id)
    )
    orders = (
        select(Order.connection_id, func.count(Order.id))
        .where(Order.org_id == org_id)
        .group_by(Order.connection_id)
    )
    if connection_ids is not None:
        ids = list(connection_ids)
        ads = ads.where(Creative.connection_id.in_(ids))
        orders = orders.where(Order.connection_id.in_(ids))
    counts: dict[int, int] = {}
    for stmt in (ads, orders):
        for connection_id, n in db.session.execute(stmt):
            counts[connection_id] = counts.get(connection_id, 0) + int(n)
    return counts


def connection_summaries(
    org_id: int, connection_ids: Iterable[int] | None = None, with_hint: bool = True
) -> list[dict[str, Any]]:
    """The org's connections, each with its latest SyncJob and stored row count.

    `connection_ids` narrows the result (ids of other orgs simply match nothing).
    """
    latest = (
        select(SyncJob.connection_id, func.max(SyncJob.id).label("sync_id"))
        .where(SyncJob.org_id == org_id, SyncJob.connection_id.is_not(None))
        .group_by(SyncJob.connection_id)
        .subquery()
    )
    stmt = (
        select(Connection, SyncJob)
        .outerjoin(latest, latest.c.connection_id == Connection.id)
        .outerjoin(SyncJob, (SyncJob.id == latest.c.sync_id) & (SyncJob.org_id == org_id))
        .where(Connection.org_id == org_id)
        .order_by(Connection.platform, Connection.id)
    )
    ids = None
    if connection_ids is not None:
        ids = [i for i in connection_ids if isinstance(i, int) and not isinstance(i, bool)]
        if not ids:
            return []
        stmt = stmt.where(Connection.id.in_(ids))
    rows = db.session.execute(stmt).all()
    counts = _row_counts(org_id, ids)
    return [
        {
            "id": conn.id,
            "platform": conn.platform,
            "account_id": conn.external_account_id,
            "account_name": conn.account_name or "",
            "status": conn.status,
            "source": conn.source,
            "last_synced_at": _utc(conn.last_synced_at),
            "last_error": conn.last_error,
            "token_expires_at": _utc(conn.token_expires_at),
            "token_hint": _token_hint(conn.credentials_encrypted) if with_hint else "",
            "stored_rows": counts.get(conn.id, 0),
            "latest_sync": sync_dict(sync),
        }
        for conn, sync in rows
    ]


def sync_history(org_id: int, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """The org's most recent sync jobs, newest first, with their connection's platform."""
    stmt = (
        select(
            SyncJob, Connection.platform, Connection.account_name, Connection.external_account_id
        )
        .join(Connection, Connection.id == SyncJob.connection_id)
        .where(SyncJob.org_id == org_id, Connection.org_id == org_id)
        .order_by(SyncJob.id.desc())
        .limit(limit)
    )
    history = []
    for sync, platform, name, account in db.session.execute(stmt):
        row = sync_dict(sync)
        row.update(platform=platform, account_name=name or account or "")
        history.append(row)
    return history


def has_active_sync(org_id: int) -> bool:
    """Whether any of the org's syncs is queued or running (the page polls only then)."""
    return (
        db.session.execute(
            select(SyncJob.id)
            .where(SyncJob.org_id == org_id, SyncJob.status.in_(ACTIVE_SYNC_STATUSES))
            .limit(1)
        ).first()
        is not None
    )


def active_sync_id(org_id: int, connection_id: int) -> int | None:
    """The queued/running sync of one of the org's connections, if any."""
    return db.session.execute(
        select(SyncJob.id)
        .where(
            SyncJob.org_id == org_id,
            SyncJob.connection_id == connection_id,
            SyncJob.status.in_(ACTIVE_SYNC_STATUSES),
        )
        .order_by(SyncJob.id.desc())
        .limit(1)
    ).scalar_one_or_none()
