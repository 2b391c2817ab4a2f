"""Login sessions (revocable server-side), login throttling, and the audit trail helper."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import Boolean, DateTime, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import created_at, utcnow
from models.ops import AuditLog

SESSION_LIFETIME = timedelta(days=30)  # remember-me and plain sessions alike


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LoginSession(db.Model):
    """One login (a browser). The cookie carries a random token; only its hash is stored, so
    logging out (or "log out everywhere") revokes the cookie and its remember-me twin."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def live_session(user_id: int, token: str) -> LoginSession | None:
    """The unrevoked, unexpired session of that user with that token."""
    return db.session.execute(
        select(LoginSession).where(
            LoginSession.token_hash == token_hash(token),
            LoginSession.user_id == user_id,
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > utcnow(),
        )
    ).scalar_one_or_none()


def revoke_sessions(user_id: int, token: str | None = None, keep: str | None = None) -> int:
    """Revoke one session (by token) or all of the user's sessions but `keep`; caller commits."""
    stmt = update(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None)
    )
    if token is not None:
        stmt = stmt.where(LoginSession.token_hash == token_hash(token))
    if keep is not None:
        stmt = stmt.where(LoginSession.token_hash != token_hash(keep))
    return db.session.execute(stmt.values(revoked_at=utcnow())).rowcount or 0


def active_session_count(user_id: int) -> int:
    return len(
        db.session.execute(
            select(LoginSession.id).where(
                LoginSession.user_id == user_id,
                LoginSession.revoked_at.is_(None),
                LoginSession.expires_at > utcnow(),
            )
        ).all()
    )


class LoginThrottle(db.Model):
    """Failed logins per e-mail (known or not, so the answer never says which): each failure
    past the free ones doubles the wait before the next attempt for that e-mail."""

    __tablename__ = "login_throttle"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def audit(
    action: str, org_id: int | None = None, user_id: int | None = None, **detail: Any
) -> None:
    """Add an audit row ("kind.verb": login.failed, member.role, invite.sent, connection.added,
    export.csv, billing.plan ...); the caller's commit stores it with the change it records.
    Without a user_id, the logged-in user of the current request (if any) is the actor."""
    if user_id is None and has_request_context() and current_user.is_authenticated:
        user_id = current_user.id
    db.session.add(AuditLog(org_id=org_id, user_id=user_id, action=action, detail=detail or None))
