"""Benchmark: the overview's initial server work for the large brand, in PostgreSQL.

The overview only reads the stored latest BrainState, so the bench stores exactly that: it
builds the large brand (brain.synthetic.generate_brand(seed, days=365, scale="large"),
≈ 1.1 M creative-days, ≈ 500 k orders), computes its brain state once, and inserts the state
row with an org, a logged-in user, four connections and a few decisions — not the 1.1 M rows,
which a page view never touches. Then, through the Flask test client with the real login, CSRF
and Dash serialization, it times the overview's initial callbacks: the router callback for "/"
(the only server-side callback that fires on load; the tips are clientside and decisions and
polling wait for a click or the 30 s interval). It also times GET /_dash-layout (the shell:
freshness and connection badge), which the browser fetches just before.

Prints one JSON line: {overview_p50_ms, overview_p95_ms, n, ...}. Target p95 ≤ 150 ms.

    .venv/bin/python bench/dashboard.py            # PostgreSQL database omnify_overview_bench
    BENCH_DATABASE_URL=sqlite:////tmp/b.db .venv/bin/python bench/dashboard.py

The run creates its own organization and deletes it at the end (other data is untouched).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchdb import bench_app  # noqa: E402

from models.tenancy import unscoped  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/omnify_overview_bench"
PASSWORD = "bench-password-123"  # noqa: S105 - throwaway bench user


def large_state(seed: int) -> tuple[dict, dict]:
    from brain.state import compute_brain_state
    from brain.synthetic import generate_brand

    t0 = time.perf_counter()
    brand = generate_brand(seed, days=365, scale="large")
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    state = compute_brain_state(brand.ad_daily, brand.orders, {"gross_margin": 0.65})
    info = {
        "rows": int(len(brand.ad_daily)),
        "orders": int(len(brand.orders)),
        "generate_s": round(gen_s, 1),
        "compute_s": round(time.perf_counter() - t0, 2),
        "state_bytes": len(json.dumps(state)),
        "actions": len(state["curiosity"]["actions"]),
    }
    return state, info


def store(org_id: int, user_id: int, state: dict) -> int:
    from extensions import db
    from models import BrainState, Connection
    from models.decisions import record_decision

    now = datetime.now(UTC)
    for i, platform in enumerate(("meta", "google_ads", "tiktok", "shopify")):
        db.session.add(
            Connection(
                org_id=org_id,
                platform=platform,
                external_account_id=f"bench-{platform}",
                status="needs_reauth" if platform == "tiktok" else "active",
                last_synced_at=now - timedelta(hours=i + 1),
            )
        )
    row = BrainState(
        org_id=org_id,
        as_of=date.fromisoformat(state["as_of"]),
        period_start=date.fromisoformat(state["period"]["start"]),
        period_end=date.fromisoformat(state["period"]["end"]),
        schema_version=str(state["schema_version"]),
        memory=state["memory"],
        oracle=state["oracle"],
        curiosity=state["curiosity"],
        settings=state.get("settings", {}),
        notes=state.get("notes", []),
        input_fingerprint="bench",
    )
    db.session.add(row)
    db.session.commit()
    for action, decision in zip(
        state["curiosity"]["actions"], ("accepted", "rejected"), strict=False
    ):
        record_decision(org_id, user_id, action["id"], decision)
    return row.id


@unscoped("benchmark: sets up and measures one org outside any request")
def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)

    from extensions import db
    from models import Organization, User

    app = bench_app(DEFAULT_DB)
    db_url = app.config["SQLALCHEMY_DATABASE_URI"]
    email = f"bench-{os.getpid()}-{int(time.time())}@overview.example"
    state, info = large_state(args.seed)
    with app.app_context():
        from api.auth import create_org_with_owner

        user = create_org_with_owner("Bench Large Brand", "Bench", email, PASSWORD, "cmo")
        db.session.commit()
        org_id, user_id = user.memberships[0].org_id, user.id
        state["org_id"] = org_id
        store(org_id, user_id, state)
    try:
        result = time_requests(app, email, args.requests)
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Organization, org_id))
            db.session.execute(db.delete(User).where(User.email == email))
            db.session.commit()
    result.update(info, database="postgresql" if "postgres" in db_url else "sqlite")
    print(json.dumps(result))
    return result


def time_requests(app, email: str, n: int) -> dict:  # noqa: ANN001
    from tests.conftest import csrf_from

    client = app.test_client()
    page = client.get("/login")
    client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page.get_data(True))},
    )
    client.get("/api/me")
    headers = {"X-CSRFToken": client.get_cookie("_csrf_token").value}
    router = {
        "output": "page.children",
        "outputs": {"id": "page", "property": "children"},
        "inputs": [{"id": "url", "property": "pathname", "value": "/"}],
        "changedPropIds": ["url.pathname"],
    }

    def overview() -> int:
        resp = client.post("/_dash-update-component", json=router, headers=headers)
        assert resp.status_code == 200, resp.get_data(True)[:300]
        assert b"kpi-mer" in resp.data, "the overview did not render the brain state"
        return len(resp.data)

    def layout() -> int:
        resp = client.get("/_dash-layout")
        assert resp.status_code == 200 and b"Data through" in resp.data
        return len(resp.data)

    t0 = time.perf_counter()
    size = overview()
    cold_ms = (time.perf_counter() - t0) * 1000
    for _ in range(3):  # warm-up: first-request imports and connection pool
        overview()
        layout()
    times: dict[str, list[float]] = {"overview": [], "layout": []}
    for _ in range(n):
        for name, fn in (("layout", layout), ("overview", overview)):
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1000)

    def pct(values: list[float], q: float) -> float:
        return round(float(np.percentile(values, q)), 1)

    return {
        "overview_p50_ms": pct(times["overview"], 50),
        "overview_p95_ms": pct(times["overview"], 95),
        "n": n,
        "layout_p50_ms": pct(times["layout"], 50),
        "layout_p95_ms": pct(times["layout"], 95),
        "cold_overview_ms": round(cold_ms, 1),
        "response_bytes": size,
    }


if __name__ == "__main__":
    main()
