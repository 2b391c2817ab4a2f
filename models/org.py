"""Organizations, users and their memberships (roles and personas)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from models.base import TenantScoped, created_at, utcnow
from models.permissions import Cap, role_can

ROLES = ("owner", "admin", "member", "viewer")
PERSONAS = ("cmo", "vp_growth", "director")


ROLE_LABELS = {"owner": "Owner", "admin": "Admin", "member": "Member", "viewer": "Viewer"}
PERSONA_LABELS = {"cmo": "CMO", "vp_growth": "VP Growth", "director": "Director of Performance"}
ROLE_RANK = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}


def role_change_problem(
    actor_role: str, target_role: str, new_role: str, is_self: bool, owners: int
) -> str | None:
    """Why this role change is not allowed, in words (None: allowed). The one place team role
    checks live, so a permissions module (roles -> capabilities) can take it over."""
    if not role_can(actor_role, Cap.MANAGE_TEAM):
        return "Only owners and admins can change roles."
    if new_role not in ROLES:
        return "Pick a role from the list."
    if new_role == target_role:
        return None
    if is_self and ROLE_RANK[new_role] > ROLE_RANK[actor_role]:
        return "You cannot promote yourself; ask an owner."
    if "owner" in (new_role, target_role) and actor_role != "owner":
        return "Only an owner can make someone an owner or change an owner's role."
    if target_role == "owner" and owners <= 1:
        return "This is the only owner: make someone else an owner first."
    return None


def removal_problem(actor_role: str, target_role: str, owners: int) -> str | None:
    """Why this member cannot be removed (None: allowed)."""
    if not role_can(actor_role, Cap.MANAGE_TEAM):
        return "Only owners and admins can remove members."
    if target_role == "owner" and actor_role != "owner":
        return "Only an owner can remove an owner."
    if target_role == "owner" and owners <= 1:
        return "This is the only owner: make someone else an owner first."
    return None


class Organization(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    gross_margin: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0.65"))
    plan: Mapped[str] = mapped_column(String(20), default="self_hosted")
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64))
    onboarding: Mapped[dict] = mapped_column(JSON, default=dict)
    # Bumped by every write of synced data (syncs, webhooks): caches key on it.
    data_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = created_at()

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="org", cascade="all, delete-orphan"
    )


class User(UserMixin, db.Model):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change (kept for history; LoginSession rows do the revoking now).
    session_version: Mapped[int] = mapped_column(default=1)
    active_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL")
    )
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return bool(self.active)

    # The token of the LoginSession this request runs under (set at login or by the loader).
    login_token = None  # not a column

    def get_id(self) -> str:
        # The login session's token rides in the id (session and remember cookie alike), so
        # revoking that LoginSession row logs this browser out, whatever cookies it kept.
        return f"{self.id}:{self.login_token or ''}"

    @property
    def membership(self) -> Membership | None:
        """The membership of the active organization (falls back to the first one)."""
        chosen = None
        for m in self.memberships:
            if m.org_id == self.active_org_id:
                return m
            chosen = chosen or m
        return chosen

    @property
    def org_id(self) -> int | None:
        m = self.membership
        return m.org_id if m else None

    def touch_login(self) -> None:
        self.last_login_at = utcnow()


class Membership(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20), default="member")
    persona: Mapped[str] = mapped_column(String(20), default="cmo")
    created_at: Mapped[datetime] = created_at()

    user: Mapped[User] = relationship(back_populates="memberships")
    org: Mapped[Organization] = relationship(back_populates="memberships")

    def can(self, cap: Cap) -> bool:
        """Whether this membership's role has the capability (models/permissions.py)."""
        return role_can(self.role, cap)


class Invite(TenantScoped, db.Model):
    """A pending team invitation; the e-mailed token is signed, this row makes it single use."""

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20), default="member")
    persona: Mapped[str] = mapped_column(String(20), default="cmo")
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
