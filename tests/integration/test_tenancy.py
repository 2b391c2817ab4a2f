"""Cross-tenant crawl: as a user of org A, every route, API and callback with org B's ids.

Routes are enumerated from the app's URL map and Dash's callback map, so a new route or
callback is crawled without editing this test.
"""

from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models import Creative
from tests.conftest import login
from tests.helpers.tenancy import (
    _assert_no_b,
    crawl_callbacks_as_org_a,
    crawl_routes_with_org_b_ids,
)


def test_every_route_with_org_b_ids(app, client, two_orgs):
    crawl_routes_with_org_b_ids(app, client, two_orgs)


def test_brain_state_api_never_returns_other_org(app, client, two_orgs):
    a, _ = two_orgs
    login(client, a["email"])
    resp = client.get("/api/brain/state")
    assert resp.status_code == 404
    _assert_no_b(resp.get_data(as_text=True))


def test_every_dash_callback_as_org_a(app, client, two_orgs):
    crawl_callbacks_as_org_a(app, client, two_orgs)


def test_tenant_rows_carry_org(app, two_orgs):
    _, b = two_orgs
    with app.app_context():
        rows = db.session.execute(select(Creative)).scalars().all()
        assert all(r.org_id == b["org_id"] for r in rows)
