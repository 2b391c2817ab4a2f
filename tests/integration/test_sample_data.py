"""Sample data: an empty org loads the Lumen Beauty sample, marked as such everywhere and not
syncable, with a history that matches; one click removes it; owners/admins only; per org."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from extensions import db
from jobs.connections import SyncRefused, check_can_sync
from models import AdMetricDaily, BrainState, Connection, Order, SyncJob
from tests.conftest import csrf_headers, login, make_org
from tests.helpers.integrations_page import route


def count(app, model, org_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)).where(model.org_id == org_id))


def test_load_mark_and_remove_sample_data(app, client):
    org = make_org(app, "Glow", "g@glow.example")
    other = make_org(app, "Other", "o@other.example")
    login(client, org["email"])
    resp = client.post("/sample/load", headers=csrf_headers(client))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/")
    assert count(app, AdMetricDaily, org["org_id"]) > 1000
    assert count(app, Order, org["org_id"]) > 1000
    with app.app_context():
        conns = db.session.scalars(
            select(Connection).where(Connection.org_id == org["org_id"])
        ).all()
        assert {c.source for c in conns} == {"sample"} and len(conns) == 4
        assert all(c.credentials_encrypted is None for c in conns)
        with pytest.raises(SyncRefused, match="Sample data — not syncable"):
            check_can_sync(conns[0], "owner")
        history = db.session.scalars(select(SyncJob).where(SyncJob.org_id == org["org_id"])).all()
        assert {(h.connection_id, h.status, h.trigger) for h in history} == {
            (c.id, "succeeded", "sample") for c in conns
        }
    page = route(client, app, "/integrations")
    assert "Sample data — not syncable" in page and "No syncs recorded yet" not in page
    assert "Sample data loaded" in page and "int-sync" not in page  # no Sync now
    shell = json.dumps(client.get("/_dash-layout").get_json())
    assert "sample-shell-banner" in shell and "/sample/remove" in shell
    assert "sample-shell-banner" in client.get("/team").get_data(True)  # server pages too
    assert count(app, AdMetricDaily, other["org_id"]) == 0  # the other org is untouched

    with app.app_context():  # insights computed from the sample go with it
        db.session.add(
            BrainState(
                org_id=org["org_id"],
                schema_version="1",
                memory={},
                oracle={},
                curiosity={},
                notes=[],
                input_fingerprint="x",
            )
        )
        db.session.commit()
    resp = client.post("/sample/remove", headers=csrf_headers(client))
    assert resp.status_code == 302
    for model in (AdMetricDaily, Order, Connection, SyncJob, BrainState):
        assert count(app, model, org["org_id"]) == 0, model
    shell = json.dumps(client.get("/_dash-layout").get_json())
    assert "sample-shell-banner" not in shell


def test_sample_is_refused_next_to_own_data(app, client):
    org = make_org(app, "Glow", "g@glow.example")
    with app.app_context():
        db.session.add(
            Connection(
                org_id=org["org_id"],
                platform="meta",
                external_account_id="file-import",
                source="import",
            )
        )
        db.session.commit()
    login(client, org["email"])
    client.post("/sample/load", headers=csrf_headers(client))
    assert count(app, AdMetricDaily, org["org_id"]) == 0
    assert count(app, Connection, org["org_id"]) == 1


def test_members_cannot_load_or_remove_sample_data(app, client):
    org = make_org(app, "Glow", "m@glow.example", role="member")
    login(client, org["email"])
    client.post("/sample/load", headers=csrf_headers(client))
    assert count(app, Connection, org["org_id"]) == 0
