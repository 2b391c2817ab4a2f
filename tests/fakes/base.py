"""Shared machinery of the fake platforms: scenarios, request log, JSON responses.

Every fake is a Flask app wrapped in a :class:`FakeAPI`. Scenarios are switched with
``fake.set_scenario("rate_limited")`` (a preset name) and/or keyword overrides
(``fake.set_scenario(server_errors=3)``); ``fake.reset()`` restores the happy path
and clears the request log. Counters such as ``rate_limit=2`` apply to the next N
*API* calls (token endpoints are not counted) and then stop.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from tests.fakes.server import FakeServer


@dataclass
class Scenario:
    """Switchable misbehaviour of a fake. Defaults are the happy path."""

    page_size: int | None = None  # force this page/batch size (pagination)
    rate_limit: int = 0  # next N API calls → HTTP 429 + Retry-After
    retry_after: str = "1"  # Retry-After value (seconds or an HTTP-date)
    server_errors: int = 0  # next N API calls → 5xx
    server_error_status: int = 500  # status used by server_errors (TikTok: 200 → code 50000)
    throttle_errors: int = 0  # next N calls → the platform's own throttling error
    usage_pct: float | None = None  # Meta usage headers value (e.g. 100)
    regain_minutes: int = 1  # Meta estimated_time_to_regain_access when throttled
    expired_token: bool = False  # every API call → the platform's auth error
    malformed_json: bool = False  # API calls return a truncated JSON body
    restate_yesterday: bool = False  # second and later pulls see changed yesterday values


PRESETS: dict[str, dict[str, Any]] = {
    "happy": {},
    "pagination": {"page_size": 7},
    "rate_limited": {"rate_limit": 1, "retry_after": "2"},
    "server_errors": {"server_errors": 2},
    "usage_100": {"usage_pct": 100.0, "regain_minutes": 1},
    "throttled": {"throttle_errors": 1},
    "expired_token": {"expired_token": True},
    "malformed_json": {"malformed_json": True},
    "restated_yesterday": {"restate_yesterday": True},
}


@dataclass
class RecordedCall:
    """One request the fake received."""

    method: str
    path: str
    args: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Compact JSON without Flask's key sorting (fast for big pages)."""
    body = json.dumps(payload, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json", headers=headers or {})


class FakeAPI:
    """Base class: scenario handling, request log, server lifecycle."""

    platform = "fake"
    api_marker = ""  # substring of the data endpoint's path (counts "API calls")

    def __init__(self) -> None:
        self.app = Flask(f"fake_{self.platform}")
        self.scenario = Scenario()
        self.calls: list[RecordedCall] = []
        self.pulls = 0  # first-page requests covering the last day (see note_pull)
        self.today: dt.date | None = None  # the fake's "today" for version sunsets (None: real)
        self._lock = threading.Lock()
        self._server = FakeServer(self.app)
        self._register_log_hook()
        self.routes()

    # -- lifecycle ---------------------------------------------------------------------
    def routes(self) -> None:  # pragma: no cover - subclasses define routes
        raise NotImplementedError

    @property
    def url(self) -> str:
        """Base URL to give the client (``http://127.0.0.1:<port>``)."""
        return self._server.url

    def start(self) -> FakeAPI:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scenarios ---------------------------------------------------------------------
    def set_scenario(self, name: str | None = None, **overrides: Any) -> Scenario:
        """Apply a preset (see ``PRESETS``) plus overrides on top of the happy path."""
        values: dict[str, Any] = {}
        if name is not None:
            if name not in PRESETS:
                raise KeyError(f"unknown scenario {name!r}; known: {sorted(PRESETS)}")
            values.update(PRESETS[name])
        values.update(overrides)
        with self._lock:
            self.scenario = dataclasses.replace(Scenario(), **values)
        return self.scenario

    def reset(self) -> None:
        """Happy path again; clear the request log and pull counter."""
        with self._lock:
            self.scenario = Scenario()
            self.calls.clear()
            self.pulls = 0

    def take(self, counter: str) -> bool:
        """Consume one unit of a countdown scenario field (thread-safe)."""
        with self._lock:
            left = getattr(self.scenario, counter)
            if left > 0:
                setattr(self.scenario, counter, left - 1)
                return True
            return False

    def note_pull(self, dataset: Any, since: Any, until: Any) -> None:
        """Count a pull (first page of the range holding the dataset's last day) and
        restate that day from the second pull on when ``restate_yesterday`` is set."""
        if not since <= dataset.end <= until:
            return
        with self._lock:
            self.pulls += 1
            if self.scenario.restate_yesterday and self.pulls >= 2:
                self.scenario.restate_yesterday = False
                dataset.restate()

    # -- request log -------------------------------------------------------------------
    def _register_log_hook(self) -> None:
        @self.app.before_request
        def _record() -> None:
            body = request.get_json(silent=True) if request.is_json else None
            call = RecordedCall(
                method=request.method,
                path=request.path,
                args=request.args.to_dict(),
                headers=dict(request.headers),
                json=body,
                form=request.form.to_dict() if request.form else {},
            )
            with self._lock:
                self.calls.append(call)

    def api_calls(self, path_contains: str | None = None) -> list[RecordedCall]:
        """Logged calls whose path contains ``path_contains`` (default: the data endpoint)."""
        marker = self.api_marker if path_contains is None else path_contains
        with self._lock:
            return [c for c in self.calls if marker in c.path]

    @property
    def call_count(self) -> int:
        """Number of calls to the data endpoint."""
        return len(self.api_calls())


def truncated(payload: Any, keep: int = 160) -> Response:
    """A 200 response whose JSON body is cut off (malformed)."""
    body = json.dumps(payload, separators=(",", ":"))
    body = body[: min(keep, len(body) - 1)]
    return Response(body, status=200, mimetype="application/json")
