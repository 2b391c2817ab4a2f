"""Load test: locust (headless, loopback only, bounded in time) against gunicorn with 2
workers on PostgreSQL + Redis.

50 users log in, open the overview and analytics, change date ranges and export CSV for 60 s
(bench/locustfile.py). Prints one JSON object: requests, failures and p50/p95/p99 (ms) per
endpoint, the machine's load average, and the targets (0 failures; overview p95 <= 500 ms,
analytics callback p95 <= 800 ms).

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/omnify_load_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/load.py [--users 50 --seconds 60]

locust runs from its own virtualenv (LOAD_VENV, default /tmp/omnify-load-venv, created with
bench/requirements-load.txt when missing): it needs urllib3 2, the main one has 1.26.

The database gets the Lumen Beauty demo brand once (reused by later runs).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchdb import bench_app  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/omnify_load_bench"
TARGETS_P95_MS = {"overview callback": 500, "analytics callback": 800}


def prepare(db_url: str) -> None:
    """Migrate and seed the demo brand with its logins (once), brain state and snapshots."""
    os.environ["BENCH_DATABASE_URL"] = db_url
    app = bench_app(DEFAULT_DB)
    from sqlalchemy import select

    from extensions import db
    from jobs.brain import compute_and_store
    from models import Organization
    from models.analytics import precompute_snapshots
    from models.seed import seed_demo
    from models.tenancy import unscoped

    with app.app_context(), unscoped("benchmark: seeds and prepares the demo org"):
        org = db.session.execute(
            select(Organization).where(Organization.slug == "lumen")
        ).scalar_one_or_none()
        if org is None:
            org = seed_demo(with_users=True)
            compute_and_store(org.id)
        precompute_snapshots(org.id)
        db.session.commit()


def locust_python() -> str:
    venv = Path(os.environ.get("LOAD_VENV", "/tmp/omnify-load-venv"))
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    requirements = ROOT / "bench" / "requirements-load.txt"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)], check=True
    )
    return str(python)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(stats_csv: Path) -> dict:
    out = {}
    with stats_csv.open() as f:
        for row in csv.DictReader(f):
            out[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "rps": round(float(row["Requests/s"] or 0), 1),
            }
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--max-failure-ratio",
        type=float,
        default=None,
        help="exit 1 when more than this share of requests failed (CI: the app is broken)",
    )
    args = parser.parse_args(argv)
    db_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        sys.exit("REDIS_URL is required: the load test runs on PostgreSQL + Redis")
    python = locust_python()
    prepare(db_url)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix="omnify-load-"))
    env = {
        **os.environ,
        "ENV": "development",  # plain-http cookies on loopback; everything else as production
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(args.workers),
        "RATELIMIT_LOGIN": "100000 per minute",
        "LOG_FORMAT": "json",
        "APP_BASE_URL": "",
        "TRUSTED_HOSTS": "",
        "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
    }
    log = open(work / "web.log", "w")  # noqa: SIM115
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            sys.exit("gunicorn did not start; see " + str(work / "web.log"))
        load_before = os.getloadavg()
        locust = subprocess.run(
            [
                python, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
                "--headless", "--users", str(args.users), "--spawn-rate", "10",
                "--run-time", f"{args.seconds}s", "--host", base, "--csv", str(work / "load"),
                "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING",
            ],
            cwd=ROOT, capture_output=True, text=True, timeout=args.seconds + 120,
        )  # fmt: skip
        load_after = os.getloadavg()
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(web.pid, signal.SIGKILL)
        log.close()
    stats_csv = work / "load_stats.csv"
    if not stats_csv.exists():
        sys.exit(f"locust wrote no stats: {locust.stderr[-2000:]}")
    endpoints = percentiles(stats_csv)
    total = endpoints.pop("Aggregated", {})
    failures_csv = work / "load_failures.csv"
    failure_kinds = []
    if failures_csv.exists():
        with failures_csv.open() as f:
            failure_kinds = [
                {"name": r["Name"], "error": r["Error"][:200], "count": int(r["Occurrences"])}
                for r in csv.DictReader(f)
            ]
    result = {
        "users": args.users,
        "seconds": args.seconds,
        "gunicorn_workers": args.workers,
        "requests": total.get("requests", 0),
        "failures": total.get("failures", 0),
        "rps": total.get("rps", 0),
        "endpoints": endpoints,
        "failure_kinds": failure_kinds,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
        "targets": {
            "zero_failures": total.get("failures", 1) == 0,
            **{
                f"{name} p95 <= {limit} ms": endpoints.get(name, {}).get("p95_ms", 1e9) <= limit
                for name, limit in TARGETS_P95_MS.items()
            },
        },
    }
    print(json.dumps(result, indent=1))
    if args.max_failure_ratio is not None and result["requests"]:
        if result["failures"] / result["requests"] > args.max_failure_ratio:
            sys.exit(f"load: {result['failures']} of {result['requests']} requests failed")
    return result


if __name__ == "__main__":
    main()
