"""Shared by tests (moved from tests/integration/test_integrations_page.py:
test modules do not import each other)."""

from __future__ import annotations

import json

from app import get_dash
from tests.conftest import csrf_headers


# ---- the Dash wire protocol -----------------------------------------------------------------
def _spec(app, input_id: str) -> tuple[str, dict]:
    """The callback whose first input is input_id (pattern ids given by their type)."""
    for key, spec in get_dash(app).callback_map.items():
        first = spec["inputs"][0]["id"]
        if "callback" in spec and (first == input_id or f'"type":"{input_id}"' in first):
            return key, spec
    raise AssertionError(f"no callback with input {input_id}")


def _outputs(key: str, wild: dict[str, list]) -> list:
    outs = []
    for part in key.strip(".").split("..."):
        cid, _, prop = part.rpartition(".")
        if cid.startswith("{"):
            kind = json.loads(cid)["type"]
            outs.append(
                [{"id": {"type": kind, "index": i}, "property": prop} for i in wild.get(kind, [])]
            )
        else:
            outs.append({"id": cid, "property": prop})
    return outs if key.startswith("..") else outs[0]


def fire(client, app, input_id: str, inputs: list, state: list = (), wild: dict | None = None):
    """POST one callback; `inputs`/`state` are the renderer's dicts (lists for ALL)."""
    key, _ = _spec(app, input_id)
    changed = []
    for item in inputs:
        for one in item if isinstance(item, list) else [item]:
            if one.get("value"):
                cid = one["id"]
                cid = (
                    json.dumps(cid, sort_keys=True, separators=(",", ":"))
                    if isinstance(cid, dict)
                    else cid
                )
                changed.append(f"{cid}.{one['property']}")
    payload = {
        "output": key,
        "outputs": _outputs(key, wild or {}),
        "inputs": inputs,
        "state": list(state),
        "changedPropIds": changed[:1],
    }
    return client.post(
        "/_dash-update-component",
        data=json.dumps(payload),
        content_type="application/json",
        headers=csrf_headers(client),
    )


def route(client, app, path: str):
    resp = fire(client, app, "url", [{"id": "url", "property": "pathname", "value": path}])
    assert resp.status_code == 200
    return json.dumps(resp.get_json(), ensure_ascii=False)


# ---- onboarding -----------------------------------------------------------------------------
def _profile(client, app, currency, timezone, margin):
    return fire(
        client,
        app,
        "onb-profile-form",
        [{"id": "onb-profile-form", "property": "n_submit", "value": 1}],
        [
            {"id": "onb-currency", "property": "value", "value": currency},
            {"id": "onb-timezone", "property": "value", "value": timezone},
            {"id": "onb-margin", "property": "value", "value": margin},
        ],
    )


def _go(client, app, target: str):
    items = [[{"id": {"type": "onb-go", "step": target}, "property": "n_clicks", "value": 1}]]
    return fire(client, app, "onb-go", items)
