"""Alerts (one row per finding, deduplicated), in-app notifications, the org's alert settings
(thresholds, the encrypted Slack webhook), per-user notification preferences and the digest
log. docs/product.md "Alerts" says who hears about what; jobs/alerts.py does the sending.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import TenantScoped, created_at, one_of, org_fk, utcnow

# kind -> what a person picks a channel for (sync failures and expired tokens share "sync")
ALERT_KINDS: dict[str, str] = {
    "fatigue": "Creative fatigue",
    "roi_decay": "ROI decay",
    "ltv_drift": "LTV drift",
    "risk": "Risk turned RED",
    "anomaly": "High-severity anomaly",
    "sync": "Sync failures and expired connections",
}
PREF_KINDS = (*ALERT_KINDS, "digest")  # what an unsubscribe link can name
CHANNELS: dict[str, str] = {
    "email": "E-mail and in-app",
    "slack": "Slack and in-app (no e-mail)",
    "in_app": "In-app only",
    "off": "Off",
}
SEVERITY_RANK = {"medium": 1, "high": 2}
# docs/product.md "Alerts": fatigue > 70%, ROI decay > 20%, LTV drift > 15% (as fractions)
DEFAULT_THRESHOLDS: dict[str, float] = {"fatigue": 0.70, "roi_decay": 0.20, "ltv_drift": 0.15}
THRESHOLD_LABELS = {
    "fatigue": "Creative fatigue probability in 7 days above",
    "roi_decay": "ROI decay (ROAS vs baseline) above",
    "ltv_drift": "LTV drift (recent vs historical cohorts) above",
}
DIGEST_PERSONAS = ("cmo", "vp_growth")  # receive the weekly digest unless they opt out


class AlertSettings(TenantScoped, db.Model):
    """One row per org (absent = defaults)."""

    __tablename__ = "alert_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), unique=True
    )
    thresholds: Mapped[dict] = mapped_column(JSON, default=dict)
    slack_webhook_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NotifyPref(TenantScoped, db.Model):
    """A user's channel per alert kind in one org, and whether they get the digest."""

    __tablename__ = "notify_pref"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    channels: Mapped[dict] = mapped_column(JSON, default=dict)
    digest: Mapped[bool | None] = mapped_column(default=None)  # None = the persona's default


class AlertStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # the finding cleared: shown in the app, never mailed


class Alert(TenantScoped, db.Model):
    """One finding (fatigue of a creative, decay of a platform, a failed connection...).

    Mailed when it opens, again only when it worsens past the severity already sent;
    a finding that clears is marked resolved (shown in the app, never mailed)."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("org_id", "key"), one_of("status", AlertStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    notified_severity: Mapped[str | None] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(300), default="/")
    status: Mapped[str] = mapped_column(String(10), default=AlertStatus.OPEN.value)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(TenantScoped, db.Model):
    """An in-app bell entry for one user."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_org", "user_id", "org_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"))
    severity: Mapped[str] = mapped_column(String(10), default="medium")
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="/")
    created_at: Mapped[datetime] = created_at()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DigestLog(TenantScoped, db.Model):
    """The weekly digest went out for this org and week (its Monday, local date)."""

    __tablename__ = "digest_log"
    __table_args__ = (UniqueConstraint("org_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    week: Mapped[date] = mapped_column(Date)
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = created_at()


# ---- reading ---------------------------------------------------------------------------------
def alert_settings(org_id: int) -> AlertSettings | None:
    return db.session.execute(
        select(AlertSettings).where(AlertSettings.org_id == org_id)
    ).scalar_one_or_none()


def thresholds(org_id: int) -> dict[str, float]:
    row = alert_settings(org_id)
    stored = (row.thresholds if row else None) or {}
    return {k: float(stored.get(k, v)) for k, v in DEFAULT_THRESHOLDS.items()}


def prefs_for(org_id: int, user_id: int) -> NotifyPref | None:
    return db.session.execute(
        select(NotifyPref).where(NotifyPref.org_id == org_id, NotifyPref.user_id == user_id)
    ).scalar_one_or_none()


def channel_for(pref: NotifyPref | None, kind: str) -> str:
    """The user's channel for an alert kind (default: e-mail)."""
    group = "sync" if kind in ("sync", "reauth") else kind
    value = ((pref.channels if pref else None) or {}).get(group, "email")
    return value if value in CHANNELS else "email"


def wants_digest(pref: NotifyPref | None, persona: str) -> bool:
    if pref is not None and pref.digest is not None:
        return bool(pref.digest)
    return persona in DIGEST_PERSONAS


def bell(org_id: int, user_id: int, limit: int = 10) -> dict[str, Any]:
    """The bell's unread count and the newest entries (with their alert's status)."""
    rows = db.session.execute(
        select(Notification, Alert.status)
        .outerjoin(Alert, Alert.id == Notification.alert_id)
        .where(Notification.org_id == org_id, Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
    unread = db.session.execute(
        select(db.func.count(Notification.id)).where(
            Notification.org_id == org_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
    ).scalar_one()
    return {
        "unread": int(unread),
        "items": [
            {
                "id": n.id,
                "title": n.title,
                "body": n.body,
                "link": n.link,
                "severity": n.severity,
                "unread": n.read_at is None,
                "resolved": status == "resolved",
                "at": n.created_at,
            }
            for n, status in rows
        ],
    }


def mark_read(org_id: int, user_id: int) -> int:
    """Mark all of the user's notifications in the org read; caller commits."""
    rows = db.session.execute(
        select(Notification).where(
            Notification.org_id == org_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
    ).scalars()
    n = 0
    for row in rows:
        row.read_at = utcnow()
        n += 1
    return n


# ---- unsubscribe links -------------------------------------------------------------------------
UNSUBSCRIBE_SALT = "unsubscribe"


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(org_id: int, user_id: int, kind: str) -> str:
    """A signed token naming one user, one org and one kind (no expiry: mails live long)."""
    return _unsubscribe_serializer().dumps({"o": org_id, "u": user_id, "k": kind})


def read_unsubscribe_token(token: str) -> tuple[int, int, str] | None:
    """(org_id, user_id, kind) of a valid token, else None."""
    try:
        data = _unsubscribe_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    org_id, user_id, kind = data.get("o"), data.get("u"), data.get("k")
    if not (isinstance(org_id, int) and isinstance(user_id, int) and kind in PREF_KINDS):
        return None
    return org_id, user_id, kind


def unsubscribe(org_id: int, user_id: int, kind: str) -> bool:
    """Stop e-mail of one kind for a member (alerts stay in the app); caller commits.
    False when the user is not a member of that org (nothing changes)."""
    from models.org import Membership

    member = db.session.execute(
        select(Membership.id).where(Membership.org_id == org_id, Membership.user_id == user_id)
    ).scalar_one_or_none()
    if member is None:
        return False
    pref = prefs_for(org_id, user_id)
    if pref is None:
        pref = NotifyPref(org_id=org_id, user_id=user_id, channels={})
        db.session.add(pref)
    if kind == "digest":
        pref.digest = False
    else:
        pref.channels = {**(pref.channels or {}), kind: "in_app"}
    return True
