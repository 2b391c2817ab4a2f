"""Onboarding and Team in headless Chromium at 390x844 and 1280x800: no horizontal overflow,
the truthful stepper (Skipped, then what happens next), team actions, screenshots."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from config import ROOT
from extensions import db
from models import Invite, Membership, User
from tests.conftest import PASSWORD, make_org
from tests.helpers.analytics_e2e import _start_logged_in

pytestmark = pytest.mark.e2e
SHOTS = ROOT / "docs" / "screenshots"
SIZES = ((390, 844), (1280, 800))


def log_in(dash_duo, app, email: str) -> str:
    return _start_logged_in(app, dash_duo, email)


def overflow(dash_duo) -> int:
    return dash_duo.driver.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )


def test_onboarding_skips_truthfully_at_both_sizes(dash_duo, app):
    make_org(app, "Glowhaus", "founder@glowhaus.example")
    base = log_in(dash_duo, app, "founder@glowhaus.example")
    d = dash_duo.driver
    d.get(base + "/onboarding")
    dash_duo.wait_for_text_to_equal("#onb-summary", "Step 1 of 4: Company profile", timeout=15)
    click = """var b = Array.from(document.querySelectorAll('#onb-wizard button'))
        .find(function(x){ return x.textContent === '%s'; });
        if (b) { b.click(); return true; } return false;"""
    for label, summary in (
        ("Skip for now", "Step 2 of 4"),
        ("Skip for now", "Step 3 of 4"),
        ("Continue", "Step 4 of 4"),
    ):
        WebDriverWait(d, 10).until(lambda drv, label=label: drv.execute_script(click % label))
        dash_duo.wait_for_contains_text("#onb-summary", summary, timeout=10)
    dash_duo.wait_for_element("#onb-insights-nothing", timeout=10)
    for key in ("profile", "connect", "backfill"):
        assert "Skipped" in d.find_element(By.ID, f"onb-step-{key}").text
    for w, h in SIZES:
        d.set_window_size(w, h)
        d.get(base + "/onboarding")
        dash_duo.wait_for_element("#onb-insights-nothing", timeout=15)
        assert overflow(dash_duo) <= 0, (w, overflow(dash_duo))
        d.save_screenshot(str(SHOTS / f"onboarding-{w}.png"))


def test_team_page_actions_and_layout_at_both_sizes(dash_duo, app):
    org = make_org(app, "Glowhaus", "owner@glowhaus.example")
    with app.app_context():
        user = User(
            email="a.very.long.address.for.testing@glowhaus-example-agency.example", name="Sam"
        )
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        db.session.add(
            Membership(user_id=user.id, org_id=org["org_id"], role="member", persona="vp_growth")
        )
        db.session.add(
            Invite(
                org_id=org["org_id"],
                email="pending.invitee.with.a.long.name@glowhaus-example-agency.example",
                role="viewer",
                persona="director",
                invited_by_id=org["user_id"],
            )
        )
        db.session.commit()
        member_id = db.session.query(Membership.id).filter_by(user_id=user.id).scalar()
    base = log_in(dash_duo, app, "owner@glowhaus.example")
    d = dash_duo.driver
    for w, h in SIZES:
        d.set_window_size(w, h)
        d.get(base + "/team")
        WebDriverWait(d, 10).until(lambda drv: drv.find_elements(By.ID, "team-members"))
        assert overflow(dash_duo) <= 0, (w, overflow(dash_duo))
        assert d.find_element(By.CSS_SELECTOR, "nav.app-nav a[href='/integrations']")
        d.save_screenshot(str(SHOTS / f"team-{w}.png"))
    # change the member's role with the styled select, then revoke the invite
    Select(d.find_element(By.ID, f"role-{member_id}")).select_by_value("admin")
    d.find_element(By.CSS_SELECTOR, f"#member-{member_id} button[type=submit]").click()
    WebDriverWait(d, 10).until(lambda drv: drv.find_elements(By.ID, "team-members"))
    assert Select(d.find_element(By.ID, f"role-{member_id}")).first_selected_option.text == "Admin"
    d.find_element(By.XPATH, "//button[normalize-space()='Revoke']").click()
    WebDriverWait(d, 10).until(lambda drv: drv.find_elements(By.ID, "team-invites-empty"))
