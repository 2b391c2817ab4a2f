"""Tell an org's admins about failures (sync failed, connection expired) by e-mail."""

from __future__ import annotations

import email
import email.policy
import secrets
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from config import ROOT
from extensions import db
from integrations.mail import build_message, send_mail
from models import Membership, User
from models.permissions import Cap, roles_with


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
    cfg = current_app.config["OMNIFY"]
    return Path(cfg.MAIL_OUTBOX) if cfg.MAIL_OUTBOX else ROOT / "instance" / "outbox"


ORG_HEADER = "X-Omnify-Org"  # the outbox viewer shows an org only the mails tagged with it


def mail_configured() -> bool:
    return bool(current_app.config["OMNIFY"].SMTP_URL)


def deliver(
    to: list[str],
    subject: str,
    text: str,
    *,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    images: dict[str, bytes] | None = None,
    org_id: int | None = None,
) -> None:
    """Send with SMTP_URL. Without it, development writes the mail to the outbox folder and
    production only says it was not sent: a reset or invite link is a credential and never
    goes to a log, in any mode. Mails of an org (alerts, digests: ``org_id`` given, no
    credential inside) go to the outbox in production too, for its admins to read."""
    cfg = current_app.config["OMNIFY"]
    headers = dict(headers or {})
    if org_id is not None:
        headers[ORG_HEADER] = str(org_id)
    if cfg.SMTP_URL:
        send_mail(
            cfg.SMTP_URL, cfg.MAIL_FROM, to, subject, text, html, headers=headers, images=images
        )
        return
    if cfg.production and org_id is None:
        current_app.logger.warning(
            "SMTP_URL is not set: mail %r to %d recipient(s) was not sent", subject, len(to)
        )
        return
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.time_ns()}-{secrets.token_hex(4)}.eml"
    msg = build_message(cfg.MAIL_FROM, to, subject, text, html, headers=headers, images=images)
    path.write_bytes(bytes(msg))
    current_app.logger.info("no SMTP_URL: mail %r to %s saved as %s", subject, ", ".join(to), path)


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
    """Mail every owner/admin of the org; returns the recipients. Mail trouble never raises."""
    to = admin_emails(org_id)
    if not to:
        return []
    try:
        deliver(to, subject, text)
    except Exception:  # noqa: BLE001 - a mail outage must not fail the job that reports
        current_app.logger.exception("could not send %r to the admins of org %s", subject, org_id)
    return to
