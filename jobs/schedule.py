"""The daily schedule: sync every active connection (then the brain recomputes per org).

Production: `rq cron jobs/cron_config.py` next to `rq worker`s.
Embedded mode: the web process runs the same cron in a thread (jobs.queue).
External schedulers: POST /api/cron/daily-sync with the CRON_SECRET bearer token.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from typing import Any

from rq import cron
from sqlalchemy import select

from extensions import db
from models import Connection, SyncJob
from models.data import ConnectionStatus
from models.ops import SyncTrigger
from models.tenancy import unscoped

DEFAULT_CRON = "0 2 * * *"  # 02:00 UTC
DIGEST_CRON = "*/30 * * * *"  # each org's Monday 08:00 falls on one of these ticks


@unscoped("the daily schedule walks every org's connections")
def daily_sync() -> dict:
    """Start a scheduled sync per connection (active, or failed last time), once per UTC day."""
    from jobs.sync import start_sync

    day_start = datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)
    already = set(
        db.session.execute(
            select(SyncJob.connection_id).where(
                SyncJob.trigger == "scheduled", SyncJob.created_at >= day_start
            )
        ).scalars()
    )
    started, skipped = [], []
    connections = db.session.execute(
        select(Connection)
        .where(
            # an outage must not stop tomorrow's sync
            Connection.status.in_((ConnectionStatus.ACTIVE, ConnectionStatus.ERROR)),
            Connection.credentials_encrypted.is_not(None),
        )
        .order_by(Connection.id)
    ).scalars()
    for connection in connections:
        if connection.id in already:
            skipped.append(connection.id)
            continue
        started.append(start_sync(connection, trigger=SyncTrigger.SCHEDULED).id)
    reminded = token_expiry_reminders()
    mark_scheduler("last_run")
    return {
        "started": len(started),
        "skipped": len(skipped),
        "sync_job_ids": started,
        "token_reminders": reminded,
    }


REMIND_DAYS = 7  # Meta user tokens live ~60 days and cannot be refreshed without the user


@unscoped("token reminders look at every org's connections")
def token_expiry_reminders(now: datetime | None = None) -> list[int]:
    """Mail the admins once per token when a connection's token expires within 7 days.

    Part of the daily schedule. Returns the ids of the connections reminded about.
    """
    from jobs.notify import notify_admins
    from jobs.sync import PLATFORM_NAMES

    now = now or datetime.now(UTC)
    due = db.session.execute(
        select(Connection)
        .where(
            Connection.status != ConnectionStatus.DISABLED,
            Connection.credentials_encrypted.is_not(None),
            Connection.token_expires_at.is_not(None),
            Connection.token_expires_at <= now + timedelta(days=REMIND_DAYS),
            Connection.token_reminder_sent_at.is_(None),
        )
        .order_by(Connection.id)
    ).scalars()
    reminded = []
    for conn in due:
        name = PLATFORM_NAMES.get(conn.platform, conn.platform)
        expires = conn.token_expires_at
        expires = expires.replace(tzinfo=UTC) if expires.tzinfo is None else expires
        when = "has expired" if expires <= now else f"expires on {expires:%Y-%m-%d}"
        notify_admins(
            conn.org_id,
            f"Reconnect {name} before it expires",
            f"The {name} authorization for {conn.account_name or conn.external_account_id} "
            f"{when}. Open Integrations and connect {name} again to keep the daily sync "
            "running; your data stays as it is.",
        )
        conn.token_reminder_sent_at = now
        reminded.append(conn.id)
    db.session.commit()
    return reminded


SCHEDULER_KEY = "omnify:scheduler:{}"  # started | last_run: ISO timestamps (UTC) in Redis


def mark_scheduler(what: str, connection: Any = None) -> None:
    """Record that the scheduler started or ran its daily job (/readyz reads it)."""
    if connection is None:
        from flask import current_app

        connection = current_app.extensions["rq"].connection
    connection.set(SCHEDULER_KEY.format(what), datetime.now(UTC).isoformat())


def scheduler_last_seen(connection: Any) -> datetime | None:
    """The newest of the scheduler's start and its last daily run (None: never seen)."""
    seen = []
    for what in ("started", "last_run"):
        raw = connection.get(SCHEDULER_KEY.format(what))
        if raw:
            seen.append(datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw))
    return max(seen) if seen else None


def register(scheduler: object | None = None) -> None:
    """Register the daily sync with an RQ CronScheduler (or the global registry for `rq cron`)."""
    schedule = os.environ.get("DAILY_SYNC_CRON", DEFAULT_CRON)
    target = scheduler.register if scheduler is not None else cron.register
    target(daily_sync, "default", cron=schedule, name="daily-sync", job_timeout=600)
    from jobs.digest import send_digests  # Monday 08:00 local per org: checked every 30 min

    target(send_digests, "default", cron=DIGEST_CRON, name="weekly-digest", job_timeout=600)
