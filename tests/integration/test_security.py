"""Security hardening (issue 10): links, hosts, sessions, headers, limits, logs."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from config import Config, ConfigError
from tests.conftest import (
    PASSWORD,
    create_test_app,
    csrf_from,
    last_mail_text,
    login,
    make_org,
    outbox,
    truncate_all,
)

BASE = "https://app.example.com"


@pytest.fixture(scope="module")
def secure_app(app: Flask):  # noqa: ANN201 - `app`: the migrated schema
    """Configured like production links: APP_BASE_URL and a trusted-host list."""
    application = create_test_app(
        APP_BASE_URL=BASE, TRUSTED_HOSTS="localhost", META_APP_ID="meta-app-id"
    )
    yield application
    truncate_all(application)


# ---- 1. links come from APP_BASE_URL; unknown hosts are refused ---------------------------
def test_reset_link_uses_app_base_url_not_the_request_host(secure_app):
    make_org(secure_app, "Acme", "a@acme.example")
    client = secure_app.test_client()
    page = client.get("/reset")
    resp = client.post(
        "/reset",
        data={"email": "a@acme.example", "csrf_token": csrf_from(page.get_data(True))},
        headers={"X-Forwarded-Host": "evil.example"},
    )
    assert resp.status_code == 302
    body = last_mail_text("a@acme.example")
    assert re.search(rf"{BASE}/reset/[\w.\-]+", body)
    assert "evil.example" not in body and "localhost" not in body


def test_forged_host_is_refused_before_any_mail(secure_app):
    make_org(secure_app, "Acme", "a@acme.example")
    client = secure_app.test_client()
    page = client.get("/reset")
    resp = client.post(
        "/reset",
        data={"email": "a@acme.example", "csrf_token": csrf_from(page.get_data(True))},
        headers={"Host": "evil.example"},
    )
    assert resp.status_code == 400
    assert outbox() == []
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/login", headers={"Host": "localhost"}).status_code == 200


def test_invite_link_uses_app_base_url(secure_app):
    make_org(secure_app, "Acme", "owner@acme.example")
    client = secure_app.test_client()
    login(client, "owner@acme.example")
    page = client.get("/team")
    client.post(
        "/team",
        data={
            "email": "new@acme.example",
            "role": "member",
            "persona": "cmo",
            "csrf_token": csrf_from(page.get_data(True)),
        },
    )
    assert re.search(rf"{BASE}/invite/[\w.\-]+", last_mail_text("new@acme.example"))


def test_oauth_redirect_uri_uses_app_base_url(secure_app):
    make_org(secure_app, "Acme", "owner@acme.example")
    client = secure_app.test_client()
    login(client, "owner@acme.example")
    resp = client.get("/connect/meta/start?account=act_1")
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["redirect_uri"] == [f"{BASE}/connect/meta/callback"]


def test_production_requires_an_https_app_base_url():
    from cryptography.fernet import Fernet

    env = {
        "ENV": "production",
        "SECRET_KEY": "x" * 40,
        "CREDENTIALS_KEY": Fernet.generate_key().decode(),
    }
    with pytest.raises(ConfigError, match="APP_BASE_URL"):
        Config.from_env(env=env)
    with pytest.raises(ConfigError, match="APP_BASE_URL"):
        Config.from_env(env={**env, "APP_BASE_URL": "http://app.example.com"})
    cfg = Config.from_env(env={**env, "APP_BASE_URL": "https://app.example.com/"})
    assert cfg.base_url == BASE and cfg.trusted_hosts == ["app.example.com"]


# ---- 8. tokens never reach a log -----------------------------------------------------------
def test_request_log_lines_are_redacted():
    from api.security import RedactingFilter

    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '127.0.0.1 - - "%s %s %s" %s -',
        ("GET", "/reset/eyJhbGciOi.abc-def?x=1", "HTTP/1.1", "200"),
        None,
    )
    RedactingFilter().filter(record)
    assert "eyJhbGciOi" not in record.getMessage()
    assert "/reset/[redacted]" in record.getMessage()
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        "GET /connect/meta/callback?code=SECRETCODE&state=S1 200",
        None,
        None,
    )
    RedactingFilter().filter(record)
    assert "SECRETCODE" not in record.getMessage() and "S1" not in record.getMessage()


def test_gunicorn_access_log_is_redacted():
    from gunicorn.config import Config as GunicornConfig

    from api.security import RedactingGunicornLogger

    logger = RedactingGunicornLogger(GunicornConfig())

    class Req:
        method, path, query, version = "GET", "/invite/tok.en-123", "", (1, 1)
        uri = "/invite/tok.en-123"
        headers: list = []

    class Resp:
        status, sent, headers = "200 OK", 10, []

        @staticmethod
        def get_status() -> str:
            return "200 OK"

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/invite/tok.en-123",
        "PATH_INFO": "/invite/tok.en-123",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "1.2.3.4",
    }
    from datetime import timedelta

    atoms = logger.atoms(Resp(), Req(), environ, timedelta(seconds=0.1))
    assert "tok.en-123" not in atoms["r"] and "tok.en-123" not in atoms["U"]


def test_development_mail_never_goes_to_the_log(app, client, caplog):
    make_org(app, "Acme", "a@acme.example")
    caplog.set_level("DEBUG")
    page = client.get("/reset")
    client.post(
        "/reset", data={"email": "a@acme.example", "csrf_token": csrf_from(page.get_data(True))}
    )
    assert "/reset/" in last_mail_text("a@acme.example")  # the developer finds it in the outbox
    assert "/reset/" not in caplog.text


def test_csrf_token_rotates_at_login(app):
    make_org(app, "Acme", "a@acme.example")
    client = app.test_client()
    before = csrf_from(client.get("/login").get_data(True))
    resp = client.post(
        "/login", data={"email": "a@acme.example", "password": PASSWORD, "csrf_token": before}
    )
    assert resp.status_code == 302
    after = client.get_cookie("_csrf_token").value
    assert after != before
    # The pre-login token no longer passes.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/api/me").status_code == 200


# ---- 2. logout ends the session server-side; remember-me is bounded and revocable ----------
def _clone(app: Flask, source, *names: str):  # noqa: ANN001, ANN202
    """A fresh browser holding only copies of these cookies of `source` (a stolen cookie)."""
    thief = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value)
    return thief


def _logout(client) -> None:  # noqa: ANN001
    token = csrf_from(client.get("/account/password").get_data(True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_logout_kills_the_old_session_cookie(app, client):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    copy = _clone(app, client, "session")
    assert copy.get("/api/me").status_code == 200
    _logout(client)
    assert copy.get("/api/me").status_code == 401


def test_logout_kills_the_remember_cookie(app, client):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example", remember=True)
    copy = _clone(app, client, "remember_token")
    assert copy.get("/api/me").status_code == 200  # the remember cookie alone logs in...
    _logout(client)
    assert _clone(app, copy, "remember_token").get("/api/me").status_code == 401  # ...no more


def test_remember_me_lasts_30_days(app, client):
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    make_org(app, "Acme", "a@acme.example")
    resp = login(client, "a@acme.example", remember=True)
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    days = (expires - datetime.now(UTC)).days
    assert 29 <= days <= 30


def test_logout_on_one_device_keeps_the_others(app):
    make_org(app, "Acme", "a@acme.example")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "a@acme.example")
    login(laptop, "a@acme.example")
    _logout(phone)
    assert phone.get("/api/me").status_code == 401
    assert laptop.get("/api/me").status_code == 200


def test_log_out_everywhere_from_the_account_page(app):
    make_org(app, "Acme", "a@acme.example")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "a@acme.example", remember=True)
    login(laptop, "a@acme.example")
    remembered = _clone(app, phone, "remember_token")
    page = laptop.get("/account/password").get_data(True)
    assert "Log out everywhere" in page and "logged in on 2 browsers" in page
    token = csrf_from(page)
    assert laptop.post("/account/logout-everywhere", data={"csrf_token": token}).status_code == 302
    for browser in (phone, laptop, remembered):
        assert browser.get("/api/me").status_code == 401


def test_log_out_everywhere_needs_csrf(app, client):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    assert client.post("/account/logout-everywhere").status_code == 400
    assert client.get("/api/me").status_code == 200


# ---- 3. Redis down: login still works ----------------------------------------------------
def test_login_works_with_redis_down(app):
    dead = create_test_app(REDIS_URL="redis://127.0.0.1:9/0", RATELIMIT_LOGIN="2 per minute")
    make_org(dead, "Acme", "a@acme.example")
    dead.config["PROPAGATE_EXCEPTIONS"] = False
    client = dead.test_client()
    assert login(client, "a@acme.example").status_code == 302
    assert client.get("/api/me").status_code == 200
    # The limiter still counts, in memory: the third POST from this address is refused.
    codes = [
        login(dead.test_client(), "a@acme.example", "wrong-password").status_code for _ in range(2)
    ]
    assert codes[-1] == 429
    assert dead.test_client().get("/readyz").status_code == 503
    truncate_all(app)


# ---- 6. sign-up does not enumerate; weak passwords are refused ---------------------------
def _signup(client, **fields: str):  # noqa: ANN001, ANN202
    page = client.get("/signup")
    data = {
        "company": "Glow Co",
        "name": "Gia",
        "email": "gia@glow.example",
        "password": PASSWORD,
        "persona": "cmo",
        **fields,
    }
    return client.post("/signup", data={**data, "csrf_token": csrf_from(page.get_data(True))})


def test_signup_answers_the_same_for_a_taken_email(app):
    make_org(app, "Acme", "taken@acme.example")
    taken = _signup(app.test_client(), email="taken@acme.example")
    fresh = _signup(app.test_client(), email="fresh@acme.example")
    assert taken.status_code == fresh.status_code == 200
    strip = lambda r, e: re.sub(r'value="[^"]*"', "", r.get_data(True)).replace(e, "X")  # noqa: E731
    assert strip(taken, "taken@acme.example") == strip(fresh, "fresh@acme.example")
    assert "already has an Omnify Brain account" in last_mail_text("taken@acme.example")
    assert "/signup/confirm/" in last_mail_text("fresh@acme.example")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaa", "Repeats"),
        ("password123", "common password"),
        ("qwertyuiop", "common password"),
        ("glowglow2026!", "company"),
        ("marketing-desk-77", "e-mail"),
    ],
)
def test_signup_refuses_weak_and_contextual_passwords(app, client, password, why):
    resp = _signup(client, email="marketing@glow.example", password=password)
    assert resp.status_code == 400
    assert why in resp.get_data(True)
    assert outbox() == []


def test_change_password_refuses_a_common_one(app, client):
    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    page = client.get("/account/password")
    resp = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "password1234",
            "confirm": "password1234",
            "csrf_token": csrf_from(page.get_data(True)),
        },
    )
    assert resp.status_code == 400 and "common" in resp.get_data(True)


# ---- 7. proxies, exponential wait per account, mail after repeated failures ---------------
def _age_failures(app: Flask, email: str, seconds: int) -> None:
    from datetime import timedelta

    from extensions import db
    from models import LoginThrottle

    with app.app_context():
        row = db.session.get(LoginThrottle, email)
        row.last_failure_at = row.last_failure_at - timedelta(seconds=seconds)
        db.session.commit()


def _wait(resp) -> int:  # noqa: ANN001
    return int(re.search(r"try again in (\d+) seconds", resp.get_data(True)).group(1))


def test_failed_logins_slow_the_account_down_instead_of_locking_it(app):
    make_org(app, "Acme", "a@acme.example")
    codes = [login(app.test_client(), "a@acme.example", "wrong-pass").status_code for _ in range(5)]
    assert codes == [401] * 5
    blocked = login(app.test_client(), "a@acme.example")  # even the right password waits
    assert blocked.status_code == 429 and _wait(blocked) <= 15
    _age_failures(app, "a@acme.example", 16)
    assert login(app.test_client(), "a@acme.example").status_code == 302  # not locked out


def test_each_further_failure_doubles_the_wait(app):
    make_org(app, "Acme", "a@acme.example")
    for _ in range(5):
        login(app.test_client(), "a@acme.example", "wrong-pass")
    _age_failures(app, "a@acme.example", 16)
    assert login(app.test_client(), "a@acme.example", "wrong-pass").status_code == 401  # 6th
    _age_failures(app, "a@acme.example", 16)
    resp = login(app.test_client(), "a@acme.example")
    assert resp.status_code == 429 and 10 <= _wait(resp) <= 15


def test_unknown_email_is_slowed_down_the_same(app):
    codes = [
        login(app.test_client(), "ghost@acme.example", "x-pass-word").status_code for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]


def test_owner_is_mailed_after_repeated_failures(app):
    make_org(app, "Acme", "a@acme.example")
    for _ in range(10):
        login(app.test_client(), "a@acme.example", "wrong-pass")
        _age_failures(app, "a@acme.example", 16 * 60)
    mails = [m for m in outbox() if "Failed logins" in m["Subject"]]
    assert len(mails) == 1 and "a@acme.example" in mails[0]["To"]
    assert "/reset" in mails[0].get_content()


def test_client_address_comes_from_the_trusted_proxy(app):
    from extensions import db
    from models import AuditLog

    proxied = create_test_app(TRUSTED_PROXIES=1, RATELIMIT_LOGIN="2 per minute")
    direct = app
    headers = {"X-Forwarded-For": "203.0.113.7"}
    for target in (proxied, direct):
        client = target.test_client()
        page = client.get("/login")
        client.post(
            "/login",
            data={
                "email": "x@y.example",
                "password": "nope-nope",
                "csrf_token": csrf_from(page.get_data(True)),
            },
            headers=headers,
        )
    with app.app_context():
        ips = [r.detail["ip"] for r in db.session.query(AuditLog).order_by(AuditLog.id)]
    assert ips == ["203.0.113.7", "127.0.0.1"]  # only a configured proxy is believed
    # Per-address limits key on the real client: two clients behind the proxy don't share one.
    codes = []
    for i in range(3):
        c = proxied.test_client()
        codes.append(login(c, f"u{i}@y.example", "nope-nope").status_code)
    assert 429 not in codes[:2]
    truncate_all(app)


# ---- 4. Content-Security-Policy and HSTS ---------------------------------------------------
def _csp(resp) -> dict[str, list[str]]:  # noqa: ANN001
    header = resp.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_every_page_has_a_strict_csp(app, client):
    make_org(app, "Acme", "a@acme.example")
    assert _csp(client.get("/login"))["script-src"][0] == "'self'"
    login(client, "a@acme.example")
    for path in ("/", "/team", "/account/password", "/_dash-layout"):
        policy = _csp(client.get(path))
        assert "'unsafe-eval'" not in policy["script-src"], path
        assert "'unsafe-inline'" not in policy["script-src"], path
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def test_csp_hashes_cover_every_inline_script_of_the_dash_page(app, client):
    import base64
    import hashlib

    make_org(app, "Acme", "a@acme.example")
    login(client, "a@acme.example")
    resp = client.get("/")
    allowed = set(_csp(resp)["script-src"])
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", resp.get_data(True), re.S)
    executable = [body for attrs, body in inline if "application/json" not in attrs]
    assert executable, "the Dash index has inline scripts"
    for body in executable:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed


def test_hsts_only_in_production(app, client):
    from cryptography.fernet import Fernet

    assert "Strict-Transport-Security" not in client.get("/login").headers
    prod = create_test_app(
        ENV="production",
        SECRET_KEY="a-long-production-secret-key-123",
        CREDENTIALS_KEY=Fernet.generate_key().decode(),
        APP_BASE_URL="https://localhost",
    )
    try:
        resp = prod.test_client().get("/login", base_url="https://localhost")
        hsts = resp.headers["Strict-Transport-Security"]
        assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 365 * 24 * 3600
        assert "Content-Security-Policy" in resp.headers
    finally:
        prod.extensions["rq"].stop()


# ---- 5. odd input is a 4xx, never a 500 ----------------------------------------------------
@pytest.fixture
def logged_in(app, client):  # noqa: ANN201
    app.config["PROPAGATE_EXCEPTIONS"] = False  # what a user sees, not the test's traceback
    make_org(app, "A", "a@a.example")
    login(client, "a@a.example")
    yield client
    app.config["PROPAGATE_EXCEPTIONS"] = None


@pytest.mark.parametrize("big", [2**31, 2**40, 2**63 - 1, 2**63, 2**64])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/connections/{}/sync"),
        ("POST", "/connections/{}/disconnect"),
        ("GET", "/api/sync-jobs/{}"),
        ("POST", "/team/members/{}"),
    ],
)
def test_huge_ids_are_404(logged_in, method, path, big):
    from tests.conftest import csrf_headers

    resp = logged_in.open(path.format(big), method=method, headers=csrf_headers(logged_in))
    assert resp.status_code == 404


@pytest.mark.parametrize("path", ["/signup", "/reset", "/team", "/login"])
def test_a_file_in_a_text_field_is_a_400(logged_in, path):
    import io

    token = csrf_from(logged_in.get("/account/password").get_data(True))
    if path in ("/signup", "/reset", "/login"):
        fresh = logged_in.application.test_client()
        token = csrf_from(fresh.get(path).get_data(True))
        client = fresh
    else:
        client = logged_in
    resp = client.post(
        path,
        data={"email": (io.BytesIO(b"x@y.example"), "e.txt"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert 400 <= resp.status_code < 500
    assert outbox() == []


def _signed(app: Flask, body: bytes, secret: str = "whsec") -> dict[str, str]:  # noqa: ARG001
    import base64
    import hashlib
    import hmac

    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "X-Shopify-Hmac-SHA256": digest,
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "evt-1",
        "X-Shopify-Shop-Domain": "acme.myshopify.com",
        "Content-Type": "application/json",
    }


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_signed_webhook_is_a_400(app, client, monkeypatch, depth):
    from extensions import db
    from models import ProcessedEvent

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(app.config["OMNIFY"], "SHOPIFY_WEBHOOK_SECRET", "whsec")
    body = ("[" * depth + "]" * depth).encode()
    resp = client.post("/webhooks/shopify", data=body, headers=_signed(app, body))
    app.config["PROPAGATE_EXCEPTIONS"] = None
    assert resp.status_code == 400 and "nested" in resp.get_json()["error"]
    with app.app_context():
        assert db.session.query(ProcessedEvent).count() == 0  # nothing recorded


def test_malformed_callback_with_empty_outputs_and_a_pattern_input(app, logged_in):
    from app import get_dash
    from tests.conftest import csrf_headers

    for output, spec in get_dash(app).callback_map.items():
        if "callback" in spec and any(i["id"].startswith("{") for i in spec["inputs"]):
            inputs = [
                {"id": {"type": "x"}, "property": i["property"], "value": 1} for i in spec["inputs"]
            ]
            for outputs in ({}, [], [{}], {"id": "x", "property": "y"}):
                body = {"output": output, "outputs": outputs, "inputs": inputs}
                resp = logged_in.post(
                    "/_dash-update-component", json=body, headers=csrf_headers(logged_in)
                )
                assert resp.status_code == 400, (output, outputs, resp.status_code)


def test_bodies_over_the_limit_are_413(app, client, monkeypatch):
    monkeypatch.setattr(app.config["OMNIFY"], "SHOPIFY_WEBHOOK_SECRET", "whsec")
    big = b"{" + b" " * (6 * 1024 * 1024) + b"}"
    assert client.post("/webhooks/shopify", data=big, headers=_signed(app, big)).status_code == 413
    resp = client.post("/login", data=big, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 413


def test_unknown_dash_bundle_is_404_not_500(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    resp = client.get("/_dash-component-suites/nope/x.js")
    app.config["PROPAGATE_EXCEPTIONS"] = None
    assert resp.status_code == 404


def test_pattern_callback_with_wrong_fixed_id_values_is_400(app, logged_in):
    from app import get_dash
    from tests.conftest import csrf_headers

    for output, spec in get_dash(app).callback_map.items():
        if "callback" in spec and output.startswith("url.pathname@"):
            continue
        if "callback" not in spec or not spec["inputs"][0]["id"].startswith("{"):
            continue
        body = {
            "output": output,
            "outputs": [],
            "inputs": [{"id": {"type": "x"}, "property": "n_clicks", "value": 1}],
        }
        resp = logged_in.post("/_dash-update-component", json=body, headers=csrf_headers(logged_in))
        assert resp.status_code == 400


# ---- 9. the audit log ----------------------------------------------------------------------
def _actions(app: Flask, org_id: int | None = None) -> list[str]:
    from extensions import db
    from models import AuditLog

    with app.app_context():
        query = db.session.query(AuditLog).order_by(AuditLog.id)
        if org_id is not None:
            query = query.filter(AuditLog.org_id == org_id)
        return [r.action for r in query]


def test_logins_are_audited(app):
    ids = make_org(app, "Acme", "a@acme.example")
    login(app.test_client(), "a@acme.example", "wrong-password")
    login(app.test_client(), "a@acme.example")
    login(app.test_client(), "ghost@acme.example", "wrong-password")
    assert _actions(app, ids["org_id"]) == ["login.failed", "login.success"]
    assert _actions(app) == ["login.failed", "login.success", "login.failed"]  # ghost: no org


def test_role_and_persona_changes_are_audited(app, client):
    from extensions import db
    from models import Membership, User

    owner = make_org(app, "Acme", "owner@acme.example")
    with app.app_context():
        user = User(email="m@acme.example", name="M")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        member = Membership(user_id=user.id, org_id=owner["org_id"], role="member", persona="cmo")
        db.session.add(member)
        db.session.commit()
        member_id = member.id
    login(client, "owner@acme.example")
    token = csrf_from(client.get("/team").get_data(True))
    resp = client.post(
        f"/team/members/{member_id}",
        data={"role": "admin", "persona": "director", "csrf_token": token},
    )
    assert resp.status_code == 303
    with app.app_context():
        changed = db.session.get(Membership, member_id)
        assert (changed.role, changed.persona) == ("admin", "director")
    assert _actions(app, owner["org_id"])[-2:] == ["member.role", "member.persona"]
    page = client.get("/team?kind=member").get_data(True)
    assert "member.role" in page and "before: member" in page and "login.success" not in page


def test_member_cannot_change_roles_or_see_the_audit_log(app, client):
    from extensions import db
    from models import Membership

    ids = make_org(app, "Acme", "m@acme.example", role="member")
    login(client, "m@acme.example")
    page = client.get("/team").get_data(True)
    assert 'id="audit"' not in page
    with app.app_context():
        mid = db.session.query(Membership).one().id
    token = csrf_from(client.get("/account/password").get_data(True))
    resp = client.post(
        f"/team/members/{mid}", data={"role": "admin", "persona": "cmo", "csrf_token": token}
    )
    assert resp.status_code == 403
    with app.app_context():
        assert db.session.query(Membership).one().role == "member"
    assert "member.role" not in _actions(app, ids["org_id"])


def test_invites_connections_and_exports_are_audited(app, client, fake_shopify, monkeypatch):
    from tests.conftest import csrf_headers
    from tests.fakes.shopify import DEFAULT_TOKEN

    ids = make_org(app, "Acme", "owner@acme.example")
    login(client, "owner@acme.example")
    page = client.get("/team")
    client.post(
        "/team",
        data={
            "email": "new@acme.example",
            "role": "viewer",
            "persona": "cmo",
            "csrf_token": csrf_from(page.get_data(True)),
        },
    )
    monkeypatch.setattr(app.config["OMNIFY"], "SHOPIFY_API_BASE", fake_shopify.url)
    resp = client.post(
        "/connect/shopify",
        json={"shop": "acme.myshopify.com", "token": DEFAULT_TOKEN},
        headers=csrf_headers(client),
    )
    assert resp.status_code == 201
    conn_id = resp.get_json()["connection_id"]
    assert (
        client.post(f"/connections/{conn_id}/disconnect", headers=csrf_headers(client)).status_code
        == 200
    )
    assert client.get("/exports/analytics.csv?range=7d").status_code == 200
    assert _actions(app, ids["org_id"])[1:] == [
        "invite.sent",
        "connection.added",
        "connection.disconnected",
        "export.csv",
    ]


def test_audit_log_is_paged_filtered_and_tenant_scoped(app, client):
    from extensions import db
    from models.security import audit

    a = make_org(app, "Alpha", "owner@alpha.example")
    b = make_org(app, "Beta", "owner@beta.example")
    with app.app_context():
        for i in range(25):
            audit("export.csv", a["org_id"], a["user_id"], file=f"alpha-file-{i:02d}")
        audit("connection.added", b["org_id"], b["user_id"], account="beta-secret-account")
        db.session.commit()
    login(client, "owner@alpha.example")
    first = client.get("/team?kind=export").get_data(True)
    assert "alpha-file-24" in first and "alpha-file-05" in first and "alpha-file-04" not in first
    assert 'id="audit-older"' in first
    second = client.get("/team?kind=export&page=2").get_data(True)
    assert "alpha-file-04" in second and "alpha-file-05" not in second
    assert 'id="audit-older"' not in second
    assert "login.success" in client.get("/team?kind=login").get_data(True)
    for query in ("", "?kind=connection", "?kind=bogus&page=-3", "?page=99999999999"):
        resp = client.get("/team" + query)
        assert resp.status_code == 200 and "beta-secret-account" not in resp.get_data(True)


def test_old_failures_of_other_emails_are_cleaned_up(app):
    from extensions import db
    from models import LoginThrottle

    login(app.test_client(), "old@acme.example", "wrong-pass")
    _age_failures(app, "old@acme.example", 25 * 3600)
    login(app.test_client(), "new@acme.example", "wrong-pass")
    with app.app_context():
        assert [r.email for r in db.session.query(LoginThrottle)] == ["new@acme.example"]


def test_cli_refuses_a_common_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "--email", "x@y.example", "--password", "password1234"]
    )
    assert result.exit_code != 0 and "common" in result.output
