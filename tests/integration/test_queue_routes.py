"""Production routing: each kind of job on its own queue, so a slow AI call never delays a
sync (a worker started with `sync brain ai mail default` takes them in that order)."""

from __future__ import annotations

import pytest
from rq import Queue

from config import ConfigError
from extensions import db
from jobs.brain import enqueue_recompute
from jobs.narratives import enqueue_narratives
from jobs.notify import queue_alert_retry
from jobs.sync import start_sync
from models import Connection
from tests.conftest import create_test_app, make_config, make_org


def test_each_kind_of_job_goes_to_its_queue(app):
    routed = create_test_app(QUEUE_ROUTES="sync:sync,brain:brain,ai:ai,mail:mail")
    ids = make_org(routed, "Acme", "a@acme.example")
    connection = routed.extensions["rq"].connection
    with routed.app_context():
        conn = Connection(org_id=ids["org_id"], platform="meta", external_account_id="act_1")
        db.session.add(conn)
        db.session.commit()
        start_sync(conn)
        enqueue_recompute(ids["org_id"])
        enqueue_narratives(ids["org_id"], 1)
        queue_alert_retry(["a@acme.example"], "subject", "text")
    counts = {name: Queue(name, connection=connection).count for name in ("sync", "brain", "ai")}
    counts["mail"] = Queue("mail", connection=connection).count
    assert counts == {"sync": 1, "brain": 1, "ai": 1, "mail": 1}
    assert Queue("default", connection=connection).count == 0


def test_unknown_queue_is_refused():
    with pytest.raises(ConfigError, match="QUEUE_ROUTES"):
        make_config(QUEUE_ROUTES="sync:fast")
