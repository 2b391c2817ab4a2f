"""Bad input gets a clear 4xx and changes nothing; never a 500."""

from __future__ import annotations

import json

import pytest

from tests.conftest import csrf_headers, login, make_org


@pytest.fixture
def logged_in(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # what a user sees, not the test's traceback
    make_org(app, "A", "a@a.example")
    login(client, "a@a.example")
    yield client
    app.config["PROPAGATE_EXCEPTIONS"] = None


@pytest.mark.parametrize("body", ["[1,2]", '"x"', "5", '{"shop": 5, "token": 7}', "{}"])
def test_shopify_connect_with_odd_bodies(logged_in, body):
    resp = logged_in.post(
        "/connect/shopify",
        data=body,
        content_type="application/json",
        headers={**csrf_headers(logged_in), "Accept": "application/json"},
    )
    assert resp.status_code == 400 and resp.get_json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/exports/analytics-creatives.csv?limit=%C2%B2",
        "/exports/analytics-creatives.csv?limit=" + "9" * 5001,
        "/api/sync-jobs/99999999999999999999999",
        "/api/jobs/%00",
        "/api/jobs/" + "x" * 300,
    ],
)
def test_odd_ids_and_params(logged_in, path):
    assert logged_in.get(path).status_code in (400, 404)


ROUTER = {"output": "page.children", "outputs": {"id": "page", "property": "children"}}


@pytest.mark.parametrize(
    "body",
    [
        "{}",
        "[]",
        '{"output": 5}',
        json.dumps({**ROUTER}),  # no inputs
        json.dumps({**ROUTER, "inputs": "x"}),
        json.dumps({**ROUTER, "output": "nope.children", "inputs": []}),
        json.dumps(
            {
                "output": "page.children",
                "inputs": [{"id": "url", "property": "pathname", "value": "/"}],
            }
        ),  # no outputs
    ],
)
def test_malformed_dash_callback_requests_are_400(logged_in, body):
    resp = logged_in.post(
        "/_dash-update-component",
        data=body,
        content_type="application/json",
        headers=csrf_headers(logged_in),
    )
    assert resp.status_code == 400 and "malformed callback request" in resp.get_json()["error"]


def test_router_with_a_non_string_pathname(logged_in):
    body = {
        **ROUTER,
        "inputs": [{"id": "url", "property": "pathname", "value": {"a": 1}}],
        "changedPropIds": ["url.pathname"],
    }
    resp = logged_in.post(
        "/_dash-update-component",
        data=json.dumps(body),
        content_type="application/json",
        headers=csrf_headers(logged_in),
    )
    assert resp.status_code == 200  # treated as "/": the overview (here its empty state)
    assert "No insights yet" in resp.get_data(as_text=True)


def test_shop_url_is_stored_as_its_domain(app, logged_in, fake_shopify, monkeypatch):
    """Webhooks match on the bare domain, so a pasted admin URL must be reduced to it."""
    from tests.fakes.shopify import DEFAULT_TOKEN

    monkeypatch.setattr(app.config["OMNIFY"], "SHOPIFY_API_BASE", fake_shopify.url)
    resp = logged_in.post(
        "/connect/shopify",
        json={"shop": "https://Acme.myshopify.com/admin/settings", "token": DEFAULT_TOKEN},
        headers=csrf_headers(logged_in),
    )
    assert resp.status_code == 201
    listed = logged_in.get("/api/connections").get_json()
    assert [c["account"] for c in listed] == ["acme.myshopify.com"]
