"""Property-based: generated values in every form field, JSON body, path id and Dash callback
slot never give a 5xx, and a refused request never changes stored data (hypothesis, a bounded
number of examples, derandomized so CI runs the same cases every time). A Dash callback that
runs (2xx) may store what its click means (finishing onboarding); forms, JSON bodies and path
ids with generated values must change nothing at all."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app import get_dash
from extensions import db
from tests.conftest import csrf_from, csrf_headers, login, make_org

# Rows a refused request may still add: the trail of the refusal itself.
BOOKKEEPING = {"audit_log", "login_throttle", "alembic_version"}
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ODD = [
    "",
    " ",
    "0",
    "-1",
    str(2**31),
    str(2**63),
    str(2**64),
    "1e309",
    "NaN",
    "null",
    "[]",
    "{}",
    "\x00",
    "a" * 300,
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "💥",
    "a@b",
    "x@y.example",
]
TEXT = st.one_of(st.sampled_from(ODD), st.text(max_size=40))
JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        TEXT,
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
FORMS = {  # path (with {id}/{token} filled from the generated id) -> its fields
    "/login": ("email", "password", "remember"),
    "/signup": ("company", "name", "email", "password", "persona"),
    "/reset": ("email",),
    "/team": ("email", "role", "persona"),
    "/account/password": ("current", "password", "confirm"),
    "/org/switch": ("org_id", "next"),
    "/team/members/{id}": ("role", "persona"),
    "/connect/shopify": ("shop", "token"),
    "/reset/{id}": ("password", "confirm"),
    "/invite/{id}": ("name", "password", "confirm"),
    "/signup/confirm/{id}": (),
}
_addresses = itertools.count(1)


@pytest.fixture
def fuzz(app, client, monkeypatch):  # noqa: ANN201
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(app.config["OMNIFY"], "SHOPIFY_API_BASE", "http://127.0.0.1:9")
    monkeypatch.setattr(app.config["OMNIFY"], "SHOPIFY_WEBHOOK_SECRET", "fuzz-secret")
    make_org(app, "Fuzz", "owner@fuzz.example")
    login(client, "owner@fuzz.example")
    yield app, client
    app.config["PROPAGATE_EXCEPTIONS"] = None


def _snapshot(app) -> str:  # noqa: ANN001
    with app.app_context():
        digest = hashlib.sha256()
        for table in db.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            rows = db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1')).all()
            digest.update(repr((table.name, rows)).encode())
        db.session.remove()
        return digest.hexdigest()


def _environ() -> dict[str, str]:
    """A new client address per request: per-address limits must not hide the view."""
    n = next(_addresses)
    return {"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


def _check(app, resp, before: str, success_may_store: bool = False) -> None:  # noqa: ANN001
    assert resp.status_code < 500, (resp.status_code, resp.get_data(True)[:300])
    if success_may_store and resp.status_code < 300:
        return  # a callback that ran did what a click asks (e.g. "finish onboarding")
    assert _snapshot(app) == before, "a refused request changed stored data"


def _path_value(value: str) -> str:
    return quote(value, safe="") if value not in ("", ".", "..") else "x"


@EXAMPLES
@given(
    form=st.sampled_from(sorted(FORMS)),
    values=st.lists(TEXT, min_size=5, max_size=5),
    path_id=TEXT,
    as_file=st.booleans(),
)
def test_form_fields(fuzz, form, values, path_id, as_file):
    import io

    app, client = fuzz
    before = _snapshot(app)
    data: dict[str, object] = dict(zip(FORMS[form], values, strict=False))
    if as_file and data:
        first = next(iter(data))
        data[first] = (io.BytesIO(str(data[first]).encode()), "field.txt")
    data["csrf_token"] = csrf_from(client.get("/account/password").get_data(True))
    path = form.format(id=_path_value(path_id))
    resp = client.post(
        path,
        data=data,
        content_type="multipart/form-data" if as_file else None,
        environ_base=_environ(),
    )
    _check(app, resp, before)


@EXAMPLES
@given(
    target=st.sampled_from(
        ["/connect/shopify", "/_dash-update-component", "/webhooks/shopify", "/api/cron/daily-sync"]
    ),
    body=JSON,
)
def test_json_bodies(fuzz, target, body):
    app, client = fuzz
    before = _snapshot(app)
    raw = json.dumps(body).encode()
    headers = {**csrf_headers(client), "Content-Type": "application/json"}
    if target == "/webhooks/shopify":
        digest = hmac.new(b"fuzz-secret", raw, hashlib.sha256).digest()
        headers.update(
            {
                "X-Shopify-Hmac-SHA256": base64.b64encode(digest).decode(),
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Webhook-Id": hashlib.sha1(raw).hexdigest(),  # noqa: S324
                "X-Shopify-Shop-Domain": "nobody.myshopify.com",
            }
        )
    resp = client.post(target, data=raw, headers=headers, environ_base=_environ())
    _check(app, resp, before)


def _rules_with_ids(app) -> list[tuple[str, str]]:  # noqa: ANN001
    rules = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint.endswith("static") or "logout" in rule.endpoint:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append((rule.rule, method))
    return sorted(rules)


@EXAMPLES
@given(
    pick=st.integers(min_value=0, max_value=10_000),
    value=st.one_of(st.integers(min_value=-1, max_value=2**70).map(str), TEXT),
)
def test_path_ids(fuzz, pick, value):
    import re

    app, client = fuzz
    rules = _rules_with_ids(app)
    rule, method = rules[pick % len(rules)]
    before = _snapshot(app)
    path = re.sub(r"<(?:[^:>]+:)?[^>]+>", _path_value(value).replace("\\", "\\\\"), rule)
    resp = client.open(path, method=method, headers=csrf_headers(client), environ_base=_environ())
    _check(app, resp, before)


def _slot(dep: dict, value: object, many: bool) -> object:
    declared = dep["id"]
    if declared.startswith("{"):
        pattern = json.loads(declared)
        wild = value if isinstance(value, str | int) and not isinstance(value, bool) else 1
        ident = {k: (wild if isinstance(v, list) else v) for k, v in pattern.items()}
        item = {"id": ident, "property": dep["property"], "value": value}
        return [item] if many else item
    return {"id": declared, "property": dep["property"], "value": value}


@EXAMPLES
@given(
    pick=st.integers(min_value=0, max_value=10_000), values=st.lists(JSON, min_size=8, max_size=8)
)
def test_callback_slots(fuzz, pick, values):
    app, client = fuzz
    callbacks = sorted((k, v) for k, v in get_dash(app).callback_map.items() if "callback" in v)
    output, spec = callbacks[pick % len(callbacks)]
    declared = spec["output"] if isinstance(spec["output"], list) else [spec["output"]]
    outs = []
    for out in declared:
        d = out.to_dict()
        many = d["id"].startswith("{") and '["ALL"]' in d["id"]
        outs.append(_slot(d, None, many))
    for o in outs:
        for item in o if isinstance(o, list) else [o]:
            item.pop("value", None)

    def many(dep: dict) -> bool:
        return dep["id"].startswith("{") and '["ALL"]' in dep["id"]

    deps = spec["inputs"] + spec.get("state", [])
    filled = [_slot(d, values[i % len(values)], many(d)) for i, d in enumerate(deps)]
    inputs, state = filled[: len(spec["inputs"])], filled[len(spec["inputs"]) :]
    body = {
        "output": output,
        "outputs": outs if isinstance(spec["output"], list) else outs[0],
        "inputs": inputs,
        "state": state,
    }
    before = _snapshot(app)
    resp = client.post(
        "/_dash-update-component",
        data=json.dumps(body),
        content_type="application/json",
        headers=csrf_headers(client),
        environ_base=_environ(),
    )
    _check(app, resp, before, success_may_store=True)
