"""Shared fixtures: one app per session on the real services when configured.

TEST_DATABASE_URL -> PostgreSQL (else a SQLite file); REDIS_URL -> real Redis (else fakeredis).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text

from config import Config
from extensions import db

pytest_plugins = (
    ["tests.fakes.fixtures"]
    if os.path.exists(os.path.join(os.path.dirname(__file__), "fakes", "fixtures.py"))
    else []
)

PASSWORD = "correct-horse-battery"  # noqa: S105 - test users only


def _isolate_xdist_worker() -> None:
    """Under pytest-xdist (`make test` runs two workers) each worker gets its own PostgreSQL
    database (`<name>_gwN`, created when missing), Redis database and E2E port, written back
    to the environment so the worker processes the tests start get the same ones."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    n = int(worker[2:])
    os.environ["E2E_PORT"] = str(int(os.environ.get("E2E_PORT", "8050")) + 100 * n)
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        base, _, index = redis_url.rpartition("/")
        os.environ["REDIS_URL"] = f"{base}/{(int(index or 0) + n) % 16}"
    pg_url = os.environ.get("TEST_DATABASE_URL", "")
    if "postgres" in pg_url:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        url = make_url(pg_url)
        name = f"{url.database}_{worker}"
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        os.environ["TEST_DATABASE_URL"] = url.set(database=name).render_as_string(
            hide_password=False
        )


_isolate_xdist_worker()
# dash_duo's server port; set E2E_PORT so two checkouts can run their E2E tests at once
E2E_PORT = int(os.environ.get("E2E_PORT", "8050"))
_SQLITE_DIR = tempfile.mkdtemp(prefix="omnify-test-")


def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_SQLITE_DIR}/test.db"


def make_config(**overrides: object) -> Config:
    env = {
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "RATELIMIT_LOGIN": "1000 per minute",
        "APP_BASE_URL": "http://localhost",
        "TRUSTED_HOSTS": "127.0.0.1",  # dash_duo's browser
        "MAIL_OUTBOX": os.path.join(_SQLITE_DIR, "outbox"),
        # one queue in tests (workers in tests drain `default`); the deploy smoke and
        # tests/integration/test_queue_routes.py run the production split
        "QUEUE_ROUTES": "",
    }
    return Config.from_env(env=env, **overrides)


def pytest_report_header(config: pytest.Config) -> list[str]:
    db_url = database_url()
    return [
        "omnify: database "
        + ("PostgreSQL " + re.sub(r"//[^@]*@", "//", db_url) if "postgres" in db_url else "SQLite"),
        "omnify: queue "
        + ("Redis " + os.environ["REDIS_URL"] if os.environ.get("REDIS_URL") else "fakeredis"),
    ]


def pytest_setup_options():  # noqa: ANN201 - dash[testing] hook: headless Chromium as root
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console: CSP reports
    return options


def settle(dash_duo, timeout: float = 15) -> None:  # noqa: ANN001
    """Wait until Dash's renderer has no callback in flight (instead of a fixed sleep)."""
    from dash.testing.wait import until

    until(
        lambda: dash_duo.driver.execute_script(
            "var s = window.store && window.store.getState();"
            "if (!s) return false;"
            "var c = Object.assign({}, s.callbacks); delete c.stored; delete c.completed;"
            "return [].concat.apply([], Object.values(c)).length === 0 && !s.isLoading;"
        ),
        timeout=timeout,
        poll=0.1,
    )


def reset_schema(app: Flask) -> None:
    """Drop everything and run the real migrations to head."""
    from flask_migrate import upgrade

    with app.app_context():
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":  # the test database is ours to wipe
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        if db.engine.dialect.name != "postgresql":
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()


def truncate_all(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        quote = db.engine.dialect.identifier_preparer.quote
        tables = [quote(t.name) for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in reversed(tables):
                    conn.execute(text(f"DELETE FROM {name}"))
        app.extensions["rq"].connection.flushdb()
    app.extensions.pop("omnify_render_cache", None)  # callbacks/render_cache.py: a fresh one
    import shutil

    shutil.rmtree(os.path.join(_SQLITE_DIR, "outbox"), ignore_errors=True)


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    application = create_test_app()
    reset_schema(application)
    yield application


def create_test_app(**overrides: object) -> Flask:
    from app import create_app

    return create_app(make_config(**overrides))


@pytest.fixture(autouse=True)
def _test_body_unscoped() -> Iterator[None]:
    """A test body arranges and asserts rows of several orgs, so it runs unscoped; each
    request and each worker job it starts is scoped exactly as in production."""
    from models.tenancy import unscoped

    with unscoped("test body: arranging and asserting rows of several orgs"):
        yield


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" in request.fixturenames:
        truncate_all(request.getfixturevalue("app"))


@pytest.fixture
def client(app: Flask):  # noqa: ANN201
    return app.test_client()


# ---- data helpers ------------------------------------------------------------------------
def make_org(app: Flask, name: str, email: str, persona: str = "cmo", role: str = "owner") -> dict:
    """An organization with one user; returns their ids."""
    from api.auth import create_org_with_owner

    with app.app_context():
        user = create_org_with_owner(name, name + " owner", email, PASSWORD, persona)
        db.session.commit()
        membership = user.memberships[0]
        membership.role = role
        db.session.commit()
        return {"org_id": membership.org_id, "user_id": user.id, "email": user.email}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD, remember: bool = False):  # noqa: ANN001, ANN201
    page = client.get("/login")
    data = {"email": email, "password": password, "csrf_token": csrf_from(page.get_data(True))}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def outbox() -> list:
    """Mails "sent" without SMTP_URL (oldest first), as email.message.EmailMessage objects."""
    import email
    import email.policy
    from pathlib import Path

    folder = Path(_SQLITE_DIR, "outbox")
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def last_mail_text(to: str | None = None) -> str:
    """The body of the newest outbox mail (to that address), or "" if none."""
    for msg in reversed(outbox()):
        if to is None or to in msg["To"]:
            return msg.get_content()
    return ""


def csrf_headers(client) -> dict[str, str]:  # noqa: ANN001
    """The header Dash's renderer sends, from the cookie the app sets."""
    cookie = client.get_cookie("_csrf_token")
    if cookie is None:
        client.get("/api/me")
        cookie = client.get_cookie("_csrf_token")
    assert cookie is not None, "the app did not set the _csrf_token cookie"
    return {"X-CSRFToken": cookie.value}
