"""Failure mail reaches the admins of the org it concerns, and nobody else."""

from __future__ import annotations

from extensions import db
from jobs.notify import admin_emails
from models import Membership, User
from tests.conftest import PASSWORD, make_org


def _add_member(app, org_id: int, email: str, role: str, active: bool = True) -> None:
    with app.app_context():
        user = User(email=email, name=email.split("@")[0], active=active)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, org_id=org_id, role=role, persona="director"))
        db.session.commit()


def test_admin_emails_are_the_orgs_own_admins(app):
    a = make_org(app, "Alpha", "owner@alpha.example")
    b = make_org(app, "Beta", "owner@beta.example")
    _add_member(app, a["org_id"], "admin@alpha.example", "admin")
    _add_member(app, a["org_id"], "member@alpha.example", "member")
    _add_member(app, a["org_id"], "gone@alpha.example", "admin", active=False)
    _add_member(app, b["org_id"], "admin@beta.example", "admin")
    with app.app_context():
        assert admin_emails(a["org_id"]) == ["admin@alpha.example", "owner@alpha.example"]
        assert admin_emails(b["org_id"]) == ["admin@beta.example", "owner@beta.example"]
