"""Shared by tests (moved from tests/integration/test_tenancy.py:
test modules do not import each other)."""

from __future__ import annotations

import json
import re

import pytest

from app import get_dash
from extensions import db
from models import BrainState, Connection, Creative
from tests.conftest import csrf_headers, login, make_org
from tests.dash_payloads import callback_payloads

B_MARKERS = ("Beta Secret Brand", "owner@beta.example", "beta-secret-account")


SKIP_ENDPOINTS = {"static", "_dash_assets.static", "auth.logout", "auth.logout_everywhere"}


@pytest.fixture
def two_orgs(app):
    a = make_org(app, "Alpha Brand", "owner@alpha.example")
    b = make_org(app, "Beta Secret Brand", "owner@beta.example")
    with app.app_context():
        conn = Connection(
            org_id=b["org_id"], platform="meta", external_account_id="beta-secret-account"
        )
        db.session.add(conn)
        db.session.flush()
        cre = Creative(
            org_id=b["org_id"],
            connection_id=conn.id,
            platform="meta",
            external_id="b-cre",
            name="beta-secret-account creative",
        )
        state = BrainState(
            org_id=b["org_id"],
            schema_version="1",
            memory={"secret": "beta-secret-account"},
            oracle={},
            curiosity={},
            notes=[],
            input_fingerprint="x",
        )
        db.session.add_all([cre, state])
        db.session.commit()
        b.update(connection_id=conn.id, creative_id=cre.id, brain_state_id=state.id)
    return a, b


def _b_ids(b: dict) -> list[str]:
    return [
        str(b[k]) for k in ("org_id", "connection_id", "creative_id", "brain_state_id", "user_id")
    ]


def _assert_no_b(body: str) -> None:
    for marker in B_MARKERS:
        assert marker not in body, f"org B's {marker!r} leaked"


def crawl_routes_with_org_b_ids(app, client, two_orgs) -> None:
    a, b = two_orgs
    login(client, a["email"])
    headers = csrf_headers(client)
    crawled = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or rule.rule.startswith(("/_dash", "/assets")):
            continue
        arg_values = _b_ids(b) if rule.arguments else [None]
        for value in arg_values:
            url = rule.rule
            for arg in rule.arguments:
                url = re.sub(rf"<(?:[^:>]+:)?{arg}>", value or "1", url)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                form = {"org_id": b["org_id"], "connection_id": b["connection_id"], "id": value}
                resp = client.open(url, method=method, data=form, headers=headers)
                crawled += 1
                body = resp.get_data().decode(errors="replace")
                _assert_no_b(body)
                if rule.arguments and resp.status_code < 300 and method != "GET":
                    pytest.fail(f"{method} {url} accepted org B's id")
    assert crawled > 10
    # Nothing of B changed hands: A is still in A, B's rows are intact.
    assert client.get("/api/me").get_json()["org"]["id"] == a["org_id"]
    with app.app_context():
        assert db.session.get(Connection, b["connection_id"]).org_id == b["org_id"]


def crawl_callbacks_as_org_a(app, client, two_orgs) -> None:
    """Fire each server-side callback with org B's ids as input values: no byte of B."""
    a, b = two_orgs
    login(client, a["email"])
    headers = csrf_headers(client)
    fired = 0
    for output, payload in callback_payloads(get_dash(app), b):
        resp = client.post(
            "/_dash-update-component",
            data=json.dumps(payload),
            content_type="application/json",
            headers=headers,
        )
        assert resp.status_code in (200, 204, 400, 403, 404), (output, resp.status_code)
        _assert_no_b(resp.get_data(as_text=True))
        fired += 1
    assert fired >= 2
