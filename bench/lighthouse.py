"""Lighthouse (mobile preset) on the product's overview and analytics and the demo's overview.

    python bench/lighthouse.py --app http://127.0.0.1:8050 --demo http://127.0.0.1:8060 [--runs 3]

Logs in as the demo CMO (the seeded Lumen Beauty brand), runs Lighthouse `--runs` times per page
and prints one JSON object: per page the median performance score and the median LCP, TBT, CLS,
accessibility and best practices, each run's figures, and the load average before and after (the
machine is shared: compare before/after figures only when measured back to back). Needs node and
Chromium; Lighthouse comes from $LIGHTHOUSE (a lighthouse executable) or `npx lighthouse@12.8.2`.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
    "--disable-background-networking --disable-component-update --no-first-run"
)
EMAIL, PASSWORD = "cmo@lumen.example", "demo-lumen-2026"


def login_cookie(base: str) -> str:
    """A session cookie of the seeded CMO (the login form with its CSRF token)."""
    s = requests.Session()
    page = s.get(urljoin(base, "/login"), timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    if token is None:
        raise SystemExit("no csrf_token on the login page")
    resp = s.post(
        urljoin(base, "/login"),
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    if resp.status_code != 302:
        raise SystemExit(f"login failed: HTTP {resp.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)


def lighthouse_cmd() -> list[str]:
    if os.environ.get("LIGHTHOUSE"):
        return shlex.split(os.environ["LIGHTHOUSE"])
    return ["npx", "--yes", "lighthouse@12.8.2"]


def run_once(url: str, cookie: str | None) -> dict:
    """One Lighthouse run: scores 0-100 and the three vitals."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [
            *lighthouse_cmd(),
            url,
            f"--chrome-flags={CHROME_FLAGS}",
            "--only-categories=performance,accessibility,best-practices",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
        ]
        if cookie:
            headers = Path(tmp) / "headers.json"
            headers.write_text(json.dumps({"Cookie": cookie}))
            headers.chmod(0o600)
            cmd.append(f"--extra-headers={headers}")
        env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
        subprocess.run(cmd, check=False, capture_output=True, env=env, timeout=600)
        if not out.exists():
            return {"error": "no report"}
        lhr = json.loads(out.read_text())

    def score(cat: str) -> int | None:
        c = lhr["categories"].get(cat) or {}
        return None if c.get("score") is None else round(c["score"] * 100)

    def num(audit: str, digits: int = 0) -> float | None:
        v = (lhr["audits"].get(audit) or {}).get("numericValue")
        return None if v is None else round(v, digits)

    failing = [
        a["id"]
        for a in lhr["audits"].values()
        if a.get("scoreDisplayMode") == "binary"
        and a.get("score") == 0
        and a["id"] in _a11y_ids(lhr)
    ]
    return {
        "final_url": lhr.get("finalDisplayedUrl"),
        "performance": score("performance"),
        "accessibility": score("accessibility"),
        "best_practices": score("best-practices"),
        "fcp_ms": num("first-contentful-paint"),
        "lcp_ms": num("largest-contentful-paint"),
        "tbt_ms": num("total-blocking-time"),
        "cls": num("cumulative-layout-shift", 3),
        "kib": round((num("total-byte-weight") or 0) / 1024),
        "a11y_failures": failing,
        # Lighthouse's own CPU speed reading of this machine at that moment: TBT scales with
        # it (the 4x slowdown multiplies whatever the host gives), so compare runs by it
        "benchmark_index": (lhr.get("environment") or {}).get("benchmarkIndex"),
    }


def _a11y_ids(lhr: dict) -> set[str]:
    refs = (lhr["categories"].get("accessibility") or {}).get("auditRefs") or []
    return {r["id"] for r in refs}


def median_of(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": "every run failed"}
    by_perf = sorted(ok, key=lambda r: r["performance"] or 0)
    mid = by_perf[len(by_perf) // 2]
    keys = ("lcp_ms", "tbt_ms", "cls", "kib", "benchmark_index")
    out = {k: statistics.median(r[k] or 0 for r in ok) for k in keys}
    return {
        "performance": mid["performance"],
        "performance_range": [by_perf[0]["performance"], by_perf[-1]["performance"]],
        **out,
        "accessibility": min(r["accessibility"] for r in ok),
        "best_practices": min(r["best_practices"] for r in ok),
        "a11y_failures": sorted({f for r in ok for f in r["a11y_failures"]}),
    }


def warm_up(url: str, cookie: str | None) -> None:
    """Fetch the page and every script and stylesheet it names once, as a first visitor would
    (the server compresses each bundle at its best level once, on a thread), then wait."""
    headers = {"Cookie": cookie} if cookie else {}
    page = requests.get(url, headers=headers, timeout=60).text
    for ref in re.findall(r'(?:src|href)="(/[^"]+)"', page):
        requests.get(urljoin(url, ref), headers={**headers, "Accept-Encoding": "br"}, timeout=60)
    time.sleep(15)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--app", help="the product's base URL (seeded, with the demo CMO)")
    ap.add_argument("--demo", help="the sales demo's base URL")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pages", nargs="*", help="only these page names (overview, analytics, demo)")
    args = ap.parse_args()
    pages: list[tuple[str, str, str | None]] = []
    if args.app:
        cookie = login_cookie(args.app)
        pages += [
            ("overview", urljoin(args.app, "/"), cookie),
            ("analytics", urljoin(args.app, "/analytics"), cookie),
        ]
    if args.demo:
        pages.append(("demo", urljoin(args.demo, "/"), None))
    if args.pages:
        pages = [p for p in pages if p[0] in args.pages]
    result: dict = {"load_before": load_average(), "runs": args.runs, "pages": {}}
    for name, url, cookie in pages:
        warm_up(url, cookie)
        runs = []
        for _ in range(args.runs):
            runs.append(run_once(url, cookie))
            print(name, json.dumps(runs[-1]), file=sys.stderr)
        result["pages"][name] = {
            "url": url,
            **median_of(runs),
            "load": load_average(),
            "each": runs,
        }
    result["load_after"] = load_average()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
