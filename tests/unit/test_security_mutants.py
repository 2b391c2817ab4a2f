"""Tests written for mutation survivors of api/security.py that change a security decision
(README "Mutation testing"): the JSON depth guard's boundary and the log filter keeping records."""

from __future__ import annotations

import json
import logging

import pytest

from api.security import MAX_JSON_DEPTH, RedactingFilter, parse_json


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_dicts(depth: int) -> str:
    doc: object = {}
    for _ in range(depth - 1):
        doc = {"a": doc}
    return json.dumps(doc)


@pytest.mark.parametrize("nest", [nested_lists, nested_dicts])
def test_depth_guard_accepts_exactly_the_limit_and_refuses_one_more(nest):
    """Off-by-one mutants (start depth 2, ``>=``, ``depth + 2``) and dict values not walked."""
    assert parse_json(nest(MAX_JSON_DEPTH)) is not None
    with pytest.raises(ValueError, match="nested deeper"):
        parse_json(nest(MAX_JSON_DEPTH + 1))


def test_depth_guard_counts_lists_inside_dicts():
    doc = json.dumps({"orders": json.loads(nested_lists(MAX_JSON_DEPTH))})
    with pytest.raises(ValueError, match="nested deeper"):
        parse_json(doc)


def test_the_redacting_filter_keeps_every_record():
    """Redacting must not drop the line (a dropped access-log line hides what happened)."""
    clean = logging.LogRecord("x", logging.INFO, __file__, 1, "GET /health", None, None)
    secret = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "GET /invite/abc.def-ghi?token=s3cr3t", None, None
    )
    assert RedactingFilter().filter(clean) is True
    assert RedactingFilter().filter(secret) is True
    assert "s3cr3t" not in secret.getMessage()
