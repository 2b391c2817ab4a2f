"""Deploy smoke: the Procfile's processes for real, as production runs them.

release (migrations), gunicorn (2 workers), an `rq worker` and the `rq cron` scheduler start
from the Procfile's own lines with ENV=production on PostgreSQL and Redis. A user is made
with the CLI, connects the fake Shopify over HTTP (which starts the backfill sync), the
worker syncs and recomputes, and the new brain state is read over HTTP. /readyz and /metrics
(multiprocess: the worker's job samples show up in the web's scrape) are checked, then every
process gets SIGTERM and must exit cleanly within 10 s.

Runs only with DEPLOY_SMOKE=1 (.ci/run does, as its own bounded step): it needs PostgreSQL
(TEST_DATABASE_URL; its own `<name>_smoke` database) and Redis (REDIS_URL, flushed).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import ROOT
from tests.fakes.shopify import DEFAULT_TOKEN, FakeShopify

pytestmark = pytest.mark.skipif(
    os.environ.get("DEPLOY_SMOKE") != "1"
    or "postgres" not in os.environ.get("TEST_DATABASE_URL", "")
    or not os.environ.get("REDIS_URL"),
    reason="DEPLOY_SMOKE=1 with PostgreSQL (TEST_DATABASE_URL) and Redis (REDIS_URL)",
)
PASSWORD = "violet-harbor-Quill-7391"  # noqa: S105
EMAIL = "ops@smoke.example"
METRICS_TOKEN = "smoke-metrics-token"  # noqa: S105
STOP_WITHIN_S = 10


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if re.match(r"^\w+: ", line))


def smoke_database() -> str:
    """A fresh `<test database>_smoke` database (empty schema); returns its URL."""
    url = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{url.database}_smoke"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    smoke = url.set(database=name)
    engine = create_engine(smoke)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return smoke.render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """requests with cookies sent by hand: production cookies are Secure, the smoke is http."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        resp = requests.request(
            method, self.base + path, headers=headers, allow_redirects=False, timeout=30, **kwargs
        )
        self.cookies.update(resp.cookies.get_dict())
        return resp


def wait_for(check, timeout: float, what: str, procs: dict) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            assert proc.poll() is None, f"{name} exited early with {proc.returncode}"
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_procfile_processes_deploy_sync_recompute_and_stop_cleanly(tmp_path: Path):
    lines = procfile()
    port = free_port()
    redis_url = os.environ["REDIS_URL"]
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    shopify = FakeShopify(maximum_available=10000.0, restore_rate=1000.0).start()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "ENV": "production",
        "SECRET_KEY": "smoke-secret-key-0123456789abcdef",
        "CREDENTIALS_KEY": Fernet.generate_key().decode(),
        "APP_BASE_URL": "https://omnify.example",
        "TRUSTED_HOSTS": "127.0.0.1",
        "DATABASE_URL": smoke_database(),
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "SHOPIFY_API_BASE": shopify.url,
        "METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "RECOMPUTE_COALESCE_S": "0",
    }
    for key in (
        "SENTRY_DSN",
        "SMTP_URL",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "STRIPE_SECRET_KEY",
    ):
        env.pop(key, None)

    def run(line: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", line], env=env, cwd=ROOT, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip

    release = run(lines["release"])
    assert release.returncode == 0, release.stderr[-2000:]
    made = run(
        f"flask --app app create-user --email {EMAIL} --company 'Smoke Co' --password {PASSWORD}"
    )
    assert made.returncode == 0 and f"created {EMAIL}" in made.stdout, made.stderr[-2000:]

    procs: dict[str, subprocess.Popen] = {}
    logs = {}
    try:
        for name in ("web", "worker", "scheduler"):
            logs[name] = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115
            procs[name] = subprocess.Popen(
                ["bash", "-c", "exec " + lines[name]],
                env=env,
                cwd=ROOT,
                stdout=logs[name],
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return requests.get(base + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:  # refused, or workers still booting
                return False

        wait_for(healthy, 60, "gunicorn to answer /healthz", procs)
        ready = wait_for(
            lambda: (r := requests.get(base + "/readyz", timeout=5)).status_code == 200 and r,
            60,
            "/readyz (database, Redis, the scheduler's start)",
            procs,
        )
        assert ready.json()["queues"]["default"]["depth"] >= 0

        browser = Browser(base)
        page = browser.request("GET", "/login").text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        resp = browser.request(
            "POST", "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf}
        )
        assert resp.status_code == 302, resp.text[:500]
        me = browser.request("GET", "/api/me")
        assert me.status_code == 200 and me.headers["X-Request-ID"]
        headers = {"X-CSRFToken": browser.cookies["_csrf_token"], "Accept": "application/json"}
        resp = browser.request(
            "POST", "/connect/shopify", json={"shop": "smoke", "token": DEFAULT_TOKEN},
            headers=headers,
        )  # fmt: skip
        assert resp.status_code == 201, resp.text[:500]

        def state() -> dict | None:
            r = browser.request("GET", "/api/brain/state")
            return r.json() if r.status_code == 200 else None

        brain = wait_for(state, 150, "the sync and the brain recompute", procs)
        assert brain["memory"] and brain["as_of"]
        (conn,) = browser.request("GET", "/api/connections").json()
        assert conn["status"] == "active"

        scrape = requests.get(
            base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
        ).text
        assert 'omnify_job_duration_seconds_count{kind="sync",status="succeeded"}' in scrape
        assert "omnify_brain_recompute_seconds_count" in scrape
        assert 'omnify_http_request_duration_seconds_count{endpoint="/api/me"' in scrape
    finally:
        stopped = {}
        for _name, proc in procs.items():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        for name, proc in procs.items():
            try:
                proc.wait(max(0.1, STOP_WITHIN_S - (time.monotonic() - started)))
                stopped[name] = proc.returncode
            except subprocess.TimeoutExpired:
                stopped[name] = "still running"
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        for f in logs.values():
            f.close()
        shopify.stop()
        for name in logs:
            print(f"---- {name} log (tail) ----")
            print((tmp_path / f"{name}.log").read_text()[-3000:])
    assert stopped == {"web": 0, "worker": 0, "scheduler": 0}, stopped
    web_log = (tmp_path / "web.log").read_text().splitlines()
    request_lines = [json.loads(x) for x in web_log if x.startswith("{") and "omnify.request" in x]
    assert any(line.get("endpoint") == "/api/brain/state" for line in request_lines)
    worker_log = (tmp_path / "worker.log").read_text()
    assert '"logger": "omnify.job"' in worker_log and '"job_kind": "sync"' in worker_log
