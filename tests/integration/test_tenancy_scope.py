"""Tenancy in one mechanism (models/tenancy.py): queries that forget their org filter.

Every query below deliberately has NO ``org_id ==`` filter: the session hook must add it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask_login import login_user
from rq import Queue
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from extensions import db
from jobs.queue import FlaskSimpleWorker
from models import Campaign, Connection, Creative, Membership, Organization, SyncJob, User
from models.base import TenantScoped
from models.tenancy import (
    TenancyError,
    fresh_scope,
    org_scope,
    tenant_meta,
    unscoped,
)
from tests.conftest import make_org


@pytest.fixture
def orgs(app):
    a = make_org(app, "Alpha", "owner@alpha.example")
    b = make_org(app, "Beta", "owner@beta.example")
    with app.app_context():
        for ids, name in ((a, "alpha"), (b, "beta")):
            conn = Connection(org_id=ids["org_id"], platform="meta", external_account_id=name)
            db.session.add(conn)
            db.session.flush()
            camp = Campaign(
                org_id=ids["org_id"], connection_id=conn.id, platform="meta", external_id=name
            )
            db.session.add(camp)
            db.session.flush()
            cre = Creative(
                org_id=ids["org_id"],
                connection_id=conn.id,
                campaign_id=camp.id,
                platform="meta",
                external_id=name,
                name=f"{name} creative",
            )
            db.session.add(cre)
            db.session.flush()
            ids.update(connection_id=conn.id, campaign_id=camp.id, creative_id=cre.id)
        db.session.commit()
    return a, b


@contextmanager
def request_as(app, user_id: int) -> Iterator[None]:
    """A real request context (the app's before/teardown hooks run) with this user logged in."""
    with app.test_request_context("/api/me"):
        user = db.session.get(User, user_id)
        user.login_token = "t"
        login_user(user)
        app.preprocess_request()  # the request starts: no explicit scope, the user's org
        yield


def test_a_query_without_org_filter_sees_only_the_users_org(app, orgs):
    a, b = orgs
    with request_as(app, a["user_id"]):
        names = db.session.execute(select(Connection.external_account_id)).scalars().all()
        assert names == ["alpha"]
        assert db.session.scalar(select(func.count(Creative.id))) == 1


def test_another_orgs_row_is_invisible_by_get_join_alias_and_subquery(app, orgs):
    a, b = orgs
    with request_as(app, a["user_id"]):
        assert db.session.get(Connection, b["connection_id"]) is None
        assert db.session.get(Creative, b["creative_id"]) is None
        joined = db.session.execute(
            select(Creative.name).join(Campaign, Campaign.id == Creative.campaign_id)
        ).scalars()
        assert list(joined) == ["alpha creative"]
        # the tenant table only joined to a non-tenant one is filtered in the ON clause
        via_org = db.session.execute(
            select(Organization.name, Connection.external_account_id).join(
                Connection, Connection.org_id == Organization.id
            )
        ).all()
        assert [tuple(r) for r in via_org] == [("Alpha", "alpha")]
        other = aliased(Connection)
        assert db.session.execute(select(other.external_account_id)).scalars().all() == ["alpha"]
        in_sub = select(Connection.id).where(
            Connection.id.in_(select(Creative.connection_id).scalar_subquery())
        )
        assert db.session.execute(in_sub).scalars().all() == [a["connection_id"]]


def test_bulk_update_and_delete_touch_only_the_current_org(app, orgs):
    a, b = orgs
    with request_as(app, a["user_id"]):
        db.session.execute(update(Creative).values(name="renamed"))
        db.session.execute(delete(Campaign))
        db.session.commit()
    with app.app_context():
        assert db.session.get(Creative, b["creative_id"]).name == "beta creative"
        assert db.session.get(Campaign, b["campaign_id"]) is not None
        assert db.session.get(Creative, a["creative_id"]).name == "renamed"
        assert db.session.get(Campaign, a["campaign_id"]) is None


def test_the_users_active_org_decides(app, orgs):
    """A member of both orgs sees the org they switched to, never both."""
    a, b = orgs
    with app.app_context():
        db.session.add(Membership(user_id=a["user_id"], org_id=b["org_id"], role="viewer"))
        db.session.get(User, a["user_id"]).active_org_id = b["org_id"]
        db.session.commit()
    with request_as(app, a["user_id"]):
        names = db.session.execute(select(Connection.external_account_id)).scalars().all()
        assert names == ["beta"]


def test_outside_any_scope_a_tenant_query_raises(app, orgs):
    with app.app_context(), fresh_scope():
        with pytest.raises(TenancyError, match="org_scope"):
            db.session.execute(select(Connection)).all()
        with pytest.raises(TenancyError):  # a tenant table only in a join is caught too
            db.session.execute(
                select(Organization.id).join(Connection, Connection.org_id == Organization.id)
            ).all()
        # non-tenant tables need no scope
        assert db.session.scalar(select(func.count(Organization.id))) == 2


def test_an_anonymous_request_has_no_scope(app, orgs):
    with app.test_request_context("/webhooks/shopify"):
        app.preprocess_request()
        with pytest.raises(TenancyError):
            db.session.execute(select(SyncJob)).all()


def test_org_scope_and_the_escape_hatch(app, orgs):
    a, b = orgs
    with app.app_context(), fresh_scope():
        with org_scope(b["org_id"]):
            assert db.session.execute(select(Connection.external_account_id)).scalars().all() == [
                "beta"
            ]
        with unscoped("this test reads both orgs"):
            assert db.session.scalar(select(func.count(Connection.id))) == 2
    with pytest.raises(ValueError):
        with unscoped(" "):
            pass
    with pytest.raises(TypeError):
        with org_scope("1"):  # type: ignore[arg-type]
            pass


# ---- worker jobs: the org comes from the job's meta -----------------------------------------
def count_connections() -> list[str]:
    return list(db.session.execute(select(Connection.external_account_id)).scalars())


def count_everywhere() -> int:
    with unscoped("test job: the escape hatch spans orgs"):
        return db.session.scalar(select(func.count(Connection.id)))


def _run(app, func, **kwargs):  # noqa: ANN001, ANN003, ANN202
    queue: Queue = app.extensions["rq"].queue
    job = queue.enqueue(func, **kwargs)
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = app
    worker.work(burst=True)
    job.refresh()
    return job


def test_a_worker_job_sees_only_its_org(app, orgs):
    a, b = orgs
    job = _run(app, count_connections, meta=tenant_meta(b["org_id"]))
    assert job.get_status() == "finished"
    assert job.return_value() == ["beta"]


def test_a_worker_job_without_an_org_fails_unless_it_says_unscoped(app, orgs):
    # the test body itself is unscoped; the worker must not inherit that
    job = _run(app, count_connections)
    assert job.get_status() == "failed"
    assert "TenancyError" in (job.latest_result().exc_string or "")
    job = _run(app, count_everywhere)
    assert job.return_value() == 2


# ---- the list of tenant tables --------------------------------------------------------------
NOT_TENANT_SCOPED = {
    # the user <-> org link itself: the login reads every org a user belongs to
    "membership",
    # the operator's feature flags: a global row (org_id NULL) applies to every org, so
    # flag_enabled() reads the org's row and the global one with an explicit filter
    "feature_flag",
}


def test_every_table_with_an_org_id_is_tenant_scoped():
    """A new table with org_id must subclass TenantScoped (or be listed above with a reason)."""
    missing = sorted(
        m.local_table.name
        for m in db.Model.registry.mappers
        if "org_id" in m.local_table.c
        and not issubclass(m.class_, TenantScoped)
        and m.local_table.name not in NOT_TENANT_SCOPED
    )
    assert missing == []
