"""Team management: roles, personas, removal, invites — with the role rules on the server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from extensions import db
from models import Invite, Membership
from models.org import removal_problem, role_change_problem
from tests.conftest import PASSWORD, csrf_from, login, make_org, outbox


def add_member(app, org_id: int, email: str, role: str, persona: str = "cmo") -> int:
    from models import User

    with app.app_context():
        user = User(email=email, name=email.split("@")[0])
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        m = Membership(user_id=user.id, org_id=org_id, role=role, persona=persona)
        db.session.add(m)
        user.active_org_id = org_id
        db.session.commit()
        return m.id


def role_of(app, membership_id: int) -> str | None:
    with app.app_context():
        m = db.session.get(Membership, membership_id)
        return m.role if m else None


def token(client) -> str:
    return csrf_from(client.get("/account/password").get_data(True))


def my_membership(app, org_id: int, email: str) -> int:
    from models import User

    with app.app_context():
        return db.session.execute(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.org_id == org_id, User.email == email)
        ).scalar_one()


@pytest.fixture
def team(app):
    org = make_org(app, "Acme", "owner@acme.example")
    owner = my_membership(app, org["org_id"], "owner@acme.example")
    admin = add_member(app, org["org_id"], "admin@acme.example", "admin")
    member = add_member(app, org["org_id"], "member@acme.example", "member", "vp_growth")
    return {"org": org, "owner": owner, "admin": admin, "member": member}


def change(client, membership_id: int, role: str, persona: str = "cmo"):
    return client.post(
        f"/team/members/{membership_id}",
        data={"role": role, "persona": persona, "csrf_token": token(client)},
    )


def test_a_member_cannot_promote_themself(app, client, team):
    login(client, "member@acme.example")
    assert change(client, team["member"], "admin").status_code == 403
    assert role_of(app, team["member"]) == "member"


def test_an_admin_cannot_make_themself_owner(app, client, team):
    login(client, "admin@acme.example")
    change(client, team["admin"], "owner")
    assert role_of(app, team["admin"]) == "admin"


def test_the_last_owner_cannot_step_down_or_be_removed(app, client, team):
    login(client, "owner@acme.example")
    change(client, team["owner"], "member")
    assert role_of(app, team["owner"]) == "owner"
    client.post(f"/team/members/{team['owner']}/remove", data={"csrf_token": token(client)})
    assert role_of(app, team["owner"]) == "owner"
    # with a second owner, the first may step down
    change(client, team["admin"], "owner")
    assert role_of(app, team["admin"]) == "owner"
    change(client, team["owner"], "admin")
    assert role_of(app, team["owner"]) == "admin"


def test_admin_changes_persona_and_removes_a_member_but_not_an_owner(app, client, team):
    login(client, "admin@acme.example")
    change(client, team["member"], "viewer", "director")
    with app.app_context():
        m = db.session.get(Membership, team["member"])
        assert (m.role, m.persona) == ("viewer", "director")
    client.post(f"/team/members/{team['owner']}/remove", data={"csrf_token": token(client)})
    assert role_of(app, team["owner"]) == "owner"
    resp = client.post(f"/team/members/{team['member']}/remove", data={"csrf_token": token(client)})
    assert resp.status_code == 303 and role_of(app, team["member"]) is None


def test_another_orgs_member_is_404(app, client, team):
    other = make_org(app, "Other", "o@other.example")
    theirs = my_membership(app, other["org_id"], "o@other.example")
    login(client, "owner@acme.example")
    assert change(client, theirs, "viewer").status_code == 404
    resp = client.post(f"/team/members/{theirs}/remove", data={"csrf_token": token(client)})
    assert resp.status_code == 404 and role_of(app, theirs) == "owner"


def test_invite_resend_and_revoke_say_truthfully_what_happened(app, client, team):
    login(client, "owner@acme.example")
    page = client.get("/team").get_data(True)
    client.post(
        "/team",
        data={
            "email": "new@acme.example",
            "role": "member",
            "persona": "director",
            "csrf_token": csrf_from(page),
        },
    )
    page = client.get("/team").get_data(True)
    assert "Invitation sent" not in page  # no SMTP_URL: it went to the outbox, and we say so
    assert "was not e-mailed" in page and "Director of Performance" in page
    with app.app_context():
        invite = db.session.execute(select(Invite)).scalar_one()
    before = len(outbox())
    client.post(f"/team/invites/{invite.id}/resend", data={"csrf_token": token(client)})
    assert len(outbox()) == before + 1
    link = re.search(r"http://localhost(/invite/[\w.\-]+)", outbox()[-1].get_content()).group(1)
    client.post(f"/team/invites/{invite.id}/revoke", data={"csrf_token": token(client)})
    with app.app_context():
        assert db.session.execute(select(Invite)).first() is None
    assert app.test_client().get(link).status_code == 302  # the link no longer works


@pytest.mark.parametrize("action", ["resend", "revoke"])
def test_a_member_cannot_resend_or_revoke_an_invite(app, client, team, action):
    """Mutation survivor: ``abort(403)`` in ``_admin_invite`` turned into a 500 went unseen."""
    with app.app_context():
        invite = Invite(
            org_id=team["org"]["org_id"],
            email="new@acme.example",
            role="member",
            persona="cmo",
            invited_by_id=team["org"]["user_id"],
        )
        db.session.add(invite)
        db.session.commit()
        invite_id = invite.id
    login(client, "member@acme.example")
    resp = client.post(f"/team/invites/{invite_id}/{action}", data={"csrf_token": token(client)})
    assert resp.status_code == 403
    with app.app_context():
        assert db.session.get(Invite, invite_id) is not None


def test_revoking_one_invite_leaves_the_others(app, client, team):
    """Mutation survivor: the invite looked up without its id (the org's first pending one
    revoked instead of the one asked for)."""
    with app.app_context():
        first, second = (
            Invite(org_id=team["org"]["org_id"], email=e, invited_by_id=team["org"]["user_id"])
            for e in ("one@acme.example", "two@acme.example")
        )
        db.session.add_all([first, second])
        db.session.commit()
        keep, revoke = first.id, second.id
    login(client, "owner@acme.example")
    client.post(f"/team/invites/{revoke}/revoke", data={"csrf_token": token(client)})
    with app.app_context():
        assert db.session.get(Invite, revoke) is None
        assert db.session.get(Invite, keep) is not None


def test_accepting_an_invite_to_an_org_you_are_in_keeps_your_one_membership(app, client, team):
    """Mutation survivors in ``_join``: the existing membership not found, so a second row
    with the invite's role (or an error) instead of the one the member has."""
    from api.auth import _serializer

    with app.app_context():
        invite = Invite(
            org_id=team["org"]["org_id"],
            email="admin@acme.example",
            role="viewer",
            invited_by_id=team["org"]["user_id"],
        )
        db.session.add(invite)
        db.session.commit()
        invite_id = invite.id
    with app.test_request_context():
        link = "/invite/" + _serializer("invite").dumps(invite_id)
    login(client, "admin@acme.example")
    assert client.get(link).status_code in (302, 303)
    with app.app_context():
        rows = db.session.execute(
            select(Membership).where(Membership.org_id == team["org"]["org_id"])
        ).scalars()
        admins = [m for m in rows if m.user.email == "admin@acme.example"]
        assert [m.role for m in admins] == ["admin"]


def test_team_page_has_the_app_navigation_and_human_labels(app, client, team):
    login(client, "member@acme.example")
    page = client.get("/team").get_data(True)
    assert 'href="/integrations"' in page and 'href="/import"' in page
    assert "VP Growth" in page and "vp_growth" not in page.replace('value="vp_growth"', "")


def test_role_rules_in_words():
    assert role_change_problem("member", "member", "admin", True, 1)
    assert role_change_problem("admin", "member", "admin", False, 1) is None
    assert "only owner" in role_change_problem("owner", "owner", "admin", True, 1)
    assert role_change_problem("owner", "owner", "admin", True, 2) is None
    assert removal_problem("owner", "owner", 1)
    assert removal_problem("admin", "member", 1) is None
