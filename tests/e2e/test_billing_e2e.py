"""Billing in headless Chromium: the owner's page shows the meters; with no plan the button goes
through POST /billing/plan (CSRF form) to the Checkout URL the fake Stripe returned; once the
webhook has landed, the upgrade button changes the plan with proration."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from extensions import db
from models import Connection, UsageEvent
from tests.helpers.e2e import start_logged_in
from tests.integration.billing_support import billing, customer_org  # noqa: F401

pytestmark = pytest.mark.e2e
EMAIL = "owner@billing-e2e.example"


def _click(dash_duo, text: str) -> None:
    """Bootstrap scrolls smoothly: jump instead, so the click lands where the button is."""
    button = dash_duo.driver.find_element(By.XPATH, f"//button[contains(., '{text}')]")
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button
    )
    button.click()


def test_billing_meters_checkout_then_upgrade(dash_duo, app, billing):  # noqa: F811
    org = customer_org(app, billing, "Glow Billing", EMAIL)
    with app.app_context():
        db.session.add_all(
            [
                Connection(org_id=org["org_id"], platform=p, external_account_id=f"{p}-1")
                for p in ("meta", "shopify")
            ]
            + [UsageEvent(org_id=org["org_id"], kind="pdf_export") for _ in range(4)]
            + [UsageEvent(org_id=org["org_id"], kind="recompute") for _ in range(24)]
        )
        db.session.commit()
    base = start_logged_in(app, dash_duo, EMAIL)
    dash_duo.driver.get(base + "/billing")
    dash_duo.wait_for_contains_text("#billing-meters", "2 of 3", timeout=15)
    meters = dash_duo.find_element("#billing-meters").text
    assert "2 of 3" in meters and "4 of 10" in meters and "24 of 24" in meters
    assert "Limit reached" in meters
    bars = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#billing-meters [role=progressbar]")
    assert [b.get_attribute("aria-valuenow") for b in bars] == ["67", "40", "100"]
    assert "No plan yet" in dash_duo.find_element("#billing-status").text

    # No plan yet: the button goes to Stripe Checkout (the fake's hosted page), with a trial.
    _click(dash_duo, "Start 14-day trial of Growth")
    dash_duo.wait_for_element("#fake-checkout", timeout=15)
    assert dash_duo.driver.current_url.startswith(billing.url + "/c/pay/cs_test_")
    assert "price_growth_monthly" in dash_duo.find_element("#fake-checkout-price").text
    assert "trial days: 14" in dash_duo.find_element("#fake-checkout-trial").text

    # Stripe completes the session and sends checkout.session.completed.
    session = billing.complete_checkout(next(iter(billing.sessions)))
    body, headers = billing.signed(billing.event("checkout.session.completed", session))
    assert app.test_client().post("/webhooks/stripe", data=body, headers=headers).status_code == 200
    dash_duo.driver.get(base + "/billing")
    dash_duo.wait_for_text_to_equal("#billing-status", "Free trial", timeout=15)
    assert "Growth" in dash_duo.find_element("#billing-plan-name").text
    assert "Trial ends" in dash_duo.find_element("#billing-date-line").text

    # A live subscription: the upgrade is a prorated plan change, back on the billing page.
    _click(dash_duo, "Upgrade to Scale (+$700/month)")
    dash_duo.wait_for_contains_text("#billing-plan-name", "Scale", timeout=15)
    assert billing.updates[-1]["proration_behavior"] == "create_prorations"
    assert "unlimited" in dash_duo.find_element("#billing-meters").text
