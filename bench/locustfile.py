"""Locust users for bench/load.py: log in, open the overview and analytics, change the date
range, export CSV. Callback bodies are built from the live app's /_dash-dependencies, so the
bench follows the pages as they change (no hard-coded component ids beyond the inputs)."""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

EMAIL = os.environ.get("LOAD_EMAIL", "cmo@lumen.example")
PASSWORD = os.environ.get("LOAD_PASSWORD", "demo-lumen-2026")
RANGES = ("7d", "30d", "90d", "mtd")
_deps: list[dict] | None = None


def _outputs(spec: str) -> list[dict]:
    parts = spec.strip(".").split("...") if spec.startswith("..") else [spec]
    out = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        out.append({"id": ident, "property": prop})
    return out


def _payload(dep: dict, values: dict) -> dict:
    outs = _outputs(dep["output"])
    inputs = [dict(i, value=values.get(f"{i['id']}.{i['property']}")) for i in dep["inputs"]]
    state = [dict(s, value=values.get(f"{s['id']}.{s['property']}")) for s in dep["state"]]
    return {
        "output": dep["output"],
        "outputs": outs if dep["output"].startswith("..") else outs[0],
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]][:1],
    }


def _find(deps: list[dict], input_key: str, output_contains: str) -> dict:
    for dep in deps:
        keys = [f"{i['id']}.{i['property']}" for i in dep["inputs"]]
        if keys[:1] == [input_key] and output_contains in dep["output"]:
            return dep
    raise LookupError(f"no callback on {input_key} with {output_contains}")


class Marketer(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        global _deps
        page = self.client.get("/login", name="GET /login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        self.client.post(
            "/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
            name="POST /login",
            allow_redirects=False,
        )
        self.client.get("/api/me", name="GET /api/me")
        self.headers = {"X-CSRFToken": self.client.cookies.get("_csrf_token", "")}
        if _deps is None:
            _deps = self.client.get("/_dash-dependencies", name="GET /_dash-dependencies").json()
        self.router = _find(_deps, "url.pathname", "children")
        self.analytics = _find(_deps, "analytics-url.search", "an-kpis")

    def _callback(self, dep: dict, values: dict, name: str) -> None:
        with self.client.post(
            "/_dash-update-component",
            json=_payload(dep, values),
            headers=self.headers,
            name=name,
            catch_response=True,
        ) as resp:
            if resp.status_code not in (200, 204):
                resp.failure(f"{resp.status_code}: {resp.text[:200]}")

    @task(3)
    def overview(self) -> None:
        self.client.get("/", name="GET / (page shell)")
        self._callback(self.router, {"url.pathname": "/"}, "overview callback")

    @task(3)
    def analytics(self) -> None:
        self._callback(self.router, {"url.pathname": "/analytics"}, "analytics page callback")
        for _ in range(2):  # change the date range twice
            search = f"?range={random.choice(RANGES)}"
            self._callback(self.analytics, {"analytics-url.search": search}, "analytics callback")

    @task(1)
    def export_csv(self) -> None:
        with self.client.get(
            f"/exports/analytics.csv?range={random.choice(RANGES)}",
            name="GET /exports/analytics.csv",
            catch_response=True,
        ) as resp:
            if resp.status_code != 200 or "text/csv" not in resp.headers.get("Content-Type", ""):
                resp.failure(f"{resp.status_code} {resp.headers.get('Content-Type')}")
