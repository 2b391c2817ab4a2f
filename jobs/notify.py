"""Tell an org's admins about failures (sync failed, connection expired) by e-mail."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from extensions import db
from integrations.mail import send_mail
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


def deliver(to: list[str], subject: str, text: str) -> None:
    """Send with SMTP_URL; without it, development prints the mail, production only says so
    (a reset or invite link is a credential and must not sit in production logs)."""
    cfg = current_app.config["OMNIFY"]
    if not cfg.SMTP_URL and cfg.production:
        current_app.logger.warning(
            "SMTP_URL is not set: mail %r to %d recipient(s) was not sent", subject, len(to)
        )
        return
    send_mail(cfg.SMTP_URL or None, cfg.MAIL_FROM, to, subject, text)


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
