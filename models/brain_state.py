"""Stored brain computations and the AI narratives written from them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import TenantScoped, created_at, org_fk, utcnow


class BrainState(TenantScoped, db.Model):
    __tablename__ = "brain_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    as_of: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    schema_version: Mapped[str] = mapped_column(String(20))
    memory: Mapped[dict] = mapped_column(JSON)
    oracle: Mapped[dict] = mapped_column(JSON)
    curiosity: Mapped[dict] = mapped_column(JSON)
    notes: Mapped[list] = mapped_column(JSON, default=list)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    input_fingerprint: Mapped[str] = mapped_column(String(64))

    def as_dict(self) -> dict:
        """The brain state as the API and the dashboard see it."""
        return {
            "schema_version": self.schema_version,
            "org_id": self.org_id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "period": {
                "start": self.period_start.isoformat() if self.period_start else None,
                "end": self.period_end.isoformat() if self.period_end else None,
            },
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "duration_ms": self.duration_ms,
            "memory": self.memory,
            "oracle": self.oracle,
            "curiosity": self.curiosity,
            "settings": self.settings or {},
            "notes": self.notes or [],
        }


class Narrative(TenantScoped, db.Model):
    """One narrative for one brain state: a persona's executive summary, ORACLE's analysis or
    CURIOSITY's recommendations — written by a model and passed by the guardrail, or the
    template (``provider == "template"``) with the reason why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    brain_state_id: Mapped[int] = mapped_column(
        ForeignKey("brain_state.id", ondelete="CASCADE"), index=True
    )
    persona: Mapped[str] = mapped_column(String(20))  # cmo | vp_growth | director | all
    kind: Mapped[str] = mapped_column(String(20))  # summary | oracle | curiosity
    provider: Mapped[str] = mapped_column(String(20))  # template | openai | anthropic
    model: Mapped[str] = mapped_column(String(80), default="")
    text: Mapped[str] = mapped_column(Text)
    facts_used: Mapped[list] = mapped_column(JSON, default=list)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6), default=0)
    created_at: Mapped[datetime] = created_at()
    # passed | rejected | skipped (no request: no key, budget) | failed (timeout, errors)
    guardrail: Mapped[str] = mapped_column(String(20), default="skipped")
    # why the template is shown: no_key | budget | global_ceiling | rejected | timeout | error
    reason: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[str] = mapped_column(Text, default="")  # the guardrail's or the error's words
    rejected_text: Mapped[str | None] = mapped_column(Text)  # what the model said, if rejected
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # parts, numbers -> fact ids
    fact_digest: Mapped[str] = mapped_column(String(64), default="", index=True)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    reused_from_id: Mapped[int | None] = mapped_column(Integer)  # unchanged facts: no request


class ActionDecision(TenantScoped, db.Model):
    __tablename__ = "action_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = org_fk()
    action_id: Mapped[str] = mapped_column(String(64), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # models.decisions.DECISIONS
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    at: Mapped[datetime] = created_at()
