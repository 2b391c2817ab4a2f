"""Typed errors raised by every client in ``integrations/``.

The job layer decides what to do from the type alone:

* ``AuthExpired``  - never retried; mark the connection ``needs_reauth``.
* ``RateLimited``  - retried (``retry_after`` seconds when the platform says so).
* ``Transient``    - 5xx, timeouts, connection errors; retried with backoff.
* ``BadResponse``  - malformed JSON or an unexpected shape; fail the job.
* ``AccessDenied`` - valid credentials without a needed scope/link; fail with what to grant.

Messages never contain a secret: every message goes through :func:`redact`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "AccessDenied",
    "AuthExpired",
    "BadResponse",
    "IntegrationError",
    "RateLimited",
    "Transient",
    "excerpt",
    "redact",
]

EXCERPT_LIMIT = 200
MASK = "***"

# key=value pairs in URLs, form bodies and log lines
_QUERY_SECRET = re.compile(
    r"(?i)\b((?:access_token|refresh_token|client_secret|fb_exchange_token|appsecret_proof"
    r"|auth_code|code|secret|password|developer_token|id_token)=)[^&\s\"'<>]+"
)
# "access_token": "..." in JSON text
_JSON_SECRET = re.compile(
    r"(?i)(\"(?:access_token|refresh_token|client_secret|secret|id_token|password"
    r"|developer_token|auth_code)\"\s*:\s*\")[^\"]*(\")"
)
# Authorization: Bearer xxx / OAuth xxx, and platform token headers
_AUTH_HEADER = re.compile(
    r"(?i)\b((?:authorization|x-shopify-access-token|access-token|developer-token)"
    r"[\"']?\s*[:=]\s*[\"']?(?:bearer\s+|oauth\s+|basic\s+)?)[^\s,\"'}]+"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
# user:password@ in URLs (smtp://user:pass@host)
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+(@)")


def redact(text: object, secrets: Iterable[str | None] = ()) -> str:
    """Return ``str(text)`` with tokens, passwords and the given secrets masked."""
    out = str(text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, MASK)
    out = _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, out)
    out = _JSON_SECRET.sub(lambda m: m.group(1) + MASK + m.group(2), out)
    out = _AUTH_HEADER.sub(lambda m: m.group(1) + MASK, out)
    out = _BEARER.sub(lambda m: m.group(1) + MASK, out)
    out = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(2), out)
    return out


def excerpt(payload: object, secrets: Iterable[str | None] = (), limit: int = EXCERPT_LIMIT) -> str:
    """A short, redacted, single-line excerpt of a payload (≤ ``limit`` characters).

    Redaction happens *before* truncation so that a token cut in half cannot survive.
    """
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", errors="replace")
    text = " ".join(redact(payload, secrets).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class IntegrationError(Exception):
    """Base class of every error raised by an outside-world client."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        platform: str | None = None,
        status: int | None = None,
        code: object = None,
        retry_after: float | None = None,
    ) -> None:
        self.platform = platform
        self.status = status
        self.code = code
        self.retry_after = retry_after
        prefix = f"{platform}: " if platform and not message.startswith(f"{platform}:") else ""
        super().__init__(redact(prefix + message))

    @property
    def message(self) -> str:
        """The (redacted) message."""
        return str(self)


class AuthExpired(IntegrationError):
    """The credentials are invalid, expired or revoked: the connection must be re-authorized."""


class AccessDenied(IntegrationError):
    """The credentials are valid but lack a permission: a missing scope (Shopify
    ``ACCESS_DENIED``) or an account reached without its manager (Google
    ``USER_PERMISSION_DENIED``). Reconnecting with the same grant does not help; the message
    says what to grant. ``required`` names the missing scope or link when known."""

    def __init__(self, message: str, *, required: str | None = None, **kw: object) -> None:
        self.required = required
        super().__init__(message, **kw)  # type: ignore[arg-type]


class RateLimited(IntegrationError):
    """The platform asked us to slow down; ``retry_after`` is in seconds when known."""

    retryable = True


class Transient(IntegrationError):
    """5xx, timeouts and connection errors: safe to retry with backoff."""

    retryable = True


class BadResponse(IntegrationError):
    """Malformed JSON, an unexpected shape or a request the platform refused (4xx)."""

    @classmethod
    def from_payload(
        cls,
        what: str,
        payload: object,
        *,
        secrets: Iterable[str | None] = (),
        platform: str | None = None,
        status: int | None = None,
        code: object = None,
    ) -> BadResponse:
        """Build an error whose message ends with a redacted excerpt of ``payload``."""
        return cls(
            f"{what}: {excerpt(payload, secrets)!r}",
            platform=platform,
            status=status,
            code=code,
        )
