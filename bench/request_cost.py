"""Benchmark: the CPU cost of one request of bench/load.py's mix, in one process.

The load test's p95 under 50 users is mostly queueing on two saturated cores, so it moves with
whatever else runs on the machine; the cost of one request alone is what the load test's
throughput follows, and it is far less sensitive to the machine's load. This script logs in as
the Lumen Beauty demo CMO (the same org bench/load.py seeds) through the Flask test client and
times, one after another, what a load-test user does: GET / (page shell with the first-paint
HTML), the router callback for "/" (the overview), the router callback for "/analytics", the
analytics main callback for a date range, and the CSV export.

Prints one JSON object: p50/p95 ms per request kind (and the cold first call).
`--profile out.prof` writes cProfile stats (CPU time) of the timed loop.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/omnify_load_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/request_cost.py [--requests 40]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import DEFAULT_DB, prepare  # noqa: E402

EMAIL, PASSWORD = "cmo@lumen.example", "demo-lumen-2026"
RANGES = ("7d", "30d", "90d", "mtd")


def _find(deps: list[dict], input_key: str, output_contains: str) -> dict:
    for dep in deps:
        keys = [f"{i['id']}.{i['property']}" for i in dep["inputs"]]
        if keys[:1] == [input_key] and output_contains in dep["output"]:
            return dep
    raise LookupError(f"no callback on {input_key} with {output_contains}")


def _payload(dep: dict, values: dict) -> dict:
    spec = dep["output"]
    parts = spec.strip(".").split("...") if spec.startswith("..") else [spec]
    outs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    inputs = [dict(i, value=values.get(f"{i['id']}.{i['property']}")) for i in dep["inputs"]]
    state = [dict(s, value=values.get(f"{s['id']}.{s['property']}")) for s in dep["state"]]
    return {
        "output": spec,
        "outputs": outs if spec.startswith("..") else outs[0],
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]][:1],
    }


def session(app):  # noqa: ANN001, ANN201 - a logged-in Flask test client and its CSRF header
    import re

    client = app.test_client()
    page = client.get("/login").get_data(True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code in (302, 303), resp.status_code
    client.get("/api/me")
    return client, {"X-CSRFToken": client.get_cookie("_csrf_token").value}


def requests_of(app) -> dict:  # noqa: ANN001
    """name -> a function doing one request of that kind (asserting it succeeded)."""
    import random

    client, headers = session(app)
    deps = client.get("/_dash-dependencies").get_json()
    router = _find(deps, "url.pathname", "children")
    analytics = _find(deps, "analytics-url.search", "an-kpis")

    def callback(dep: dict, values: dict, must: bytes) -> None:
        resp = client.post("/_dash-update-component", json=_payload(dep, values), headers=headers)
        assert resp.status_code == 200 and must in resp.data, resp.get_data(True)[:300]

    def shell() -> None:
        resp = client.get("/")
        assert resp.status_code == 200 and b"first-paint" in resp.data

    def export() -> None:
        resp = client.get(f"/exports/analytics.csv?range={random.choice(RANGES)}")
        assert resp.status_code == 200 and resp.mimetype == "text/csv"

    return {
        "GET / (page shell)": shell,
        "overview callback": lambda: callback(router, {"url.pathname": "/"}, b"kpi-mer"),
        "analytics page callback": lambda: callback(
            router, {"url.pathname": "/analytics"}, b"an-kpis"
        ),
        "analytics callback": lambda: callback(
            analytics, {"analytics-url.search": f"?range={random.choice(RANGES)}"}, b"an-kpis"
        ),
        "GET /exports/analytics.csv": export,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--profile", help="write cProfile stats of the timed loop here")
    args = parser.parse_args(argv)
    db_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB
    prepare(db_url)
    from benchdb import bench_app

    app = bench_app(DEFAULT_DB)
    kinds = requests_of(app)
    cold = {}
    for name, fn in kinds.items():
        t0 = time.perf_counter()
        fn()
        cold[name] = round((time.perf_counter() - t0) * 1000, 1)
    for fn in kinds.values():  # warm-up
        fn()
    times: dict[str, list[float]] = {name: [] for name in kinds}
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not waits
    if profiler:
        profiler.enable()
    cpu0 = time.process_time()
    for _ in range(args.requests):
        for name, fn in kinds.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1000)
    cpu_s = time.process_time() - cpu0
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    result = {
        name: {
            "p50_ms": round(float(np.percentile(v, 50)), 1),
            "p95_ms": round(float(np.percentile(v, 95)), 1),
            "cold_ms": cold[name],
        }
        for name, v in times.items()
    }
    n = args.requests * len(kinds)
    out = {
        "requests": n,
        "cpu_ms_per_request": round(cpu_s * 1000 / n, 1),
        "endpoints": result,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "database": "postgresql" if db_url.startswith("postgresql") else "sqlite",
    }
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
