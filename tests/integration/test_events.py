"""Known events (issue 8): JSON API, tenant isolation, CSRF, bad input, brain input."""

from __future__ import annotations

import json
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


# ---- the analytics page's "Known events" callback, through the real Dash endpoint -------
EV_OUTPUTS = (("an-ev-list", "children"), ("an-ev-msg", "children"))
EV_STATES = (
    ("an-ev-kind", "value"),
    ("an-ev-dates-start", "value"),
    ("an-ev-dates-end", "value"),
    ("an-ev-platform", "value"),
    ("an-ev-note", "value"),
)


def fire_events(
    client, changed: str, dels=(), sales=(), add_clicks=None, state=None, hides=(), status=200
):  # noqa: ANN001, ANN201, E501
    import json as _json

    state = state or {}
    payload = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in EV_OUTPUTS) + "..",
        "outputs": [{"id": i, "property": p} for i, p in EV_OUTPUTS],
        "inputs": [
            {"id": "analytics-url", "property": "pathname", "value": "/analytics"},
            {"id": "an-ev-add", "property": "n_clicks", "value": add_clicks},
            [
                {"id": {"type": "an-ev-del", "id": i}, "property": "n_clicks", "value": v}
                for i, v in dels
            ],
            [
                {"id": {"type": "an-ev-sale", "date": d}, "property": "n_clicks", "value": v}
                for d, v in sales
            ],
            [
                {"id": {"type": "an-ev-hide", "key": k}, "property": "n_clicks", "value": v}
                for k, v in hides
            ],
        ],
        "changedPropIds": [changed],
        "state": [{"id": i, "property": p, "value": state.get(f"{i}.{p}")} for i, p in EV_STATES],
    }
    resp = client.post(
        "/_dash-update-component",
        data=_json.dumps(payload),
        content_type="application/json",
        headers=csrf_headers(client),
    )
    assert resp.status_code == status, resp.get_data(True)[:400]
    return resp.get_data(True)


def test_the_lists_buttons_mounting_change_nothing_and_render_nothing_again(app, client):
    """Rendering the list mounts its pattern-matching buttons, which fires the callback again
    with no click: it answers 204 (no second render of the same list at load), records
    nothing."""
    make_org(app, "Alpha Brand", "owner@alpha.example")
    login(client, "owner@alpha.example")
    changed = '{"date":"2026-11-19","type":"an-ev-sale"}.n_clicks'
    fire_events(client, changed, sales=[("2026-11-19", None)], status=204)
    with app.app_context():
        assert db.session.query(OrgEvent).count() == 0


def test_this_was_our_sale_records_an_event_for_my_org_only(app, client):
    a = make_org(app, "Alpha Brand", "owner@alpha.example")
    b = make_org(app, "Beta Brand", "owner@beta.example")
    login(client, "owner@alpha.example")
    body = fire_events(
        client,
        '{"date":"2026-11-19","type":"an-ev-sale"}.n_clicks',
        sales=[("2026-11-19", 1)],
    )
    assert "Recorded a sale on 2026-11-19" in body
    with app.app_context():
        rows = db.session.query(OrgEvent).all()
        assert [(r.org_id, r.kind, r.start.isoformat(), r.end.isoformat()) for r in rows] == [
            (a["org_id"], "sale", "2026-11-19", "2026-11-19")
        ]
        assert all(e["note"] != "our sale" for e in brain_events(b["org_id"]))


def test_form_adds_and_bad_dates_say_why(app, client):
    make_org(app, "Alpha Brand", "owner@alpha.example")
    login(client, "owner@alpha.example")
    body = fire_events(
        client,
        "an-ev-add.n_clicks",
        add_clicks=1,
        state={
            "an-ev-kind.value": "launch",
            "an-ev-dates-start.value": "2026-11-01",
            "an-ev-dates-end.value": "2026-10-01",
        },
    )
    assert "End is before start" in body
    body = fire_events(
        client,
        "an-ev-add.n_clicks",
        add_clicks=2,
        state={
            "an-ev-kind.value": "launch",
            "an-ev-dates-start.value": "2026-11-01",
            "an-ev-dates-end.value": "2026-11-02",
            "an-ev-note.value": "New serum",
        },
    )
    assert "Event recorded" in body and "New serum" in body
    with app.app_context():
        assert db.session.query(OrgEvent).count() == 1


def test_delete_button_with_another_orgs_id_deletes_nothing(app, client):
    make_org(app, "Alpha Brand", "owner@alpha.example")
    b = make_org(app, "Beta Brand", "owner@beta.example")
    with app.app_context():
        ev = OrgEvent(
            org_id=b["org_id"],
            kind="sale",
            start=date(2026, 11, 1),
            end=date(2026, 11, 1),
            note="Beta Secret Sale",
            source="manual",
        )
        db.session.add(ev)
        db.session.commit()
        b_event = ev.id
    login(client, "owner@alpha.example")
    body = fire_events(
        client, f'{{"id":{b_event},"type":"an-ev-del"}}.n_clicks', dels=[(b_event, 1)]
    )
    assert "no longer exists" in body and "Beta Secret Sale" not in body
    with app.app_context():
        assert db.session.get(OrgEvent, b_event) is not None


def test_hide_a_calendar_entry_from_the_page(app, client):
    a = make_org(app, "Alpha Brand", "owner@alpha.example")
    b = make_org(app, "Beta Brand", "owner@beta.example")
    year = date.today().year
    bfcm = next(e for e in us_retail_calendar([year]) if e["note"] == "BFCM")
    key = f"sale|{bfcm['start']}|{bfcm['end']}"
    login(client, "owner@alpha.example")
    body = fire_events(
        client,
        json.dumps({"key": key, "type": "an-ev-hide"}, separators=(",", ":")) + ".n_clicks",
        hides=[(key, 1)],
    )
    assert "Calendar entry hidden" in body
    with app.app_context():
        assert [e["note"] for e in brain_events(a["org_id"])].count("BFCM") == 1
        assert [e["note"] for e in brain_events(b["org_id"])].count("BFCM") == 2


def test_a_new_event_gives_a_new_brain_state(app):
    """The recompute's fingerprint covers the org's events: recording a sale is not 'unchanged'."""
    from jobs.brain import compute_and_store
    from models.events import add_event

    org = make_org(app, "Alpha Brand", "owner@alpha.example")
    with app.app_context():
        first = compute_and_store(org["org_id"]).id
        assert compute_and_store(org["org_id"]).id == first  # nothing changed: reused
        add_event(org["org_id"], org["user_id"], SALE)
        db.session.commit()
        assert compute_and_store(org["org_id"]).id != first
