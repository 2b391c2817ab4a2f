"""Faults: Redis stops mid-run, PostgreSQL drops every connection mid-run.

Both use real servers of their own (a redis-server on a free port with an append-only file;
a TCP proxy in front of the test PostgreSQL that can cut every connection), so the shared
services of the machine are never touched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time

import pytest
from redis import Redis

from jobs.queue import FlaskSimpleWorker
from tests.conftest import create_test_app, csrf_headers, database_url, login, make_org
from tests.helpers.wait import wait_until

needs_redis_server = pytest.mark.skipif(
    not shutil.which("redis-server"), reason="needs the redis-server binary"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of this test, persisting to an append-only file in `folder`."""

    def __init__(self, folder, port: int) -> None:
        self.folder, self.port, self.proc = folder, port, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always",
                "--save", "",
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # a clean shutdown: the append-only file is complete
            self.proc.wait(10)


@needs_redis_server
def test_redis_stops_mid_run_pages_stay_up_enqueue_fails_clearly_nothing_lost(app, tmp_path):
    port = free_port()
    redis = OwnRedis(tmp_path, port)
    redis.start()
    try:
        faulty = create_test_app(REDIS_URL=f"redis://127.0.0.1:{port}/0")
        ids = make_org(faulty, "Acme", "a@acme.example")
        client = faulty.test_client()
        login(client, "a@acme.example")
        headers = {**csrf_headers(client), "Accept": "application/json"}
        queued = client.post("/api/brain/compute", headers=headers)
        assert queued.status_code == 202  # a recompute waits in Redis

        redis.stop()  # Redis goes away mid-run
        assert client.get("/api/me").status_code == 200  # pages come from the database
        assert client.get("/api/connections").status_code == 200
        down = client.post("/api/brain/compute", headers=headers)
        assert down.status_code == 503
        body = down.get_json()
        assert "job queue is unavailable" in body["error"] and body["request_id"]
        assert faulty.test_client().get("/readyz").status_code == 503

        redis.start()  # Redis returns with what it had queued
        queue = faulty.extensions["rq"].queue
        assert queue.count == 1
        worker = FlaskSimpleWorker([queue], connection=queue.connection)
        worker.flask_app = faulty
        worker.work(burst=True)
        state = client.get("/api/brain/state")  # the queued recompute ran: nothing lost
        assert state.status_code == 200 and state.get_json()["org_id"] == ids["org_id"]
    finally:
        redis.stop()


class CuttableProxy:
    """A TCP proxy to PostgreSQL; `cut()` drops every connection and refuses new ones (what
    clients see when the server restarts), `resume()` accepts again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def resume(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(50)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        if self._server is not None:
            try:
                self._server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self._server.close()
            self._server = None
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@pytest.mark.skipif("postgres" not in database_url(), reason="PostgreSQL restart: needs PG")
def test_postgres_restart_mid_run_503_with_request_id_then_recovers_without_restart(app):
    from sqlalchemy.engine import make_url

    url = make_url(database_url())
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.resume()
    try:
        faulty = create_test_app(
            DATABASE_URL=url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        )
        make_org(faulty, "Acme", "a@acme.example")
        client = faulty.test_client()
        login(client, "a@acme.example")
        assert client.get("/api/me").status_code == 200  # the pool now holds a connection

        proxy.cut()  # PostgreSQL goes away: pooled connections die, new ones are refused
        down = client.get("/api/me")
        assert down.status_code == 503
        assert down.get_json()["request_id"] == down.headers["X-Request-ID"]

        proxy.resume()  # PostgreSQL is back; the same app (no restart) recovers
        assert client.get("/api/me").status_code == 200  # pool_pre_ping replaced the dead one
        assert client.get("/api/connections").status_code == 200

        proxy.cut()  # a quick restart between two requests: the pool holds dead connections
        proxy.resume()
        assert client.get("/api/me").status_code == 200  # pre-ping: no user sees the restart
    finally:
        proxy.cut()


def test_smtp_down_alerts_are_retried_never_lost_never_duplicated(app, monkeypatch):
    from prometheus_client import REGISTRY

    import tests.fakes.smtp as smtp_fakes
    from jobs.notify import notify_admins
    from tests.fakes.smtp import FakeSMTP

    def emails(outcome: str) -> float:
        return REGISTRY.get_sample_value("omnify_emails_total", {"outcome": outcome}) or 0.0

    sent_before, failed_before = emails("sent"), emails("failed")
    port = free_port()
    faulty = create_test_app(SMTP_URL=f"smtp://127.0.0.1:{port}", MAIL_RETRY_INTERVALS="1,1,1")
    ids = make_org(faulty, "Acme", "a@acme.example")
    queue = faulty.extensions["rq"].queue
    with faulty.app_context():  # SMTP is down: the alert is queued, the caller carries on
        assert notify_admins(ids["org_id"], "Meta sync failed", "token expired") == [ids["email"]]
        notify_admins(ids["org_id"], "Meta sync failed", "token expired")  # raised again
    assert queue.count == 1  # one alert, one retry job

    def work() -> None:
        worker = FlaskSimpleWorker([queue], connection=queue.connection)
        worker.flask_app = faulty
        worker.work(burst=True)

    work()  # still down: the job fails and waits for its retry
    assert queue.scheduled_job_registry.count == 1

    monkeypatch.setattr(smtp_fakes, "_free_port", lambda host: port)
    with FakeSMTP() as smtp:  # SMTP is back on its address
        from rq.scheduler import RQScheduler

        registry = queue.scheduled_job_registry
        wait_until(registry.get_jobs_to_schedule, 10, "the retry to be due")
        scheduler = RQScheduler([queue], connection=queue.connection)
        scheduler.acquire_locks()  # what `rq worker --with-scheduler` does every second
        scheduler.enqueue_scheduled_jobs()
        scheduler.release_locks()
        work()
        assert [m.subject for m in smtp.messages] == ["Meta sync failed"]
        work()  # nothing left to send twice
        assert len(smtp.messages) == 1 and ids["email"] in smtp.messages[0].rcpt_tos
    assert emails("sent") - sent_before == 1  # the metric counts what happened
    assert emails("failed") - failed_before == 3  # two first attempts and one retry


def test_smtp_down_brain_alert_mails_are_queued_and_sent_once_when_it_returns(
    app, monkeypatch, smtp_server
):
    from tests.helpers.alerts import _fatigue, _member, _state

    org = make_org(app, "Lumen", "cmo@lumen.example", persona="cmo")
    _member(app, org["org_id"], "vp@lumen.example", "vp_growth")
    _member(app, org["org_id"], "dir@lumen.example", "director")
    cfg = app.config["OMNIFY"]
    monkeypatch.setattr(cfg, "SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # SMTP is down
    monkeypatch.setattr(cfg, "MAIL_RETRY_INTERVALS", "")  # retried when a worker runs
    _state(app, org["org_id"], [_fatigue(0.75, "medium")])  # mails VP Growth and Director
    queue = app.extensions["rq"].queue
    assert queue.count == 2 and smtp_server.messages == []  # queued, not lost

    monkeypatch.setattr(cfg, "SMTP_URL", smtp_server.url)  # SMTP is back
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = app
    worker.work(burst=True)
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == [
        "dir@lumen.example",
        "vp@lumen.example",
    ]
    worker.work(burst=True)
    assert len(smtp_server.messages) == 2  # never twice
