"""The browser's log-in, shared by the E2E tests (test modules do not import each other)."""

from __future__ import annotations

from app import get_dash
from tests.conftest import E2E_PORT, PASSWORD


def submit_login(dash_duo, email: str) -> None:
    """Fill in and submit the login form the browser shows."""
    dash_duo.find_element("#email").send_keys(email)
    dash_duo.find_element("#password").send_keys(PASSWORD)
    dash_duo.find_element("#login-submit").click()


def start_logged_in(app, dash_duo, email: str) -> str:
    """Start the app's server, log `email` in through the form, wait for the page; its base URL."""
    dash_duo.start_server(get_dash(app), navigate=False, port=E2E_PORT)
    base = dash_duo.server.url.rstrip("/")
    dash_duo.driver.get(base + "/login")
    dash_duo.wait_for_element("#login-form", timeout=10)
    submit_login(dash_duo, email)
    dash_duo.wait_for_element("#page", timeout=15)
    return base
