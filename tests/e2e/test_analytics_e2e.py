"""Analytics in headless Chromium: filters live in the URL, survive a reload, fit a phone."""

from __future__ import annotations

import csv
import io
import time

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.conftest import make_org
from tests.helpers.analytics import A_PLATFORMS, load_brand
from tests.helpers.analytics_e2e import _start_logged_in

pytestmark = pytest.mark.e2e


def _wait_url(dash_duo, fragment: str, present: bool = True, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        url = dash_duo.driver.current_url
        if (fragment in url) == present:
            return url
        time.sleep(0.1)
    raise AssertionError(f"URL {dash_duo.driver.current_url!r}: {fragment!r} present={present}")


def _chart_points(dash_duo) -> int:
    return dash_duo.driver.execute_script(
        "var g = document.querySelector('#an-chart .js-plotly-plot');"
        "return g && g.data ? g.data[g.data.length - 1].y.length : -1;"
    )


def _chart_total(dash_duo) -> float:
    """The sum of the chart's last trace (this period's series)."""
    return dash_duo.driver.execute_script(
        "var g = document.querySelector('#an-chart .js-plotly-plot');"
        "if (!g || !g.data) { return -1; }"
        "return g.data[g.data.length - 1].y.reduce(function (a, b) { return a + b; }, 0);"
    )


def test_preset_and_platform_go_to_the_url_and_survive_reload(app, dash_duo):
    org = make_org(app, "E2E Beauty", "analyst@e2e-beauty.example", persona="vp_growth")
    load_brand(app, org["org_id"], "e2e", A_PLATFORMS)  # $300 of spend a day
    base = _start_logged_in(app, dash_duo, org["email"])
    dash_duo.driver.get(base + "/analytics")
    dash_duo.wait_for_contains_text("#kpi-spend", "$9,000", timeout=15)  # last 30 days

    Select(dash_duo.find_element("#an-range")).select_by_value("7d")
    _wait_url(dash_duo, "range=7d")
    dash_duo.wait_for_contains_text("#kpi-spend", "$2,100", timeout=10)
    dash_duo.wait_for_contains_text("#an-caption", "(7 days)", timeout=10)
    deadline = time.monotonic() + 10
    while _chart_points(dash_duo) != 7 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _chart_points(dash_duo) == 7
    # the chart in view from the start is redrawn in place, not replaced by a new plot
    dash_duo.driver.execute_script("document.querySelector('#an-chart .js-plotly-plot').id = 'p1'")

    dash_duo.find_element("label[for$='an-platform_input_tiktok']").click()  # TikTok off
    url = _wait_url(dash_duo, "platform=meta")
    dash_duo.wait_for_contains_text("#kpi-spend", "$1,400", timeout=10)
    deadline = time.monotonic() + 10
    while _chart_total(dash_duo) != pytest.approx(1400) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _chart_total(dash_duo) == pytest.approx(1400)  # Meta's spend alone
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#an-chart #p1")
    href = dash_duo.find_element("#an-csv-daily").get_attribute("href")
    assert "/exports/analytics.csv?range=7d&platform=meta" in href
    # Download it as the browser would (its session cookie): the CSV is what the view shows.
    cookies = {c["name"]: c["value"] for c in dash_duo.driver.get_cookies()}
    resp = requests.get(href, cookies=cookies, timeout=30)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert len(rows) == 7
    assert sum(float(r["spend"]) for r in rows) == pytest.approx(1400)

    dash_duo.driver.get(url)  # reload the shared link: same filters, same numbers
    dash_duo.wait_for_contains_text("#kpi-spend", "$1,400", timeout=15)
    assert (
        Select(dash_duo.find_element("#an-range")).first_selected_option.get_attribute("value")
        == "7d"
    )
    tiktok = dash_duo.find_element("input[id$='an-platform_input_tiktok']")
    assert not tiktok.is_selected()
    assert "range=7d" in dash_duo.driver.current_url

    dash_duo.driver.back()  # browser history walks the filters back
    _wait_url(dash_duo, "platform=meta", present=False)
    dash_duo.wait_for_contains_text("#kpi-spend", "$2,100", timeout=10)


def test_phone_width_has_no_horizontal_overflow(app, dash_duo):
    org = make_org(app, "E2E Phone", "cmo@e2e-phone.example", persona="cmo")
    load_brand(app, org["org_id"], "phone", A_PLATFORMS)
    base = _start_logged_in(app, dash_duo, org["email"])
    driver = dash_duo.driver
    driver.set_window_size(390, 844)
    inner_w, inner_h = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(390 + (390 - inner_w), 844 + (844 - inner_h))  # page area 390x844
    driver.get(base + "/analytics?range=30d&metric=roas")
    dash_duo.wait_for_contains_text("#kpi-spend", "$9,000", timeout=15)
    dash_duo.wait_for_element("#an-leaderboard table", timeout=15)
    dash_duo.wait_for_element("#an-cohort-table table", timeout=15)
    # both charts sit below the fold on a phone: Plotly is not even fetched while the page
    # loads; each chart is drawn once its box scrolls into view
    assert driver.execute_script("return typeof window.Plotly") == "undefined"
    assert not driver.find_elements(By.CSS_SELECTOR, "#an-chart-slot .js-plotly-plot")
    assert not driver.find_elements(By.CSS_SELECTOR, "#an-cohort-plot .js-plotly-plot")
    driver.execute_script(
        "document.querySelector('.an-chart-box').scrollIntoView({block: 'center'})"
    )
    dash_duo.wait_for_element("#an-chart .js-plotly-plot .scatterlayer .trace", timeout=15)
    driver.execute_script(
        "document.querySelector('.an-cohort-box').scrollIntoView({block: 'center'})"
    )
    dash_duo.wait_for_element("#an-cohort-chart .js-plotly-plot .scatterlayer .trace", timeout=15)
    driver.execute_script("window.scrollTo(0, 0)")
    assert driver.execute_script("return window.innerWidth") == 390
    scroll_w, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_w <= inner, f"page is {scroll_w}px wide in a {inner}px window"
    # the controls stack: each one sits below the previous, full width
    tops = [
        driver.find_element(By.ID, i).location["y"]
        for i in ("an-range", "an-dates-start", "an-platform")
    ]
    assert tops == sorted(tops) and len(set(tops)) == 3
    # tables are stacked cards: nothing scrolls sideways inside them, every row's cells labelled
    for table_id in ("an-channel-table", "an-leaderboard-table"):
        wide = driver.execute_script(
            "var t = document.getElementById(arguments[0]);"
            "return [t.scrollWidth, t.parentElement.clientWidth];",
            table_id,
        )
        assert wide[0] <= wide[1], (table_id, wide)
    label = driver.execute_script(
        "return getComputedStyle(document.querySelector("
        "'#an-channel-table td[data-label]'), '::before').content"
    )
    assert label.strip('"') == "Spend"
    # tap targets: 44 px or taller
    for selector in (
        "#an-range",
        "#an-compare",
        "#an-dates-start",
        "label[for$='an-platform_input_meta']",
    ):
        height = driver.find_element(By.CSS_SELECTOR, selector).size["height"]
        assert height >= 44, (selector, height)


def test_typed_dates_apply_on_enter_and_compare_is_kept(app, dash_duo):
    org = make_org(app, "E2E Dates", "vp@e2e-dates.example", persona="vp_growth")
    load_brand(app, org["org_id"], "dates", A_PLATFORMS)
    base = _start_logged_in(app, dash_duo, org["email"])
    driver = dash_duo.driver
    driver.set_window_size(1280, 800 + 143)
    driver.get(base + "/analytics?range=30d&compare=year")
    dash_duo.wait_for_contains_text("#an-caption", "a year earlier", timeout=15)
    assert (
        Select(dash_duo.find_element("#an-compare")).first_selected_option.get_attribute("value")
        == "year"
    )
    end = dash_duo.find_element("#an-dates-end").get_attribute("value")
    start = dash_duo.find_element("#an-dates-start")
    # a native date input takes the digits of its locale's order (en-US: month, day, year)
    y, m, d = end.split("-")
    start.send_keys(m + d + y)
    start.send_keys("\n")
    url = _wait_url(dash_duo, "range=custom")
    assert f"start={end}" in url and f"end={end}" in url and "compare=year" in url
    dash_duo.wait_for_contains_text("#an-caption", "(1 day)", timeout=10)
    Select(dash_duo.find_element("#an-range")).select_by_value("last_month")
    _wait_url(dash_duo, "range=last_month")
