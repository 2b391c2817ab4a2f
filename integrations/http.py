"""Shared HTTP plumbing: a session factory with timeouts and a tenacity retry policy.

* :func:`make_session` - a ``requests.Session`` whose every request has a
  ``(connect=5 s, read=30 s)`` timeout unless the caller passes one.
* :class:`RetryPolicy` - exponential backoff with full jitter, honoring the
  ``retry_after`` carried by :class:`RateLimited`/:class:`Transient` (parsed from
  ``Retry-After`` or the platform's usage headers). Only those two error types are
  retried; ``AuthExpired`` and ``BadResponse`` surface immediately. When the
  platform asks for a wait longer than ``max_retry_after`` the error is raised
  instead, so the job layer can reschedule rather than block a worker.
* :func:`send`, :func:`parse_json`, :func:`raise_for_status` - small helpers that
  turn ``requests`` failures into typed errors without leaking tokens.

Nothing here logs a token: URLs and messages go through :func:`errors.redact`, and a
filter on urllib3's connection-pool logger masks ``access_token=`` query values.
"""

from __future__ import annotations

import email.utils
import gc
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from integrations.errors import (
    AuthExpired,
    BadResponse,
    IntegrationError,
    RateLimited,
    Transient,
    excerpt,
    redact,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "RedactingFilter",
    "RetryPolicy",
    "TimeoutSession",
    "is_retryable",
    "make_session",
    "gc_paused",
    "loads",
    "parse_json",
    "parse_retry_after",
    "raise_for_status",
    "send",
]

log = logging.getLogger("integrations.http")

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
USER_AGENT = "omnify-brain/0.1 (+https://omnify.example)"

T = TypeVar("T")


class RedactingFilter(logging.Filter):
    """Logging filter that masks tokens in a record's rendered message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record must not break logging
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def _install_log_redaction() -> None:
    for name in ("urllib3.connectionpool", "integrations"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


_install_log_redaction()


class TimeoutSession(requests.Session):
    """A ``requests.Session`` that applies a default timeout to every request."""

    def __init__(self, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send a request, defaulting ``timeout`` to the session's."""
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


def make_session(
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    *,
    pool_size: int = 10,
    user_agent: str = USER_AGENT,
) -> requests.Session:
    """Create a session with default timeouts and a keep-alive connection pool."""
    session = TimeoutSession(timeout)
    adapter = requests.adapters.HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    return session


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header (delta-seconds or HTTP-date) into seconds ≥ 0."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How a client retries one HTTP call.

    ``base``/``cap`` drive full-jitter exponential backoff
    (``uniform(0, min(cap, base * 2**n))``). A server-provided ``retry_after`` is
    honored exactly (plus up to ``base`` of jitter) when ≤ ``max_retry_after``;
    longer waits raise immediately. ``sleep`` is injectable so tests run fast and
    can assert the requested waits.
    """

    max_attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def should_retry(self, exc: BaseException) -> bool:
        """Whether ``exc`` is worth another attempt under this policy."""
        if not isinstance(exc, RateLimited | Transient):
            return False
        return exc.retry_after is None or exc.retry_after <= self.max_retry_after

    def wait_for(self, attempt: int, exc: BaseException | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return float(retry_after) + random.uniform(0, self.base)
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return random.uniform(0, ceiling)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn(*args, **kwargs)``, retrying retryable integration errors."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            retry=retry_if_exception(self.should_retry),
            wait=lambda state: self.wait_for(
                state.attempt_number, state.outcome.exception() if state.outcome else None
            ),
            sleep=self.sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        return retrying(fn, *args, **kwargs)

    def wrap(self, fn: Callable[..., T]) -> Callable[..., T]:
        """Decorator form of :meth:`call`."""

        def wrapper(*args: Any, **kwargs: Any) -> T:
            return self.call(fn, *args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapped")
        wrapper.__doc__ = fn.__doc__
        return wrapper


def _log_retry(state: Any) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning(
        "%s; retrying in %.2fs (attempt %d)",
        redact(exc) if exc else "retry",
        wait,
        state.attempt_number + 1,
    )


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    platform: str,
    secrets: Iterable[str | None] = (),
    **kwargs: Any,
) -> requests.Response:
    """Send a request; connection errors and timeouts become :class:`Transient`.

    The original ``requests`` exception is not chained because its text can contain
    the full URL (and therefore an ``access_token`` query parameter).
    """
    secrets = tuple(secrets)
    err: IntegrationError
    try:
        return session.request(method, url, **kwargs)
    except requests.Timeout as exc:
        err = Transient(
            f"timeout calling {redact(_path(url), secrets)}: {type(exc).__name__}",
            platform=platform,
        )
    except requests.ConnectionError as exc:
        err = Transient(
            f"connection error calling {redact(_path(url), secrets)}: {type(exc).__name__}",
            platform=platform,
        )
    except (
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
        requests.exceptions.InvalidURL,
    ) as exc:
        err = BadResponse(  # a configuration problem: retrying will not help
            f"invalid URL {redact(_path(url), secrets)}: {type(exc).__name__}",
            platform=platform,
        )
    except requests.RequestException as exc:
        err = Transient(
            f"request failed for {redact(_path(url), secrets)}: {type(exc).__name__}",
            platform=platform,
        )
    raise err from None


def _path(url: str) -> str:
    """Scheme://host/path of a URL without its query string."""
    return url.split("?", 1)[0]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while building a large acyclic tree.

    A 5,000-row insights page decodes into ~100 k dicts; on Python 3.11 each batch of 700
    new containers triggers a collection that re-walks the growing tree, which made decoding
    3-4x slower than the parse itself. Decoded JSON and the rows built from it hold no
    cycles, so nothing is left for the collector to find afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def loads(data: bytes | str) -> Any:
    """``json.loads`` at orjson's speed (3-4x on a 5,000-row insights page).

    What orjson refuses and the standard library accepts (``NaN``/``Infinity`` literals,
    UTF-16 bodies) is decoded by ``json.loads`` instead, so both accept the same documents.
    One difference stays: an integer beyond 64 bits becomes a float (the platforms send ids
    as strings, and 64-bit ones exactly)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def parse_json(
    resp: requests.Response, *, platform: str, secrets: Iterable[str | None] = ()
) -> Any:
    """Decode a JSON body or raise :class:`BadResponse` with a redacted excerpt."""
    try:
        with gc_paused():
            return loads(resp.content)
    except (ValueError, UnicodeDecodeError):
        raise BadResponse.from_payload(
            f"malformed JSON (HTTP {resp.status_code})",
            resp.content[:2000],
            secrets=secrets,
            platform=platform,
            status=resp.status_code,
        ) from None


def raise_for_status(
    resp: requests.Response,
    *,
    platform: str,
    secrets: Iterable[str | None] = (),
    detail: str | None = None,
) -> None:
    """Generic status mapping for responses a client did not classify itself.

    429 → RateLimited (Retry-After), 408/5xx → Transient, 401 → AuthExpired,
    other 4xx → BadResponse. 2xx/3xx return silently.
    """
    status = resp.status_code
    if status < 400:
        return
    body = detail if detail is not None else excerpt(resp.content[:2000], secrets)
    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    if status == 429:
        raise RateLimited(
            f"HTTP 429 rate limited: {body}",
            platform=platform,
            status=status,
            retry_after=retry_after,
        )
    if status == 408 or status >= 500:
        raise Transient(
            f"HTTP {status} server error: {body}",
            platform=platform,
            status=status,
            retry_after=retry_after,
        )
    if status == 401:
        raise AuthExpired(f"HTTP 401 unauthorized: {body}", platform=platform, status=status)
    raise BadResponse(f"HTTP {status}: {body}", platform=platform, status=status)


def is_retryable(exc: BaseException) -> bool:
    """True for integration errors a caller may retry later."""
    return isinstance(exc, IntegrationError) and exc.retryable
