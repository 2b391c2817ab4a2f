"""Decisions on the brain's actions, always scoped to one org: honest, shared states.

Planned (we intend to do it), Done (the person says they did it on the platform) and Dismissed
(we won't), each with who and when, the same words for every persona, with undo. We never claim
an action was executed: a Done action is later checked against the data (`done_checks`: did
spend on that creative go to zero, move off a creative to refresh, move from one platform to
the other, rise where it was scaled, after the day it was marked done?).

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
    """For each action marked Done: what the synced spend says since the day it was marked.

    {action_id: {"status": "verified" | "not_seen" | "still_spending" | "waiting", "since",
    "through", "spend", "parts"}} (readmodels/done_checks.py says what each action type should
    move); actions no data can confirm (retention, investigate) get none.
    """
    from datetime import date as date_type
    from datetime import datetime

    from readmodels import done_checks as rules

    out: dict[str, dict[str, Any]] = {}
    for action in actions:
        aid = str(action.get("id"))
        summary = summaries.get(aid)
        if not summary or summary.get("decision") != "done":
            continue
        expected = rules.expectations(action)
        if not expected:
            continue
        try:
            since: date_type = datetime.fromisoformat(str(summary.get("at"))).date()
        except ValueError:
            continue
        parts = []
        through_all: list[date_type] = []
        for expect in expected:
            daily, through = _target_spend(org_id, expect, rules.window(since)[0])
            parts.append(rules.judge(expect, since, daily, through))
            if through is not None:
                through_all.append(through)
        out[aid] = rules.verdict(parts, since, min(through_all) if through_all else None)
    return out


def _target_spend(org_id: int, expect: Any, start: Any) -> tuple[dict, Any]:
    """({day: spend} from ``start`` of one creative, campaign or platform, and the platform's
    latest synced day)."""
    from sqlalchemy import func

    from models.data import AdMetricDaily, Campaign, Creative

    platform_through = db.session.execute(
        select(func.max(AdMetricDaily.date))
        .join(Creative, Creative.id == AdMetricDaily.creative_id)
        .where(AdMetricDaily.org_id == org_id, Creative.platform == expect.platform)
    ).scalar()
    stmt = (
        select(AdMetricDaily.date, func.sum(AdMetricDaily.spend))
        .join(Creative, Creative.id == AdMetricDaily.creative_id)
        .where(
            AdMetricDaily.org_id == org_id,
            Creative.platform == expect.platform,
            AdMetricDaily.date >= start,
        )
        .group_by(AdMetricDaily.date)
    )
    if expect.kind == "creative":
        stmt = stmt.where(Creative.external_id == expect.external_id)
    elif expect.kind == "campaign":
        stmt = stmt.join(Campaign, Campaign.id == Creative.campaign_id).where(
            Campaign.external_id == expect.external_id
        )
    daily = {day: float(spend or 0) for day, spend in db.session.execute(stmt)}
    return daily, platform_through
