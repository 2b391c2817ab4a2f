"""Shared by tests (moved from tests/e2e/test_overview_e2e.py:
test modules do not import each other)."""

from __future__ import annotations

import pytest

from app import get_dash
from extensions import db
from models import Membership, User
from tests.conftest import E2E_PORT, PASSWORD, make_org
from tests.helpers.e2e import submit_login
from tests.helpers.overview import EXAMPLE, store_state

USERS = {
    "cmo": "cmo@lumen-e2e.example",
    "vp_growth": "vp@lumen-e2e.example",
    "director": "director@lumen-e2e.example",
}


@pytest.fixture
def lumen(app):
    """One org, three persona members, the demo brain state stored."""
    org = make_org(app, "Lumen Beauty", USERS["cmo"], persona="cmo")
    with app.app_context():
        for persona in ("vp_growth", "director"):
            user = User(email=USERS[persona], name=persona.replace("_", " ").title())
            user.set_password(PASSWORD)
            user.active_org_id = org["org_id"]
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, org_id=org["org_id"], persona=persona))
        db.session.commit()
    store_state(app, org["org_id"], EXAMPLE)
    return org


def start(dash_duo, app) -> str:
    dash_duo.start_server(get_dash(app), navigate=False, port=E2E_PORT)
    return dash_duo.server.url.rstrip("/")


def log_in(dash_duo, base: str, email: str, skip_tips: bool = True) -> None:
    driver = dash_duo.driver
    driver.delete_all_cookies()
    driver.get(base + "/login")
    dash_duo.wait_for_element("#login-form", timeout=10)
    if skip_tips:
        driver.execute_script(
            "localStorage.setItem('ov-tips', JSON.stringify({seen: ['mer','risk','actions']}))"
        )
    else:
        driver.execute_script("localStorage.clear()")
    submit_login(dash_duo, email)
    dash_duo.wait_for_element("#kpi-mer", timeout=20)


def click(dash_duo, selector: str) -> None:
    element = dash_duo.wait_for_element(selector, timeout=10)
    # Bootstrap's smooth scrolling would still be moving when the click lands.
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


def in_first_screen(dash_duo, selector: str) -> bool:
    """The element is visible and wholly inside the first screen (no scrolling)."""
    return dash_duo.driver.execute_script(
        "var r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight;",
        selector,
    )
