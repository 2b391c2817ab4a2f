"""Tell an org's admins about failures (sync failed, connection expired) by e-mail."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import secrets
import time
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from config import ROOT
from extensions import app_config, db
from integrations.mail import build_message, send_mail
from models import Membership, User
from models.permissions import Cap, roles_with
from ops import metrics


def admin_emails(org_id: int) -> list[str]:
    rows = db.session.execute(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.org_id == org_id,
            Membership.role.in_(roles_with(Cap.MANAGE_CONNECTIONS)),
            User.active.is_(True),
        )
        .order_by(User.email)
    ).scalars()
    return list(rows)


def outbox_dir() -> Path:
    cfg = app_config()
    return Path(cfg.MAIL_OUTBOX) if cfg.MAIL_OUTBOX else ROOT / "instance" / "outbox"


ORG_HEADER = "X-Omnify-Org"  # the outbox viewer shows an org only the mails tagged with it


def mail_configured() -> bool:
    return bool(app_config().SMTP_URL)


def deliver(
    to: list[str],
    subject: str,
    text: str,
    *,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    images: dict[str, bytes] | None = None,
    org_id: int | None = None,
) -> str:
    """Send with SMTP_URL. Without it, development writes the mail to the outbox folder and
    production only says it was not sent: a reset or invite link is a credential and never
    goes to a log, in any mode. Mails of an org (alerts, digests: ``org_id`` given, no
    credential inside) go to the outbox in production too, for its admins to read.
    Returns what happened: "sent", "outbox" or "not_sent"."""
    cfg = app_config()
    headers = dict(headers or {})
    if org_id is not None:
        headers[ORG_HEADER] = str(org_id)
    if cfg.SMTP_URL:
        try:
            send_mail(
                cfg.SMTP_URL, cfg.MAIL_FROM, to, subject, text, html, headers=headers, images=images
            )
        except Exception:
            metrics.EMAILS.labels("failed").inc()
            raise
        metrics.EMAILS.labels("sent").inc()
        return "sent"
    if cfg.production and org_id is None:
        current_app.logger.warning(
            "SMTP_URL is not set: mail %r to %d recipient(s) was not sent", subject, len(to)
        )
        return "not_sent"
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.time_ns()}-{secrets.token_hex(4)}.eml"
    msg = build_message(cfg.MAIL_FROM, to, subject, text, html, headers=headers, images=images)
    path.write_bytes(bytes(msg))
    current_app.logger.info("no SMTP_URL: mail %r to %s saved as %s", subject, ", ".join(to), path)
    return "outbox"


def outbox_mails(org_id: int, limit: int = 50) -> list[dict]:
    """The newest unsent mails of one org in the outbox folder (tagged with its id)."""
    folder = outbox_dir()
    files = sorted(folder.glob("*.eml"), reverse=True) if folder.exists() else []
    out: list[dict] = []
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if msg.get(ORG_HEADER) != str(org_id):
            continue
        text_part = msg.get_body(preferencelist=("plain",))
        html_part = msg.get_body(preferencelist=("html",))
        out.append(
            {
                "name": path.stem,
                "to": str(msg["To"]),
                "subject": str(msg["Subject"]),
                "date": str(msg["Date"]),
                "text": text_part.get_content() if text_part is not None else "",
                "html": html_part.get_content() if html_part is not None else None,
            }
        )
        if len(out) >= limit:
            break
    return out


def notify_admins(org_id: int, subject: str, text: str) -> list[str]:
    """Mail every owner/admin of the org; returns the recipients. Mail trouble never raises:
    an alert that cannot be sent now is queued and retried (MAIL_RETRY_INTERVALS), once."""
    to = admin_emails(org_id)
    if not to:
        return []
    deliver_or_retry(to, subject, text)
    return to


def deliver_or_retry(to: list[str], subject: str, text: str, **options: Any) -> bool:
    """`deliver` now (True), or queue a retry job when sending fails (False). Never raises:
    a mail outage must not fail the job that alerts. `options` go to `deliver` (html, ...)."""
    try:
        deliver(to, subject, text, **options)
        return True
    except Exception:  # noqa: BLE001
        current_app.logger.warning("could not send %r now; queued for retry", subject)
    try:
        queue_alert_retry(to, subject, text, **options)
    except Exception:  # noqa: BLE001 - Redis down too: the log line is all that is left
        current_app.logger.exception("mail %r is lost: neither SMTP nor the queue answer", subject)
    return False


def alert_job_id(to: list[str], subject: str, text: str) -> str:
    """One retry job per distinct alert: the same alert raised again joins it."""
    digest = hashlib.sha256(json.dumps([sorted(to), subject, text]).encode()).hexdigest()
    return f"mail-{digest[:24]}"


def queue_alert_retry(to: list[str], subject: str, text: str, **options: Any) -> str:
    """Queue `send_alert` with RQ retries unless the same alert is already waiting."""
    from rq import Retry

    from jobs.queue import fetch_job, get_queue

    job_id = alert_job_id(to, subject, text)
    existing = fetch_job(job_id)
    if existing is not None and existing.get_status() in ("queued", "scheduled", "started"):
        return job_id  # never twice
    intervals = app_config().mail_retry_intervals
    get_queue("mail").enqueue(
        send_alert,
        to,
        subject,
        text,
        options,
        job_id=job_id,
        retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
        job_timeout=120,
    )
    return job_id


def send_alert(to: list[str], subject: str, text: str, options: dict | None = None) -> None:
    """RQ entry point: send one alert; raising lets RQ retry it later."""
    deliver(to, subject, text, **(options or {}))
