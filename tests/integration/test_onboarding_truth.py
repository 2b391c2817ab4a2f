"""The onboarding stepper tells the truth: Done only when it happened, Skipped otherwise; the
last step says what comes next instead of waiting forever; a finished org reviews its profile
in Settings."""

from __future__ import annotations

import json

import pytest

from extensions import db
from models import Connection
from models.imports import DataImport
from tests.conftest import login, make_org
from tests.helpers.analytics import find
from tests.helpers.integrations_page import _go, _profile, fire, route


@pytest.fixture
def owner(app, client):
    ids = make_org(app, "Glow", "g@glow.example")
    login(client, "g@glow.example")
    return ids


def step_state(body: str, key: str) -> str:
    """The words the stepper shows for one step ("Done", "Skipped", "Current step", "")."""
    item = find(json.loads(body), f"onb-step-{key}")
    assert item is not None, f"no step {key}"
    _marker, text = item["props"]["children"]
    _label, state = text["props"]["children"]
    return state["props"]["children"]


def test_skipping_says_skipped_and_nothing_is_marked_done(app, client, owner):
    body = _go(client, app, "connect").get_data(as_text=True)  # skip the profile
    assert step_state(body, "profile") == "Skipped"
    body = _go(client, app, "backfill").get_data(as_text=True)  # nothing connected
    assert step_state(body, "connect") == "Skipped"
    body = _go(client, app, "insights").get_data(as_text=True)
    assert step_state(body, "backfill") == "Skipped"
    assert '"Done"' not in body
    # no data is coming: say what happens next, and do not poll forever
    assert "Nothing to compute yet" in body and "this page updates by itself" not in body
    body = json.dumps(json.loads(body))  # "/" arrives escaped as \\u002f
    assert '"href": "/import"' in body and '"href": "/integrations"' in body
    poll = [{"id": "onb-insights-poll", "property": "n_intervals", "value": 1}]
    resp = fire(client, app, "onb-insights-poll", poll).get_json()["response"]
    assert resp["onb-insights-poll"]["disabled"] is True


def test_a_saved_profile_and_a_finished_import_are_done(app, client, owner):
    _profile(client, app, "USD", "UTC", 60)
    with app.app_context():
        conn = Connection(
            org_id=owner["org_id"],
            platform="meta",
            external_account_id="file-import",
            source="import",
        )
        db.session.add(conn)
        db.session.flush()
        db.session.add(
            DataImport(org_id=owner["org_id"], filename="m.csv", status="succeeded", rows=3)
        )
        db.session.commit()
    body = _go(client, app, "insights").get_data(as_text=True)
    for key in ("profile", "connect", "backfill"):
        assert step_state(body, key) == "Done", key
    assert "appear after the first sync or import" in body  # data came: insights will follow


def test_another_orgs_import_does_not_mark_this_org_done(app, client, owner):
    other = make_org(app, "Other", "o@other.example")
    with app.app_context():
        db.session.add(DataImport(org_id=other["org_id"], filename="m.csv", status="succeeded"))
        db.session.commit()
    body = _go(client, app, "insights").get_data(as_text=True)
    assert step_state(body, "backfill") == "Skipped"


def test_a_finished_org_reviews_its_profile_in_settings(app, client, owner):
    fire(client, app, "onb-finish", [{"id": "onb-finish", "property": "n_clicks", "value": 1}])
    page = json.dumps(json.loads(route(client, app, "/onboarding")))
    assert "Setup complete" in page and "Step 1 of 4" not in page
    assert '"href": "/settings"' in page and "Review the company profile" in page
