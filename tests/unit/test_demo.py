"""The sales demo: built-in data, no database/login/queue imports, every persona renders."""

from __future__ import annotations

import json
import subprocess
import sys

from config import ROOT

FORBIDDEN = (
    "models",
    "jobs",
    "flask_login",
    "sqlalchemy",
    "flask_sqlalchemy",
    "redis",
    "rq",
    "requests",
    "api",
)


def test_demo_imports_no_database_queue_or_auth():
    code = (
        "import sys, json; import demo.app; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_demo_serves_the_snapshot_for_every_persona():
    from demo.app import create_demo_app, snapshot

    client = create_demo_app().server.test_client()
    assert client.get("/").status_code == 200
    layout = client.get("/_dash-layout").get_data(as_text=True)
    for title in ("Attribution Truth", "Predictive Alerts", "Recommended Actions"):
        assert title in layout
    state = snapshot()
    assert state["oracle"]["risk"]["level"] in ("YELLOW", "RED")
    assert f"{state['memory']['totals']['mer']:.2f}" in layout
