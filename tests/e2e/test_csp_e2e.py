"""Every page renders in headless Chromium under the Content-Security-Policy, with no
CSP violation (or any other error) in the browser console."""

from __future__ import annotations

import pytest

from app import get_dash
from tests.conftest import E2E_PORT, make_org
from tests.helpers.analytics import A_PLATFORMS, load_brand
from tests.helpers.e2e import submit_login
from tests.helpers.overview import EXAMPLE, store_state

pytestmark = pytest.mark.e2e

PAGES = {  # path -> an element that only a fully rendered page has
    "/": "#kpi-mer",
    "/analytics": "#an-chart .js-plotly-plot",
    "/integrations": "#page",
    "/onboarding": "#page",
    "/team": "#audit",
    "/account/password": "#logout-everywhere",
}


def _problems(driver) -> list[str]:  # noqa: ANN001
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE"
        or "Content Security Policy" in entry["message"]
        or "Refused to" in entry["message"]
    ]


def test_pages_render_under_the_csp(app, dash_duo):
    org = make_org(app, "CSP Beauty", "cmo@csp.example", persona="cmo")
    store_state(app, org["org_id"], EXAMPLE)
    load_brand(app, org["org_id"], "csp", A_PLATFORMS)
    dash_duo.start_server(get_dash(app), navigate=False, port=E2E_PORT)
    base = dash_duo.server.url.rstrip("/")
    driver = dash_duo.driver
    driver.get(base + "/login")
    dash_duo.wait_for_element("#login-form", timeout=10)
    assert _problems(driver) == []
    driver.execute_script(
        "localStorage.setItem('ov-tips', JSON.stringify({seen: ['mer','risk','actions']}))"
    )
    submit_login(dash_duo, org["email"])
    for path, ready in PAGES.items():
        driver.get(base + path)
        dash_duo.wait_for_element(ready, timeout=20)
        assert _problems(driver) == [], path
