"""Read helpers for stored narratives: one org at a time, plus the global monthly spend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select

from extensions import db
from models.brain_state import Narrative
from models.tenancy import unscoped


def month_start(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def narratives_for_state(org_id: int, brain_state_id: int) -> list[Narrative]:
    """The narratives written for one brain state of the org (empty: not generated yet)."""
    return list(
        db.session.execute(
            select(Narrative)
            .where(Narrative.org_id == org_id, Narrative.brain_state_id == brain_state_id)
            .order_by(Narrative.id)
        ).scalars()
    )


def ai_spend_usd(org_id: int | None, since: datetime) -> Decimal:
    """USD spent on model calls since ``since``: one org, or every org when ``org_id`` is None
    (the global ceiling — the workers' explicit cross-tenant read)."""
    stmt = select(func.coalesce(func.sum(Narrative.cost_usd), 0)).where(
        Narrative.created_at >= since
    )
    if org_id is not None:
        stmt = stmt.where(Narrative.org_id == org_id)
        return Decimal(str(db.session.execute(stmt).scalar_one() or 0))
    with unscoped("the global AI ceiling sums every org's spend"):
        return Decimal(str(db.session.execute(stmt).scalar_one() or 0))


def reusable(org_id: int, kind: str, fact_digest: str) -> list[Narrative]:
    """Narratives of the org's most recent state asked with the same facts, prompt and model
    (the model answered: passed or rejected by the guardrail) — reused instead of a new call."""
    latest = db.session.execute(
        select(func.max(Narrative.brain_state_id)).where(
            Narrative.org_id == org_id,
            Narrative.kind == kind,
            Narrative.fact_digest == fact_digest,
            Narrative.guardrail.in_(("passed", "rejected")),
        )
    ).scalar_one_or_none()
    if latest is None:
        return []
    return list(
        db.session.execute(
            select(Narrative)
            .where(
                Narrative.org_id == org_id,
                Narrative.kind == kind,
                Narrative.brain_state_id == latest,
                Narrative.fact_digest == fact_digest,
            )
            .order_by(Narrative.id)
        ).scalars()
    )
