"""The one callback error wrapper (layouts.wiring.soft_fail)."""

from __future__ import annotations

import logging

import pytest
from dash.exceptions import PreventUpdate
from werkzeug.exceptions import Forbidden, HTTPException

from layouts.wiring import soft_fail

log = logging.getLogger("test.soft_fail")


def boom(*_args: object) -> None:
    raise RuntimeError("secret detail")


def test_a_failure_is_logged_cleaned_up_and_answered_by_the_fallback(caplog):
    cleaned = []
    guarded = soft_fail(
        log,
        "page: rendering failed",
        fallback=lambda x: ("toast", x),
        cleanup=lambda: cleaned.append(1),
    )(boom)
    with caplog.at_level(logging.ERROR, logger="test.soft_fail"):
        assert guarded(7) == ("toast", 7)
    assert cleaned == [1]
    record = caplog.records[-1]
    assert "page: rendering failed (boom)" in record.getMessage()
    assert record.exc_info and "secret detail" in str(record.exc_info[1])


def test_without_a_fallback_the_callback_answers_no_update():
    with pytest.raises(PreventUpdate):
        soft_fail(log, "page: failed")(boom)()


def test_no_update_and_http_errors_pass_untouched():
    def deny() -> None:
        raise Forbidden()

    def nothing() -> None:
        raise PreventUpdate

    cleaned = []
    product = soft_fail(
        log,
        "x",
        fallback=lambda: "toast",
        passthrough=(PreventUpdate, HTTPException),
        cleanup=lambda: cleaned.append(1),
    )
    with pytest.raises(Forbidden):
        product(deny)()
    with pytest.raises(PreventUpdate):
        product(nothing)()
    assert cleaned == []
    assert product(lambda: "ok")() == "ok"
