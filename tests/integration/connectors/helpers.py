"""Assertions shared by the connector tests."""

from __future__ import annotations

import math
from typing import Any

METRICS = ("spend", "impressions", "clicks", "conversions", "platform_revenue")


def assert_rows_match(rows: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """Same (creative, date) keys and metric values as the fake's normalized data."""
    got = {(r["creative_id"], r["date"]): r for r in rows}
    want = {(str(r["creative_id"]), r["date"]): r for r in expected}
    assert len(rows) == len(got), "duplicate (creative, date) rows"
    assert got.keys() == want.keys()
    for key, row in want.items():
        for metric in METRICS:
            assert math.isclose(got[key][metric], row[metric], rel_tol=1e-9, abs_tol=1e-6), (
                key,
                metric,
            )
        assert got[key]["campaign_id"] == str(row["campaign_id"])
        assert got[key]["creative_name"] == row["creative_name"]


def sums(rows: list[dict[str, Any]]) -> dict[str, float]:
    return {m: round(sum(r[m] for r in rows), 4) for m in METRICS}


def assert_no_secret(message: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in message, f"secret leaked into: {message}"
