"""RQ jobs for file imports: check a file (preview), then import it when a person confirms.

- ``check_import`` streams the whole file once: recognises the platform, validates every row
  (a problem names the row and the column) and stores a preview (rows, date range, totals).
- ``run_import`` streams it again and writes chunk by chunk (one transaction per chunk, so
  progress can be recorded between them even on SQLite's single writer), then sets first-order
  flags, marks the data changed and queues a brain recompute. Upserts on the sync's natural
  keys make a re-import a no-op and an overlapping file an update.
- Memory is bounded by ``IMPORT_CHUNK_ROWS`` whatever the file's size.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select, update

from config import ROOT
from extensions import app_config, db
from integrations.file_exports import PLATFORMS, ImportProblem, read_chunks, sniff
from models.base import utcnow
from models.data import Connection, ConnectionStatus
from models.fx import RatesMissing
from models.imports import (
    DataImport,
    ImportStatus,
    convert_spend,
    import_connection,
    mark_first_orders,
    touch_connection,
    write_ads,
    write_orders,
)
from models.org import Organization
from models.tenancy import tenant_meta
from models.upsert import bump_data_version

log = logging.getLogger(__name__)
CHECK_SHARE = 100


def import_dir() -> Path:
    cfg = app_config()
    return Path(cfg.IMPORT_DIR) if cfg.IMPORT_DIR else ROOT / "instance" / "imports"


def job_id_for(import_id: int) -> str:
    return f"data-import-{import_id}"


def _chunk_rows() -> int:
    return int(app_config().IMPORT_CHUNK_ROWS)


def enqueue_check(import_id: int, org_id: int) -> None:
    _enqueue(check_import, import_id, org_id, timeout=3600)


def enqueue_import(import_id: int, org_id: int) -> None:
    _enqueue(run_import, import_id, org_id, timeout=7200)


def _enqueue(fn: object, import_id: int, org_id: int, timeout: int) -> None:
    """Both steps of an import run as the import's one job id, in its org's scope."""
    from jobs.queue import get_queue

    get_queue("sync").enqueue(
        fn, import_id, job_id=job_id_for(import_id), job_timeout=timeout, meta=tenant_meta(org_id)
    )


def _mark(import_id: int, **values: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(DataImport).where(DataImport.id == import_id).values(**values))


def _progress(import_id: int, start: int, share: int):  # noqa: ANN202
    last = [-1]

    def report(fraction: float) -> None:
        pct = max(1, min(99, start + int(share * fraction)))
        if pct != last[0]:
            last[0] = pct
            _mark(import_id, progress=pct)

    return report


def _discard(row: DataImport) -> None:
    try:
        Path(row.stored_path).unlink(missing_ok=True)
    except OSError:
        log.warning("import %s: could not delete %s", row.id, row.stored_path)


# ---- check (preview) ---------------------------------------------------------------------------
def check_import(import_id: int) -> dict:
    row = db.session.get(DataImport, import_id)
    if row is None:
        return {"skipped": "import row is gone"}
    path, wanted = row.stored_path, row.platform
    _mark(import_id, status=ImportStatus.CHECKING, progress=1, error=None)
    try:
        fmt = sniff(path, wanted)
        _refuse_double_counting(row.org_id, fmt.platform.key, fmt.platform.name)
        preview = _scan(import_id, path, fmt)
    except ImportProblem as exc:
        _mark(
            import_id,
            status=ImportStatus.INVALID,
            error=str(exc),
            finished_at=utcnow(),
            progress=100,
        )
        _discard(row)
        return {"invalid": str(exc)}
    except Exception:
        log.exception("import %s: checking crashed", import_id)
        db.session.rollback()
        _mark(
            import_id,
            status=ImportStatus.INVALID,
            error="We could not read this file. Export it again as CSV or XLSX and retry.",
            finished_at=utcnow(),
        )
        _discard(row)
        return {"invalid": "crashed"}
    _mark(
        import_id,
        status=ImportStatus.READY if preview["rows"] else ImportStatus.INVALID,
        platform=fmt.platform.key,
        preview=preview,
        rows=preview["rows"],
        progress=100,
        error=None if preview["rows"] else "The file has a header but no data rows.",
    )
    return preview


def _refuse_double_counting(org_id: int, platform: str, name: str) -> None:
    """A platform that syncs through its API already has these days: importing its export as
    well would count the same spend (or orders) twice, on two connections."""
    synced = db.session.execute(
        select(Connection.account_name, Connection.external_account_id).where(
            Connection.org_id == org_id,
            Connection.platform == platform,
            Connection.source == "api",
            Connection.status != ConnectionStatus.DISABLED,
        )
    ).first()
    if synced is not None:
        account = synced[0] or synced[1]
        raise ImportProblem(
            f"{name} data already syncs from the connected account {account}. Importing this "
            "export too would count the same days twice. Disconnect that account on "
            "Integrations first if you want to work from files instead."
        )


def _scan(import_id: int, path: str, fmt: object) -> dict:
    """One streamed pass: counts, date range, totals and distinct campaigns/ads."""
    rows = 0
    first = last = None
    spend = revenue = 0.0
    campaigns: set[str] = set()
    ads: set[str] = set()
    currencies: set[str] = set()
    orders = fmt.platform.kind == "orders"
    for frame in read_chunks(path, fmt, _chunk_rows(), _progress(import_id, 0, CHECK_SHARE)):
        rows += len(frame)
        days = frame["placed_at"].dt.date if orders else frame["date"]
        lo, hi = min(days), max(days)
        first = lo if first is None else min(first, lo)
        last = hi if last is None else max(last, hi)
        if orders:
            revenue += float(frame["revenue"].sum())
        else:
            spend += float(frame["spend"].sum())
            revenue += float(frame["platform_revenue"].sum())
            campaigns.update(frame["campaign_id"].astype(str).unique())
            ads.update(frame["creative_id"].astype(str).unique())
        currencies.update(str(c) for c in frame["currency"].dropna().unique() if c)
    return {
        "platform": fmt.platform.key,
        "platform_name": fmt.platform.name,
        "kind": fmt.platform.kind,
        "rows": rows,
        "date_from": first.isoformat() if first else None,
        "date_to": last.isoformat() if last else None,
        "spend": round(spend, 2),
        "revenue": round(revenue, 2),
        "campaigns": len(campaigns),
        "ads": len(ads),
        "currencies": sorted(currencies),
        "columns": dict(fmt.mapping),
        "encoding": fmt.encoding if fmt.kind == "csv" else "xlsx",
    }


# ---- import ------------------------------------------------------------------------------------
def run_import(import_id: int) -> dict:
    row = db.session.get(DataImport, import_id)
    if row is None:
        return {"skipped": "import row is gone"}
    org = db.session.get(Organization, row.org_id)
    org_id, path, platform = row.org_id, row.stored_path, row.platform
    _mark(import_id, status=ImportStatus.IMPORTING, progress=1, error=None)
    written = 0
    try:
        fmt = sniff(path, platform)
        conn = import_connection(db.session, org_id, fmt.platform.key)
        db.session.commit()
        _mark(import_id, connection_id=conn.id)
        report = _progress(import_id, 0, 95)
        for frame in read_chunks(path, fmt, _chunk_rows(), report):
            if fmt.platform.kind == "ads":
                frame = convert_spend(db.session, frame, org.currency)
                written += write_ads(db.session, org_id, conn, frame)
            else:
                written += write_orders(db.session, org_id, conn, frame)
            db.session.commit()  # one chunk, one transaction: progress can be written between
        if fmt.platform.kind == "orders":
            mark_first_orders(db.session, org_id, conn.id)
        touch_connection(conn)
        bump_data_version(db.session, org_id)
        db.session.commit()
    except (ImportProblem, RatesMissing) as exc:
        db.session.rollback()
        _failed(row, str(exc), written)
        return {"failed": str(exc)}
    except Exception:
        db.session.rollback()
        log.exception("import %s crashed", import_id)
        _failed(row, "The import failed on our side.", written)
        return {"failed": "crashed"}
    _mark(
        import_id, status=ImportStatus.SUCCEEDED, progress=100, rows=written, finished_at=utcnow()
    )
    _discard(row)
    from jobs.brain import enqueue_recompute

    enqueue_recompute(org_id)
    return {"rows": written}


def _failed(row: DataImport, reason: str, written: int) -> None:
    if written:
        reason += (
            f" {written:,} rows before it were saved; importing the file again is safe "
            "(rows already saved are updated, never duplicated)."
        )
    else:
        reason += " Nothing was written."
    _mark(row.id, status=ImportStatus.FAILED, error=reason, finished_at=utcnow(), rows=written)


def platform_label(key: str | None) -> str:
    return PLATFORMS[key].name if key in PLATFORMS else "Unrecognised file"
