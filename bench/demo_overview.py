"""Benchmark: the sales demo's overview, server side (no browser, no database).

Times the index of "/" (the layout with its first paint as HTML) and "/?range=7d" through
Flask's test client, after one warm-up request each: the demo sums the chosen period from its
snapshot (readmodels.analytics) on every overview render.

Prints one JSON line: {index_p50_ms, index_p95_ms, index_cpu_p50_ms, index_7d_p50_ms, ..., n}
(wall time and this process's CPU time: on a shared, busy machine the CPU time is steadier).

    .venv/bin/python bench/demo_overview.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 1)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    from demo.app import server

    client = server.test_client()
    out: dict = {"n": args.runs}
    for name, url in (("index", "/"), ("index_7d", "/?range=7d&compare=previous")):
        client.get(url)  # warm-up: the snapshot is loaded once per day
        times, cpu = [], []
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            resp = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert resp.status_code == 200 and b"first-paint" in resp.data
        out[f"{name}_p50_ms"] = pct(times, 50)
        out[f"{name}_p95_ms"] = pct(times, 95)
        out[f"{name}_mean_ms"] = round(statistics.mean(times), 1)
        out[f"{name}_cpu_p50_ms"] = pct(cpu, 50)  # this process's CPU: less noisy when busy
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
