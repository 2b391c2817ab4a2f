"""Settings at 390x844 and 1280x800, and the navbar bell after a recompute, in Chromium."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from extensions import db
from jobs.brain import after_recompute
from models import BrainState
from tests.conftest import make_org, settle
from tests.helpers.e2e import submit_login
from tests.helpers.overview import EXAMPLE, store_state
from tests.helpers.overview_e2e import USERS, click, start

pytestmark = pytest.mark.e2e


def page_size(driver, width: int, height: int) -> None:
    """Make the page area exactly width x height (window chrome aside)."""
    driver.set_window_size(width, height)
    inner_w, inner_h = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(width + (width - inner_w), height + (height - inner_h))


def log_in(dash_duo, base: str, email: str) -> None:
    driver = dash_duo.driver
    driver.delete_all_cookies()
    driver.get(base + "/login")
    dash_duo.wait_for_element("#login-form", timeout=10)
    submit_login(dash_duo, email)
    dash_duo.wait_for_element("#persona-root", timeout=20)


def no_overflow(driver) -> None:
    scroll_w, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_w <= inner, f"horizontal overflow: {scroll_w} > {inner}"


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_settings_validate_and_save_at_both_sizes(app, dash_duo, width, height):
    org = make_org(app, "Acme", "owner@acme-e2e.example")
    base = start(dash_duo, app)
    driver = dash_duo.driver
    page_size(driver, width, height)
    log_in(dash_duo, base, org["email"])
    driver.get(base + "/settings")
    dash_duo.wait_for_element("#save-company", timeout=10)
    no_overflow(driver)
    assert dash_duo.find_element("#mail-off-banner").is_displayed()  # no SMTP in tests
    margin = dash_duo.find_element("#gross_margin")
    margin.clear()
    margin.send_keys("140")
    click(dash_duo, "#save-company")
    error = dash_duo.wait_for_element("#err-company-gross_margin", timeout=10)
    assert "from 1 to 100" in error.text and error.is_displayed()
    no_overflow(driver)
    margin = dash_duo.find_element("#gross_margin")
    margin.clear()
    margin.send_keys("58")
    click(dash_duo, "#save-company")
    dash_duo.wait_for_contains_text(".alert-success", "Company profile saved.", timeout=10)
    assert dash_duo.find_element("#gross_margin").get_attribute("value") == "58.0"
    select = dash_duo.find_element("#ch-anomaly")
    select.find_element(By.CSS_SELECTOR, "option[value='in_app']").click()
    click(dash_duo, "#save-notifications")
    dash_duo.wait_for_contains_text(".alert-success", "notification preferences", timeout=10)
    assert dash_duo.find_element("#ch-anomaly").get_attribute("value") == "in_app"


def test_the_bell_shows_a_new_alert_after_a_recompute(app, dash_duo, lumen):  # noqa: F811
    base = start(dash_duo, app)
    driver = dash_duo.driver
    page_size(driver, 390, 844)
    log_in(dash_duo, base, USERS["vp_growth"])
    settle(dash_duo)
    assert not driver.find_elements(By.CSS_SELECTOR, "#bell-count .bell-badge")  # nothing yet
    assert "No unread alerts" in dash_duo.find_element("#bell-count").text
    with app.app_context():
        row = db.session.get(BrainState, store_state(app, lumen["org_id"], EXAMPLE))
        after_recompute(row)  # what jobs.brain runs after every recompute
    driver.refresh()
    dash_duo.wait_for_element("#persona-root", timeout=20)
    badge = dash_duo.wait_for_element("#bell-count .bell-badge", timeout=10)
    unread = int(badge.text)
    assert unread >= 1
    click(dash_duo, "#bell-menu .bell-toggle")  # reachable at 390 px: outside the menu
    dash_duo.wait_for_contains_text("#bell-list", "likely to fatigue", timeout=10)
    no_overflow(driver)
    click(dash_duo, "#bell-mark-read")
    dash_duo.wait_for_no_elements("#bell-count .bell-badge", timeout=10)
    assert "likely to fatigue" in dash_duo.find_element("#bell-list").text  # still listed, now read
