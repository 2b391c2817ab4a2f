"""Well-formed /_dash-update-component bodies for every server-side callback of an app.

Shared by the tenancy crawl and the CSRF walk, so both cover a new callback unedited.
"""

from __future__ import annotations

import json
from collections.abc import Iterator


def callback_payloads(dash_app, values: dict) -> Iterator[tuple[str, dict]]:  # noqa: ANN001
    """(output, body) for each server-side callback; inputs carry ids/values from `values`
    (keys org_id, connection_id, creative_id: wildcards and inputs get these)."""
    for output, spec in dash_app.callback_map.items():
        if "callback" not in spec:  # clientside: runs in the browser, no server data
            continue
        inputs = [_dep(i, values, with_value=True) for i in spec["inputs"]]
        states = [_dep(s, values, with_value=True) for s in spec.get("state", [])]
        outs = [_dep(o, values, with_value=False) for o in _split_outputs(output)]
        yield (
            output,
            {
                "output": output,
                "outputs": outs if output.startswith("..") else outs[0],
                "inputs": inputs,
                "state": states,
                "changedPropIds": [_prop_id(i) for i in inputs],
            },
        )


def _concrete(dep_id: str, values: dict) -> tuple[object, bool]:
    """A concrete id for a dependency; wildcards get the given ids. Returns (id, is_list)."""
    if not dep_id.startswith("{"):
        return dep_id, False
    pattern = json.loads(dep_id)
    is_list = any(v in (["ALL"], ["ALLSMALLER"]) for v in pattern.values())
    concrete = {
        k: (str(values["connection_id"]) if isinstance(v, list) else v) for k, v in pattern.items()
    }
    return concrete, is_list


def _dep(dep: dict, values: dict, with_value: bool) -> object:
    concrete, is_list = _concrete(dep["id"], values)
    item = {"id": concrete, "property": dep["property"]}
    if with_value:
        item["value"] = _value_for(dep, values)
    return [item] if is_list else item


def _prop_id(dep: object) -> str:
    first = dep[0] if isinstance(dep, list) else dep
    cid = first["id"]
    cid = json.dumps(cid, separators=(",", ":"), sort_keys=True) if isinstance(cid, dict) else cid
    return f"{cid}.{first['property']}"


def _split_outputs(output: str) -> list[dict]:
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    outs = []
    for part in parts:
        cid, _, prop = part.rpartition(".")
        outs.append({"id": cid, "property": prop})
    return outs


def _value_for(dep: dict, values: dict) -> object:
    prop = dep["property"]
    if prop == "pathname":
        return "/"
    if prop == "search":
        return f"?org_id={values['org_id']}&campaign={values['creative_id']}"
    if prop in ("n_clicks", "n_intervals"):
        return 1
    return values["org_id"]
