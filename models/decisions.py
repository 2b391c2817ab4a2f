"""Decisions on the brain's actions, always scoped to one org: honest, shared states.

Planned (we intend to do it), Done (the person says they did it on the platform) and Dismissed
(we won't), each with who and when, the same words for every persona, with undo. We never claim
an action was executed: a Done pause is later checked against the data (`done_checks`: did
spend on that creative go to zero after the day it was marked done?).

An action can only be decided if it is in the org's latest brain state: an id from another org,
an old state or the browser's imagination is refused and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from extensions import db
from models.base import utcnow
from models.brain_data import latest_state
from models.brain_state import ActionDecision
from models.org import User

DECISIONS = ("planned", "done", "dismissed")
# Rows written before the honest states: "accepted" was shown as Approved/Executed.
LEGACY = {"accepted": "planned", "rejected": "dismissed"}


class UnknownAction(LookupError):
    """The action id is not in the org's latest brain state (treated like a 404)."""


def action_ids(org_id: int) -> set[str]:
    """Ids of the actions in the org's latest brain state."""
    state = latest_state(org_id)
    if state is None:
        return set()
    return {str(a.get("id")) for a in (state.curiosity or {}).get("actions") or [] if a.get("id")}


def record_decision(
    org_id: int, user_id: int | None, action_id: str, decision: str
) -> ActionDecision:
    """Store a decision on an action of the org's latest state.

    Raises ValueError for an unknown decision word and UnknownAction for an action id that is
    not in the latest state; nothing is written in either case.
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
    if not isinstance(action_id, str) or action_id not in action_ids(org_id):
        raise UnknownAction(action_id)
    row = ActionDecision(org_id=org_id, action_id=action_id, decision=decision, user_id=user_id)
    db.session.add(row)
    db.session.commit()
    return row


def undo_decision(org_id: int, decision_id: Any) -> ActionDecision | None:
    """Mark the org's decision as undone; another org's id (or a bad one) returns None."""
    try:
        decision_id = int(decision_id)
    except (TypeError, ValueError):
        return None
    row = db.session.execute(
        select(ActionDecision).where(
            ActionDecision.org_id == org_id,
            ActionDecision.id == decision_id,
            ActionDecision.undone_at.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    row.undone_at = utcnow()
    db.session.commit()
    return row


def decision_summaries(org_id: int, only: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The standing (latest, not undone) decision per action: id, decision, at, user name."""
    stmt = (
        select(ActionDecision, User.name, User.email)
        .outerjoin(User, User.id == ActionDecision.user_id)
        .where(ActionDecision.org_id == org_id, ActionDecision.undone_at.is_(None))
        .order_by(ActionDecision.at.desc(), ActionDecision.id.desc())
    )
    if only is not None:
        stmt = stmt.where(ActionDecision.action_id.in_(list(only)))
    out: dict[str, dict[str, Any]] = {}
    for row, name, email in db.session.execute(stmt):
        if row.action_id in out:
            continue
        out[row.action_id] = {
            "id": row.id,
            "action_id": row.action_id,
            "decision": LEGACY.get(row.decision, row.decision),
            "at": row.at.isoformat() if row.at else None,
            "user": name or email or "",
        }
    return out


def latest_decisions(org_id: int) -> dict[str, str]:
    """{action_id: decision} for the org's standing decisions."""
    return {k: v["decision"] for k, v in decision_summaries(org_id).items()}


def done_checks(
    org_id: int, actions: Iterable[dict[str, Any]], summaries: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """For each pause marked Done: what the synced data says since the day it was marked.

    {action_id: {"status": "verified" | "still_spending" | "waiting", "since": date,
    "spend": float, "through": date | None}}. Only pauses have a check a machine can make
    (spend on that creative is zero); other actions get none.
    """
    from datetime import date as date_type
    from datetime import datetime

    from sqlalchemy import func

    from models.data import AdMetricDaily, Creative

    out: dict[str, dict[str, Any]] = {}
    for action in actions:
        aid = str(action.get("id"))
        summary = summaries.get(aid)
        if action.get("type") != "pause_creative" or not summary:
            continue
        if summary.get("decision") != "done":
            continue
        target = next((t for t in action.get("targets") or [] if t.get("kind") == "creative"), None)
        if not target or not target.get("creative_id"):
            continue
        try:
            since: date_type = datetime.fromisoformat(str(summary.get("at"))).date()
        except ValueError:
            continue
        creative = (
            select(Creative.id)
            .where(
                Creative.org_id == org_id,
                Creative.platform == target.get("platform"),
                Creative.external_id == str(target["creative_id"]),
            )
            .scalar_subquery()
        )
        spend, through = db.session.execute(
            select(func.coalesce(func.sum(AdMetricDaily.spend), 0), func.max(AdMetricDaily.date))
            .where(AdMetricDaily.org_id == org_id, AdMetricDaily.creative_id.in_(creative))
            .where(AdMetricDaily.date > since)
        ).one()
        platform_through = db.session.execute(
            select(func.max(AdMetricDaily.date))
            .join(Creative, Creative.id == AdMetricDaily.creative_id)
            .where(AdMetricDaily.org_id == org_id, Creative.platform == target.get("platform"))
        ).scalar()
        spend = float(spend or 0)
        if spend > 0:
            status = "still_spending"
        elif platform_through is None or platform_through <= since:
            status = "waiting"
        else:
            status = "verified"
        out[aid] = {
            "status": status,
            "since": since.isoformat(),
            "spend": spend,
            "through": (through or platform_through).isoformat()
            if (through or platform_through)
            else None,
        }
    return out
