"""Error reporting with Sentry (only when SENTRY_DSN is set).

Flask, SQLAlchemy and RQ integrations; the release is the git revision; user id and org id
are tags; `scrub` (before_send) removes PII, secrets and tokens from every event.
"""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

from config import ROOT

FILTERED = "[Filtered]"
# keys whose values are never sent, wherever they appear in an event
_SECRET_KEY = re.compile(
    r"(?i)(pass(word|wd)?|secret|token|api[_-]?key|authorization|cookie|csrf|credential|dsn|"
    r"session|smtp_url|database_url|redis_url|email|e-mail|signature|hmac)"
)
_SECRET_EXACT = {"code", "state", "key", "auth"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_BEARER = re.compile(r"(?i)(bearer|basic)\s+[\w.~+/=-]+")
_URL_CREDENTIALS = re.compile(r"(\w+://)[^/\s:@]+:[^/\s@]+@")  # scheme://user:pass@
_TOKEN_PATH = re.compile(r"(/(?:reset|invite|signup/confirm)/)[^/\s?\"']+")
_TOKEN_QUERY = re.compile(
    r"(?i)(\b(?:code|state|token|access_token|refresh_token|api_key|key|hmac|password)=)"
    r"[^&\s\"']+"
)
_SAFE_KEYS = {"user_id", "org_id", "id", "job_id", "request_id", "status_code"}


def scrub_text(text: str) -> str:
    """The text without e-mail addresses, bearer tokens, URL passwords and link tokens."""
    text = _URL_CREDENTIALS.sub(r"\1" + FILTERED + "@", text)
    text = _BEARER.sub(FILTERED, text)
    text = _TOKEN_PATH.sub(r"\1" + FILTERED, text)
    text = _TOKEN_QUERY.sub(r"\1" + FILTERED, text)
    return _EMAIL.sub(FILTERED, text)


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return FILTERED
    if isinstance(value, dict):
        return {
            k: FILTERED
            if isinstance(k, str)
            and k not in _SAFE_KEYS
            and (k.lower() in _SECRET_EXACT or _SECRET_KEY.search(k))
            else _scrub(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v, depth + 1) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def scrub(event: dict, hint: dict | None = None) -> dict:
    """Sentry `before_send`: no cookies, bodies, secrets, tokens or e-mail addresses leave us.

    The user is reduced to its id (tags carry user id and org id)."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)  # form posts carry passwords; JSON bodies carry anything
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                k: v
                for k, v in headers.items()
                if k.lower() not in {"cookie", "authorization", "x-csrftoken"}
            }
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return _scrub(event)


def release() -> str | None:
    """The deployed git revision: SENTRY_RELEASE / SOURCE_VERSION, else `git rev-parse HEAD`."""
    for name in ("SENTRY_RELEASE", "SOURCE_VERSION", "GIT_REV"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def init_sentry(dsn: str, environment: str, transport: Any = None) -> bool:
    """Start the Sentry SDK (Flask, SQLAlchemy and RQ integrations). False without a DSN."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration

    options: dict[str, Any] = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release(),
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        before_send=scrub,
        integrations=[FlaskIntegration(), SqlalchemyIntegration(), RqIntegration()],
        **options,
    )
    return True


def tag_scope(user_id: int | None, org_id: int | None) -> None:
    """User id and org id as tags (and the user as its id only) on the current scope."""
    try:
        import sentry_sdk
    except ImportError:  # pragma: no cover - sentry-sdk is a dependency
        return
    scope = sentry_sdk.get_isolation_scope()
    if user_id is not None:
        scope.set_user({"id": str(user_id)})
        scope.set_tag("user_id", str(user_id))
    if org_id is not None:
        scope.set_tag("org_id", str(org_id))
