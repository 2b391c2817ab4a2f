"""Shared by tests (moved from tests/integration/test_overview.py:
test modules do not import each other)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from extensions import db
from models import BrainState
from tests.conftest import csrf_headers, make_org

EXAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "brain_state_example.json").read_text()
)


POLL = "..ov-body.children...ov-state-id.data...shell-freshness.children.."


def store_state(app, org_id: int, state: dict) -> int:
    """Insert a BrainState row as jobs.brain would (the overview only reads stored rows)."""
    with app.app_context():
        row = BrainState(
            org_id=org_id,
            as_of=date.fromisoformat(state["as_of"]),
            period_start=date.fromisoformat(state["period"]["start"]),
            period_end=date.fromisoformat(state["period"]["end"]),
            schema_version=state["schema_version"],
            memory=state["memory"],
            oracle=state["oracle"],
            curiosity=state["curiosity"],
            settings=state.get("settings", {}),
            notes=[],
            input_fingerprint=f"test-{org_id}-{datetime.now(UTC).timestamp()}",
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def beta_state() -> dict:
    """Org B's state: other names, other numbers, other action ids."""
    s = copy.deepcopy(EXAMPLE)
    s["memory"]["totals"]["mer"] = 7.77
    for c in s["memory"]["campaigns"]:
        c["name"] = "Beta Secret Campaign"
    for a in s["curiosity"]["actions"]:
        a["id"] = a["id"].replace("act_", "act_b")
        a["title"] = "Beta Secret Campaign: " + a["title"]
    s["oracle"]["fatigue"] = [
        {
            "id": "fatigue:meta:B1",
            "creative_id": "B1",
            "name": "beta-secret-creative",
            "platform": "meta",
            "severity": "high",
            "prob_7d": 0.9,
            "prob_14d": 0.95,
            "recommendation": "pause_within_72h",
            "days_to_breakeven": 3,
        }
    ]
    return s


def post(client, payload: dict, headers: dict | None = None):
    return client.post(
        "/_dash-update-component",
        data=json.dumps(payload),
        content_type="application/json",
        headers={**csrf_headers(client), **(headers or {})},
    )


def route(client, pathname: str = "/", search: str | None = None):
    """The router's render of ``pathname``; ``search`` ("?range=7d"): the page's address
    carries it (pages read their period from the Referer of Dash's callback request)."""
    return post(
        client,
        {
            "output": "page.children",
            "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": pathname}],
            "changedPropIds": ["url.pathname"],
        },
        {"Referer": f"http://localhost{pathname}{search}"} if search is not None else None,
    )


def open_card(client, action_id: str):
    """What the browser asks when an action card is first opened: its decision footer."""
    card = {"action": action_id, "type": "action-card"}
    footer = {"action": action_id, "type": "action-footer"}
    return post(
        client,
        {
            "output": '{"action":["MATCH"],"type":"action-footer"}.children',
            "outputs": {"id": footer, "property": "children"},
            "inputs": [{"id": card, "property": "open", "value": True}],
            "changedPropIds": [json.dumps(card, separators=(",", ":")) + ".open"],
        },
    )


def text(resp) -> str:
    """The response as readable text (Dash escapes '/' and non-ASCII in its JSON), static
    islands expanded back into the components the browser's DOM has."""
    from tests.helpers.analytics import expand_islands

    if resp.is_json and resp.get_data():
        return json.dumps(expand_islands(resp.get_json()), ensure_ascii=False)
    return text(resp)


# ---- polling and shell --------------------------------------------------------------------------
def poll(client, known_id):
    return post(
        client,
        {
            "output": POLL,
            "outputs": [
                {"id": "ov-body", "property": "children"},
                {"id": "ov-state-id", "property": "data"},
                {"id": "shell-freshness", "property": "children"},
            ],
            "inputs": [{"id": "ov-interval", "property": "n_intervals", "value": 1}],
            "state": [
                {"id": "ov-state-id", "property": "data", "value": known_id},
                {"id": "overview-url", "property": "search", "value": ""},  # the default period
            ],
            "changedPropIds": ["ov-interval.n_intervals"],
        },
    )


@pytest.fixture
def orgs(app):
    """Two orgs with a stored brain state each (B's names must never reach A)."""
    a = make_org(app, "Alpha Brand", "cmo@alpha.example", persona="cmo")
    b = make_org(app, "Beta Secret Brand", "cmo@beta.example", persona="vp_growth")
    a["state_id"] = store_state(app, a["org_id"], EXAMPLE)
    b["state_id"] = store_state(app, b["org_id"], beta_state())
    return a, b
