"""Each capability through a real route or callback, logged in with each role."""

from __future__ import annotations

import pytest
from flask_login import login_user

from extensions import db
from models import Connection, Membership, User
from models.credentials import encrypt_credentials
from models.permissions import DENIED, Cap, can
from tests.conftest import csrf_headers, login, make_org
from tests.integration.billing_support import billing  # noqa: F401

ROLES = ("owner", "admin", "member", "viewer")


def _org_with(app, role: str) -> dict:
    ids = make_org(app, "Acme", f"{role}@acme.example", role=role)
    with app.app_context():
        conn = Connection(
            org_id=ids["org_id"],
            platform="meta",
            external_account_id="act_1",
            credentials_encrypted=encrypt_credentials({"access_token": "t"}),
        )
        db.session.add(conn)
        db.session.commit()
        ids["connection_id"] = conn.id
    return ids


@pytest.mark.parametrize("role", ROLES)
def test_can_reads_the_logged_in_users_role(app, role):
    ids = make_org(app, "Acme", f"{role}@acme.example", role=role)
    with app.test_request_context("/"):
        user = db.session.get(User, ids["user_id"])
        user.login_token = "t"
        login_user(user)
        got = {cap for cap in Cap if can(cap)}
        membership = db.session.query(Membership).filter_by(user_id=user.id).one()
        assert got == {cap for cap in Cap if membership.can(cap)}
    admin = role in ("owner", "admin")
    assert (Cap.MANAGE_TEAM in got) is admin and (Cap.ACT in got) is (role != "viewer")


@pytest.mark.parametrize("role", ROLES)
def test_act_on_a_route(app, client, role):
    """@requires(Cap.ACT) on a Flask view: viewers get a 403 with the reason."""
    _org_with(app, role)
    login(client, f"{role}@acme.example")
    resp = client.post("/api/brain/compute", headers=csrf_headers(client))
    if role == "viewer":
        assert resp.status_code == 403
        assert resp.get_json() == {"error": DENIED[Cap.ACT]}
    else:
        assert resp.status_code == 202


@pytest.mark.parametrize("role", ROLES)
def test_sync_now_needs_act(app, client, role):
    ids = _org_with(app, role)
    login(client, f"{role}@acme.example")
    resp = client.post(f"/connections/{ids['connection_id']}/sync", headers=csrf_headers(client))
    assert resp.status_code == (409 if role == "viewer" else 202)


@pytest.mark.parametrize("role", ROLES)
def test_manage_connections_on_a_route(app, client, role):
    ids = _org_with(app, role)
    login(client, f"{role}@acme.example")
    resp = client.post(
        f"/connections/{ids['connection_id']}/disconnect", headers=csrf_headers(client)
    )
    allowed = role in ("owner", "admin")
    assert resp.status_code == (200 if allowed else 403)
    with app.app_context():
        status = db.session.get(Connection, ids["connection_id"]).status
    assert (status == "disabled") is allowed


@pytest.mark.parametrize("role", ROLES)
def test_manage_team_on_a_route(app, client, role):
    make_org(app, "Acme", f"{role}@acme.example", role=role)
    login(client, f"{role}@acme.example")
    page = client.get("/team").get_data(as_text=True)
    resp = client.post(
        "/team",
        data={"email": "new@acme.example", "role": "member", "persona": "cmo"},
        headers=csrf_headers(client),
    )
    allowed = role in ("owner", "admin")
    assert resp.status_code != 403 if allowed else resp.status_code == 403
    assert ("Audit log" in page or "audit" in page.lower()) is allowed


@pytest.mark.parametrize("role", ROLES)
def test_manage_billing_on_a_route(app, client, role, billing):  # noqa: F811
    make_org(app, "Acme", f"{role}@acme.example", role=role)
    login(client, f"{role}@acme.example")
    resp = client.post("/billing/portal", headers=csrf_headers(client))
    allowed = role in ("owner", "admin")
    assert (resp.status_code == 403) is not allowed
