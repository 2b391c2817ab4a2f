"""Shared by tests (moved from tests/integration/test_alerts.py:
test modules do not import each other)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from extensions import db
from jobs.alerts import after_recompute
from models import BrainState, Membership, User
from tests.conftest import PASSWORD


def _member(app, org_id: int, email: str, persona: str, role: str = "member") -> int:
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            user = User(email=email, name=email.split("@")[0])
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.flush()
        db.session.add(Membership(user_id=user.id, org_id=org_id, role=role, persona=persona))
        db.session.commit()
        return user.id


def _fatigue(prob: float, severity: str, creative: str = "C12") -> dict:
    return {
        "id": f"fatigue:tiktok:{creative}",
        "creative_id": creative,
        "name": creative,
        "platform": "tiktok",
        "prob_7d": prob,
        "severity": severity,
        "cvr_recent": 0.05,
        "cvr_baseline": 0.08,
        "days_to_breakeven": 9,
    }


def _state(app, org_id: int, fatigue: list[dict], risk: str = "YELLOW") -> None:
    """Store a brain state with these findings and run the alert trigger on it."""
    with app.app_context():
        row = BrainState(
            org_id=org_id,
            as_of=date(2026, 11, 20),
            schema_version="1.0",
            memory={},
            oracle={
                "fatigue": fatigue,
                "roi_decay": [],
                "ltv_drift": {"flagged": False, "drift": 0.02},
                "anomalies": [],
                "risk": {"level": risk, "high": 3 if risk == "RED" else 0},
            },
            curiosity={},
            input_fingerprint="f" * 64,
        )
        db.session.add(row)
        db.session.commit()
        after_recompute(row)
