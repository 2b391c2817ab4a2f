"""CSRF on every mutating route and every Dash callback, enumerated from the app itself.

A logged-in session without the token must get 400 everywhere; the only exemptions are
the endpoints authenticated by something other than the browser session, listed here.
"""

from __future__ import annotations

import json
import re

import pytest

from app import get_dash
from extensions import csrf
from tests.conftest import login, make_org
from tests.dash_payloads import callback_payloads

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# view -> what authenticates it instead of the session's CSRF token
EXEMPT_VIEWS = {
    "api.cron.daily_sync_endpoint": "bearer CRON_SECRET",
    "api.webhooks.shopify": "HMAC signature",
    "api.stripe_webhook.stripe_webhook": "Stripe-Signature header",
    "api.settings.unsubscribe_link": "signed unsubscribe token (RFC 8058 one-click POST)",
}


def test_only_the_listed_views_are_exempt(app):
    assert csrf._exempt_blueprints == set(), "a whole blueprint is CSRF-exempt"
    assert csrf._exempt_views == set(EXEMPT_VIEWS)


def _mutating_routes(app) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if f"{view.__module__}.{view.__name__}" in EXEMPT_VIEWS:
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = re.sub(rf"<(?:[^:>]+:)?{arg}>", "1", url)
        for method in sorted(rule.methods & MUTATING):
            routes.append((rule.endpoint, method, url))
    return routes


def test_every_mutating_route_needs_the_token(app, client):
    org = make_org(app, "Acme", "owner@acme.example")
    login(client, org["email"])
    routes = _mutating_routes(app)
    assert len(routes) > 10  # the walk found the app's routes
    for endpoint, method, url in routes:
        resp = client.open(url, method=method, data={"org_id": org["org_id"]})
        assert resp.status_code == 400, f"{method} {url} ({endpoint}) ran without a CSRF token"
        assert b"CSRF" in resp.data or b"form expired" in resp.data, (endpoint, resp.data[:200])


def test_every_dash_callback_needs_the_token(app, client):
    org = make_org(app, "Acme", "owner@acme.example")
    login(client, org["email"])
    ids = {"org_id": org["org_id"], "connection_id": 1, "creative_id": 1}
    fired = 0
    for output, payload in callback_payloads(get_dash(app), ids):
        resp = client.post(
            "/_dash-update-component", data=json.dumps(payload), content_type="application/json"
        )
        assert resp.status_code == 400, f"callback {output} ran without a CSRF token"
        assert "CSRF" in resp.get_json()["error"]
        fired += 1
    assert fired >= 10


@pytest.mark.parametrize("path", ["/_dash-update-component", "/logout"])
def test_a_wrong_token_is_as_bad_as_none(app, client, path):
    org = make_org(app, "Acme", "owner@acme.example")
    login(client, org["email"])
    resp = client.post(
        path,
        data=json.dumps({"output": "x"}),
        content_type="application/json",
        headers={"X-CSRFToken": "not-the-token"},
    )
    assert resp.status_code == 400
