"""End to end in headless Chromium: log in through the form, land on the dashboard, log out."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from app import get_dash
from tests.conftest import E2E_PORT, PASSWORD, make_org

pytestmark = pytest.mark.e2e


def test_login_dashboard_logout(app, dash_duo):
    make_org(app, "Acme Beauty", "cmo@acme.example", persona="cmo")
    dash_duo.start_server(get_dash(app), navigate=False, port=E2E_PORT)
    base = dash_duo.server.url.rstrip("/")
    dash_duo.driver.get(base + "/")
    dash_duo.wait_for_element("#login-form", timeout=10)  # redirected to the login page
    assert "/login" in dash_duo.driver.current_url
    dash_duo.find_element("#email").send_keys("cmo@acme.example")
    dash_duo.find_element("#password").send_keys(PASSWORD)
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_element("#page", timeout=15)
    dash_duo.wait_for_contains_text("#overview-empty", "No insights yet", timeout=15)
    # Log out through the user menu.
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#user-menu .dropdown-toggle").click()
    dash_duo.wait_for_element("#logout", timeout=5).click()
    dash_duo.wait_for_element("#login-form", timeout=10)
    dash_duo.driver.get(base + "/")
    dash_duo.wait_for_element("#login-form", timeout=10)
