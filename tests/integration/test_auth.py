"""Accounts: sign-up, login, logout, remember me, reset, change password, invites, org switch."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from extensions import db
from models import Invite, Membership, Organization, User
from tests.conftest import (
    PASSWORD,
    create_test_app,
    csrf_from,
    last_mail_text,
    login,
    make_org,
    outbox,
)


def test_unauthenticated_page_redirects_to_login(client):
    resp = client.get("/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


@pytest.mark.parametrize("path", ["/_dash-layout", "/_dash-dependencies"])
def test_unauthenticated_dash_xhr_is_401_json(client, path):
    resp = client.get(path)
    assert resp.status_code == 401
    assert resp.get_json() == {"error": "authentication required"}


def test_unauthenticated_dash_update_is_401_not_400(client):
    resp = client.post("/_dash-update-component", json={"output": "page.children"})
    assert resp.status_code == 401


def test_api_requires_login(client):
    assert client.get("/api/me").status_code == 401
    assert client.post("/api/brain/compute").status_code == 401


def test_signup_creates_org_and_owner(app, client):
    page = client.get("/signup")
    resp = client.post(
        "/signup",
        data={
            "company": "Glow Co",
            "name": "Gia",
            "email": "Gia@Glow.example",
            "password": PASSWORD,
            "persona": "vp_growth",
            "csrf_token": csrf_from(page.get_data(True)),
        },
    )
    assert resp.status_code == 200 and "Check your e-mail" in resp.get_data(True)
    with app.app_context():
        assert db.session.execute(select(User)).first() is None  # nothing before confirmation
    link = re.search(r"http://localhost(/signup/confirm/[\w.\-=]+)", last_mail_text()).group(1)
    confirm = client.get(link)
    assert confirm.status_code == 200  # a button: mail scanners opening the link create nothing
    resp = client.post(link, data={"csrf_token": csrf_from(confirm.get_data(True))})
    assert resp.status_code == 302 and resp.headers["Location"] == "/onboarding"
    me = client.get("/api/me").get_json()
    assert me["user"]["email"] == "gia@glow.example"
    assert me["org"]["name"] == "Glow Co" and me["role"] == "owner" and me["persona"] == "vp_growth"
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.password_hash.startswith("scrypt:")
    # The link again: the account exists, so it only points to the login.
    assert "/login" in client.get(link).headers["Location"]


def test_login_wrong_password_and_unknown_email_answer_the_same(app, client):
    make_org(app, "Acme", "a@acme.example")
    wrong = login(client, "a@acme.example", "not-the-password")
    unknown = login(client, "nobody@acme.example", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(True))  # noqa: E731
    assert strip(wrong).replace("a@acme.example", "X") == strip(unknown).replace(
        "nobody@acme.example", "X"
    )
    assert client.get("/api/me").status_code == 401


def test_login_logout_roundtrip(app, client):
    make_org(app, "Acme", "a@acme.example")
    assert login(client, "a@acme.example").status_code == 302
    assert client.get("/api/me").status_code == 200
    page = client.get("/account/password")
    token = csrf_from(page.get_data(True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/me").status_code == 401


def test_post_without_csrf_token_is_rejected(app, client):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    assert client.post("/logout").status_code == 400
    assert client.post("/api/brain/compute").status_code == 400
    assert client.get("/api/me").status_code == 200  # still logged in


def test_login_next_only_allows_local_paths(app, client):
    make_org(app, "Acme", "a@acme.example")
    page = client.get("/login?next=//evil.example/x")
    resp = client.post(
        "/login?next=//evil.example/x",
        data={
            "email": "a@acme.example",
            "password": PASSWORD,
            "csrf_token": csrf_from(page.get_data(True)),
        },
    )
    assert resp.headers["Location"] == "/"


def test_remember_me_sets_cookie(app, client):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example", remember=True)
    assert client.get_cookie("remember_token") is not None


def test_session_cookie_flags(app, client):
    make_org(app, "Acme", "a@acme.example")
    resp = login(client, "a@acme.example")
    cookies = resp.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session


def _reset_link(caplog) -> str:
    match = re.search(r"(http://localhost/reset/[\w.\-]+)", last_mail_text())
    assert match, "the reset e-mail was not logged"
    return match.group(1).replace("http://localhost", "")


def test_password_reset_single_use_token(app, client, caplog):
    make_org(app, "Acme", "a@acme.example")
    caplog.set_level("INFO")
    page = client.get("/reset")
    client.post(
        "/reset", data={"email": "a@acme.example", "csrf_token": csrf_from(page.get_data(True))}
    )
    link = _reset_link(caplog)
    form = client.get(link)
    assert form.status_code == 200
    new = "a-brand-new-password"
    resp = client.post(
        link, data={"password": new, "confirm": new, "csrf_token": csrf_from(form.get_data(True))}
    )
    assert resp.status_code == 302
    assert login(client, "a@acme.example", new).status_code == 302
    # The same link again: dead (the password hash it was salted with changed).
    assert client.get(link).status_code == 302
    assert "/reset" in client.get(link).headers["Location"]


def test_password_reset_for_unknown_email_gives_same_answer(app, client, caplog):
    caplog.set_level("INFO")
    page = client.get("/reset")
    resp = client.post(
        "/reset", data={"email": "ghost@x.example", "csrf_token": csrf_from(page.get_data(True))}
    )
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert "/reset/" not in caplog.text and outbox() == []


def test_reset_token_expires_after_an_hour(app, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    from api import auth

    ids = make_org(app, "Acme", "a@acme.example")
    with app.test_request_context():
        user = db.session.get(User, ids["user_id"])
        token = auth.make_reset_token(user)
        assert auth.user_from_reset_token(token) is not None
        real = TimestampSigner.get_timestamp
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + 3601)
        assert auth.user_from_reset_token(token) is None


def test_a_deactivated_users_reset_token_is_refused(app):
    """Mutation survivor: ``user is None or not user.active`` as ``and`` let a deactivated
    account reset its password and sign in again."""
    from api import auth

    ids = make_org(app, "Acme", "a@acme.example")
    with app.test_request_context():
        user = db.session.get(User, ids["user_id"])
        token = auth.make_reset_token(user)
        assert auth.user_from_reset_token(token) is not None
        user.active = False
        db.session.commit()
        assert auth.user_from_reset_token(token) is None


def test_change_password_logs_out_other_sessions(app):
    make_org(app, "Acme", "a@acme.example")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "a@acme.example")
    login(laptop, "a@acme.example")
    page = laptop.get("/account/password")
    new = "another-strong-password"
    resp = laptop.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": new,
            "confirm": new,
            "csrf_token": csrf_from(page.get_data(True)),
        },
    )
    assert resp.status_code == 302
    assert laptop.get("/api/me").status_code == 200
    assert phone.get("/api/me").status_code == 401


def test_invite_flow_adds_member_with_role_and_persona(app, client, caplog):
    caplog.set_level("INFO")
    ids = make_org(app, "Acme", "owner@acme.example")
    login(client, "owner@acme.example")
    page = client.get("/team")
    client.post(
        "/team",
        data={
            "email": "new@acme.example",
            "role": "member",
            "persona": "director",
            "csrf_token": csrf_from(page.get_data(True)),
        },
    )
    link = re.search(r"http://localhost(/invite/[\w.\-]+)", last_mail_text()).group(1)
    guest = app.test_client()
    form = guest.get(link)
    assert form.status_code == 200
    resp = guest.post(
        link,
        data={
            "name": "Newbie",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": csrf_from(form.get_data(True)),
        },
    )
    assert resp.status_code == 302
    me = guest.get("/api/me").get_json()
    assert (
        me["org"]["id"] == ids["org_id"] and me["persona"] == "director" and me["role"] == "member"
    )
    with app.app_context():
        assert db.session.execute(select(Invite)).scalar_one().accepted_at is not None
    assert guest.get(link).status_code == 302  # used: redirected away


def test_member_cannot_invite(app, client):
    make_org(app, "Acme", "m@acme.example", role="member")
    login(client, "m@acme.example")
    page = client.get("/account/password")
    resp = client.post(
        "/team",
        data={
            "email": "x@y.example",
            "role": "admin",
            "persona": "cmo",
            "csrf_token": csrf_from(page.get_data(True)),
        },
    )
    assert resp.status_code == 403


def test_org_switcher(app, client):
    a = make_org(app, "Agency A", "agent@a.example")
    b = make_org(app, "Brand B", "b@b.example")
    with app.app_context():
        db.session.add(
            Membership(user_id=a["user_id"], org_id=b["org_id"], role="admin", persona="vp_growth")
        )
        db.session.commit()
    login(client, "agent@a.example")
    assert client.get("/api/me").get_json()["org"]["id"] == a["org_id"]
    token = csrf_from(client.get("/account/password").get_data(True))
    client.post("/org/switch", data={"org_id": b["org_id"], "csrf_token": token})
    me = client.get("/api/me").get_json()
    assert me["org"]["id"] == b["org_id"] and me["persona"] == "vp_growth"


def test_org_switch_to_foreign_org_is_404(app, client):
    make_org(app, "A", "a@a.example")
    b = make_org(app, "B", "b@b.example")
    login(client, "a@a.example")
    token = csrf_from(client.get("/account/password").get_data(True))
    assert (
        client.post("/org/switch", data={"org_id": b["org_id"], "csrf_token": token}).status_code
        == 404
    )
    assert (
        client.post("/org/switch", data={"org_id": "abc", "csrf_token": token}).status_code == 400
    )


def test_login_rate_limited_per_account(app):  # `app`: the migrated schema
    app = create_test_app(RATELIMIT_LOGIN="3 per minute")  # noqa: F811
    make_org(app, "Acme", "a@acme.example")
    codes = []
    for _ in range(5):
        c = app.test_client()  # fresh client each time; same account
        codes.append(login(c, "a@acme.example", "wrong-password").status_code)
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429
    from tests.conftest import truncate_all

    truncate_all(app)


def test_inactive_user_cannot_log_in(app, client):
    ids = make_org(app, "Acme", "a@acme.example")
    with app.app_context():
        db.session.get(User, ids["user_id"]).active = False
        db.session.commit()
    assert login(client, "a@acme.example").status_code == 401


def test_slugs_are_unique(app):
    make_org(app, "Same Name", "one@x.example")
    make_org(app, "Same Name", "two@x.example")
    with app.app_context():
        slugs = sorted(o.slug for o in db.session.execute(select(Organization)).scalars())
    assert slugs == ["same-name", "same-name-2"]


def test_login_rate_limited_per_ip_across_accounts(app):  # `app`: the migrated schema
    app = create_test_app(RATELIMIT_LOGIN="3 per minute")  # noqa: F811
    client = app.test_client()
    codes = [login(client, f"user{i}@acme.example", "wrong-password").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]  # four different accounts, one address
    from tests.conftest import truncate_all

    truncate_all(app)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/%09/evil.example",
        "/%0A/evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/%5Cevil.example",
    ],
)
def test_login_next_refuses_every_off_site_form(app, client, target):
    make_org(app, "Acme", "a@acme.example")
    page = client.get("/login")
    resp = client.post(
        f"/login?next={target}",
        data={
            "email": "a@acme.example",
            "password": PASSWORD,
            "csrf_token": csrf_from(page.get_data(True)),
        },
    )
    assert resp.headers["Location"] == "/"


def test_login_next_keeps_local_paths(app, client):
    make_org(app, "Acme", "a@acme.example")
    page = client.get("/login")
    resp = client.post(
        "/login?next=/analytics%3Frange%3D7d",
        data={
            "email": "a@acme.example",
            "password": PASSWORD,
            "csrf_token": csrf_from(page.get_data(True)),
        },
    )
    assert resp.headers["Location"] == "/analytics?range=7d"


def test_unknown_email_costs_a_password_hash_too(app, monkeypatch):
    """Same work for unknown and known e-mails: timing does not enumerate accounts."""
    from api import auth

    calls = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    client = app.test_client()
    login(client, "nobody@acme.example", "wrong-password")
    assert len(calls) == 1 and calls[0].startswith("scrypt:")


def test_production_without_smtp_never_logs_reset_links(app, caplog):
    from cryptography.fernet import Fernet

    prod = create_test_app(
        ENV="production",
        SECRET_KEY="a-long-production-secret-key-123",
        APP_BASE_URL="https://localhost",
        CREDENTIALS_KEY=Fernet.generate_key().decode(),
        RATELIMIT_LOGIN="1000 per minute",
    )
    make_org(prod, "Acme", "a@acme.example")
    caplog.set_level("INFO")
    client = prod.test_client()
    page = client.get("/reset", base_url="https://localhost")
    client.post(
        "/reset",
        data={"email": "a@acme.example", "csrf_token": csrf_from(page.get_data(True))},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/reset"},
    )
    assert "/reset/" not in caplog.text
    assert "was not sent" in caplog.text
    from tests.conftest import truncate_all

    prod.extensions["rq"].stop()  # production mode started the embedded worker threads
    truncate_all(prod)
