"""RQ sync jobs: pull a connection's data, upsert it, record progress on its SyncJob row.

- Window: a 90-day backfill on first connect, else since the last sync minus the platform's
  restatement window (Meta 7, Google Ads 14, TikTok 7, Shopify 3 days; configurable).
- Fetch first (progress 0-80 %), then write everything in ONE transaction (80-100 %): a sync
  that fails halfway leaves the previous data intact, and re-running it changes nothing twice.
- One sync per connection at a time (the RQ job id is derived from the connection).
- Transient and rate-limit errors are retried by RQ; an expired token marks the connection
  needs_reauth and mails the admins; anything else fails with a plain-words reason.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rq import Retry, get_current_job
from sqlalchemy import select, update

from extensions import app_config, db
from integrations.errors import (
    AccessDenied,
    AuthExpired,
    BadResponse,
    IntegrationError,
    RateLimited,
    Transient,
)
from integrations.shopify import assign_first_orders
from jobs.connectors import build_client, fetch_ad_rows
from models import Connection, Order, Organization, SyncJob
from models.ad_columns import AdColumns
from models.base import utcnow
from models.billing import record_usage
from models.data import ConnectionStatus
from models.fx import RatesMissing, convert_ad_columns
from models.ops import ACTIVE_SYNC_STATUSES, SyncStatus, SyncTrigger
from models.upsert import (
    bump_data_version,
    upsert_ad_metrics,
    upsert_campaigns_and_creatives,
    upsert_orders,
)

log = logging.getLogger(__name__)
CHUNK_DAYS = 15  # fetch windows; also the progress steps of a backfill
FETCH_SHARE = 80  # progress % reached when fetching is done
PLATFORM_NAMES = {
    "meta": "Meta",
    "google_ads": "Google Ads",
    "tiktok": "TikTok",
    "shopify": "Shopify",
}


def job_id_for(connection_id: int) -> str:
    return f"sync-connection-{connection_id}"


# ---- enqueueing ----------------------------------------------------------------------------
def start_sync(connection: Connection, trigger: str = SyncTrigger.MANUAL) -> SyncJob:
    """Queue a sync unless one is already queued or running for this connection."""
    from jobs.queue import fetch_job, get_queue

    running = db.session.execute(
        select(SyncJob).where(
            SyncJob.connection_id == connection.id, SyncJob.status.in_(ACTIVE_SYNC_STATUSES)
        )
    ).scalar_one_or_none()
    rq_job = fetch_job(job_id_for(connection.id))
    if (
        running is not None
        and rq_job is not None
        and rq_job.get_status() in ("queued", "started", "scheduled", "deferred")
    ):
        return running
    if running is not None:  # stale row: its RQ job is gone (e.g. embedded queue restarted)
        _mark(
            running.id, status=SyncStatus.FAILED, error="The sync was interrupted; started again."
        )
    if connection.last_synced_at is None and trigger == SyncTrigger.MANUAL:
        trigger = SyncTrigger.BACKFILL
    sync = SyncJob(
        org_id=connection.org_id,
        connection_id=connection.id,
        trigger=trigger,
        status=SyncStatus.QUEUED,
        rq_job_id=job_id_for(connection.id),
    )
    db.session.add(sync)
    db.session.commit()
    intervals = app_config().sync_retry_intervals
    get_queue("sync").enqueue(
        run_sync,
        sync.id,
        job_id=job_id_for(connection.id),
        retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
        job_timeout=3600,
        meta={"org_id": connection.org_id, "sync_job_id": sync.id},
    )
    return sync


# ---- the job ---------------------------------------------------------------------------------
def run_sync(sync_job_id: int) -> dict:
    """RQ entry point (takes an id, not an object)."""
    sync = db.session.get(SyncJob, sync_job_id)
    if sync is None:
        return {"skipped": "sync job row is gone"}
    connection = db.session.get(Connection, sync.connection_id)
    if connection is None or connection.status == ConnectionStatus.DISABLED:
        _mark(
            sync_job_id, status=SyncStatus.FAILED, error="The connection was removed or disabled."
        )
        return {"skipped": "connection disabled"}
    org = db.session.get(Organization, connection.org_id)
    name = PLATFORM_NAMES.get(connection.platform, connection.platform)
    _mark(
        sync_job_id,
        status=SyncStatus.RUNNING,
        started_at=utcnow(),
        error=None,
        attempts=SyncJob.attempts + 1,
        progress=1,
    )
    try:
        rows = _sync(connection, org, sync_job_id)
    except AuthExpired:
        db.session.rollback()
        _expired(connection.id, org.id, name, sync_job_id)
        return {"failed": "auth expired"}  # no retry: a person must reconnect
    except (RateLimited, Transient) as exc:
        db.session.rollback()
        if _will_retry(
            sync_job_id, f"{name} is busy or unavailable ({exc}); retrying automatically."
        ):
            raise  # RQ's Retry schedules the next attempt
        _failed(
            connection.id,
            org.id,
            name,
            sync_job_id,
            f"{name} kept failing after several tries: {exc}",
        )
        return {"failed": str(exc)}
    except RatesMissing as exc:
        db.session.rollback()
        _failed(connection.id, org.id, name, sync_job_id, str(exc))
        return {"failed": str(exc)}
    except AccessDenied as exc:
        db.session.rollback()
        _failed(connection.id, org.id, name, sync_job_id, access_message(connection, exc))
        return {"failed": str(exc)}
    except (BadResponse, IntegrationError) as exc:
        db.session.rollback()
        _failed(
            connection.id, org.id, name, sync_job_id, f"{name} sent data we could not read: {exc}"
        )
        return {"failed": str(exc)}
    except Exception:
        db.session.rollback()
        log.exception("sync %s crashed", sync_job_id)
        if _will_retry(sync_job_id, "The sync hit a problem on our side; retrying automatically."):
            raise  # admins hear only of the final failure
        _failed(
            connection.id,
            org.id,
            name,
            sync_job_id,
            "The sync failed on our side; the team has been notified. Your data is unchanged.",
        )
        raise
    _mark(
        sync_job_id,
        status=SyncStatus.SUCCEEDED,
        progress=100,
        rows=rows,
        finished_at=utcnow(),
        error=None,
    )
    from jobs.alerts import connection_ok
    from jobs.brain import enqueue_recompute

    connection_ok(org.id, connection.id)
    enqueue_recompute(org.id)
    return {"rows": rows}


def access_message(connection: Connection, exc: AccessDenied) -> str:
    """Plain words for a permission problem: what to grant, not "reconnect" (which loops)."""
    if connection.platform == "shopify":
        from jobs.connections import shopify_scope_message

        return shopify_scope_message(exc.required)
    name = PLATFORM_NAMES.get(connection.platform, connection.platform)
    return f"{name} refused access to this account: {exc}"


def _will_retry(sync_job_id: int, reason: str) -> bool:
    """When RQ has retries left, say so on the row (the caller re-raises to use one)."""
    job = get_current_job()
    if job is None or not job.retries_left:
        return False
    _mark(sync_job_id, status=SyncStatus.QUEUED, error=reason)
    return True


def _sync(connection: Connection, org: Organization, sync_job_id: int) -> int:
    config = app_config()
    client = build_client(connection, config)
    if connection.platform == "shopify":
        rows = _sync_orders(connection, client, sync_job_id, config.restate_days("shopify"), config)
    else:
        rows = _sync_ads(connection, org, client, sync_job_id, config)
    connection.last_synced_at = utcnow()
    connection.status = ConnectionStatus.ACTIVE
    connection.last_error = None
    bump_data_version(db.session, connection.org_id)
    record_usage(connection.org_id, "sync")
    db.session.commit()  # the single data transaction ends here
    return rows


def sync_window(
    connection: Connection,
    org: Organization,
    backfill_days: int,
    restate_days: int,
    today: date | None = None,
) -> tuple[date, date]:
    """Dates to pull, in the ad account's time zone (the org's when unknown), ending
    yesterday (today is incomplete). Platforms report days in the account's zone."""
    zone = ZoneInfo(connection.timezone or org.timezone or "UTC")
    today = today or datetime.now(zone).date()
    until = today - timedelta(days=1)
    if connection.last_synced_at is None:
        since = until - timedelta(days=backfill_days - 1)
    else:
        last = connection.last_synced_at
        last = last.replace(tzinfo=UTC) if last.tzinfo is None else last
        since = last.astimezone(zone).date() - timedelta(days=restate_days)
    return min(since, until), until


def _sync_ads(
    connection: Connection, org: Organization, client: object, sync_job_id: int, config: object
) -> int:
    since, until = sync_window(
        connection, org, config.SYNC_BACKFILL_DAYS, config.restate_days(connection.platform)
    )
    chunks = []
    start = since
    while start <= until:
        chunks.append((start, min(until, start + timedelta(days=CHUNK_DAYS - 1))))
        start += timedelta(days=CHUNK_DAYS)
    fetched = AdColumns()  # rows become arrays as each chunk arrives (no dict per row held)
    for i, (a, b) in enumerate(chunks, 1):
        fetched.extend(fetch_ad_rows(client, connection, a, b))
        _mark(sync_job_id, progress=max(1, FETCH_SHARE * i // len(chunks)), rows=len(fetched))
    # spend in the org's currency, at each day's rate (refused when rates are missing)
    convert_ad_columns(db.session, fetched, connection.currency, org.currency)
    creative_ids = upsert_campaigns_and_creatives(
        db.session, connection.org_id, connection.id, connection.platform, fetched
    )
    return upsert_ad_metrics(db.session, connection.org_id, creative_ids, fetched)


def _sync_orders(
    connection: Connection,
    client: object,
    sync_job_id: int,
    restate_days: int,
    config: object = None,
) -> int:
    since = None
    if connection.last_synced_at is not None:
        since = connection.last_synced_at - timedelta(days=restate_days)
    # a backfill reads every order through a bulk operation (JSONL), not page by page
    bulk = since is None and getattr(config, "SHOPIFY_BULK_BACKFILL", False)
    source = client.bulk_fetch_orders() if bulk else client.fetch_orders(since)
    fetched = []
    for n, order in enumerate(source, 1):
        fetched.append(order)
        if n % 1000 == 0:  # unknown total: creep towards the fetch share
            _mark(sync_job_id, progress=min(FETCH_SHARE - 1, 5 + n // 1000), rows=n)
    customers = {o["customer_id"] for o in fetched if o.get("customer_id")}
    known = {}
    if customers:
        for cid, placed, ext in db.session.execute(
            select(Order.customer_external_id, Order.placed_at, Order.external_id).where(
                Order.connection_id == connection.id,
                Order.is_first_order.is_(True),
                Order.customer_external_id.in_(customers),
            )
        ):
            placed = placed.replace(tzinfo=UTC) if placed.tzinfo is None else placed
            known[cid] = (placed, ext)
    # Paged reads know each customer's first order (the database can only demote a flag);
    # a bulk backfill holds every order, so the earliest per customer is the first.
    fetched = assign_first_orders(fetched, known, trust_row_flags=not bulk)
    _mark(sync_job_id, progress=FETCH_SHARE, rows=len(fetched))
    return upsert_orders(db.session, connection.org_id, connection.id, fetched)


# ---- bookkeeping (own short transactions, visible while the data transaction runs) --------
def _mark(sync_job_id: int, **values: object) -> None:
    """Progress is written while no data is (SQLite has one writer): fetch, then write."""
    with db.engine.begin() as conn:
        conn.execute(update(SyncJob).where(SyncJob.id == sync_job_id).values(**values))


def _failed(connection_id: int, org_id: int, name: str, sync_job_id: int, reason: str) -> None:
    _fail(sync_job_id, connection_id, ConnectionStatus.ERROR, reason)
    _alert(org_id, connection_id, "sync", f"{name} sync failed", reason)


def _expired(connection_id: int, org_id: int, name: str, sync_job_id: int) -> None:
    reason = f"The {name} connection expired or was revoked. Reconnect it on the Integrations page."
    _fail(sync_job_id, connection_id, ConnectionStatus.NEEDS_REAUTH, reason)
    _alert(org_id, connection_id, "reauth", f"Reconnect {name}", reason)


def _fail(sync_job_id: int, connection_id: int, status: ConnectionStatus, reason: str) -> None:
    """The job failed; the connection says why (its status and last error)."""
    _mark(sync_job_id, status=SyncStatus.FAILED, error=reason, finished_at=utcnow())
    with db.engine.begin() as conn:
        conn.execute(
            update(Connection)
            .where(Connection.id == connection_id)
            .values(status=status, last_error=reason)
        )


def _alert(org_id: int, connection_id: int, kind: str, title: str, reason: str) -> None:
    """Tell the admins once per problem (jobs/alerts.py dedupes); never fails the job."""
    from jobs.alerts import connection_problem

    try:
        connection_problem(org_id, connection_id, kind, title, reason)
    except Exception:  # noqa: BLE001 - the failure is already on the SyncJob row
        db.session.rollback()
        log.exception("alert for connection %s not sent", connection_id)
