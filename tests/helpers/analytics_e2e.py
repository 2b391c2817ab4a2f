"""Shared by tests (moved from tests/e2e/test_analytics_e2e.py:
test modules do not import each other)."""

from __future__ import annotations

from models import analytics as queries
from tests.helpers.e2e import start_logged_in


def _start_logged_in(app, dash_duo, email: str) -> str:
    queries.clear_cache()
    return start_logged_in(app, dash_duo, email)
