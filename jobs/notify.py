"""Tell an org's admins about failures (sync failed, connection expired) by e-mail."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from config import ROOT
from extensions import db
from integrations.mail import build_message, send_mail
from models import Membership, User
from models.org import ADMIN_ROLES


def admin_emails(org_id: int) -> list[str]:
    rows = db.session.execute(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id, Membership.role.in_(ADMIN_ROLES), User.active.is_(True))
        .order_by(User.email)
    ).scalars()
    return list(rows)


def outbox_dir() -> Path:
    cfg = current_app.config["OMNIFY"]
    return Path(cfg.MAIL_OUTBOX) if cfg.MAIL_OUTBOX else ROOT / "instance" / "outbox"


def deliver(to: list[str], subject: str, text: str) -> str:
    """Send with SMTP_URL. Without it, development writes the mail to the outbox folder and
    production only says it was not sent: a reset or invite link is a credential and never
    goes to a log, in any mode. Returns what happened: "sent", "outbox" or "not_sent"."""
    cfg = current_app.config["OMNIFY"]
    if cfg.SMTP_URL:
        send_mail(cfg.SMTP_URL, cfg.MAIL_FROM, to, subject, text)
        return "sent"
    if cfg.production:
        current_app.logger.warning(
            "SMTP_URL is not set: mail %r to %d recipient(s) was not sent", subject, len(to)
        )
        return "not_sent"
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.time_ns()}-{secrets.token_hex(4)}.eml"
    path.write_bytes(bytes(build_message(cfg.MAIL_FROM, to, subject, text)))
    current_app.logger.info("no SMTP_URL: mail %r to %s saved as %s", subject, ", ".join(to), path)
    return "outbox"


def notify_admins(org_id: int, subject: str, text: str) -> list[str]:
    """Mail every owner/admin of the org; returns the recipients. Mail trouble never raises."""
    to = admin_emails(org_id)
    if not to:
        return []
    try:
        deliver(to, subject, text)
    except Exception:  # noqa: BLE001 - a mail outage must not fail the job that reports
        current_app.logger.exception("could not send %r to the admins of org %s", subject, org_id)
    return to
