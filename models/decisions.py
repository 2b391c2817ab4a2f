"""Decisions on the brain's actions (accept / reject / done, with undo), always scoped to one org.

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

DECISIONS = ("accepted", "rejected", "done")


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
            "decision": row.decision,
            "at": row.at.isoformat() if row.at else None,
            "user": name or email or "",
        }
    return out


def latest_decisions(org_id: int) -> dict[str, str]:
    """{action_id: decision} for the org's standing decisions."""
    return {k: v["decision"] for k, v in decision_summaries(org_id).items()}
