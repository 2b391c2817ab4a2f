"""Known events (issue 8): JSON API, tenant isolation, CSRF, bad input, brain input."""

from __future__ import annotations

from datetime import date

from extensions import db
from models.events import OrgEvent, brain_events, us_retail_calendar
from tests.conftest import csrf_headers, login, make_org

SALE = {"kind": "sale", "start": "2026-11-10", "end": "2026-11-13", "note": "Fall sale"}


def test_record_list_delete_an_event(app, client):
    make_org(app, "Alpha Brand", "owner@alpha.example")
    login(client, "owner@alpha.example")
    h = csrf_headers(client)
    r = client.post("/api/events", json=SALE, headers=h)
    assert r.status_code == 201, r.get_data(True)
    ev = r.get_json()["event"]
    assert ev["kind"] == "sale" and ev["source"] == "manual"
    listed = client.get("/api/events").get_json()
    assert [e["id"] for e in listed["events"]] == [ev["id"]]
    assert any(c["note"] == "BFCM" for c in listed["calendar"])
    assert client.post("/api/events", json=SALE, headers=h).status_code == 409
    assert client.delete(f"/api/events/{ev['id']}", headers=h).status_code == 204
    assert client.get("/api/events").get_json()["events"] == []


def test_bad_input_is_a_clear_400(app, client):
    make_org(app, "Alpha Brand", "owner@alpha.example")
    login(client, "owner@alpha.example")
    h = csrf_headers(client)
    for body, words in (
        ({"kind": "party", "start": "2026-11-10"}, "kind must be"),
        ({"kind": "sale", "start": "yesterday"}, "dates like"),
        ({"kind": "sale", "start": "2026-11-10", "end": "2026-11-01"}, "before start"),
        ({"kind": "sale", "start": "2026-01-01", "end": "2026-12-31"}, "at most"),
        ({"kind": "pause", "start": "2026-11-10", "platform": "myspace"}, "platform must"),
    ):
        r = client.post("/api/events", json=body, headers=h)
        assert r.status_code == 400 and words in r.get_json()["error"], (body, r.get_data(True))
    r = client.post("/api/events", data="not json", headers=h)
    assert r.status_code == 400


def test_post_without_csrf_is_refused(app, client):
    make_org(app, "Alpha Brand", "owner@alpha.example")
    login(client, "owner@alpha.example")
    r = client.post("/api/events", json=SALE)
    assert r.status_code == 400
    with app.app_context():
        assert db.session.query(OrgEvent).count() == 0


def test_other_orgs_events_are_invisible_and_undeletable(app, client):
    a = make_org(app, "Alpha Brand", "owner@alpha.example")
    b = make_org(app, "Beta Secret Brand", "owner@beta.example")
    with app.app_context():
        ev = OrgEvent(
            org_id=b["org_id"],
            kind="sale",
            start=date(2026, 11, 1),
            end=date(2026, 11, 2),
            note="Beta Secret Sale",
            source="manual",
        )
        db.session.add(ev)
        db.session.commit()
        b_event = ev.id
    login(client, "owner@alpha.example")
    h = csrf_headers(client)
    body = client.get("/api/events").get_data(True)
    assert "Beta Secret Sale" not in body
    assert client.delete(f"/api/events/{b_event}", headers=h).status_code == 404
    with app.app_context():
        assert db.session.get(OrgEvent, b_event) is not None
        assert all(e["note"] != "Beta Secret Sale" for e in brain_events(a["org_id"]))


def test_calendar_entries_can_be_hidden_per_org(app, client):
    a = make_org(app, "Alpha Brand", "owner@alpha.example")
    b = make_org(app, "Beta Brand", "owner@beta.example")
    year = date.today().year
    bfcm = next(e for e in us_retail_calendar([year]) if e["note"] == "BFCM")
    login(client, "owner@alpha.example")
    h = csrf_headers(client)
    r = client.post("/api/events/calendar/hide", json=bfcm, headers=h)
    assert r.status_code == 200
    with app.app_context():
        notes_a = [e["note"] for e in brain_events(a["org_id"])]
        notes_b = [e["note"] for e in brain_events(b["org_id"])]
    assert notes_a.count("BFCM") == 1  # last year's BFCM stays, this year's is hidden
    assert notes_b.count("BFCM") == 2


def test_viewer_cannot_record_events(app, client):
    make_org(app, "Alpha Brand", "viewer@alpha.example", role="viewer")
    login(client, "viewer@alpha.example")
    r = client.post("/api/events", json=SALE, headers=csrf_headers(client))
    assert r.status_code == 403
