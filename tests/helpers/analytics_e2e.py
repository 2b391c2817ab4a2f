"""Shared by tests (moved from tests/e2e/test_analytics_e2e.py:
test modules do not import each other)."""

from __future__ import annotations

from app import get_dash
from models import analytics as queries
from tests.conftest import E2E_PORT, PASSWORD


def _start_logged_in(app, dash_duo, email: str) -> str:
    queries.clear_cache()
    dash_duo.start_server(get_dash(app), navigate=False, port=E2E_PORT)
    base = dash_duo.server.url.rstrip("/")
    dash_duo.driver.get(base + "/login")
    dash_duo.wait_for_element("#login-form", timeout=10)
    dash_duo.find_element("#email").send_keys(email)
    dash_duo.find_element("#password").send_keys(PASSWORD)
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_element("#page", timeout=15)
    return base
