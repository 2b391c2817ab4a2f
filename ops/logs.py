"""Structured logs: one JSON line per record, request ids, one line per request and per job.

`JsonFormatter` writes every record as one JSON object; the fields below (when present on the
record, via `extra=`) become top-level keys. `init_app` gives each request an id (the client's
`X-Request-ID` when it is sane, else a new one), returns it in `X-Request-ID`, and logs one
`omnify.request` line per request with method, path, endpoint, status, duration, user and org.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, request

from ops.errors import scrub_text
from ops.metrics import observe_request

REQUEST_ID_HEADER = "X-Request-ID"
FIELDS = (
    "request_id",
    "org_id",
    "user_id",
    "job_id",
    "job_kind",
    "method",
    "path",
    "endpoint",
    "status",
    "duration_ms",
    "callback",
)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,80}$")
# the request (or job) id of the code running now, for log lines written anywhere below it
current_request_id: ContextVar[str | None] = ContextVar("omnify_request_id", default=None)
request_log = logging.getLogger("omnify.request")
job_log = logging.getLogger("omnify.job")


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every record remembers the request (or job) id current when it was made."""
    record = _base_factory(*args, **kwargs)
    record.ctx_request_id = current_request_id.get()
    return record


if getattr(_base_factory, "__name__", "") != "_record_with_request_id":  # module reloads
    logging.setLogRecordFactory(_record_with_request_id)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the FIELDS present, exception."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or getattr(record, "ctx_request_id", None)
        if rid:
            out["request_id"] = rid
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None and name != "request_id":
                out[name] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure(fmt: str) -> None:
    """Root logging at INFO, as JSON lines (`json`) or plain text (`text`). Idempotent."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    handler = next((h for h in root.handlers if getattr(h, "_omnify", False)), None)
    if handler is None:
        for h in list(root.handlers):  # basicConfig's default handler, if any
            if type(h) is logging.StreamHandler:
                root.removeHandler(h)
        handler = logging.StreamHandler()
        handler._omnify = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))


def request_id() -> str | None:
    """The current request's (or job's) id."""
    return current_request_id.get()


def new_id() -> str:
    return uuid.uuid4().hex


def init_app(server: Flask, who: Any = None) -> None:
    """Request ids and the per-request log line. `who()` returns (user_id, org_id) or Nones."""

    def _start() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SANE_ID.match(incoming) else new_id()
        g.request_started = time.perf_counter()
        current_request_id.set(g.request_id)

    # first of all before_request hooks: the login guard may answer (redirect) before others
    server.before_request_funcs.setdefault(None, []).insert(0, _start)

    @server.after_request
    def _finish(resp):  # noqa: ANN001, ANN202
        rid = g.get("request_id")
        if rid:
            resp.headers[REQUEST_ID_HEADER] = rid
        started = g.get("request_started")
        if started is None:
            return resp
        user_id, org_id = who() if who else (None, None)
        seconds = time.perf_counter() - started
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        observe_request(endpoint, request.method, resp.status_code, seconds, g.get("dash_callback"))
        extra = {
            "request_id": rid,
            "method": request.method,
            "path": scrub_text(request.path),  # reset/invite links carry tokens
            "endpoint": endpoint,
            "status": resp.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": user_id,
            "org_id": org_id,
            "callback": g.get("dash_callback"),
        }
        request_log.info("%s %s %s", request.method, extra["path"], resp.status_code, extra=extra)
        return resp


def log_job(job_id: str, kind: str, ok: bool, duration_s: float, org_id: int | None = None) -> None:
    """The one line per job (FlaskWorker)."""
    job_log.log(
        logging.INFO if ok else logging.WARNING,
        "job %s %s %s",
        kind,
        job_id,
        "succeeded" if ok else "failed",
        extra={
            "job_id": job_id,
            "job_kind": kind,
            "status": "succeeded" if ok else "failed",
            "duration_ms": round(duration_s * 1000, 1),
            "org_id": org_id,
        },
    )
