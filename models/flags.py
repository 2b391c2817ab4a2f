"""Feature flags: switch a behaviour off (or on) for one organization or for everyone,
without a deploy (`flask --app app flags ...`).

A flag's value for an org: the org's own row, else the global row (org_id NULL), else the
flag's default in FLAGS. Not a TenantScoped table: a global row belongs to no org, and only
the operator's CLI writes here (every read names its org explicitly).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import created_at, utcnow

# name -> (default, what switching it off does)
FLAGS: dict[str, tuple[bool, str]] = {
    "ai_narratives": (
        True,
        "AI-written narratives; off: the labelled template summaries, no AI request or cost",
    ),
    "brain_known_events": (
        True,
        "the brain masks known events (sales, launches, holidays) from baselines; off: the "
        "brain computes without them, as before issue 8",
    ),
}


class FeatureFlag(db.Model):
    __tablename__ = "feature_flag"
    __table_args__ = (
        # one global row per flag (NULLs are distinct in a plain unique constraint)
        Index(
            "uq_feature_flag_global",
            "name",
            unique=True,
            postgresql_where=db.text("org_id IS NULL"),
            sqlite_where=db.text("org_id IS NULL"),
        ),
        Index(
            "uq_feature_flag_org",
            "name",
            "org_id",
            unique=True,
            postgresql_where=db.text("org_id IS NOT NULL"),
            sqlite_where=db.text("org_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


def _known(name: str) -> None:
    if name not in FLAGS:
        raise ValueError(f"unknown flag {name!r}; known flags: {', '.join(sorted(FLAGS))}")


def flag_enabled(name: str, org_id: int | None) -> bool:
    """The flag's value for this org (its own row, else the global one, else the default)."""
    _known(name)
    rows = dict(
        db.session.execute(
            select(FeatureFlag.org_id, FeatureFlag.enabled).where(
                FeatureFlag.name == name,
                (FeatureFlag.org_id == org_id) | FeatureFlag.org_id.is_(None),
            )
        ).all()
    )
    if org_id is not None and org_id in rows:
        return bool(rows[org_id])
    if None in rows:
        return bool(rows[None])
    return FLAGS[name][0]


def set_flag(name: str, enabled: bool, org_id: int | None = None) -> FeatureFlag:
    """Set the flag for one org (or globally with org_id None). Caller commits."""
    _known(name)
    row = db.session.execute(
        select(FeatureFlag).where(
            FeatureFlag.name == name,
            FeatureFlag.org_id == org_id if org_id is not None else FeatureFlag.org_id.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        row = FeatureFlag(name=name, org_id=org_id, enabled=enabled)
        db.session.add(row)
    row.enabled = enabled
    return row


def clear_flag(name: str, org_id: int | None = None) -> bool:
    """Forget the org's (or the global) setting: the flag falls back. Caller commits."""
    _known(name)
    row = db.session.execute(
        select(FeatureFlag).where(
            FeatureFlag.name == name,
            FeatureFlag.org_id == org_id if org_id is not None else FeatureFlag.org_id.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    db.session.delete(row)
    return True


def all_flags() -> list[FeatureFlag]:
    return list(
        db.session.execute(
            select(FeatureFlag).order_by(FeatureFlag.name, FeatureFlag.org_id.nullsfirst())
        ).scalars()
    )
