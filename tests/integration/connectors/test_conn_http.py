"""Shared HTTP plumbing: retry policy, Retry-After, timeouts, redaction."""

from __future__ import annotations

import gc
import logging
import socket
import time
from email.utils import formatdate

import pytest
from flask import Flask

from integrations.errors import (
    AuthExpired,
    BadResponse,
    RateLimited,
    Transient,
    excerpt,
    redact,
)
from integrations.http import RetryPolicy, gc_paused, make_session, parse_retry_after, send
from tests.fakes.fixtures import RecordingSleep
from tests.fakes.server import FakeServer


def policy(**kw) -> RetryPolicy:
    return RetryPolicy(**{"base": 0.01, "cap": 0.05, "sleep": RecordingSleep(), **kw})


def failing(errors: list[Exception], result: str = "ok"):
    calls = []

    def fn() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    in_ten = formatdate(time.time() + 10, usegmt=True)
    assert 8 <= parse_retry_after(in_ten) <= 10
    assert parse_retry_after(formatdate(time.time() - 100, usegmt=True)) == 0.0


def test_retries_transient_then_succeeds_with_jittered_backoff():
    p = policy(max_attempts=4)
    fn, calls = failing([Transient("a"), Transient("b")])
    assert p.call(fn) == "ok"
    assert len(calls) == 3
    assert len(p.sleep.calls) == 2
    assert all(0 <= s <= 0.05 for s in p.sleep.calls)


def test_gives_up_after_max_attempts_and_reraises_the_typed_error():
    p = policy(max_attempts=3)
    fn, calls = failing([Transient("x")] * 5)
    with pytest.raises(Transient):
        p.call(fn)
    assert len(calls) == 3


@pytest.mark.parametrize("error", [AuthExpired("gone"), BadResponse("junk"), ValueError("bug")])
def test_non_retryable_errors_surface_immediately(error):
    p = policy()
    fn, calls = failing([error])
    with pytest.raises(type(error)):
        p.call(fn)
    assert len(calls) == 1 and p.sleep.calls == []


def test_rate_limited_honors_retry_after_and_refuses_long_waits():
    p = policy(max_retry_after=60)
    fn, _ = failing([RateLimited("slow down", retry_after=7)])
    assert p.call(fn) == "ok"
    assert 7 <= p.sleep.calls[0] <= 7.01
    fn, calls = failing([RateLimited("come back tomorrow", retry_after=86400)])
    with pytest.raises(RateLimited) as info:
        p.call(fn)
    assert info.value.retry_after == 86400 and len(calls) == 1


def test_exponential_backoff_is_capped():
    p = RetryPolicy(base=1, cap=4)
    for attempt in range(1, 10):
        assert 0 <= p.wait_for(attempt, Transient("x")) <= min(4, 2 ** (attempt - 1))


def test_wrap_decorator():
    p = policy()
    fn, calls = failing([Transient("x")])
    assert p.wrap(fn)() == "ok" and len(calls) == 2


def test_session_default_timeout_becomes_transient():
    app = Flask("slow")

    @app.get("/slow")
    def slow() -> str:
        time.sleep(1.0)
        return "late"

    with FakeServer(app) as srv:
        session = make_session(timeout=(1, 0.2))
        url = f"{srv.url}/slow?access_token=sekrit-token-123"
        with pytest.raises(Transient) as info:
            send(session, "GET", url, platform="test", secrets=["sekrit-token-123"])
        assert "timeout" in str(info.value)
        assert "sekrit-token-123" not in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__


def test_connection_refused_is_transient_without_token():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x?access_token=tok-abcdef-999"
    with pytest.raises(Transient) as info:
        send(make_session(), "GET", url, platform="test")
    assert "tok-abcdef-999" not in str(info.value)


def test_redact_masks_every_token_shape():
    text = (
        "GET /v21.0/act_1/insights?access_token=EAAB123&after=x "
        'Authorization: Bearer ya29.abc {"refresh_token": "1//xyz", "client_secret":"cs"} '
        "X-Shopify-Access-Token: shpat_123 smtp://user:hunter2@mail.example "
        "code=4/0AbCd"
    )
    out = redact(text, secrets=["custom-secret"])
    for secret in ("EAAB123", "ya29.abc", "1//xyz", '"cs"', "shpat_123", "hunter2", "4/0AbCd"):
        assert secret not in out
    assert "after=x" in out and "act_1" in out
    assert redact("my custom-secret!", ["custom-secret"]) == "my ***!"


def test_excerpt_redacts_before_truncating():
    token = "T" * 50
    payload = "x" * 170 + token + "y" * 100
    out = excerpt(payload, [token])
    assert len(out) <= 200 and "T" * 10 not in out
    assert excerpt(b'{"a":\n  1}') == '{"a": 1}'


def test_error_messages_are_redacted_and_prefixed():
    err = BadResponse("boom access_token=abc123", platform="meta", status=400)
    assert str(err) == "meta: boom access_token=***"
    assert err.platform == "meta" and err.status == 400 and not err.retryable
    assert RateLimited("x").retryable and Transient("x").retryable


def test_urllib3_debug_log_is_redacted(caplog):
    caplog.set_level(logging.DEBUG)
    app = Flask("ok")

    @app.get("/ok")
    def ok() -> str:
        return "{}"

    with FakeServer(app) as srv:
        make_session().get(f"{srv.url}/ok", params={"access_token": "leaky-token-42"})
    assert "/ok" in caplog.text
    assert "leaky-token-42" not in caplog.text


def test_invalid_url_is_bad_response_not_retried():
    with pytest.raises(BadResponse):
        send(make_session(), "GET", "not a url?access_token=zzz-secret", platform="test")


def test_gc_paused_restores_the_collector_even_when_the_parse_fails():
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        raise ValueError("malformed page")
    assert gc.isenabled()


def test_gc_paused_leaves_a_disabled_collector_disabled():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
